//! network_system: asynchronous TCP messaging for C, C++ and Rust programs.
//!
//! The engine is tokio; C and C++ programs use it through the C ABI (module `ffi`, hidden from
//! the Rust API: its functions are `unsafe extern "C"`, `include/network_system.h`) and the header-only C++ wrapper under `include/kcenon/`.
//! Rust programs can use [`tcp::TcpServer`] and [`tcp::TcpClient`] directly.

pub mod conn;
pub mod dtls;
pub mod error;
#[doc(hidden)]
pub mod ffi;
pub mod http;
pub mod log;
pub mod metrics;
pub mod quic;
pub mod runtime;
pub mod tcp;
pub mod timer;
pub mod tls;
pub mod udp;
pub mod ws;

pub use conn::{ConnOptions, Framing, Handlers, Session, Stats};
pub use error::{Error, ErrorCode, Result};

/// The library version, `MAJOR.MINOR.PATCH`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
