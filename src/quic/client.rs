//! QUIC client: one connection per run, optional 0-RTT. Clients with the default UDP options
//! share one quinn endpoint (UDP socket) per address family; others get their own per run.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwapOption;
use tokio::sync::watch;
use tokio::time::timeout;

use super::connection::{close_code, fire_error, run, Host, QuicConnection, QuicHandlers};
use super::server::endpoint;
use super::{handshake_error, CloseInfo, QuicClientConfig};
use crate::conn::client::{self, tell, wait_first, First};
use crate::conn::{addr, lock, Counters, Endpoint, HandlerSlot, Stats};
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::{self, Protocol, Registration, Role, Source};
use crate::udp::UdpConfig;

/// Longest wait for our CONNECTION_CLOSE to go out after the connection ended.
const DRAIN: std::time::Duration = std::time::Duration::from_millis(200);

/// A QUIC client. Dropping it stops it.
pub struct QuicClient {
    /// First field: dropped while `inner` lives (see `Registration`).
    _metrics: Registration,
    inner: Arc<Inner>,
}

struct Inner {
    ep: Endpoint<QuicClientConfig, QuicHandlers>,
    current: ArcSwapOption<QuicConnection>,
    stop_signal: Mutex<Option<watch::Sender<bool>>>,
    /// How the last connection ended.
    last_close: Mutex<Option<CloseInfo>>,
    retired: Counters,
    connections: AtomicU64,
}

impl Host for Inner {
    fn handlers(&self) -> &HandlerSlot<QuicHandlers> {
        &self.ep.handlers
    }
}

impl Default for QuicClient {
    fn default() -> Self {
        QuicClient::new(QuicClientConfig::default())
    }
}

/// The endpoints shared by clients with default UDP options: [IPv4, IPv6].
static SHARED: Mutex<[Option<quinn::Endpoint>; 2]> = Mutex::new([None, None]);

/// The shared endpoint of `target`'s family, made on first use. quinn allocates about 3 MB of
/// receive buffers per endpoint (32 × 64 GRO segments of 1472 bytes), zeroed: one per client
/// object cost 0.3 ms and 3 MB per connect. Connections on one endpoint are told apart by
/// their connection IDs, and the endpoint lives as long as the runtime (the process).
fn shared_endpoint(target: SocketAddr) -> Result<quinn::Endpoint> {
    let slot = usize::from(target.is_ipv6());
    let mut shared = lock(&SHARED);
    if let Some(ep) = &shared[slot] {
        return Ok(ep.clone());
    }
    let local = unspecified(target);
    let ep = endpoint(
        crate::udp::bind(&UdpConfig::default(), local)?,
        None,
        "quic client socket",
    )?;
    shared[slot] = Some(ep.clone());
    Ok(ep)
}

/// Forgets a shared endpoint that stopped (its socket failed), so the next run makes another.
fn forget_shared(ep: &quinn::Endpoint) {
    for slot in lock(&SHARED).iter_mut() {
        if slot.as_ref().and_then(|e| e.local_addr().ok()) == ep.local_addr().ok() {
            *slot = None;
        }
    }
}

fn unspecified(target: SocketAddr) -> SocketAddr {
    match target {
        SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    }
}

/// What one run connects to.
struct Target {
    endpoint: quinn::Endpoint,
    client_config: quinn::ClientConfig,
    addr: SocketAddr,
    /// The name verified and sent as SNI.
    name: String,
    config: QuicClientConfig,
}

impl QuicClient {
    pub fn new(config: QuicClientConfig) -> QuicClient {
        let inner = Arc::new(Inner {
            ep: Endpoint::new(config, ErrorCode::ClientAlreadyRunning),
            current: ArcSwapOption::empty(),
            stop_signal: Mutex::new(None),
            last_close: Mutex::new(None),
            retired: Counters::default(),
            connections: AtomicU64::new(0),
        });
        QuicClient {
            _metrics: Registration::new(Role::Client, &inner),
            inner,
        }
    }

    /// Changes the options; fails with `ClientAlreadyRunning` while running.
    pub fn configure(&self, f: impl FnOnce(&mut QuicClientConfig)) -> Result<()> {
        self.inner.ep.configure(|c| {
            f(c);
            Ok(())
        })
    }

    pub fn config(&self) -> QuicClientConfig {
        self.inner.ep.config()
    }

    /// Replaces callbacks; takes effect at once, also after start.
    pub fn set_handlers(&self, f: impl FnOnce(&mut QuicHandlers)) {
        self.inner.ep.set_handlers(f);
    }

    /// Starts connecting to `host:port` and returns at once; the connected or error callback
    /// follows. Errors: empty host or port 0 → `InvalidArgument`; bad host →
    /// `AddressResolutionFailed`; unusable TLS material → `CertificateError`; running →
    /// `ClientAlreadyRunning`.
    pub fn start(&self, host: &str, port: u16) -> Result<()> {
        self.launch(host, port).map(drop)
    }

    /// Like [`start`](Self::start), but returns once the handshake succeeded or failed, with
    /// its error (untrusted certificate -606, timeout -602, refused -601 …); after a failure
    /// the client has stopped. Inside a callback it does not wait.
    pub fn start_wait(&self, host: &str, port: u16) -> Result<()> {
        let pending = self.launch(host, port)?;
        wait_first(&self.inner.ep, pending)
    }

    fn launch(&self, host: &str, port: u16) -> Result<client::Pending> {
        let inner = &self.inner;
        let config = self.config();
        let prepare = |host: &str| -> Result<Target> {
            let name = config
                .tls
                .server_name
                .clone()
                .unwrap_or_else(|| host.to_string());
            let quinn_config = config.build(&name)?;
            let target = addr::resolve(host, port)?;
            let endpoint = if config.udp == UdpConfig::default() {
                shared_endpoint(target)?
            } else {
                let local = match config.udp.bind_address.as_str() {
                    "" => unspecified(target),
                    bind => addr::resolve(bind, 0)?,
                };
                let socket = crate::udp::bind(&config.udp, local)?;
                endpoint(socket, None, "quic client socket")?
            };
            Ok(Target {
                endpoint,
                client_config: quinn_config,
                addr: target,
                name,
                config: config.clone(),
            })
        };
        let l = client::launch(&inner.ep, &inner.stop_signal, host, port, false, prepare)?;
        let guard = inner.ep.life.task();
        let inner = inner.clone();
        let (run, mut stop, mut first, target) = (l.run, l.stop, l.first, l.prepared);
        l.handle.spawn(async move {
            if let Err(e) = connect(&inner, &target, &mut first, &mut stop).await {
                inner.retired.errors.fetch_add(1, Ordering::Relaxed);
                fire_error(&inner.ep.handlers, None, &e);
                tell(&mut first, Err(e));
            }
            tell(&mut first, Err(client::cancelled()));
            inner.ep.life.end_run(run);
            drop(guard);
        });
        Ok(l.pending)
    }

    fn with_conn<T>(&self, f: impl FnOnce(&QuicConnection) -> Result<T>) -> Result<T> {
        match self.inner.current.load().as_deref() {
            Some(c) => f(c),
            None => Err(Error::new(
                ErrorCode::ConnectionClosed,
                "client is not connected",
            )),
        }
    }

    /// Sends one message; see [`QuicConnection::send`]. Not connected → `ConnectionClosed`.
    pub fn send(&self, data: &[u8]) -> Result<()> {
        self.with_conn(|c| c.send(data))
    }

    /// [`send`](Self::send) without copying `data`.
    pub fn send_bytes(&self, data: bytes::Bytes) -> Result<()> {
        self.with_conn(|c| c.send_bytes(data))
    }

    pub fn create_stream(&self) -> Result<u64> {
        self.with_conn(QuicConnection::create_stream)
    }

    pub fn create_unidirectional_stream(&self) -> Result<u64> {
        self.with_conn(QuicConnection::create_unidirectional_stream)
    }

    pub fn send_on_stream(&self, id: u64, data: &[u8], fin: bool) -> Result<()> {
        self.with_conn(|c| c.send_on_stream(id, data, fin))
    }

    /// [`send_on_stream`](Self::send_on_stream) without copying `data`.
    pub fn send_on_stream_bytes(&self, id: u64, data: bytes::Bytes, fin: bool) -> Result<()> {
        self.with_conn(|c| c.send_on_stream_bytes(id, data, fin))
    }

    pub fn close_stream(&self, id: u64) -> Result<()> {
        self.with_conn(|c| c.close_stream(id))
    }

    pub fn send_datagram(&self, data: &[u8]) -> Result<()> {
        self.with_conn(|c| c.send_datagram(data))
    }

    /// Closes the connection gracefully with `code`; the client then stops by itself.
    pub fn close(&self, code: u64, reason: &str) -> Result<()> {
        self.with_conn(|c| c.close(code, reason))
    }

    /// The current connection, if connected.
    pub fn connection(&self) -> Option<QuicConnection> {
        self.inner.current.load_full().map(|c| (*c).clone())
    }

    pub fn is_connected(&self) -> bool {
        self.inner
            .current
            .load()
            .as_deref()
            .is_some_and(QuicConnection::is_connected)
    }

    pub fn is_running(&self) -> bool {
        self.inner.ep.life.is_running()
    }

    /// How the last connection ended (code and reason of the close, by whom, the error).
    pub fn last_close(&self) -> Option<CloseInfo> {
        lock(&self.inner.last_close).clone()
    }

    /// Closes the connection gracefully with code 0 (queued data is flushed first, up to the
    /// `linger` option) and returns when no callback runs or will run again; inside one of
    /// this client's callbacks it only starts the stop.
    pub fn stop(&self) -> Result<()> {
        let inner = self.inner.clone();
        inner.ep.stop(|| {
            if let Some(tx) = lock(&inner.stop_signal).take() {
                tx.send_replace(true);
            }
            if let Some(c) = inner.current.load().as_deref() {
                let _ = c.close(close_code::NORMAL, "client stopping");
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
        Protocol::Quic
    }

    fn stats(&self) -> Stats {
        let current = self.current.load().as_deref().map(|c| c.stats());
        client::stats(current, &self.connections, &self.retired)
    }
}

impl Drop for QuicClient {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// The handshake, then the connection until it ends and its close has been sent.
async fn connect(
    inner: &Arc<Inner>,
    target: &Target,
    first: &mut First,
    stop: &mut watch::Receiver<bool>,
) -> Result<()> {
    // A stop abandons the handshake; a connection is closed gracefully by stop itself, and its
    // task runs on until the close has gone out.
    let (conn, local) = tokio::select! {
        biased;
        _ = stop.wait_for(|s| *s) => return Ok(()),
        r = metrics::timed_connect(handshake(target)) => r?,
    };
    inner.current.store(Some(Arc::new(conn.clone())));
    inner.connections.fetch_add(1, Ordering::Relaxed);
    if *stop.borrow() {
        let _ = conn.close(close_code::NORMAL, "client stopping");
    }
    tell(first, Ok(()));
    let closed = || {
        inner.current.store(None);
        *lock(&inner.last_close) = conn.close_info();
        inner.retired.absorb(conn.counters());
    };
    run(conn.clone(), inner.clone(), local, closed).await;
    // Our CONNECTION_CLOSE goes out before stop returns (and before a socket of our own
    // closes), so the server learns of the close even when the process exits right after stop
    // (quinn has no signal for it; waiting for the endpoint to drain would take three probe
    // timeouts).
    // A few turns of the runtime usually do; then it is checked each millisecond, so a
    // worker is not kept spinning on a 2-core machine.
    let deadline = tokio::time::Instant::now() + DRAIN;
    let mut turns = 0;
    while !conn.close_sent() && tokio::time::Instant::now() < deadline {
        turns += 1;
        if turns <= 8 {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
    Ok(())
}

/// The handshake (with 0-RTT when enabled and a ticket allows it); the early message is queued.
async fn handshake(
    target: &Target,
) -> Result<(
    QuicConnection,
    tokio::sync::mpsc::UnboundedReceiver<quinn::RecvStream>,
)> {
    let config = &target.config;
    let peer = format!("{} ({})", target.name, target.addr);
    let connecting = target
        .endpoint
        .connect_with(target.client_config.clone(), target.addr, &target.name)
        .map_err(|e| {
            if matches!(e, quinn::ConnectError::EndpointStopping) {
                forget_shared(&target.endpoint);
            }
            Error::new(
                ErrorCode::InvalidArgument,
                format!("cannot connect to {peer}: {e}"),
            )
        })?;
    let limit = config.connect_timeout;
    let timed_out = || {
        Error::new(
            ErrorCode::ConnectionTimeout,
            format!(
                "QUIC handshake with {peer} took over {} ms",
                limit.as_millis()
            ),
        )
    };
    // Wraps the established connection; the early message becomes its first message.
    let wrap = |q: quinn::Connection| {
        let (conn, local) = QuicConnection::new(q, config.quic.clone());
        match config.early_data.as_deref() {
            Some(data) => conn.send(data).map(|()| (conn, local)),
            None => Ok((conn, local)),
        }
    };
    let zero_rtt = match config.enable_early_data {
        true => connecting.into_0rtt(),
        false => Err(connecting),
    };
    let (conn, local) = match zero_rtt {
        Ok((q, accepted)) => {
            // The early message goes out in 0-RTT packets.
            let (conn, local) = wrap(q.clone())?;
            let ok = timeout(limit, accepted).await.map_err(|_| timed_out())?;
            if let Some(e) = q.close_reason() {
                return Err(handshake_error(&e, &peer));
            }
            if ok {
                conn.set_early_data_accepted(true);
                (conn, local)
            } else {
                // Rejected: the streams of 0-RTT are gone; start over in 1-RTT.
                drop((conn, local));
                wrap(q)?
            }
        }
        Err(connecting) => {
            let q = timeout(limit, connecting)
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| handshake_error(&e, &peer))?;
            wrap(q)?
        }
    };
    Ok((conn, local))
}
