//! WebSocket server and client options.

use std::time::Duration;

use crate::tcp::ReconnectPolicy;
use crate::tls::{ClientTlsConfig, ServerTlsConfig};

/// Options shared by both ends of a WebSocket connection.
#[derive(Debug, Clone)]
pub struct WsOptions {
    /// Largest message (and frame) accepted; a larger one closes the connection with 1009
    /// (default 10 MiB, as the original). Sends above it fail with `MessageTooLarge`.
    pub max_message_size: usize,
    /// Bytes queued per connection beyond which a send fails with `SendQueueFull` (8 MiB).
    pub send_queue_limit: usize,
    /// Send a ping after this long without one (default 30 s, as the original; None: off).
    pub ping_interval: Option<Duration>,
    /// A connection whose peer answers no ping within this time is closed and reported with
    /// 1006 (default 10 s).
    pub pong_timeout: Duration,
    /// Pongs are always sent for received pings (RFC 6455 requires it); kept for source
    /// compatibility with the original's option.
    pub auto_pong: bool,
    /// After sending a close frame, how long to wait for the peer's before dropping (5 s).
    pub close_timeout: Duration,
    /// TCP_NODELAY (default on).
    pub no_delay: bool,
}

impl Default for WsOptions {
    fn default() -> Self {
        WsOptions {
            max_message_size: 10 * 1024 * 1024,
            send_queue_limit: 8 * 1024 * 1024,
            ping_interval: Some(Duration::from_secs(30)),
            pong_timeout: Duration::from_secs(10),
            auto_pong: true,
            close_timeout: Duration::from_secs(5),
            no_delay: true,
        }
    }
}

/// WebSocket server options.
#[derive(Debug, Clone)]
pub struct WsServerConfig {
    /// Address to bind (default "0.0.0.0"; "::" or "127.0.0.1" etc.).
    pub bind_address: String,
    /// The request path that upgrades (default "/"); other paths get HTTP 404.
    pub path: String,
    /// Connections beyond this get HTTP 503 (default 1000, as the original).
    pub max_connections: usize,
    /// Subprotocols offered, in preference order; when set, a client must ask for one of
    /// them (else HTTP 400). Empty: none negotiated.
    pub subprotocols: Vec<String>,
    /// Allowed `Origin` values; empty allows any (and requests without Origin). Others get
    /// HTTP 403.
    pub allowed_origins: Vec<String>,
    /// Time for the TLS and HTTP opening handshakes (default 10 s).
    pub handshake_timeout: Duration,
    pub backlog: u32,
    pub ws: WsOptions,
    /// wss:// when set.
    pub tls: Option<ServerTlsConfig>,
}

impl Default for WsServerConfig {
    fn default() -> Self {
        WsServerConfig {
            bind_address: "0.0.0.0".to_string(),
            path: "/".to_string(),
            max_connections: 1000,
            subprotocols: Vec::new(),
            allowed_origins: Vec::new(),
            handshake_timeout: Duration::from_secs(10),
            backlog: 1024,
            ws: WsOptions::default(),
            tls: None,
        }
    }
}

/// WebSocket client options.
#[derive(Debug, Clone)]
pub struct WsClientConfig {
    /// Request path (default "/").
    pub path: String,
    /// Extra request headers (e.g. Authorization), sent in this order.
    pub headers: Vec<(String, String)>,
    /// Subprotocols to ask for (Sec-WebSocket-Protocol); the server's choice is reported by
    /// the connection.
    pub subprotocols: Vec<String>,
    /// Origin header, if any.
    pub origin: Option<String>,
    /// Resolve + connect + TLS + opening handshake must finish within this (default 10 s).
    pub connect_timeout: Duration,
    /// Reconnect after a failed connect or a lost connection (default off).
    pub reconnect: Option<ReconnectPolicy>,
    pub ws: WsOptions,
    /// wss:// when set.
    pub tls: Option<ClientTlsConfig>,
}

impl Default for WsClientConfig {
    fn default() -> Self {
        WsClientConfig {
            path: "/".to_string(),
            headers: Vec::new(),
            subprotocols: Vec::new(),
            origin: None,
            connect_timeout: Duration::from_secs(10),
            reconnect: None,
            ws: WsOptions::default(),
            tls: None,
        }
    }
}
