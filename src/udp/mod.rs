//! UDP messaging: [`UdpServer`] and [`UdpClient`]. One send is one datagram; each received
//! datagram is delivered whole with its sender. Broadcast, multicast (IPv4 and IPv6), socket
//! buffer sizes, stats with drops.

mod batch;
mod client;
mod config;
mod server;

pub use client::UdpClient;
pub use config::UdpConfig;
pub use server::UdpServer;

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwapOption;

use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{watch, Notify};

use batch::{Pending, RecvSlots, Route, Sock};

use crate::conn::{lock, Counters, Endpoint, Stats};
use crate::error::{Error, ErrorCode, Result};
use crate::metrics;
use crate::runtime;

/// Largest UDP payload over IPv4 (65535 − 20 IP − 8 UDP).
pub const MAX_DATAGRAM_V4: usize = 65_507;
/// Largest UDP payload over IPv6 without jumbograms (65535 − 8 UDP).
pub const MAX_DATAGRAM_V6: usize = 65_527;

/// Receives each datagram (valid only during the call) and its sender.
pub type DatagramFn = Arc<dyn Fn(&[u8], SocketAddr) + Send + Sync>;
/// Receives errors (e.g. ICMP port unreachable on a client, -601).
pub type UdpErrorFn = Arc<dyn Fn(&Error) + Send + Sync>;

/// The callbacks of a UDP server or client.
#[derive(Clone, Default)]
pub struct UdpHandlers {
    pub datagram: Option<DatagramFn>,
    pub error: Option<UdpErrorFn>,
}

/// What UDP servers and clients share: options, callbacks, lifecycle, the socket, counters.
struct Core {
    ep: Endpoint<UdpConfig, UdpHandlers>,
    /// The socket while running; read without a lock by every send.
    socket: ArcSwapOption<Sock>,
    /// Datagrams of a burst of sends, for the flush task.
    pending: Mutex<Pending>,
    wake_flusher: Notify,
    /// Failures of queued sends, reported by the receive task so that this object's callbacks
    /// never overlap (at most `MAX_DEFERRED`; beyond, only counted).
    deferred: Mutex<Vec<Error>>,
    wake_receiver: Notify,
    /// The connected target (a client's) is IPv6: its datagram limit, without asking the
    /// kernel per send.
    peer_v6: AtomicBool,
    stop: Mutex<Option<watch::Sender<bool>>>,
    counters: Counters,
    /// Datagrams not sent because the socket's send buffer was full.
    dropped: AtomicU64,
    /// Reported when not running.
    not_running: ErrorCode,
}

impl Core {
    fn new(config: UdpConfig, running: ErrorCode, not_running: ErrorCode) -> Core {
        Core {
            ep: Endpoint::new(config, running),
            socket: ArcSwapOption::empty(),
            pending: Mutex::default(),
            wake_flusher: Notify::new(),
            deferred: Mutex::default(),
            wake_receiver: Notify::new(),
            peer_v6: AtomicBool::new(false),
            stop: Mutex::new(None),
            counters: Counters::default(),
            dropped: AtomicU64::new(0),
            not_running,
        }
    }

    fn socket(&self) -> Result<Arc<Sock>> {
        self.socket
            .load_full()
            .ok_or_else(|| Error::new(self.not_running, "not running"))
    }

    /// Starts the receive loop and the flush task on `socket`.
    fn run(self: &Arc<Self>, socket: std::net::UdpSocket) -> Result<()> {
        let handle = runtime::handle()?;
        let socket = {
            let _enter = handle.enter();
            UdpSocket::from_std(socket).map_err(|e| Error::io(&e, "cannot register the socket"))?
        };
        let socket = Arc::new(Sock::new(socket)?);
        *lock(&self.pending) = Pending::default();
        self.socket.store(Some(socket.clone()));
        let (tx, rx) = watch::channel(false);
        *lock(&self.stop) = Some(tx);
        for flusher in [false, true] {
            let guard = self.ep.life.task();
            let (core, socket, rx) = (self.clone(), socket.clone(), rx.clone());
            handle.spawn(async move {
                if flusher {
                    batch::flush_loop(&core, &socket, rx).await;
                } else {
                    receive_loop(&core, &socket, rx).await;
                }
                drop(guard);
            });
        }
        Ok(())
    }

    /// Stops receiving; see `Endpoint::stop` for when it waits. `self` must be the caller's
    /// own reference (an `Arc` it holds for the call).
    fn stop(&self) {
        self.ep.stop(|| {
            if let Some(tx) = lock(&self.stop).take() {
                tx.send_replace(true);
            }
            self.socket.store(None);
        });
    }

    /// Sends one datagram, without blocking: a full send buffer is `SendQueueFull` (counted
    /// as a drop), a datagram over the family's maximum is `MessageTooLarge`.
    fn send(&self, data: &[u8], to: Option<SocketAddr>) -> Result<()> {
        let socket = self.socket.load();
        let Some(socket) = socket.as_deref() else {
            return Err(Error::new(self.not_running, "not running"));
        };
        self.check_size(data, to)?;
        match lock(&self.pending).route(data, to) {
            Ok(Route::Direct) => {}
            Ok(Route::Queued) => return Ok(()),
            Ok(Route::Wake) => {
                self.wake_flusher.notify_one();
                return Ok(());
            }
            Err(e) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return Err(e);
            }
        }
        // The plain non-blocking syscall: tokio's try_send would report WouldBlock until its
        // reactor has seen the socket writable; here EAGAIN really means the buffer is full.
        let sock = SockRef::from(&socket.io);
        let sent = match to {
            Some(addr) => sock.send_to(data, &addr.into()),
            None => sock.send(data),
        };
        match sent {
            Ok(_) => {
                self.counters.sent(1, data.len());
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                Err(Error::new(
                    ErrorCode::SendQueueFull,
                    "the socket's send buffer is full; datagram not sent",
                ))
            }
            Err(e) => Err(send_error(&e)),
        }
    }

    /// Queues `datagrams` as one burst for the flush task (GSO trains, one wake-up). All or
    /// nothing: an empty or oversized datagram, or a queue without room for all, sends none.
    fn send_batch<D: AsRef<[u8]>>(&self, datagrams: &[D], to: Option<SocketAddr>) -> Result<()> {
        for d in datagrams {
            self.check_size(d.as_ref(), to)?;
        }
        if self.socket.load().is_none() {
            return Err(Error::new(self.not_running, "not running"));
        }
        let queued = lock(&self.pending).queue_all(datagrams, to);
        match queued {
            Ok(wake) => {
                if wake {
                    self.wake_flusher.notify_one();
                }
                Ok(())
            }
            Err(e) => {
                let n = datagrams.len() as u64;
                self.dropped.fetch_add(n, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Hands `err` to the receive task for the error callback (see `deferred`).
    fn report_later(&self, err: Error) {
        const MAX_DEFERRED: usize = 64;
        let mut deferred = lock(&self.deferred);
        if deferred.len() < MAX_DEFERRED {
            deferred.push(err);
            drop(deferred);
            self.wake_receiver.notify_one();
        } else {
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `InvalidArgument` for an empty datagram, `MessageTooLarge` over the maximum of the
    /// destination's family (`None`: the connected target's).
    fn check_size(&self, data: &[u8], to: Option<SocketAddr>) -> Result<()> {
        let v6 = match to {
            Some(addr) => addr.is_ipv6(),
            None => self.peer_v6.load(Ordering::Relaxed),
        };
        if data.is_empty() {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "cannot send an empty datagram",
            ));
        }
        let max = if v6 { MAX_DATAGRAM_V6 } else { MAX_DATAGRAM_V4 };
        if data.len() > max {
            return Err(Error::new(
                ErrorCode::MessageTooLarge,
                format!(
                    "datagram of {} bytes exceeds the UDP maximum of {max}",
                    data.len()
                ),
            ));
        }
        Ok(())
    }

    fn report(&self, err: &Error) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        // A binding, not the `if let` scrutinee: the loaded set is released before the call.
        let callback = self.ep.handlers.load().error.clone();
        if let Some(f) = callback {
            runtime::invoke(self.ep.handlers.owner(), "error", || f(err));
        }
    }
}

impl metrics::Source for Core {
    fn protocol(&self) -> metrics::Protocol {
        metrics::Protocol::Udp
    }

    fn stats(&self) -> Stats {
        let mut s = Stats::default();
        self.counters.add_to(&mut s);
        let socket = self.socket.load_full();
        // Reads /proc: from a callback, on a thread that does not hold up the runtime.
        s.dropped = self.dropped.load(Ordering::Relaxed)
            + socket.map_or(0, |socket| runtime::blocking(|| kernel_drops(&socket.io)));
        s
    }
}

impl Core {
    fn local_addr(&self) -> Option<SocketAddr> {
        self.socket
            .load()
            .as_deref()
            .and_then(|s| s.io.local_addr().ok())
    }

    fn join(&self, group: IpAddr, interface: Option<&str>, join: bool) -> Result<()> {
        let socket = self.socket()?;
        let sock = SockRef::from(&socket.io);
        let bad = |what: &str| Error::new(ErrorCode::InvalidArgument, what.to_string());
        if !group.is_multicast() {
            return Err(bad("not a multicast group address"));
        }
        let result = match group {
            IpAddr::V4(g) => {
                let iface = match interface {
                    None | Some("") => std::net::Ipv4Addr::UNSPECIFIED,
                    Some(i) => i
                        .parse()
                        .map_err(|_| bad("IPv4 multicast needs an interface address"))?,
                };
                if join {
                    sock.join_multicast_v4(&g, &iface)
                } else {
                    sock.leave_multicast_v4(&g, &iface)
                }
            }
            IpAddr::V6(g) => {
                let index = match interface {
                    None | Some("") => 0,
                    Some(i) => i
                        .parse()
                        .map_err(|_| bad("IPv6 multicast needs an interface index"))?,
                };
                if join {
                    sock.join_multicast_v6(&g, index)
                } else {
                    sock.leave_multicast_v6(&g, index)
                }
            }
        };
        result.map_err(|e| {
            Error::new(
                ErrorCode::NetworkError,
                format!(
                    "cannot {} multicast group {group}: {e}",
                    if join { "join" } else { "leave" }
                ),
            )
        })
    }
}

fn send_error(e: &io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => Error::new(
            ErrorCode::ConnectionRefused,
            format!("destination port unreachable: {e}"),
        ),
        _ => Error::new(ErrorCode::SendFailed, format!("send failed: {e}")),
    }
}

/// Binds a UDP socket on `addr` with the options.
pub(crate) fn bind(config: &UdpConfig, addr: SocketAddr) -> Result<std::net::UdpSocket> {
    let text = addr.to_string();
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| Error::bind(&e, &text))?;
    let setup = || -> io::Result<()> {
        socket.set_reuse_address(config.reuse_address)?;
        socket.set_broadcast(config.broadcast)?;
        if let Some(n) = config.recv_buffer_size {
            socket.set_recv_buffer_size(n)?;
        }
        if let Some(n) = config.send_buffer_size {
            socket.set_send_buffer_size(n)?;
        }
        if addr.is_ipv4() {
            if let Some(ttl) = config.multicast_ttl {
                socket.set_multicast_ttl_v4(ttl)?;
            }
            if let Some(on) = config.multicast_loop {
                socket.set_multicast_loop_v4(on)?;
            }
            if let Some(iface) = config.multicast_interface_v4 {
                socket.set_multicast_if_v4(&iface)?;
            }
        } else {
            if let Some(hops) = config.multicast_ttl {
                socket.set_multicast_hops_v6(hops)?;
            }
            if let Some(on) = config.multicast_loop {
                socket.set_multicast_loop_v6(on)?;
            }
            if let Some(index) = config.multicast_interface_v6 {
                socket.set_multicast_if_v6(index)?;
            }
        }
        Ok(())
    };
    setup().map_err(|e| {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("socket option refused: {e}"),
        )
    })?;
    socket
        .bind(&addr.into())
        .map_err(|e| Error::bind(&e, &text))?;
    socket
        .set_nonblocking(true)
        .map_err(|e| Error::bind(&e, &text))?;
    Ok(socket.into())
}

/// Receives until stopped. After each wake-up it drains what is waiting (up to a bound, to
/// let other tasks run) with non-blocking batched reads into reused buffers.
async fn receive_loop(core: &Arc<Core>, sock: &Sock, mut stop: watch::Receiver<bool>) {
    const ROUNDS: usize = 8;
    let socket = &sock.io;
    let mut slots = RecvSlots::default();
    let deliver = |data: &[u8], from: SocketAddr| {
        core.counters.received(data.len());
        if let Some(f) = &core.ep.handlers.load().datagram {
            runtime::invoke(core.ep.handlers.owner(), "receive", || f(data, from));
        }
    };
    loop {
        let ready = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => return,
            _ = core.wake_receiver.notified() => {
                let errors = std::mem::take(&mut *lock(&core.deferred));
                for e in &errors {
                    core.report(e);
                }
                continue;
            }
            r = socket.ready(Interest::READABLE | Interest::ERROR) => r,
        };
        let ready = match ready {
            Ok(r) => r,
            Err(e) => {
                core.report(&Error::io(&e, "receive failed"));
                return;
            }
        };
        if ready.is_error() {
            // ICMP port unreachable for an earlier send on a connected socket.
            if let Ok(Some(e)) = socket.take_error() {
                core.report(&send_error(&e));
            }
            let _ = socket.try_io(Interest::ERROR, || {
                Err::<(), _>(io::ErrorKind::WouldBlock.into())
            });
        }
        if !ready.is_readable() {
            continue;
        }
        for _ in 0..ROUNDS {
            match slots.receive(sock, deliver) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    // ICMP port unreachable for an earlier send on a connected socket.
                    core.report(&send_error(&e));
                }
                Err(e) => {
                    core.report(&Error::new(
                        ErrorCode::ReceiveFailed,
                        format!("receive failed: {e}"),
                    ));
                    break;
                }
            }
        }
    }
}

/// Datagrams the kernel dropped for this socket because its receive buffer was full
/// (Linux: the `drops` column of /proc/net/udp{,6}); 0 where unavailable.
fn kernel_drops(socket: &UdpSocket) -> u64 {
    use std::os::fd::AsRawFd;
    let Ok(link) = std::fs::read_link(format!("/proc/self/fd/{}", socket.as_raw_fd())) else {
        return 0;
    };
    let link = link.to_string_lossy();
    let Some(inode) = link
        .strip_prefix("socket:[")
        .and_then(|s| s.strip_suffix(']'))
    else {
        return 0;
    };
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(9) == Some(&inode) {
                return fields.last().and_then(|d| d.parse().ok()).unwrap_or(0);
            }
        }
    }
    0
}
