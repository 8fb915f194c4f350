//! The length-prefixed decoder on the path a peer's bytes take: a TCP messaging server that
//! echoes each message. Oracle: the echo is exactly the input's complete frames, in order, when
//! the server closed cleanly; a prefix of them when it refused an oversized frame.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use network_system::tcp::{ServerConfig, TcpServer};
use network_system::Framing;
use network_system_fuzz::{chunking, echo_tcp_server, exchange, End};

const MAX: usize = 1024;

fn port() -> u16 {
    static SERVER: OnceLock<(TcpServer, u16)> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let mut config = ServerConfig::default();
            config.conn.framing = Framing::LengthPrefixed;
            config.conn.max_message_size = MAX;
            echo_tcp_server(config)
        })
        .1
}

/// What a correct server echoes: the input's complete frames in order, except empty ones (they
/// are delivered, but `send` refuses an empty message, as the original does); and whether a
/// frame over the limit ended the connection.
fn model(mut input: &[u8]) -> (Vec<u8>, bool) {
    let mut echo = Vec::new();
    while input.len() >= 4 {
        let len = u32::from_be_bytes([input[0], input[1], input[2], input[3]]) as usize;
        if len > MAX {
            return (echo, true);
        }
        if input.len() < 4 + len {
            break;
        }
        if len > 0 {
            echo.extend_from_slice(&input[..4 + len]);
        }
        input = &input[4 + len..];
    }
    (echo, false)
}

fuzz_target!(|data: &[u8]| {
    let (chunk, input) = chunking(data);
    let (echo, end) = exchange(port(), input, chunk);
    let (frames, too_large) = model(input);
    if too_large || end == End::Reset {
        assert!(
            frames.starts_with(&echo),
            "echo {echo:?} is not a prefix of the frames {frames:?} ({end:?})"
        );
    } else {
        assert_eq!(echo, frames, "echo differs from the frames sent");
    }
});
