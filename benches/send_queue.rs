//! The send path on a live loopback connection: `send` of one message and `send_batch` of 64,
//! into the per-connection queue (copy, framing, wake-up coalescing), with the writer flushing
//! to a server that discards. Run: cargo bench --bench send_queue
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use network_system::tcp::{ClientConfig, ServerConfig, TcpClient, TcpServer};
use network_system::{ErrorCode, Framing, Session};

fn pair() -> (TcpServer, TcpClient) {
    let mut sc = ServerConfig {
        bind_address: "127.0.0.1".into(),
        ..ServerConfig::default()
    };
    sc.conn.framing = Framing::LengthPrefixed;
    let server = TcpServer::new(sc);
    server.set_handlers(|h| {
        h.data = Some(Arc::new(|_: &Session, d: &[u8]| {
            black_box(d.len());
        }))
    });
    server.start(0).expect("server");
    let mut cc = ClientConfig::default();
    cc.conn.framing = Framing::LengthPrefixed;
    let client = TcpClient::new(cc);
    client
        .start_wait("127.0.0.1", server.local_addr().expect("port").port())
        .expect("connect");
    (server, client)
}

/// Retries while the queue is full, so the figure includes draining at line rate.
fn retry(mut f: impl FnMut() -> network_system::Result<()>) {
    loop {
        match f() {
            Ok(()) => return,
            Err(e) if e.code() == ErrorCode::SendQueueFull => {
                std::thread::sleep(Duration::from_micros(20))
            }
            Err(e) => panic!("send: {e}"),
        }
    }
}

fn sends(c: &mut Criterion) {
    let (_server, client) = pair();
    let msg = [7u8; 64];
    let batch: Vec<&[u8]> = (0..64).map(|_| &msg[..]).collect();
    let mut group = c.benchmark_group("send_queue");
    group.throughput(Throughput::Elements(64));
    group.bench_function("send 64 x 64 B", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                for _ in 0..64 {
                    retry(|| client.send(&msg));
                }
            }
            start.elapsed()
        })
    });
    group.bench_function("send_batch 64 x 64 B", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                retry(|| client.send_batch(&batch));
            }
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group!(benches, sends);
criterion_main!(benches);
