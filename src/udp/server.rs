//! UDP server: a socket bound to an address and port that receives from anyone and replies
//! with `send_to`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use super::{bind, Core, UdpConfig, UdpHandlers};
use crate::conn::addr::resolve;
use crate::conn::Stats;
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::{Registration, Role, Source};

/// A UDP server. Dropping it stops it.
pub struct UdpServer {
    /// First field: dropped while `core` lives (see `Registration`).
    _metrics: Registration,
    core: Arc<Core>,
}

impl Default for UdpServer {
    fn default() -> Self {
        UdpServer::new(UdpConfig::server())
    }
}

impl UdpServer {
    pub fn new(config: UdpConfig) -> UdpServer {
        let core = Arc::new(Core::new(
            config,
            ErrorCode::ServerAlreadyRunning,
            ErrorCode::ServerNotStarted,
        ));
        UdpServer {
            _metrics: Registration::new(Role::Server, &core),
            core,
        }
    }

    /// Changes the options; fails with `ServerAlreadyRunning` while running.
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

    /// Binds `bind_address:port` (0 = any free port, see [`local_addr`](Self::local_addr)).
    /// Errors: running → `ServerAlreadyRunning`; address in use → `BindFailed`.
    pub fn start(&self, port: u16) -> Result<()> {
        let run = self.core.ep.start("server")?;
        let config = self.core.ep.config();
        let bound = resolve(&config.bind_address, port)
            .map_err(|e| Error::new(e.code(), format!("bind address: {}", e.message())))
            .and_then(|addr| bind(&config, addr))
            .and_then(|socket| self.core.run(socket));
        if bound.is_err() {
            self.core.ep.life.end_run(run);
        }
        bound
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

    /// Sends one datagram to `to`. Errors: not running → `ServerNotStarted`; over 65 507 bytes
    /// (IPv4) / 65 527 (IPv6) → `MessageTooLarge`; send buffer full → `SendQueueFull`. A send
    /// within 10 µs of the previous one joins a burst that one task writes in batches: then Ok
    /// means queued (up to 4 MiB), and a later failure goes to the error callback.
    pub fn send_to(&self, data: &[u8], to: SocketAddr) -> Result<()> {
        self.core.send(data, Some(to))
    }

    /// Joins a multicast group; `interface` is an IPv4 address (IPv4 groups) or an interface
    /// index (IPv6 groups), None for the system's choice.
    pub fn join_multicast(&self, group: IpAddr, interface: Option<&str>) -> Result<()> {
        self.core.join(group, interface, true)
    }

    pub fn leave_multicast(&self, group: IpAddr, interface: Option<&str>) -> Result<()> {
        self.core.join(group, interface, false)
    }

    /// Sends `datagrams` to `to` as one burst (see [`UdpClient::send_batch`](super::UdpClient::send_batch)).
    pub fn send_batch_to<D: AsRef<[u8]>>(&self, datagrams: &[D], to: SocketAddr) -> Result<()> {
        self.core.send_batch(datagrams, Some(to))
    }

    /// Datagrams and bytes in/out, errors, drops (send buffer full + kernel receive drops).
    pub fn stats(&self) -> Stats {
        self.core.stats()
    }

    /// Resolves `host` for [`send_to`](Self::send_to).
    pub fn resolve(host: &str, port: u16) -> Result<SocketAddr> {
        resolve(host, port)
    }
}

impl Drop for UdpServer {
    fn drop(&mut self) {
        self.core.stop();
    }
}
