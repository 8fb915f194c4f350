//! QUIC server: one UDP socket, a quinn endpoint, a task per connection.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use quinn::{EndpointConfig, Incoming, TokioRuntime};
use tokio::sync::watch;

use super::connection::{close_code, fire_error, run, Host, QuicConnection, QuicHandlers};
use super::{handshake_error, QuicServerConfig};
use crate::conn::{addr, lock, Admission, Endpoint, HandlerSlot, Stats, Table};
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::{self, Protocol, Registration, Role, Source};
use crate::runtime;

/// A QUIC server. Dropping it stops it.
pub struct QuicServer {
    /// First field: dropped while `inner` lives (see `Registration`).
    _metrics: Registration,
    inner: Arc<Inner>,
}

struct Inner {
    ep: Endpoint<QuicServerConfig, QuicHandlers>,
    conns: Table<QuicConnection>,
    addr: Mutex<Option<SocketAddr>>,
    stop_signal: Mutex<Option<watch::Sender<bool>>>,
}

impl Host for Inner {
    fn handlers(&self) -> &HandlerSlot<QuicHandlers> {
        &self.ep.handlers
    }
}

impl Default for QuicServer {
    fn default() -> Self {
        QuicServer::new(QuicServerConfig::default())
    }
}

/// Makes a quinn endpoint on `socket`; `what` names it in errors.
pub(crate) fn endpoint(
    socket: std::net::UdpSocket,
    server: Option<quinn::ServerConfig>,
    what: &str,
) -> Result<quinn::Endpoint> {
    let handle = runtime::handle()?;
    let _enter = handle.enter();
    quinn::Endpoint::new(
        EndpointConfig::default(),
        server,
        socket,
        Arc::new(TokioRuntime),
    )
    .map_err(|e| Error::io(&e, what))
}

impl QuicServer {
    pub fn new(config: QuicServerConfig) -> QuicServer {
        let inner = Arc::new(Inner {
            ep: Endpoint::new(config, ErrorCode::ServerAlreadyRunning),
            conns: Table::default(),
            addr: Mutex::new(None),
            stop_signal: Mutex::new(None),
        });
        QuicServer {
            _metrics: Registration::new(Role::Server, &inner),
            inner,
        }
    }

    /// Changes the options; fails with `ServerAlreadyRunning` while running.
    pub fn configure(&self, f: impl FnOnce(&mut QuicServerConfig)) -> Result<()> {
        self.inner.ep.configure(|c| {
            f(c);
            Ok(())
        })
    }

    pub fn config(&self) -> QuicServerConfig {
        self.inner.ep.config()
    }

    /// Replaces callbacks; takes effect for every connection, also after start.
    pub fn set_handlers(&self, f: impl FnOnce(&mut QuicHandlers)) {
        self.inner.ep.set_handlers(f);
    }

    /// Binds UDP `bind_address:port` (0 picks a free port) and starts accepting. Errors:
    /// certificate or key missing or unusable → `CertificateError` naming the file; bad
    /// transport option → `InvalidArgument`; port in use → `BindFailed`; running →
    /// `ServerAlreadyRunning`.
    pub fn start(&self, port: u16) -> Result<()> {
        let config = self.config();
        let server_config = runtime::blocking(|| config.build())?;
        let inner = &self.inner;
        let run = inner.ep.start("quic server")?;
        let bound = addr::resolve(&config.udp.bind_address, port)
            .and_then(|a| crate::udp::bind(&config.udp, a))
            .and_then(|socket| endpoint(socket, Some(server_config), "quic server socket"));
        let endpoint = match bound {
            Ok(e) => e,
            Err(e) => {
                inner.ep.life.end_run(run);
                return Err(e);
            }
        };
        *lock(&inner.addr) = endpoint.local_addr().ok();
        let (tx, mut stop) = watch::channel(false);
        *lock(&inner.stop_signal) = Some(tx);
        inner.conns.reopen();
        let guard = inner.ep.life.task();
        let inner = inner.clone();
        let handle = runtime::handle()?;
        handle.spawn(async move {
            let config = Arc::new(config);
            loop {
                let incoming = tokio::select! {
                    biased;
                    _ = stop.wait_for(|s| *s) => break,
                    i = endpoint.accept() => i,
                };
                let Some(incoming) = incoming else { break };
                admit(&inner, incoming, &config);
            }
            // New handshakes are refused; open connections close gracefully (see stop) and
            // their CONNECTION_CLOSE goes out before the socket is released.
            endpoint.set_server_config(None);
            let drain = config.quic.linger + std::time::Duration::from_secs(1);
            let _ = tokio::time::timeout(drain, endpoint.wait_idle()).await;
            drop(guard);
        });
        Ok(())
    }

    /// The bound address while running.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        if self.is_running() {
            *lock(&self.inner.addr)
        } else {
            None
        }
    }

    /// Stops accepting, closes every connection gracefully with code 0 and returns when no
    /// callback runs or will run again (see the threading contract). Not running → Ok.
    pub fn stop(&self) -> Result<()> {
        let inner = self.inner.clone();
        inner.ep.stop(|| {
            if let Some(tx) = lock(&inner.stop_signal).take() {
                tx.send_replace(true);
            }
            inner.conns.stop_all(|c| {
                let _ = c.close(close_code::NORMAL, "server stopping");
            });
        });
        Ok(())
    }

    /// Blocks until stopped; fails at once inside a callback or on a runtime thread.
    pub fn wait_for_stop(&self) -> Result<()> {
        self.inner.ep.wait_for_stop()
    }

    pub fn is_running(&self) -> bool {
        self.inner.ep.life.is_running()
    }

    /// The open connection with this id.
    pub fn connection(&self, id: u64) -> Option<QuicConnection> {
        self.inner.conns.get(id)
    }

    pub fn connection_ids(&self) -> Vec<u64> {
        self.inner.conns.ids()
    }

    pub fn connection_count(&self) -> usize {
        self.inner.conns.len()
    }

    /// Closes connection `id` gracefully with the application error `code`; no such
    /// connection → `SessionNotFound`.
    pub fn disconnect(&self, id: u64, code: u64, reason: &str) -> Result<()> {
        match self.connection(id) {
            Some(c) => c.close(code, reason),
            None => Err(Error::new(
                ErrorCode::SessionNotFound,
                format!("no connection {id}"),
            )),
        }
    }

    /// Closes every connection gracefully with `code`; the server keeps accepting.
    pub fn disconnect_all(&self, code: u64, reason: &str) {
        for c in self.inner.conns.all() {
            let _ = c.close(code, reason);
        }
    }

    /// Queues a message to every open connection; returns how many accepted it.
    pub fn broadcast(&self, data: &[u8]) -> usize {
        let data = bytes::Bytes::copy_from_slice(data);
        let conns = self.inner.conns.all();
        conns
            .iter()
            .filter(|c| c.send_bytes(data.clone()).is_ok())
            .count()
    }

    /// Queues a message to the listed connections; returns how many accepted it (unknown ids
    /// count as failures).
    pub fn multicast(&self, ids: &[u64], data: &[u8]) -> usize {
        let data = bytes::Bytes::copy_from_slice(data);
        ids.iter()
            .filter_map(|id| self.connection(*id))
            .filter(|c| c.send_bytes(data.clone()).is_ok())
            .count()
    }

    /// Counters over all connections, past and present.
    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }
}

impl metrics::Source for Inner {
    fn protocol(&self) -> Protocol {
        Protocol::Quic
    }

    fn stats(&self) -> Stats {
        self.conns.stats()
    }
}

impl Drop for QuicServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Decides about a new connection attempt: a Retry first when addresses must be validated,
/// refusal over `max_connections`, else the handshake and the connection in a task.
fn admit(inner: &Arc<Inner>, incoming: Incoming, config: &Arc<QuicServerConfig>) {
    if config.enable_retry && incoming.may_retry() {
        let _ = incoming.retry();
        return;
    }
    let peer = incoming.remote_address();
    match inner.conns.reserve(config.max_connections) {
        Admission::Stopping => {
            incoming.refuse();
            return;
        }
        Admission::Full => {
            inner.conns.reject();
            incoming.refuse();
            let err = Error::new(
                ErrorCode::SessionLimitReached,
                format!(
                    "refused {peer}: max_connections ({}) reached",
                    config.max_connections
                ),
            );
            fire_error(&inner.ep.handlers, None, &err);
            return;
        }
        Admission::Reserved => {}
    }
    let guard = inner.ep.life.task();
    let inner = inner.clone();
    let config = config.clone();
    tokio::spawn(async move {
        let limit = config.tls.handshake_timeout;
        let handshake = async {
            let connecting = incoming
                .accept()
                .map_err(|e| handshake_error(&e, &peer.to_string()))?;
            match tokio::time::timeout(limit, connecting).await {
                Ok(r) => r.map_err(|e| handshake_error(&e, &peer.to_string())),
                Err(_) => Err(Error::new(
                    ErrorCode::ConnectionTimeout,
                    format!(
                        "QUIC handshake with {peer} took over {} ms",
                        limit.as_millis()
                    ),
                )),
            }
        };
        match handshake.await {
            Ok(q) => {
                let (conn, local) = QuicConnection::new(q, config.quic.clone());
                if inner.conns.open(conn.clone()) {
                    let _ = conn.close(close_code::NORMAL, "server stopping");
                }
                let closed = || inner.conns.close(&conn);
                run(conn.clone(), inner.clone(), local, closed).await;
            }
            Err(e) => {
                inner.conns.release();
                inner.conns.error();
                fire_error(&inner.ep.handlers, None, &e);
            }
        }
        drop(guard);
    });
}
