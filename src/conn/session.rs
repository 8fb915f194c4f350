//! One connection's shared state: identity, the send queue and close signalling.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::{Buf, Bytes, BytesMut};
use tokio::sync::{watch, Notify};

use super::framing::{self, HEADER_LEN};
use super::{ConnOptions, Counters, Framing, Stats, TlsInfo};
use crate::error::{Error, ErrorCode, Result};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Sends above this size are copied into a buffer of their own, allocated fallibly, instead of
/// being appended to the shared staging buffer.
const LARGE_COPY: usize = 1 << 20;

/// A copy of `data`; `OutOfMemory` when it cannot be allocated (instead of aborting).
fn copy_of(data: &[u8]) -> Result<Bytes> {
    let mut copy = Vec::new();
    copy.try_reserve_exact(data.len()).map_err(|_| {
        Error::new(
            ErrorCode::OutOfMemory,
            format!("cannot allocate {} bytes to copy the message", data.len()),
        )
    })?;
    copy.extend_from_slice(data);
    Ok(Bytes::from(copy))
}

#[derive(Default)]
pub(super) struct SendQueue {
    /// Copied sends are appended here, so many small messages share one buffer.
    staged: BytesMut,
    /// Buffers in send order, ahead of `staged`.
    ready: VecDeque<Bytes>,
    /// Bytes queued and not yet written (including in-flight).
    pub bytes: usize,
    pub closed: bool,
    /// The writer found the queue empty and waits for a wake-up.
    pub writer_waiting: bool,
    /// Writes to the socket from the sending thread while the writer is idle (plain TCP).
    direct: Option<Arc<dyn DirectWrite>>,
}

/// A transport that can take a non-blocking write from any thread (plain TCP). With it, a send
/// that finds the writer idle writes at once instead of waking the writer task.
pub(crate) trait DirectWrite: Send + Sync {
    /// Writes what the socket takes now; `WouldBlock` when it takes nothing.
    fn try_send(&self, data: &[u8]) -> std::io::Result<usize>;
}

impl SendQueue {
    fn seal_staged(&mut self) {
        if !self.staged.is_empty() {
            let chunk = self.staged.split().freeze();
            self.ready.push_back(chunk);
        }
    }

    /// Moves everything queued into `batch`; returns whether the queue is closed.
    pub fn take_into(&mut self, batch: &mut VecDeque<Bytes>) -> bool {
        self.seal_staged();
        batch.extend(self.ready.drain(..));
        if batch.is_empty() && !self.closed {
            self.writer_waiting = true;
        }
        self.closed
    }
}

pub(crate) struct Conn {
    id: u64,
    peer: SocketAddr,
    local: SocketAddr,
    pub(super) opts: ConnOptions,
    queue: Mutex<SendQueue>,
    pub(super) wake_writer: Notify,
    closing: watch::Sender<bool>,
    failure: Mutex<Option<Error>>,
    pub(crate) counters: Counters,
    user_tag: AtomicUsize,
    tls: OnceLock<TlsInfo>,
}

/// A connection: on a server, one accepted client; on a client, its current connection.
/// Cheap to clone; every clone refers to the same connection.
#[derive(Clone)]
pub struct Session(Arc<Conn>);

impl Session {
    pub(crate) fn new(peer: SocketAddr, local: SocketAddr, opts: ConnOptions) -> Session {
        Session(Arc::new(Conn {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            peer,
            local,
            opts,
            queue: Mutex::new(SendQueue::default()),
            wake_writer: Notify::new(),
            closing: watch::channel(false).0,
            failure: Mutex::new(None),
            counters: Counters::default(),
            user_tag: AtomicUsize::new(0),
            tls: OnceLock::new(),
        }))
    }

    pub(super) fn conn(&self) -> &Conn {
        &self.0
    }

    /// Process-unique id of this connection (never reused).
    pub fn id(&self) -> u64 {
        self.0.id
    }

    /// Remote endpoint.
    pub fn peer_addr(&self) -> SocketAddr {
        self.0.peer
    }

    /// Local endpoint.
    pub fn local_addr(&self) -> SocketAddr {
        self.0.local
    }

    /// True until the connection starts closing.
    pub fn is_connected(&self) -> bool {
        !*self.0.closing.borrow()
    }

    /// Queues a copy of `data` (framed according to the options).
    /// Errors: empty data → `InvalidArgument`; closed → `ConnectionClosed`;
    /// over `max_message_size` (framed) → `MessageTooLarge`; queue full → `SendQueueFull`.
    /// A message too large to copy (the allocation fails) → `OutOfMemory`, nothing queued.
    pub fn send(&self, data: &[u8]) -> Result<()> {
        self.0.check(data.len())?;
        if data.len() > LARGE_COPY {
            return self.send_bytes(copy_of(data)?);
        }
        let framed = self.0.framed();
        self.0.enqueue(1, data.len(), |q| {
            if framed {
                framing::encode_into(&mut q.staged, data);
            } else {
                q.staged.extend_from_slice(data);
            }
        })
    }

    /// Queues `data` without copying it; same errors as [`send`](Self::send).
    pub fn send_bytes(&self, data: Bytes) -> Result<()> {
        self.0.check(data.len())?;
        let framed = self.0.framed();
        let len = data.len();
        self.0.enqueue(1, len, |q| {
            if framed {
                q.staged.extend_from_slice(&(len as u32).to_be_bytes());
            }
            q.seal_staged();
            q.ready.push_back(data);
        })
    }

    /// Queues copies of several messages with one lock and at most one writer wake-up; all or
    /// nothing: on any error none is queued. Errors as [`send`](Self::send) (an empty batch or
    /// an empty message → `InvalidArgument`).
    pub fn send_batch(&self, messages: &[&[u8]]) -> Result<()> {
        if messages.is_empty() {
            return Err(Error::new(ErrorCode::InvalidArgument, "empty batch"));
        }
        let mut payload = 0;
        for m in messages {
            self.0.check(m.len())?;
            payload += m.len();
        }
        let framed = self.0.framed();
        self.0.enqueue(messages.len() as u64, payload, |q| {
            q.staged.reserve(
                payload
                    + if framed {
                        HEADER_LEN * messages.len()
                    } else {
                        0
                    },
            );
            for m in messages {
                if framed {
                    framing::encode_into(&mut q.staged, m);
                } else {
                    q.staged.extend_from_slice(m);
                }
            }
        })
    }

    /// Starts a graceful close: no more sends are accepted, queued data is flushed for up to
    /// `linger`, then the connection closes and the disconnected callback runs once.
    pub fn close(&self) {
        self.0.begin_close();
    }

    /// Counters of this connection.
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            connections_total: 1,
            active_connections: u64::from(self.is_connected()),
            queued_bytes: self.0.queue_bytes() as u64,
            ..Stats::default()
        };
        self.0.counters.add_to(&mut s);
        s
    }

    /// What TLS negotiated (version, ALPN); None on a plain TCP connection.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.0.tls.get()
    }

    pub(crate) fn set_tls_info(&self, info: TlsInfo) {
        let _ = self.0.tls.set(info);
    }

    /// Resolves once the connection starts closing (to abandon a handshake on stop).
    pub(crate) async fn closing_started(&self) {
        let _ = self.0.closing().wait_for(|c| *c).await;
    }

    /// Enables writes from the sending thread while the writer is idle (plain TCP).
    pub(crate) fn set_direct(&self, direct: Arc<dyn DirectWrite>) {
        self.0.lock_queue().direct = Some(direct);
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.0.counters
    }

    /// An opaque value owned by the user (the C ABI stores its per-session pointer here).
    pub fn user_tag(&self) -> usize {
        self.0.user_tag.load(Ordering::Acquire)
    }

    pub fn set_user_tag(&self, tag: usize) {
        self.0.user_tag.store(tag, Ordering::Release);
    }
}

impl Conn {
    pub(super) fn lock_queue(&self) -> MutexGuard<'_, SendQueue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn queue_bytes(&self) -> usize {
        self.lock_queue().bytes
    }

    fn framed(&self) -> bool {
        self.opts.framing == Framing::LengthPrefixed
    }

    /// Checks one message's size.
    fn check(&self, len: usize) -> Result<()> {
        if len == 0 {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "cannot send empty data",
            ));
        }
        if self.framed() && len > self.opts.max_message_size.min(u32::MAX as usize) {
            return Err(Error::new(
                ErrorCode::MessageTooLarge,
                format!(
                    "message of {len} bytes exceeds max_message_size {}",
                    self.opts.max_message_size
                ),
            ));
        }
        Ok(())
    }

    /// Appends `count` messages of `payload` bytes in all with `fill`, under the queue limit,
    /// and wakes the writer if it waits.
    fn enqueue(&self, count: u64, payload: usize, fill: impl FnOnce(&mut SendQueue)) -> Result<()> {
        let wire = payload
            + if self.framed() {
                HEADER_LEN * count as usize
            } else {
                0
            };
        let mut q = self.lock_queue();
        if q.closed {
            return Err(Error::new(
                ErrorCode::ConnectionClosed,
                "the connection is closed",
            ));
        }
        if q.bytes > 0 && q.bytes + wire > self.opts.send_queue_limit {
            return Err(Error::new(
                ErrorCode::SendQueueFull,
                format!(
                    "send queue holds {} bytes; limit is {}",
                    q.bytes, self.opts.send_queue_limit
                ),
            ));
        }
        fill(&mut q);
        let mut written = 0;
        if q.bytes == 0 && q.writer_waiting && q.ready.is_empty() {
            // Nothing queued or in flight and the writer parked: write now, from this thread.
            // Errors are left to the writer, which reports them.
            if let Some(direct) = &q.direct {
                written = direct.try_send(&q.staged).unwrap_or(0);
            }
            q.staged.advance(written);
        }
        q.bytes += wire - written;
        let wake = q.bytes > 0 && std::mem::take(&mut q.writer_waiting);
        drop(q);
        self.counters
            .messages_out
            .fetch_add(count, Ordering::Relaxed);
        self.counters
            .bytes_out
            .fetch_add(payload as u64, Ordering::Relaxed);
        if wake {
            self.wake_writer.notify_one();
        }
        Ok(())
    }

    pub(super) fn written(&self, n: usize) {
        let mut q = self.lock_queue();
        q.bytes = q.bytes.saturating_sub(n);
    }

    pub(super) fn begin_close(&self) {
        {
            let mut q = self.lock_queue();
            q.closed = true;
            q.direct = None;
        }
        self.closing.send_replace(true);
        self.wake_writer.notify_one();
    }

    /// Records the first failure and starts closing.
    pub(super) fn fail(&self, err: Error) {
        {
            let mut f = self.failure.lock().unwrap_or_else(|e| e.into_inner());
            if f.is_none() {
                *f = Some(err);
            }
        }
        self.begin_close();
    }

    pub(super) fn take_failure(&self) -> Option<Error> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    pub(super) fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    pub(super) fn is_closing(&self) -> bool {
        *self.closing.borrow()
    }
}
