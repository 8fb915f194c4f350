//! QUIC (RFC 9000/9001/9002) on quinn, with our rustls configuration (`src/tls`) and UDP
//! socket options (`src/udp`).
//!
//! A connection carries three kinds of traffic:
//! - messages (`send`): whole and in order, length-prefixed (4 bytes, big-endian) on each
//!   side's first unidirectional stream (client stream 2, server stream 3), opened with the
//!   connection; delivered to the message callback;
//! - streams (`create_stream`, `create_unidirectional_stream`, `send_on_stream`): raw bytes,
//!   delivered in order per stream to the stream callback with the stream id and fin; a
//!   bidirectional stream the peer opens can be answered on its id;
//! - datagrams (RFC 9221): unreliable, whole.

mod client;
mod config;
mod connection;
mod server;

pub use client::QuicClient;
pub use config::{QuicClientConfig, QuicOptions, QuicServerConfig};
pub use connection::{
    close_code, CloseInfo, QuicConnFn, QuicConnection, QuicDataFn, QuicErrorFn, QuicHandlers,
    QuicStats, QuicStreamFn,
};
pub use server::QuicServer;

use quinn::{ConnectionError, TransportErrorCode};

use crate::error::{Error, ErrorCode};

/// TLS alerts that mean "your certificate was not accepted" (RFC 8446 §6.2).
const CERTIFICATE_ALERTS: [u64; 8] = [42, 43, 44, 45, 46, 48, 49, 116];

fn is_certificate_alert(code: TransportErrorCode) -> bool {
    let code = u64::from(code);
    (0x100..=0x1ff).contains(&code) && CERTIFICATE_ALERTS.contains(&(code - 0x100))
}

/// A send or stream operation that found the connection gone.
fn close_error(e: &ConnectionError, what: &str) -> Error {
    Error::new(
        ErrorCode::ConnectionClosed,
        format!("{what}: the connection is closed ({e})"),
    )
}

/// Maps a failed handshake with `peer`.
fn handshake_error(e: &ConnectionError, peer: &str) -> Error {
    let (code, text) = match e {
        ConnectionError::TransportError(t) if is_certificate_alert(t.code) => (
            ErrorCode::CertificateError,
            format!("certificate of {peer} rejected: {}", t.reason),
        ),
        ConnectionError::ConnectionClosed(c) if is_certificate_alert(c.error_code) => (
            ErrorCode::CertificateError,
            format!("{peer} refused our certificate: {c}"),
        ),
        ConnectionError::ConnectionClosed(c) if u64::from(c.error_code) == 0x2 => (
            ErrorCode::ConnectionRefused,
            format!("{peer} refused the connection (server full or stopping)"),
        ),
        ConnectionError::TransportError(_) | ConnectionError::ConnectionClosed(_) => (
            ErrorCode::TlsHandshakeFailed,
            format!("QUIC handshake with {peer} failed: {e}"),
        ),
        ConnectionError::TimedOut => (
            ErrorCode::ConnectionTimeout,
            format!("QUIC handshake with {peer} timed out"),
        ),
        ConnectionError::ApplicationClosed(_) => (
            ErrorCode::ConnectionRefused,
            format!("{peer} closed the connection during the handshake: {e}"),
        ),
        ConnectionError::LocallyClosed => (
            ErrorCode::Cancelled,
            format!("handshake with {peer} abandoned"),
        ),
        _ => (
            ErrorCode::ConnectionFailed,
            format!("QUIC handshake with {peer} failed: {e}"),
        ),
    };
    Error::new(code, text)
}

/// How an established connection ended, from quinn's reason and our own close, if any.
fn close_info(e: &ConnectionError, ours: Option<(u64, String)>) -> CloseInfo {
    let info = |by_peer, code, reason: String, error| CloseInfo {
        by_peer,
        code,
        reason,
        error,
    };
    match e {
        ConnectionError::LocallyClosed => {
            let (code, reason) = ours.unwrap_or_default();
            info(false, Some(code), reason, None)
        }
        ConnectionError::ApplicationClosed(c) => {
            let code = c.error_code.into_inner();
            let reason = String::from_utf8_lossy(&c.reason).into_owned();
            let error = (code != 0).then(|| {
                Error::new(
                    ErrorCode::ClosedByPeer,
                    format!("the peer closed the connection with code {code} ({reason})"),
                )
            });
            info(true, Some(code), reason, error)
        }
        ConnectionError::TimedOut => info(
            false,
            None,
            String::new(),
            Some(Error::new(
                ErrorCode::SessionExpired,
                "idle timeout: nothing heard from the peer within max_idle_timeout",
            )),
        ),
        ConnectionError::Reset => info(
            true,
            None,
            String::new(),
            Some(Error::new(
                ErrorCode::ConnectionClosed,
                "the peer reset the connection (stateless reset)",
            )),
        ),
        ConnectionError::ConnectionClosed(c) => info(
            true,
            None,
            String::from_utf8_lossy(&c.reason).into_owned(),
            Some(Error::new(
                ErrorCode::ProtocolError,
                format!("the peer closed the connection with a transport error: {c}"),
            )),
        ),
        other => info(
            false,
            None,
            String::new(),
            Some(Error::new(
                ErrorCode::ProtocolError,
                format!("the connection failed: {other}"),
            )),
        ),
    }
}
