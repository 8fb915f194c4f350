//! Length-prefixed framing: encoding into a shared send buffer and decoding a receive buffer
//! holding many frames (the per-message work of the TCP hot path). Run: cargo bench
use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use network_system::conn::framing::{decode, encode_into, Decoded, HEADER_LEN};
use std::hint::black_box;

const BATCH: usize = 1024;

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for size in [64usize, 1024, 65536] {
        let payload = vec![7u8; size];
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &payload, |b, p| {
            let mut buf = BytesMut::with_capacity(BATCH * (size + HEADER_LEN));
            b.iter(|| {
                buf.clear();
                for _ in 0..BATCH {
                    encode_into(&mut buf, black_box(p));
                }
                black_box(buf.len())
            })
        });
    }
    group.finish();
}

fn decode_all(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for size in [64usize, 1024, 65536] {
        let mut wire = BytesMut::new();
        for _ in 0..BATCH {
            encode_into(&mut wire, &vec![7u8; size]);
        }
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &wire, |b, wire| {
            b.iter(|| {
                let mut at = 0;
                let mut total = 0;
                while let Decoded::Frame(len) = decode(&wire[at..], usize::MAX) {
                    total += len;
                    at += HEADER_LEN + len;
                }
                black_box(total)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, encode, decode_all);
criterion_main!(benches);
