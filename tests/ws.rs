//! Integration tests of the Rust WebSocket API on loopback: our client against our server, and
//! a raw TCP peer that speaks frames byte by byte for what a well-behaved client never sends.

#[path = "support/certs.rs"]
mod certs;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use network_system::ws::{
    close_code, WsClient, WsClientConfig, WsConnection, WsServer, WsServerConfig,
};
use network_system::ErrorCode;

const WAIT: Duration = Duration::from_secs(10);

/// What a server or client saw, in order.
#[derive(Debug, PartialEq)]
enum Event {
    Connected,
    Message(Vec<u8>, bool),
    Closed(u16, String),
    Error(ErrorCode),
}

fn events(set: impl FnOnce(&dyn Fn(&mut network_system::ws::WsHandlers))) -> Receiver<Event> {
    let (tx, rx) = channel();
    let tx = Arc::new(Mutex::new(tx));
    let (a, b, c, d) = (tx.clone(), tx.clone(), tx.clone(), tx);
    set(&move |h| {
        let a = a.clone();
        h.connected = Some(Arc::new(move |_: &WsConnection| {
            let _ = a.lock().unwrap().send(Event::Connected);
        }));
        let b = b.clone();
        h.message = Some(Arc::new(
            move |_: &WsConnection, data: &[u8], text: bool| {
                let _ = b.lock().unwrap().send(Event::Message(data.to_vec(), text));
            },
        ));
        let c = c.clone();
        h.closed = Some(Arc::new(
            move |_: &WsConnection, code: u16, reason: &str| {
                let _ = c
                    .lock()
                    .unwrap()
                    .send(Event::Closed(code, reason.to_string()));
            },
        ));
        let d = d.clone();
        h.error = Some(Arc::new(move |_, e: &network_system::Error| {
            let _ = d.lock().unwrap().send(Event::Error(e.code()));
        }));
    });
    rx
}

fn server_with(edit: impl FnOnce(&mut WsServerConfig)) -> (WsServer, u16) {
    let mut config = WsServerConfig {
        bind_address: "127.0.0.1".into(),
        ..WsServerConfig::default()
    };
    // Raw peers never answer the close of a server that stops: do not wait 5 s for them.
    config.ws.close_timeout = Duration::from_millis(300);
    edit(&mut config);
    let server = WsServer::new(config);
    server.start(0).expect("start");
    let port = server.local_addr().expect("bound").port();
    (server, port)
}

fn echo(server: &WsServer) {
    server.set_handlers(|h| {
        h.message = Some(Arc::new(|c: &WsConnection, d: &[u8], text: bool| {
            let sent = if text {
                c.send_text(std::str::from_utf8(d).expect("text is UTF-8"))
            } else {
                c.send_binary(d)
            };
            sent.expect("echo");
        }))
    });
}

fn client_of(port: u16, edit: impl FnOnce(&mut WsClientConfig)) -> (WsClient, Receiver<Event>) {
    let mut config = WsClientConfig::default();
    edit(&mut config);
    let client = WsClient::new(config);
    let rx = events(|set| client.set_handlers(set));
    client.start_wait("127.0.0.1", port).expect("connect");
    assert_eq!(rx.recv_timeout(WAIT).expect("connected"), Event::Connected);
    (client, rx)
}

fn next_message(rx: &Receiver<Event>) -> (Vec<u8>, bool) {
    match rx.recv_timeout(WAIT).expect("a message in time") {
        Event::Message(d, t) => (d, t),
        other => panic!("expected a message, got {other:?}"),
    }
}

#[test]
fn echo_text_and_binary_of_every_length_class() {
    let (server, port) = server_with(|_| {});
    echo(&server);
    let (client, rx) = client_of(port, |_| {});
    for size in [0usize, 1, 125, 126, 65_535, 65_536, 1 << 20] {
        let binary: Vec<u8> = (0..size).map(|i| (i * 7 + size) as u8).collect();
        client.send_binary(&binary).expect("send binary");
        assert_eq!(next_message(&rx), (binary, false), "binary of {size} bytes");
        let text: String = (0..size)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        client.send_text(&text).expect("send text");
        assert_eq!(
            next_message(&rx),
            (text.into_bytes(), true),
            "text of {size} bytes"
        );
    }
    let stats = client.stats();
    assert_eq!(stats.messages_out, 14);
    assert_eq!(stats.messages_in, 14);
}

#[test]
fn close_code_and_reason_are_seen_on_both_sides() {
    let (server, port) = server_with(|_| {});
    let server_events = events(|set| server.set_handlers(set));
    let (client, rx) = client_of(port, |_| {});
    assert_eq!(server_events.recv_timeout(WAIT).unwrap(), Event::Connected);
    client.close(4001, "bye now").expect("close");
    assert_eq!(
        rx.recv_timeout(WAIT).unwrap(),
        Event::Closed(4001, "bye now".into())
    );
    assert_eq!(
        server_events.recv_timeout(WAIT).unwrap(),
        Event::Closed(4001, "bye now".into())
    );
    client
        .wait_for_stop()
        .expect("the client stops after its connection closed");
    assert_eq!(
        client.send_text("late").unwrap_err().code(),
        ErrorCode::ConnectionClosed
    );
    assert_eq!(
        client.close(999, "").unwrap_err().code(),
        ErrorCode::ConnectionClosed
    );
}

#[test]
fn server_close_reaches_the_client() {
    let (server, port) = server_with(|_| {});
    let (client, rx) = client_of(port, |_| {});
    let id = server.connection_ids()[0];
    let conn = server.connection(id).expect("connection");
    assert_eq!(
        conn.close(1, "").unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    conn.close(close_code::NORMAL, "done").expect("close");
    assert_eq!(
        rx.recv_timeout(WAIT).unwrap(),
        Event::Closed(1000, "done".into())
    );
    drop(client);
}

#[test]
fn broadcast_reaches_three_clients() {
    let (server, port) = server_with(|_| {});
    let server_events = events(|set| server.set_handlers(set));
    let clients: Vec<_> = (0..3).map(|_| client_of(port, |_| {})).collect();
    // A client is connected once it read the server's 101; the server counts the connection
    // just after writing it: wait for its side.
    for _ in 0..3 {
        assert_eq!(server_events.recv_timeout(WAIT).unwrap(), Event::Connected);
    }
    assert_eq!(server.connection_count(), 3);
    assert_eq!(server.broadcast_text("Hello, WebSocket clients!"), 3);
    assert_eq!(server.broadcast_binary(&[1, 2, 3, 4]), 3);
    for (_, rx) in &clients {
        assert_eq!(
            next_message(rx),
            (b"Hello, WebSocket clients!".to_vec(), true)
        );
        assert_eq!(next_message(rx), (vec![1, 2, 3, 4], false));
    }
}

#[test]
fn wrong_path_is_refused_with_404() {
    let (_server, port) = server_with(|c| c.path = "/chat".into());
    let client = WsClient::new(WsClientConfig {
        path: "/other".into(),
        ..WsClientConfig::default()
    });
    let err = client.start_wait("127.0.0.1", port).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ConnectionRefused, "{err}");
    assert!(err.message().contains("404"), "{err}");
    let (client, _rx) = client_of(port, |c| c.path = "/chat?room=1".into());
    assert!(client.is_connected());
}

/// A raw HTTP request; returns the whole response head and body the server sent.
fn raw_request(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = s.read_to_string(&mut response);
    response
}

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

#[test]
fn bad_requests_get_their_http_status_and_others_keep_working() {
    let (server, port) = server_with(|c| c.path = "/ws".into());
    echo(&server);
    let (client, rx) = client_of(port, |c| c.path = "/ws".into());
    let plain = raw_request(port, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(plain.starts_with("HTTP/1.1 426 "), "{plain}");
    let upgrade = |path: &str, extra: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{extra}\r\n"
        )
    };
    let cases = [
        (
            upgrade(
                "/nope",
                &format!("Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n"),
            ),
            "404",
        ),
        (
            upgrade(
                "/ws",
                "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n",
            ),
            "400",
        ),
        (
            upgrade(
                "/ws",
                &format!("Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 8\r\n"),
            ),
            "400",
        ),
        ("POST /ws HTTP/1.1\r\nHost: x\r\n\r\n".to_string(), "400"),
        ("\x16\x03\x01 not http\r\n\r\n".to_string(), "400"),
    ];
    for (request, status) in cases {
        let response = raw_request(port, &request);
        assert!(
            response.starts_with(&format!("HTTP/1.1 {status} ")),
            "{request:?} → {response}"
        );
    }
    let good = {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(WAIT)).unwrap();
        let key = format!("Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n");
        s.write_all(upgrade("/ws", &key).as_bytes()).unwrap();
        read_head(&mut s)
    };
    // RFC 6455 §1.3's example key and accept value.
    assert!(good.starts_with("HTTP/1.1 101 "), "{good}");
    assert!(
        good.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        "{good}"
    );
    client.send_text("still here").expect("send");
    assert_eq!(next_message(&rx), (b"still here".to_vec(), true));
}

#[test]
fn connection_limit_answers_503() {
    let (server, port) = server_with(|c| c.max_connections = 1);
    let (_first, _rx) = client_of(port, |_| {});
    let second = WsClient::default();
    let err = second.start_wait("127.0.0.1", port).unwrap_err();
    assert!(err.message().contains("503"), "{err}");
    assert_eq!(server.stats().connections_rejected, 1);
}

/// A client frame: FIN set, masked with a fixed key.
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    let mut f = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n < 65_536 => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// A raw peer after a completed opening handshake.
fn raw_peer(port: u16) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(WAIT)).unwrap();
    let request = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(request.as_bytes()).unwrap();
    let head = read_head(&mut s);
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    s
}

/// Reads a response head byte by byte (nothing after it).
fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).expect("handshake response");
        head.push(byte[0]);
    }
    String::from_utf8(head).expect("an ASCII head")
}

/// Reads one unmasked server frame: (opcode, payload).
fn read_frame(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut h = [0u8; 2];
    s.read_exact(&mut h).expect("frame header");
    let len = match h[1] & 0x7f {
        126 => {
            let mut b = [0u8; 2];
            s.read_exact(&mut b).unwrap();
            u16::from_be_bytes(b) as usize
        }
        127 => {
            let mut b = [0u8; 8];
            s.read_exact(&mut b).unwrap();
            u64::from_be_bytes(b) as usize
        }
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    s.read_exact(&mut payload).unwrap();
    (h[0] & 0x0f, payload)
}

fn close_payload(code: u16) -> Vec<u8> {
    code.to_be_bytes().to_vec()
}

#[test]
fn a_ping_is_answered_by_exactly_one_pong() {
    let (_server, port) = server_with(|c| c.ws.ping_interval = None);
    let mut peer = raw_peer(port);
    peer.write_all(&frame(0x9, b"are you there")).unwrap();
    peer.write_all(&frame(0x1, b"after")).unwrap();
    assert_eq!(read_frame(&mut peer), (0xA, b"are you there".to_vec()));
    // Nothing else but what we ask for next: a close reply to our close.
    peer.write_all(&frame(0x8, &close_payload(1000))).unwrap();
    assert_eq!(read_frame(&mut peer), (0x8, close_payload(1000)));
}

#[test]
fn fragments_are_delivered_once_and_whole() {
    let (server, port) = server_with(|_| {});
    let rx = events(|set| server.set_handlers(set));
    let mut peer = raw_peer(port);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Event::Connected);
    let message: Vec<u8> = (0..1usize << 20).map(|i| (i % 251) as u8).collect();
    for (i, part) in message.chunks(message.len() / 16).enumerate() {
        let opcode = if i == 0 { 0x2 } else { 0x0 };
        let mut f = frame(opcode, part);
        if i != 15 {
            f[0] &= 0x7f; // not the final fragment
        }
        peer.write_all(&f).unwrap();
    }
    assert_eq!(next_message(&rx), (message, false));
}

/// Each violation gets its close code and an error report; the server keeps serving.
#[test]
fn protocol_violations_close_with_their_code() {
    let (server, port) = server_with(|c| c.ws.max_message_size = 1000);
    let rx = events(|set| server.set_handlers(set));
    let unmasked = {
        let mut f = vec![0x81, 2];
        f.extend_from_slice(b"hi");
        f
    };
    let reserved = {
        let mut f = frame(0x1, b"hi");
        f[0] |= 0x40;
        f
    };
    let cases: Vec<(Vec<u8>, u16, ErrorCode)> = vec![
        (unmasked, 1002, ErrorCode::ProtocolError),
        (reserved, 1002, ErrorCode::ProtocolError),
        (frame(0x3, b"x"), 1002, ErrorCode::ProtocolError),
        (frame(0x9, &[0u8; 126]), 1002, ErrorCode::ProtocolError),
        (frame(0x1, &[0xff, 0xfe]), 1007, ErrorCode::ProtocolError),
        (frame(0x2, &[0u8; 1001]), 1009, ErrorCode::MessageTooLarge),
    ];
    for (bytes, code, error) in cases {
        let mut peer = raw_peer(port);
        assert_eq!(rx.recv_timeout(WAIT).unwrap(), Event::Connected);
        peer.write_all(&bytes).unwrap();
        let (opcode, payload) = read_frame(&mut peer);
        assert_eq!(
            (opcode, &payload[..2]),
            (0x8, &close_payload(code)[..]),
            "case {code}"
        );
        assert_eq!(rx.recv_timeout(WAIT).unwrap(), Event::Error(error));
        assert_eq!(
            match rx.recv_timeout(WAIT).unwrap() {
                Event::Closed(c, _) => c,
                other => panic!("{other:?}"),
            },
            code
        );
    }
    echo(&server);
    let (client, crx) = client_of(port, |_| {});
    client.send_text("fine").unwrap();
    assert_eq!(next_message(&crx), (b"fine".to_vec(), true));
}

#[test]
fn keep_alive_closes_a_silent_peer() {
    let (server, port) = server_with(|c| {
        c.ws.ping_interval = Some(Duration::from_millis(50));
        c.ws.pong_timeout = Duration::from_millis(200);
    });
    let rx = events(|set| server.set_handlers(set));
    // Completes the handshake, then neither reads nor answers.
    let _peer = raw_peer(port);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Event::Connected);
    assert_eq!(
        rx.recv_timeout(WAIT).unwrap(),
        Event::Error(ErrorCode::ConnectionTimeout)
    );
    assert_eq!(
        rx.recv_timeout(WAIT).unwrap(),
        Event::Closed(close_code::ABNORMAL, String::new())
    );
    // An answering client stays connected through several intervals.
    let (client, crx) = client_of(port, |_| {});
    std::thread::sleep(Duration::from_millis(500)); // the condition under test: time passes
    assert!(client.is_connected());
    assert!(crx.try_recv().is_err(), "the answering client saw an event");
}

#[test]
fn a_peer_that_stops_reading_fills_the_queue_and_sends_fail_with_643() {
    let (server, port) = server_with(|c| c.ws.send_queue_limit = 1 << 20);
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    server.set_handlers(|h| {
        h.connected = Some(Arc::new(move |c: &WsConnection| {
            let _ = tx.lock().unwrap().send(c.id());
        }))
    });
    let _peer = raw_peer(port);
    let id = rx.recv_timeout(WAIT).expect("the peer connected");
    let conn = server.connection(id).unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut accepted = 0usize;
    let err = loop {
        match conn.send_binary(&chunk) {
            Ok(()) => accepted += chunk.len(),
            Err(e) => break e,
        }
        assert!(accepted < 1 << 30, "the queue never filled");
    };
    assert_eq!(err.code(), ErrorCode::SendQueueFull);
    assert!(conn.stats().queued_bytes <= 1 << 20);
}

#[test]
fn send_before_connect_and_bad_arguments() {
    let client = WsClient::default();
    assert_eq!(
        client.send_text("x").unwrap_err().code(),
        ErrorCode::ConnectionClosed
    );
    assert_eq!(
        client.start("", 80).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        client.start("127.0.0.1", 0).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    let server = WsServer::new(WsServerConfig {
        path: "no-slash".into(),
        ..WsServerConfig::default()
    });
    assert_eq!(
        server.start(0).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn hundred_clients_against_one_server() {
    let (server, port) = server_with(|_| {});
    echo(&server);
    let clients: Vec<_> = (0..100).map(|_| client_of(port, |_| {})).collect();
    for (i, (c, _)) in clients.iter().enumerate() {
        c.send_text(&format!("client {i}")).unwrap();
    }
    for (i, (_, rx)) in clients.iter().enumerate() {
        assert_eq!(next_message(rx), (format!("client {i}").into_bytes(), true));
    }
    assert_eq!(server.connection_count(), 100);
}

#[test]
fn wss_echo_and_an_untrusted_server_is_refused() {
    use network_system::tls::{ClientTlsConfig, PemSource, ServerTlsConfig};
    let pki = certs::Pki::new();
    let mem = |s: &str| Some(PemSource::Memory(s.as_bytes().to_vec()));
    let (server, port) = server_with(|c| {
        c.tls = Some(ServerTlsConfig {
            cert_chain: mem(&pki.server.cert),
            private_key: mem(&pki.server.key),
            ..ServerTlsConfig::default()
        })
    });
    echo(&server);
    let trusting = ClientTlsConfig {
        system_roots: false,
        ca: mem(&pki.ca),
        ..ClientTlsConfig::default()
    };
    let (client, rx) = client_of(port, |c| c.tls = Some(trusting));
    let big: Vec<u8> = (0..1usize << 20).map(|i| (i % 253) as u8).collect();
    client.send_binary(&big).unwrap();
    assert_eq!(next_message(&rx), (big, false));
    client.send_text("över TLS").unwrap();
    assert_eq!(next_message(&rx), ("över TLS".as_bytes().to_vec(), true));
    // Trusts another authority only: the server's certificate must be refused in the
    // handshake (not for lack of any trust root at start).
    let other_ca = certs::Pki::new().ca;
    let untrusting = WsClient::new(WsClientConfig {
        tls: Some(ClientTlsConfig {
            system_roots: false,
            ca: mem(&other_ca),
            ..ClientTlsConfig::default()
        }),
        ..WsClientConfig::default()
    });
    let err = untrusting.start_wait("127.0.0.1", port).unwrap_err();
    assert_eq!(err.code(), ErrorCode::CertificateError, "{err}");
}
