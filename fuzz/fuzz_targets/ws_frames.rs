//! The WebSocket server path: opening handshake (our parser) and frames (tungstenite, then our
//! connection: fragments, UTF-8, control frames, close, limits). The second input byte's low
//! bit puts a valid handshake in front, so the fuzzer spends its time on frames too.
//! A finding is a crash, a leak, or a connection left open after the peer's end of input.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use network_system::ws::{WsConnection, WsServer, WsServerConfig};
use network_system_fuzz::{chunking, exchange};

/// The handshake a browser sends (RFC 6455 section 1.3's key).
pub const HANDSHAKE: &[u8] = b"GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";

fn port() -> u16 {
    static SERVER: OnceLock<(WsServer, u16)> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let mut config = WsServerConfig {
                bind_address: "127.0.0.1".into(),
                path: "/ws".into(),
                ..WsServerConfig::default()
            };
            config.ws.max_message_size = 16 * 1024;
            let server = WsServer::new(config);
            server.set_handlers(|h| {
                h.message = Some(Arc::new(|c: &WsConnection, d: &[u8], text: bool| {
                    let _ = if text {
                        std::str::from_utf8(d).map_or(Ok(()), |t| c.send_text(t))
                    } else {
                        c.send_binary(d)
                    };
                }))
            });
            server.start(0).expect("server starts");
            let port = server.local_addr().expect("bound").port();
            (server, port)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let (chunk, rest) = chunking(data);
    let Some((&flags, frames)) = rest.split_first() else {
        return;
    };
    let mut input = Vec::with_capacity(HANDSHAKE.len() + frames.len());
    if flags & 1 == 1 {
        input.extend_from_slice(HANDSHAKE);
    }
    input.extend_from_slice(frames);
    exchange(port(), &input, chunk);
});
