//! TCP client: connects asynchronously, optionally reconnects with exponential backoff.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwapOption;

use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{timeout_at, Instant};

use super::{tune, ClientConfig};
use crate::conn::client::{self, tell, First, Retry};
use crate::conn::{self, addr, lock, Counters, Endpoint, Handlers, Session, Stats, TaskGuard};
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::{self, Latency, Protocol, Registration, Role, Source};
use crate::runtime;
use crate::tls::{Connector, TlsInfo};

/// A TCP client. Dropping it stops it.
pub struct TcpClient {
    /// First field: dropped while `inner` lives (see `Registration`).
    _metrics: Registration,
    inner: Arc<Inner>,
}

struct Inner {
    ep: Endpoint<ClientConfig>,
    /// The newest run whose connection was established (guards `current`'s updates).
    current_run: Mutex<u64>,
    /// The client's connection: the newest run's, if established. A connection of an older
    /// run (the client was stopped and started again while it still closed) never takes its
    /// place. Read without a lock by every send.
    current: ArcSwapOption<Session>,
    stop_signal: Mutex<Option<watch::Sender<bool>>>,
    /// Each live run's task's place in the lifecycle: the task drops it when it ends, or
    /// `stop` when it closed the run's connection inline (the task then only winds down). A
    /// run may start while an older one still ends, hence more than one.
    tasks: Mutex<Vec<(u64, TaskGuard)>>,
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
        let inner = Arc::new(Inner {
            ep: Endpoint::new(config, ErrorCode::ClientAlreadyRunning),
            current_run: Mutex::new(0),
            current: ArcSwapOption::empty(),
            stop_signal: Mutex::new(None),
            tasks: Mutex::new(Vec::new()),
            retired: Counters::default(),
            connections: AtomicU64::new(0),
        });
        TcpClient {
            _metrics: Registration::new(Role::Client, &inner),
            inner,
        }
    }

    /// Changes the options; fails with `ClientAlreadyRunning` while running.
    pub fn configure(&self, f: impl FnOnce(&mut ClientConfig)) -> Result<()> {
        self.inner.ep.configure(|c| {
            f(c);
            Ok(())
        })
    }

    /// Like [`configure`](Self::configure) with a fallible edit: all or nothing, the options
    /// change only when `f` succeeds.
    pub fn try_configure(&self, f: impl FnOnce(&mut ClientConfig) -> Result<()>) -> Result<()> {
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
    /// `AddressResolutionFailed`; already running → `ClientAlreadyRunning`; unusable TLS
    /// material → `CertificateError`.
    pub fn start(&self, host: &str, port: u16) -> Result<()> {
        self.launch(host, port, false).map(drop)
    }

    /// Like [`start`](Self::start), but returns only once the first connection attempt
    /// (connect and, with TLS, handshake) succeeded or failed, with its error. With reconnect
    /// enabled the client keeps trying after a failed first attempt; without, it has stopped
    /// when this returns the failure (and may be started again). Called inside a callback it
    /// does not wait. To an IP address, the connect itself is made on the calling thread, and
    /// without TLS this returns as soon as it succeeded (the connected callback follows on a
    /// runtime thread; sends work at once).
    pub fn start_wait(&self, host: &str, port: u16) -> Result<()> {
        match self.launch(host, port, runtime::may_block())? {
            Launch::Serving => Ok(()),
            Launch::Pending(pending) => client::wait_first(&self.inner.ep, pending),
        }
    }

    /// Starts a run; `in_caller`: a blocking start, which connects to an IP address here.
    fn launch(&self, host: &str, port: u16, in_caller: bool) -> Result<Launch> {
        let config = self.config();
        let inner = &self.inner;
        let l = client::launch(
            &inner.ep,
            &inner.stop_signal,
            host,
            port,
            config.reconnect.is_some(),
            client::tls_for(config.tls.as_ref()),
        )?;
        let mut head = Head::None;
        if let Some(ip) = addr::ip_literal(&l.host).filter(|_| in_caller) {
            let started = std::time::Instant::now();
            let connected = connect_here(SocketAddr::new(ip, port), &config, l.handle);
            head = match (connected, &l.prepared) {
                (Ok((stream, peer, local)), None) => {
                    Latency::Connect.record(started.elapsed());
                    Head::Serving(stream, inner.install(peer, local, &config, l.run))
                }
                (connected, _) => Head::Connected(connected, started),
            };
        }
        let launched = match head {
            Head::Serving(..) => Launch::Serving,
            _ => Launch::Pending(l.pending),
        };
        lock(&inner.tasks).push((l.run, inner.ep.life.task()));
        let inner = inner.clone();
        let (run, mut stop, mut first) = (l.run, l.stop, l.first);
        let target = Target {
            host: l.host,
            port,
            config,
            tls: l.prepared,
        };
        l.handle.spawn(async move {
            client_loop(&inner, &target, head, run, &mut stop, &mut first).await;
            inner.ep.life.end_run(run);
            inner.end_task(run);
        });
        Ok(launched)
    }

    /// Sends on the current connection; not connected → `ConnectionClosed` (nothing is
    /// buffered while disconnected). Other errors as [`Session::send`].
    pub fn send(&self, data: &[u8]) -> Result<()> {
        self.with_session(|s| s.send(data))
    }

    /// Queues several messages at once (one lock, one wake-up); all or nothing. See
    /// [`Session::send_batch`].
    pub fn send_batch(&self, messages: &[&[u8]]) -> Result<()> {
        self.with_session(|s| s.send_batch(messages))
    }

    /// Sends without copying; see [`send`](Self::send).
    pub fn send_bytes(&self, data: bytes::Bytes) -> Result<()> {
        self.with_session(|s| s.send_bytes(data))
    }

    fn with_session(&self, f: impl FnOnce(&Session) -> Result<()>) -> Result<()> {
        match self.inner.current.load().as_deref() {
            Some(s) => f(s),
            None => Err(Error::new(
                ErrorCode::ConnectionClosed,
                "client is not connected",
            )),
        }
    }

    /// The current connection, if connected.
    pub fn session(&self) -> Option<Session> {
        self.inner.current.load_full().map(|s| (*s).clone())
    }

    pub fn is_connected(&self) -> bool {
        self.inner
            .current
            .load()
            .as_deref()
            .is_some_and(Session::is_connected)
    }

    pub fn is_running(&self) -> bool {
        self.inner.ep.life.is_running()
    }

    /// Stops connecting/reconnecting and closes the connection gracefully. Returns when no
    /// callback runs or will run again, except where this thread cannot wait for that (inside
    /// one of this client's callbacks it only starts the stop). Not running → Ok.
    pub fn stop(&self) -> Result<()> {
        // Our own reference: the object may be freed by another thread once the stop is done.
        let inner = self.inner.clone();
        inner.ep.stop(|| {
            if let Some(tx) = lock(&inner.stop_signal).take() {
                tx.send_replace(true);
            }
            // The connection with its run, read together (`current_run` guards `current`).
            let current = {
                let run = lock(&inner.current_run);
                inner.current.load_full().map(|s| (s, *run))
            };
            let Some((session, run)) = current else {
                return;
            };
            // An idle connection is closed here, without waiting for its task (which then
            // only winds down): the disconnected callback runs on this thread.
            if runtime::may_block() && session.close_inline() {
                inner.retire(&session);
                inner.end_task(run);
                conn::disconnected(&session, &inner.ep.handlers);
            } else {
                session.close();
            }
        });
        Ok(())
    }

    /// Blocks until the client is stopped: by [`stop`](Self::stop), or by itself after a lost
    /// connection or failed connect without reconnect, or when reconnect attempts ran out.
    /// Inside a callback or on a runtime thread it fails at once with `InvalidArgument`.
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
        Protocol::tcp_or_tls(self.ep.with_config(|c| c.tls.is_some()))
    }

    fn stats(&self) -> Stats {
        let current = self.current.load().as_deref().map(|s| s.stats());
        client::stats(current, &self.connections, &self.retired)
    }
}

impl Drop for TcpClient {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Where and how a client connects.
struct Target {
    host: String,
    port: u16,
    config: ClientConfig,
    tls: Option<Arc<Connector>>,
}

/// What a blocking start did on the calling thread before the client's task began.
enum Head {
    /// Nothing: the task connects.
    None,
    /// The connect's outcome and when it began (TLS: the task runs the handshake).
    Connected(
        Result<(TcpStream, SocketAddr, SocketAddr)>,
        std::time::Instant,
    ),
    /// A plain connection, already the client's current one.
    Serving(TcpStream, Session),
}

/// What `launch` leaves to `start_wait`.
enum Launch {
    /// Connected: nothing to wait for.
    Serving,
    Pending(client::Pending),
}

async fn client_loop(
    inner: &Arc<Inner>,
    target: &Target,
    mut head: Head,
    run: u64,
    stop: &mut watch::Receiver<bool>,
    first: &mut First,
) {
    let name = format!("{}:{}", target.host, target.port);
    let policy = target.config.reconnect.as_ref();
    let mut retry = Retry::new();
    // A connection that a blocking start reported is served even when the stop came first:
    // its connected and disconnected callbacks run.
    while matches!(head, Head::Serving(..)) || !*stop.borrow() {
        let outcome = match std::mem::replace(&mut head, Head::None) {
            Head::Serving(stream, session) => {
                serve(inner, Established::Plain(stream), session, stop, first).await;
                Ok(())
            }
            head => {
                let outcome = tokio::select! {
                    biased;
                    _ = stop.wait_for(|s| *s) => Ok(None),
                    r = attempt(target, head) => r.map(Some),
                };
                match outcome {
                    Ok(Some((established, peer, local))) => {
                        let session = inner.install(peer, local, &target.config, run);
                        serve(inner, established, session, stop, first).await;
                        Ok(())
                    }
                    other => other.map(drop),
                }
            }
        };
        let report = |err: &Error| inner.report(err);
        if !retry
            .again(outcome, policy, &name, stop, first, report)
            .await
        {
            break;
        }
    }
    retry.finish(first);
}

/// An established connection: plain, or after a completed TLS handshake.
enum Established {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>, TlsInfo),
}

/// A connected socket, tuned, with its addresses.
fn tuned(stream: TcpStream, config: &ClientConfig) -> Result<(TcpStream, SocketAddr, SocketAddr)> {
    let (peer, local) = match (stream.peer_addr(), stream.local_addr()) {
        (Ok(p), Ok(l)) => (p, l),
        _ => {
            return Err(Error::new(
                ErrorCode::ConnectionFailed,
                "connection lost at once",
            ))
        }
    };
    if let Err(e) = tune(&stream, &config.conn) {
        crate::ns_log!(crate::log::Level::Warn, "cannot set socket options: {e}");
    }
    Ok((stream, peer, local))
}

/// One connection attempt: the connect (unless a blocking start made it), then the TLS
/// handshake when configured; its time from the connect's start is recorded.
async fn attempt(target: &Target, head: Head) -> Result<(Established, SocketAddr, SocketAddr)> {
    let (connected, started) = match head {
        Head::Connected(connected, started) => (connected?, started),
        _ => {
            let started = std::time::Instant::now();
            let config = &target.config;
            let stream = connect(&target.host, target.port, config.connect_timeout).await?;
            (tuned(stream, config)?, started)
        }
    };
    let established = establish(target, connected).await?;
    Latency::Connect.record(started.elapsed());
    Ok(established)
}

/// Runs the TLS handshake when configured.
async fn establish(
    target: &Target,
    (stream, peer, local): (TcpStream, SocketAddr, SocketAddr),
) -> Result<(Established, SocketAddr, SocketAddr)> {
    let established = match &target.tls {
        None => Established::Plain(stream),
        Some(tls) => {
            let (stream, info) = tls.connect(stream, &peer.to_string()).await?;
            Established::Tls(Box::new(stream), info)
        }
    };
    Ok((established, peer, local))
}

/// Connects to `addr` on the calling thread (a blocking start) within the connect timeout,
/// and registers the socket with the runtime.
fn connect_here(
    addr: SocketAddr,
    config: &ClientConfig,
    handle: &tokio::runtime::Handle,
) -> Result<(TcpStream, SocketAddr, SocketAddr)> {
    let failed = |e: &std::io::Error| Error::connect(e, &addr.to_string());
    let stream = std::net::TcpStream::connect_timeout(&addr, config.connect_timeout)
        .map_err(|e| failed(&e))?;
    stream.set_nonblocking(true).map_err(|e| failed(&e))?;
    let _runtime = handle.enter();
    tuned(TcpStream::from_std(stream).map_err(|e| failed(&e))?, config)
}

impl Inner {
    /// Reports an error of no connection (connect failure, attempts exhausted).
    fn report(&self, err: &Error) {
        self.retired.errors.fetch_add(1, Ordering::Relaxed);
        self.ep.handlers.fire_error(None, err);
    }

    /// Takes the connection out of the client's table (a newer one may have taken its place)
    /// and keeps its counters.
    fn retire(&self, session: &Session) {
        let current_run = lock(&self.current_run);
        if self
            .current
            .load()
            .as_deref()
            .is_some_and(|s| s.id() == session.id())
        {
            self.current.store(None);
        }
        drop(current_run);
        self.retired.absorb(session.counters());
    }

    /// Run `run`'s task no longer counts as running.
    fn end_task(&self, run: u64) {
        let mut tasks = lock(&self.tasks);
        let ended = tasks
            .iter()
            .position(|(r, _)| *r == run)
            .map(|i| tasks.swap_remove(i));
        drop(tasks);
        drop(ended);
    }

    /// Makes a new connection's session the client's current one (unless a newer run's took
    /// its place) and counts it.
    fn install(
        &self,
        peer: SocketAddr,
        local: SocketAddr,
        config: &ClientConfig,
        run: u64,
    ) -> Session {
        let session = Session::new(peer, local, config.conn.clone());
        {
            let mut current_run = lock(&self.current_run);
            if run >= *current_run {
                *current_run = run;
                self.current.store(Some(Arc::new(session.clone())));
            }
        }
        self.connections.fetch_add(1, Ordering::Relaxed);
        session
    }
}

async fn serve(
    inner: &Arc<Inner>,
    established: Established,
    session: Session,
    stop: &watch::Receiver<bool>,
    first: &mut First,
) {
    if *stop.borrow() {
        session.close(); // stop came while connecting
    }
    let closed = || inner.retire(&session);
    let handlers = &inner.ep.handlers;
    match established {
        Established::Plain(stream) => {
            tell(first, Ok(()));
            let (reader, writer) = super::split_plain(stream, &session);
            conn::run(session.clone(), reader, writer, handlers, closed).await;
        }
        Established::Tls(stream, info) => {
            session.set_tls_info(info);
            tell(first, Ok(()));
            let (reader, writer) = tokio::io::split(*stream);
            conn::run(session.clone(), reader, writer, handlers, closed).await;
        }
    }
}

/// Resolves and connects within `limit`, trying each resolved address.
pub(crate) async fn connect(host: &str, port: u16, limit: Duration) -> Result<TcpStream> {
    let target = format!("{host}:{port}");
    let deadline = Instant::now() + limit;
    let timed_out = || {
        Error::new(
            ErrorCode::ConnectionTimeout,
            format!(
                "connect to {target} timed out after {} ms",
                limit.as_millis()
            ),
        )
    };
    let addrs = crate::conn::addr::lookup(host, port, deadline).await?;
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
