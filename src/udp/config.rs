//! Options of UDP servers and clients.

use std::net::Ipv4Addr;

/// Options of a [`UdpServer`](super::UdpServer) or [`UdpClient`](super::UdpClient); change them
/// before `start`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UdpConfig {
    /// Local address to bind. Server default "0.0.0.0" (like the original); client default ""
    /// = the unspecified address of the target's family. "::" / "::1" for IPv6.
    pub bind_address: String,
    /// SO_REUSEADDR, to let several sockets receive one multicast port (default off: a port in
    /// use is an error).
    pub reuse_address: bool,
    /// SO_BROADCAST: allow sending to broadcast addresses (default off).
    pub broadcast: bool,
    /// SO_RCVBUF / SO_SNDBUF in bytes (default: the system's).
    pub recv_buffer_size: Option<usize>,
    pub send_buffer_size: Option<usize>,
    /// IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS for sent multicast (system default 1; 0 keeps
    /// IPv4 multicast on this host).
    pub multicast_ttl: Option<u32>,
    /// IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP (system default on).
    pub multicast_loop: Option<bool>,
    /// Outgoing interface for IPv4 multicast (an address of that interface).
    pub multicast_interface_v4: Option<Ipv4Addr>,
    /// Outgoing interface index for IPv6 multicast.
    pub multicast_interface_v6: Option<u32>,
}

impl UdpConfig {
    /// The server defaults: bind 0.0.0.0.
    pub fn server() -> UdpConfig {
        UdpConfig {
            bind_address: "0.0.0.0".to_string(),
            ..UdpConfig::default()
        }
    }
}
