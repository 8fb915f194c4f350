//! DTLS packet input at the server socket: datagrams from a peer to a DTLS server (OpenSSL
//! under our server: cookie exchange, handshake, records), then a ClientHello from another
//! address, which the server must still answer with a HelloVerifyRequest. A finding is a
//! crash, a leak, or a server that stops answering.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use network_system::dtls::{DtlsServer, DtlsServerConfig};
use network_system_fuzz::{datagrams, server_tls, DatagramPeer};

/// A DTLS ClientHello made by our client (written by `make_seeds`).
const CLIENT_HELLO: &[u8] = include_bytes!("../seeds/dtls_client_hello.bin");

fn peer() -> &'static DatagramPeer {
    static PEER: OnceLock<(Arc<DtlsServer>, DatagramPeer)> = OnceLock::new();
    &PEER
        .get_or_init(|| {
            let mut config = DtlsServerConfig::default();
            config.tls = server_tls();
            config.udp.bind_address = "127.0.0.1".into();
            let server = Arc::new(DtlsServer::new(config));
            let weak = Arc::downgrade(&server);
            server.set_handlers(|h| {
                h.datagram = Some(Arc::new(move |d: &[u8], from| {
                    if let Some(s) = weak.upgrade() {
                        let _ = s.send_to(d, from);
                    }
                }))
            });
            server.start(0).expect("server starts");
            let addr = server.local_addr().expect("bound");
            (server, DatagramPeer::new(addr, CLIENT_HELLO.to_vec()))
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    peer().send(&datagrams(data));
});
