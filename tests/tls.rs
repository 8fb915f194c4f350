//! TLS over the shared connection layer, with certificates made at test time (rcgen).

#[path = "support/certs.rs"]
mod certs;

use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use certs::{fixed_key_chain, Pair, Pki};
use network_system::tcp::{ClientConfig, ServerConfig, TcpClient, TcpServer};
use network_system::tls::{
    certificate_sha256, ClientTlsConfig, PemSource, ServerTlsConfig, TlsVersions,
};
use network_system::{ErrorCode, Framing, Session};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

const WAIT: Duration = Duration::from_secs(20);

fn mem(s: &str) -> Option<PemSource> {
    Some(PemSource::Memory(s.as_bytes().to_vec()))
}

fn server_tls(pair: &Pair) -> ServerTlsConfig {
    ServerTlsConfig {
        cert_chain: mem(&pair.cert),
        private_key: mem(&pair.key),
        ..ServerTlsConfig::default()
    }
}

fn client_tls(pki: &Pki) -> ClientTlsConfig {
    ClientTlsConfig {
        system_roots: false,
        ca: mem(&pki.ca),
        ..ClientTlsConfig::default()
    }
}

struct Echo {
    server: TcpServer,
    port: u16,
    errors: Receiver<ErrorCode>,
    connected: Receiver<Session>,
}

fn echo_server(tls: ServerTlsConfig, framing: Framing) -> Echo {
    let mut config = ServerConfig {
        bind_address: "127.0.0.1".into(),
        tls: Some(tls),
        ..ServerConfig::default()
    };
    config.conn.framing = framing;
    let server = TcpServer::new(config);
    let (err_tx, errors) = channel();
    let (conn_tx, connected) = channel();
    let (err_tx, conn_tx) = (Mutex::new(err_tx), Mutex::new(conn_tx));
    server.set_handlers(|h| {
        h.data = Some(Arc::new(|s: &Session, d: &[u8]| {
            let _ = s.send(d);
        }));
        h.error = Some(Arc::new(move |_, e| {
            let _ = err_tx.lock().unwrap().send(e.code());
        }));
        h.connected = Some(Arc::new(move |s: &Session| {
            let _ = conn_tx.lock().unwrap().send(s.clone());
        }));
    });
    server.start(0).expect("tls server start");
    let port = server.local_addr().unwrap().port();
    Echo {
        server,
        port,
        errors,
        connected,
    }
}

fn client(tls: ClientTlsConfig, framing: Framing) -> (TcpClient, Receiver<Vec<u8>>) {
    let mut config = ClientConfig {
        tls: Some(tls),
        ..ClientConfig::default()
    };
    config.conn.framing = framing;
    let client = TcpClient::new(config);
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    client.set_handlers(|h| {
        h.data = Some(Arc::new(move |_: &Session, d: &[u8]| {
            let _ = tx.lock().unwrap().send(d.to_vec());
        }))
    });
    (client, rx)
}

fn collect(rx: &Receiver<Vec<u8>>, len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < len {
        out.extend(rx.recv_timeout(WAIT).expect("data in time"));
    }
    out
}

fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn echo_is_byte_exact_raw_and_framed() {
    let pki = Pki::new();
    for framing in [Framing::Raw, Framing::LengthPrefixed] {
        let echo = echo_server(server_tls(&pki.server), framing);
        let (c, rx) = client(client_tls(&pki), framing);
        c.start_wait("127.0.0.1", echo.port).expect("handshake");
        let mut seed = 0x2545_f491_4f6c_dd1d;
        let mut sent = Vec::new();
        let mut messages = Vec::new();
        for _ in 0..20 {
            let n = 1 + (xorshift(&mut seed) % (1 << 20)) as usize;
            let msg: Vec<u8> = (0..n).map(|_| xorshift(&mut seed) as u8).collect();
            sent.extend_from_slice(&msg);
            messages.push(msg.clone());
            c.send(&msg).unwrap();
            // keep the queue under its limit: wait for this echo before the next big one
            if framing == Framing::LengthPrefixed {
                assert_eq!(rx.recv_timeout(WAIT).unwrap(), msg);
            } else {
                let got = collect(&rx, msg.len());
                assert_eq!(got, msg);
            }
        }
        let info = c.session().unwrap().tls_info().cloned().unwrap();
        assert_eq!(info.version, "TLSv1.3");
        assert_eq!(c.stats().bytes_in, sent.len() as u64);
        drop(echo);
    }
}

#[test]
fn protocol_versions() {
    let pki = Pki::new();
    let only12 = ServerTlsConfig {
        versions: TlsVersions::Tls12Only,
        ..server_tls(&pki.server)
    };
    let echo = echo_server(only12, Framing::Raw);
    let (c, rx) = client(client_tls(&pki), Framing::Raw);
    c.start_wait("127.0.0.1", echo.port).unwrap();
    assert_eq!(c.session().unwrap().tls_info().unwrap().version, "TLSv1.2");
    let server_side = echo.connected.recv_timeout(WAIT).unwrap();
    assert_eq!(server_side.tls_info().unwrap().version, "TLSv1.2");
    c.send(b"twelve").unwrap();
    assert_eq!(collect(&rx, 6), b"twelve");

    let only13 = ServerTlsConfig {
        versions: TlsVersions::Tls13Only,
        ..server_tls(&pki.server)
    };
    let echo13 = echo_server(only13, Framing::Raw);
    let (c12, _) = client(
        ClientTlsConfig {
            versions: TlsVersions::Tls12Only,
            ..client_tls(&pki)
        },
        Framing::Raw,
    );
    let err = c12.start_wait("127.0.0.1", echo13.port).unwrap_err();
    assert_eq!(err.code(), ErrorCode::TlsHandshakeFailed, "{err}");
    assert_eq!(
        echo13.errors.recv_timeout(WAIT).unwrap(),
        ErrorCode::TlsHandshakeFailed
    );
    let (c13, _) = client(
        ClientTlsConfig {
            versions: TlsVersions::Tls13Only,
            ..client_tls(&pki)
        },
        Framing::Raw,
    );
    c13.start_wait("127.0.0.1", echo13.port).unwrap();
    assert_eq!(
        c13.session().unwrap().tls_info().unwrap().version,
        "TLSv1.3"
    );
}

#[test]
fn alpn_is_negotiated_and_visible() {
    let pki = Pki::new();
    let tls = ServerTlsConfig {
        alpn: vec![b"h2".to_vec(), b"ns/1".to_vec()],
        ..server_tls(&pki.server)
    };
    let echo = echo_server(tls, Framing::Raw);
    let (c, _) = client(
        ClientTlsConfig {
            alpn: vec![b"ns/1".to_vec()],
            ..client_tls(&pki)
        },
        Framing::Raw,
    );
    c.start_wait("127.0.0.1", echo.port).unwrap();
    assert_eq!(
        c.session().unwrap().tls_info().unwrap().alpn.as_deref(),
        Some(&b"ns/1"[..])
    );
    let s = echo.connected.recv_timeout(WAIT).unwrap();
    assert_eq!(s.tls_info().unwrap().alpn.as_deref(), Some(&b"ns/1"[..]));
}

#[test]
fn mutual_tls_accepts_and_refuses() {
    let pki = Pki::new();
    let tls = ServerTlsConfig {
        client_ca: mem(&pki.ca),
        ..server_tls(&pki.server)
    };
    let echo = echo_server(tls, Framing::Raw);
    let with_cert = ClientTlsConfig {
        client_cert: Some((
            PemSource::Memory(pki.client.cert.clone().into_bytes()),
            PemSource::Memory(pki.client.key.clone().into_bytes()),
        )),
        ..client_tls(&pki)
    };
    let (good, rx) = client(with_cert, Framing::Raw);
    good.start_wait("127.0.0.1", echo.port).unwrap();
    good.send(b"mtls").unwrap();
    assert_eq!(collect(&rx, 4), b"mtls");
    echo.connected.recv_timeout(WAIT).unwrap();

    let (anonymous, _) = client(client_tls(&pki), Framing::Raw);
    // TLS 1.3: the client may finish its side before the server refuses; either way the
    // server never reports the session and says why.
    let _ = anonymous.start_wait("127.0.0.1", echo.port);
    assert_eq!(
        echo.errors.recv_timeout(WAIT).unwrap(),
        ErrorCode::CertificateError
    );
    assert!(echo
        .connected
        .recv_timeout(Duration::from_millis(200))
        .is_err());
    assert!(anonymous.wait_for_stop().is_ok());
}

fn start_error(pki: &Pki, server: &Pair, tls: ClientTlsConfig) -> (network_system::Error, Echo) {
    let echo = echo_server(server_tls(server), Framing::Raw);
    let _ = pki;
    let (c, _) = client(tls, Framing::Raw);
    let err = c.start_wait("127.0.0.1", echo.port).unwrap_err();
    assert!(!c.is_connected());
    assert!(
        echo.connected
            .recv_timeout(Duration::from_millis(100))
            .is_err(),
        "no session"
    );
    (err, echo)
}

#[test]
fn bad_server_certificates_are_refused_with_a_reason() {
    let pki = Pki::new();
    let (e, _) = start_error(&pki, &pki.untrusted, client_tls(&pki));
    assert_eq!(e.code(), ErrorCode::CertificateError);
    assert!(e.message().contains("untrusted"), "{e}");
    let (e, _) = start_error(&pki, &pki.expired, client_tls(&pki));
    assert_eq!(e.code(), ErrorCode::CertificateError);
    assert!(e.message().contains("expired"), "{e}");
    let (e, _) = start_error(&pki, &pki.wrong_name, client_tls(&pki));
    assert_eq!(e.code(), ErrorCode::CertificateError);
    assert!(e.message().contains("name"), "{e}");
    // Pin mismatch: a valid chain whose leaf digest is not pinned.
    let pinned = ClientTlsConfig {
        pins: vec![[0u8; 32]],
        ..client_tls(&pki)
    };
    let (e, _) = start_error(&pki, &pki.server, pinned);
    assert_eq!(e.code(), ErrorCode::CertificateError);
    assert!(e.message().contains("pin"), "{e}");
}

#[test]
fn pinning_accepts_the_pinned_certificate() {
    let pki = Pki::new();
    let der = CertificateDer::from_pem_slice(pki.server.cert.as_bytes()).unwrap();
    let echo = echo_server(server_tls(&pki.server), Framing::Raw);
    let (c, _) = client(
        ClientTlsConfig {
            pins: vec![certificate_sha256(&der)],
            ..client_tls(&pki)
        },
        Framing::Raw,
    );
    c.start_wait("127.0.0.1", echo.port).unwrap();
}

#[test]
fn verification_off_accepts_any_certificate() {
    let pki = Pki::new();
    let echo = echo_server(server_tls(&pki.untrusted), Framing::Raw);
    let (c, rx) = client(
        ClientTlsConfig {
            verify: false,
            system_roots: false,
            ..ClientTlsConfig::default()
        },
        Framing::Raw,
    );
    let warnings = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = warnings.clone();
    network_system::log::set_sink(
        network_system::log::Level::Warn,
        Some(Arc::new(move |_, _: &str, msg: &str| {
            sink.lock().unwrap().push(msg.to_string())
        })),
    );
    c.start_wait("127.0.0.1", echo.port).unwrap();
    network_system::log::set_sink(network_system::log::Level::Off, None);
    c.send(b"anyway").unwrap();
    assert_eq!(collect(&rx, 6), b"anyway");
    assert!(
        warnings
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.contains("verification is disabled for 127.0.0.1")),
        "a warning is logged when verification is off"
    );
}

#[test]
fn missing_or_garbled_material_is_a_certificate_error() {
    let pki = Pki::new();
    let cases = [
        (
            PemSource::File("/nonexistent/server.pem".into()),
            mem(&pki.server.key).unwrap(),
            "/nonexistent/server.pem",
        ),
        (
            PemSource::Memory(b"not a certificate".to_vec()),
            mem(&pki.server.key).unwrap(),
            "certificate",
        ),
        (
            mem(&pki.server.cert).unwrap(),
            PemSource::Memory(
                b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n".to_vec(),
            ),
            "private key",
        ),
        (
            mem(&pki.server.cert).unwrap(),
            mem(&pki.client.key).unwrap(),
            "do not fit",
        ),
    ];
    for (cert, key, mentions) in cases {
        let server = TcpServer::new(ServerConfig {
            bind_address: "127.0.0.1".into(),
            tls: Some(ServerTlsConfig {
                cert_chain: Some(cert),
                private_key: Some(key),
                ..ServerTlsConfig::default()
            }),
            ..ServerConfig::default()
        });
        let err = server.start(0).unwrap_err();
        assert_eq!(err.code(), ErrorCode::CertificateError, "{err}");
        assert!(
            err.message().contains(mentions),
            "'{err}' should mention '{mentions}'"
        );
        assert!(!server.is_running());
    }
    let c = TcpClient::new(ClientConfig {
        tls: Some(ClientTlsConfig {
            system_roots: false,
            ca: Some(PemSource::File("/nonexistent/ca.pem".into())),
            ..ClientTlsConfig::default()
        }),
        ..ClientConfig::default()
    });
    let err = c.start("127.0.0.1", 1).unwrap_err();
    assert_eq!(err.code(), ErrorCode::CertificateError);
    assert!(err.message().contains("/nonexistent/ca.pem"), "{err}");
    assert!(!c.is_running());
}

#[test]
fn key_formats_pkcs8_pkcs1_sec1_from_files() {
    let dir = std::env::temp_dir().join(format!("ns-tls-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (pkcs8, other) in [
        ("rsa_pkcs8.pem", "rsa_pkcs1.pem"),
        ("ec_pkcs8.pem", "ec_sec1.pem"),
    ] {
        let pkcs8_pem = std::fs::read_to_string(fixtures.join(pkcs8)).unwrap();
        let (ca, cert) = fixed_key_chain(&pkcs8_pem);
        let cert_file = dir.join(format!("{other}.crt"));
        std::fs::write(&cert_file, cert).unwrap();
        for key in [pkcs8, other] {
            let echo = echo_server(
                ServerTlsConfig {
                    cert_chain: Some(PemSource::File(cert_file.clone())),
                    private_key: Some(PemSource::File(fixtures.join(key))),
                    ..ServerTlsConfig::default()
                },
                Framing::Raw,
            );
            let (c, rx) = client(
                ClientTlsConfig {
                    system_roots: false,
                    ca: mem(&ca),
                    ..ClientTlsConfig::default()
                },
                Framing::Raw,
            );
            c.start_wait("localhost", echo.port)
                .unwrap_or_else(|e| panic!("{key}: {e}"));
            c.send(key.as_bytes()).unwrap();
            assert_eq!(collect(&rx, key.len()), key.as_bytes());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn handshake_timeout_when_the_peer_never_answers() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let pki = Pki::new();
    let (c, _) = client(
        ClientTlsConfig {
            handshake_timeout: Duration::from_millis(200),
            ..client_tls(&pki)
        },
        Framing::Raw,
    );
    let err = c.start_wait("127.0.0.1", port).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ConnectionTimeout, "{err}");
    drop(silent);
}

#[test]
fn plaintext_client_is_refused_and_others_keep_working() {
    let pki = Pki::new();
    let echo = echo_server(server_tls(&pki.server), Framing::Raw);
    let plain = TcpClient::default();
    plain.start_wait("127.0.0.1", echo.port).unwrap();
    plain.send(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(
        echo.errors.recv_timeout(WAIT).unwrap(),
        ErrorCode::TlsHandshakeFailed
    );
    assert!(plain.wait_for_stop().is_ok()); // the server closed it

    let (c, rx) = client(client_tls(&pki), Framing::Raw);
    c.start_wait("127.0.0.1", echo.port).unwrap();
    c.send(b"still served").unwrap();
    assert_eq!(collect(&rx, 12), b"still served");
    assert!(echo.server.stats().errors >= 1);
}

/// 10 000 framed sends of 64 bytes in a loop are echoed back through TLS byte for byte and in
/// order, and leave the client in far fewer writes into the TLS stream than messages.
#[test]
fn per_message_sends_coalesce() {
    const MESSAGES: usize = 10_000;
    let pki = Pki::new();
    let echo = echo_server(server_tls(&pki.server), Framing::LengthPrefixed);
    let (c, rx) = client(client_tls(&pki), Framing::LengthPrefixed);
    c.start_wait("127.0.0.1", echo.port).expect("handshake");
    let message = |i: usize| -> Vec<u8> { (0..64).map(|k| (i * 31 + k) as u8).collect() };
    for i in 0..MESSAGES {
        c.send(&message(i)).expect("send");
    }
    for i in 0..MESSAGES {
        assert_eq!(rx.recv_timeout(WAIT).expect("echo in time"), message(i));
    }
    let stats = c.stats();
    assert_eq!(stats.messages_out, MESSAGES as u64);
    // As in the TCP test: far fewer in release (CI), fewer in a slow debug build.
    let per_write = if cfg!(debug_assertions) { 2 } else { 10 };
    assert!(
        stats.writes * per_write <= MESSAGES as u64,
        "{} writes for {MESSAGES} messages: sends did not coalesce",
        stats.writes
    );
    drop(echo);
}
