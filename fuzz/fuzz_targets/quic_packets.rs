//! QUIC packet input at the server socket: datagrams from a peer to a QUIC messaging server
//! (quinn under our server), then a probe the server must still answer. A finding is a crash,
//! a leak, or a server that stops answering.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use network_system::quic::{QuicConnection, QuicServer, QuicServerConfig};
use network_system_fuzz::{datagrams, server_tls, DatagramPeer};

/// A long-header packet of a version no one speaks (0x?a?a?a?a is reserved for this, RFC 9000
/// section 15), padded to 1 200 bytes: the server answers with a version negotiation and keeps
/// no state.
pub fn version_probe() -> Vec<u8> {
    let mut p = vec![0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8];
    p.extend_from_slice(&[0x11; 8]);
    p.push(8);
    p.extend_from_slice(&[0x22; 8]);
    p.resize(1200, 0);
    p
}

fn peer() -> &'static DatagramPeer {
    static PEER: OnceLock<(QuicServer, DatagramPeer)> = OnceLock::new();
    &PEER
        .get_or_init(|| {
            let mut config = QuicServerConfig::default();
            config.tls = server_tls();
            config.udp.bind_address = "127.0.0.1".to_string();
            let server = QuicServer::new(config);
            server.set_handlers(|h| {
                h.message = Some(Arc::new(|c: &QuicConnection, d: &[u8]| {
                    let _ = c.send(d);
                }))
            });
            server.start(0).expect("server starts");
            let addr = server.local_addr().expect("bound");
            (server, DatagramPeer::new(addr, version_probe()))
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    peer().send(&datagrams(data));
});
