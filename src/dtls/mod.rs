//! DTLS 1.2 (RFC 6347) on OpenSSL over the UDP layer's sockets: [`DtlsServer`] (one session
//! per remote endpoint, stateless cookie exchange) and [`DtlsClient`]. One send is one
//! encrypted datagram; each datagram is delivered whole with its sender.

mod client;
mod config;
mod server;
mod session;

pub use client::DtlsClient;
pub use config::{DtlsClientConfig, DtlsServerConfig, DEFAULT_MTU};
pub use server::DtlsServer;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use socket2::SockRef;
use tokio::net::UdpSocket;

use openssl::pkey::PKey;
use openssl::ssl::{
    SslContext, SslContextBuilder, SslMethod, SslOptions, SslVerifyMode, SslVersion,
};
use openssl::x509::X509;

use crate::error::{Error, ErrorCode, Result};
use crate::tls::{ClientTlsConfig, ServerTlsConfig};

/// Receives each decrypted datagram (valid only during the call) and its sender.
pub type DtlsDataFn = Arc<dyn Fn(&[u8], SocketAddr) + Send + Sync>;
/// Receives a peer whose session began or ended.
pub type DtlsPeerFn = Arc<dyn Fn(SocketAddr) + Send + Sync>;
/// Receives errors, with the peer they concern (None: the object itself).
pub type DtlsErrorFn = Arc<dyn Fn(Option<SocketAddr>, &Error) + Send + Sync>;

/// The callbacks of a DTLS server or client (a client's peer is its server).
#[derive(Clone, Default)]
pub struct DtlsHandlers {
    pub datagram: Option<DtlsDataFn>,
    pub connected: Option<DtlsPeerFn>,
    pub disconnected: Option<DtlsPeerFn>,
    pub error: Option<DtlsErrorFn>,
}

/// Largest plaintext a record can carry (RFC 6347: 2^14).
const RECORD_MAX: usize = 16_384;
/// How often handshake retransmission timers and idle sessions are checked.
const TICK: Duration = Duration::from_millis(50);

/// Sends datagrams without blocking: a full socket buffer is `SendQueueFull`.
fn send_datagrams(socket: &UdpSocket, datagrams: &[Vec<u8>], to: Option<SocketAddr>) -> Result<()> {
    let sock = SockRef::from(socket);
    for d in datagrams {
        let sent = match to {
            Some(addr) => sock.send_to(d, &addr.into()),
            None => sock.send(d),
        };
        match sent {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Err(Error::new(
                    ErrorCode::SendQueueFull,
                    "the socket's send buffer is full; datagram not sent",
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                return Err(Error::new(
                    ErrorCode::ConnectionRefused,
                    format!("destination port unreachable: {e}"),
                ))
            }
            Err(e) => {
                return Err(Error::new(
                    ErrorCode::SendFailed,
                    format!("send failed: {e}"),
                ))
            }
        }
    }
    Ok(())
}

fn new_cookies() -> Result<Arc<Cookies>> {
    Cookies::new().map(Arc::new)
}

/// Cookie secret for the stateless HelloVerifyRequest: HMAC-SHA256 of the peer address.
struct Cookies {
    key: ring::hmac::Key,
}

impl Cookies {
    fn new() -> Result<Cookies> {
        let rng = ring::rand::SystemRandom::new();
        let key = ring::hmac::Key::generate(ring::hmac::HMAC_SHA256, &rng)
            .map_err(|_| Error::new(ErrorCode::InternalError, "no randomness for DTLS cookies"))?;
        Ok(Cookies { key })
    }

    fn cookie(&self, peer: &[u8]) -> ring::hmac::Tag {
        ring::hmac::sign(&self.key, peer)
    }

    /// Constant-time check of a cookie the peer returned.
    fn valid(&self, peer: &[u8], cookie: &[u8]) -> bool {
        ring::hmac::verify(&self.key, peer, cookie).is_ok()
    }
}

/// A DTLS context that negotiates DTLS 1.2 or later only: DTLS 1.0 is deprecated (RFC 8996)
/// and would otherwise be offered wherever the system OpenSSL still allows it.
fn dtls_builder() -> Result<SslContextBuilder> {
    let mut b = SslContextBuilder::new(SslMethod::dtls()).map_err(|e| cert_error("OpenSSL", e))?;
    b.set_min_proto_version(Some(SslVersion::DTLS1_2))
        .map_err(|e| cert_error("OpenSSL", e))?;
    Ok(b)
}

fn cert_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::CertificateError, format!("{what}: {e}"))
}

/// The server context: certificate and key (required), client CA for mutual authentication,
/// cookie exchange on.
fn server_context(tls: &ServerTlsConfig, cookies: Arc<Cookies>) -> Result<SslContext> {
    let (Some(chain), Some(key)) = (&tls.cert_chain, &tls.private_key) else {
        return Err(Error::new(
            ErrorCode::CertificateError,
            "a DTLS server needs a certificate and a private key",
        ));
    };
    let mut b = dtls_builder()?;
    let chain = X509::stack_from_pem(&chain.read("certificate")?)
        .map_err(|e| cert_error("certificate chain", e))?;
    let mut chain = chain.into_iter();
    let leaf = chain
        .next()
        .ok_or_else(|| cert_error("certificate chain", "no certificate in the PEM"))?;
    b.set_certificate(&leaf)
        .map_err(|e| cert_error("certificate", e))?;
    for extra in chain {
        b.add_extra_chain_cert(extra)
            .map_err(|e| cert_error("certificate chain", e))?;
    }
    let key = PKey::private_key_from_pem(&key.read("private key")?)
        .map_err(|e| cert_error("private key", e))?;
    b.set_private_key(&key)
        .map_err(|e| cert_error("private key", e))?;
    b.check_private_key()
        .map_err(|e| cert_error("the private key does not match the certificate", e))?;
    if let Some(ca) = &tls.client_ca {
        for cert in
            X509::stack_from_pem(&ca.read("client CA")?).map_err(|e| cert_error("client CA", e))?
        {
            b.cert_store_mut()
                .add_cert(cert)
                .map_err(|e| cert_error("client CA", e))?;
        }
        let mut mode = SslVerifyMode::PEER;
        if tls.require_client_cert {
            mode |= SslVerifyMode::FAIL_IF_NO_PEER_CERT;
        }
        b.set_verify(mode);
    }
    b.set_options(SslOptions::COOKIE_EXCHANGE | SslOptions::NO_QUERY_MTU);
    let gen = cookies.clone();
    b.set_cookie_generate_cb(move |ssl, buf| {
        let peer = ssl.ex_data(peer_index()?).cloned().unwrap_or_default();
        let tag = gen.cookie(&peer);
        let n = tag.as_ref().len().min(buf.len());
        buf[..n].copy_from_slice(&tag.as_ref()[..n]);
        Ok(n)
    });
    b.set_cookie_verify_cb(move |ssl, cookie| {
        let peer = peer_index()
            .ok()
            .and_then(|i| ssl.ex_data(i).cloned())
            .unwrap_or_default();
        cookies.valid(&peer, cookie)
    });
    Ok(b.build())
}

/// The ex_data slot holding the peer address (as text bytes) of an SSL object, for the cookie
/// callbacks.
fn peer_index() -> std::result::Result<
    openssl::ex_data::Index<openssl::ssl::Ssl, Vec<u8>>,
    openssl::error::ErrorStack,
> {
    static INDEX: std::sync::OnceLock<Option<openssl::ex_data::Index<openssl::ssl::Ssl, Vec<u8>>>> =
        std::sync::OnceLock::new();
    INDEX
        .get_or_init(|| openssl::ssl::Ssl::new_ex_index().ok())
        .ok_or_else(openssl::error::ErrorStack::get)
}

/// The client context: verification on unless disabled (CA, system roots), client
/// certificate for mutual authentication.
fn client_context(tls: &ClientTlsConfig) -> Result<SslContext> {
    let mut b = dtls_builder()?;
    if tls.verify {
        b.set_verify(SslVerifyMode::PEER);
        if tls.system_roots {
            b.set_default_verify_paths()
                .map_err(|e| cert_error("system roots", e))?;
        }
        if let Some(ca) = &tls.ca {
            for cert in X509::stack_from_pem(&ca.read("CA")?).map_err(|e| cert_error("CA", e))? {
                b.cert_store_mut()
                    .add_cert(cert)
                    .map_err(|e| cert_error("CA", e))?;
            }
        }
    } else {
        b.set_verify(SslVerifyMode::NONE);
    }
    b.set_options(SslOptions::NO_QUERY_MTU);
    if let Some((chain, key)) = &tls.client_cert {
        let chain = X509::stack_from_pem(&chain.read("client certificate")?)
            .map_err(|e| cert_error("client certificate", e))?;
        let mut chain = chain.into_iter();
        let leaf = chain
            .next()
            .ok_or_else(|| cert_error("client certificate", "no certificate in the PEM"))?;
        b.set_certificate(&leaf)
            .map_err(|e| cert_error("client certificate", e))?;
        for extra in chain {
            b.add_extra_chain_cert(extra)
                .map_err(|e| cert_error("client certificate chain", e))?;
        }
        let key = PKey::private_key_from_pem(&key.read("client key")?)
            .map_err(|e| cert_error("client key", e))?;
        b.set_private_key(&key)
            .map_err(|e| cert_error("client key", e))?;
    }
    Ok(b.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_refuse_dtls_before_1_2() {
        // Both contexts start from this builder.
        let mut b = dtls_builder().expect("builder");
        assert_eq!(b.min_proto_version(), Some(SslVersion::DTLS1_2));
    }
}
