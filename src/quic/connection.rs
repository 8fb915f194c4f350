//! One QUIC connection: its streams' send queues, the task that accepts the peer's streams and
//! datagrams and delivers them, graceful close, statistics.
//!
//! Streams: each stream we may write on has an [`Outbox`]: sends queue chunks there (from any
//! thread, without blocking) and one writer task per stream hands them to quinn in batches.
//! Each stream we read has a reader task that delivers its chunks in order. Messages
//! (`send`) travel length-prefixed (4 bytes, big-endian) on each side's first unidirectional
//! stream, opened with the connection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::FutureExt;
use quinn::{ConnectionError, Dir, RecvStream, SendStream, Side, StreamId, VarInt, WriteError};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;

use super::{close_error, QuicOptions};
use crate::conn::{lock, Counters, HandlerSlot, Stats, Tracked};
use crate::error::{Error, ErrorCode, Result};
use crate::runtime;

/// Called with the connection when it is established, and once when it has ended.
pub type QuicConnFn = Arc<dyn Fn(&QuicConnection) + Send + Sync>;
/// Called with a whole message, or a datagram (bytes valid during the call).
pub type QuicDataFn = Arc<dyn Fn(&QuicConnection, &[u8]) + Send + Sync>;
/// Called with the stream id, the next bytes of that stream in order and whether the peer
/// finished the stream (the last call of a stream has `fin` true and may carry no bytes).
pub type QuicStreamFn = Arc<dyn Fn(&QuicConnection, u64, &[u8], bool) + Send + Sync>;
/// Called on errors; the connection is absent for errors that belong to no connection.
pub type QuicErrorFn = Arc<dyn Fn(Option<&QuicConnection>, &Error) + Send + Sync>;

/// The callbacks of a QUIC server or client.
#[derive(Clone, Default)]
pub struct QuicHandlers {
    pub connected: Option<QuicConnFn>,
    pub message: Option<QuicDataFn>,
    pub stream: Option<QuicStreamFn>,
    pub datagram: Option<QuicDataFn>,
    /// Once per connection that reported connected, after its last data callback.
    pub closed: Option<QuicConnFn>,
    pub error: Option<QuicErrorFn>,
}

/// Where a server's or client's connections find their callbacks.
pub(crate) trait Host: Send + Sync + 'static {
    fn handlers(&self) -> &HandlerSlot<QuicHandlers>;
}

pub(crate) fn fire_error(
    slot: &HandlerSlot<QuicHandlers>,
    conn: Option<&QuicConnection>,
    err: &Error,
) {
    crate::ns_log!(crate::log::Level::Debug, "quic error: {err}");
    let callback = slot.load().error.clone();
    if let Some(f) = callback {
        runtime::invoke(slot.owner(), "error", || f(conn, err));
    }
}

/// QUIC-level figures of one connection (quinn's), beside the message counters of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuicStats {
    /// UDP payload bytes and datagrams sent and received, all packets included.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub packets_sent: u64,
    pub packets_received: u64,
    pub packets_lost: u64,
    pub smoothed_rtt: Duration,
    pub min_rtt: Duration,
    /// Congestion window in bytes.
    pub cwnd: u64,
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The peer closed it (else we did, or it failed).
    pub by_peer: bool,
    /// The application error code of the close, when it was an application close.
    pub code: Option<u64>,
    pub reason: String,
    /// What went wrong, when it was not an application close (idle timeout -621, transport
    /// error -644, reset -603 …), or the peer's close with a non-zero code (-682).
    pub error: Option<Error>,
}

/// Application error codes the library sends.
pub mod close_code {
    /// A normal close (also when a server or client stops).
    pub const NORMAL: u64 = 0;
    /// A message over `max_message_size` arrived.
    pub const MESSAGE_TOO_LARGE: u64 = 0x4e53_0001;
}

#[derive(Default)]
struct Out {
    chunks: Vec<Bytes>,
    /// A fin is queued after the chunks.
    fin: bool,
    /// Why the stream takes no more data (peer stopped it, connection lost).
    broken: Option<Error>,
    /// The stream until its first send starts the writer.
    idle: Option<SendStream>,
}

/// The bytes queued on one connection — its message stream and all its streams together,
/// bounded by `send_queue_limit` — and the senders waiting for room (`send_wait`).
struct Budget {
    limit: usize,
    bytes: AtomicUsize,
    waiters: AtomicUsize,
    gate: Mutex<()>,
    /// Told when a waiting sender may find room: the queue fell to half the limit, or a
    /// stream broke or was finished (its waiters then fail).
    room: Condvar,
}

impl Budget {
    fn new(limit: usize) -> Arc<Budget> {
        Arc::new(Budget {
            limit,
            bytes: AtomicUsize::new(0),
            waiters: AtomicUsize::new(0),
            gate: Mutex::new(()),
            room: Condvar::new(),
        })
    }

    /// `len` more bytes fit: a fin alone (0), anything into an empty queue, else up to the limit.
    fn fits(queued: usize, len: usize, limit: usize) -> bool {
        len == 0 || queued == 0 || queued.checked_add(len).is_some_and(|n| n <= limit)
    }

    /// Counts `len` bytes as queued when they fit.
    fn reserve(&self, len: usize) -> bool {
        len == 0
            || self
                .bytes
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |q| {
                    Budget::fits(q, len, self.limit).then_some(q + len)
                })
                .is_ok()
    }

    /// `n` bytes left the queue; wakes waiting senders once it is down to half the limit.
    fn release(&self, n: usize) {
        if n > 0 && self.bytes.fetch_sub(n, Ordering::SeqCst) - n <= self.limit / 2 {
            self.wake();
        }
    }

    fn wake(&self) {
        // A sender counts itself a waiter under `gate` before it last looks at `bytes`, so a
        // release it did not see finds it counted here.
        if self.waiters.load(Ordering::SeqCst) > 0 {
            let _gate = lock(&self.gate);
            self.room.notify_all();
        }
    }

    /// Waits (up to `left`) for a wake-up, unless `len` bytes fit already.
    fn wait(&self, len: usize, left: Duration) {
        let gate = lock(&self.gate);
        self.waiters.fetch_add(1, Ordering::SeqCst);
        if !Budget::fits(self.bytes.load(Ordering::SeqCst), len, self.limit) {
            let _ = self.room.wait_timeout(gate, left);
        }
        self.waiters.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The send side of one stream: a queue and the writer task that drains it. A send that finds
/// the queue empty and the stream free hands its data to quinn from the sending thread (no task
/// wake-up); the writer holds `stream` while it takes and writes a batch, so order is kept.
struct Outbox {
    id: u64,
    state: Mutex<Out>,
    /// The connection's, shared by its outboxes.
    budget: Arc<Budget>,
    wake: Notify,
    stream: tokio::sync::Mutex<Option<SendStream>>,
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, Out> {
        lock(&self.state)
    }

    /// Marks the stream broken, drops what it had queued and wakes waiting senders.
    fn break_with(&self, e: Error) {
        let dropped: usize = {
            let mut st = self.lock();
            st.broken = Some(e);
            st.chunks.drain(..).map(|c| c.len()).sum()
        };
        self.budget.release(dropped);
        self.budget.wake();
    }
}

/// How many of something are running, and a way to wait until none is.
#[derive(Default)]
struct Count {
    n: AtomicUsize,
    zero: Notify,
}

impl Count {
    fn add(&self) {
        self.n.fetch_add(1, Ordering::AcqRel);
    }

    fn done(&self) {
        if self.n.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.zero.notify_waiters();
        }
    }

    async fn idle(&self) {
        loop {
            let wait = self.zero.notified();
            if self.n.load(Ordering::Acquire) == 0 {
                return;
            }
            wait.await;
        }
    }
}

struct Inner {
    id: u64,
    conn: quinn::Connection,
    opts: QuicOptions,
    early_data: AtomicBool,
    /// Our message stream (None when the peer allows no unidirectional stream).
    messages: Option<Arc<Outbox>>,
    budget: Arc<Budget>,
    /// Streams we may write on, by id.
    streams: Mutex<HashMap<u64, Arc<Outbox>>>,
    /// Highest index + 1 of the streams seen, per initiator and direction (to tell a closed
    /// stream from one that never existed).
    seen: [AtomicU64; 4],
    /// Receive halves of streams we opened, for the connection task to read.
    local: mpsc::UnboundedSender<RecvStream>,
    /// Writer tasks still running (shared with them: each ends its count after dropping its
    /// handle of the connection, so none outlives `run`).
    writers: Arc<Count>,
    closing: AtomicBool,
    /// The code and reason of our own close, once we closed.
    ours: Mutex<Option<(u64, String)>>,
    /// Datagrams sent when we closed (u64::MAX: not closed by us), to tell the close went out.
    datagrams_at_close: AtomicU64,
    close: Mutex<Option<CloseInfo>>,
    counters: Counters,
    user_tag: AtomicUsize,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// Connection objects alive in the process.
static LIVE: AtomicU64 = AtomicU64::new(0);

impl Drop for Inner {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Capacity the message reader keeps between messages (a larger message's is given back).
const READ_CHUNK: usize = 256 * 1024;
/// Pieces (about a packet each) a stream reader takes from quinn at once.
const CHUNKS: usize = 64;

/// A QUIC connection: on a server one accepted client, on a client its connection. Cheap to
/// clone; every clone refers to the same connection.
#[derive(Clone)]
pub struct QuicConnection(Arc<Inner>);

fn slot(id: StreamId) -> usize {
    (id.initiator() == Side::Server) as usize * 2 + (id.dir() == Dir::Uni) as usize
}

fn no_stream(id: u64) -> Error {
    Error::new(
        ErrorCode::InvalidArgument,
        format!("stream {id} does not exist on this connection"),
    )
}

fn stream_closed(id: u64, why: &str) -> Error {
    Error::new(ErrorCode::StreamClosed, format!("stream {id} {why}"))
}

impl QuicConnection {
    /// Wraps an established connection; returns it and the receiver of locally opened
    /// streams for [`run`].
    pub(crate) fn new(
        conn: quinn::Connection,
        opts: QuicOptions,
    ) -> (QuicConnection, mpsc::UnboundedReceiver<RecvStream>) {
        let (local, rx) = mpsc::unbounded_channel();
        let budget = Budget::new(opts.send_queue_limit);
        let messages = conn
            .open_uni()
            .now_or_never()
            .and_then(|r| r.ok())
            .map(|send| outbox(send, &budget));
        let inner = Inner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            conn,
            opts,
            early_data: AtomicBool::new(false),
            messages,
            budget,
            streams: Mutex::new(HashMap::new()),
            seen: Default::default(),
            local,
            writers: Arc::default(),
            closing: AtomicBool::new(false),
            ours: Mutex::new(None),
            datagrams_at_close: AtomicU64::new(u64::MAX),
            close: Mutex::new(None),
            counters: Counters::default(),
            user_tag: AtomicUsize::new(0),
        };
        if let Some(m) = &inner.messages {
            inner.note(m.id);
        }
        LIVE.fetch_add(1, Ordering::Relaxed);
        (QuicConnection(Arc::new(inner)), rx)
    }

    /// Connection objects (both sides, every server and client) alive in this process: a
    /// diagnostic for leaks — it falls back once stopped servers' and clients' connections and
    /// the handles the application kept are released.
    pub fn live_count() -> u64 {
        LIVE.load(Ordering::Relaxed)
    }

    /// Process-unique id (never reused).
    pub fn id(&self) -> u64 {
        self.0.id
    }

    /// The peer's current address (it may change when the peer migrates).
    pub fn peer_addr(&self) -> SocketAddr {
        self.0.conn.remote_address()
    }

    /// The ALPN protocol both sides agreed on, if any (known once the handshake is done).
    pub fn alpn(&self) -> Option<Vec<u8>> {
        self.0
            .conn
            .handshake_data()
            .and_then(|d| d.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
            .and_then(|d| d.protocol)
    }

    /// Client: the server accepted our 0-RTT data. Server: always false.
    pub fn is_early_data_accepted(&self) -> bool {
        self.0.early_data.load(Ordering::Acquire)
    }

    pub(crate) fn set_early_data_accepted(&self, accepted: bool) {
        self.0.early_data.store(accepted, Ordering::Release);
    }

    /// True until the connection starts closing (by either side; a close by the peer is seen
    /// once the connection task has learnt of it). One atomic load: every send checks it, and
    /// quinn's own state is behind the lock its driver works under.
    pub fn is_connected(&self) -> bool {
        !self.0.closing.load(Ordering::Acquire)
    }

    /// How the connection ended, once it has.
    pub fn close_info(&self) -> Option<CloseInfo> {
        lock(&self.0.close).clone()
    }

    /// An opaque value for the embedding layer (the C ABI keeps user data here).
    pub fn user_tag(&self) -> usize {
        self.0.user_tag.load(Ordering::Acquire)
    }

    pub fn set_user_tag(&self, tag: usize) {
        self.0.user_tag.store(tag, Ordering::Release);
    }

    fn check_open(&self) -> Result<()> {
        if self.is_connected() {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::ConnectionClosed,
                "the connection is closed or closing",
            ))
        }
    }

    /// Queues one message on our message stream; the peer's message callback gets it whole,
    /// in order with our other messages. Errors: closed → `ConnectionClosed`; over
    /// `max_message_size` → `MessageTooLarge`; queue full → `SendQueueFull`; the peer allows
    /// no unidirectional stream → `StreamLimitReached`.
    pub fn send(&self, data: &[u8]) -> Result<()> {
        let out = self.message_stream(data.len())?;
        // The copy takes the header too: one buffer per message.
        let mut framed = BytesMut::with_capacity(4 + data.len());
        framed.put_u32(data.len() as u32);
        framed.extend_from_slice(data);
        self.push(out, &mut [framed.freeze()], false)?;
        self.count_message(data.len());
        Ok(())
    }

    /// [`send`](Self::send) without copying `data`.
    pub fn send_bytes(&self, data: Bytes) -> Result<()> {
        let out = self.message_stream(data.len())?;
        let header = Bytes::copy_from_slice(&(data.len() as u32).to_be_bytes());
        let len = data.len();
        self.push(out, &mut [header, data], false)?;
        self.count_message(len);
        Ok(())
    }

    /// Our message stream, when a message of `len` bytes may be sent now.
    fn message_stream(&self, len: usize) -> Result<&Arc<Outbox>> {
        self.check_open()?;
        let max = self.0.opts.max_message_size.min(u32::MAX as usize);
        if len > max {
            return Err(Error::too_large(len, max));
        }
        self.0.messages.as_ref().ok_or_else(|| {
            Error::new(
                ErrorCode::StreamLimitReached,
                "the peer allows no unidirectional stream: messages cannot be sent",
            )
        })
    }

    fn count_message(&self, len: usize) {
        self.0.counters.messages_out.fetch_add(1, Ordering::Relaxed);
        self.0
            .counters
            .bytes_out
            .fetch_add(len as u64, Ordering::Relaxed);
    }

    /// Opens a bidirectional stream and returns its id; the peer sees it with the first data.
    /// Never blocks: the peer's stream limit reached → `StreamLimitReached`.
    pub fn create_stream(&self) -> Result<u64> {
        self.open(true)
    }

    /// Opens a unidirectional (send-only) stream; see [`create_stream`](Self::create_stream).
    pub fn create_unidirectional_stream(&self) -> Result<u64> {
        self.open(false)
    }

    fn open(&self, bidi: bool) -> Result<u64> {
        self.check_open()?;
        let limit = || {
            let kind = if bidi {
                "bidirectional"
            } else {
                "unidirectional"
            };
            Error::new(
                ErrorCode::StreamLimitReached,
                format!("the peer allows no more {kind} streams now"),
            )
        };
        let lost = |e: ConnectionError| close_error(&e, "stream open failed");
        let (send, recv) = if bidi {
            let (s, r) = self
                .0
                .conn
                .open_bi()
                .now_or_never()
                .ok_or_else(limit)?
                .map_err(lost)?;
            (s, Some(r))
        } else {
            let s = self
                .0
                .conn
                .open_uni()
                .now_or_never()
                .ok_or_else(limit)?
                .map_err(lost)?;
            (s, None)
        };
        let id = u64::from(send.id());
        self.0.note(id);
        lock(&self.0.streams).insert(id, outbox(send, &self.0.budget));
        if let Some(r) = recv {
            // The connection task reads it; it is gone only when the connection ended.
            let _ = self.0.local.send(r);
        }
        Ok(id)
    }

    /// Queues `data` on stream `id` (one we opened, or a bidirectional one the peer opened),
    /// then a fin when `fin` is set. Errors: no such stream or a receive-only one → -1;
    /// finished, reset or stopped → `StreamClosed`; connection closed → `ConnectionClosed`;
    /// queue full → `SendQueueFull`.
    pub fn send_on_stream(&self, id: u64, data: &[u8], fin: bool) -> Result<()> {
        self.send_on_stream_bytes(id, Bytes::copy_from_slice(data), fin)
    }

    /// [`send_on_stream`](Self::send_on_stream) without copying `data`.
    pub fn send_on_stream_bytes(&self, id: u64, data: Bytes, fin: bool) -> Result<()> {
        self.check_open()?;
        let out = self.stream(id)?;
        let len = data.len();
        self.push(&out, &mut [data], fin)?;
        self.0
            .counters
            .bytes_out
            .fetch_add(len as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Finishes our side of stream `id` after what is queued (a fin, like
    /// `send_on_stream(id, [], true)`); the peer's side stays readable until it finishes.
    /// Errors as [`send_on_stream`](Self::send_on_stream).
    pub fn close_stream(&self, id: u64) -> Result<()> {
        self.check_open()?;
        let out = self.stream(id)?;
        self.push(&out, &mut [], true)
    }

    fn stream(&self, id: u64) -> Result<Arc<Outbox>> {
        if let Some(out) = lock(&self.0.streams).get(&id) {
            return Ok(out.clone());
        }
        let Ok(varint) = VarInt::from_u64(id) else {
            return Err(no_stream(id));
        };
        let sid = StreamId::from(varint);
        let ours = sid.initiator() == self.side();
        if sid.dir() == Dir::Uni && !ours {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                format!("stream {id} is the peer's unidirectional stream: it only receives"),
            ));
        }
        if self.0.messages.as_ref().is_some_and(|m| m.id == id) {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                format!("stream {id} carries the messages of send(); use send()"),
            ));
        }
        if sid.index() < self.0.seen[slot(sid)].load(Ordering::Acquire) {
            Err(stream_closed(id, "is finished or reset"))
        } else {
            Err(no_stream(id))
        }
    }

    fn side(&self) -> Side {
        self.0.conn.side()
    }

    /// Queues `chunks` (and a fin) on `out`, starting its writer on the first use; when the
    /// queue is empty and the stream free, quinn takes what it can from this thread first.
    fn push(&self, out: &Arc<Outbox>, chunks: &mut [Bytes], fin: bool) -> Result<()> {
        let len: usize = chunks.iter().map(Bytes::len).sum();
        if len == 0 && !fin {
            return Ok(());
        }
        let mut st = self.room(out, len)?;
        let mut rest = chunks;
        if st.chunks.is_empty() && !fin && st.idle.is_none() {
            if let Ok(mut stream) = out.stream.try_lock() {
                if let Some(send) = stream.as_mut() {
                    match send.write_chunks(rest).now_or_never() {
                        Some(Ok(w)) if w.chunks == rest.len() => {
                            drop(st);
                            out.budget.release(len);
                            return Ok(());
                        }
                        // Partly taken (quinn advanced the first chunk left), the rest queued.
                        Some(Ok(w)) => rest = &mut rest[w.chunks..],
                        // Flow control blocks: all of it is queued.
                        None => {}
                        Some(Err(e)) => {
                            let e = write_error(out.id, e);
                            st.broken = Some(e.clone());
                            drop(st);
                            out.budget.release(len);
                            out.budget.wake();
                            return Err(e);
                        }
                    }
                }
            }
        }
        let queued: usize = rest.iter().map(Bytes::len).sum();
        st.chunks.extend(
            rest.iter_mut()
                .filter(|c| !c.is_empty())
                .map(std::mem::take),
        );
        st.fin = fin;
        if fin {
            out.budget.wake();
        }
        out.budget.release(len - queued);
        if let Some(send) = st.idle.take() {
            drop(st);
            self.start_writer(out.clone(), send);
        } else {
            drop(st);
        }
        out.wake.notify_one();
        Ok(())
    }

    /// The queue's lock with `len` bytes counted in the connection's budget once they fit (a
    /// fin alone always fits), waiting up to `send_wait` when this thread may block; refuses a
    /// broken or finished stream. The caller releases what it does not queue.
    fn room<'a>(&self, out: &'a Outbox, len: usize) -> Result<MutexGuard<'a, Out>> {
        let budget = &out.budget;
        let mut deadline = None;
        loop {
            let st = out.lock();
            if let Some(e) = &st.broken {
                return Err(e.clone());
            }
            if st.fin {
                return Err(stream_closed(out.id, "was already finished (fin sent)"));
            }
            if budget.reserve(len) {
                return Ok(st);
            }
            drop(st);
            let full = || Error::queue_full(budget.bytes.load(Ordering::Relaxed), budget.limit);
            let wait = self.0.opts.send_wait;
            if wait.is_zero() || !runtime::may_block() {
                return Err(full());
            }
            // A close while waiting finishes the stream (fin), which wakes this sender.
            let end = *deadline.get_or_insert_with(|| Instant::now() + wait);
            let Some(left) = end
                .checked_duration_since(Instant::now())
                .filter(|d| !d.is_zero())
            else {
                return Err(full());
            };
            budget.wait(len, left);
            // The senders checked the connection before calling; it may have closed meanwhile.
            self.check_open()?;
        }
    }

    fn start_writer(&self, out: Arc<Outbox>, send: SendStream) {
        let Ok(handle) = runtime::handle() else {
            out.break_with(Error::new(ErrorCode::NotInitialized, "the runtime is gone"));
            return;
        };
        self.0.writers.add();
        let writers = self.0.writers.clone();
        let conn = self.clone();
        handle.spawn(async move {
            *out.stream.lock().await = Some(send);
            let result = write_loop(&out).await;
            if let Err(e) = result {
                out.break_with(e);
            }
            if out.id != conn.0.messages.as_ref().map_or(u64::MAX, |m| m.id) {
                lock(&conn.0.streams).remove(&out.id);
            }
            drop(conn);
            writers.done();
        });
    }

    /// Sends an unreliable datagram (RFC 9221). Errors: over the size the path and the peer
    /// allow → `MessageTooLarge` (with that size); the peer does not take datagrams →
    /// `ProtocolError`; closed → `ConnectionClosed`.
    pub fn send_datagram(&self, data: &[u8]) -> Result<()> {
        self.check_open()?;
        use quinn::SendDatagramError as E;
        let len = data.len();
        match self.0.conn.send_datagram(Bytes::copy_from_slice(data)) {
            Ok(()) => {
                self.0
                    .counters
                    .bytes_out
                    .fetch_add(len as u64, Ordering::Relaxed);
                Ok(())
            }
            Err(E::TooLarge) => Err(Error::new(
                ErrorCode::MessageTooLarge,
                format!(
                    "datagram of {len} bytes exceeds the {} bytes this connection allows",
                    self.max_datagram_size().unwrap_or(0)
                ),
            )),
            Err(E::UnsupportedByPeer) | Err(E::Disabled) => Err(Error::new(
                ErrorCode::ProtocolError,
                "the peer does not accept datagrams",
            )),
            Err(E::ConnectionLost(e)) => Err(close_error(&e, "datagram not sent")),
        }
    }

    /// Largest datagram [`send_datagram`](Self::send_datagram) takes now (None: the peer
    /// does not accept datagrams).
    pub fn max_datagram_size(&self) -> Option<usize> {
        self.0.conn.max_datagram_size()
    }

    /// Closes gracefully: no more sends; queued data is flushed and acknowledged (up to the
    /// `linger` option), then the peer gets a CONNECTION_CLOSE with the application `code` and
    /// `reason`. Returns at once; the closed callback follows. Already closing → Ok.
    pub fn close(&self, code: u64, reason: &str) -> Result<()> {
        let code = VarInt::from_u64(code).map_err(|_| {
            Error::new(
                ErrorCode::InvalidArgument,
                format!("close code {code} is over the QUIC maximum 2^62-1"),
            )
        })?;
        if self.0.closing.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        *lock(&self.0.ours) = Some((code.into_inner(), reason.to_string()));
        let outboxes: Vec<Arc<Outbox>> = {
            let streams = lock(&self.0.streams);
            streams
                .values()
                .cloned()
                .chain(self.0.messages.clone())
                .collect()
        };
        for out in outboxes {
            // A fin after what is queued; a broken or finished stream refuses it, as it should.
            let _ = self.push(&out, &mut [], true);
        }
        let conn = self.clone();
        let reason = reason.as_bytes().to_vec();
        let linger = self.0.opts.linger;
        match runtime::handle() {
            Ok(handle) => {
                handle.spawn(async move {
                    let _ = tokio::time::timeout(linger, conn.0.writers.idle()).await;
                    conn.close_now(code, &reason);
                });
            }
            Err(_) => self.close_now(code, &reason),
        }
        Ok(())
    }

    fn close_now(&self, code: VarInt, reason: &[u8]) {
        let sent = self.0.conn.stats().udp_tx.datagrams;
        self.0.datagrams_at_close.store(sent, Ordering::Release);
        self.0.conn.close(code, reason);
    }

    /// Counters of this connection (messages, bytes of messages, stream data and datagrams).
    pub fn stats(&self) -> Stats {
        let mut s = Stats::default();
        self.0.counters.add_to(&mut s);
        s.queued_bytes = self.queued_bytes();
        s
    }

    /// True once a packet went out after our close (it carries the CONNECTION_CLOSE), or when
    /// we did not close.
    pub(crate) fn close_sent(&self) -> bool {
        let before = self.0.datagrams_at_close.load(Ordering::Acquire);
        before == u64::MAX || self.0.conn.stats().udp_tx.datagrams > before
    }

    /// Transport figures from quinn.
    pub fn quic_stats(&self) -> QuicStats {
        let s = self.0.conn.stats();
        QuicStats {
            bytes_sent: s.udp_tx.bytes,
            bytes_received: s.udp_rx.bytes,
            packets_sent: s.udp_tx.datagrams,
            packets_received: s.udp_rx.datagrams,
            packets_lost: s.path.lost_packets,
            smoothed_rtt: s.path.rtt,
            min_rtt: self.0.conn.min_rtt(),
            cwnd: s.path.cwnd,
        }
    }

    fn queued_bytes(&self) -> u64 {
        self.0.budget.bytes.load(Ordering::Relaxed) as u64
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.0.counters
    }
}

impl Inner {
    /// Records that stream `id` exists (for telling closed streams from unknown ones).
    fn note(&self, id: u64) {
        if let Ok(v) = VarInt::from_u64(id) {
            let sid = StreamId::from(v);
            self.seen[slot(sid)].fetch_max(sid.index() + 1, Ordering::AcqRel);
        }
    }
}

impl Tracked for QuicConnection {
    fn id(&self) -> u64 {
        self.0.id
    }

    fn counters(&self) -> &Counters {
        &self.0.counters
    }

    fn queued_bytes(&self) -> u64 {
        QuicConnection::queued_bytes(self)
    }
}

fn outbox(send: SendStream, budget: &Arc<Budget>) -> Arc<Outbox> {
    Arc::new(Outbox {
        id: u64::from(send.id()),
        state: Mutex::new(Out {
            idle: Some(send),
            ..Out::default()
        }),
        budget: budget.clone(),
        wake: Notify::new(),
        stream: tokio::sync::Mutex::new(None),
    })
}

fn write_error(id: u64, e: WriteError) -> Error {
    match e {
        WriteError::Stopped(code) => {
            stream_closed(id, &format!("was stopped by the peer (code {code})"))
        }
        WriteError::ConnectionLost(e) => close_error(&e, "send failed"),
        WriteError::ClosedStream => stream_closed(id, "is closed"),
        WriteError::ZeroRttRejected => {
            stream_closed(id, "was opened in 0-RTT, which the server rejected")
        }
    }
}

/// Drains `out` into its stream until a fin is written (then waits until the peer has
/// everything) or the stream breaks.
async fn write_loop(out: &Outbox) -> Result<()> {
    let mut batch = Vec::new();
    loop {
        let idle = {
            let st = out.lock();
            if let Some(e) = &st.broken {
                return Err(e.clone());
            }
            st.chunks.is_empty() && !st.fin
        };
        if idle {
            out.wake.notified().await;
            continue;
        }
        // The stream first, then the queue: a direct send cannot slip in between.
        let mut stream = out.stream.lock().await;
        let Some(send) = stream.as_mut() else {
            return Err(stream_closed(out.id, "is closed"));
        };
        let fin = {
            let mut st = out.lock();
            std::mem::swap(&mut batch, &mut st.chunks);
            st.fin
        };
        // The queue's count falls as quinn takes each part (flow control lets it take about a
        // window at a time), so a sender refused with SendQueueFull finds room again as soon as
        // there is some, not only once the whole batch is gone.
        let mut rest = &mut batch[..];
        while !rest.is_empty() {
            match send.write_chunks(rest).await {
                Ok(w) => {
                    out.budget.release(w.bytes);
                    rest = &mut rest[w.chunks..];
                }
                Err(e) => {
                    let left: usize = rest.iter().map(Bytes::len).sum();
                    out.budget.release(left);
                    batch.clear();
                    return Err(write_error(out.id, e));
                }
            }
        }
        batch.clear();
        if fin {
            let _ = send.finish();
            // Resolves once the peer has received everything, or stopped the stream.
            return match send.stopped().await {
                Ok(None) => Ok(()),
                Ok(Some(code)) => Err(stream_closed(
                    out.id,
                    &format!("was stopped by the peer (code {code})"),
                )),
                Err(_) => Ok(()),
            };
        }
    }
}

/// Serves an established connection until it ends: accepts the peer's streams (and reads the
/// ones we open), delivers messages, stream data and datagrams, then records how it ended and
/// calls the closed callback after every data callback. `closed` (table removal) runs just
/// before that callback.
pub(crate) async fn run<H: Host>(
    conn: QuicConnection,
    host: Arc<H>,
    mut local: mpsc::UnboundedReceiver<RecvStream>,
    closed: impl FnOnce(),
) {
    let handlers = host.handlers();
    let connected = handlers.load().connected.clone();
    if let Some(f) = connected {
        runtime::invoke(handlers.owner(), "connected", || f(&conn));
    }
    let q = conn.0.conn.clone();
    let mut readers = JoinSet::new();
    let ended = loop {
        tokio::select! {
            r = q.accept_bi() => match r {
                Ok((send, recv)) => {
                    let id = u64::from(send.id());
                    conn.0.note(id);
                    lock(&conn.0.streams).insert(id, outbox(send, &conn.0.budget));
                    readers.spawn(read_stream(conn.clone(), host.clone(), recv));
                }
                Err(e) => break e,
            },
            r = q.accept_uni() => match r {
                Ok(recv) => {
                    conn.0.note(u64::from(recv.id()));
                    if recv.id().index() == 0 {
                        readers.spawn(read_messages(conn.clone(), host.clone(), recv));
                    } else {
                        readers.spawn(read_stream(conn.clone(), host.clone(), recv));
                    }
                }
                Err(e) => break e,
            },
            r = q.read_datagram() => match r {
                Ok(d) => deliver_datagram(&conn, host.handlers(), &d),
                Err(e) => break e,
            },
            Some(recv) = local.recv() => {
                readers.spawn(read_stream(conn.clone(), host.clone(), recv));
            }
            Some(_) = readers.join_next(), if !readers.is_empty() => {}
        }
    };
    while readers.join_next().await.is_some() {}
    let info = super::close_info(&ended, lock(&conn.0.ours).take());
    conn.0.closing.store(true, Ordering::Release);
    if let Some(err) = &info.error {
        conn.0.counters.errors.fetch_add(1, Ordering::Relaxed);
        fire_error(handlers, Some(&conn), err);
    }
    let gone = info
        .error
        .clone()
        .unwrap_or_else(|| Error::new(ErrorCode::ConnectionClosed, "the connection is closed"));
    *lock(&conn.0.close) = Some(info);
    // Streams keep no state once the connection is gone, and their writers end: one waiting for
    // more data would otherwise wait forever, holding the connection (a leak of every
    // connection the peer closed after we had sent on it).
    let outboxes: Vec<Arc<Outbox>> = lock(&conn.0.streams)
        .drain()
        .map(|(_, o)| o)
        .chain(conn.0.messages.clone())
        .collect();
    for out in outboxes {
        out.break_with(gone.clone());
        out.wake.notify_one();
    }
    // quinn fails their pending writes at once (the connection is gone); bounded all the same.
    let _ = tokio::time::timeout(conn.0.opts.linger, conn.0.writers.idle()).await;
    // Out of the server's table (or the client's slot) before the callback, which may count.
    closed();
    let callback = handlers.load().closed.clone();
    if let Some(f) = callback {
        runtime::invoke(handlers.owner(), "closed", || f(&conn));
    }
}

fn deliver_datagram(conn: &QuicConnection, handlers: &HandlerSlot<QuicHandlers>, data: &[u8]) {
    conn.0
        .counters
        .bytes_in
        .fetch_add(data.len() as u64, Ordering::Relaxed);
    let callback = handlers.load().datagram.clone();
    if let Some(f) = callback {
        runtime::invoke(handlers.owner(), "datagram", || f(conn, data));
    }
}

/// Reads one stream in order, delivering each chunk, then the fin.
async fn read_stream<H: Host>(conn: QuicConnection, host: Arc<H>, mut recv: RecvStream) {
    let id = u64::from(recv.id());
    let handlers = host.handlers();
    let deliver = |data: &[u8], fin: bool| {
        conn.0
            .counters
            .bytes_in
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        let callback = handlers.load().stream.clone();
        if let Some(f) = callback {
            runtime::invoke(handlers.owner(), "stream", || f(&conn, id, data, fin));
        }
    };
    // quinn holds a stream's data as one piece per STREAM frame (about a packet): the pieces
    // there are taken at once (no copy under quinn's lock) and handed over joined, so a
    // callback gets up to CHUNKS packets' worth instead of one packet.
    let mut chunks = vec![Bytes::new(); CHUNKS];
    let mut joined = Vec::new();
    loop {
        match recv.read_chunks(&mut chunks).await {
            Ok(Some(1)) => deliver(&chunks[0], false),
            Ok(Some(n)) => {
                joined.clear();
                chunks[..n].iter().for_each(|c| joined.extend_from_slice(c));
                deliver(&joined, false);
            }
            Ok(None) => {
                deliver(&[], true);
                return;
            }
            Err(quinn::ReadError::Reset(code)) => {
                let err = stream_closed(id, &format!("was reset by the peer (code {code})"));
                fire_error(handlers, Some(&conn), &err);
                return;
            }
            Err(_) => return,
        }
    }
}

/// Reads the peer's message stream: 4-byte big-endian length, then the message.
async fn read_messages<H: Host>(conn: QuicConnection, host: Arc<H>, mut recv: RecvStream) {
    let handlers = host.handlers();
    let max = conn.0.opts.max_message_size;
    // Delivers the whole messages at the start of `data`; returns the bytes used, or the
    // length of a message over the limit.
    let deliver = |mut data: &[u8]| -> std::result::Result<usize, usize> {
        let total = data.len();
        while data.len() >= 4 {
            let len = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
            if len > max {
                return Err(len);
            }
            if data.len() < 4 + len {
                break;
            }
            let message = &data[4..4 + len];
            conn.0.counters.messages_in.fetch_add(1, Ordering::Relaxed);
            conn.0
                .counters
                .bytes_in
                .fetch_add(len as u64, Ordering::Relaxed);
            let callback = handlers.load().message.clone();
            if let Some(f) = callback {
                runtime::invoke(handlers.owner(), "message", || f(&conn, message));
            }
            data = &data[4 + len..];
        }
        Ok(total - data.len())
    };
    // quinn holds the stream as one piece per STREAM frame (about a packet). Whole messages
    // inside a piece are delivered from it in place; a message spread over pieces is gathered
    // in `partial` (grown as needed, never zero-filled: a connection that only exchanges small
    // messages allocates nothing here).
    let mut partial: Vec<u8> = Vec::new();
    let mut chunks = vec![Bytes::new(); CHUNKS];
    loop {
        let n = match recv.read_chunks(&mut chunks).await {
            Ok(Some(n)) => n,
            _ => return,
        };
        let mut result = Ok(());
        for c in &chunks[..n] {
            let used = if partial.is_empty() {
                deliver(c).map(|used| partial.extend_from_slice(&c[used..]))
            } else {
                partial.extend_from_slice(c);
                deliver(&partial).map(|used| {
                    partial.drain(..used);
                })
            };
            if let Err(len) = used {
                result = Err(len);
                break;
            }
            if partial.len() >= 4 {
                let need = 4 + u32::from_be_bytes([partial[0], partial[1], partial[2], partial[3]])
                    as usize;
                partial.reserve(need.saturating_sub(partial.len()).min(max));
            } else if partial.is_empty() && partial.capacity() > READ_CHUNK {
                partial = Vec::new();
            }
        }
        if let Err(len) = result {
            let err = Error::too_large(len, max);
            conn.0.counters.errors.fetch_add(1, Ordering::Relaxed);
            fire_error(handlers, Some(&conn), &err);
            let _ = recv.stop(VarInt::from_u32(0));
            let reason = "message too large";
            conn.0.closing.store(true, Ordering::Release);
            *lock(&conn.0.ours) = Some((close_code::MESSAGE_TOO_LARGE, reason.to_string()));
            conn.0.conn.close(
                VarInt::from_u32(close_code::MESSAGE_TOO_LARGE as u32),
                reason.as_bytes(),
            );
            return;
        }
    }
}
