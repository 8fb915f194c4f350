//! The baseline of `network_system_loadtest --transport quic`: the same workloads written
//! directly on quinn (rustls, ring) — the engine's ceiling — with server and client in one
//! process, as the load tool runs ours.
//!
//! quic_baseline throughput SIZE COUNT STREAMS CERTS: COUNT messages of SIZE bytes, spread over
//!     STREAMS unidirectional streams (4-byte length before each, like our message stream),
//!     each read whole into a buffer by the server; prints "seconds S" once it has them all.
//!     The same buffer is sent each time, unless QUIC_BASELINE_FRESH is set in the environment:
//!     then each message is copied into a buffer of its own first.
//! quic_baseline rtt SIZE COUNT CERTS: 100 warm-up round trips, then COUNT echoes of SIZE
//!     bytes on one bidirectional stream; prints "samples" and the round trips in microseconds.
//! quic_baseline handshakes COUNT CERTS: COUNT connections one after the other (handshake, one
//!     byte echoed, graceful close: the fin acknowledged, then CONNECTION_CLOSE); prints
//!     "seconds S".
//!
//! CERTS is a directory with ca.pem, server.pem and server.key (examples/make_test_certs.rs).

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{AckFrequencyConfig, ClientConfig, Endpoint, ServerConfig, TransportConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

fn configs(certs: &str) -> Res<(ServerConfig, ClientConfig)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = CertificateDer::pem_file_iter(format!("{certs}/server.pem"))?
        .collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(format!("{certs}/server.key"))?;
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(format!("{certs}/ca.pem"))? {
        roots.add(ca?)?;
    }
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // The transport tuning the library uses: peers acknowledge within 1 ms.
    let mut ack = AckFrequencyConfig::default();
    ack.max_ack_delay(Some(Duration::from_millis(1)));
    let mut transport = TransportConfig::default();
    transport.ack_frequency_config(Some(ack));
    let transport = Arc::new(transport);
    let mut server = ServerConfig::with_crypto(Arc::new(QuicServerConfig::try_from(server)?));
    server.transport_config(transport.clone());
    let mut client = ClientConfig::new(Arc::new(QuicClientConfig::try_from(client)?));
    client.transport_config(transport);
    Ok((server, client))
}

fn endpoints(certs: &str) -> Res<(Endpoint, Endpoint, SocketAddr)> {
    let (server_config, client_config) = configs(certs)?;
    let server = Endpoint::server(server_config, "127.0.0.1:0".parse()?)?;
    let addr = server.local_addr()?;
    let mut client = Endpoint::client("127.0.0.1:0".parse()?)?;
    client.set_default_client_config(client_config);
    Ok((server, client, addr))
}

async fn throughput(size: usize, count: usize, streams: usize, certs: &str) -> Res<()> {
    let (server, client, addr) = endpoints(certs)?;
    let fresh = std::env::var_os("QUIC_BASELINE_FRESH").is_some();
    let total = (count / streams * streams * (size + 4)) as u64;
    let sink = tokio::spawn(async move {
        let conn = server.accept().await.ok_or("no connection")?.await?;
        let mut readers = Vec::new();
        for _ in 0..streams {
            let mut recv = conn.accept_uni().await?;
            readers.push(tokio::spawn(async move {
                // Each message read whole into one buffer, as a receiver of messages needs
                // them (what our message callback hands over).
                let mut n = 0u64;
                let mut header = [0u8; 4];
                let mut message = Vec::new();
                while recv.read_exact(&mut header).await.is_ok() {
                    message.resize(u32::from_be_bytes(header) as usize, 0);
                    recv.read_exact(&mut message).await?;
                    n += 4 + message.len() as u64;
                }
                Ok::<u64, Box<dyn Error + Send + Sync>>(n)
            }));
        }
        let mut got = 0;
        for r in readers {
            got += r.await??;
        }
        Ok::<(u64, Instant), Box<dyn Error + Send + Sync>>((got, Instant::now()))
    });
    let conn = client.connect(addr, "localhost")?.await?;
    let start = Instant::now();
    let mut writers = Vec::new();
    for _ in 0..streams {
        let mut send = conn.open_uni().await?;
        writers.push(tokio::spawn(async move {
            let payload = bytes::Bytes::from(vec![7u8; size]);
            let header = bytes::Bytes::copy_from_slice(&(size as u32).to_be_bytes());
            for _ in 0..count / streams {
                // One buffer sent over and over stays in cache, which no real message does;
                // QUIC_BASELINE_FRESH builds each message in a buffer of its own instead, as the
                // load tool's C++ sender does (a std::vector per send_packet).
                let message = match fresh {
                    true => bytes::Bytes::from(payload.to_vec()),
                    false => payload.clone(),
                };
                send.write_all_chunks(&mut [header.clone(), message])
                    .await?;
            }
            send.finish()?;
            send.stopped().await?;
            Ok::<(), Box<dyn Error + Send + Sync>>(())
        }));
    }
    for w in writers {
        w.await??;
    }
    let (got, end) = sink.await??;
    if got != total {
        return Err(format!("received {got} of {total} bytes").into());
    }
    println!("seconds {}", (end - start).as_secs_f64());
    conn.close(0u32.into(), b"");
    client.wait_idle().await;
    Ok(())
}

async fn rtt(size: usize, count: usize, certs: &str) -> Res<()> {
    let (server, client, addr) = endpoints(certs)?;
    tokio::spawn(async move {
        let conn = server.accept().await.ok_or("no connection")?.await?;
        let (mut send, mut recv) = conn.accept_bi().await?;
        let mut buf = vec![0u8; size];
        while recv.read_exact(&mut buf).await.is_ok() {
            send.write_all(&buf).await?;
        }
        Ok::<(), Box<dyn Error + Send + Sync>>(())
    });
    let conn = client.connect(addr, "localhost")?.await?;
    let (mut send, mut recv) = conn.open_bi().await?;
    let msg = vec![7u8; size];
    let mut back = vec![0u8; size];
    let mut samples = Vec::with_capacity(count);
    for i in 0..count + 100 {
        let t = Instant::now();
        send.write_all(&msg).await?;
        recv.read_exact(&mut back).await?;
        if i >= 100 {
            samples.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    let text: Vec<String> = samples.iter().map(|s| format!("{s:.2}")).collect();
    println!("samples {}", text.join(" "));
    conn.close(0u32.into(), b"");
    client.wait_idle().await;
    Ok(())
}

async fn handshakes(count: usize, certs: &str) -> Res<()> {
    let (server, client, addr) = endpoints(certs)?;
    tokio::spawn(async move {
        while let Some(incoming) = server.accept().await {
            tokio::spawn(async move {
                let conn = incoming.await?;
                let (mut send, mut recv) = conn.accept_bi().await?;
                let mut b = [0u8; 1];
                recv.read_exact(&mut b).await?;
                send.write_all(&b).await?;
                send.finish()?;
                conn.closed().await;
                Ok::<(), Box<dyn Error + Send + Sync>>(())
            });
        }
    });
    let start = Instant::now();
    for _ in 0..count {
        let conn = client.connect(addr, "localhost")?.await?;
        let (mut send, mut recv) = conn.open_bi().await?;
        send.write_all(&[1]).await?;
        let mut b = [0u8; 1];
        recv.read_exact(&mut b).await?;
        // A graceful close, as the library's stop does: our fin acknowledged, then the close.
        send.finish()?;
        send.stopped().await?;
        conn.close(0u32.into(), b"");
    }
    println!("seconds {}", start.elapsed().as_secs_f64());
    client.wait_idle().await;
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let num =
        |i: usize| -> Res<usize> { Ok(args.get(i).ok_or("missing argument")?.parse::<usize>()?) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match args.get(1).map(String::as_str) {
        Some("throughput") => runtime.block_on(throughput(num(2)?, num(3)?, num(4)?.max(1), &args[5])),
        Some("rtt") => runtime.block_on(rtt(num(2)?, num(3)?, &args[4])),
        Some("handshakes") => runtime.block_on(handshakes(num(2)?, &args[3])),
        _ => Err("usage: quic_baseline throughput SIZE COUNT STREAMS CERTS | rtt SIZE COUNT CERTS | handshakes COUNT CERTS".into()),
    }
}
