//! TLS options and how they become rustls configurations: PEM loading (files or memory; keys in
//! PKCS#8, PKCS#1 or SEC1), trust roots, hostname verification, certificate pinning, mutual TLS,
//! ALPN and protocol versions. Loading problems are `CertificateError` (-606) naming the source.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme, SupportedProtocolVersion};

use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;

/// Where PEM data comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum PemSource {
    File(PathBuf),
    Memory(Vec<u8>),
}

impl fmt::Debug for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemSource::File(p) => write!(f, "'{}'", p.display()),
            PemSource::Memory(_) => write!(f, "PEM in memory"),
        }
    }
}

impl PemSource {
    pub(crate) fn read(&self, what: &str) -> Result<Vec<u8>> {
        match self {
            PemSource::Memory(b) => Ok(b.clone()),
            PemSource::File(p) => std::fs::read(p)
                .map_err(|e| cert_error(format!("cannot read {what} file '{}': {e}", p.display()))),
        }
    }
}

/// Protocol versions offered and accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersions {
    /// TLS 1.2 and 1.3 (default).
    #[default]
    Tls12And13,
    Tls13Only,
    Tls12Only,
}

impl TlsVersions {
    fn list(self) -> &'static [&'static SupportedProtocolVersion] {
        static BOTH: [&SupportedProtocolVersion; 2] =
            [&rustls::version::TLS13, &rustls::version::TLS12];
        static TLS13: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
        static TLS12: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
        match self {
            TlsVersions::Tls12And13 => &BOTH,
            TlsVersions::Tls13Only => &TLS13,
            TlsVersions::Tls12Only => &TLS12,
        }
    }
}

/// TLS options of a server.
#[derive(Debug, Clone)]
pub struct ServerTlsConfig {
    /// Certificate chain (leaf first), PEM.
    pub cert_chain: Option<PemSource>,
    /// Private key of the leaf, PEM (PKCS#8, PKCS#1 or SEC1).
    pub private_key: Option<PemSource>,
    /// CA bundle that client certificates must chain to (mutual TLS).
    pub client_ca: Option<PemSource>,
    /// With `client_ca`: refuse clients without a certificate (default true).
    pub require_client_cert: bool,
    /// ALPN protocols in preference order (empty: no ALPN).
    pub alpn: Vec<Vec<u8>>,
    pub versions: TlsVersions,
    /// Time allowed for the handshake (default 10 s).
    pub handshake_timeout: Duration,
}

impl Default for ServerTlsConfig {
    fn default() -> Self {
        ServerTlsConfig {
            cert_chain: None,
            private_key: None,
            client_ca: None,
            require_client_cert: true,
            alpn: Vec::new(),
            versions: TlsVersions::default(),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// TLS options of a client.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientTlsConfig {
    /// Verify the server's certificate and host name (default true). When false, any
    /// certificate is accepted and a warning is logged at each start.
    pub verify: bool,
    /// Trust the system roots (Debian: /etc/ssl/certs) (default true).
    pub system_roots: bool,
    /// Additional trusted CA certificates, PEM.
    pub ca: Option<PemSource>,
    /// Name to verify and send as SNI instead of the host given to start.
    pub server_name: Option<String>,
    /// SHA-256 digests of acceptable server leaf certificates (of the whole DER certificate,
    /// as `openssl x509 -noout -fingerprint -sha256` prints it). Checked in addition to the
    /// normal verification; empty: no pinning.
    pub pins: Vec<[u8; 32]>,
    /// Client certificate chain and key for mutual TLS.
    pub client_cert: Option<(PemSource, PemSource)>,
    pub alpn: Vec<Vec<u8>>,
    pub versions: TlsVersions,
    /// Time allowed for the handshake (default 10 s).
    pub handshake_timeout: Duration,
}

impl Default for ClientTlsConfig {
    fn default() -> Self {
        ClientTlsConfig {
            verify: true,
            system_roots: true,
            ca: None,
            server_name: None,
            pins: Vec::new(),
            client_cert: None,
            alpn: Vec::new(),
            versions: TlsVersions::default(),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

pub(crate) fn cert_error(message: String) -> Error {
    Error::new(ErrorCode::CertificateError, message)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn load_certs(src: &PemSource, what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let pem = src.read(what)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| cert_error(format!("{what} {src:?} is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(cert_error(format!(
            "no PEM certificate found in {what} {src:?}"
        )));
    }
    Ok(certs)
}

fn load_key(src: &PemSource) -> Result<PrivateKeyDer<'static>> {
    let pem = src.read("private key")?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        cert_error(format!(
            "no usable private key (PKCS#8, PKCS#1 or SEC1) in {src:?}: {e}"
        ))
    })
}

fn roots(sources: &[&PemSource], system: bool) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    if system {
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = store.add_parsable_certificates(found.certs);
        crate::ns_log!(Level::Debug, "{added} system root certificates loaded");
    }
    for src in sources {
        for cert in load_certs(src, "CA certificate")? {
            store
                .add(cert)
                .map_err(|e| cert_error(format!("bad CA certificate in {src:?}: {e}")))?;
        }
    }
    Ok(store)
}

fn tls_error(e: rustls::Error) -> Error {
    cert_error(format!("TLS configuration rejected: {e}"))
}

impl ServerTlsConfig {
    /// Builds the rustls configuration; loading problems are `CertificateError`.
    pub(crate) fn build(&self) -> Result<rustls::ServerConfig> {
        let (Some(chain), Some(key)) = (&self.cert_chain, &self.private_key) else {
            return Err(cert_error(
                "no server certificate and key configured".to_string(),
            ));
        };
        let certs = load_certs(chain, "certificate")?;
        let key = load_key(key)?;
        let provider = provider();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(self.versions.list())
            .map_err(tls_error)?;
        let builder = match &self.client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let store = Arc::new(roots(&[ca], false)?);
                let verifier = WebPkiClientVerifier::builder_with_provider(store, provider);
                let verifier = if self.require_client_cert {
                    verifier
                } else {
                    verifier.allow_unauthenticated()
                };
                let verifier = verifier
                    .build()
                    .map_err(|e| cert_error(format!("client CA {ca:?} unusable: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_single_cert(certs, key).map_err(|e| {
            cert_error(format!(
                "certificate {chain:?} and its key do not fit together: {e}"
            ))
        })?;
        config.alpn_protocols = self.alpn.clone();
        Ok(config)
    }
}

impl ClientTlsConfig {
    /// Builds the rustls configuration; loading problems are `CertificateError`.
    pub(crate) fn build(&self, host: &str) -> Result<rustls::ClientConfig> {
        let provider = provider();
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(self.versions.list())
            .map_err(tls_error)?;
        let inner: Option<Arc<dyn ServerCertVerifier>> = if self.verify {
            let extra: Vec<&PemSource> = self.ca.iter().collect();
            let store = roots(&extra, self.system_roots)?;
            if store.is_empty() {
                return Err(cert_error(
                    "no trusted root certificates: add a CA or enable the system roots".to_string(),
                ));
            }
            let verifier =
                WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                    .build()
                    .map_err(|e| {
                        cert_error(format!("cannot build the certificate verifier: {e}"))
                    })?;
            Some(verifier)
        } else {
            crate::ns_log!(
                Level::Warn,
                "certificate verification is disabled for {host}: the connection is not authenticated"
            );
            None
        };
        let verifier = Arc::new(Verifier {
            inner,
            pins: self.pins.clone(),
            provider,
        });
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match &self.client_cert {
            None => builder.with_no_client_auth(),
            Some((chain, key)) => builder
                .with_client_auth_cert(load_certs(chain, "client certificate")?, load_key(key)?)
                .map_err(|e| {
                    cert_error(format!(
                        "client certificate {chain:?} and its key do not fit together: {e}"
                    ))
                })?,
        };
        config.alpn_protocols = self.alpn.clone();
        Ok(config)
    }
}

/// Server certificate verification: the standard WebPKI checks (unless disabled), then the pins.
#[derive(Debug)]
struct Verifier {
    inner: Option<Arc<dyn ServerCertVerifier>>,
    pins: Vec<[u8; 32]>,
    provider: Arc<CryptoProvider>,
}

#[derive(Debug)]
struct PinMismatch;

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the certificate's SHA-256 matches no configured pin")
    }
}

impl std::error::Error for PinMismatch {}

/// SHA-256 of a DER certificate (the pinning digest).
pub fn certificate_sha256(der: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if let Some(inner) = &self.inner {
            inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)?;
        }
        if !self.pins.is_empty() && !self.pins.contains(&certificate_sha256(end_entity)) {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Other(rustls::OtherError(Arc::new(PinMismatch))),
            ));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Parses a pin written as 64 hex digits, with or without ':' separators.
pub fn parse_pin(text: &str) -> Result<[u8; 32]> {
    let hex: String = text.chars().filter(|c| *c != ':').collect();
    let bad = || {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("pin '{text}' is not a SHA-256 in hex (64 digits)"),
        )
    };
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_parse() {
        let text = "AB:".repeat(31) + "CD";
        let pin = parse_pin(&text).unwrap();
        assert_eq!(pin[0], 0xab);
        assert_eq!(pin[31], 0xcd);
        assert!(parse_pin("abc").is_err());
        assert!(parse_pin(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn missing_material_is_a_certificate_error() {
        let err = ServerTlsConfig::default().build().unwrap_err();
        assert_eq!(err.code(), ErrorCode::CertificateError);
        let cfg = ServerTlsConfig {
            cert_chain: Some(PemSource::File("/nonexistent/cert.pem".into())),
            private_key: Some(PemSource::Memory(b"garbage".to_vec())),
            ..ServerTlsConfig::default()
        };
        let err = cfg.build().unwrap_err();
        assert_eq!(err.code(), ErrorCode::CertificateError);
        assert!(
            err.message().contains("/nonexistent/cert.pem"),
            "{}",
            err.message()
        );
    }
}
