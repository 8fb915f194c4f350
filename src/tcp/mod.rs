//! TCP messaging: [`TcpServer`] and [`TcpClient`] over the shared connection layer.

mod client;
mod config;
mod server;

pub use client::TcpClient;
pub use config::{ClientConfig, ReconnectPolicy, ServerConfig};
pub use server::TcpServer;

use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::net::TcpStream;

use crate::conn::ConnOptions;
use crate::error::{Error, ErrorCode, Result};

/// Applies the per-connection socket options.
fn tune(stream: &TcpStream, opts: &ConnOptions) -> std::io::Result<()> {
    stream.set_nodelay(opts.no_delay)?;
    if let Some(idle) = opts.keepalive {
        let ka = TcpKeepalive::new()
            .with_time(idle)
            .with_interval(idle.max(Duration::from_secs(1)));
        SockRef::from(stream).set_tcp_keepalive(&ka)?;
    }
    Ok(())
}

/// Rejects host names that cannot resolve, before any lookup is made.
pub(crate) fn check_host(host: &str) -> Result<()> {
    if host.is_empty() {
        return Err(Error::new(ErrorCode::InvalidArgument, "host is empty"));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    let valid = host.len() <= 253
        && host.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if valid {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::AddressResolutionFailed,
            format!("'{host}' is not a valid host name or address"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_check() {
        for ok in [
            "127.0.0.1",
            "::1",
            "[::1]",
            "localhost",
            "example.com",
            "a-b.c_d.org.",
        ] {
            assert!(check_host(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            check_host("").unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
        for bad in ["bad host", "-x.com", "a..b", "x/y", &"a".repeat(64)] {
            assert_eq!(
                check_host(bad).unwrap_err().code(),
                ErrorCode::AddressResolutionFailed,
                "{bad}"
            );
        }
    }
}
