//! UDP on loopback: datagram fidelity, sender endpoints, send_to, IPv6, multicast, bad input.

#[path = "support/ports.rs"]
mod ports;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use network_system::udp::{UdpClient, UdpConfig, UdpServer, MAX_DATAGRAM_V4};
use network_system::ErrorCode;

const WAIT: Duration = Duration::from_secs(10);

type Datagram = (Vec<u8>, SocketAddr);

fn echo_server(bind: &str) -> Option<(UdpServer, u16)> {
    let server = UdpServer::new(UdpConfig {
        bind_address: bind.into(),
        recv_buffer_size: Some(4 << 20),
        ..UdpConfig::default()
    });
    server.start(0).ok()?;
    let port = server.local_addr().unwrap().port();
    Some((server, port))
}

/// A client whose datagrams (with their senders) and error codes arrive on channels.
fn client(port: u16, host: &str) -> (UdpClient, Receiver<Datagram>, Receiver<ErrorCode>) {
    let c = UdpClient::new(UdpConfig {
        recv_buffer_size: Some(4 << 20),
        ..UdpConfig::default()
    });
    let (tx, rx) = channel();
    let (etx, erx) = channel();
    let (tx, etx) = (Mutex::new(tx), Mutex::new(etx));
    c.set_handlers(|h| {
        h.datagram = Some(Arc::new(move |d: &[u8], from| {
            let _ = tx.lock().unwrap().send((d.to_vec(), from));
        }));
        h.error = Some(Arc::new(move |e| {
            let _ = etx.lock().unwrap().send(e.code());
        }));
    });
    c.start(host, port).expect("client start");
    (c, rx, erx)
}

/// Makes the server echo every datagram to its sender.
fn echo(server: &Arc<UdpServer>) {
    let weak = Arc::downgrade(server);
    server.set_handlers(|h| {
        h.datagram = Some(Arc::new(move |d: &[u8], from| {
            if let Some(s) = weak.upgrade() {
                let _ = s.send_to(d, from);
            }
        }))
    });
}

fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn thousand_random_datagrams_round_trip() {
    let (server, port) = echo_server("127.0.0.1").unwrap();
    let server = Arc::new(server);
    echo(&server);
    let (c, rx, _) = client(port, "127.0.0.1");
    let mut seed = 88172645463325252u64;
    let mut bytes = 0u64;
    for i in 0..1000 {
        let n = 1 + (xorshift(&mut seed) as usize % MAX_DATAGRAM_V4);
        let msg: Vec<u8> = (0..n).map(|j| (j as u64 ^ seed) as u8).collect();
        c.send(&msg).unwrap();
        let (got, from) = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("echo {i} lost"));
        assert_eq!(got, msg, "datagram {i}");
        assert_eq!(from.port(), port);
        bytes += n as u64;
    }
    let s = c.stats();
    assert_eq!(
        (s.messages_out, s.messages_in, s.bytes_in),
        (1000, 1000, bytes)
    );
    assert_eq!(server.stats().messages_in, 1000);
}

#[test]
fn sender_endpoints_and_send_to_reach_the_right_client() {
    let server = Arc::new(UdpServer::new(UdpConfig {
        bind_address: "127.0.0.1".into(),
        ..UdpConfig::default()
    }));
    let (tx, senders) = channel::<(Vec<u8>, SocketAddr)>();
    let tx = Mutex::new(tx);
    server.set_handlers(|h| {
        h.datagram = Some(Arc::new(move |d: &[u8], from| {
            let _ = tx.lock().unwrap().send((d.to_vec(), from));
        }))
    });
    server.start(0).unwrap();
    let port = server.local_addr().unwrap().port();
    let clients: Vec<_> = (0..5).map(|_| client(port, "127.0.0.1")).collect();
    for (i, (c, _, _)) in clients.iter().enumerate() {
        c.send(format!("client {i}").as_bytes()).unwrap();
        let (data, from) = senders.recv_timeout(WAIT).unwrap();
        assert_eq!(data, format!("client {i}").into_bytes());
        assert_eq!(
            from,
            c.local_addr().unwrap(),
            "sender endpoint of client {i}"
        );
    }
    for (i, (c, rx, _)) in clients.iter().enumerate().rev() {
        server
            .send_to(format!("to {i}").as_bytes(), c.local_addr().unwrap())
            .unwrap();
        assert_eq!(
            rx.recv_timeout(WAIT).unwrap().0,
            format!("to {i}").into_bytes()
        );
    }
    for (_, rx, _) in &clients {
        assert!(rx.try_recv().is_err(), "no client got another's datagram");
    }
}

#[test]
fn ipv6_loopback() {
    let Some((server, port)) = echo_server("::1") else {
        eprintln!("SKIPPED: ::1 is not available on this machine");
        return;
    };
    let server = Arc::new(server);
    echo(&server);
    let (c, rx, _) = client(port, "::1");
    c.send(b"over ipv6").unwrap();
    let (data, from) = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(data, b"over ipv6");
    assert_eq!(from, SocketAddr::new("::1".parse().unwrap(), port));
}

#[test]
fn multicast_join_and_receive_on_loopback() {
    // Skipped only where plain sockets show the kernel cannot do it; where it can, any failure
    // of ours fails the test.
    if let Err(why) = kernel_loops_multicast_on_lo() {
        eprintln!("SKIPPED: {why}");
        return;
    }
    // Host-local only: joined on the loopback interface, sent with TTL 0 through it.
    let group: IpAddr = "239.255.78.83".parse().unwrap();
    let server = UdpServer::new(UdpConfig {
        bind_address: "0.0.0.0".into(),
        ..UdpConfig::default()
    });
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    server.set_handlers(|h| {
        h.datagram = Some(Arc::new(move |d: &[u8], _| {
            let _ = tx.lock().unwrap().send(d.to_vec());
        }))
    });
    server.start(0).unwrap();
    let port = server.local_addr().unwrap().port();
    server.join_multicast(group, Some("127.0.0.1")).unwrap();
    let sender = UdpClient::new(UdpConfig {
        multicast_ttl: Some(0),
        multicast_loop: Some(true),
        multicast_interface_v4: Some(Ipv4Addr::LOCALHOST),
        ..UdpConfig::default()
    });
    sender.start(&group.to_string(), port).unwrap();
    sender.send(b"to the group").unwrap();
    let d = rx.recv_timeout(WAIT).expect("the group's datagram");
    assert_eq!(d, b"to the group");
    server.leave_multicast(group, Some("127.0.0.1")).unwrap();
    assert_eq!(
        server
            .join_multicast("127.0.0.1".parse().unwrap(), None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidArgument
    );
}

/// Whether this kernel loops IPv4 multicast back on lo, asked with plain sockets (join on lo,
/// send with TTL 0, wait for the datagram).
fn kernel_loops_multicast_on_lo() -> Result<(), String> {
    let group = Ipv4Addr::new(239, 255, 78, 84);
    let rx = UdpSocket::bind("0.0.0.0:0").map_err(|e| format!("bind: {e}"))?;
    rx.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST)
        .map_err(|e| format!("the kernel refuses multicast on lo: {e}"))?;
    rx.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let tx = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)
        .map_err(|e| format!("socket: {e}"))?;
    tx.set_multicast_if_v4(&Ipv4Addr::LOCALHOST)
        .and_then(|_| tx.set_multicast_ttl_v4(0))
        .map_err(|e| format!("multicast options: {e}"))?;
    let to = SocketAddr::from((group, rx.local_addr().unwrap().port()));
    tx.send_to(b"p", &to.into())
        .map_err(|e| format!("the kernel cannot send multicast on lo: {e}"))?;
    let mut buf = [0u8; 8];
    rx.recv_from(&mut buf)
        .map(|_| ())
        .map_err(|_| "joined, but this kernel does not loop multicast back on lo".to_string())
}

#[test]
fn bad_input() {
    let (server, port) = echo_server("127.0.0.1").unwrap();
    let server = Arc::new(server);
    echo(&server);
    assert_eq!(
        server.start(0).unwrap_err().code(),
        ErrorCode::ServerAlreadyRunning
    );
    let other = UdpServer::new(UdpConfig {
        bind_address: "127.0.0.1".into(),
        ..UdpConfig::default()
    });
    assert_eq!(other.start(port).unwrap_err().code(), ErrorCode::BindFailed);
    assert_eq!(
        other
            .send_to(b"x", server.local_addr().unwrap())
            .unwrap_err()
            .code(),
        ErrorCode::ServerNotStarted
    );

    let (c, rx, _) = client(port, "127.0.0.1");
    let big = vec![0u8; MAX_DATAGRAM_V4 + 1];
    assert_eq!(c.send(&big).unwrap_err().code(), ErrorCode::MessageTooLarge);
    assert_eq!(c.stats().messages_out, 0, "nothing was sent");
    assert_eq!(c.send(&[]).unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(
        c.start("127.0.0.1", port).unwrap_err().code(),
        ErrorCode::ClientAlreadyRunning
    );
    c.send(b"still fine").unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap().0, b"still fine");
    c.stop().unwrap();
    assert_eq!(
        c.send(b"x").unwrap_err().code(),
        ErrorCode::ClientNotStarted
    );

    let d = UdpClient::default();
    assert_eq!(
        d.start("", 1).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        d.start("no-such-host.invalid", 1).unwrap_err().code(),
        ErrorCode::AddressResolutionFailed
    );
    assert_eq!(
        d.start("bad host!", 1).unwrap_err().code(),
        ErrorCode::AddressResolutionFailed
    );
}

#[test]
fn port_unreachable_is_reported_and_the_client_keeps_working() {
    let (_held, closed_port) = ports::unreachable_udp_port();
    let (c, _, errors) = client(closed_port, "127.0.0.1");
    c.send(b"anyone?").unwrap();
    assert_eq!(
        errors.recv_timeout(WAIT).unwrap(),
        ErrorCode::ConnectionRefused
    );
    // Point it at a live echo server: it keeps working.
    let (server, port) = echo_server("127.0.0.1").unwrap();
    let server = Arc::new(server);
    echo(&server);
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    c.set_handlers(|h| {
        h.datagram = Some(Arc::new(move |d: &[u8], _| {
            let _ = tx.lock().unwrap().send(d.to_vec());
        }))
    });
    c.set_target("127.0.0.1", port).unwrap();
    c.send(b"hello again").unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), b"hello again");
}

#[test]
fn plain_socket_peer_with_our_server_and_client() {
    let (server, port) = echo_server("127.0.0.1").unwrap();
    let server = Arc::new(server);
    echo(&server);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    peer.send_to(b"from a plain socket", ("127.0.0.1", port))
        .unwrap();
    let mut buf = [0u8; 64];
    let (n, from) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"from a plain socket");
    assert_eq!(from.port(), port);

    let (c, rx, _) = client(peer.local_addr().unwrap().port(), "127.0.0.1");
    c.send(b"to a plain socket").unwrap();
    let (n, from) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"to a plain socket");
    assert_eq!(from, c.local_addr().unwrap());
    peer.send_to(b"reply", from).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap().0, b"reply");
}
