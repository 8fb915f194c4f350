//! TLS record input: bytes from a peer to a TLS messaging server (rustls), ClientHello and
//! record layer first. A finding is a crash, a leak, or a connection left open after the peer's
//! end of input.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use network_system::tcp::{ServerConfig, TcpServer};
use network_system_fuzz::{chunking, echo_tcp_server, exchange, server_tls};

fn port() -> u16 {
    static SERVER: OnceLock<(TcpServer, u16)> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            echo_tcp_server(ServerConfig {
                tls: Some(server_tls()),
                ..ServerConfig::default()
            })
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let (chunk, input) = chunking(data);
    exchange(port(), input, chunk);
});
