//! Integration tests of the Rust QUIC API on loopback: our client against our server.

#[path = "support/certs.rs"]
mod certs;
#[path = "support/quic_config.rs"]
mod quic_config;

use std::net::UdpSocket;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use network_system::quic::{
    QuicClient, QuicClientConfig, QuicConnection, QuicHandlers, QuicOptions, QuicServer,
    QuicServerConfig,
};
use network_system::tls::PemSource;
use network_system::ErrorCode;
use quic_config::{client_config, server_config};

const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, PartialEq)]
enum Event {
    Connected(u64),
    Message(Vec<u8>),
    Stream(u64, Vec<u8>, bool),
    Datagram(Vec<u8>),
    Closed(u64),
    Error(ErrorCode),
}

/// Handlers that report every event on a channel; `echo` answers messages, stream data and
/// datagrams on the same connection (and stream).
fn handlers(echo: bool) -> (QuicHandlers, Receiver<Event>) {
    let (tx, rx) = channel();
    let tx: Arc<Mutex<Sender<Event>>> = Arc::new(Mutex::new(tx));
    let send = move |e| {
        let _ = tx.lock().unwrap().send(e);
    };
    let s = Arc::new(send);
    let (a, b, c, d, e, f) = (s.clone(), s.clone(), s.clone(), s.clone(), s.clone(), s);
    let h = QuicHandlers {
        connected: Some(Arc::new(move |q: &QuicConnection| {
            a(Event::Connected(q.id()))
        })),
        message: Some(Arc::new(move |q: &QuicConnection, m: &[u8]| {
            if echo {
                q.send(m).unwrap();
            }
            b(Event::Message(m.to_vec()))
        })),
        stream: Some(Arc::new(move |q: &QuicConnection, id, data: &[u8], fin| {
            if echo && (id & 2) == 0 {
                q.send_on_stream(id, data, fin).unwrap();
            }
            c(Event::Stream(id, data.to_vec(), fin))
        })),
        datagram: Some(Arc::new(move |q: &QuicConnection, m: &[u8]| {
            if echo {
                q.send_datagram(m).unwrap();
            }
            d(Event::Datagram(m.to_vec()))
        })),
        closed: Some(Arc::new(move |q: &QuicConnection| e(Event::Closed(q.id())))),
        error: Some(Arc::new(move |_, err: &network_system::Error| {
            f(Event::Error(err.code()))
        })),
    };
    (h, rx)
}

fn server(
    pki: &certs::Pki,
    tweak: impl FnOnce(&mut QuicServerConfig),
) -> (QuicServer, Receiver<Event>, u16) {
    let mut config = server_config(pki);
    tweak(&mut config);
    let server = QuicServer::new(config);
    let (h, rx) = handlers(true);
    server.set_handlers(|x| *x = h);
    server.start(0).unwrap();
    let port = server.local_addr().unwrap().port();
    (server, rx, port)
}

fn client(config: QuicClientConfig, port: u16) -> (QuicClient, Receiver<Event>) {
    let client = QuicClient::new(config);
    let (h, rx) = handlers(false);
    client.set_handlers(|x| *x = h);
    client.start_wait("127.0.0.1", port).unwrap();
    (client, rx)
}

fn next(rx: &Receiver<Event>) -> Event {
    rx.recv_timeout(WAIT).expect("event")
}

#[test]
fn messages_streams_and_datagrams_echo() {
    let pki = certs::Pki::new();
    let (srv, srx, port) = server(&pki, |_| {});
    let (cli, crx) = client(client_config(&pki), port);
    assert!(matches!(next(&crx), Event::Connected(_)));
    assert!(matches!(next(&srx), Event::Connected(_)));
    let big: Vec<u8> = (0..1_048_576u32).map(|i| (i * 7 + i / 256) as u8).collect();
    for size in [1usize, 100, 65_536, 1_048_576] {
        cli.send(&big[..size]).unwrap();
        assert_eq!(next(&crx), Event::Message(big[..size].to_vec()));
    }
    // A stream: sent in pieces, echoed in order, with its fin.
    let id = cli.create_stream().unwrap();
    assert_eq!(id, 0);
    cli.send_on_stream(id, b"hello ", false).unwrap();
    cli.send_on_stream(id, b"stream", true).unwrap();
    let mut got = Vec::new();
    loop {
        match next(&crx) {
            Event::Stream(sid, data, fin) => {
                assert_eq!(sid, id);
                got.extend(data);
                if fin {
                    break;
                }
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got, b"hello stream");
    // Data after fin is refused; the connection keeps working.
    assert_eq!(
        cli.send_on_stream(id, b"late", false).unwrap_err().code(),
        ErrorCode::StreamClosed
    );
    assert_eq!(
        cli.send_on_stream(1000, b"x", false).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    cli.send_datagram(b"dgram").unwrap();
    assert_eq!(next(&crx), Event::Datagram(b"dgram".to_vec()));
    let too_big = vec![0u8; 5000];
    assert_eq!(
        cli.send_datagram(&too_big).unwrap_err().code(),
        ErrorCode::MessageTooLarge
    );
    cli.send(b"still fine").unwrap();
    assert_eq!(next(&crx), Event::Message(b"still fine".to_vec()));
    let conn = cli.connection().unwrap();
    let q = conn.quic_stats();
    assert!(
        q.bytes_sent > 1_100_000 && q.bytes_received > 1_100_000,
        "{q:?}"
    );
    assert!(q.smoothed_rtt > Duration::ZERO && q.cwnd > 0, "{q:?}");
    // The server closes the connection with an application code; the client sees it.
    let sid = srv.connection_ids()[0];
    srv.disconnect(sid, 42, "bye").unwrap();
    assert_eq!(next(&crx), Event::Error(ErrorCode::ClosedByPeer));
    assert!(matches!(next(&crx), Event::Closed(_)));
    let info = cli.last_close().unwrap();
    assert_eq!(
        (info.by_peer, info.code, info.reason.as_str()),
        (true, Some(42), "bye")
    );
    drop(cli);
    drop(srv);
}

#[test]
fn untrusted_certificate_is_refused() {
    let pki = certs::Pki::new();
    let (_srv, _srx, port) = server(&pki, |c| {
        c.tls.cert_chain = Some(PemSource::Memory(pki.untrusted.cert.clone().into_bytes()));
        c.tls.private_key = Some(PemSource::Memory(pki.untrusted.key.clone().into_bytes()));
    });
    let cli = QuicClient::new(client_config(&pki));
    let err = cli.start_wait("127.0.0.1", port).unwrap_err();
    assert_eq!(err.code(), ErrorCode::CertificateError, "{err}");
    let missing = QuicServer::new(QuicServerConfig {
        tls: network_system::tls::ServerTlsConfig {
            cert_chain: Some(PemSource::File("/nonexistent/q.pem".into())),
            private_key: Some(PemSource::File("/nonexistent/q.key".into())),
            ..Default::default()
        },
        ..Default::default()
    });
    let err = missing.start(0).unwrap_err();
    assert_eq!(err.code(), ErrorCode::CertificateError);
    assert!(err.message().contains("/nonexistent/q.pem"), "{err}");
}

#[test]
fn zero_rtt_on_the_second_connection_and_alpn() {
    let pki = certs::Pki::new();
    let (_srv, srx, port) = server(&pki, |c| {
        c.enable_early_data = true;
        c.tls.alpn = vec![b"ns-test".to_vec()];
    });
    let mut config = client_config(&pki);
    config.enable_early_data = true;
    config.early_data = Some(b"early".to_vec());
    config.tls.alpn = vec![b"ns-test".to_vec()];
    for round in 0..2 {
        let (cli, _crx) = client(config.clone(), port);
        assert!(matches!(next(&srx), Event::Connected(_)));
        assert_eq!(next(&srx), Event::Message(b"early".to_vec()));
        let conn = cli.connection().unwrap();
        assert_eq!(conn.alpn().as_deref(), Some(&b"ns-test"[..]));
        assert_eq!(conn.is_early_data_accepted(), round == 1, "round {round}");
        cli.stop().unwrap();
        assert!(matches!(next(&srx), Event::Closed(_)));
    }
}

#[test]
fn idle_peer_times_out_and_garbage_is_ignored() {
    let pki = certs::Pki::new();
    let (srv, srx, port) = server(&pki, |c| {
        c.quic.max_idle_timeout = Duration::from_millis(300)
    });
    // Garbage at the server port changes nothing.
    let junk = UdpSocket::bind("127.0.0.1:0").unwrap();
    for n in [1usize, 20, 1200, 1500] {
        junk.send_to(&vec![0xc3; n], ("127.0.0.1", port)).unwrap();
    }
    let mut config = client_config(&pki);
    config.quic.max_idle_timeout = Duration::from_secs(60);
    config.quic.keep_alive = Some(Duration::from_millis(50));
    let (alive, arx) = client(config, port);
    assert!(matches!(next(&arx), Event::Connected(_)));
    assert!(matches!(next(&srx), Event::Connected(_)));
    // A second client that stops answering: the server's idle timeout ends it with -621.
    let mut quiet = client_config(&pki);
    quiet.quic.max_idle_timeout = Duration::from_secs(60);
    let (silent, _qrx) = client(quiet, port);
    assert!(matches!(next(&srx), Event::Connected(_)));
    // It sends nothing (no keep-alive): the negotiated 300 ms idle timeout ends it.
    assert_eq!(next(&srx), Event::Error(ErrorCode::SessionExpired));
    assert!(matches!(next(&srx), Event::Closed(_)));
    alive.send(b"ping").unwrap();
    assert_eq!(next(&arx), Event::Message(b"ping".to_vec()));
    assert_eq!(srv.connection_count(), 1);
    drop(silent);
}

#[test]
fn default_clients_share_a_socket_and_custom_ones_get_their_own() {
    let pki = certs::Pki::new();
    let (srv, srx, port) = server(&pki, |_| {});
    let mut own = client_config(&pki);
    own.udp.bind_address = "127.0.0.1".to_string();
    let mut clients = Vec::new();
    let mut ports = Vec::new();
    for config in [client_config(&pki), client_config(&pki), own] {
        let (cli, crx) = client(config, port);
        assert!(matches!(next(&crx), Event::Connected(_)));
        let Event::Connected(id) = next(&srx) else {
            panic!("expected a connection")
        };
        ports.push(
            srv.connection(id)
                .expect("server connection")
                .peer_addr()
                .port(),
        );
        clients.push((cli, crx));
    }
    // Two clients with the default UDP options on one endpoint; the one binding an address has
    // its own socket.
    assert_eq!(ports[0], ports[1]);
    assert_ne!(ports[0], ports[2]);
    for (i, (cli, crx)) in clients.iter().enumerate() {
        cli.send(format!("client {i}").as_bytes()).unwrap();
        assert_eq!(
            next(crx),
            Event::Message(format!("client {i}").into_bytes())
        );
        assert_eq!(
            next(&srx),
            Event::Message(format!("client {i}").into_bytes())
        );
    }
    // Stopping one client leaves the shared endpoint serving the other.
    clients[0].0.stop().unwrap();
    assert!(matches!(next(&srx), Event::Closed(_)));
    clients[1].0.send(b"still here").unwrap();
    assert_eq!(next(&clients[1].1), Event::Message(b"still here".to_vec()));
}

#[test]
fn messages_of_every_size_back_to_back_arrive_whole_and_in_order() {
    let pki = certs::Pki::new();
    let (_srv, srx, port) = server(&pki, |_| {});
    let (cli, crx) = client(client_config(&pki), port);
    assert!(matches!(next(&crx), Event::Connected(_)));
    assert!(matches!(next(&srx), Event::Connected(_)));
    // Sizes around a packet's payload and a header split across packets, sent without waiting:
    // several messages share a packet, others span many.
    let sizes: Vec<usize> = (0..200)
        .map(|i| [1, 3, 4, 5, 1100, 1200, 1300, 2400, 70_000][i % 9] + i)
        .collect();
    let messages: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (i * 31 + j * 7) as u8).collect())
        .collect();
    for m in &messages {
        cli.send(m).unwrap();
    }
    for m in &messages {
        assert_eq!(next(&srx), Event::Message(m.clone()));
    }
    for m in &messages {
        assert_eq!(next(&crx), Event::Message(m.clone()));
    }
}

#[test]
fn an_oversized_incoming_message_closes_only_its_connection() {
    let pki = certs::Pki::new();
    let (srv, srx, port) = server(&pki, |c| c.quic.max_message_size = 10_000);
    let (good, grx) = client(client_config(&pki), port);
    assert!(matches!(next(&grx), Event::Connected(_)));
    assert!(matches!(next(&srx), Event::Connected(_)));
    let (bad, brx) = client(client_config(&pki), port);
    assert!(matches!(next(&brx), Event::Connected(_)));
    assert!(matches!(next(&srx), Event::Connected(_)));
    // The client's own limit is the default 16 MiB: it sends what the server refuses.
    bad.send(&[1u8; 10_000]).unwrap();
    assert_eq!(next(&srx), Event::Message(vec![1u8; 10_000]));
    assert_eq!(next(&brx), Event::Message(vec![1u8; 10_000]));
    bad.send(&[2u8; 10_001]).unwrap();
    assert_eq!(next(&srx), Event::Error(ErrorCode::MessageTooLarge));
    assert!(matches!(next(&srx), Event::Closed(_)));
    assert_eq!(next(&brx), Event::Error(ErrorCode::ClosedByPeer));
    assert!(matches!(next(&brx), Event::Closed(_)));
    assert_eq!(bad.last_close().and_then(|c| c.code), Some(0x4e53_0001));
    good.send(b"unaffected").unwrap();
    assert_eq!(next(&srx), Event::Message(b"unaffected".to_vec()));
    assert_eq!(next(&grx), Event::Message(b"unaffected".to_vec()));
    assert_eq!(srv.connection_count(), 1);
}

/// Shut until `open_gate`.
type Gate = Arc<(Mutex<bool>, std::sync::Condvar)>;

/// A server whose message callback holds each message until the gate opens (so the client's
/// queue fills: the server stops granting flow-control credit); it sends every message it got
/// on `got`.
fn gated_server(pki: &certs::Pki) -> (QuicServer, u16, Gate, Receiver<Vec<u8>>) {
    let (srv, _srx, port) = server(pki, |_| {});
    let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let (tx, got) = channel();
    let tx = Mutex::new(tx);
    let g = gate.clone();
    srv.set_handlers(move |h| {
        h.message = Some(Arc::new(move |_: &QuicConnection, m: &[u8]| {
            let (open, cv) = &*g;
            let mut o = open.lock().unwrap();
            while !*o {
                o = cv.wait(o).unwrap();
            }
            let _ = tx.lock().unwrap().send(m.to_vec());
        }))
    });
    (srv, port, gate, got)
}

fn open_gate(gate: &(Mutex<bool>, std::sync::Condvar)) {
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
}

/// Bytes a limited client's connection queues.
const QUEUE_LIMIT: usize = 256 * 1024;

/// A started client of `port` whose connection queues at most `QUEUE_LIMIT` bytes; `tune` sets
/// its other options.
fn limited_client(pki: &certs::Pki, port: u16, tune: impl FnOnce(&mut QuicOptions)) -> QuicClient {
    let mut config = client_config(pki);
    config.quic.send_queue_limit = QUEUE_LIMIT;
    tune(&mut config.quic);
    client(config, port).0
}

/// Sends `message` until a send is refused: how many were accepted, and the refusal's code.
fn send_until_refused(cli: &QuicClient, message: &[u8]) -> (usize, ErrorCode) {
    let mut sent = 0;
    loop {
        match cli.send(message) {
            Ok(()) => sent += 1,
            Err(e) => return (sent, e.code()),
        }
        assert!(sent < 1000, "the queue never filled");
    }
}

#[test]
fn the_queue_limit_holds_for_a_connection_as_a_whole() {
    let message: Vec<u8> = (0..32 * 1024).map(|i| (i % 239) as u8).collect();
    let pki = certs::Pki::new();
    let (_srv, port, gate, got) = gated_server(&pki);
    let cli = limited_client(&pki, port, |_| {});
    let (sent, refused) = send_until_refused(&cli, &message);
    assert_eq!(refused, ErrorCode::SendQueueFull);
    let queued = cli.stats().queued_bytes as usize;
    assert!(
        queued > QUEUE_LIMIT - message.len() - 4 && queued <= QUEUE_LIMIT,
        "{queued}"
    );
    // A stream of its own finds the connection's queue full too (each stream had its own limit
    // before: 100 streams could hold 100 times the limit).
    let id = cli.create_stream().unwrap();
    assert_eq!(
        cli.send_on_stream(id, &message, true).unwrap_err().code(),
        ErrorCode::SendQueueFull
    );
    open_gate(&gate);
    for _ in 0..sent {
        assert_eq!(got.recv_timeout(WAIT).expect("message"), message);
    }
}

#[test]
fn a_full_queue_refuses_at_once_or_waits_for_room_with_send_wait() {
    let message: Vec<u8> = (0..32 * 1024).map(|i| (i % 251) as u8).collect();
    let pki = certs::Pki::new();

    // Without send_wait: -643 at once once the queue holds the limit; nothing is lost.
    let (_srv, port, gate, got) = gated_server(&pki);
    let cli = limited_client(&pki, port, |_| {});
    let (sent, refused) = send_until_refused(&cli, &message);
    assert_eq!(refused, ErrorCode::SendQueueFull);
    open_gate(&gate);
    for _ in 0..sent {
        assert_eq!(got.recv_timeout(WAIT).expect("message"), message);
    }

    // With send_wait: a sender of 4 MiB (16 times the limit) waits for room while the server
    // holds its messages, and every message arrives once the server reads, in order.
    let (_srv, port, gate, got) = gated_server(&pki);
    let cli = limited_client(&pki, port, |q| q.send_wait = WAIT);
    let cli = Arc::new(cli);
    let (done_tx, done) = channel();
    let sender = {
        let (cli, message) = (cli.clone(), message.clone());
        std::thread::spawn(move || {
            for i in 0..128u8 {
                let mut m = message.clone();
                m[0] = i;
                cli.send(&m).unwrap();
            }
            done_tx.send(()).unwrap();
        })
    };
    // The server reads nothing yet: the sender cannot be done (the queue and quinn's windows
    // hold under 2 MiB of the 4).
    assert!(done.recv_timeout(Duration::from_millis(300)).is_err());
    open_gate(&gate);
    done.recv_timeout(WAIT).expect("the sender finished");
    sender.join().unwrap();
    for i in 0..128u8 {
        let m = got.recv_timeout(WAIT).expect("message");
        assert_eq!((m[0], &m[1..]), (i, &message[1..]));
    }

    // A wait that runs out gives -643 after send_wait; a stop while a sender waits ends the wait
    // with ConnectionClosed.
    let (_srv, port, gate, _got) = gated_server(&pki);
    let cli = limited_client(&pki, port, |q| {
        q.send_wait = Duration::from_millis(200);
        q.linger = Duration::from_millis(100);
    });
    let refused = loop {
        let t = std::time::Instant::now();
        if let Err(e) = cli.send(&message) {
            break (e.code(), t.elapsed());
        }
    };
    assert_eq!(refused.0, ErrorCode::SendQueueFull);
    assert!(refused.1 >= Duration::from_millis(190), "{:?}", refused.1);
    cli.configure(|c| c.quic.send_wait = WAIT).unwrap_err();
    drop(cli);
    open_gate(&gate);

    let (_srv, port, gate, _got) = gated_server(&pki);
    let cli = limited_client(&pki, port, |q| {
        q.send_wait = WAIT;
        q.linger = Duration::from_millis(100);
    });
    let cli = Arc::new(cli);
    let (result_tx, result) = channel();
    let sender = {
        let (cli, message) = (cli.clone(), message.clone());
        std::thread::spawn(move || loop {
            if let Err(e) = cli.send(&message) {
                result_tx.send(e.code()).unwrap();
                return;
            }
        })
    };
    // Still waiting (the server holds everything) ...
    assert!(result.recv_timeout(Duration::from_millis(300)).is_err());
    // ... until the stop.
    cli.stop().unwrap();
    assert_eq!(
        result.recv_timeout(WAIT).expect("the wait ended"),
        ErrorCode::ConnectionClosed
    );
    sender.join().unwrap();
    open_gate(&gate);
}
