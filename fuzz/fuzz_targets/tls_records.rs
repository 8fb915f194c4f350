//! TLS record input: bytes from a peer to a TLS messaging server (rustls), ClientHello and
//! record layer first. A finding is a crash, a leak, or a connection left open after the peer's
//! end of input.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use network_system::tcp::{ServerConfig, TcpServer};
use network_system::Session;
use network_system_fuzz::{chunking, exchange, server_tls};

fn port() -> u16 {
    static SERVER: OnceLock<(TcpServer, u16)> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let server = TcpServer::new(ServerConfig {
                bind_address: "127.0.0.1".into(),
                tls: Some(server_tls()),
                ..ServerConfig::default()
            });
            server.set_handlers(|h| {
                h.data = Some(Arc::new(|s: &Session, data: &[u8]| {
                    let _ = s.send(data);
                }))
            });
            server.start(0).expect("server starts");
            let port = server.local_addr().expect("bound").port();
            (server, port)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let (chunk, input) = chunking(data);
    exchange(port(), input, chunk);
});
