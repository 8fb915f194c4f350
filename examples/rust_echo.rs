//! Rust echo example: a server and a client on 127.0.0.1 in one process.
//! Run: cargo run --example rust_echo

use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use network_system::tcp::{ServerConfig, TcpClient, TcpServer};
use network_system::Session;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = TcpServer::new(ServerConfig {
        bind_address: "127.0.0.1".into(),
        ..ServerConfig::default()
    });
    server.set_handlers(|h| {
        h.data = Some(Arc::new(|s: &Session, data: &[u8]| {
            if let Err(e) = s.send(data) {
                eprintln!("echo failed: {e}");
            }
        }))
    });
    server.start(0)?;
    let port = server.local_addr().ok_or("server has no address")?.port();

    let client = TcpClient::default();
    let (tx, rx) = channel::<Vec<u8>>();
    let (up_tx, up_rx) = channel::<()>();
    let tx = Mutex::new(tx);
    let up_tx = Mutex::new(up_tx);
    client.set_handlers(|h| {
        h.data = Some(Arc::new(move |_: &Session, d: &[u8]| {
            let _ = tx.lock().map(|t| t.send(d.to_vec()));
        }));
        h.connected = Some(Arc::new(move |_: &Session| {
            let _ = up_tx.lock().map(|t| t.send(()));
        }));
    });
    client.start("127.0.0.1", port)?;
    up_rx.recv_timeout(Duration::from_secs(5))?;
    client.send(b"hello from Rust")?;
    let mut got = Vec::new();
    while got.len() < 15 {
        got.extend(rx.recv_timeout(Duration::from_secs(5))?);
    }
    println!("echo: {}", String::from_utf8_lossy(&got));
    client.stop()?;
    server.stop()?;
    Ok(())
}
