//! One connection's shared state: identity, the send queue and close signalling.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
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

/// A send that finds the connection idle for at least this long is written at once from the
/// sending thread; a send that comes sooner after the last write is part of a stream and is
/// queued for the writer task, which sends everything queued in one vectored write. Shorter
/// than any loopback round trip, so request/response traffic always takes the direct path;
/// longer than a send loop's gap between calls, so a stream coalesces.
const COALESCE_WINDOW: Duration = Duration::from_micros(10);

/// Who writes to the socket now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Writer {
    /// The writer task waits for a wake-up: the next send writes directly or wakes it.
    #[default]
    Parked,
    /// The writer task is awake (or woken): sends only append.
    Busy,
    /// A sending thread is writing its message directly (outside the lock); sends append and
    /// the writer task stays off the socket until that write is done.
    Direct,
}

/// When the writer task parks (the queue ran empty), its buffer and the staging buffer are
/// shrunk to this capacity if a burst grew them beyond it. Not sooner: shrinking between the
/// writes of a stream would grow them again at once (measured: a `mremap` per 15 messages of
/// 64 KiB and the page faults of regrowth, 25 % of the CPU time).
const KEEP_CAPACITY: usize = 1 << 20;

/// What the writer task is writing: `chunks`, then `tail[tail_pos..]`. `tail` is the staging
/// buffer it took from the queue in exchange for its own, empty one, so copied sends reuse two
/// buffers and a stream of them allocates nothing.
#[derive(Default)]
pub(super) struct Outgoing {
    chunks: VecDeque<Bytes>,
    tail: Vec<u8>,
    tail_pos: usize,
}

impl Outgoing {
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.tail_pos >= self.tail.len()
    }

    /// Bytes left to write.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(Bytes::len).sum::<usize>() + self.tail.len() - self.tail_pos
    }

    /// Fills `slices` with the front of what is left; returns how many it filled.
    pub fn slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        let tail = [&self.tail[self.tail_pos..]];
        let parts = self.chunks.iter().map(|c| &c[..]).chain(tail);
        let mut count = 0;
        for (slot, part) in slices.iter_mut().zip(parts.filter(|p| !p.is_empty())) {
            *slot = IoSlice::new(part);
            count += 1;
        }
        count
    }

    /// Consumes `n` written bytes from the front.
    pub fn advance(&mut self, mut n: usize) {
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            if front.len() <= n {
                n -= front.len();
                self.chunks.pop_front();
            } else {
                front.advance(n);
                return;
            }
        }
        self.tail_pos = (self.tail_pos + n).min(self.tail.len());
        if self.is_empty() {
            self.tail.clear();
            self.tail_pos = 0;
        }
    }
}

#[derive(Default)]
pub(super) struct SendQueue {
    /// Copied sends are appended here, so many small messages share one buffer.
    staged: Vec<u8>,
    /// Buffers in send order, ahead of `staged`.
    ready: VecDeque<Bytes>,
    /// Bytes queued and not yet written (including in-flight).
    bytes: usize,
    closed: bool,
    writer: Writer,
    /// When a write to the socket last finished.
    last_write: Option<Instant>,
    /// Writes to the socket from the sending thread while the writer is idle (plain TCP).
    direct: Option<Arc<dyn DirectWrite>>,
}

/// What the writer task found in the queue.
pub(super) enum Taken {
    /// Buffers were moved into the batch.
    Data,
    /// Nothing queued; wait for a wake-up.
    Wait,
    /// Closed and drained: the writer is done.
    Closed,
}

/// A transport that can take a non-blocking write from any thread (plain TCP). With it, a send
/// that finds the connection idle writes at once instead of waking the writer task.
pub(crate) trait DirectWrite: Send + Sync {
    /// Writes what the socket takes now; `WouldBlock` when it takes nothing.
    fn try_send(&self, data: &[IoSlice<'_>]) -> std::io::Result<usize>;
    /// Ends the sending direction now (the peer reads EOF), for a close made inline.
    fn shutdown(&self);
}

/// Where a connection's task is with its callbacks (`Conn::stage`): a stopping thread may
/// finish a connection whose task sits idle between callbacks itself (`Session::close_inline`).
mod stage {
    /// The connected callback has not run yet.
    pub(super) const STARTING: u8 = 0;
    /// Between callbacks.
    pub(super) const IDLE: u8 = 1;
    /// The task runs a callback (or the connection's last steps).
    pub(super) const BUSY: u8 = 2;
    /// Closed inline by a stopping thread: the task calls nothing more.
    pub(super) const TAKEN: u8 = 3;
}

impl SendQueue {
    /// Moves the staging buffer behind `ready` (before a buffer queued as it is).
    fn seal_staged(&mut self) {
        if !self.staged.is_empty() {
            let chunk = Bytes::from(std::mem::take(&mut self.staged));
            self.ready.push_back(chunk);
        }
    }

    /// Moves everything queued into `out`, which the writer task has written completely.
    pub fn take_into(&mut self, out: &mut Outgoing) -> Taken {
        if self.writer == Writer::Direct {
            // A sender is writing; it wakes the writer when it is done and more is queued.
            return Taken::Wait;
        }
        out.chunks.extend(self.ready.drain(..));
        if !self.staged.is_empty() {
            out.tail.clear();
            out.tail_pos = 0;
            std::mem::swap(&mut self.staged, &mut out.tail);
        }
        if !out.is_empty() {
            self.writer = Writer::Busy;
            Taken::Data
        } else if self.closed {
            Taken::Closed
        } else {
            self.writer = Writer::Parked;
            for buf in [&mut self.staged, &mut out.tail] {
                if buf.capacity() > KEEP_CAPACITY {
                    buf.shrink_to(KEEP_CAPACITY);
                }
            }
            Taken::Wait
        }
    }
}

/// One message handed to `enqueue`.
enum Message<'a> {
    /// Copied into the staging buffer if it has to wait.
    Copy(&'a [u8]),
    /// Queued as it is.
    Owned(Bytes),
    /// Copied; never written directly (a batch is a stream by itself).
    Batch(&'a [&'a [u8]]),
}

impl Message<'_> {
    /// Number of messages and payload bytes.
    fn size(&self) -> (usize, usize) {
        match self {
            Message::Copy(d) => (1, d.len()),
            Message::Owned(b) => (1, b.len()),
            Message::Batch(ms) => (ms.len(), ms.iter().map(|m| m.len()).sum()),
        }
    }

    /// The single message's payload (not for a batch).
    fn payload(&self) -> &[u8] {
        match self {
            Message::Copy(d) => d,
            Message::Owned(b) => b,
            Message::Batch(_) => &[],
        }
    }

    /// Appends the message (framed as `header` says) behind everything queued.
    fn append_to(self, q: &mut SendQueue, framed: bool) {
        match self {
            Message::Copy(d) => {
                if framed {
                    framing::encode_into(&mut q.staged, d);
                } else {
                    q.staged.extend_from_slice(d);
                }
            }
            Message::Owned(b) => {
                if framed {
                    q.staged.extend_from_slice(&(b.len() as u32).to_be_bytes());
                }
                q.seal_staged();
                q.ready.push_back(b);
            }
            Message::Batch(ms) => {
                let payload: usize = ms.iter().map(|m| m.len()).sum();
                q.staged
                    .reserve(payload + if framed { HEADER_LEN * ms.len() } else { 0 });
                for m in ms {
                    if framed {
                        framing::encode_into(&mut q.staged, m);
                    } else {
                        q.staged.extend_from_slice(m);
                    }
                }
            }
        }
    }

    /// Puts what a direct write left of the message (`written` bytes of header + payload went
    /// out) at the front of the queue, ahead of what other senders appended meanwhile.
    fn requeue_rest(self, q: &mut SendQueue, header: &[u8], written: usize) {
        let body_done = written.saturating_sub(header.len());
        match self {
            Message::Copy(d) => {
                if body_done < d.len() {
                    q.ready.push_front(Bytes::copy_from_slice(&d[body_done..]));
                }
            }
            Message::Owned(b) => {
                if body_done < b.len() {
                    q.ready.push_front(b.slice(body_done..));
                }
            }
            Message::Batch(_) => {}
        }
        if written < header.len() {
            q.ready
                .push_front(Bytes::copy_from_slice(&header[written..]));
        }
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
    /// See [`stage`].
    stage: AtomicU8,
    /// The connection task's place in its owner's lifecycle (servers): released when the task
    /// ends, or by a stop that closed the connection inline.
    task: Mutex<Option<super::TaskGuard>>,
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
            stage: AtomicU8::new(stage::STARTING),
            task: Mutex::new(None),
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
    ///
    /// A send after a quiet moment is written at once from the calling thread (no hand-off); a
    /// send that follows closely on the previous write is queued and leaves with the others in
    /// one vectored write by the connection's writer task.
    pub fn send(&self, data: &[u8]) -> Result<()> {
        self.0.check(data.len())?;
        if data.len() > LARGE_COPY {
            return self.send_bytes(copy_of(data)?);
        }
        self.0.enqueue(Message::Copy(data))
    }

    /// Queues `data` without copying it; same errors as [`send`](Self::send).
    pub fn send_bytes(&self, data: Bytes) -> Result<()> {
        self.0.check(data.len())?;
        self.0.enqueue(Message::Owned(data))
    }

    /// Queues copies of several messages with one lock and at most one writer wake-up; all or
    /// nothing: on any error none is queued. Errors as [`send`](Self::send) (an empty batch or
    /// an empty message → `InvalidArgument`).
    pub fn send_batch(&self, messages: &[&[u8]]) -> Result<()> {
        if messages.is_empty() {
            return Err(Error::new(ErrorCode::InvalidArgument, "empty batch"));
        }
        for m in messages {
            self.0.check(m.len())?;
        }
        self.0.enqueue(Message::Batch(messages))
    }

    /// Starts a graceful close: no more sends are accepted, queued data is flushed for up to
    /// `linger`, then the connection closes and the disconnected callback runs once.
    pub fn close(&self) {
        self.0.begin_close();
    }

    /// Closes the connection from the calling thread, when its task sits idle between
    /// callbacks after the connected one, nothing waits to be sent and nothing failed: the
    /// sending direction ends at once, and from then on the task calls no callback and skips
    /// its closing steps; the caller does them (its owner's bookkeeping, the disconnected
    /// callback). Returns false, changing nothing, otherwise (TLS, data queued, a callback
    /// running): then [`close`](Self::close) is the way.
    pub(crate) fn close_inline(&self) -> bool {
        let conn = &self.0;
        let direct = {
            let mut q = conn.lock_queue();
            let quiet = q.bytes == 0 && q.writer != Writer::Direct && !q.closed;
            let Some(direct) = q.direct.clone().filter(|_| quiet && !conn.has_failed()) else {
                return false;
            };
            if !conn.claim(stage::IDLE, stage::TAKEN) {
                return false;
            }
            q.closed = true;
            q.direct = None;
            direct
        };
        direct.shutdown();
        conn.closing.send_replace(true);
        conn.wake_writer.notify_one();
        true
    }

    /// Keeps the connection task's lifecycle guard until [`end_task`](Self::end_task).
    pub(crate) fn hold_task(&self, guard: super::TaskGuard) {
        *self.0.task.lock().unwrap_or_else(|e| e.into_inner()) = Some(guard);
    }

    /// The connection's task no longer counts as running (it ended, or only winds down after
    /// a close made inline).
    pub(crate) fn end_task(&self) {
        let guard = self.0.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(guard);
    }

    /// Counters of this connection.
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            connections_total: 1,
            active_connections: u64::from(self.is_connected()),
            queued_bytes: self.queued_bytes(),
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

    /// Bytes queued and not yet written.
    pub(crate) fn queued_bytes(&self) -> u64 {
        self.0.queue_bytes() as u64
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
            return Err(Error::too_large(len, self.opts.max_message_size));
        }
        Ok(())
    }

    /// Queues `msg` under the queue limit, or writes it at once when the connection is idle
    /// (see `COALESCE_WINDOW`); wakes the writer task when it has work.
    fn enqueue(&self, msg: Message<'_>) -> Result<()> {
        let framed = self.framed();
        let (count, payload) = msg.size();
        let wire = payload + if framed { HEADER_LEN * count } else { 0 };
        let mut q = self.lock_queue();
        if q.closed {
            return Err(Error::new(
                ErrorCode::ConnectionClosed,
                "the connection is closed",
            ));
        }
        if q.bytes > 0 && q.bytes + wire > self.opts.send_queue_limit {
            return Err(Error::queue_full(q.bytes, self.opts.send_queue_limit));
        }
        let wake = if q.writer != Writer::Parked {
            msg.append_to(&mut q, framed);
            q.bytes += wire;
            false
        } else if let Some(direct) = self.direct_writer(&q, &msg) {
            // Nothing queued or in flight, the writer task parked and the socket quiet: write
            // now from this thread, outside the lock (other senders append meanwhile).
            q.writer = Writer::Direct;
            drop(q);
            let header = (payload as u32).to_be_bytes();
            let header: &[u8] = if framed { &header } else { &[] };
            let slices = [IoSlice::new(header), IoSlice::new(msg.payload())];
            // Errors are left to the writer task, which writes the rest and reports them.
            let written = direct.try_send(&slices).unwrap_or(0);
            if written > 0 {
                self.counters.writes.fetch_add(1, Ordering::Relaxed);
            }
            q = self.lock_queue();
            q.last_write = Some(Instant::now());
            if written < wire {
                msg.requeue_rest(&mut q, header, written);
                q.bytes += wire - written;
            }
            let more = q.bytes > 0 || q.closed;
            q.writer = if more { Writer::Busy } else { Writer::Parked };
            more
        } else {
            msg.append_to(&mut q, framed);
            q.bytes += wire;
            q.writer = Writer::Busy;
            true
        };
        drop(q);
        self.counters.sent(count, payload);
        if wake {
            self.wake_writer.notify_one();
        }
        Ok(())
    }

    /// The direct writer, when `msg` may be written from the sending thread now: a single
    /// message, nothing queued or in flight, and no write within `COALESCE_WINDOW`.
    fn direct_writer(&self, q: &SendQueue, msg: &Message<'_>) -> Option<Arc<dyn DirectWrite>> {
        let direct = q.direct.as_ref()?;
        let quiet = q.last_write.is_none_or(|t| t.elapsed() >= COALESCE_WINDOW);
        (q.bytes == 0 && quiet && !matches!(msg, Message::Batch(_))).then(|| direct.clone())
    }

    /// The writer task wrote `n` bytes.
    pub(super) fn written(&self, n: usize) {
        self.counters.writes.fetch_add(1, Ordering::Relaxed);
        let mut q = self.lock_queue();
        q.bytes = q.bytes.saturating_sub(n);
        q.last_write = Some(Instant::now());
    }

    fn claim(&self, from: u8, to: u8) -> bool {
        self.stage
            .compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The task is about to call callbacks (`from_start`: the connected one); false once the
    /// connection was closed inline, when it must call none.
    pub(super) fn enter_callbacks(&self, from_start: bool) -> bool {
        self.claim(
            if from_start {
                stage::STARTING
            } else {
                stage::IDLE
            },
            stage::BUSY,
        )
    }

    /// The task's callbacks returned; it waits again.
    pub(super) fn leave_callbacks(&self) {
        self.stage.store(stage::IDLE, Ordering::Release);
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

    /// Whether a failure (a failed write) started the close.
    pub(super) fn has_failed(&self) -> bool {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
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

impl super::Tracked for Session {
    fn id(&self) -> u64 {
        self.id()
    }
    fn counters(&self) -> &Counters {
        self.counters()
    }
    fn queued_bytes(&self) -> u64 {
        self.queued_bytes()
    }
}
