//! QUIC connection objects are released when connections end (its own test binary: the count
//! is process-wide, so no other test may run beside it).

#[path = "support/certs.rs"]
mod certs;
#[path = "support/quic_config.rs"]
mod quic_config;

use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use network_system::quic::{QuicClient, QuicConnection, QuicHandlers, QuicServer};
use quic_config::{client_config, server_config};

const WAIT: Duration = Duration::from_secs(10);

/// Connections closed by either side after messages went both ways (every writer started)
/// leave no connection object behind once both ends have stopped.
#[test]
fn ended_connections_release_their_objects() {
    let pki = certs::Pki::new();
    let server = QuicServer::new(server_config(&pki));
    server.set_handlers(|h| {
        *h = QuicHandlers {
            message: Some(Arc::new(|q: &QuicConnection, m: &[u8]| {
                let _ = q.send(m);
            })),
            ..QuicHandlers::default()
        }
    });
    server.start(0).unwrap();
    let port = server.local_addr().unwrap().port();
    let before = QuicConnection::live_count();
    for round in 0..40 {
        let client = QuicClient::new(client_config(&pki));
        let (tx, echoed) = channel();
        let tx = Mutex::new(tx);
        client.set_handlers(|h| {
            h.message = Some(Arc::new(move |_: &QuicConnection, m: &[u8]| {
                let _ = tx.lock().unwrap().send(m.to_vec());
            }))
        });
        client.start_wait("127.0.0.1", port).unwrap();
        let id = client.create_stream().unwrap();
        client.send_on_stream(id, b"stream data", false).unwrap();
        client.send(b"ping").unwrap();
        assert_eq!(echoed.recv_timeout(WAIT).unwrap(), b"ping");
        if round % 2 == 0 {
            // The client closes.
            client.stop().unwrap();
        } else {
            // The server closes; the client sees it end.
            for cid in server.connection_ids() {
                server.disconnect(cid, 7, "bye").unwrap();
            }
            client.wait_for_stop().unwrap();
        }
    }
    server.stop().unwrap();
    // The connection tasks, writers included, ended before stop returned.
    assert_eq!(QuicConnection::live_count(), before);
    drop(server);
}
