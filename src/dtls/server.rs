//! DTLS server: one UDP socket, one association per remote endpoint. A new endpoint's
//! ClientHello is answered statelessly (HelloVerifyRequest with an HMAC cookie of its
//! address); only a ClientHello returning a valid cookie creates a session.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwapOption;
use openssl::ssl::{Ssl, SslContext};
use tokio::net::UdpSocket;
use tokio::sync::watch;

use super::session::Session;
use super::{
    new_cookies, peer_index, send_datagrams, server_context, DtlsHandlers, DtlsServerConfig, TICK,
};
use crate::conn::{addr, lock, Counters, Endpoint, Stats};
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::{self, Protocol, Registration, Role, Source};
use crate::runtime;

/// Datagrams read per wake-up of the receive loop beyond the first.
const DRAIN_BATCH: usize = 63;

/// DTLS content type of handshake records: the only kind a new peer may start with.
const HANDSHAKE: u8 = 22;

/// A DTLS server. Dropping it stops it.
pub struct DtlsServer {
    /// First field: dropped while `inner` lives (see `Registration`).
    _metrics: Registration,
    inner: Arc<Inner>,
}

struct Inner {
    ep: Endpoint<DtlsServerConfig, DtlsHandlers>,
    socket: ArcSwapOption<UdpSocket>,
    peers: Mutex<HashMap<SocketAddr, Arc<Peer>>>,
    stop: Mutex<Option<watch::Sender<bool>>>,
    counters: Counters,
    /// Datagrams dropped: not DTLS, from a new peer beyond `max_sessions`, or not sent
    /// because the socket's buffer was full.
    dropped: AtomicU64,
    connections: AtomicU64,
}

/// A peer past the cookie exchange.
struct Peer {
    session: Mutex<Session>,
    since: Instant,
    heard: Mutex<Instant>,
}

impl Default for DtlsServer {
    fn default() -> Self {
        DtlsServer::new(DtlsServerConfig::default())
    }
}

impl DtlsServer {
    pub fn new(config: DtlsServerConfig) -> DtlsServer {
        let inner = Arc::new(Inner {
            ep: Endpoint::new(config, ErrorCode::ServerAlreadyRunning),
            socket: ArcSwapOption::empty(),
            peers: Mutex::new(HashMap::new()),
            stop: Mutex::new(None),
            counters: Counters::default(),
            dropped: AtomicU64::new(0),
            connections: AtomicU64::new(0),
        });
        DtlsServer {
            _metrics: Registration::new(Role::Server, &inner),
            inner,
        }
    }

    /// Changes the options; fails with `ServerAlreadyRunning` while running.
    pub fn configure(&self, f: impl FnOnce(&mut DtlsServerConfig)) -> Result<()> {
        self.inner.ep.configure(|c| {
            f(c);
            Ok(())
        })
    }

    pub fn config(&self) -> DtlsServerConfig {
        self.inner.ep.config()
    }

    /// Replaces callbacks; takes effect at once, also after start.
    pub fn set_handlers(&self, f: impl FnOnce(&mut DtlsHandlers)) {
        self.inner.ep.set_handlers(f);
    }

    /// Loads the certificate and binds `bind_address:port` (0 = any free port). Errors:
    /// running → `ServerAlreadyRunning`; certificate or key missing or unusable →
    /// `CertificateError` naming the file; address in use → `BindFailed`.
    pub fn start(&self, port: u16) -> Result<()> {
        let inner = &self.inner;
        let run = inner.ep.start("server")?;
        let started = (|| {
            let config = inner.ep.config();
            let ctx = server_context(&config.tls, new_cookies()?)?;
            let local = addr::resolve(&config.udp.bind_address, port)?;
            let socket = crate::udp::bind(&config.udp, local)?;
            let handle = runtime::handle()?;
            let socket = {
                let _enter = handle.enter();
                UdpSocket::from_std(socket)
                    .map_err(|e| Error::io(&e, "cannot register the socket"))?
            };
            let socket = Arc::new(socket);
            inner.socket.store(Some(socket.clone()));
            let (tx, rx) = watch::channel(false);
            *lock(&inner.stop) = Some(tx);
            let guard = inner.ep.life.task();
            let me = inner.clone();
            handle.spawn(async move {
                me.serve(&socket, &ctx, &config, rx).await;
                me.ep.life.end_run(run);
                drop(guard);
            });
            Ok(())
        })();
        if started.is_err() {
            inner.ep.life.end_run(run);
        }
        started
    }

    /// Sends close_notify to every peer and stops. Outside a callback it returns when no
    /// callback runs or will run again.
    pub fn stop(&self) -> Result<()> {
        let inner = self.inner.clone();
        inner.ep.stop(|| {
            if let Some(tx) = lock(&inner.stop).take() {
                tx.send_replace(true);
            }
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

    /// The bound address while running (the port chosen for port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner
            .socket
            .load()
            .as_deref()
            .and_then(|s| s.local_addr().ok())
    }

    /// Encrypts `data` as one datagram to the peer `to`. Errors: not running →
    /// `ServerNotStarted`; no session with `to` → `SessionNotFound`; handshake not complete →
    /// `ConnectionClosed`; a record
    /// that would exceed the path MTU → `MessageTooLarge`; the socket's buffer full →
    /// `SendQueueFull`.
    pub fn send_to(&self, data: &[u8], to: SocketAddr) -> Result<()> {
        let inner = &self.inner;
        let socket = inner
            .socket
            .load_full()
            .ok_or_else(|| Error::new(ErrorCode::ServerNotStarted, "server not running"))?;
        let peer = lock(&inner.peers).get(&to).cloned().ok_or_else(|| {
            Error::new(
                ErrorCode::SessionNotFound,
                format!("no DTLS session with {to}"),
            )
        })?;
        let out = {
            let mut session = lock(&peer.session);
            session.send(data)?;
            session.take_output().collect::<Vec<_>>()
        };
        inner.send(&socket, &out, to)?;
        inner.counters.messages_out.fetch_add(1, Ordering::Relaxed);
        inner
            .counters
            .bytes_out
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// The peers with an established session.
    pub fn peers(&self) -> Vec<SocketAddr> {
        lock(&self.inner.peers)
            .iter()
            .filter(|(_, p)| lock(&p.session).established)
            .map(|(a, _)| *a)
            .collect()
    }

    /// Sessions now, handshaking ones included.
    pub fn session_count(&self) -> usize {
        lock(&self.inner.peers).len()
    }

    /// Ends the session with `peer` (close_notify sent; the disconnected callback follows).
    pub fn disconnect(&self, peer: SocketAddr) -> Result<()> {
        let inner = &self.inner;
        let socket = inner
            .socket
            .load_full()
            .ok_or_else(|| Error::new(ErrorCode::ServerNotStarted, "server not running"))?;
        let p = lock(&inner.peers).remove(&peer).ok_or_else(|| {
            Error::new(
                ErrorCode::SessionNotFound,
                format!("no DTLS session with {peer}"),
            )
        })?;
        inner.close(&socket, peer, &p);
        Ok(())
    }

    /// Counters: datagrams in/out (application data), bytes, sessions, drops, errors.
    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }
}

impl metrics::Source for Inner {
    fn protocol(&self) -> Protocol {
        Protocol::Dtls
    }

    fn stats(&self) -> Stats {
        let mut s = Stats::default();
        self.counters.add_to(&mut s);
        s.connections_total = self.connections.load(Ordering::Relaxed);
        s.active_connections = lock(&self.peers).len() as u64;
        s.dropped = self.dropped.load(Ordering::Relaxed);
        s
    }
}

impl Drop for DtlsServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

impl Inner {
    async fn serve(
        self: &Arc<Self>,
        socket: &UdpSocket,
        ctx: &SslContext,
        config: &DtlsServerConfig,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut buf = vec![0u8; 65_536];
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                r = socket.recv_from(&mut buf) => {
                    // Errors of an unconnected UDP socket (ICMP from an old peer) say
                    // nothing about the others.
                    if let Ok((n, from)) = r {
                        self.datagram(socket, ctx, config, from, &buf[..n]);
                    }
                    // What else is waiting, without a wake-up per datagram (up to a batch,
                    // so that timers and the stop signal are still seen).
                    for _ in 0..DRAIN_BATCH {
                        match socket.try_recv_from(&mut buf) {
                            Ok((n, from)) => self.datagram(socket, ctx, config, from, &buf[..n]),
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                            Err(_) => {}
                        }
                    }
                }
                _ = tick.tick() => self.sweep(socket, config),
            }
        }
        let peers: Vec<_> = lock(&self.peers).drain().collect();
        for (addr, peer) in peers {
            self.close(socket, addr, &peer);
        }
        self.socket.store(None);
    }

    fn datagram(
        &self,
        socket: &UdpSocket,
        ctx: &SslContext,
        config: &DtlsServerConfig,
        from: SocketAddr,
        data: &[u8],
    ) {
        let peer = lock(&self.peers).get(&from).cloned();
        match peer {
            Some(peer) => self.feed(socket, from, &peer, data),
            None => self.hello(socket, ctx, config, from, data),
        }
    }

    /// A datagram from an endpoint without a session: the cookie exchange, statelessly.
    fn hello(
        &self,
        socket: &UdpSocket,
        ctx: &SslContext,
        config: &DtlsServerConfig,
        from: SocketAddr,
        data: &[u8],
    ) {
        if data.first() != Some(&HANDSHAKE) || lock(&self.peers).len() >= config.max_sessions {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let made = (|| {
            let mut ssl = Ssl::new(ctx).map_err(super::session::ssl_error)?;
            ssl.set_ex_data(
                peer_index().map_err(super::session::ssl_error)?,
                from.to_string().into_bytes(),
            );
            ssl.set_accept_state();
            Session::new(ssl, Some(data.to_vec()), config.mtu)
        })();
        let Ok(mut session) = made else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let cookie_ok = session.listen();
        let out: Vec<_> = session.take_output().collect();
        let _ = self.send(socket, &out, from);
        match cookie_ok {
            // The HelloVerifyRequest went out (or the datagram was no ClientHello): nothing kept.
            Ok(false) => {}
            Err(_) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Ok(true) => {
                let now = Instant::now();
                let peer = Arc::new(Peer {
                    session: Mutex::new(session),
                    since: now,
                    heard: Mutex::new(now),
                });
                lock(&self.peers).insert(from, peer.clone());
                self.advance(socket, from, &peer);
            }
        }
    }

    /// Continues a handshake with what was fed.
    fn advance(&self, socket: &UdpSocket, from: SocketAddr, peer: &Peer) {
        let (result, out) = {
            let mut s = lock(&peer.session);
            let r = s.handshake();
            (r, s.take_output().collect::<Vec<_>>())
        };
        let _ = self.send(socket, &out, from);
        match result {
            Ok(true) => self.connected(from),
            Ok(false) => {}
            Err(e) => self.fail(from, &e, false),
        }
    }

    fn feed(&self, socket: &UdpSocket, from: SocketAddr, peer: &Peer, data: &[u8]) {
        *lock(&peer.heard) = Instant::now();
        let (result, out) = {
            let mut s = lock(&peer.session);
            let was = s.established;
            let r = s.feed(data.to_vec()).map(|fed| (was, fed));
            (r, s.take_output().collect::<Vec<_>>())
        };
        let _ = self.send(socket, &out, from);
        let (was, fed) = match result {
            Ok(x) => x,
            Err(e) => {
                let was = lock(&peer.session).established;
                return self.fail(from, &e, was);
            }
        };
        if fed.connected && !was {
            self.connected(from);
        }
        let handlers = self.ep.handlers.load();
        for d in &fed.data {
            self.counters.messages_in.fetch_add(1, Ordering::Relaxed);
            self.counters
                .bytes_in
                .fetch_add(d.len() as u64, Ordering::Relaxed);
            if let Some(f) = &handlers.datagram {
                runtime::invoke(self.ep.handlers.owner(), "datagram", || f(d, from));
            }
        }
        drop(handlers);
        if fed.closed {
            lock(&self.peers).remove(&from);
            self.disconnected(from);
        }
    }

    /// Retransmits handshake flights, ends handshakes over their time and idle sessions.
    fn sweep(&self, socket: &UdpSocket, config: &DtlsServerConfig) {
        let peers: Vec<(SocketAddr, Arc<Peer>)> = lock(&self.peers)
            .iter()
            .map(|(a, p)| (*a, p.clone()))
            .collect();
        for (addr, peer) in peers {
            let (established, retransmit) = {
                let mut s = lock(&peer.session);
                let due = s.timeout().is_some_and(|t| t.is_zero());
                let r = if due { s.on_timeout() } else { Ok(()) };
                let out: Vec<_> = s.take_output().collect();
                let _ = self.send(socket, &out, addr);
                (s.established, r)
            };
            if !established {
                let limit = config.tls.handshake_timeout;
                if let Err(e) = retransmit {
                    self.fail(addr, &e, false);
                } else if peer.since.elapsed() > limit {
                    let e = Error::new(
                        ErrorCode::ConnectionTimeout,
                        format!(
                            "DTLS handshake with {addr} did not complete in {} ms",
                            limit.as_millis()
                        ),
                    );
                    self.fail(addr, &e, false);
                }
            } else if !config.idle_timeout.is_zero()
                && lock(&peer.heard).elapsed() > config.idle_timeout
            {
                let e = Error::new(
                    ErrorCode::SessionExpired,
                    format!(
                        "DTLS session with {addr} heard nothing for {} ms",
                        config.idle_timeout.as_millis()
                    ),
                );
                self.fail(addr, &e, true);
            }
        }
    }

    /// Ends a peer's session after `err`, reported with the peer.
    fn fail(&self, addr: SocketAddr, err: &Error, established: bool) {
        lock(&self.peers).remove(&addr);
        self.report(Some(addr), err);
        if established {
            self.disconnected(addr);
        }
    }

    /// Sends close_notify and reports the end of an established session.
    fn close(&self, socket: &UdpSocket, addr: SocketAddr, peer: &Peer) {
        let (established, out) = {
            let mut s = lock(&peer.session);
            s.close();
            (s.established, s.take_output().collect::<Vec<_>>())
        };
        let _ = self.send(socket, &out, addr);
        if established {
            self.disconnected(addr);
        }
    }

    fn send(&self, socket: &UdpSocket, datagrams: &[Vec<u8>], to: SocketAddr) -> Result<()> {
        send_datagrams(socket, datagrams, Some(to)).inspect_err(|e| {
            if e.code() == ErrorCode::SendQueueFull {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        })
    }

    fn connected(&self, addr: SocketAddr) {
        self.connections.fetch_add(1, Ordering::Relaxed);
        let callback = self.ep.handlers.load().connected.clone();
        if let Some(f) = callback {
            runtime::invoke(self.ep.handlers.owner(), "connected", || f(addr));
        }
    }

    fn disconnected(&self, addr: SocketAddr) {
        let callback = self.ep.handlers.load().disconnected.clone();
        if let Some(f) = callback {
            runtime::invoke(self.ep.handlers.owner(), "disconnected", || f(addr));
        }
    }

    fn report(&self, addr: Option<SocketAddr>, err: &Error) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        let callback = self.ep.handlers.load().error.clone();
        if let Some(f) = callback {
            runtime::invoke(self.ep.handlers.owner(), "error", || f(addr, err));
        }
    }
}
