//! UDP client: a socket connected to one target, so it receives only from that target and
//! learns about ICMP "port unreachable" (reported as -601 through the error callback).

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use socket2::SockRef;

use super::{bind, Core, UdpConfig, UdpHandlers};
use crate::conn::addr::resolve;
use crate::conn::{lock, Stats};
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::{Registration, Role, Source};

/// A UDP client. Dropping it stops it.
pub struct UdpClient {
    /// First field: dropped while `core` lives (see `Registration`).
    _metrics: Registration,
    core: Arc<Core>,
    target: Mutex<Option<SocketAddr>>,
}

impl Default for UdpClient {
    fn default() -> Self {
        UdpClient::new(UdpConfig::default())
    }
}

impl UdpClient {
    pub fn new(config: UdpConfig) -> UdpClient {
        let core = Arc::new(Core::new(
            config,
            ErrorCode::ClientAlreadyRunning,
            ErrorCode::ClientNotStarted,
        ));
        UdpClient {
            _metrics: Registration::new(Role::Client, &core),
            core,
            target: Mutex::new(None),
        }
    }

    /// Changes the options; fails with `ClientAlreadyRunning` while running.
    pub fn configure(&self, f: impl FnOnce(&mut UdpConfig)) -> Result<()> {
        self.core.ep.configure(|c| {
            f(c);
            Ok(())
        })
    }

    /// Like [`configure`](Self::configure) with a fallible edit: all or nothing, the options
    /// change only when `f` succeeds.
    pub fn try_configure(&self, f: impl FnOnce(&mut UdpConfig) -> Result<()>) -> Result<()> {
        self.core.ep.configure(f)
    }

    /// Replaces callbacks; takes effect at once, also after start.
    pub fn set_handlers(&self, f: impl FnOnce(&mut UdpHandlers)) {
        self.core.ep.set_handlers(f);
    }

    /// Resolves `host:port`, binds a local socket of that family and connects it to the
    /// target. Errors: empty host → `InvalidArgument`; unresolvable → `AddressResolutionFailed`;
    /// running → `ClientAlreadyRunning`.
    pub fn start(&self, host: &str, port: u16) -> Result<()> {
        let target = resolve(host, port)?;
        let run = self.core.ep.start("client")?;
        self.core.peer_v6.store(target.is_ipv6(), Ordering::Relaxed);
        let config = self.core.ep.config();
        let local = if config.bind_address.is_empty() {
            match target.ip() {
                IpAddr::V4(_) => "0.0.0.0".parse().map(|ip| SocketAddr::new(ip, 0)),
                IpAddr::V6(_) => "::".parse().map(|ip| SocketAddr::new(ip, 0)),
            }
            .map_err(|_| Error::new(ErrorCode::InternalError, "unspecified address"))
        } else {
            resolve(&config.bind_address, 0)
        };
        let started = local
            .and_then(|local| bind(&config, local))
            .and_then(|socket| {
                SockRef::from(&socket)
                    .connect(&target.into())
                    .map_err(|e| Error::connect(&e, &target.to_string()))?;
                Ok(socket)
            })
            .and_then(|socket| self.core.run(socket));
        match started {
            Ok(()) => {
                *lock(&self.target) = Some(target);
                Ok(())
            }
            Err(e) => {
                self.core.ep.life.end_run(run);
                Err(e)
            }
        }
    }

    /// Points the running client at another target (datagrams from the old one are ignored).
    pub fn set_target(&self, host: &str, port: u16) -> Result<()> {
        let target = resolve(host, port)?;
        let socket = self.core.socket()?;
        SockRef::from(&socket.io)
            .connect(&target.into())
            .map_err(|e| Error::connect(&e, &target.to_string()))?;
        self.core.peer_v6.store(target.is_ipv6(), Ordering::Relaxed);
        *lock(&self.target) = Some(target);
        Ok(())
    }

    /// The current target.
    pub fn target(&self) -> Option<SocketAddr> {
        *lock(&self.target)
    }

    /// Sends one datagram to the target. Errors: not running → `ClientNotStarted`; over
    /// 65 507 bytes (IPv4) / 65 527 (IPv6) → `MessageTooLarge`; send buffer full →
    /// `SendQueueFull`; an earlier datagram was refused → `ConnectionRefused`. A send within
    /// 10 µs of the previous one joins a burst that one task writes in batches: then Ok means
    /// queued (up to 4 MiB), and a later failure goes to the error callback.
    pub fn send(&self, data: &[u8]) -> Result<()> {
        self.core.send(data, None)
    }

    /// Sends `datagrams` to the target as one burst: they go out in as few system calls as
    /// the kernel allows (GSO trains of equal-sized datagrams). All or nothing: errors as for
    /// [`send`](Self::send), checked for every datagram before any is queued; `SendQueueFull`
    /// when the queue has no room for all. Later failures go to the error callback.
    pub fn send_batch<D: AsRef<[u8]>>(&self, datagrams: &[D]) -> Result<()> {
        self.core.send_batch(datagrams, None)
    }

    /// Stops receiving. Outside a callback it returns when no callback runs or will run again.
    pub fn stop(&self) -> Result<()> {
        // Our own reference: the object may be freed by another thread once the stop is done.
        self.core.clone().stop();
        Ok(())
    }

    /// Blocks until stopped from another thread; inside a callback or on a runtime thread it
    /// fails at once with `InvalidArgument` (it would wait for itself).
    pub fn wait_for_stop(&self) -> Result<()> {
        self.core.ep.wait_for_stop()
    }

    pub fn is_running(&self) -> bool {
        self.core.ep.life.is_running()
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.core.local_addr()
    }

    /// Joins a multicast group (see [`UdpServer::join_multicast`](super::UdpServer::join_multicast)).
    pub fn join_multicast(&self, group: IpAddr, interface: Option<&str>) -> Result<()> {
        self.core.join(group, interface, true)
    }

    pub fn leave_multicast(&self, group: IpAddr, interface: Option<&str>) -> Result<()> {
        self.core.join(group, interface, false)
    }

    /// Datagrams and bytes in/out, errors, drops.
    pub fn stats(&self) -> Stats {
        self.core.stats()
    }
}

impl Drop for UdpClient {
    fn drop(&mut self) {
        self.core.stop();
    }
}
