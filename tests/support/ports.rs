// Each test crate uses a different part of this module.
#![allow(dead_code)]

//! Ports that refuse, held by the test while it runs, so no test running alongside can take
//! them (a port bound, read and closed again can be anyone's by the time it is used).

use std::net::{SocketAddr, UdpSocket};

use socket2::{Domain, Socket, Type};

/// A TCP port of 127.0.0.1 that refuses connections while the socket lives: bound, never
/// listening (a SYN gets a reset).
pub fn refusing_tcp_port() -> (Socket, u16) {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    s.bind(&any.into()).expect("bind");
    let port = s
        .local_addr()
        .expect("address")
        .as_socket()
        .expect("inet")
        .port();
    (s, port)
}

/// A UDP port of 127.0.0.1 that answers with ICMP "port unreachable" while the socket lives:
/// bound and connected to itself, it takes no datagram from anyone else.
pub fn unreachable_udp_port() -> (UdpSocket, u16) {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = s.local_addr().expect("address");
    s.connect(addr).expect("connect");
    (s, addr.port())
}
