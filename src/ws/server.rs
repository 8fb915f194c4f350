//! WebSocket server: accepts TCP (and TLS for wss://), answers the opening handshake and runs
//! one connection task per client.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use super::connection::{close_code, fire_error, run, WsConnection, WsHandlers};
use super::{handshake, WsOptions, WsServerConfig};
use crate::conn::{Admission, Endpoint, ReadAhead, Stats, Table};
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::{self, Protocol, Registration, Source};
use crate::runtime;
use crate::tcp::{Bound, Listening};
use crate::tls::Acceptor;

/// A WebSocket server. Dropping it stops it.
pub struct WsServer {
    /// First field: dropped while `inner` lives (see `Registration`).
    _metrics: Registration,
    inner: Arc<Inner>,
}

struct Inner {
    ep: Endpoint<WsServerConfig, WsHandlers>,
    conns: Table<WsConnection>,
    listening: Listening,
}

impl Default for WsServer {
    fn default() -> Self {
        WsServer::new(WsServerConfig::default())
    }
}

/// What tungstenite asks of the socket per read (see `ws_config`).
const READ_BUFFER: usize = 4096;

/// The tungstenite settings for our options.
pub(crate) fn ws_config(opts: &WsOptions) -> WebSocketConfig {
    WebSocketConfig::default()
        // tungstenite zero-fills its free read buffer before each read: 4 KiB, not 128 KiB
        // (bulk streams still read large chunks, see `ReadAhead`).
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(opts.max_message_size))
        .max_frame_size(Some(opts.max_message_size))
}

impl WsServer {
    pub fn new(config: WsServerConfig) -> WsServer {
        let inner = Arc::new(Inner {
            ep: Endpoint::new(config, ErrorCode::ServerAlreadyRunning),
            conns: Table::default(),
            listening: Listening::default(),
        });
        WsServer {
            _metrics: Registration::new(metrics::Role::Server, &inner),
            inner,
        }
    }

    /// Changes the options; fails with `ServerAlreadyRunning` while running.
    pub fn configure(&self, f: impl FnOnce(&mut WsServerConfig)) -> Result<()> {
        self.inner.ep.configure(|c| {
            f(c);
            Ok(())
        })
    }

    pub fn config(&self) -> WsServerConfig {
        self.inner.ep.config()
    }

    /// Replaces callbacks; takes effect for every connection, also after start.
    pub fn set_handlers(&self, f: impl FnOnce(&mut WsHandlers)) {
        self.inner.ep.set_handlers(f);
    }

    /// Binds `bind_address:port` (0 picks a free port) and starts accepting. Errors as
    /// [`TcpServer::start`](crate::tcp::TcpServer::start); a path not starting with '/' →
    /// `InvalidArgument`.
    pub fn start(&self, port: u16) -> Result<()> {
        let config = self.config();
        if !config.path.starts_with('/') {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                format!("path '{}' must start with '/'", config.path),
            ));
        }
        let handle = runtime::handle()?;
        let Bound {
            listener,
            tls,
            stop,
        } = self.inner.listening.start(
            &self.inner.ep,
            handle,
            (&config.bind_address, config.backlog, port),
            config.tls.as_ref(),
            "websocket server",
        )?;
        self.inner.conns.reopen();
        let guard = self.inner.ep.life.task();
        let inner = self.inner.clone();
        handle.spawn(async move {
            let config = Arc::new(config);
            let admit = |stream, peer| admit(&inner, stream, peer, &config, &tls);
            let failed = |err: Error| {
                inner.conns.error();
                fire_error(&inner.ep.handlers, None, &err);
            };
            crate::tcp::accept_loop(listener, stop, admit, failed).await;
            drop(guard);
        });
        Ok(())
    }

    /// The bound address while running.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.listening.addr()
    }

    /// Stops accepting, closes every connection with 1001 (going away) and returns when no
    /// callback runs or will run again (see the threading contract). Not running → Ok.
    pub fn stop(&self) -> Result<()> {
        let inner = self.inner.clone();
        inner.ep.stop(|| {
            inner.listening.end();
            inner
                .conns
                .stop_all(|conn| conn.request_close(close_code::GOING_AWAY, "server stopping"));
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
    pub fn connection(&self, id: u64) -> Option<WsConnection> {
        self.inner.conns.get(id)
    }

    pub fn connection_ids(&self) -> Vec<u64> {
        self.inner.conns.ids()
    }

    pub fn connection_count(&self) -> usize {
        self.inner.conns.len()
    }

    /// Queues a text message to every open connection; returns how many accepted it.
    pub fn broadcast_text(&self, text: &str) -> usize {
        self.each(|c| c.send_text(text))
    }

    /// Queues a binary message to every open connection; returns how many accepted it.
    pub fn broadcast_binary(&self, data: &[u8]) -> usize {
        self.each(|c| c.send_binary(data))
    }

    fn each(&self, f: impl Fn(&WsConnection) -> Result<()>) -> usize {
        let conns = self.inner.conns.all();
        conns.iter().filter(|c| f(c).is_ok()).count()
    }

    /// Counters over all connections, past and present.
    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }
}

impl metrics::Source for Inner {
    fn protocol(&self) -> Protocol {
        Protocol::WebSocket
    }

    fn stats(&self) -> Stats {
        self.conns.stats()
    }
}

impl Drop for WsServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn admit(
    inner: &Arc<Inner>,
    stream: TcpStream,
    peer: SocketAddr,
    config: &Arc<WsServerConfig>,
    tls: &Option<Arc<Acceptor>>,
) {
    // Over the limit the request is still read, to answer it with 503.
    let full = match inner.conns.reserve(config.max_connections) {
        Admission::Stopping => return,
        Admission::Full => true,
        Admission::Reserved => false,
    };
    let _ = stream.set_nodelay(config.ws.no_delay);
    let local = stream.local_addr().unwrap_or(peer);
    let guard = inner.ep.life.task();
    let inner = inner.clone();
    let config = config.clone();
    let tls = tls.clone();
    tokio::spawn(async move {
        let limit = config.handshake_timeout;
        let result = match tls {
            None => serve(&inner, stream, peer, local, &config, full).await,
            Some(acceptor) => match acceptor.accept(stream, &peer.to_string()).await {
                Ok((stream, _info)) => serve(&inner, stream, peer, local, &config, full).await,
                Err(e) => Err(e),
            },
        };
        if let Err(e) = result {
            if full {
                inner.conns.reject();
            } else {
                inner.conns.release();
            }
            inner.conns.error();
            let e = if e.code() == ErrorCode::Timeout {
                Error::new(
                    ErrorCode::ConnectionTimeout,
                    format!(
                        "websocket handshake with {peer} took over {} ms",
                        limit.as_millis()
                    ),
                )
            } else {
                e
            };
            fire_error(&inner.ep.handlers, None, &e);
        }
        drop(guard);
    });
}

/// Runs the opening handshake (within the handshake timeout) and then the connection.
async fn serve<S>(
    inner: &Arc<Inner>,
    mut stream: S,
    peer: SocketAddr,
    local: SocketAddr,
    config: &WsServerConfig,
    full: bool,
) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let upgrade = timeout(
        config.handshake_timeout,
        handshake::accept(&mut stream, config, full),
    )
    .await
    .map_err(|_| Error::new(ErrorCode::Timeout, "handshake timed out"))??;
    let ws = WebSocketStream::from_partially_read(
        ReadAhead::new(stream),
        upgrade.rest,
        Role::Server,
        Some(ws_config(&config.ws)),
    )
    .await;
    let conn = WsConnection::new(
        peer,
        local,
        upgrade.path,
        upgrade.subprotocol,
        config.ws.clone(),
    );
    if inner.conns.open(conn.clone()) {
        conn.request_close(close_code::GOING_AWAY, "server stopping");
    }
    let closed = || inner.conns.close(&conn);
    run(conn.clone(), ws, &inner.ep.handlers, closed).await;
    Ok(())
}
