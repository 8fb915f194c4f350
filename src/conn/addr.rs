//! Host names and addresses, shared by every protocol: validation before any lookup, IP
//! literals parsed without allocation, and blocking lookups kept off the runtime's hands.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use crate::error::{Error, ErrorCode, Result};
use crate::runtime;

/// `host` without the brackets of an IPv6 literal ("[::1]" → "::1").
pub(crate) fn bare(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// The IP address `host` spells, if it is a literal (no allocation, no lookup).
pub(crate) fn ip_literal(host: &str) -> Option<IpAddr> {
    bare(host).parse().ok()
}

/// Rejects host names that cannot resolve, before any lookup is made.
pub(crate) fn check_host(host: &str) -> Result<()> {
    if host.is_empty() {
        return Err(Error::new(ErrorCode::InvalidArgument, "host is empty"));
    }
    if ip_literal(host).is_some() {
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

/// Where a lookup would be made: `invalid` and names under `.invalid` fail at once, as RFC 6761
/// (section 6.4) asks of name resolution libraries, without asking DNS.
fn before_lookup(host: &str) -> Result<()> {
    let name = host.trim_end_matches('.');
    let tld = name.rsplit('.').next().unwrap_or(name);
    if tld.eq_ignore_ascii_case("invalid") {
        return Err(Error::new(
            ErrorCode::AddressResolutionFailed,
            format!("cannot resolve '{host}': .invalid names never resolve (RFC 6761)"),
        ));
    }
    Ok(())
}

/// Every address of `host:port`, looked up without holding a worker (tokio's resolver thread)
/// and given up at `deadline`.
pub(crate) async fn lookup(
    host: &str,
    port: u16,
    deadline: tokio::time::Instant,
) -> Result<Vec<SocketAddr>> {
    before_lookup(host)?;
    match tokio::time::timeout_at(deadline, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(Error::new(
            ErrorCode::AddressResolutionFailed,
            format!("resolving '{host}' timed out"),
        )),
        Ok(Err(e)) => Err(Error::new(
            ErrorCode::AddressResolutionFailed,
            format!("cannot resolve '{host}': {e}"),
        )),
        Ok(Ok(a)) => Ok(a.collect()),
    }
}

/// Resolves `host:port` to its first address. An IP literal is parsed in place; a host name is
/// looked up (blocking) — from a callback, on a thread that does not hold up the runtime.
pub(crate) fn resolve(host: &str, port: u16) -> Result<SocketAddr> {
    check_host(host)?;
    if let Some(ip) = ip_literal(host) {
        return Ok(SocketAddr::new(ip, port));
    }
    before_lookup(host)?;
    runtime::blocking(|| (host, port).to_socket_addrs())
        .map_err(|e| {
            Error::new(
                ErrorCode::AddressResolutionFailed,
                format!("cannot resolve '{host}': {e}"),
            )
        })?
        .next()
        .ok_or_else(|| {
            Error::new(
                ErrorCode::AddressResolutionFailed,
                format!("'{host}' resolved to no address"),
            )
        })
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

    #[test]
    fn invalid_names_fail_without_a_lookup() {
        for name in ["invalid", "no-such-host.invalid", "x.INVALID."] {
            assert!(check_host(name).is_ok(), "{name} is well-formed");
            assert_eq!(
                resolve(name, 80).unwrap_err().code(),
                ErrorCode::AddressResolutionFailed,
                "{name}"
            );
        }
        assert!(before_lookup("invalid.example").is_ok());
    }

    #[test]
    fn literals_need_no_lookup() {
        assert_eq!(
            resolve("[::1]", 7).ok(),
            Some(SocketAddr::new(
                "::1".parse().unwrap_or(IpAddr::from([0u8; 16])),
                7
            ))
        );
        assert_eq!(ip_literal("10.1.2.3"), Some(IpAddr::from([10, 1, 2, 3])));
        assert_eq!(ip_literal("host.example"), None);
    }
}
