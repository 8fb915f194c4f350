//! WebSocket client: connects (TCP, TLS for wss://), runs the opening handshake through
//! tungstenite and optionally reconnects with backoff.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwapOption;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::Error as WsError;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::WebSocketStream;

use super::connection::{close_code, fire_error, run, WsConnection, WsHandlers};
use super::handshake::WholeHead;
use super::server::ws_config;
use super::WsClientConfig;
use crate::conn::client::{self, tell, First, Retry};
use crate::conn::{lock, Counters, Endpoint, ReadAhead, Stats};
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::{self, Protocol, Registration, Role, Source};
use crate::tls::Connector;

/// A WebSocket client. Dropping it stops it.
pub struct WsClient {
    /// First field: dropped while `inner` lives (see `Registration`).
    _metrics: Registration,
    inner: Arc<Inner>,
}

struct Inner {
    ep: Endpoint<WsClientConfig, WsHandlers>,
    current: ArcSwapOption<WsConnection>,
    stop_signal: Mutex<Option<watch::Sender<bool>>>,
    retired: Counters,
    connections: AtomicU64,
}

impl Default for WsClient {
    fn default() -> Self {
        WsClient::new(WsClientConfig::default())
    }
}

struct Target {
    host: String,
    port: u16,
    config: WsClientConfig,
    tls: Option<Arc<Connector>>,
}

impl WsClient {
    pub fn new(config: WsClientConfig) -> WsClient {
        let inner = Arc::new(Inner {
            ep: Endpoint::new(config, ErrorCode::ClientAlreadyRunning),
            current: ArcSwapOption::empty(),
            stop_signal: Mutex::new(None),
            retired: Counters::default(),
            connections: AtomicU64::new(0),
        });
        WsClient {
            _metrics: Registration::new(Role::Client, &inner),
            inner,
        }
    }

    /// Changes the options; fails with `ClientAlreadyRunning` while running.
    pub fn configure(&self, f: impl FnOnce(&mut WsClientConfig)) -> Result<()> {
        self.inner.ep.configure(|c| {
            f(c);
            Ok(())
        })
    }

    pub fn config(&self) -> WsClientConfig {
        self.inner.ep.config()
    }

    /// Replaces callbacks; takes effect at once, also after start.
    pub fn set_handlers(&self, f: impl FnOnce(&mut WsHandlers)) {
        self.inner.ep.set_handlers(f);
    }

    /// Starts connecting to `ws://host:port<path>` (wss:// with `tls`) and returns at once;
    /// the connected or error callback follows. Errors: empty host or port 0 →
    /// `InvalidArgument`; already running → `ClientAlreadyRunning`; unusable TLS material →
    /// `CertificateError`.
    pub fn start(&self, host: &str, port: u16) -> Result<()> {
        self.launch(host, port).map(drop)
    }

    /// Like [`start`](Self::start), but returns once the first attempt (connect, TLS,
    /// opening handshake) succeeded or failed, with its error; without reconnect the client
    /// has then stopped. Inside a callback it does not wait.
    pub fn start_wait(&self, host: &str, port: u16) -> Result<()> {
        client::wait_first(&self.inner.ep, self.launch(host, port)?)
    }

    fn launch(&self, host: &str, port: u16) -> Result<client::Pending> {
        let config = self.config();
        if !config.path.starts_with('/') {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                format!("path '{}' must start with '/'", config.path),
            ));
        }
        let inner = &self.inner;
        let l = client::launch(
            &inner.ep,
            &inner.stop_signal,
            host,
            port,
            config.reconnect.is_some(),
            client::tls_for(config.tls.as_ref()),
        )?;
        let guard = inner.ep.life.task();
        let inner = inner.clone();
        let (run, mut stop, mut first) = (l.run, l.stop, l.first);
        let target = Target {
            host: l.host,
            port,
            config,
            tls: l.prepared,
        };
        l.handle.spawn(async move {
            client_loop(&inner, &target, &mut stop, &mut first).await;
            inner.ep.life.end_run(run);
            drop(guard);
        });
        Ok(l.pending)
    }

    fn with_conn(&self, f: impl FnOnce(&WsConnection) -> Result<()>) -> Result<()> {
        match self.inner.current.load().as_deref() {
            Some(c) => f(c),
            None => Err(Error::new(
                ErrorCode::ConnectionClosed,
                "client is not connected",
            )),
        }
    }

    /// Sends a text message; not connected → `ConnectionClosed`. See
    /// [`WsConnection::send_text`].
    pub fn send_text(&self, text: &str) -> Result<()> {
        self.with_conn(|c| c.send_text(text))
    }

    pub fn send_binary(&self, data: &[u8]) -> Result<()> {
        self.with_conn(|c| c.send_binary(data))
    }

    pub fn send_ping(&self, payload: &[u8]) -> Result<()> {
        self.with_conn(|c| c.send_ping(payload))
    }

    /// Starts the close handshake of the current connection (see [`WsConnection::close`]);
    /// the client then stops unless reconnect is on.
    pub fn close(&self, code: u16, reason: &str) -> Result<()> {
        self.with_conn(|c| c.close(code, reason))
    }

    /// The current connection, if connected.
    pub fn connection(&self) -> Option<WsConnection> {
        self.inner.current.load_full().map(|c| (*c).clone())
    }

    pub fn is_connected(&self) -> bool {
        self.inner
            .current
            .load()
            .as_deref()
            .is_some_and(WsConnection::is_connected)
    }

    pub fn is_running(&self) -> bool {
        self.inner.ep.life.is_running()
    }

    /// Stops reconnecting and closes the connection with 1000; returns when no callback runs
    /// or will run again (inside one of this client's callbacks it only starts the stop).
    pub fn stop(&self) -> Result<()> {
        let inner = self.inner.clone();
        inner.ep.stop(|| {
            if let Some(tx) = lock(&inner.stop_signal).take() {
                tx.send_replace(true);
            }
            if let Some(c) = inner.current.load().as_deref() {
                c.request_close(close_code::NORMAL, "");
            }
        });
        Ok(())
    }

    /// Blocks until the client is stopped; fails at once inside a callback or on a runtime
    /// thread.
    pub fn wait_for_stop(&self) -> Result<()> {
        self.inner.ep.wait_for_stop()
    }

    /// Counters over every connection this client made.
    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }
}

impl metrics::Source for Inner {
    fn protocol(&self) -> Protocol {
        Protocol::WebSocket
    }

    fn stats(&self) -> Stats {
        let current = self.current.load().as_deref().map(|c| c.stats());
        client::stats(current, &self.connections, &self.retired)
    }
}

impl Drop for WsClient {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

async fn client_loop(
    inner: &Arc<Inner>,
    target: &Target,
    stop: &mut watch::Receiver<bool>,
    first: &mut First,
) {
    let name = format!("{}:{}", target.host, target.port);
    let policy = target.config.reconnect.as_ref();
    let report = |err: &Error| {
        inner.retired.errors.fetch_add(1, Ordering::Relaxed);
        fire_error(&inner.ep.handlers, None, err);
    };
    let mut retry = Retry::new();
    while !*stop.borrow() {
        let outcome = connect(inner, target, stop, first).await;
        if !retry
            .again(outcome, policy, &name, stop, first, report)
            .await
        {
            break;
        }
    }
    retry.finish(first);
}

/// A plain or TLS stream behind one type.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Ws = WebSocketStream<Box<dyn Io>>;

/// One connection: connect, TLS and opening handshake (within `connect_timeout`; abandoned
/// when the client stops), then the connection until it ends.
async fn connect(
    inner: &Arc<Inner>,
    target: &Target,
    stop: &mut watch::Receiver<bool>,
    first: &mut First,
) -> Result<()> {
    let established = tokio::select! {
        biased;
        _ = stop.wait_for(|s| *s) => return Ok(()),
        r = metrics::timed_connect(establish(target)) => r?,
    };
    let (ws, subprotocol, peer, local) = established;
    let config = &target.config;
    let conn = WsConnection::new(
        peer,
        local,
        config.path.clone(),
        subprotocol,
        config.ws.clone(),
    );
    inner.current.store(Some(Arc::new(conn.clone())));
    inner.connections.fetch_add(1, Ordering::Relaxed);
    if *stop.borrow() {
        conn.request_close(close_code::NORMAL, "");
    }
    tell(first, Ok(()));
    let closed = || {
        if inner
            .current
            .load()
            .as_deref()
            .is_some_and(|c| c.id() == conn.id())
        {
            inner.current.store(None);
        }
        inner.retired.absorb(conn.counters());
    };
    run(conn.clone(), ws, &inner.ep.handlers, closed).await;
    Ok(())
}

async fn establish(target: &Target) -> Result<(Ws, Option<String>, SocketAddr, SocketAddr)> {
    let config = &target.config;
    let deadline = Instant::now() + config.connect_timeout;
    let stream = crate::tcp::connect(&target.host, target.port, config.connect_timeout).await?;
    let _ = stream.set_nodelay(config.ws.no_delay);
    let (peer, local) = match (stream.peer_addr(), stream.local_addr()) {
        (Ok(p), Ok(l)) => (p, l),
        _ => {
            return Err(Error::new(
                ErrorCode::ConnectionFailed,
                "connection lost at once",
            ))
        }
    };
    let stream: Box<dyn Io> = match &target.tls {
        None => Box::new(ReadAhead::new(WholeHead::new(stream))),
        Some(tls) => Box::new(ReadAhead::new(WholeHead::new(
            tls.connect(stream, &peer.to_string()).await?.0,
        ))),
    };
    let scheme = if target.tls.is_some() { "wss" } else { "ws" };
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let url = format!("{scheme}://{host}:{}{}", target.port, config.path);
    let bad = |what: String| Error::new(ErrorCode::InvalidArgument, what);
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| bad(format!("cannot build a request for {url}: {e}")))?;
    let headers = request.headers_mut();
    let mut extra: Vec<(String, String)> = config.headers.clone();
    if !config.subprotocols.is_empty() {
        extra.push((
            "Sec-WebSocket-Protocol".to_string(),
            config.subprotocols.join(", "),
        ));
    }
    if let Some(origin) = &config.origin {
        extra.push(("Origin".to_string(), origin.clone()));
    }
    for (name, value) in &extra {
        let (name, value) = header(name, value)?;
        headers.append(name, value);
    }
    let handshake =
        tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config(&config.ws)));
    let (ws, response) = match timeout_at(deadline, handshake).await {
        Err(_) => {
            return Err(Error::new(
                ErrorCode::ConnectionTimeout,
                format!(
                    "websocket connect to {url} timed out after {} ms",
                    config.connect_timeout.as_millis()
                ),
            ))
        }
        Ok(Err(WsError::Http(response))) => {
            return Err(Error::new(
                ErrorCode::ConnectionRefused,
                format!(
                    "{url} refused the websocket upgrade with HTTP {}",
                    response.status()
                ),
            ))
        }
        Ok(Err(e)) => {
            return Err(Error::new(
                ErrorCode::ProtocolError,
                format!("websocket handshake with {url} failed: {e}"),
            ))
        }
        Ok(Ok(done)) => done,
    };
    let subprotocol = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok((ws, subprotocol, peer, local))
}

/// A request header, or `InvalidArgument` when HTTP does not allow its name or value.
fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue)> {
    let bad = |what: String| Error::new(ErrorCode::InvalidArgument, what);
    let name = HeaderName::try_from(name)
        .map_err(|_| bad(format!("'{name}' is not a valid header name")))?;
    let value = HeaderValue::try_from(value)
        .map_err(|_| bad(format!("the value of header {name} is not valid")))?;
    Ok((name, value))
}

/// Checks extra request headers as the client will send them (see
/// [`WsClientConfig::headers`]).
pub fn check_headers(headers: &[(String, String)]) -> Result<()> {
    headers
        .iter()
        .try_for_each(|(name, value)| header(name, value).map(drop))
}
