//! Server side: the handshake of an accepted connection.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::{handshake_error, info, timed_out, ServerTlsConfig, TlsInfo};
use crate::error::Result;

/// A server's TLS configuration, ready to accept.
pub(crate) struct Acceptor {
    inner: TlsAcceptor,
    timeout: Duration,
}

impl Acceptor {
    /// Loads certificates and keys; problems are `CertificateError` naming the source.
    pub fn new(config: &ServerTlsConfig) -> Result<Arc<Acceptor>> {
        Ok(Arc::new(Acceptor {
            inner: TlsAcceptor::from(Arc::new(config.build()?)),
            timeout: config.handshake_timeout,
        }))
    }

    /// Runs the server handshake within the handshake timeout.
    pub async fn accept(
        &self,
        stream: TcpStream,
        peer: &str,
    ) -> Result<(TlsStream<TcpStream>, TlsInfo)> {
        match tokio::time::timeout(self.timeout, self.inner.accept(stream)).await {
            Err(_) => Err(timed_out(peer, self.timeout)),
            Ok(Err(e)) => Err(handshake_error(e, peer)),
            Ok(Ok(tls)) => {
                let negotiated = info(tls.get_ref().1);
                Ok((tls, negotiated))
            }
        }
    }
}
