//! Transfers through a misbehaving network (tests/support/impair.rs: proxies on loopback, since
//! the kernel here has no netem). Streams (TCP, TLS, WebSocket, HTTP) cross a proxy that delays
//! each chunk, sends 2 KiB of every MiB as 1-byte segments and stalls 3 s; QUIC crosses one that
//! drops 5 % of datagrams, delays them 50 ± 20 ms (reordering them) and duplicates 2 %. Every
//! byte must arrive, in order. A reset mid-stream fails that connection with -640/-641 and
//! nothing else.
//!
//! Timers under the same impairments: reconnect after a reset follows its backoff, the idle
//! timeout spares a slow connection and ends a silent one, WebSocket pings keep a quiet
//! connection and end it when the network goes silent, QUIC keep-alive holds a silent
//! connection open under loss while one without expires.
//!
//! CI moves 8 MiB per stream test and 1 MiB over QUIC. `scripts/faults.sh [MIB]` runs these
//! tests one at a time with leak checks (LeakSanitizer, and each test's fds and runtime tasks
//! back to where they were); the long run is `scripts/faults.sh 64`.

#[path = "support/certs.rs"]
mod certs;
#[path = "support/impair.rs"]
mod impair;

use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
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
use network_system::tcp::{ClientConfig, ReconnectPolicy, ServerConfig, TcpClient, TcpServer};
use network_system::tls::{ClientTlsConfig, PemSource, ServerTlsConfig};
use network_system::ws::{WsClient, WsClientConfig, WsConnection, WsServer, WsServerConfig};
use network_system::{Error, ErrorCode, Framing, Session};

const CHUNK: usize = 64 * 1024;

/// With `NS_FAULT_LEAKS` set (scripts/faults.sh runs the tests one at a time), a test fails
/// unless the process's open descriptors and the runtime's live tasks come back to their count
/// before it, once its objects are gone. Declared first in a test, so dropped last.
struct LeakCheck(Option<(usize, usize)>);

impl LeakCheck {
    fn start() -> LeakCheck {
        LeakCheck(std::env::var_os("NS_FAULT_LEAKS").map(|_| {
            static WARM: std::sync::Once = std::sync::Once::new();
            WARM.call_once(make_process_state);
            resources()
        }))
    }
}

/// What the library keeps for the life of the process, made before the first count: the
/// runtime and the QUIC client endpoint that QUIC clients share (one per address family).
fn make_process_state() {
    let pki = Pki::new();
    let (server, _) = quic_sink(&pki);
    let client = QuicClient::new(QuicClientConfig {
        tls: client_tls(&pki),
        ..QuicClientConfig::default()
    });
    client
        .start_wait("127.0.0.1", server.local_addr().unwrap().port())
        .unwrap();
    client.stop().unwrap();
    server.stop().unwrap();
}

impl Drop for LeakCheck {
    fn drop(&mut self) {
        let Some(before) = self.0 else { return };
        if thread::panicking() {
            return;
        }
        // Tasks and sockets end shortly after their objects are dropped (a QUIC connection
        // drains first), and nothing announces it: the counts are polled, up to 30 s.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let now = resources();
            if now.0 <= before.0 && now.1 <= before.1 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "(open fds, live tasks) {before:?} before the test, {now:?} 30 s after it; fds: {:?}",
                open_fds()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// What the process's descriptors point to.
fn open_fds() -> Vec<String> {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|p| p.display().to_string())
        .collect()
}

/// Open descriptors of the process and live tasks of the library's runtime.
fn resources() -> (usize, usize) {
    let handle = network_system::runtime::handle().expect("runtime");
    (open_fds().len(), handle.metrics().num_alive_tasks())
}

/// Events as they happen, with their time; tests wait for the one they expect.
struct Events<T> {
    list: Mutex<Vec<(Instant, T)>>,
    added: Condvar,
}

impl<T: Clone> Events<T> {
    fn new() -> Arc<Events<T>> {
        Arc::new(Events {
            list: Mutex::new(Vec::new()),
            added: Condvar::new(),
        })
    }

    fn push(&self, e: T) {
        self.list.lock().unwrap().push((Instant::now(), e));
        self.added.notify_all();
    }

    fn all(&self) -> Vec<(Instant, T)> {
        self.list.lock().unwrap().clone()
    }

    /// The `n`th (0-based) event matching `want`, waiting up to `limit` for it.
    fn nth(&self, want: impl Fn(&T) -> bool, n: usize, limit: Duration) -> Option<(Instant, T)> {
        let guard = self.list.lock().unwrap();
        let (guard, _) = self
            .added
            .wait_timeout_while(guard, limit, |l| {
                l.iter().filter(|(_, e)| want(e)).count() <= n
            })
            .unwrap();
        guard.iter().filter(|(_, e)| want(e)).nth(n).cloned()
    }

    fn wait(&self, want: impl Fn(&T) -> bool, limit: Duration) -> Option<(Instant, T)> {
        self.nth(want, 0, limit)
    }
}

/// What a TCP client or server reported, in order.
#[derive(Clone, Debug, PartialEq)]
enum Seen {
    Connected,
    Disconnected,
    Error(ErrorCode),
}

fn record(h: &mut network_system::Handlers, events: &Arc<Events<Seen>>) {
    let (c, d, e) = (events.clone(), events.clone(), events.clone());
    h.connected = Some(Arc::new(move |_: &Session| c.push(Seen::Connected)));
    h.disconnected = Some(Arc::new(move |_: &Session| d.push(Seen::Disconnected)));
    h.error = Some(Arc::new(move |_, err: &Error| {
        e.push(Seen::Error(err.code()))
    }));
}

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

    /// Blocks until what arrived satisfies `done`, and takes it; panics at the deadline.
    fn until(&self, done: impl Fn(&[u8]) -> bool, limit: Duration) -> Vec<u8> {
        let guard = self.data.lock().unwrap();
        let (mut guard, _) = self
            .grew
            .wait_timeout_while(guard, limit, |d| !done(d))
            .unwrap();
        assert!(
            done(&guard),
            "{} bytes arrived, not what was awaited",
            guard.len()
        );
        std::mem::take(&mut *guard)
    }

    /// Blocks until `len` bytes arrived, and takes them; panics at the deadline.
    fn take(&self, len: usize, limit: Duration) -> Vec<u8> {
        self.until(|d| d.len() >= len, limit)
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

/// A WebSocket server on 127.0.0.1 collecting the messages it receives.
fn ws_sink() -> (WsServer, Arc<Sink>) {
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
    (server, sink)
}

/// A QUIC server on 127.0.0.1 collecting the messages it receives.
fn quic_sink(pki: &Pki) -> (QuicServer, Arc<Sink>) {
    let mut config = QuicServerConfig {
        tls: server_tls(pki),
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
    (server, sink)
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
    let _leaks = LeakCheck::start();
    tcp_transfer(None, 1);
}

#[test]
fn tls_transfer_survives_delay_split_segments_and_a_stall() {
    let _leaks = LeakCheck::start();
    let pki = Pki::new();
    tcp_transfer(Some((server_tls(&pki), client_tls(&pki))), 2);
}

#[test]
fn websocket_transfer_survives_delay_split_segments_and_a_stall() {
    let _leaks = LeakCheck::start();
    let mib = transfer_mib(8);
    let data = payload(mib << 20, 3);
    let (server, sink) = ws_sink();
    let proxy = StreamProxy::start(server.local_addr().unwrap(), bad_stream());
    let client = WsClient::new(WsClientConfig::default());
    client.start_wait("127.0.0.1", proxy.port).unwrap();
    let start = Instant::now();
    send_all(|c| client.send_binary(c), &data, &sink);
    assert_same(&sink.take(data.len(), limit(mib)), &data);
    println!("{mib} MiB in {:.1} s", start.elapsed().as_secs_f64());
    client.stop().unwrap();
}

#[test]
fn http_download_survives_delay_split_segments_and_a_stall() {
    let _leaks = LeakCheck::start();
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
    let start = Instant::now();
    let r = client
        .request_blocking("GET", &url, &[], &[], Bytes::new())
        .unwrap();
    assert_eq!(r.status, 200);
    assert_same(&r.body, &data);
    println!("{mib} MiB in {:.1} s", start.elapsed().as_secs_f64());
}

#[test]
fn a_reset_mid_stream_fails_that_connection_with_640_or_641_and_nothing_else() {
    let _leaks = LeakCheck::start();
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
    let events = Events::new();
    client.set_handlers(|h| record(h, &events));
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
    let limit = Duration::from_secs(30);
    let (_, code) = events
        .wait(|e| matches!(e, Seen::Error(_)), limit)
        .expect("an error");
    assert!(
        matches!(
            code,
            Seen::Error(ErrorCode::SendFailed | ErrorCode::ReceiveFailed)
        ),
        "{code:?}"
    );
    events
        .wait(|e| *e == Seen::Disconnected, limit)
        .expect("disconnected");
    assert_eq!(proxy.resets.load(std::sync::atomic::Ordering::SeqCst), 1);
    // The server keeps serving: a client straight to it delivers byte for byte. (Messages of
    // the reset connection that the server had received may still be handed over meanwhile;
    // they are all 5s.)
    let other = TcpClient::new(config);
    other.start_wait("127.0.0.1", addr.port()).unwrap();
    other.send(b"still here").unwrap();
    sink.until(
        |d| d.windows(10).any(|w| w == b"still here"),
        Duration::from_secs(30),
    );
    other.stop().unwrap();
    server.stop().unwrap();
}

#[test]
fn quic_transfer_survives_loss_delay_reordering_and_duplicates() {
    let _leaks = LeakCheck::start();
    let mib = transfer_mib(1);
    let data = payload(mib << 20, 6);
    let pki = Pki::new();
    let (server, sink) = quic_sink(&pki);
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

// ---- timers under the impaired network ----

#[test]
fn reconnect_follows_its_backoff_after_a_reset_and_delivers_again() {
    let _leaks = LeakCheck::start();
    let (server, addr, sink) = tcp_sink(None);
    let proxy = StreamProxy::start(
        addr,
        StreamFaults {
            delay: Duration::from_millis(1),
            split_period: 4096,
            split_len: 64,
            reset_at: Some(64 << 10),
            ..StreamFaults::default()
        },
    );
    let policy = ReconnectPolicy {
        initial_delay: Duration::from_millis(300),
        max_delay: Duration::from_secs(1),
        max_attempts: 5,
        jitter: 0.2,
    };
    let mut config = ClientConfig {
        reconnect: Some(policy),
        ..ClientConfig::default()
    };
    config.conn.framing = Framing::LengthPrefixed;
    let client = TcpClient::new(config);
    let events = Events::new();
    client.set_handlers(|h| record(h, &events));
    client.start_wait("127.0.0.1", proxy.port).unwrap();
    // Two 48 KiB messages: the proxy resets once it forwarded the read that crosses 64 KiB.
    let (first, second) = (payload(48 << 10, 11), payload(48 << 10, 12));
    client.send(&first).unwrap();
    client.send(&second).unwrap();
    let limit = Duration::from_secs(30);
    let (lost, _) = events
        .wait(|e| *e == Seen::Disconnected, limit)
        .expect("the reset is reported");
    let (back, _) = events
        .nth(|e| *e == Seen::Connected, 1, limit)
        .expect("reconnected");
    // The first retry waits initial_delay ± jitter: no sooner than 240 ms after the loss.
    assert!(
        back - lost >= Duration::from_millis(240),
        "reconnected {:?} after the loss",
        back - lost
    );
    let error = events.all().into_iter().find_map(|(_, e)| match e {
        Seen::Error(code) => Some(code),
        _ => None,
    });
    assert!(
        matches!(
            error,
            Some(ErrorCode::SendFailed | ErrorCode::ReceiveFailed)
        ),
        "{error:?}"
    );
    // The new connection delivers. Before it the server has whole messages only: none, the
    // first, or both (when the read that crossed 64 KiB held all of the second).
    client.send(b"after the reset").unwrap();
    let got = sink.until(|d| d.ends_with(b"after the reset"), limit);
    let before = &got[..got.len() - 15];
    let both = [&first[..], &second[..]].concat();
    assert!(
        before.is_empty() || before == &first[..] || before == &both[..],
        "{} bytes before",
        before.len()
    );
    assert_eq!(proxy.resets.load(std::sync::atomic::Ordering::SeqCst), 1);
    client.stop().unwrap();
    server.stop().unwrap();
}

#[test]
fn idle_timeout_spares_a_slow_connection_and_ends_a_silent_one_with_621() {
    let _leaks = LeakCheck::start();
    let mut config = ServerConfig {
        bind_address: "127.0.0.1".into(),
        ..ServerConfig::default()
    };
    config.conn.framing = Framing::LengthPrefixed;
    config.conn.idle_timeout = Some(Duration::from_secs(1));
    let server = TcpServer::new(config);
    let events = Events::new();
    let arrivals = Events::new();
    server.set_handlers(|h| {
        record(h, &events);
        let a = arrivals.clone();
        h.data = Some(Arc::new(move |_: &Session, d: &[u8]| a.push(d.to_vec())));
    });
    server.start(0).unwrap();
    let proxy = StreamProxy::start(
        server.local_addr().unwrap(),
        StreamFaults {
            delay: Duration::from_millis(100),
            ..StreamFaults::default()
        },
    );
    let mut config = ClientConfig::default();
    config.conn.framing = Framing::LengthPrefixed;
    let client = TcpClient::new(config);
    client.start_wait("127.0.0.1", proxy.port).unwrap();
    // Slow but alive: a message every 250 ms for 2 s, each held 100 ms by the proxy.
    for i in 0..8u8 {
        client.send(&[i; 100]).unwrap();
        thread::sleep(Duration::from_millis(250)); // the traffic's pace
    }
    let limit = Duration::from_secs(30);
    let (last, _) = arrivals.nth(|_| true, 7, limit).expect("8 messages");
    let got: Vec<Vec<u8>> = arrivals.all().into_iter().map(|(_, d)| d).collect();
    let sent: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 100]).collect();
    assert_eq!(got, sent);
    assert!(
        !events
            .all()
            .iter()
            .any(|(_, e)| matches!(e, Seen::Error(_))),
        "{:?}",
        events.all()
    );
    // Then the network goes silent: the client's next message is held for 4 s.
    proxy.stall(Duration::from_secs(4));
    client.send(b"held").unwrap();
    let (expired, _) = events
        .wait(|e| *e == Seen::Error(ErrorCode::SessionExpired), limit)
        .expect("the session expires with -621");
    assert!(
        expired - last >= Duration::from_secs(1),
        "expired {:?} after the last message",
        expired - last
    );
    events
        .wait(|e| *e == Seen::Disconnected, limit)
        .expect("and is reported disconnected");
    client.stop().unwrap();
    server.stop().unwrap();
}

#[test]
fn websocket_pings_keep_a_quiet_connection_and_a_silent_network_ends_it_with_1006() {
    let _leaks = LeakCheck::start();
    let (server, sink) = ws_sink();
    let proxy = StreamProxy::start(
        server.local_addr().unwrap(),
        StreamFaults {
            delay: Duration::from_millis(20),
            split_period: 1024,
            split_len: 16,
            ..StreamFaults::default()
        },
    );
    let mut config = WsClientConfig::default();
    config.ws.ping_interval = Some(Duration::from_millis(300));
    config.ws.pong_timeout = Duration::from_secs(1);
    let client = WsClient::new(config);
    let closed = Events::new();
    let errors = Events::new();
    client.set_handlers(|h| {
        let (c, e) = (closed.clone(), errors.clone());
        h.closed = Some(Arc::new(move |_: &WsConnection, code: u16, _: &str| {
            c.push(code)
        }));
        h.error = Some(Arc::new(move |_, err: &Error| e.push(err.code())));
    });
    client.start_wait("127.0.0.1", proxy.port).unwrap();
    // Quiet for 2 s: the pings (every 300 ms) are answered through the proxy.
    assert!(
        closed.wait(|_| true, Duration::from_secs(2)).is_none(),
        "closed while quiet: {:?}",
        errors.all()
    );
    client.send_binary(b"still open").unwrap();
    let limit = Duration::from_secs(30);
    assert_eq!(sink.until(|d| d == b"still open", limit), b"still open");
    // The network goes silent for 4 s: no pong within 1 s ends the connection.
    proxy.stall(Duration::from_secs(4));
    let (_, code) = closed.wait(|_| true, limit).expect("closed");
    assert_eq!(code, 1006);
    errors
        .wait(|c| *c == ErrorCode::ConnectionTimeout, limit)
        .expect("reported as -602");
    client.stop().unwrap();
    server.stop().unwrap();
}

#[test]
fn quic_keep_alive_holds_a_silent_connection_under_loss_and_one_without_expires_with_621() {
    let _leaks = LeakCheck::start();
    let pki = Pki::new();
    let (server, sink) = quic_sink(&pki);
    let addr = server.local_addr().unwrap();
    // A client through its own lossy proxy, idle timeout 1.5 s (the smaller side's applies).
    let connect = |keep_alive: Option<Duration>, seed: u64| {
        let proxy = DatagramProxy::start(addr, DatagramFaults::lossy(), seed);
        let mut config = QuicClientConfig {
            tls: client_tls(&pki),
            connect_timeout: Duration::from_secs(30),
            ..QuicClientConfig::default()
        };
        config.quic.max_idle_timeout = Duration::from_millis(1500);
        config.quic.keep_alive = keep_alive;
        let client = QuicClient::new(config);
        let (closed, errors) = (Events::new(), Events::new());
        client.set_handlers(|h| {
            let (c, e) = (closed.clone(), errors.clone());
            h.closed = Some(Arc::new(move |_: &QuicConnection| c.push(())));
            h.error = Some(Arc::new(move |_, err: &Error| e.push(err.code())));
        });
        client.start_wait("127.0.0.1", proxy.port).unwrap();
        (client, proxy, closed, errors, Instant::now())
    };
    let (kept, _kept_proxy, kept_closed, kept_errors, kept_start) =
        connect(Some(Duration::from_millis(300)), 21);
    let (silent, _silent_proxy, silent_closed, silent_errors, silent_start) = connect(None, 22);
    let limit = Duration::from_secs(30);
    let (expired, _) = silent_errors
        .wait(|c| *c == ErrorCode::SessionExpired, limit)
        .expect("the silent connection expires with -621");
    assert!(
        expired - silent_start >= Duration::from_millis(1200),
        "expired {:?} after connecting",
        expired - silent_start
    );
    silent_closed.wait(|_| true, limit).expect("and closes");
    // The kept-alive one stays open, silent, for 4 s (well over its idle timeout) under loss.
    let quiet_until = kept_start + Duration::from_secs(4);
    assert!(
        kept_closed
            .wait(
                |_| true,
                quiet_until.saturating_duration_since(Instant::now())
            )
            .is_none(),
        "closed: {:?}",
        kept_errors.all()
    );
    kept.send(b"kept alive").unwrap();
    assert_eq!(sink.until(|d| d == b"kept alive", limit), b"kept alive");
    kept.stop().unwrap();
    silent.stop().unwrap();
    server.stop().unwrap();
}
