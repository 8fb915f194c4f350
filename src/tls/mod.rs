//! TLS on rustls (ring provider). TLS is not a second stack: a TCP server or client with
//! `tls` options runs the handshake here and then the same connection layer (`src/conn/`)
//! over the encrypted stream, so framing, limits, stats, stop and reconnect are identical.

mod client;
mod config;
mod server;

pub(crate) use client::Connector;
pub use config::{
    certificate_sha256, parse_pin, ClientTlsConfig, PemSource, ServerTlsConfig, TlsVersions,
};
pub(crate) use server::Acceptor;

use std::io;

use rustls::{CommonState, ProtocolVersion};

pub use crate::conn::TlsInfo;
use crate::error::{Error, ErrorCode};

/// Maps a failed handshake to `CertificateError` (the peer's certificate was refused) or
/// `TlsHandshakeFailed` (anything else: alerts, no common version, not TLS at all).
fn handshake_error(err: io::Error, peer: &str) -> Error {
    if let Some(tls) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        return match tls {
            rustls::Error::InvalidCertificate(reason) => Error::new(
                ErrorCode::CertificateError,
                format!("certificate of {peer} rejected: {}", describe(reason)),
            ),
            rustls::Error::NoCertificatesPresented => Error::new(
                ErrorCode::CertificateError,
                format!("{peer} presented no certificate"),
            ),
            other => Error::new(
                ErrorCode::TlsHandshakeFailed,
                format!("TLS handshake with {peer} failed: {other}"),
            ),
        };
    }
    Error::new(
        ErrorCode::TlsHandshakeFailed,
        format!("TLS handshake with {peer} failed: {err}"),
    )
}

fn describe(reason: &rustls::CertificateError) -> String {
    match reason {
        rustls::CertificateError::Other(other) => other.0.to_string(),
        rustls::CertificateError::UnknownIssuer => "issued by an untrusted authority".to_string(),
        rustls::CertificateError::Expired | rustls::CertificateError::ExpiredContext { .. } => {
            "expired".to_string()
        }
        rustls::CertificateError::NotValidForName
        | rustls::CertificateError::NotValidForNameContext { .. } => {
            format!("not valid for the requested name ({reason:?})")
        }
        _ => format!("{reason:?}"),
    }
}

fn timed_out(peer: &str, after: std::time::Duration) -> Error {
    Error::new(
        ErrorCode::ConnectionTimeout,
        format!(
            "TLS handshake with {peer} timed out after {} ms",
            after.as_millis()
        ),
    )
}

fn info(state: &CommonState) -> TlsInfo {
    let version = match state.protocol_version() {
        Some(ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    };
    TlsInfo {
        version,
        alpn: state.alpn_protocol().map(<[u8]>::to_vec),
    }
}
