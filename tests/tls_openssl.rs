//! Interop with an independent TLS implementation: `openssl s_server` accepts our client and
//! `openssl s_client` (TLS 1.2-only and 1.3-only) talks to our server, bytes checked in both
//! directions. Needs the `openssl` command (scripts/deps.sh installs it); installs nothing.

#[path = "support/certs.rs"]
mod certs;
#[path = "support/openssl_peer.rs"]
mod openssl_peer;

use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};

use certs::Pki;
use network_system::tcp::{ClientConfig, ServerConfig, TcpClient, TcpServer};
use network_system::tls::{ClientTlsConfig, PemSource, ServerTlsConfig};
use network_system::Session;
use openssl_peer::{Files, OpenSsl, WAIT};

#[test]
fn openssl_s_server_accepts_our_client() {
    let pki = Pki::new();
    let files = Files::new(&pki);
    let (mut server, port) = OpenSsl::s_server(&files, &[]);

    let client = TcpClient::new(ClientConfig {
        tls: Some(ClientTlsConfig {
            system_roots: false,
            ca: Some(PemSource::File(files.dir.join("ca.pem"))),
            ..ClientTlsConfig::default()
        }),
        ..ClientConfig::default()
    });
    let (tx, rx) = channel::<Vec<u8>>();
    let tx = Mutex::new(tx);
    client.set_handlers(|h| {
        h.data = Some(Arc::new(move |_: &Session, d: &[u8]| {
            let _ = tx.lock().unwrap().send(d.to_vec());
        }))
    });
    client
        .start_wait("127.0.0.1", port)
        .expect("handshake with openssl s_server");
    client.send(b"hello-from-network_system\n").unwrap();
    server.expect_line("hello-from-network_system");

    server.send_line("4242 reply from openssl");
    let mut got = Vec::new();
    while !got.ends_with(b"\n") {
        got.extend(rx.recv_timeout(WAIT).expect("reply from openssl"));
    }
    assert_eq!(got, b"4242 reply from openssl\n");
    client.stop().unwrap();
}

#[test]
fn openssl_s_client_talks_to_our_server_tls12_and_tls13() {
    let pki = Pki::new();
    let files = Files::new(&pki);
    let server = TcpServer::new(ServerConfig {
        bind_address: "127.0.0.1".into(),
        tls: Some(ServerTlsConfig {
            cert_chain: Some(PemSource::File(files.dir.join("server.pem"))),
            private_key: Some(PemSource::File(files.dir.join("server.key"))),
            ..ServerTlsConfig::default()
        }),
        ..ServerConfig::default()
    });
    let versions = Arc::new(Mutex::new(Vec::new()));
    let seen = versions.clone();
    server.set_handlers(|h| {
        h.data = Some(Arc::new(|s: &Session, d: &[u8]| {
            let mut reply = b"echo:".to_vec();
            reply.extend_from_slice(d);
            let _ = s.send(&reply);
        }));
        h.connected = Some(Arc::new(move |s: &Session| {
            if let Some(info) = s.tls_info() {
                seen.lock().unwrap().push(info.version.clone());
            }
        }));
    });
    server.start(0).unwrap();
    let port = server.local_addr().unwrap().port().to_string();
    let target = format!("127.0.0.1:{port}");
    for flag in ["-tls1_2", "-tls1_3"] {
        let mut client = OpenSsl::spawn(&[
            "s_client",
            flag,
            "-connect",
            &target,
            "-CAfile",
            &files.path("ca.pem"),
            "-verify_return_error",
            "-verify_ip",
            "127.0.0.1",
            "-quiet",
        ]);
        client.send_line(&format!("ping over {flag}"));
        client.expect_line(&format!("echo:ping over {flag}"));
    }
    server.stop().unwrap();
    assert_eq!(*versions.lock().unwrap(), vec!["TLSv1.2", "TLSv1.3"]);
}
