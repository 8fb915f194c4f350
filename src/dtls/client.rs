//! DTLS client: its own UDP socket connected to the server, one session.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwapOption;
use openssl::ssl::Ssl;
use tokio::net::UdpSocket;
use tokio::sync::watch;

use super::session::{ssl_error, Session};
use super::{send_datagrams, DtlsClientConfig, DtlsHandlers, TICK};
use crate::conn::client::{self, tell, wait_first, First};
use crate::conn::{addr, lock, Counters, Endpoint, Stats};
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::{self, Protocol, Registration, Role, Source};
use crate::runtime;

/// A DTLS client. Dropping it stops it.
pub struct DtlsClient {
    /// First field: dropped while `inner` lives (see `Registration`).
    _metrics: Registration,
    inner: Arc<Inner>,
}

struct Inner {
    ep: Endpoint<DtlsClientConfig, DtlsHandlers>,
    stop_signal: Mutex<Option<watch::Sender<bool>>>,
    /// The established session, while there is one.
    current: ArcSwapOption<Link>,
    counters: Counters,
    connections: AtomicU64,
}

struct Link {
    socket: Arc<UdpSocket>,
    session: Mutex<Session>,
    peer: SocketAddr,
}

/// What a run prepared off the runtime: the connected socket and the session to start.
struct Target {
    socket: std::net::UdpSocket,
    session: Session,
    peer: SocketAddr,
    config: DtlsClientConfig,
}

impl Default for DtlsClient {
    fn default() -> Self {
        DtlsClient::new(DtlsClientConfig::default())
    }
}

impl DtlsClient {
    pub fn new(config: DtlsClientConfig) -> DtlsClient {
        let inner = Arc::new(Inner {
            ep: Endpoint::new(config, ErrorCode::ClientAlreadyRunning),
            stop_signal: Mutex::new(None),
            current: ArcSwapOption::empty(),
            counters: Counters::default(),
            connections: AtomicU64::new(0),
        });
        DtlsClient {
            _metrics: Registration::new(Role::Client, &inner),
            inner,
        }
    }

    /// Changes the options; fails with `ClientAlreadyRunning` while running.
    pub fn configure(&self, f: impl FnOnce(&mut DtlsClientConfig)) -> Result<()> {
        self.inner.ep.configure(|c| {
            f(c);
            Ok(())
        })
    }

    pub fn config(&self) -> DtlsClientConfig {
        self.inner.ep.config()
    }

    /// Replaces callbacks; takes effect at once, also after start.
    pub fn set_handlers(&self, f: impl FnOnce(&mut DtlsHandlers)) {
        self.inner.ep.set_handlers(f);
    }

    /// Starts the handshake with `host:port` and returns at once; the connected or error
    /// callback follows. Errors: empty host or port 0 → `InvalidArgument`; bad host →
    /// `AddressResolutionFailed`; unusable TLS material → `CertificateError`; running →
    /// `ClientAlreadyRunning`.
    pub fn start(&self, host: &str, port: u16) -> Result<()> {
        self.launch(host, port).map(drop)
    }

    /// Like [`start`](Self::start), but returns once the handshake succeeded or failed, with
    /// its error (certificate refused -606, no answer -602, port unreachable -601, other
    /// handshake failures -605); after a failure the client has stopped.
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
            let peer = addr::resolve(host, port)?;
            let ctx = super::client_context(&config.tls)?;
            let mut ssl = Ssl::new(&ctx).map_err(ssl_error)?;
            if config.tls.verify {
                let param = ssl.param_mut();
                let set = match name.parse::<IpAddr>() {
                    Ok(ip) => param.set_ip(ip),
                    Err(_) => param.set_host(&name),
                };
                set.map_err(|e| {
                    Error::new(
                        ErrorCode::InvalidArgument,
                        format!("server name {name}: {e}"),
                    )
                })?;
            }
            if name.parse::<IpAddr>().is_err() {
                ssl.set_hostname(&name).map_err(ssl_error)?;
            }
            ssl.set_connect_state();
            let local = match config.udp.bind_address.as_str() {
                "" if peer.is_ipv6() => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
                "" => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
                bind => addr::resolve(bind, 0)?,
            };
            let socket = crate::udp::bind(&config.udp, local)?;
            socket
                .connect(peer)
                .map_err(|e| Error::io(&e, "cannot connect the UDP socket"))?;
            Ok(Target {
                socket,
                session: Session::new(ssl, None, config.mtu)?,
                peer,
                config: config.clone(),
            })
        };
        let l = client::launch(&inner.ep, &inner.stop_signal, host, port, false, prepare)?;
        let guard = inner.ep.life.task();
        let inner = inner.clone();
        let (run, mut stop, mut first, target) = (l.run, l.stop, l.first, l.prepared);
        l.handle.spawn(async move {
            if let Err(e) = inner.run(target, &mut first, &mut stop).await {
                inner.report(&e);
                tell(&mut first, Err(e));
            }
            tell(&mut first, Err(client::cancelled()));
            inner.ep.life.end_run(run);
            drop(guard);
        });
        Ok(l.pending)
    }

    /// Encrypts `data` as one datagram to the server. Errors: not connected →
    /// `ConnectionClosed`; over the path MTU → `MessageTooLarge`; the socket's buffer full →
    /// `SendQueueFull`.
    pub fn send(&self, data: &[u8]) -> Result<()> {
        let link =
            self.inner.current.load_full().ok_or_else(|| {
                Error::new(ErrorCode::ConnectionClosed, "client is not connected")
            })?;
        let out = {
            let mut s = lock(&link.session);
            s.send(data)?;
            s.take_output().collect::<Vec<_>>()
        };
        send_datagrams(&link.socket, &out, None)?;
        let c = &self.inner.counters;
        c.messages_out.fetch_add(1, Ordering::Relaxed);
        c.bytes_out.fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    pub fn is_connected(&self) -> bool {
        self.inner.current.load().is_some()
    }

    pub fn is_running(&self) -> bool {
        self.inner.ep.life.is_running()
    }

    /// The server's address while connected.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.inner.current.load().as_deref().map(|l| l.peer)
    }

    /// Sends close_notify and stops; returns when no callback runs or will run again (inside
    /// one of this client's callbacks it only starts the stop).
    pub fn stop(&self) -> Result<()> {
        let inner = self.inner.clone();
        inner.ep.stop(|| {
            if let Some(tx) = lock(&inner.stop_signal).take() {
                tx.send_replace(true);
            }
        });
        Ok(())
    }

    /// Blocks until the client is stopped; fails at once inside a callback or on a runtime
    /// thread.
    pub fn wait_for_stop(&self) -> Result<()> {
        self.inner.ep.wait_for_stop()
    }

    /// Counters of the sessions this client made.
    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }
}

impl metrics::Source for Inner {
    fn protocol(&self) -> Protocol {
        Protocol::Dtls
    }

    fn stats(&self) -> Stats {
        client::stats(None, &self.connections, &self.counters)
    }
}

impl Drop for DtlsClient {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

impl Inner {
    /// The handshake, then the session until it ends or the client stops.
    async fn run(
        self: &Arc<Self>,
        target: Target,
        first: &mut First,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<()> {
        let Target {
            socket,
            mut session,
            peer,
            config,
        } = target;
        let socket = {
            let handle = runtime::handle()?;
            let _enter = handle.enter();
            Arc::new(
                UdpSocket::from_std(socket)
                    .map_err(|e| Error::io(&e, "cannot register the socket"))?,
            )
        };
        let mut buf = vec![0u8; 65_536];
        // The handshake: flights out, answers in, retransmissions on the timer.
        let started = tokio::time::Instant::now();
        let deadline = started + config.tls.handshake_timeout;
        let mut done = session.handshake()?;
        while !done {
            let out: Vec<_> = session.take_output().collect();
            send_datagrams(&socket, &out, None)?;
            let wait = session.timeout().unwrap_or(TICK);
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return Ok(()),
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(Error::new(
                        ErrorCode::ConnectionTimeout,
                        format!(
                            "DTLS handshake with {peer} did not complete in {} ms",
                            config.tls.handshake_timeout.as_millis()
                        ),
                    ));
                }
                _ = tokio::time::sleep(wait) => session.on_timeout()?,
                r = socket.recv(&mut buf) => {
                    let n = r.map_err(|e| recv_error(&e, peer))?;
                    let fed = session.feed(buf[..n].to_vec())?;
                    done = fed.connected;
                }
            }
        }
        let out: Vec<_> = session.take_output().collect();
        send_datagrams(&socket, &out, None)?;
        session.check_pins(&config.tls.pins, peer)?;
        let link = Arc::new(Link {
            socket: socket.clone(),
            session: Mutex::new(session),
            peer,
        });
        self.current.store(Some(link.clone()));
        self.connections.fetch_add(1, Ordering::Relaxed);
        metrics::Latency::Connect.record(started.elapsed());
        tell(first, Ok(()));
        self.peer_event(true, peer);
        let ended = self.serve(&link, &config, stop, &mut buf).await;
        self.current.store(None);
        {
            let mut s = lock(&link.session);
            s.close();
            let out: Vec<_> = s.take_output().collect();
            let _ = send_datagrams(&socket, &out, None);
        }
        if let Err(e) = &ended {
            self.report(e);
        }
        self.peer_event(false, peer);
        Ok(())
    }

    /// Delivers the server's datagrams until the session ends (close_notify, idle expiry,
    /// a fatal alert) or the client stops.
    async fn serve(
        &self,
        link: &Link,
        config: &DtlsClientConfig,
        stop: &mut watch::Receiver<bool>,
        buf: &mut [u8],
    ) -> Result<()> {
        let mut heard = Instant::now();
        let mut tick = tokio::time::interval(TICK);
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return Ok(()),
                _ = tick.tick() => {
                    let idle = config.idle_timeout;
                    if !idle.is_zero() && heard.elapsed() > idle {
                        return Err(Error::new(
                            ErrorCode::SessionExpired,
                            format!("DTLS session with {} heard nothing for {} ms", link.peer, idle.as_millis()),
                        ));
                    }
                }
                r = link.socket.recv(buf) => {
                    let n = match r {
                        Ok(n) => n,
                        // ICMP port unreachable: reported, the session stays (UDP semantics).
                        Err(e) => {
                            self.report(&recv_error(&e, link.peer));
                            continue;
                        }
                    };
                    heard = Instant::now();
                    let (fed, out) = {
                        let mut s = lock(&link.session);
                        let fed = s.feed(buf[..n].to_vec());
                        (fed, s.take_output().collect::<Vec<_>>())
                    };
                    let _ = send_datagrams(&link.socket, &out, None);
                    let fed = fed?;
                    let handlers = self.ep.handlers.load();
                    for d in &fed.data {
                        self.counters.messages_in.fetch_add(1, Ordering::Relaxed);
                        self.counters.bytes_in.fetch_add(d.len() as u64, Ordering::Relaxed);
                        if let Some(f) = &handlers.datagram {
                            runtime::invoke(self.ep.handlers.owner(), "datagram", || f(d, link.peer));
                        }
                    }
                    if fed.closed {
                        return Ok(());
                    }
                }
            }
        }
    }

    fn peer_event(&self, connected: bool, peer: SocketAddr) {
        let handlers = self.ep.handlers.load();
        let (callback, what) = match connected {
            true => (handlers.connected.clone(), "connected"),
            false => (handlers.disconnected.clone(), "disconnected"),
        };
        drop(handlers);
        if let Some(f) = callback {
            runtime::invoke(self.ep.handlers.owner(), what, || f(peer));
        }
    }

    fn report(&self, err: &Error) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        let callback = self.ep.handlers.load().error.clone();
        if let Some(f) = callback {
            runtime::invoke(self.ep.handlers.owner(), "error", || f(None, err));
        }
    }
}

fn recv_error(e: &std::io::Error, peer: SocketAddr) -> Error {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => Error::new(
            ErrorCode::ConnectionRefused,
            format!("{peer}: port unreachable"),
        ),
        _ => Error::io(e, "receive failed"),
    }
}
