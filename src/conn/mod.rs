//! Transport-agnostic connection machinery shared by TCP and TLS: framing, the send queue,
//! the reader and writer loops, callbacks, lifecycle and statistics.

pub(crate) mod addr;
pub(crate) mod client;
mod endpoint;
pub mod framing;
mod handlers;
mod io;
mod lifecycle;
mod read_ahead;
mod session;
mod table;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use client::ReconnectPolicy;
pub(crate) use endpoint::{lock, read, write, Endpoint};
pub(crate) use handlers::HandlerSlot;
pub use handlers::{DataFn, ErrorFn, Handlers, SessionFn};
pub(crate) use io::{disconnected, run};
pub(crate) use lifecycle::{Lifecycle, TaskGuard};
pub(crate) use read_ahead::{write_through, ReadAhead};
pub(crate) use session::DirectWrite;
pub use session::Session;
pub(crate) use table::{Admission, Table, Tracked};

/// How bytes on a connection are cut into messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framing {
    /// A plain byte stream, identical on the wire to the original C++ library; the receive
    /// callback gets chunks as they arrive.
    #[default]
    Raw,
    /// A 4-byte big-endian length before each message; whole messages are delivered.
    LengthPrefixed,
}

/// What a TLS connection negotiated (kept by the session; TLS fills it in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// "TLSv1.2" or "TLSv1.3".
    pub version: String,
    /// The ALPN protocol both sides agreed on, if any.
    pub alpn: Option<Vec<u8>>,
}

/// Per-connection options shared by servers and clients.
#[derive(Debug, Clone)]
pub struct ConnOptions {
    pub framing: Framing,
    /// Largest length-prefixed message sent or accepted (default 16 MiB).
    pub max_message_size: usize,
    /// Bytes queued per connection beyond which send fails with `SendQueueFull` (default 8 MiB).
    /// A single message is always accepted into an empty queue.
    pub send_queue_limit: usize,
    /// Close a connection that received nothing for this long (default off).
    pub idle_timeout: Option<Duration>,
    /// TCP_NODELAY (default on).
    pub no_delay: bool,
    /// SO_KEEPALIVE with this idle time (default off).
    pub keepalive: Option<Duration>,
    /// How long a graceful close keeps flushing queued data (default 1 s).
    pub linger: Duration,
}

impl Default for ConnOptions {
    fn default() -> Self {
        ConnOptions {
            framing: Framing::Raw,
            max_message_size: 16 * 1024 * 1024,
            send_queue_limit: 8 * 1024 * 1024,
            idle_timeout: None,
            no_delay: true,
            keepalive: None,
            linger: Duration::from_secs(1),
        }
    }
}

/// Counters of one object or connection. `messages_*`/`bytes_*` count payload handed to
/// send and payload delivered to the receive callback (in raw mode one message = one chunk).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections accepted (server) or established (client) so far.
    pub connections_total: u64,
    /// Connections open now.
    pub active_connections: u64,
    /// Connections refused because of `max_connections`.
    pub connections_rejected: u64,
    pub messages_in: u64,
    pub messages_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Bytes queued for sending and not yet written, now.
    pub queued_bytes: u64,
    /// Errors reported to the error callback.
    pub errors: u64,
    /// UDP: datagrams not sent (send buffer full) plus datagrams the kernel dropped because
    /// the receive buffer was full. 0 for TCP.
    pub dropped: u64,
    /// TCP/TLS: writes that sent data — direct writes from a sending thread and the writer
    /// task's vectored writes (for TLS, writes of plaintext into the TLS stream). Fewer than
    /// `messages_out` when sends coalesced.
    pub writes: u64,
}

/// Atomic counters behind [`Stats`].
#[derive(Default)]
pub(crate) struct Counters {
    pub messages_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub errors: AtomicU64,
    pub writes: AtomicU64,
}

impl Counters {
    /// Counts `messages` sent, `bytes` in all.
    pub fn sent(&self, messages: usize, bytes: usize) {
        self.messages_out
            .fetch_add(messages as u64, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Counts one message of `bytes` received.
    pub fn received(&self, bytes: usize) {
        self.messages_in.fetch_add(1, Ordering::Relaxed);
        self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn add_to(&self, s: &mut Stats) {
        s.messages_in += self.messages_in.load(Ordering::Relaxed);
        s.messages_out += self.messages_out.load(Ordering::Relaxed);
        s.bytes_in += self.bytes_in.load(Ordering::Relaxed);
        s.bytes_out += self.bytes_out.load(Ordering::Relaxed);
        s.errors += self.errors.load(Ordering::Relaxed);
        s.writes += self.writes.load(Ordering::Relaxed);
    }

    pub fn absorb(&self, other: &Counters) {
        for (mine, theirs) in [
            (&self.messages_in, &other.messages_in),
            (&self.messages_out, &other.messages_out),
            (&self.bytes_in, &other.bytes_in),
            (&self.bytes_out, &other.bytes_out),
            (&self.errors, &other.errors),
            (&self.writes, &other.writes),
        ] {
            mine.fetch_add(theirs.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}
