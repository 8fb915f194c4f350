//! DTLS on loopback: our client against our server (echo byte for byte, verification, the
//! cookie exchange keeping no state, bad input, idle expiry), and OpenSSL's `s_server` /
//! `s_client -dtls1_2` as independent peers (the `openssl` command; scripts/deps.sh installs it).

#[path = "support/certs.rs"]
mod certs;
#[path = "support/openssl_peer.rs"]
mod openssl_peer;

use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use certs::Pki;
use network_system::dtls::{
    DtlsClient, DtlsClientConfig, DtlsHandlers, DtlsServer, DtlsServerConfig,
};
use network_system::tls::PemSource;
use network_system::ErrorCode;
use openssl_peer::{Files, OpenSsl, WAIT};

#[derive(Debug, PartialEq)]
enum Event {
    Datagram(Vec<u8>, SocketAddr),
    Connected(SocketAddr),
    Disconnected(SocketAddr),
    Error(Option<SocketAddr>, ErrorCode),
}

/// Handlers reporting every event on a channel.
fn handlers() -> (DtlsHandlers, Receiver<Event>) {
    let (tx, rx) = channel();
    let tx: Arc<Mutex<Sender<Event>>> = Arc::new(Mutex::new(tx));
    let send = move |e| {
        let _ = tx.lock().unwrap().send(e);
    };
    let s = Arc::new(send);
    let (a, b, c, d) = (s.clone(), s.clone(), s.clone(), s);
    let h = DtlsHandlers {
        datagram: Some(Arc::new(move |data: &[u8], from| {
            a(Event::Datagram(data.to_vec(), from))
        })),
        connected: Some(Arc::new(move |p| b(Event::Connected(p)))),
        disconnected: Some(Arc::new(move |p| c(Event::Disconnected(p)))),
        error: Some(Arc::new(move |p, e: &network_system::Error| {
            d(Event::Error(p, e.code()))
        })),
    };
    (h, rx)
}

/// An echo server with `pair` as its certificate; events of the server on the receiver.
fn echo_server(
    pair: &certs::Pair,
    tweak: impl FnOnce(&mut DtlsServerConfig),
) -> (Arc<DtlsServer>, Receiver<Event>, u16) {
    let mut config = DtlsServerConfig::default();
    config.tls.cert_chain = Some(PemSource::Memory(pair.cert.clone().into_bytes()));
    config.tls.private_key = Some(PemSource::Memory(pair.key.clone().into_bytes()));
    config.udp.bind_address = "127.0.0.1".into();
    tweak(&mut config);
    let server = Arc::new(DtlsServer::new(config));
    let (mut h, rx) = handlers();
    let report = h.datagram.take();
    let weak = Arc::downgrade(&server);
    h.datagram = Some(Arc::new(move |data: &[u8], from| {
        if let Some(s) = weak.upgrade() {
            s.send_to(data, from).unwrap();
        }
        if let Some(f) = &report {
            f(data, from);
        }
    }));
    server.set_handlers(|x| *x = h);
    server.start(0).unwrap();
    let port = server.local_addr().unwrap().port();
    (server, rx, port)
}

fn client_config(pki: &Pki) -> DtlsClientConfig {
    let mut config = DtlsClientConfig::default();
    config.tls.system_roots = false;
    config.tls.ca = Some(PemSource::Memory(pki.ca.clone().into_bytes()));
    config
}

fn client(config: DtlsClientConfig, port: u16) -> (DtlsClient, Receiver<Event>) {
    let client = DtlsClient::new(config);
    let (h, rx) = handlers();
    client.set_handlers(|x| *x = h);
    client
        .start_wait("localhost", port)
        .expect("DTLS handshake");
    (client, rx)
}

fn next(rx: &Receiver<Event>) -> Event {
    rx.recv_timeout(WAIT).expect("event")
}

fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn five_clients_each_get_their_own_echoes_byte_exact() {
    let pki = Pki::new();
    let (server, srx, port) = echo_server(&pki.server, |_| {});
    let threads: Vec<_> = (0..5u64)
        .map(|n| {
            let config = client_config(&pki);
            std::thread::spawn(move || {
                let (c, rx) = client(config, port);
                assert!(matches!(next(&rx), Event::Connected(_)));
                let mut seed = 0x9e37_79b9_7f4a_7c15 ^ (n + 1);
                for i in 0..200 {
                    let len = 1 + (xorshift(&mut seed) % 1300) as usize;
                    let data: Vec<u8> = (0..len).map(|_| xorshift(&mut seed) as u8).collect();
                    c.send(&data).unwrap();
                    match next(&rx) {
                        Event::Datagram(got, _) => assert_eq!(got, data, "client {n} datagram {i}"),
                        other => panic!("client {n}: {other:?}"),
                    }
                }
                c.stats()
            })
        })
        .collect();
    for t in threads {
        let stats = t.join().unwrap();
        assert_eq!((stats.messages_out, stats.messages_in), (200, 200));
    }
    assert_eq!(server.stats().messages_in, 1000);
    assert_eq!(server.stats().connections_total, 5);
    let connected = srx
        .try_iter()
        .filter(|e| matches!(e, Event::Connected(_)))
        .count();
    assert_eq!(connected, 5);
}

#[test]
fn refused_certificates_are_606_and_nothing_is_delivered() {
    let pki = Pki::new();
    for pair in [&pki.untrusted, &pki.wrong_name, &pki.expired] {
        let (server, srx, port) = echo_server(pair, |_| {});
        let c = DtlsClient::new(client_config(&pki));
        let err = c.start_wait("localhost", port).unwrap_err();
        assert_eq!(err.code(), ErrorCode::CertificateError, "{err}");
        assert!(!c.is_connected());
        assert_eq!(
            c.send(b"x").unwrap_err().code(),
            ErrorCode::ConnectionClosed
        );
        assert_eq!(server.stats().messages_in, 0);
        assert!(srx
            .try_iter()
            .all(|e| !matches!(e, Event::Connected(_) | Event::Datagram(..))));
    }
    // Verification off accepts any certificate.
    let (_server, _srx, port) = echo_server(&pki.untrusted, |_| {});
    let mut config = client_config(&pki);
    config.tls.verify = false;
    let (c, rx) = client(config, port);
    assert!(matches!(next(&rx), Event::Connected(_)));
    c.send(b"unverified").unwrap();
    assert!(matches!(next(&rx), Event::Datagram(d, _) if d == b"unverified"));
}

#[test]
fn server_certificate_missing_is_606_naming_the_file() {
    let server = DtlsServer::new(DtlsServerConfig {
        tls: network_system::tls::ServerTlsConfig {
            cert_chain: Some(PemSource::File("/nonexistent/dtls.pem".into())),
            private_key: Some(PemSource::File("/nonexistent/dtls.key".into())),
            ..Default::default()
        },
        ..Default::default()
    });
    let err = server.start(0).unwrap_err();
    assert_eq!(err.code(), ErrorCode::CertificateError);
    assert!(err.message().contains("/nonexistent/dtls.pem"), "{err}");
    assert!(!server.is_running());
}

#[test]
fn oversized_send_is_642_and_the_session_keeps_working() {
    let pki = Pki::new();
    let (_server, _srx, port) = echo_server(&pki.server, |_| {});
    let (c, rx) = client(client_config(&pki), port);
    assert!(matches!(next(&rx), Event::Connected(_)));
    let err = c.send(&vec![7u8; 1400]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::MessageTooLarge, "{err}");
    // The largest payload one AES-GCM record carries within a 1 400-byte MTU.
    assert_eq!(
        c.send(&vec![7u8; 1364]).unwrap_err().code(),
        ErrorCode::MessageTooLarge
    );
    c.send(&vec![7u8; 1363]).unwrap();
    assert!(matches!(next(&rx), Event::Datagram(d, _) if d.len() == 1363));
    c.send(b"after").unwrap();
    assert!(matches!(next(&rx), Event::Datagram(d, _) if d == b"after"));
}

#[test]
fn plaintext_and_cookieless_hellos_leave_no_state() {
    let pki = Pki::new();
    let (server, _srx, port) = echo_server(&pki.server, |_| {});
    let to = SocketAddr::from(([127, 0, 0, 1], port));
    // Plaintext: dropped and counted.
    let raw = UdpSocket::bind("127.0.0.1:0").unwrap();
    raw.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    raw.send_to(b"plain text, not DTLS", to).unwrap();
    // A genuine ClientHello (captured from our client aimed at a socket that never answers),
    // replayed from a source that never returns the cookie: answered, nothing kept.
    let trap = UdpSocket::bind("127.0.0.1:0").unwrap();
    trap.set_read_timeout(Some(WAIT)).unwrap();
    let probe = DtlsClient::new(client_config(&pki));
    probe
        .start("localhost", trap.local_addr().unwrap().port())
        .unwrap();
    let mut hello = vec![0u8; 2048];
    let n = trap.recv(&mut hello).unwrap();
    probe.stop().unwrap();
    raw.send_to(&hello[..n], to).unwrap();
    let mut reply = vec![0u8; 2048];
    let m = raw.recv(&mut reply).expect("HelloVerifyRequest");
    // A handshake record (22) carrying a HelloVerifyRequest (handshake type 3).
    assert_eq!((reply[0], reply[13]), (22, 3), "{:?}", &reply[..m]);
    assert_eq!(server.session_count(), 0);
    assert!(server.stats().dropped >= 1);
    // Real clients still get through.
    let (c, rx) = client(client_config(&pki), port);
    assert!(matches!(next(&rx), Event::Connected(_)));
    c.send(b"still serving").unwrap();
    assert!(matches!(next(&rx), Event::Datagram(d, _) if d == b"still serving"));
    assert_eq!(server.session_count(), 1);
}

#[test]
fn idle_peer_expires_with_621_and_others_are_unaffected() {
    let pki = Pki::new();
    let (server, srx, port) =
        echo_server(&pki.server, |c| c.idle_timeout = Duration::from_millis(300));
    let (busy, brx) = client(client_config(&pki), port);
    assert!(matches!(next(&brx), Event::Connected(_)));
    let (silent, _qrx) = client(client_config(&pki), port);
    assert_eq!(server.peers().len(), 2);
    // The busy one talks every 50 ms (its echo's pace) until the server ended the other.
    let mut expired = None;
    for i in 0..200 {
        busy.send(format!("tick {i}").as_bytes()).unwrap();
        assert!(matches!(next(&brx), Event::Datagram(..)));
        while let Ok(e) = srx.recv_timeout(Duration::from_millis(50)) {
            if let Event::Error(Some(a), ErrorCode::SessionExpired) = e {
                expired = Some(a);
            }
        }
        if expired.is_some() {
            break;
        }
    }
    let expired = expired.expect("the silent peer expired");
    assert_eq!(server.peers().len(), 1);
    assert_ne!(Some(expired), server.peers().first().copied());
    busy.send(b"after").unwrap();
    assert!(matches!(next(&brx), Event::Datagram(d, _) if d == b"after"));
    drop(silent);
}

#[test]
fn openssl_s_server_dtls_accepts_our_client() {
    let pki = Pki::new();
    let files = Files::new(&pki);
    let (mut server, port) = OpenSsl::s_server(&files, &["-dtls1_2"]);
    let (c, rx) = client(client_config(&pki), port);
    assert!(matches!(next(&rx), Event::Connected(_)));
    c.send(b"hello-from-network_system\n").unwrap();
    server.expect_line("hello-from-network_system");
    server.send_line("4242 reply from openssl");
    match next(&rx) {
        Event::Datagram(d, _) => assert_eq!(d, b"4242 reply from openssl\n"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn openssl_s_client_dtls_talks_to_our_server() {
    let pki = Pki::new();
    let files = Files::new(&pki);
    let (server, srx, port) = echo_server(&pki.server, |_| {});
    let target = format!("127.0.0.1:{port}");
    let mut client = OpenSsl::spawn(&[
        "s_client",
        "-dtls1_2",
        "-connect",
        &target,
        "-CAfile",
        &files.path("ca.pem"),
        "-verify_return_error",
        "-servername",
        "localhost",
        "-quiet",
    ]);
    assert!(matches!(next(&srx), Event::Connected(_)));
    client.send_line("ping from openssl");
    // The echo comes back to s_client, which prints it.
    client.expect_line("ping from openssl");
    match next(&srx) {
        Event::Datagram(d, _) => assert_eq!(d, b"ping from openssl\n"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.stats().messages_in, 1);
}

/// A UDP proxy between one client and `server` that forwards everything, sends each client
/// datagram twice (a replay right behind the original), and keeps the client's records of
/// application data (content type 23) to replay later.
struct ReplayProxy {
    socket: UdpSocket,
    server: SocketAddr,
    recorded: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl ReplayProxy {
    fn start(server: SocketAddr) -> (u16, Arc<ReplayProxy>) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let proxy = Arc::new(ReplayProxy {
            socket,
            server,
            recorded: Arc::new(Mutex::new(Vec::new())),
        });
        let p = proxy.clone();
        std::thread::spawn(move || {
            let mut client = None;
            let mut buf = vec![0u8; 65_536];
            // Ends when the test drops its reference (the proxy is then the only one left).
            while Arc::strong_count(&p) > 1 {
                let Ok((n, from)) = p.socket.recv_from(&mut buf) else {
                    continue;
                };
                let d = &buf[..n];
                if from == p.server {
                    if let Some(c) = client {
                        let _ = p.socket.send_to(d, c);
                    }
                } else {
                    client = Some(from);
                    let _ = p.socket.send_to(d, p.server);
                    let _ = p.socket.send_to(d, p.server);
                    if d.first() == Some(&23) {
                        p.recorded.lock().unwrap().push(d.to_vec());
                    }
                }
            }
        });
        (port, proxy)
    }

    fn replay_recorded(&self) -> usize {
        let recorded = self.recorded.lock().unwrap().clone();
        for d in &recorded {
            self.socket.send_to(d, self.server).unwrap();
        }
        recorded.len()
    }
}

#[test]
fn replayed_records_are_dropped() {
    let pki = Pki::new();
    let (server, srx, port) = echo_server(&pki.server, |_| {});
    let (proxy_port, proxy) = ReplayProxy::start(SocketAddr::from(([127, 0, 0, 1], port)));
    let (c, rx) = client(client_config(&pki), proxy_port);
    assert!(matches!(next(&rx), Event::Connected(_)));
    for i in 0..20u8 {
        c.send(&[i; 10]).unwrap();
        match next(&rx) {
            Event::Datagram(d, _) => assert_eq!(d, vec![i; 10]),
            other => panic!("{other:?}"),
        }
    }
    // Every record arrived twice, and the recorded ones come again later: delivered once.
    assert_eq!(proxy.replay_recorded(), 20);
    // A last datagram, sent after the replays: its echo means the replays were processed.
    c.send(b"last").unwrap();
    match next(&rx) {
        Event::Datagram(d, _) => assert_eq!(d, b"last"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.stats().messages_in, 21);
    let delivered = srx
        .try_iter()
        .filter(|e| matches!(e, Event::Datagram(..)))
        .count();
    assert_eq!(delivered, 21);
    assert!(rx.try_recv().is_err(), "no extra echo reached the client");
}

#[test]
fn silent_server_is_a_handshake_timeout_602() {
    let pki = Pki::new();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut config = client_config(&pki);
    config.tls.handshake_timeout = Duration::from_millis(300);
    let c = DtlsClient::new(config);
    let err = c
        .start_wait("localhost", silent.local_addr().unwrap().port())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ConnectionTimeout, "{err}");
    assert!(!c.is_running());
    // Its ClientHello did arrive (and nothing answered it).
    let mut buf = [0u8; 2048];
    silent
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    assert!(silent.recv(&mut buf).is_ok_and(|n| n > 13 && buf[0] == 22));
}

#[test]
fn sessions_beyond_the_limit_are_refused_others_unaffected() {
    let pki = Pki::new();
    let (server, _srx, port) = echo_server(&pki.server, |c| c.max_sessions = 1);
    let (first, frx) = client(client_config(&pki), port);
    assert!(matches!(next(&frx), Event::Connected(_)));
    let mut config = client_config(&pki);
    config.tls.handshake_timeout = Duration::from_millis(300);
    let second = DtlsClient::new(config);
    let err = second.start_wait("localhost", port).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ConnectionTimeout, "{err}");
    assert_eq!(server.session_count(), 1);
    assert!(server.stats().dropped >= 1);
    first.send(b"still one").unwrap();
    assert!(matches!(next(&frx), Event::Datagram(d, _) if d == b"still one"));
}

#[test]
fn pinned_certificate_is_accepted_and_another_refused_606() {
    let pki = Pki::new();
    let (_server, _srx, port) = echo_server(&pki.server, |_| {});
    let der = openssl::x509::X509::from_pem(pki.server.cert.as_bytes())
        .and_then(|c| c.to_der())
        .unwrap();
    let pin = network_system::tls::certificate_sha256(&der);
    let mut good = client_config(&pki);
    good.tls.pins = vec![pin];
    let (c, rx) = client(good, port);
    assert!(matches!(next(&rx), Event::Connected(_)));
    let mut bad = client_config(&pki);
    bad.tls.pins = vec![[0u8; 32]];
    let err = DtlsClient::new(bad)
        .start_wait("localhost", port)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::CertificateError, "{err}");
    c.send(b"pinned").unwrap();
    assert!(matches!(next(&rx), Event::Datagram(d, _) if d == b"pinned"));
}
