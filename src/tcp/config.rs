//! Options of TCP servers and clients.

use std::time::Duration;

use crate::conn::{ConnOptions, ReconnectPolicy};
use crate::tls::{ClientTlsConfig, ServerTlsConfig};

/// Options of a [`TcpServer`](super::TcpServer); change them before `start`.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub conn: ConnOptions,
    /// Address to bind (default `0.0.0.0`, like the original; `::` or `::1` for IPv6).
    pub bind_address: String,
    /// Sessions served at once; further accepted sockets are closed at once (default 10 000).
    pub max_connections: usize,
    /// listen(2) backlog (default 1024).
    pub backlog: u32,
    /// Serve TLS with these options (default: plain TCP).
    pub tls: Option<ServerTlsConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            conn: ConnOptions::default(),
            bind_address: "0.0.0.0".to_string(),
            max_connections: 10_000,
            backlog: 1024,
            tls: None,
        }
    }
}

/// Options of a [`TcpClient`](super::TcpClient); change them before `start`.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub conn: ConnOptions,
    /// Time allowed for resolve + connect (default 10 s); exceeded → `ConnectionTimeout`.
    pub connect_timeout: Duration,
    /// Reconnect automatically after a failed connect or a lost connection (default off).
    pub reconnect: Option<ReconnectPolicy>,
    /// Connect with TLS using these options (default: plain TCP).
    pub tls: Option<ClientTlsConfig>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            conn: ConnOptions::default(),
            connect_timeout: Duration::from_secs(10),
            reconnect: None,
            tls: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let p = ReconnectPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_attempts: 0,
            jitter: 0.0,
        };
        assert_eq!(p.delay(0, 0.5), Duration::from_millis(100));
        assert_eq!(p.delay(1, 0.5), Duration::from_millis(200));
        assert_eq!(p.delay(3, 0.5), Duration::from_millis(800));
        assert_eq!(p.delay(4, 0.5), Duration::from_secs(1));
        assert_eq!(p.delay(40, 0.5), Duration::from_secs(1));
        let j = ReconnectPolicy { jitter: 0.5, ..p };
        assert_eq!(j.delay(0, 0.0), Duration::from_millis(50));
        assert_eq!(j.delay(0, 1.0), Duration::from_millis(150));
    }
}
