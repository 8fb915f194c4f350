//! Process-wide metrics: the counters of every server and client, live or already dropped,
//! by protocol and role, and latency histograms (connection set-up, HTTP requests).
//!
//! Nothing here sits on the send/receive path. Each server and client registers itself once;
//! a [`snapshot`] reads the counters the objects keep anyway, under the registry's lock, and
//! adds those of dropped objects (folded in when they are dropped, under the same lock, so an
//! object is counted exactly once). Histograms are recorded once per connection or request.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

use crate::conn::{lock, Stats};

/// The protocol of a server or client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    /// A TCP server or client with TLS options.
    Tls,
    Udp,
    Dtls,
    WebSocket,
    Http,
    Quic,
}

impl Protocol {
    pub const ALL: [Protocol; 7] = [
        Protocol::Tcp,
        Protocol::Tls,
        Protocol::Udp,
        Protocol::Dtls,
        Protocol::WebSocket,
        Protocol::Http,
        Protocol::Quic,
    ];

    /// `Tls` for a TCP object with TLS options, else `Tcp`.
    pub(crate) fn tcp_or_tls(tls: bool) -> Protocol {
        if tls {
            Protocol::Tls
        } else {
            Protocol::Tcp
        }
    }

    /// The label used in the Prometheus text: "tcp", "tls", "udp", "dtls", "websocket",
    /// "http", "quic".
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Tls => "tls",
            Protocol::Udp => "udp",
            Protocol::Dtls => "dtls",
            Protocol::WebSocket => "websocket",
            Protocol::Http => "http",
            Protocol::Quic => "quic",
        }
    }
}

/// Server or client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Server,
    Client,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Server, Role::Client];

    pub fn name(self) -> &'static str {
        match self {
            Role::Server => "server",
            Role::Client => "client",
        }
    }
}

/// What a registered object reports: its protocol now (a TCP object is TLS when configured
/// so) and its counters since creation.
pub(crate) trait Source: Send + Sync {
    fn protocol(&self) -> Protocol;
    fn stats(&self) -> Stats;
}

/// Counters of one protocol and role: those of the live objects plus those of dropped ones
/// (whose gauges — active connections, queued bytes — no longer count).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Entry {
    pub stats: Stats,
    /// Servers or clients of this kind that exist now.
    pub objects: u64,
    /// Servers or clients of this kind created so far (live plus dropped; counted under the
    /// protocol they have now, or had when dropped).
    pub objects_total: u64,
}

/// The latency histograms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latency {
    /// A client's connection set-up until it is usable: TCP connect, TLS, WebSocket and DTLS
    /// handshakes, QUIC handshake.
    Connect,
    /// An HTTP client request until its whole response was read (or it failed).
    HttpClientRequest,
    /// An HTTP server request from its head until the response is ready to go out.
    HttpServerRequest,
}

impl Latency {
    pub const ALL: [Latency; 3] = [
        Latency::Connect,
        Latency::HttpClientRequest,
        Latency::HttpServerRequest,
    ];

    /// The Prometheus metric name.
    pub fn name(self) -> &'static str {
        match self {
            Latency::Connect => "network_connect_duration_seconds",
            Latency::HttpClientRequest => "network_http_client_request_duration_seconds",
            Latency::HttpServerRequest => "network_http_server_request_duration_seconds",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Latency::Connect => "Client connection set-up time, handshakes included.",
            Latency::HttpClientRequest => "HTTP client request time until the whole response.",
            Latency::HttpServerRequest => "HTTP server time from request head to response.",
        }
    }

    fn histogram(self) -> &'static Histogram {
        &HISTOGRAMS[self as usize]
    }

    /// Records one observation.
    pub fn record(self, elapsed: Duration) {
        self.histogram().record(elapsed);
    }
}

/// Upper bounds of the histogram buckets in microseconds (the original library's default
/// latency buckets: 0.1 ms … 10 s); one more bucket counts what is above the last.
pub const BUCKET_BOUNDS_US: [u64; 15] = [
    100, 500, 1_000, 2_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000, 5_000_000, 10_000_000,
];

/// Number of buckets: one per bound plus the overflow bucket.
pub const BUCKETS: usize = BUCKET_BOUNDS_US.len() + 1;

struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    sum_ns: AtomicU64,
    min_ns: AtomicU64,
    max_ns: AtomicU64,
}

impl Histogram {
    const fn new() -> Histogram {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; BUCKETS],
            sum_ns: AtomicU64::new(0),
            min_ns: AtomicU64::new(u64::MAX),
            max_ns: AtomicU64::new(0),
        }
    }

    fn record(&self, elapsed: Duration) {
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let us = ns / 1_000;
        let index = BUCKET_BOUNDS_US.partition_point(|&bound| bound < us);
        self.buckets[index].fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
        self.min_ns.fetch_min(ns, Ordering::Relaxed);
        self.max_ns.fetch_max(ns, Ordering::Relaxed);
    }

    fn snapshot(&self) -> HistogramSnapshot {
        let buckets = std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed));
        let count = buckets.iter().sum();
        HistogramSnapshot {
            count,
            sum_ns: self.sum_ns.load(Ordering::Relaxed),
            min_ns: if count == 0 {
                0
            } else {
                self.min_ns.load(Ordering::Relaxed)
            },
            max_ns: self.max_ns.load(Ordering::Relaxed),
            buckets,
        }
    }
}

static HISTOGRAMS: [Histogram; 3] = [Histogram::new(), Histogram::new(), Histogram::new()];

/// A latency histogram's state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistogramSnapshot {
    pub count: u64,
    pub sum_ns: u64,
    /// 0 when empty.
    pub min_ns: u64,
    pub max_ns: u64,
    /// Observations per bucket (not cumulative): `buckets[i]` counts those above
    /// `BUCKET_BOUNDS_US[i - 1]` and at most `BUCKET_BOUNDS_US[i]`; the last counts those above
    /// the last bound.
    pub buckets: [u64; BUCKETS],
}

/// Everything at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Indexed `[protocol as usize][role as usize]`.
    entries: [[Entry; 2]; 7],
    histograms: [HistogramSnapshot; 3],
}

impl Snapshot {
    /// The counters of one protocol and role.
    pub fn entry(&self, protocol: Protocol, role: Role) -> Entry {
        self.entries[protocol as usize][role as usize]
    }

    /// The sum over the protocols and roles given (None = all).
    pub fn total(&self, protocol: Option<Protocol>, role: Option<Role>) -> Entry {
        let mut sum = Entry::default();
        for p in Protocol::ALL
            .into_iter()
            .filter(|p| protocol.is_none_or(|x| x == *p))
        {
            for r in Role::ALL
                .into_iter()
                .filter(|r| role.is_none_or(|x| x == *r))
            {
                let e = self.entry(p, r);
                add(&mut sum.stats, &e.stats, true);
                sum.objects += e.objects;
                sum.objects_total += e.objects_total;
            }
        }
        sum
    }

    pub fn latency(&self, which: Latency) -> HistogramSnapshot {
        self.histograms[which as usize]
    }

    /// The snapshot in the Prometheus text exposition format (version 0.0.4): one sample per
    /// protocol and role that has had an object, and the three histograms in seconds.
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        let kinds: Vec<(Protocol, Role, Entry)> = Protocol::ALL
            .into_iter()
            .flat_map(|p| Role::ALL.into_iter().map(move |r| (p, r)))
            .map(|(p, r)| (p, r, self.entry(p, r)))
            .filter(|(_, _, e)| e.objects_total > 0)
            .collect();
        for (name, kind, help, get) in FAMILIES {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (p, r, e) in &kinds {
                let _ = writeln!(
                    out,
                    "{name}{{protocol=\"{}\",role=\"{}\"}} {}",
                    p.name(),
                    r.name(),
                    get(e)
                );
            }
        }
        for which in Latency::ALL {
            let h = self.latency(which);
            let name = which.name();
            let _ = writeln!(
                out,
                "# HELP {name} {}\n# TYPE {name} histogram",
                which.help()
            );
            let mut cumulative = 0;
            for (i, n) in h.buckets.iter().enumerate() {
                cumulative += n;
                let le = BUCKET_BOUNDS_US
                    .get(i)
                    .map_or_else(|| "+Inf".to_string(), |us| seconds(us * 1_000));
                let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
            }
            let _ = writeln!(out, "{name}_sum {}", seconds(h.sum_ns));
            let _ = writeln!(out, "{name}_count {}", h.count);
        }
        out
    }
}

/// Nanoseconds as seconds, exactly, without trailing zeros ("0.0001", "2.5", "10").
fn seconds(ns: u64) -> String {
    let text = format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

type Family = (&'static str, &'static str, &'static str, fn(&Entry) -> u64);

/// The per-protocol samples: name, type, help, value.
const FAMILIES: [Family; 12] = [
    (
        "network_objects",
        "gauge",
        "Servers or clients that exist now.",
        |e| e.objects,
    ),
    (
        "network_objects_created_total",
        "counter",
        "Servers or clients created.",
        |e| e.objects_total,
    ),
    (
        "network_connections_total",
        "counter",
        "Connections accepted (servers) or established (clients).",
        |e| e.stats.connections_total,
    ),
    (
        "network_connections_active",
        "gauge",
        "Connections open now.",
        |e| e.stats.active_connections,
    ),
    (
        "network_connections_rejected_total",
        "counter",
        "Connections refused by a connection limit.",
        |e| e.stats.connections_rejected,
    ),
    (
        "network_messages_received_total",
        "counter",
        "Messages (requests for HTTP servers) delivered to the application.",
        |e| e.stats.messages_in,
    ),
    (
        "network_messages_sent_total",
        "counter",
        "Messages (responses for HTTP servers) handed to send.",
        |e| e.stats.messages_out,
    ),
    (
        "network_bytes_received_total",
        "counter",
        "Payload bytes delivered to the application.",
        |e| e.stats.bytes_in,
    ),
    (
        "network_bytes_sent_total",
        "counter",
        "Payload bytes handed to send.",
        |e| e.stats.bytes_out,
    ),
    (
        "network_send_queue_bytes",
        "gauge",
        "Bytes queued for sending and not yet written.",
        |e| e.stats.queued_bytes,
    ),
    (
        "network_errors_total",
        "counter",
        "Errors reported to error callbacks.",
        |e| e.stats.errors,
    ),
    (
        "network_dropped_total",
        "counter",
        "Datagrams not sent or dropped by the kernel.",
        |e| e.stats.dropped,
    ),
];

/// Adds `b` to `a`; the gauges (active connections, queued bytes) only when `gauges`.
fn add(a: &mut Stats, b: &Stats, gauges: bool) {
    a.connections_total += b.connections_total;
    a.connections_rejected += b.connections_rejected;
    a.messages_in += b.messages_in;
    a.messages_out += b.messages_out;
    a.bytes_in += b.bytes_in;
    a.bytes_out += b.bytes_out;
    a.errors += b.errors;
    a.dropped += b.dropped;
    a.writes += b.writes;
    if gauges {
        a.active_connections += b.active_connections;
        a.queued_bytes += b.queued_bytes;
    }
}

struct Registry {
    next_id: u64,
    live: BTreeMap<u64, (Role, Weak<dyn Source>)>,
    /// Counters and number of dropped objects, per protocol and role (the protocol an object
    /// had when it was dropped: a TCP one may have become TLS).
    past: [[Entry; 2]; 7],
}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(|| {
    Mutex::new(Registry {
        next_id: 0,
        live: BTreeMap::new(),
        past: Default::default(),
    })
});

/// An object's place in the registry. Declare it as the object's first field, so it is
/// dropped while the object's state is still alive: the drop folds the final counters into
/// the process-wide totals.
pub(crate) struct Registration {
    id: u64,
}

impl Registration {
    pub fn new<S: Source + 'static>(role: Role, source: &Arc<S>) -> Registration {
        let weak: Weak<dyn Source> = Arc::downgrade(source) as Weak<dyn Source>;
        let mut reg = lock(&REGISTRY);
        let id = reg.next_id;
        reg.next_id += 1;
        reg.live.insert(id, (role, weak));
        Registration { id }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut reg = lock(&REGISTRY);
        if let Some((role, source)) = reg.live.remove(&self.id) {
            if let Some(source) = source.upgrade() {
                let entry = &mut reg.past[source.protocol() as usize][role as usize];
                add(&mut entry.stats, &source.stats(), false);
                entry.objects_total += 1;
            }
        }
    }
}

/// The counters of every server and client of the process, live and dropped, and the
/// latency histograms, at one moment.
pub fn snapshot() -> Snapshot {
    let reg = lock(&REGISTRY);
    let mut entries = reg.past;
    for (role, source) in reg.live.values() {
        if let Some(source) = source.upgrade() {
            let entry = &mut entries[source.protocol() as usize][*role as usize];
            add(&mut entry.stats, &source.stats(), true);
            entry.objects += 1;
            entry.objects_total += 1;
        }
    }
    drop(reg);
    Snapshot {
        entries,
        histograms: std::array::from_fn(|i| HISTOGRAMS[i].snapshot()),
    }
}

/// Runs `attempt` (a connection set-up) and records its time in [`Latency::Connect`] when it
/// succeeds.
pub(crate) async fn timed_connect<T, E>(
    attempt: impl std::future::Future<Output = std::result::Result<T, E>>,
) -> std::result::Result<T, E> {
    let started = std::time::Instant::now();
    let outcome = attempt.await;
    if outcome.is_ok() {
        Latency::Connect.record(started.elapsed());
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_take_values_up_to_their_bound() {
        let h = Histogram::new();
        h.record(Duration::from_micros(100)); // bucket 0 (≤ 100 µs)
        h.record(Duration::from_micros(101)); // bucket 1
        h.record(Duration::from_secs(11)); // overflow
        let s = h.snapshot();
        assert_eq!(s.count, 3);
        assert_eq!(s.buckets[0], 1);
        assert_eq!(s.buckets[1], 1);
        assert_eq!(s.buckets[BUCKETS - 1], 1);
        assert_eq!(s.min_ns, 100_000);
        assert_eq!(s.max_ns, 11_000_000_000);
        assert_eq!(s.sum_ns, 100_000 + 101_000 + 11_000_000_000);
    }

    #[test]
    fn seconds_are_exact() {
        assert_eq!(seconds(100_000), "0.0001");
        assert_eq!(seconds(2_500_000_000), "2.5");
        assert_eq!(seconds(10_000_000_000), "10");
        assert_eq!(seconds(0), "0");
    }
}
