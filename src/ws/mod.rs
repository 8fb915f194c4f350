//! WebSocket (RFC 6455) on tokio-tungstenite, over our TCP accept/connect and, for wss://,
//! our rustls configuration (`src/tls`). Messages are whole (fragments reassembled), text is
//! checked for UTF-8, pings are answered with one pong, and each side may ping on an interval
//! and drop a peer that stops answering.

mod client;
mod config;
mod connection;
mod handshake;
mod server;

pub use client::{check_headers, WsClient};
pub use config::{WsClientConfig, WsOptions, WsServerConfig};
pub use connection::{
    close_code, WsCloseFn, WsConnFn, WsConnection, WsErrorFn, WsHandlers, WsMessageFn,
};
pub use server::WsServer;
