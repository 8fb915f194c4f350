//! What the fuzz targets share: a self-signed certificate, a peer that writes one input to a
//! live server on loopback and reads until the server closes, and a datagram peer that checks
//! the server still answers after each input.
//!
//! The servers are the library's own, started once per process on 127.0.0.1 port 0, so an input
//! takes the path a remote peer's bytes take: socket, engine, parser, callbacks.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use network_system::tcp::{ServerConfig, TcpServer};
use network_system::tls::{PemSource, ServerTlsConfig};
use network_system::Session;

/// The longest a server may take to close after the peer's end of input, or to answer a probe.
/// Past it the target panics: a hang is a finding.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A certificate for "localhost" and its key, PEM.
pub struct Pem {
    pub cert: String,
    pub key: String,
}

/// One self-signed certificate per process.
pub fn pem() -> &'static Pem {
    static PEM: OnceLock<Pem> = OnceLock::new();
    PEM.get_or_init(|| {
        let c = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
            .expect("rcgen makes a certificate");
        Pem {
            cert: c.cert.pem(),
            key: c.signing_key.serialize_pem(),
        }
    })
}

/// Server TLS options with [`pem`]'s certificate.
pub fn server_tls() -> ServerTlsConfig {
    ServerTlsConfig {
        cert_chain: Some(PemSource::Memory(pem().cert.clone().into_bytes())),
        private_key: Some(PemSource::Memory(pem().key.clone().into_bytes())),
        ..ServerTlsConfig::default()
    }
}

/// Starts a TCP messaging server with `config` on 127.0.0.1 (any port) that echoes every
/// message; returns it and its port.
pub fn echo_tcp_server(mut config: ServerConfig) -> (TcpServer, u16) {
    config.bind_address = "127.0.0.1".into();
    let server = TcpServer::new(config);
    server.set_handlers(|h| {
        h.data = Some(Arc::new(|s: &Session, data: &[u8]| {
            let _ = s.send(data);
        }))
    });
    server.start(0).expect("server starts");
    let port = server.local_addr().expect("bound").port();
    (server, port)
}

/// The first byte of a stream input picks how it is written: below 32, in writes of that many
/// bytes (the engine's reassembly at work); otherwise in one write. Returns (chunk, rest).
pub fn chunking(data: &[u8]) -> (usize, &[u8]) {
    match data.split_first() {
        Some((&c, rest)) if c < 32 => (usize::from(c), rest),
        Some((_, rest)) => (0, rest),
        None => (0, data),
    }
}

/// How a stream exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The server closed after sending everything (EOF).
    Closed,
    /// The server reset the connection; what was read may be short.
    Reset,
}

/// Connects to 127.0.0.1:`port`, writes `input` (in writes of `chunk` bytes, all at once when
/// 0), half-closes, and reads until the server closes. Panics when the server is not
/// reachable or keeps the connection open [`DEADLINE`] after the peer's end of input.
pub fn exchange(port: u16, input: &[u8], chunk: usize) -> (Vec<u8>, End) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("the server accepts");
    let _ = s.set_nodelay(true);
    s.set_read_timeout(Some(DEADLINE)).expect("read timeout");
    let step = if chunk == 0 {
        input.len().max(1)
    } else {
        chunk
    };
    for part in input.chunks(step) {
        // The server may close first (a refused input): the rest is not needed.
        if s.write_all(part).is_err() {
            break;
        }
    }
    let _ = s.shutdown(Shutdown::Write);
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (out, End::Closed),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("the server kept the connection open {DEADLINE:?} after the peer's end")
            }
            Err(_) => return (out, End::Reset),
        }
        assert!(
            start.elapsed() < DEADLINE * 3,
            "the server kept sending for {:?}",
            start.elapsed()
        );
    }
}

/// Splits a datagram input into datagrams: each is a 2-byte big-endian length and that many
/// bytes (fewer at the end). At most 16.
pub fn datagrams(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while data.len() >= 2 && out.len() < 16 {
        let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        let rest = &data[2..];
        let (d, tail) = rest.split_at(len.min(rest.len()));
        out.push(d);
        data = tail;
    }
    out
}

/// Encodes datagrams the way [`datagrams`] reads them (for seeds).
pub fn encode_datagrams(list: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for d in list {
        let len = u16::try_from(d.len()).expect("a datagram under 64 KiB");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(d);
    }
    out
}

/// Sends fuzz datagrams to a UDP server, then a probe that the server answers without keeping
/// state (QUIC: a version negotiation; DTLS: a HelloVerifyRequest) from another socket. The
/// server reads its socket in order, so the answer shows the inputs were taken in.
pub struct DatagramPeer {
    fuzz: UdpSocket,
    probe: UdpSocket,
    server: SocketAddr,
    probe_message: Vec<u8>,
}

impl DatagramPeer {
    pub fn new(server: SocketAddr, probe_message: Vec<u8>) -> DatagramPeer {
        let fuzz = UdpSocket::bind("127.0.0.1:0").expect("bind");
        fuzz.set_nonblocking(true).expect("nonblocking");
        let probe = UdpSocket::bind("127.0.0.1:0").expect("bind");
        probe.set_read_timeout(Some(DEADLINE)).expect("timeout");
        DatagramPeer {
            fuzz,
            probe,
            server,
            probe_message,
        }
    }

    /// Sends `list` and the probe; panics when the probe is not answered within [`DEADLINE`].
    pub fn send(&self, list: &[&[u8]]) {
        for d in list {
            let _ = self.fuzz.send_to(d, self.server);
        }
        self.probe
            .send_to(&self.probe_message, self.server)
            .expect("probe sent");
        let mut buf = [0u8; 2048];
        let start = Instant::now();
        loop {
            match self.probe.recv_from(&mut buf) {
                Ok(_) => break,
                // libFuzzer's timer signal interrupts blocking calls.
                Err(e) if e.kind() == ErrorKind::Interrupted && start.elapsed() < DEADLINE => {}
                Err(e) => panic!("the server did not answer the probe: {e}"),
            }
        }
        // Whatever the server answered the fuzz socket is dropped.
        while self.fuzz.recv_from(&mut buf).is_ok() {}
    }
}
