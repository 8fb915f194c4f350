//! TCP server: accepts connections and runs one session per client.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;

use super::{tune, Bound, Listening, ServerConfig};
use crate::conn::{self, Admission, Endpoint, Handlers, Session, Stats, Table};
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::metrics::{self, Protocol, Registration, Role, Source};
use crate::runtime;
use crate::tls::Acceptor;

/// A TCP server. Dropping it stops it.
pub struct TcpServer {
    /// First field: dropped while `inner` lives (see `Registration`).
    _metrics: Registration,
    inner: Arc<Inner>,
}

struct Inner {
    ep: Endpoint<ServerConfig>,
    sessions: Table<Session>,
    listening: Listening,
}

impl Default for TcpServer {
    fn default() -> Self {
        TcpServer::new(ServerConfig::default())
    }
}

impl TcpServer {
    pub fn new(config: ServerConfig) -> TcpServer {
        let inner = Arc::new(Inner {
            ep: Endpoint::new(config, ErrorCode::ServerAlreadyRunning),
            sessions: Table::default(),
            listening: Listening::default(),
        });
        TcpServer {
            _metrics: Registration::new(Role::Server, &inner),
            inner,
        }
    }

    /// Changes the options; fails with `ServerAlreadyRunning` while running.
    pub fn configure(&self, f: impl FnOnce(&mut ServerConfig)) -> Result<()> {
        self.inner.ep.configure(|c| {
            f(c);
            Ok(())
        })
    }

    /// Like [`configure`](Self::configure) with a fallible edit: all or nothing, the options
    /// change only when `f` succeeds.
    pub fn try_configure(&self, f: impl FnOnce(&mut ServerConfig) -> Result<()>) -> Result<()> {
        self.inner.ep.configure(f)
    }

    /// A copy of the current options.
    pub fn config(&self) -> ServerConfig {
        self.inner.ep.config()
    }

    /// Replaces callbacks; takes effect for every session, also after start.
    pub fn set_handlers(&self, f: impl FnOnce(&mut Handlers)) {
        self.inner.ep.set_handlers(f);
    }

    /// Binds `bind_address:port` (port 0 picks a free port, see [`local_addr`](Self::local_addr))
    /// and starts accepting. Errors: already running → `ServerAlreadyRunning`; address in use or
    /// not permitted → `BindFailed`; bad bind address → `AddressResolutionFailed`.
    pub fn start(&self, port: u16) -> Result<()> {
        let handle = runtime::handle()?;
        let config = self.config();
        let Bound {
            listener,
            tls,
            stop,
        } = self.inner.listening.start(
            &self.inner.ep,
            handle,
            (&config.bind_address, config.backlog, port),
            config.tls.as_ref(),
            "tcp server",
        )?;
        self.inner.sessions.reopen();
        let guard = self.inner.ep.life.task();
        let inner = self.inner.clone();
        handle.spawn(async move {
            let config = Arc::new(config);
            let admit = |stream, peer| admit(&inner, stream, peer, &config, &tls);
            let failed = |err: Error| {
                inner.sessions.error();
                inner.ep.handlers.fire_error(None, &err);
            };
            super::accept_loop(listener, stop, admit, failed).await;
            drop(guard);
        });
        Ok(())
    }

    /// The bound address while running (read the port after `start(0)`).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.listening.addr()
    }

    /// Stops accepting, closes every session gracefully (flushing for up to `linger`) and
    /// returns when no callback runs or will run again — except where this thread cannot wait
    /// for that (see the threading contract): inside one of this server's callbacks it only
    /// starts the stop. Not running → Ok.
    pub fn stop(&self) -> Result<()> {
        // Our own reference: the object may be freed by another thread once the stop is done.
        let inner = self.inner.clone();
        inner.ep.stop(|| {
            inner.listening.end();
            // Idle connections are closed here, without waiting for their tasks (which then
            // only wind down): their disconnected callbacks run on this thread, after the
            // table's lock is released.
            let here = runtime::may_block();
            let mut inline = Vec::new();
            inner.sessions.stop_all(|s| {
                if here && s.close_inline() {
                    inline.push(s.clone());
                } else {
                    s.close();
                }
            });
            for session in inline {
                inner.sessions.close(&session);
                conn::disconnected(&session, &inner.ep.handlers);
                session.end_task();
            }
        });
        Ok(())
    }

    /// Blocks until the server is stopped (by [`stop`](Self::stop) from any thread) and every
    /// stop in progress has returned. Inside a callback or on a runtime thread it fails at
    /// once with `InvalidArgument` (it would wait for itself).
    pub fn wait_for_stop(&self) -> Result<()> {
        self.inner.ep.wait_for_stop()
    }

    pub fn is_running(&self) -> bool {
        self.inner.ep.life.is_running()
    }

    /// The live session with this id.
    pub fn session(&self, id: u64) -> Option<Session> {
        self.inner.sessions.get(id)
    }

    /// Ids of the live sessions.
    pub fn session_ids(&self) -> Vec<u64> {
        self.inner.sessions.ids()
    }

    pub fn session_count(&self) -> usize {
        self.inner.sessions.len()
    }

    /// Sends to one session; unknown id → `SessionNotFound`.
    pub fn send_to(&self, id: u64, data: &[u8]) -> Result<()> {
        match self.session(id) {
            Some(s) => s.send(data),
            None => Err(Error::new(
                ErrorCode::SessionNotFound,
                format!("no session with id {id}"),
            )),
        }
    }

    /// Counters over all sessions, past and present.
    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }
}

impl metrics::Source for Inner {
    fn protocol(&self) -> Protocol {
        Protocol::tcp_or_tls(self.ep.with_config(|c| c.tls.is_some()))
    }

    fn stats(&self) -> Stats {
        self.sessions.stats()
    }
}

impl Drop for TcpServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn admit(
    inner: &Arc<Inner>,
    stream: TcpStream,
    peer: SocketAddr,
    config: &Arc<ServerConfig>,
    tls: &Option<Arc<Acceptor>>,
) {
    let local = stream.local_addr().unwrap_or(peer);
    match inner.sessions.reserve(config.max_connections) {
        Admission::Reserved => {}
        Admission::Stopping => return,
        Admission::Full => {
            inner.sessions.reject();
            drop(stream);
            let err = Error::new(
                ErrorCode::SessionLimitReached,
                format!(
                    "connection from {peer} refused: max_connections ({}) reached",
                    config.max_connections
                ),
            );
            inner.ep.handlers.fire_error(None, &err);
            return;
        }
    }
    let session = Session::new(peer, local, config.conn.clone());
    if inner.sessions.open(session.clone()) {
        session.close(); // the server began stopping meanwhile
    }
    if let Err(e) = tune(&stream, &config.conn) {
        crate::ns_log!(Level::Warn, "cannot set socket options for {peer}: {e}");
    }
    let guard = inner.ep.life.task();
    let inner = inner.clone();
    // Two tasks, not one with a branch: a task's memory is the size of its largest state, and
    // an idle plain connection must not carry room for a TLS handshake.
    match tls.clone() {
        None => {
            session.hold_task(guard);
            tokio::spawn(async move {
                let (reader, writer) = super::split_plain(stream, &session);
                let closed = || inner.sessions.close(&session);
                conn::run(session.clone(), reader, writer, &inner.ep.handlers, closed).await;
                session.end_task();
            })
        }
        Some(acceptor) => tokio::spawn(async move {
            let closed = || inner.sessions.close(&session);
            let handlers = &inner.ep.handlers;
            // The session is reported connected only after a successful handshake.
            let peer = peer.to_string();
            let handshake = tokio::select! {
                r = acceptor.accept(stream, &peer) => r,
                _ = session.closing_started() => Err(Error::new(
                    ErrorCode::Cancelled,
                    "server stopped during the TLS handshake",
                )),
            };
            match handshake {
                Ok((stream, info)) => {
                    session.set_tls_info(info);
                    let (reader, writer) = tokio::io::split(stream);
                    conn::run(session.clone(), reader, writer, handlers, closed).await;
                }
                Err(e) => {
                    closed();
                    if e.code() != ErrorCode::Cancelled {
                        inner.sessions.error();
                        handlers.fire_error(None, &e);
                    }
                }
            }
            drop(guard);
        }),
    };
}
