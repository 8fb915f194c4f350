//! TCP client: connects asynchronously, optionally reconnects with exponential backoff.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{timeout_at, Instant};

use super::{check_host, tune, ClientConfig};
use crate::conn::{self, lock, Counters, Endpoint, Handlers, Session, Stats};
use crate::error::{Error, ErrorCode, Result};
use crate::runtime;

/// A TCP client. Dropping it stops it.
pub struct TcpClient {
    inner: Arc<Inner>,
}

struct Inner {
    ep: Endpoint<ClientConfig>,
    current: Mutex<Option<Session>>,
    stop_signal: Mutex<Option<watch::Sender<bool>>>,
    /// Counters of connections that have ended, and how many were established.
    retired: Counters,
    connections: AtomicU64,
}

impl Default for TcpClient {
    fn default() -> Self {
        TcpClient::new(ClientConfig::default())
    }
}

impl TcpClient {
    pub fn new(config: ClientConfig) -> TcpClient {
        TcpClient {
            inner: Arc::new(Inner {
                ep: Endpoint::new(config, ErrorCode::ClientAlreadyRunning),
                current: Mutex::new(None),
                stop_signal: Mutex::new(None),
                retired: Counters::default(),
                connections: AtomicU64::new(0),
            }),
        }
    }

    /// Changes the options; fails with `ClientAlreadyRunning` while running.
    pub fn configure(&self, f: impl FnOnce(&mut ClientConfig)) -> Result<()> {
        self.inner.ep.configure(f)
    }

    pub fn config(&self) -> ClientConfig {
        self.inner.ep.config()
    }

    /// Replaces callbacks; takes effect at once, also after start. The session argument is
    /// the client's current connection.
    pub fn set_handlers(&self, f: impl FnOnce(&mut Handlers)) {
        self.inner.ep.set_handlers(f);
    }

    /// Starts connecting to `host:port` and returns at once; the connected or error callback
    /// follows. Errors: empty host or port 0 → `InvalidArgument`; malformed host →
    /// `AddressResolutionFailed`; already running → `ClientAlreadyRunning`.
    pub fn start(&self, host: &str, port: u16) -> Result<()> {
        if port == 0 {
            return Err(Error::new(ErrorCode::InvalidArgument, "port must not be 0"));
        }
        check_host(host)?;
        let handle = runtime::handle()?;
        let run = self.inner.ep.start("client")?;
        let (stop_tx, stop_rx) = watch::channel(false);
        *lock(&self.inner.stop_signal) = Some(stop_tx);
        let config = self.config();
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let guard = self.inner.ep.life.task();
        let inner = self.inner.clone();
        handle.spawn(async move {
            client_loop(&inner, &host, port, &config, stop_rx).await;
            inner.ep.life.end_run(run);
            drop(guard);
        });
        Ok(())
    }

    /// Sends on the current connection; not connected → `ConnectionClosed` (nothing is
    /// buffered while disconnected). Other errors as [`Session::send`].
    pub fn send(&self, data: &[u8]) -> Result<()> {
        self.with_session(|s| s.send(data))
    }

    /// Sends without copying; see [`send`](Self::send).
    pub fn send_bytes(&self, data: bytes::Bytes) -> Result<()> {
        self.with_session(|s| s.send_bytes(data))
    }

    fn with_session(&self, f: impl FnOnce(&Session) -> Result<()>) -> Result<()> {
        match lock(&self.inner.current).as_ref() {
            Some(s) => f(s),
            None => Err(Error::new(
                ErrorCode::ConnectionClosed,
                "client is not connected",
            )),
        }
    }

    /// The current connection, if connected.
    pub fn session(&self) -> Option<Session> {
        lock(&self.inner.current).clone()
    }

    pub fn is_connected(&self) -> bool {
        lock(&self.inner.current)
            .as_ref()
            .is_some_and(Session::is_connected)
    }

    pub fn is_running(&self) -> bool {
        self.inner.ep.life.is_running()
    }

    /// Stops connecting/reconnecting and closes the connection gracefully. Outside a
    /// callback it returns when no callback runs or will run again. Not running → Ok.
    pub fn stop(&self) -> Result<()> {
        let inner = &self.inner;
        inner.ep.life.request_stop();
        if let Some(tx) = lock(&inner.stop_signal).take() {
            tx.send_replace(true);
        }
        if let Some(s) = lock(&inner.current).as_ref() {
            s.close();
        }
        // Also when the client ended by itself or another stop is in progress.
        if runtime::may_block() {
            inner.ep.life.wait_idle();
        }
        Ok(())
    }

    /// Blocks until the client is stopped: by [`stop`](Self::stop), or by itself after a lost
    /// connection or failed connect without reconnect, or when reconnect attempts ran out.
    pub fn wait_for_stop(&self) {
        self.inner.ep.life.wait_stopped();
    }

    /// Counters over every connection this client made.
    pub fn stats(&self) -> Stats {
        let mut stats = Stats {
            connections_total: self.inner.connections.load(Ordering::Relaxed),
            ..Stats::default()
        };
        self.inner.retired.add_to(&mut stats);
        if let Some(s) = lock(&self.inner.current).as_ref() {
            let one = s.stats();
            stats.active_connections = one.active_connections;
            stats.messages_in += one.messages_in;
            stats.messages_out += one.messages_out;
            stats.bytes_in += one.bytes_in;
            stats.bytes_out += one.bytes_out;
            stats.queued_bytes += one.queued_bytes;
            stats.errors += one.errors;
        }
        stats
    }
}

impl Drop for TcpClient {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

async fn client_loop(
    inner: &Arc<Inner>,
    host: &str,
    port: u16,
    config: &ClientConfig,
    mut stop: watch::Receiver<bool>,
) {
    let mut failures: u32 = 0;
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
        | 1;
    loop {
        let connected = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            r = connect(host, port, config) => r,
        };
        match connected {
            Ok(stream) => {
                failures = 0;
                serve(inner, stream, config, &stop).await;
            }
            Err(err) => {
                failures = failures.saturating_add(1);
                inner.report(&err);
            }
        }
        if *stop.borrow() {
            break;
        }
        let Some(policy) = &config.reconnect else {
            break;
        };
        if policy.max_attempts > 0 && failures >= policy.max_attempts {
            inner.report(&Error::new(
                ErrorCode::CircuitOpen,
                format!("gave up after {failures} failed reconnect attempts to {host}:{port}"),
            ));
            break;
        }
        // xorshift64: jitter only, no need for a strong generator.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let random = (seed >> 11) as f64 / (1u64 << 53) as f64;
        let delay = policy.delay(failures.saturating_sub(1), random);
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

impl Inner {
    /// Reports an error of no connection (connect failure, attempts exhausted).
    fn report(&self, err: &Error) {
        self.retired.errors.fetch_add(1, Ordering::Relaxed);
        self.ep.handlers.fire_error(None, err);
    }
}

async fn serve(
    inner: &Arc<Inner>,
    stream: TcpStream,
    config: &ClientConfig,
    stop: &watch::Receiver<bool>,
) {
    let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
        inner.report(&Error::new(
            ErrorCode::ConnectionFailed,
            "connection lost at once",
        ));
        return;
    };
    if let Err(e) = tune(&stream, &config.conn) {
        crate::ns_log!(crate::log::Level::Warn, "cannot set socket options: {e}");
    }
    let session = Session::new(peer, local, config.conn.clone());
    *lock(&inner.current) = Some(session.clone());
    inner.connections.fetch_add(1, Ordering::Relaxed);
    if *stop.borrow() {
        session.close(); // stop came while connecting
    }
    let (reader, writer) = stream.into_split();
    let closed = || {
        *lock(&inner.current) = None;
        inner.retired.absorb(session.counters());
    };
    conn::run(session.clone(), reader, writer, &inner.ep.handlers, closed).await;
}

/// Resolves and connects within `connect_timeout`, trying each resolved address.
async fn connect(host: &str, port: u16, config: &ClientConfig) -> Result<TcpStream> {
    let target = format!("{host}:{port}");
    let deadline = Instant::now() + config.connect_timeout;
    let timed_out = || {
        Error::new(
            ErrorCode::ConnectionTimeout,
            format!(
                "connect to {target} timed out after {} ms",
                config.connect_timeout.as_millis()
            ),
        )
    };
    let addrs: Vec<_> = match timeout_at(deadline, tokio::net::lookup_host((host, port))).await {
        Err(_) => {
            return Err(Error::new(
                ErrorCode::AddressResolutionFailed,
                format!("resolving '{host}' timed out"),
            ))
        }
        Ok(Err(e)) => {
            return Err(Error::new(
                ErrorCode::AddressResolutionFailed,
                format!("cannot resolve '{host}': {e}"),
            ))
        }
        Ok(Ok(a)) => a.collect(),
    };
    let mut last = Error::new(
        ErrorCode::AddressResolutionFailed,
        format!("'{host}' resolved to no address"),
    );
    for addr in addrs {
        match timeout_at(deadline, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) => last = Error::connect(&e, &target),
            Err(_) => return Err(timed_out()),
        }
    }
    Err(last)
}
