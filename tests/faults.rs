//! Transfers through a misbehaving network (tests/support/impair.rs: proxies on loopback, since
//! the kernel here has no netem). Streams (TCP, TLS, WebSocket, HTTP) cross a proxy that delays
//! each chunk, sends 2 KiB of every MiB as 1-byte segments and stalls 3 s; QUIC crosses one that
//! drops 5 % of datagrams, delays them 50 ± 20 ms (reordering them) and duplicates 2 %. Every
//! byte must arrive, in order. A reset mid-stream fails that connection with -640/-641 and
//! nothing else.
//!
//! CI moves 8 MiB per stream test and 1 MiB over QUIC; the long run moves 64 MiB each:
//! `NS_FAULT_MIB=64 cargo test --release --test faults -- --test-threads=1 --nocapture`.

#[path = "support/certs.rs"]
mod certs;
#[path = "support/impair.rs"]
mod impair;

use std::net::SocketAddr;
use std::sync::mpsc::channel;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use certs::Pki;
use impair::{payload, transfer_mib, DatagramFaults, DatagramProxy, StreamFaults, StreamProxy};
use network_system::http::{
    HttpClient, HttpClientConfig, HttpRequest, HttpResponse, HttpServer, HttpServerConfig,
};
use network_system::quic::{
    QuicClient, QuicClientConfig, QuicConnection, QuicServer, QuicServerConfig,
};
use network_system::tcp::{ClientConfig, ServerConfig, TcpClient, TcpServer};
use network_system::tls::{ClientTlsConfig, PemSource, ServerTlsConfig};
use network_system::ws::{WsClient, WsClientConfig, WsConnection, WsServer, WsServerConfig};
use network_system::{Error, ErrorCode, Framing, Session};

const CHUNK: usize = 64 * 1024;

/// What a receiver collected so far; senders under backpressure wait for it to grow.
#[derive(Default)]
struct Sink {
    data: Mutex<Vec<u8>>,
    grew: Condvar,
}

impl Sink {
    fn push(&self, d: &[u8]) {
        self.data.lock().unwrap().extend_from_slice(d);
        self.grew.notify_all();
    }

    fn len(&self) -> usize {
        self.data.lock().unwrap().len()
    }

    /// Blocks until more than `from` bytes arrived, or `limit` passed.
    fn wait_beyond(&self, from: usize, limit: Duration) -> usize {
        let guard = self.data.lock().unwrap();
        let (guard, _) = self
            .grew
            .wait_timeout_while(guard, limit, |d| d.len() <= from)
            .unwrap();
        guard.len()
    }

    /// Blocks until `len` bytes arrived; panics with the count at the deadline.
    fn take(&self, len: usize, limit: Duration) -> Vec<u8> {
        let deadline = Instant::now() + limit;
        let mut guard = self.data.lock().unwrap();
        while guard.len() < len {
            let now = Instant::now();
            assert!(
                now < deadline,
                "{} of {len} bytes arrived in {limit:?}",
                guard.len()
            );
            guard = self.grew.wait_timeout(guard, deadline - now).unwrap().0;
        }
        std::mem::take(&mut *guard)
    }
}

/// Sends `data` in 64 KiB messages; a full send queue waits for the receiver to progress.
fn send_all(send: impl Fn(&[u8]) -> Result<(), Error>, data: &[u8], sink: &Sink) {
    for chunk in data.chunks(CHUNK) {
        loop {
            match send(chunk) {
                Ok(()) => break,
                Err(e) if e.code() == ErrorCode::SendQueueFull => {
                    sink.wait_beyond(sink.len(), Duration::from_secs(30));
                }
                Err(e) => panic!("send failed: {e}"),
            }
        }
    }
}

fn assert_same(got: &[u8], sent: &[u8]) {
    assert_eq!(got.len(), sent.len(), "length");
    if let Some(i) = got.iter().zip(sent).position(|(a, b)| a != b) {
        panic!("the bytes differ from offset {i}");
    }
}

/// The stream impairments: 1 ms per chunk, 2 KiB of every MiB in 1-byte segments, a 3 s stall
/// after 2 MiB.
fn bad_stream() -> StreamFaults {
    StreamFaults {
        delay: Duration::from_millis(1),
        split_period: 1 << 20,
        split_len: 2048,
        stall_at: Some(2 << 20),
        stall: Duration::from_secs(3),
        reset_at: None,
    }
}

/// Time allowed for `mib` MiB through the impaired stream (the stall included).
fn limit(mib: usize) -> Duration {
    Duration::from_secs(60 + 5 * mib as u64)
}

fn mem(s: &str) -> Option<PemSource> {
    Some(PemSource::Memory(s.as_bytes().to_vec()))
}

fn server_tls(pki: &Pki) -> ServerTlsConfig {
    ServerTlsConfig {
        cert_chain: mem(&pki.server.cert),
        private_key: mem(&pki.server.key),
        ..ServerTlsConfig::default()
    }
}

fn client_tls(pki: &Pki) -> ClientTlsConfig {
    ClientTlsConfig {
        system_roots: false,
        ca: mem(&pki.ca),
        server_name: Some("localhost".into()),
        ..ClientTlsConfig::default()
    }
}

/// A length-prefixed TCP (or TLS) server collecting what it receives.
fn tcp_sink(tls: Option<ServerTlsConfig>) -> (TcpServer, SocketAddr, Arc<Sink>) {
    let mut config = ServerConfig {
        bind_address: "127.0.0.1".into(),
        tls,
        ..ServerConfig::default()
    };
    config.conn.framing = Framing::LengthPrefixed;
    let server = TcpServer::new(config);
    let sink = Arc::new(Sink::default());
    let s = sink.clone();
    server.set_handlers(|h| h.data = Some(Arc::new(move |_: &Session, d: &[u8]| s.push(d))));
    server.start(0).unwrap();
    let addr = server.local_addr().unwrap();
    (server, addr, sink)
}

fn tcp_transfer(tls: Option<(ServerTlsConfig, ClientTlsConfig)>, seed: u64) {
    let mib = transfer_mib(8);
    let data = payload(mib << 20, seed);
    let (server_tls, client_tls) = tls.unzip();
    let (_server, addr, sink) = tcp_sink(server_tls);
    let proxy = StreamProxy::start(addr, bad_stream());
    let mut config = ClientConfig {
        tls: client_tls,
        ..ClientConfig::default()
    };
    config.conn.framing = Framing::LengthPrefixed;
    let client = TcpClient::new(config);
    client.start_wait("127.0.0.1", proxy.port).unwrap();
    let start = Instant::now();
    send_all(|c| client.send(c), &data, &sink);
    assert_same(&sink.take(data.len(), limit(mib)), &data);
    println!("{mib} MiB in {:.1} s", start.elapsed().as_secs_f64());
    client.stop().unwrap();
}

#[test]
fn tcp_transfer_survives_delay_split_segments_and_a_stall() {
    tcp_transfer(None, 1);
}

#[test]
fn tls_transfer_survives_delay_split_segments_and_a_stall() {
    let pki = Pki::new();
    tcp_transfer(Some((server_tls(&pki), client_tls(&pki))), 2);
}

#[test]
fn websocket_transfer_survives_delay_split_segments_and_a_stall() {
    let mib = transfer_mib(8);
    let data = payload(mib << 20, 3);
    let server = WsServer::new(WsServerConfig {
        bind_address: "127.0.0.1".into(),
        ..WsServerConfig::default()
    });
    let sink = Arc::new(Sink::default());
    let s = sink.clone();
    server.set_handlers(|h| {
        h.message = Some(Arc::new(move |_: &WsConnection, d: &[u8], _text: bool| {
            s.push(d)
        }))
    });
    server.start(0).unwrap();
    let proxy = StreamProxy::start(server.local_addr().unwrap(), bad_stream());
    let client = WsClient::new(WsClientConfig::default());
    client.start_wait("127.0.0.1", proxy.port).unwrap();
    send_all(|c| client.send_binary(c), &data, &sink);
    assert_same(&sink.take(data.len(), limit(mib)), &data);
    client.stop().unwrap();
}

#[test]
fn http_download_survives_delay_split_segments_and_a_stall() {
    let mib = transfer_mib(8);
    let data = Bytes::from(payload(mib << 20, 4));
    let server = HttpServer::new(HttpServerConfig {
        bind_address: "127.0.0.1".into(),
        ..HttpServerConfig::default()
    });
    let body = data.clone();
    server
        .route(
            "GET",
            "/big",
            Arc::new(move |_: &HttpRequest| {
                Ok(HttpResponse::with_body(
                    200,
                    "application/octet-stream",
                    body.clone(),
                ))
            }),
        )
        .unwrap();
    server.start(0).unwrap();
    let proxy = StreamProxy::start(server.local_addr().unwrap(), bad_stream());
    let client = HttpClient::new(HttpClientConfig {
        timeout: limit(mib),
        max_response_bytes: data.len() + 1,
        ..HttpClientConfig::default()
    });
    let url = format!("http://127.0.0.1:{}/big", proxy.port);
    let r = client
        .request_blocking("GET", &url, &[], &[], Bytes::new())
        .unwrap();
    assert_eq!(r.status, 200);
    assert_same(&r.body, &data);
}

#[test]
fn a_reset_mid_stream_fails_that_connection_with_640_or_641_and_nothing_else() {
    let (server, addr, sink) = tcp_sink(None);
    let proxy = StreamProxy::start(
        addr,
        StreamFaults {
            reset_at: Some(1 << 20),
            ..StreamFaults::default()
        },
    );
    let mut config = ClientConfig::default();
    config.conn.framing = Framing::LengthPrefixed;
    let client = TcpClient::new(config.clone());
    let (tx, errors) = channel();
    let tx = Mutex::new(tx);
    let (dtx, disconnected) = channel();
    let dtx = Mutex::new(dtx);
    client.set_handlers(|h| {
        h.error = Some(Arc::new(move |_, e: &Error| {
            let _ = tx.lock().unwrap().send(e.code());
        }));
        h.disconnected = Some(Arc::new(move |_: &Session| {
            let _ = dtx.lock().unwrap().send(());
        }));
    });
    client.start_wait("127.0.0.1", proxy.port).unwrap();
    // Sends until the reset ends the connection.
    let chunk = vec![5u8; CHUNK];
    for _ in 0..(64 << 20) / CHUNK {
        match client.send(&chunk) {
            Ok(()) => {}
            Err(e) if e.code() == ErrorCode::SendQueueFull => {
                sink.wait_beyond(sink.len(), Duration::from_millis(500));
            }
            Err(e) => {
                assert_eq!(e.code(), ErrorCode::ConnectionClosed, "{e}");
                break;
            }
        }
    }
    let code = errors
        .recv_timeout(Duration::from_secs(30))
        .expect("an error");
    assert!(
        matches!(code, ErrorCode::SendFailed | ErrorCode::ReceiveFailed),
        "{code:?}"
    );
    disconnected
        .recv_timeout(Duration::from_secs(30))
        .expect("disconnected");
    assert_eq!(proxy.resets.load(std::sync::atomic::Ordering::SeqCst), 1);
    // The server keeps serving: a client straight to it delivers byte for byte.
    let before = sink.len();
    let other = TcpClient::new(config);
    other.start_wait("127.0.0.1", addr.port()).unwrap();
    other.send(b"still here").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while sink.len() < before + 10 {
        assert!(Instant::now() < deadline, "the other client's message");
        sink.wait_beyond(sink.len(), Duration::from_secs(1));
    }
    let got = sink.take(before + 10, Duration::from_secs(1));
    assert_eq!(&got[got.len() - 10..], b"still here");
    other.stop().unwrap();
    server.stop().unwrap();
}

#[test]
fn quic_transfer_survives_loss_delay_reordering_and_duplicates() {
    let mib = transfer_mib(1);
    let data = payload(mib << 20, 6);
    let pki = Pki::new();
    let mut config = QuicServerConfig {
        tls: server_tls(&pki),
        ..QuicServerConfig::default()
    };
    config.udp.bind_address = "127.0.0.1".into();
    let server = QuicServer::new(config);
    let sink = Arc::new(Sink::default());
    let s = sink.clone();
    server.set_handlers(|h| {
        h.message = Some(Arc::new(move |_: &QuicConnection, d: &[u8]| s.push(d)))
    });
    server.start(0).unwrap();
    let proxy = DatagramProxy::start(server.local_addr().unwrap(), DatagramFaults::lossy(), 7);
    let client = QuicClient::new(QuicClientConfig {
        tls: client_tls(&pki),
        connect_timeout: Duration::from_secs(30),
        ..QuicClientConfig::default()
    });
    client.start_wait("127.0.0.1", proxy.port).unwrap();
    let start = Instant::now();
    send_all(|c| client.send(c), &data, &sink);
    assert_same(
        &sink.take(data.len(), Duration::from_secs(120 + 60 * mib as u64)),
        &data,
    );
    let c = &proxy.counts;
    println!(
        "{mib} MiB in {:.1} s; datagrams forwarded {}, dropped {}, duplicated {}",
        start.elapsed().as_secs_f64(),
        c.forwarded.load(std::sync::atomic::Ordering::Relaxed),
        c.dropped.load(std::sync::atomic::Ordering::Relaxed),
        c.duplicated.load(std::sync::atomic::Ordering::Relaxed)
    );
    assert!(
        c.dropped.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "the proxy dropped some"
    );
    client.stop().unwrap();
}
