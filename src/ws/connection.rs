//! One WebSocket connection: its send queue, and the task that reads messages, writes the
//! queue in batches, keeps the connection alive with pings and runs the close handshake.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{watch, Notify};
use tokio::time::{sleep_until, timeout_at, Instant};
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::WsOptions;
use crate::conn::{Counters, HandlerSlot, Stats};
use crate::error::{Error, ErrorCode, Result};
use crate::runtime;

/// Close codes used here (RFC 6455 §7.4.1).
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// Reported locally when the peer closed without a status code; never sent.
    pub const NO_STATUS: u16 = 1005;
    /// Reported locally when the connection ended without a close handshake; never sent.
    pub const ABNORMAL: u16 = 1006;
    pub const INVALID_DATA: u16 = 1007;
    pub const MESSAGE_TOO_BIG: u16 = 1009;
}

/// Called with the connection on connect.
pub type WsConnFn = Arc<dyn Fn(&WsConnection) + Send + Sync>;
/// Called with a whole message: its bytes (valid during the call) and whether it is text.
pub type WsMessageFn = Arc<dyn Fn(&WsConnection, &[u8], bool) + Send + Sync>;
/// Called once when the connection has ended, with the close code and reason.
pub type WsCloseFn = Arc<dyn Fn(&WsConnection, u16, &str) + Send + Sync>;
/// Called on errors; the connection is absent for errors that belong to no connection.
pub type WsErrorFn = Arc<dyn Fn(Option<&WsConnection>, &Error) + Send + Sync>;

/// The callbacks of a WebSocket server or client.
#[derive(Clone, Default)]
pub struct WsHandlers {
    pub connected: Option<WsConnFn>,
    pub message: Option<WsMessageFn>,
    pub closed: Option<WsCloseFn>,
    pub error: Option<WsErrorFn>,
}

pub(crate) fn fire_error(slot: &HandlerSlot<WsHandlers>, conn: Option<&WsConnection>, err: &Error) {
    crate::ns_log!(crate::log::Level::Debug, "websocket error: {err}");
    let callback = slot.load().error.clone();
    if let Some(f) = callback {
        runtime::invoke(slot.owner(), "error", || f(conn, err));
    }
}

/// Where the close handshake stands; the reader and the writer watch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Open,
    /// A close was requested: the writer sends what is queued, then the close frame; the
    /// connection is dropped at the deadline whatever happens.
    Closing(Instant),
    /// Our close frame is out; the peer's reply is awaited until the deadline.
    CloseSent(Instant),
    /// Stop now (the other half ended).
    Abort,
}

#[derive(Default)]
struct Queue {
    messages: VecDeque<Message>,
    bytes: usize,
    /// No more sends accepted.
    closed: bool,
    /// The close frame to send once everything queued before it is out.
    close: Option<(u16, String)>,
    close_sent: bool,
}

struct Inner {
    id: u64,
    peer: SocketAddr,
    local: SocketAddr,
    path: String,
    subprotocol: Option<String>,
    opts: WsOptions,
    queue: Mutex<Queue>,
    wake: Notify,
    phase: watch::Sender<Phase>,
    /// Milliseconds since `born` when the peer was last heard from (any frame).
    heard: AtomicU64,
    born: Instant,
    counters: Counters,
    user_tag: AtomicUsize,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A WebSocket connection: on a server one accepted client, on a client its connection.
/// Cheap to clone; every clone refers to the same connection.
#[derive(Clone)]
pub struct WsConnection(Arc<Inner>);

impl WsConnection {
    pub(crate) fn new(
        peer: SocketAddr,
        local: SocketAddr,
        path: String,
        subprotocol: Option<String>,
        opts: WsOptions,
    ) -> WsConnection {
        WsConnection(Arc::new(Inner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            peer,
            local,
            path,
            subprotocol,
            opts,
            queue: Mutex::new(Queue::default()),
            wake: Notify::new(),
            phase: watch::channel(Phase::Open).0,
            heard: AtomicU64::new(0),
            born: Instant::now(),
            counters: Counters::default(),
            user_tag: AtomicUsize::new(0),
        }))
    }

    /// Process-unique id (never reused).
    pub fn id(&self) -> u64 {
        self.0.id
    }

    pub fn peer_addr(&self) -> SocketAddr {
        self.0.peer
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.0.local
    }

    /// The request path of the opening handshake.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// The negotiated subprotocol, if any.
    pub fn subprotocol(&self) -> Option<&str> {
        self.0.subprotocol.as_deref()
    }

    /// True until the connection starts closing.
    pub fn is_connected(&self) -> bool {
        !self.lock().closed
    }

    /// Queues a text message. Errors: closed → `ConnectionClosed`; over `max_message_size` →
    /// `MessageTooLarge`; queue full → `SendQueueFull`.
    pub fn send_text(&self, text: &str) -> Result<()> {
        self.enqueue(Message::text(text), text.len(), true)
    }

    /// Queues a binary message (empty allowed); errors as [`send_text`](Self::send_text).
    pub fn send_binary(&self, data: &[u8]) -> Result<()> {
        self.enqueue(
            Message::binary(Bytes::copy_from_slice(data)),
            data.len(),
            true,
        )
    }

    /// Queues a ping with up to 125 bytes of payload (more → `InvalidArgument`).
    pub fn send_ping(&self, payload: &[u8]) -> Result<()> {
        if payload.len() > 125 {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "a ping payload holds at most 125 bytes",
            ));
        }
        self.enqueue(Message::Ping(Bytes::copy_from_slice(payload)), 0, false)
    }

    /// Starts the close handshake with `code` and `reason` after what is queued; the closed
    /// callback follows once the peer replied (or after `close_timeout`). Codes: 1000–1003,
    /// 1007–1014 or 3000–4999; the reason holds at most 123 bytes (else `InvalidArgument`).
    /// Already closing → Ok.
    pub fn close(&self, code: u16, reason: &str) -> Result<()> {
        let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
        if !valid || reason.len() > 123 {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                format!(
                    "close code {code} or a reason of {} bytes cannot be sent",
                    reason.len()
                ),
            ));
        }
        self.request_close(code, reason);
        Ok(())
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

    /// An opaque value owned by the user (the C ABI keeps its per-connection pointer here).
    pub fn user_tag(&self) -> usize {
        self.0.user_tag.load(Ordering::Acquire)
    }

    pub fn set_user_tag(&self, tag: usize) {
        self.0.user_tag.store(tag, Ordering::Release);
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.0.counters
    }

    /// Bytes queued and not yet written.
    pub(crate) fn queued_bytes(&self) -> u64 {
        self.lock().bytes as u64
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.0.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn enqueue(&self, message: Message, len: usize, counted: bool) -> Result<()> {
        if len > self.0.opts.max_message_size {
            return Err(Error::too_large(len, self.0.opts.max_message_size));
        }
        {
            let mut q = self.lock();
            if q.closed {
                return Err(Error::new(
                    ErrorCode::ConnectionClosed,
                    "the connection is closed",
                ));
            }
            if q.bytes > 0 && q.bytes + len > self.0.opts.send_queue_limit {
                return Err(Error::queue_full(q.bytes, self.0.opts.send_queue_limit));
            }
            q.messages.push_back(message);
            q.bytes += len;
        }
        if counted {
            self.0.counters.messages_out.fetch_add(1, Ordering::Relaxed);
            self.0
                .counters
                .bytes_out
                .fetch_add(len as u64, Ordering::Relaxed);
        }
        self.0.wake.notify_one();
        Ok(())
    }

    /// Refuses further sends and has the writer send a close frame after the queue (once).
    pub(crate) fn request_close(&self, code: u16, reason: &str) {
        {
            let mut q = self.lock();
            if q.closed {
                return;
            }
            q.closed = true;
            q.close = Some((code, reason.to_string()));
        }
        let deadline = Instant::now() + self.0.opts.close_timeout;
        self.0.phase.send_if_modified(|p| {
            let open = *p == Phase::Open;
            if open {
                *p = Phase::Closing(deadline);
            }
            open
        });
        self.0.wake.notify_one();
    }

    /// Ends the connection at once, without a close handshake.
    fn abort(&self) {
        self.lock().closed = true;
        self.0.phase.send_replace(Phase::Abort);
    }

    fn heard(&self) {
        let ms = self.0.born.elapsed().as_millis() as u64;
        self.0.heard.store(ms, Ordering::Relaxed);
    }

    fn heard_since(&self, t: Instant) -> bool {
        let since = t.saturating_duration_since(self.0.born).as_millis() as u64;
        self.0.heard.load(Ordering::Relaxed) >= since
    }
}

impl crate::conn::Tracked for WsConnection {
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

/// How a connection ended, for the closed callback and the error callback.
struct Ending {
    code: u16,
    reason: String,
    error: Option<Error>,
}

/// What the reader saw last.
enum ReadEnd {
    /// The peer sent a close frame (code or 1005, reason).
    PeerClosed(u16, String),
    /// The stream ended without a close frame, or we stopped reading.
    Ended(Option<Error>),
}

/// Runs one open connection to its end: connected callback, messages, closed callback.
/// `closed` runs just before the closed callback (owners drop the connection there).
pub(crate) async fn run<S>(
    conn: WsConnection,
    ws: WebSocketStream<S>,
    slot: &HandlerSlot<WsHandlers>,
    closed: impl FnOnce(),
) where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let owner = slot.owner();
    let callback = slot.load().connected.clone();
    if let Some(f) = callback {
        runtime::invoke(owner, "connected", || f(&conn));
    }
    let (sink, stream) = ws.split();
    let read = async {
        let end = read_loop(&conn, stream, slot).await;
        conn.abort();
        end
    };
    let write = async {
        let end = write_loop(&conn, sink).await;
        if end.is_err() {
            conn.abort();
        }
        end
    };
    let (read_end, write_end) = tokio::join!(read, write);
    let sent = {
        let q = conn.lock();
        q.close.clone().filter(|_| q.close_sent)
    };
    let ending = match (write_end, sent, read_end) {
        (Err((code, error)), _, _) => Ending {
            code,
            reason: String::new(),
            error: Some(error),
        },
        // We closed (asked to, or answering a violation with 1002, 1007, 1009).
        (Ok(()), Some((code, reason)), read_end) => Ending {
            code,
            reason,
            error: match read_end {
                ReadEnd::Ended(error) => error,
                ReadEnd::PeerClosed(..) => None,
            },
        },
        (Ok(()), None, ReadEnd::PeerClosed(code, reason)) => Ending {
            code,
            reason,
            error: None,
        },
        (Ok(()), None, ReadEnd::Ended(error)) => Ending {
            code: close_code::ABNORMAL,
            reason: String::new(),
            error,
        },
    };
    if ending.error.is_some() {
        conn.0.counters.errors.fetch_add(1, Ordering::Relaxed);
    }
    closed();
    if let Some(err) = &ending.error {
        fire_error(slot, Some(&conn), err);
    }
    let callback = slot.load().closed.clone();
    if let Some(f) = callback {
        runtime::invoke(owner, "closed", || f(&conn, ending.code, &ending.reason));
    }
}

/// Reads messages until the stream ends, the close handshake is done or abandoned, or the
/// writer stopped; delivers each to the message callback.
async fn read_loop<S>(
    conn: &WsConnection,
    mut stream: futures_util::stream::SplitStream<WebSocketStream<S>>,
    slot: &HandlerSlot<WsHandlers>,
) -> ReadEnd
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut phase = conn.0.phase.subscribe();
    let mut peer_close = None;
    loop {
        let deadline = match *phase.borrow_and_update() {
            Phase::Abort => break,
            Phase::Closing(d) | Phase::CloseSent(d) => Some(d),
            Phase::Open => None,
        };
        let item = tokio::select! {
            item = stream.next() => item,
            _ = phase.changed() => continue,
            _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => break,
        };
        let message = match item {
            None => break,
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                if let Some((code, err)) = failure(&e) {
                    // Answer with a close frame and give the writer until the deadline to
                    // send it; then the connection is dropped.
                    conn.request_close(code, err.message());
                    let done = |p: &Phase| matches!(p, Phase::CloseSent(_) | Phase::Abort);
                    let limit = Instant::now() + conn.0.opts.close_timeout;
                    let _ = timeout_at(limit, phase.wait_for(done)).await;
                    return ReadEnd::Ended(Some(err));
                }
                if let (WsError::Io(io), None) = (&e, &peer_close) {
                    return ReadEnd::Ended(Some(Error::io(io, "websocket read failed")));
                }
                break;
            }
        };
        conn.heard();
        match message {
            Message::Text(text) => deliver(conn, slot, text.as_bytes(), true),
            Message::Binary(data) => deliver(conn, slot, &data, false),
            Message::Close(frame) => {
                conn.lock().closed = true;
                peer_close = Some(match frame {
                    Some(f) => (u16::from(f.code), f.reason.to_string()),
                    None => (close_code::NO_STATUS, String::new()),
                });
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
    match peer_close {
        Some((code, reason)) => ReadEnd::PeerClosed(code, reason),
        None => ReadEnd::Ended(None),
    }
}

fn deliver(conn: &WsConnection, slot: &HandlerSlot<WsHandlers>, data: &[u8], text: bool) {
    let c = &conn.0.counters;
    c.messages_in.fetch_add(1, Ordering::Relaxed);
    c.bytes_in.fetch_add(data.len() as u64, Ordering::Relaxed);
    let callback = slot.load().message.clone();
    if let Some(f) = callback {
        runtime::invoke(slot.owner(), "message", || f(conn, data, text));
    }
}

/// A peer's violation that we answer with a close frame: its code and our error.
fn failure(e: &WsError) -> Option<(u16, Error)> {
    match e {
        // The peer closed the TCP connection without a close frame: nothing to answer; the
        // connection ends with 1006.
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        WsError::Protocol(p) => Some((
            close_code::PROTOCOL_ERROR,
            Error::new(
                ErrorCode::ProtocolError,
                format!("websocket protocol error: {p}"),
            ),
        )),
        WsError::Utf8(m) => Some((
            close_code::INVALID_DATA,
            Error::new(
                ErrorCode::ProtocolError,
                format!("invalid UTF-8 in a text message: {m}"),
            ),
        )),
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => Some((
            close_code::MESSAGE_TOO_BIG,
            Error::new(
                ErrorCode::MessageTooLarge,
                format!("received message of {size} bytes exceeds max_message_size {max_size}"),
            ),
        )),
        _ => None,
    }
}

/// Writes what is queued in batches (one flush per batch), sends keep-alive pings and checks
/// that the peer answers, and sends our close frame. An error ends the connection with 1006.
async fn write_loop<S>(
    conn: &WsConnection,
    mut sink: futures_util::stream::SplitSink<WebSocketStream<S>, Message>,
) -> std::result::Result<(), (u16, Error)>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let opts = &conn.0.opts;
    let mut phase = conn.0.phase.subscribe();
    let mut next_ping = opts.ping_interval.map(|p| Instant::now() + p);
    // When the last ping went out, and when its answer is due.
    let mut pong_due: Option<(Instant, Instant)> = None;
    // Swapped with the queue's: the two deques' buffers are reused batch after batch.
    let mut batch = VecDeque::new();
    loop {
        let timer = pong_due.map(|(_, due)| due).or(next_ping);
        let mut ping = false;
        tokio::select! {
            _ = conn.0.wake.notified() => {}
            _ = phase.wait_for(|p| *p == Phase::Abort) => return Ok(()),
            _ = sleep_until(timer.unwrap_or_else(Instant::now)), if timer.is_some() => {
                if let Some((sent, _)) = pong_due.take() {
                    if !conn.heard_since(sent) {
                        let waited = opts.pong_timeout.as_millis();
                        return Err((
                            close_code::ABNORMAL,
                            Error::new(
                                ErrorCode::ConnectionTimeout,
                                format!("the peer answered no ping within {waited} ms"),
                            ),
                        ));
                    }
                } else {
                    ping = true;
                }
            }
        }
        let (bytes, close) = {
            let mut q = conn.lock();
            std::mem::swap(&mut q.messages, &mut batch);
            (std::mem::take(&mut q.bytes), q.close.clone())
        };
        let closing = close.is_some();
        let work = async {
            if ping {
                sink.feed(Message::Ping(Bytes::new())).await?;
            }
            for m in batch.drain(..) {
                sink.feed(m).await?;
            }
            if let Some((code, reason)) = close {
                let frame = CloseFrame {
                    code: CloseCode::from(code),
                    reason: reason.into(),
                };
                sink.feed(Message::Close(Some(frame))).await?;
            }
            sink.flush().await
        };
        let written = tokio::select! {
            r = work => r,
            _ = phase.wait_for(|p| *p == Phase::Abort) => return Ok(()),
        };
        match written {
            Ok(()) => {}
            // The peer's close frame arrived meanwhile: the reader reports the close.
            Err(WsError::Protocol(ProtocolError::SendAfterClosing))
            | Err(WsError::ConnectionClosed)
            | Err(WsError::AlreadyClosed) => return Ok(()),
            Err(e) => {
                return Err((
                    close_code::ABNORMAL,
                    Error::new(
                        ErrorCode::SendFailed,
                        format!("websocket write failed: {e}"),
                    ),
                ))
            }
        }
        if bytes > 0 || closing {
            conn.0.counters.writes.fetch_add(1, Ordering::Relaxed);
        }
        if ping {
            let now = Instant::now();
            pong_due = Some((now, now + opts.pong_timeout));
            next_ping = opts.ping_interval.map(|p| now + p);
        }
        if closing {
            conn.lock().close_sent = true;
            let deadline = Instant::now() + opts.close_timeout;
            conn.0.phase.send_if_modified(|p| {
                let go = *p != Phase::Abort;
                if go {
                    *p = Phase::CloseSent(deadline);
                }
                go
            });
            return Ok(());
        }
    }
}
