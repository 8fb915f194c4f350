//! Writes the seed corpora of the fuzz targets: hand-made inputs, and the first flight of our
//! own TLS, QUIC and DTLS clients captured on loopback (a socket of ours plays the server).
//! Run by `scripts/fuzz.sh seeds`; the output is committed under fuzz/corpus and fuzz/seeds.

use std::fs;
use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::time::Duration;

use network_system::dtls::{DtlsClient, DtlsClientConfig};
use network_system::quic::{QuicClient, QuicClientConfig};
use network_system::tcp::{ClientConfig, TcpClient};
use network_system::tls::{ClientTlsConfig, PemSource, TlsVersions};
use network_system_fuzz::{encode_datagrams, pem};

const WAIT: Duration = Duration::from_secs(10);

fn client_tls(versions: TlsVersions, alpn: &[&str]) -> ClientTlsConfig {
    ClientTlsConfig {
        system_roots: false,
        ca: Some(PemSource::Memory(pem().cert.clone().into_bytes())),
        server_name: Some("localhost".into()),
        alpn: alpn.iter().map(|a| a.as_bytes().to_vec()).collect(),
        versions,
        ..ClientTlsConfig::default()
    }
}

/// The first TLS record(s) our TLS client sends.
fn tls_client_hello(tls: ClientTlsConfig) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let client = TcpClient::new(ClientConfig {
        tls: Some(tls),
        ..ClientConfig::default()
    });
    client.start("127.0.0.1", port).expect("start");
    let (mut s, _) = listener.accept().expect("accept");
    s.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut hello = vec![0u8; 5];
    s.read_exact(&mut hello).expect("record header");
    let len = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
    hello.resize(5 + len, 0);
    s.read_exact(&mut hello[5..]).expect("record body");
    let _ = client.stop();
    hello
}

/// The first datagram a client started toward a socket of ours sends.
fn first_datagram(start: impl FnOnce(u16) -> Box<dyn FnOnce()>) -> Vec<u8> {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.set_read_timeout(Some(WAIT)).expect("timeout");
    let stop = start(socket.local_addr().expect("addr").port());
    let mut buf = vec![0u8; 65536];
    let (n, _) = socket.recv_from(&mut buf).expect("a first datagram");
    stop();
    buf.truncate(n);
    buf
}

/// A masked client frame (RFC 6455 section 5.2) with payload under 64 KiB.
fn ws_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut f = vec![first];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

fn write(dir: &Path, target: &str, name: &str, data: &[u8]) {
    let d = dir.join(target);
    fs::create_dir_all(&d).expect("corpus dir");
    fs::write(d.join(name), data).expect("seed written");
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(payload);
    f
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("corpus");

    // framing: first byte = write size (0: one write), then frames.
    let two = [frame(b"hello"), frame(b""), frame(&[7u8; 300])].concat();
    write(
        &corpus,
        "framing",
        "frames",
        &[[0xff].as_slice(), &two].concat(),
    );
    write(
        &corpus,
        "framing",
        "frames_1byte",
        &[[1].as_slice(), &two].concat(),
    );
    write(
        &corpus,
        "framing",
        "partial",
        &[[3].as_slice(), &two[..20]].concat(),
    );
    write(
        &corpus,
        "framing",
        "too_large",
        &[0xff, 0, 0, 0x10, 0, 1, 2],
    );

    // tls_records: ClientHellos of our client, TLS 1.3 and 1.2 only.
    for (name, versions, alpn) in [
        ("hello13", TlsVersions::Tls13Only, vec!["h2", "http/1.1"]),
        ("hello12", TlsVersions::Tls12Only, vec![]),
        ("hello", TlsVersions::Tls12And13, vec![]),
    ] {
        let hello = tls_client_hello(client_tls(versions, &alpn));
        write(
            &corpus,
            "tls_records",
            name,
            &[[0xff].as_slice(), &hello].concat(),
        );
        write(
            &corpus,
            "tls_records",
            &format!("{name}_split"),
            &[[7].as_slice(), &hello].concat(),
        );
    }

    // ws_frames: write size, flags (bit 0: the target puts a handshake first), frames.
    let frames = [
        ws_frame(0x81, b"hello"),
        ws_frame(0x82, &[1, 2, 3]),
        ws_frame(0x01, b"frag"),
        ws_frame(0x89, b"ping"),
        ws_frame(0x80, b"mented"),
        ws_frame(0x82, &[9u8; 300]),
        ws_frame(0x88, &[0x03, 0xe8, b'b', b'y', b'e']),
    ]
    .concat();
    write(
        &corpus,
        "ws_frames",
        "frames",
        &[[0xff, 1].as_slice(), &frames].concat(),
    );
    write(
        &corpus,
        "ws_frames",
        "frames_split",
        &[[5, 1].as_slice(), &frames].concat(),
    );
    let handshake = b"GET /ws?x=1 HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\nOrigin: http://x\r\n\r\n";
    write(
        &corpus,
        "ws_frames",
        "handshake",
        &[[0xff, 0].as_slice(), handshake, &frames].concat(),
    );

    // http_requests: write size, then requests.
    let requests: [(&str, &[u8]); 8] = [
        ("get", b"GET /users/42?verbose=1&x=%20y HTTP/1.1\r\nHost: h\r\nCookie: a=1; b=%41\r\nAccept-Encoding: gzip, deflate\r\n\r\n"),
        ("post", b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /users/1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
        ("chunked", b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        ("form", b"POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 13\r\n\r\na=1&b=%20+2&c"),
        ("multipart", b"POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XX\r\nContent-Length: 135\r\n\r\n--XX\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n--XX\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\n\r\nabc\r\n--XX--\r\n"),
        ("expect", b"POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"),
        ("notfound", b"GET /files/x.txt HTTP/1.0\r\n\r\nDELETE /nope HTTP/1.1\r\nHost: h\r\n\r\n"),
        ("h2", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x11\x01\x05\x00\x00\x00\x01\x82\x84\x86\x41\x0a\x6c\x6f\x63\x61\x6c\x68\x6f\x73\x74\x7f"),
    ];
    for (name, r) in requests {
        write(
            &corpus,
            "http_requests",
            name,
            &[[0xff].as_slice(), r].concat(),
        );
    }
    write(
        &corpus,
        "http_requests",
        "get_split",
        &[[1].as_slice(), requests[0].1].concat(),
    );

    // quic_packets: our client's Initial; a short-header packet; a version probe.
    let initial = first_datagram(|port| {
        let mut config = QuicClientConfig::default();
        config.tls = client_tls(TlsVersions::Tls13Only, &["ns"]);
        config.udp.bind_address = "127.0.0.1".into();
        let client = QuicClient::new(config);
        client.start("127.0.0.1", port).expect("start");
        Box::new(move || {
            let _ = client.stop();
        })
    });
    write(
        &corpus,
        "quic_packets",
        "initial",
        &encode_datagrams(&[&initial]),
    );
    write(
        &corpus,
        "quic_packets",
        "initial_twice",
        &encode_datagrams(&[&initial, &initial]),
    );
    write(
        &corpus,
        "quic_packets",
        "short",
        &encode_datagrams(&[&[0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9]]),
    );

    // dtls_packets: our client's ClientHello (also the target's probe).
    let hello = first_datagram(|port| {
        let mut config = DtlsClientConfig::default();
        config.tls = client_tls(TlsVersions::Tls12Only, &[]);
        config.udp.bind_address = "127.0.0.1".into();
        let client = DtlsClient::new(config);
        client.start("127.0.0.1", port).expect("start");
        Box::new(move || {
            let _ = client.stop();
        })
    });
    fs::create_dir_all(root.join("seeds")).expect("seeds dir");
    fs::write(root.join("seeds/dtls_client_hello.bin"), &hello).expect("written");
    write(
        &corpus,
        "dtls_packets",
        "client_hello",
        &encode_datagrams(&[&hello]),
    );
    write(
        &corpus,
        "dtls_packets",
        "hello_twice",
        &encode_datagrams(&[&hello, &hello[..40]]),
    );

    // c_api: a few operation scripts (see fuzz_targets/c_api.rs).
    write(&corpus, "c_api", "ops", &(0u8..=255).collect::<Vec<_>>());
    write(&corpus, "c_api", "zeros", &[0u8; 64]);
    println!("seeds written under {}", corpus.display());
}
