//! Integration tests of the Rust HTTP API on loopback: our client against our server over
//! HTTP/1.1, h2c and h2 over TLS, and raw sockets for what our client never sends. The C++
//! suite (cpp-tests/http_test.cpp) covers every server feature through the C ABI.

#[path = "support/certs.rs"]
mod certs;
#[path = "support/ports.rs"]
mod ports;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use network_system::http::{
    HttpClient, HttpClientConfig, HttpRequest, HttpResponse, HttpServer, HttpServerConfig,
};
use network_system::tls::{ClientTlsConfig, PemSource, ServerTlsConfig};
use network_system::ErrorCode;

fn server(config: HttpServerConfig) -> (HttpServer, u16) {
    let server = HttpServer::new(HttpServerConfig {
        bind_address: "127.0.0.1".into(),
        ..config
    });
    server
        .route(
            "GET",
            "/users/:id",
            Arc::new(|r: &HttpRequest| {
                let body = format!(
                    "User ID: {} v={} {:?}",
                    r.path_param("id").unwrap_or("?"),
                    r.query_param("verbose").unwrap_or("-"),
                    r.version
                );
                Ok(HttpResponse::with_body(200, "text/plain", body))
            }),
        )
        .expect("route");
    server
        .route(
            "POST",
            "/echo",
            Arc::new(|r: &HttpRequest| {
                Ok(HttpResponse::with_body(
                    200,
                    "application/octet-stream",
                    r.body.clone(),
                ))
            }),
        )
        .expect("route");
    server
        .route(
            "GET",
            "/fail",
            Arc::new(|_: &HttpRequest| Err("boom".to_string())),
        )
        .expect("route");
    server.start(0).expect("start");
    let port = server.local_addr().expect("addr").port();
    (server, port)
}

fn raw(port: u16, request: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(request).expect("write");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn client_and_server_over_http1_and_h2c() {
    let (_server, port) = server(HttpServerConfig::default());
    let client = HttpClient::default();
    let url = format!("http://127.0.0.1:{port}/users/42");
    let q = vec![("verbose".to_string(), "1".to_string())];
    let r = client
        .request_blocking("GET", &url, &q, &[], Bytes::new())
        .expect("get");
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..], b"User ID: 42 v=1 HTTP/1.1");
    assert_eq!(r.header("content-type"), Some("text/plain"));

    let body: Vec<u8> = (0..300_000u32).map(|i| (i * 7) as u8).collect();
    let r = client
        .request_blocking(
            "POST",
            &format!("http://127.0.0.1:{port}/echo"),
            &[],
            &[],
            Bytes::from(body.clone()),
        )
        .expect("post");
    assert_eq!(r.body.as_ref(), &body[..]);

    let h2 = HttpClient::new(HttpClientConfig {
        http2_prior_knowledge: true,
        ..HttpClientConfig::default()
    });
    let r = h2
        .request_blocking("GET", &url, &[], &[], Bytes::new())
        .expect("h2c");
    assert_eq!(&r.body[..], b"User ID: 42 v=- HTTP/2.0");

    let r = client
        .request_blocking(
            "GET",
            &format!("http://127.0.0.1:{port}/fail"),
            &[],
            &[],
            Bytes::new(),
        )
        .expect("fail");
    assert_eq!(r.status, 500);
    let r = client
        .request_blocking(
            "GET",
            &format!("http://127.0.0.1:{port}/nope"),
            &[],
            &[],
            Bytes::new(),
        )
        .expect("404");
    assert_eq!(r.status, 404);
    let r = client
        .request_blocking("DELETE", &url, &[], &[], Bytes::new())
        .expect("405");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET"));
}

#[test]
fn h2_over_tls_with_verification() {
    let pki = certs::Pki::new();
    let (_server, port) = server(HttpServerConfig {
        tls: Some(ServerTlsConfig {
            cert_chain: Some(PemSource::Memory(pki.server.cert.clone().into_bytes())),
            private_key: Some(PemSource::Memory(pki.server.key.clone().into_bytes())),
            ..ServerTlsConfig::default()
        }),
        ..HttpServerConfig::default()
    });
    let trusting = HttpClient::new(HttpClientConfig {
        tls: ClientTlsConfig {
            ca: Some(PemSource::Memory(pki.ca.clone().into_bytes())),
            system_roots: false,
            ..ClientTlsConfig::default()
        },
        ..HttpClientConfig::default()
    });
    let url = format!("https://localhost:{port}/users/7");
    let r = trusting
        .request_blocking("GET", &url, &[], &[], Bytes::new())
        .expect("https");
    assert_eq!(&r.body[..], b"User ID: 7 v=- HTTP/2.0", "h2 through ALPN");

    let other = HttpClient::new(HttpClientConfig {
        tls: ClientTlsConfig {
            ca: Some(PemSource::Memory(certs::Pki::new().ca.into_bytes())),
            system_roots: false,
            ..ClientTlsConfig::default()
        },
        ..HttpClientConfig::default()
    });
    let e = other
        .request_blocking("GET", &url, &[], &[], Bytes::new())
        .expect_err("untrusted");
    assert!(
        matches!(
            e.code(),
            ErrorCode::CertificateError | ErrorCode::TlsHandshakeFailed
        ),
        "{e}"
    );
}

#[test]
fn bad_requests_get_their_status() {
    let (server, port) = server(HttpServerConfig {
        max_body_bytes: 1000,
        max_header_bytes: 8192,
        ..HttpServerConfig::default()
    });
    let r = raw(port, b"GARBAGE\r\n\r\n");
    assert!(r.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{r}");
    let big = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let r = raw(port, big.as_bytes());
    assert!(
        r.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{r}"
    );
    let r = raw(
        port,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
    );
    assert!(r.starts_with("HTTP/1.1 413 Payload Too Large\r\n"), "{r}");
    assert!(r.contains("Connection: close\r\n"), "{r}");
    // The server keeps serving.
    let r = raw(
        port,
        b"GET /users/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
    assert!(r.ends_with("User ID: 1 v=- HTTP/1.1"), "{r}");
    assert_eq!(
        server.stats().messages_in,
        2,
        "400 and 431 are answered by hyper before a request exists"
    );
}

#[test]
fn client_errors_have_codes() {
    let client = HttpClient::default();
    let e = client
        .request_blocking("GET", "not a url", &[], &[], Bytes::new())
        .expect_err("bad url");
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    // A port that refuses.
    let (_held, port) = ports::refusing_tcp_port();
    let e = client
        .request_blocking(
            "GET",
            &format!("http://127.0.0.1:{port}/"),
            &[],
            &[],
            Bytes::new(),
        )
        .expect_err("refused");
    assert_eq!(e.code(), ErrorCode::ConnectionRefused, "{e}");
    let e = client
        .request_blocking(
            "GET",
            "http://no-such-host.invalid/",
            &[],
            &[],
            Bytes::new(),
        )
        .expect_err("dns");
    assert_eq!(e.code(), ErrorCode::AddressResolutionFailed, "{e}");
}
