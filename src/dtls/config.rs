//! Options of DTLS servers and clients.

use std::time::Duration;

use crate::tls::{ClientTlsConfig, ServerTlsConfig};
use crate::udp::UdpConfig;

/// Path MTU assumed by default: records and handshake flights fit 1 400-byte datagrams.
pub const DEFAULT_MTU: u32 = 1400;

/// Options of a [`DtlsServer`](super::DtlsServer); change them before `start`.
#[derive(Debug, Clone)]
pub struct DtlsServerConfig {
    /// Certificate and key (required), client CA for mutual authentication. DTLS 1.2 (the
    /// OpenSSL of the system decides whether 1.3 is offered); `versions` and `alpn` are
    /// ignored. `handshake_timeout` bounds each peer's handshake (default 10 s).
    pub tls: ServerTlsConfig,
    /// Local address and socket buffer sizes (default bind "0.0.0.0").
    pub udp: UdpConfig,
    /// Path MTU: the largest datagram sent, records and handshake flights included (default
    /// 1 400). A send whose record would not fit is refused with `MessageTooLarge`.
    pub mtu: u32,
    /// Sessions (established or handshaking past the cookie) beyond which new peers are
    /// ignored (default 10 000).
    pub max_sessions: usize,
    /// A session that heard nothing for this long ends (reported with `SessionExpired`);
    /// zero = never (default 300 s).
    pub idle_timeout: Duration,
}

impl Default for DtlsServerConfig {
    fn default() -> Self {
        DtlsServerConfig {
            tls: ServerTlsConfig::default(),
            udp: UdpConfig::server(),
            mtu: DEFAULT_MTU,
            max_sessions: 10_000,
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// Options of a [`DtlsClient`](super::DtlsClient); change them before `start`.
#[derive(Debug, Clone)]
pub struct DtlsClientConfig {
    /// Verification (on by default: system roots, CA, host name, pins), client certificate,
    /// handshake timeout (default 10 s). `versions` and `alpn` are ignored.
    pub tls: ClientTlsConfig,
    /// Local address and socket buffer sizes.
    pub udp: UdpConfig,
    /// Path MTU, as for the server (default 1 400).
    pub mtu: u32,
    /// The session ends when nothing was heard for this long; zero = never (default 0).
    pub idle_timeout: Duration,
}

impl Default for DtlsClientConfig {
    fn default() -> Self {
        DtlsClientConfig {
            tls: ClientTlsConfig::default(),
            udp: UdpConfig::default(),
            mtu: DEFAULT_MTU,
            idle_timeout: Duration::ZERO,
        }
    }
}
