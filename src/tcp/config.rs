//! Options of TCP servers and clients.

use std::time::Duration;

use crate::conn::ConnOptions;
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

/// Exponential backoff for automatic reconnection.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectPolicy {
    /// Delay before the first retry (default 100 ms).
    pub initial_delay: Duration,
    /// Upper bound of the delay (default 30 s).
    pub max_delay: Duration,
    /// Failed attempts in a row before giving up with `CircuitOpen`; 0 = never give up.
    pub max_attempts: u32,
    /// Random spread of each delay, 0.0…1.0 (default 0.2 = ±20 %).
    pub jitter: f64,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(30),
            max_attempts: 10,
            jitter: 0.2,
        }
    }
}

/// Delays between reconnect attempts under a policy, with jitter.
pub(crate) struct Backoff {
    seed: u64,
}

impl Backoff {
    pub fn new() -> Backoff {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        Backoff { seed: seed | 1 }
    }

    /// The delay before the next attempt after `failures` failures in a row (at least 1).
    pub fn delay(&mut self, policy: &ReconnectPolicy, failures: u32) -> Duration {
        // xorshift64: jitter only, no need for a strong generator.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let random = (self.seed >> 11) as f64 / (1u64 << 53) as f64;
        policy.delay(failures.saturating_sub(1), random)
    }
}

impl ReconnectPolicy {
    /// Delay before retry number `failures` (0-based), jittered with `random` in [0, 1).
    pub fn delay(&self, failures: u32, random: f64) -> Duration {
        let base = self
            .initial_delay
            .saturating_mul(1u32 << failures.min(20))
            .min(self.max_delay);
        let jitter = self.jitter.clamp(0.0, 1.0);
        let factor = 1.0 + jitter * (2.0 * random.clamp(0.0, 1.0) - 1.0);
        base.mul_f64(factor.max(0.0)).min(self.max_delay)
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
