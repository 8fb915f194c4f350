//! Client side: the handshake after the TCP connect, with SNI and hostname verification.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::{handshake_error, info, timed_out, ClientTlsConfig, TlsInfo};
use crate::error::{Error, ErrorCode, Result};

/// A client's TLS configuration for one target host, ready to connect.
pub(crate) struct Connector {
    inner: TlsConnector,
    name: ServerName<'static>,
    timeout: Duration,
}

impl Connector {
    /// Loads trust roots, pins and the client certificate for connecting to `host` (or the
    /// configured server name); problems are `CertificateError`.
    pub fn new(config: &ClientTlsConfig, host: &str) -> Result<Arc<Connector>> {
        Connector::with_rustls(Arc::new(config.build(host)?), config, host)
    }

    /// A connector for `host` (or the configured server name) on a rustls configuration
    /// already built from `config` — one configuration shared by connections to many hosts.
    pub fn with_rustls(
        rustls: Arc<rustls::ClientConfig>,
        config: &ClientTlsConfig,
        host: &str,
    ) -> Result<Arc<Connector>> {
        let name = config
            .server_name
            .clone()
            .unwrap_or_else(|| host.to_string());
        let name = ServerName::try_from(name.clone()).map_err(|_| {
            Error::new(
                ErrorCode::InvalidArgument,
                format!("'{name}' is not a valid TLS server name"),
            )
        })?;
        Ok(Arc::new(Connector {
            inner: TlsConnector::from(rustls),
            name,
            timeout: config.handshake_timeout,
        }))
    }

    /// Runs the client handshake within the handshake timeout.
    pub async fn connect(
        &self,
        stream: TcpStream,
        peer: &str,
    ) -> Result<(TlsStream<TcpStream>, TlsInfo)> {
        let handshake = self.inner.connect(self.name.clone(), stream);
        match tokio::time::timeout(self.timeout, handshake).await {
            Err(_) => Err(timed_out(peer, self.timeout)),
            Ok(Err(e)) => Err(handshake_error(e, peer)),
            Ok(Ok(tls)) => {
                let negotiated = info(tls.get_ref().1);
                Ok((tls, negotiated))
            }
        }
    }
}
