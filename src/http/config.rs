//! HTTP server and client options.

use std::time::Duration;

use crate::tls::{ClientTlsConfig, ServerTlsConfig};

/// HTTP server options.
#[derive(Debug, Clone)]
pub struct HttpServerConfig {
    /// Address to bind (default "0.0.0.0").
    pub bind_address: String,
    /// Listen backlog (default 1024).
    pub backlog: u32,
    /// Open connections beyond this are answered 503 and closed (default 1000).
    pub max_connections: usize,
    /// A request's headers must arrive within this time (else the connection is closed; an
    /// idle keep-alive connection is closed after it too), and then its body within this time
    /// (else 408). Default 30 s.
    pub request_timeout: Duration,
    /// Largest request head, request line and headers (default 64 KiB, as the original;
    /// larger → 431). HTTP/1.1 rounds it up to 8 KiB at least.
    pub max_header_bytes: usize,
    /// Largest request body (default 10 MiB, as the original; larger → 413).
    pub max_body_bytes: usize,
    /// Error responses as JSON `{"error":{"status":…,"message":…,"detail":…}}` instead of
    /// text (default off).
    pub json_errors: bool,
    /// gzip or deflate response bodies of at least `compression_threshold` bytes when the
    /// request accepts it (default off, as the original).
    pub compression: bool,
    /// Default 1024 bytes.
    pub compression_threshold: usize,
    /// Handlers may block for long (database queries, sleeps, calls to slow services): each
    /// call first moves the worker's other tasks to another thread, at a cost per request
    /// (default off: handlers run directly and must return quickly, as every callback).
    pub blocking_handlers: bool,
    /// How long `stop` lets requests in progress finish before closing (default 5 s).
    pub drain_timeout: Duration,
    /// https: certificate and key (ALPN offers h2 and http/1.1 unless set otherwise).
    pub tls: Option<ServerTlsConfig>,
}

impl Default for HttpServerConfig {
    fn default() -> Self {
        HttpServerConfig {
            bind_address: "0.0.0.0".to_string(),
            backlog: 1024,
            max_connections: 1000,
            request_timeout: Duration::from_secs(30),
            max_header_bytes: 64 * 1024,
            max_body_bytes: 10 * 1024 * 1024,
            json_errors: false,
            compression: false,
            compression_threshold: 1024,
            blocking_handlers: false,
            drain_timeout: Duration::from_secs(5),
            tls: None,
        }
    }
}

/// HTTP client options.
#[derive(Debug, Clone)]
pub struct HttpClientConfig {
    /// Whole request: connect, send, response and its body (default 30 s, as the original).
    /// Exceeded while connecting → -602, later → -4.
    pub timeout: Duration,
    /// https: trust, verification (on by default), pins, client certificate.
    pub tls: ClientTlsConfig,
    /// Follow 301/302/303/307/308 (default off: the 3xx response is returned).
    pub follow_redirects: bool,
    /// Redirects followed at most (default 10); one more → -644.
    pub max_redirects: usize,
    /// Speak HTTP/2 without negotiation on http:// (h2c prior knowledge); https negotiates
    /// h2 through ALPN regardless (default off).
    pub http2_prior_knowledge: bool,
    /// Ask for gzip/deflate and decode what comes back (default on).
    pub decompress: bool,
    /// Largest response body, after decoding (default 100 MiB; larger → -642).
    pub max_response_bytes: usize,
    /// Idle pooled connections are closed after this (default 90 s).
    pub pool_idle_timeout: Duration,
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        HttpClientConfig {
            timeout: Duration::from_secs(30),
            tls: ClientTlsConfig::default(),
            follow_redirects: false,
            max_redirects: 10,
            http2_prior_knowledge: false,
            decompress: true,
            max_response_bytes: 100 * 1024 * 1024,
            pool_idle_timeout: Duration::from_secs(90),
        }
    }
}
