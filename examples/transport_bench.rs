//! TCP vs TLS on loopback, in one run: one-way throughput of 64 KiB messages (counted at the
//! receiver) and the round trip of a 64 B echo (p50/p99); then UDP one-way datagram rates for
//! 64 B and 1 KiB datagrams, counted at the receiver, with the loss.
//! Run: cargo run --release --example transport_bench [-- <MiB per throughput run>]

#[path = "../tests/support/certs.rs"]
mod certs;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use network_system::tcp::{ClientConfig, ServerConfig, TcpClient, TcpServer};
use network_system::tls::{ClientTlsConfig, PemSource, ServerTlsConfig};
use network_system::udp::{UdpClient, UdpConfig, UdpServer};
use network_system::{ErrorCode, Session};

type Tls = Option<(ServerTlsConfig, ClientTlsConfig)>;

fn pair(tls: &Tls) -> (TcpServer, TcpClient) {
    let server = TcpServer::new(ServerConfig {
        bind_address: "127.0.0.1".into(),
        tls: tls.as_ref().map(|t| t.0.clone()),
        ..ServerConfig::default()
    });
    let client = TcpClient::new(ClientConfig {
        tls: tls.as_ref().map(|t| t.1.clone()),
        ..ClientConfig::default()
    });
    (server, client)
}

fn throughput(tls: &Tls, total_mib: u64) -> f64 {
    let (server, client) = pair(tls);
    let received = Arc::new((Mutex::new(0u64), Condvar::new()));
    let counter = Arc::new(AtomicU64::new(0));
    let (r, c) = (received.clone(), counter.clone());
    let goal = total_mib * 1024 * 1024;
    server.set_handlers(|h| {
        h.data = Some(Arc::new(move |_: &Session, d: &[u8]| {
            let now = c.fetch_add(d.len() as u64, Ordering::Relaxed) + d.len() as u64;
            if now >= goal {
                *r.0.lock().unwrap() = now;
                r.1.notify_all();
            }
        }))
    });
    server.start(0).unwrap();
    client
        .start_wait("127.0.0.1", server.local_addr().unwrap().port())
        .unwrap();
    let message = Bytes::from(vec![0x5au8; 64 * 1024]);
    let start = Instant::now();
    let mut sent = 0;
    while sent < goal {
        match client.send_bytes(message.clone()) {
            Ok(()) => sent += message.len() as u64,
            Err(e) if e.code() == ErrorCode::SendQueueFull => {
                std::thread::sleep(Duration::from_micros(50))
            }
            Err(e) => panic!("send: {e}"),
        }
    }
    let guard = received
        .1
        .wait_while(received.0.lock().unwrap(), |n| *n < goal)
        .unwrap();
    let secs = start.elapsed().as_secs_f64();
    drop(guard);
    (goal as f64 / (1024.0 * 1024.0)) / secs
}

fn rtt(tls: &Tls, rounds: usize) -> (f64, f64) {
    let (server, client) = pair(tls);
    server.set_handlers(|h| {
        h.data = Some(Arc::new(|s: &Session, d: &[u8]| {
            let _ = s.send(d);
        }))
    });
    server.start(0).unwrap();
    let (tx, rx) = channel::<usize>();
    let tx = Mutex::new(tx);
    client.set_handlers(|h| {
        h.data = Some(Arc::new(move |_: &Session, d: &[u8]| {
            let _ = tx.lock().unwrap().send(d.len());
        }))
    });
    client
        .start_wait("127.0.0.1", server.local_addr().unwrap().port())
        .unwrap();
    let msg = [7u8; 64];
    let mut samples = Vec::with_capacity(rounds);
    for i in 0..rounds + 1000 {
        let t = Instant::now();
        client.send(&msg).unwrap();
        let mut got = 0;
        while got < msg.len() {
            got += rx.recv_timeout(Duration::from_secs(5)).expect("echo");
        }
        if i >= 1000 {
            samples.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    (pct(0.50), pct(0.99))
}

/// Sends `count` datagrams of `size` bytes as fast as the socket takes them; returns
/// (received per second at the receiver, sent, received, refused at send).
fn udp_rate(size: usize, count: u64) -> (f64, u64, u64, u64) {
    let server = UdpServer::new(UdpConfig {
        bind_address: "127.0.0.1".into(),
        recv_buffer_size: Some(8 << 20),
        ..UdpConfig::default()
    });
    let received = Arc::new(AtomicU64::new(0));
    let last = Arc::new(Mutex::new(Instant::now()));
    let (r, l) = (received.clone(), last.clone());
    server.set_handlers(|h| {
        h.datagram = Some(Arc::new(move |_: &[u8], _| {
            r.fetch_add(1, Ordering::Relaxed);
            *l.lock().unwrap() = Instant::now();
        }))
    });
    server.start(0).unwrap();
    let client = UdpClient::new(UdpConfig {
        send_buffer_size: Some(8 << 20),
        ..UdpConfig::default()
    });
    client
        .start("127.0.0.1", server.local_addr().unwrap().port())
        .unwrap();
    let payload = vec![1u8; size];
    let (mut sent, mut refused) = (0u64, 0u64);
    let start = Instant::now();
    for _ in 0..count {
        match client.send(&payload) {
            Ok(()) => sent += 1,
            Err(e) if e.code() == ErrorCode::SendQueueFull => refused += 1,
            Err(e) => panic!("udp send: {e}"),
        }
    }
    // Wait until everything arrived or nothing has arrived for 200 ms.
    loop {
        let quiet = last.lock().unwrap().elapsed() > Duration::from_millis(200);
        if received.load(Ordering::Relaxed) >= sent || quiet {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let got = received.load(Ordering::Relaxed);
    let secs = last.lock().unwrap().duration_since(start).as_secs_f64();
    (got as f64 / secs, sent, got, refused)
}

fn main() {
    let mib: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1024);
    let pki = certs::Pki::new();
    let tls = Some((
        ServerTlsConfig {
            cert_chain: Some(PemSource::Memory(pki.server.cert.clone().into_bytes())),
            private_key: Some(PemSource::Memory(pki.server.key.clone().into_bytes())),
            ..ServerTlsConfig::default()
        },
        ClientTlsConfig {
            system_roots: false,
            ca: Some(PemSource::Memory(pki.ca.clone().into_bytes())),
            ..ClientTlsConfig::default()
        },
    ));
    println!("transport   64KiB one-way (MiB/s)   64B echo RTT p50 / p99 (us)");
    for (name, cfg) in [("tcp", None), ("tls", tls)] {
        let mbps = throughput(&cfg, mib);
        let (p50, p99) = rtt(&cfg, 20_000);
        println!("{name:<11} {mbps:>22.0}   {p50:>12.1} / {p99:.1}");
    }
    println!();
    println!("udp one-way   datagrams/s (received)   sent      received  lost   refused at send");
    for size in [64usize, 1024] {
        let (rate, sent, got, refused) = udp_rate(size, 1_000_000);
        println!(
            "{size:>5} B      {rate:>20.0}   {sent:>8}  {got:>8}  {:>5}  {refused}",
            sent - got.min(sent)
        );
    }
}
