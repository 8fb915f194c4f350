//! TCP messaging: [`TcpServer`] and [`TcpClient`] over the shared connection layer.

mod client;
mod config;
mod pool;
mod server;

pub use crate::conn::ReconnectPolicy;
pub(crate) use client::connect;
pub use client::TcpClient;
pub use config::{ClientConfig, ServerConfig};
pub use pool::TcpPool;
pub use server::TcpServer;

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};
use tokio::io::AsyncWrite;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::sync::watch;

use crate::conn::{addr, lock, ConnOptions, DirectWrite, Endpoint, Session};
use crate::error::{Error, Result};
use crate::runtime;
use crate::tls::{Acceptor, ServerTlsConfig};

/// A listening socket on `bind_address:port` (SO_REUSEADDR, the given backlog).
pub(crate) fn listen(bind_address: &str, backlog: u32, port: u16) -> Result<TcpListener> {
    let text = format!("{bind_address}:{port}");
    let addr = addr::resolve(bind_address, port)
        .map_err(|e| Error::new(e.code(), format!("bind address: {}", e.message())))?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .map_err(|e| Error::bind(&e, &text))?;
    let setup = || -> std::io::Result<TcpListener> {
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(backlog.min(i32::MAX as u32) as i32)?;
        socket.set_nonblocking(true)?;
        TcpListener::from_std(socket.into())
    };
    setup().map_err(|e| Error::bind(&e, &text))
}

/// The listening side of a server (TCP or WebSocket): the bound address while running and the
/// switch that ends the current run's accept loop.
#[derive(Default)]
pub(crate) struct Listening {
    addr: Mutex<Option<SocketAddr>>,
    stop: Mutex<Option<watch::Sender<bool>>>,
}

/// What a server run accepts with.
pub(crate) struct Bound {
    pub listener: TcpListener,
    pub tls: Option<Arc<Acceptor>>,
    /// Turns true when the run's accept loop must end.
    pub stop: watch::Receiver<bool>,
}

impl Listening {
    /// Marks the server `ep` running, loads the TLS certificate (if any) and binds
    /// `bind_address:port` — certificate files and DNS off the runtime's hands when called from
    /// a callback; when that fails the server is stopped again. `what` names it in the log.
    pub fn start<C: Clone, H: Clone + Default>(
        &self,
        ep: &Endpoint<C, H>,
        handle: &Handle,
        (bind_address, backlog, port): (&str, u32, u16),
        tls: Option<&ServerTlsConfig>,
        what: &str,
    ) -> Result<Bound> {
        let run = ep.start("server")?;
        let bound = runtime::blocking(|| {
            let tls = tls.map(Acceptor::new).transpose()?;
            let _enter = handle.enter();
            Ok::<_, Error>((listen(bind_address, backlog, port)?, tls))
        });
        let (listener, tls) = bound.inspect_err(|_| ep.life.end_run(run))?;
        let addr = listener.local_addr().ok();
        if let Some(addr) = addr {
            crate::ns_log!(crate::log::Level::Info, "{what} listening on {addr}");
        }
        *lock(&self.addr) = addr;
        let (tx, stop) = watch::channel(false);
        *lock(&self.stop) = Some(tx);
        Ok(Bound {
            listener,
            tls,
            stop,
        })
    }

    /// The bound address while running.
    pub fn addr(&self) -> Option<SocketAddr> {
        *lock(&self.addr)
    }

    /// Ends the accept loop and forgets the address.
    pub fn end(&self) {
        if let Some(tx) = lock(&self.stop).take() {
            tx.send_replace(true);
        }
        *lock(&self.addr) = None;
    }
}

/// Accepts until `stop` turns true, handing each connection to `admit`. Accept errors
/// (EMFILE and friends) go to `failed`, then it backs off briefly and keeps serving.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    mut stop: tokio::sync::watch::Receiver<bool>,
    mut admit: impl FnMut(TcpStream, std::net::SocketAddr),
    failed: impl Fn(Error),
) {
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            r = listener.accept() => r,
        };
        match accepted {
            Ok((stream, peer)) => admit(stream, peer),
            Err(e) => {
                failed(Error::io(&e, "accept failed"));
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => break,
                    _ = tokio::time::sleep(Duration::from_millis(10)) => {}
                }
            }
        }
    }
}

/// Applies the per-connection socket options.
fn tune(stream: &TcpStream, opts: &ConnOptions) -> std::io::Result<()> {
    stream.set_nodelay(opts.no_delay)?;
    if let Some(idle) = opts.keepalive {
        let ka = TcpKeepalive::new()
            .with_time(idle)
            .with_interval(idle.max(Duration::from_secs(1)));
        SockRef::from(stream).set_tcp_keepalive(&ka)?;
    }
    Ok(())
}

/// A plain TCP write half shared by the writer task and the direct-write path of `send`.
pub(crate) struct SharedWrite(Arc<OwnedWriteHalf>);

impl DirectWrite for OwnedWriteHalf {
    fn try_send(&self, data: &[IoSlice<'_>]) -> io::Result<usize> {
        // The plain non-blocking syscall (tokio's try_write would refuse until its reactor has
        // seen the socket writable); MSG_NOSIGNAL: a reset peer is an error, not a signal.
        SockRef::from(self.as_ref()).send_vectored_with_flags(data, libc::MSG_NOSIGNAL)
    }

    fn shutdown(&self) {
        // Not connected any more (reset meanwhile) is no error here: the close goes on.
        let _ = SockRef::from(self.as_ref()).shutdown(std::net::Shutdown::Write);
    }
}

impl AsyncWrite for SharedWrite {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let stream: &TcpStream = (*self.0).as_ref();
        loop {
            ready!(stream.poll_write_ready(cx))?;
            match stream.try_write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let stream: &TcpStream = (*self.0).as_ref();
        loop {
            ready!(stream.poll_write_ready(cx))?;
            match stream.try_write_vectored(bufs) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        let stream: &TcpStream = (*self.0).as_ref();
        Poll::Ready(SockRef::from(stream).shutdown(std::net::Shutdown::Write))
    }
}

/// Splits a plain TCP stream for `conn::run` and enables the session's direct writes.
pub(crate) fn split_plain(stream: TcpStream, session: &Session) -> (OwnedReadHalf, SharedWrite) {
    let (reader, writer) = stream.into_split();
    let writer = Arc::new(writer);
    session.set_direct(writer.clone());
    (reader, SharedWrite(writer))
}

#[cfg(test)]
mod tests {
    use crate::conn::{self, ConnOptions, HandlerSlot, Session};

    /// An idle connection's memory is mostly its task, whose size is the connection future's:
    /// buffers held across an await (the iovec array, the small read buffer) or a TLS state
    /// in the plain path would show here. 10 000 idle connections must stay within 4 KiB each.
    #[test]
    fn an_idle_connections_task_stays_small() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("address");
            let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let session = Session::new(addr, addr, ConnOptions::default());
            let (reader, writer) = super::split_plain(stream, &session);
            let slot = HandlerSlot::new(0);
            let task = conn::run(session.clone(), reader, writer, &slot, || {});
            let size = std::mem::size_of_val(&task);
            assert!(size <= 1536, "connection future is {size} bytes");
        });
    }
}
