//! `ns_metrics_*`: the process-wide metrics snapshot.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use super::common::{ns_stats, write_optional, write_sized, write_stats};
use super::{free_boxed, guard, invalid, ns_result};
use crate::error::Result;
use crate::metrics::{self, Latency, Protocol, Role, Snapshot, BUCKETS, BUCKET_BOUNDS_US};

/// `protocol` values of `ns_metrics_snapshot_stats`.
pub const NS_METRICS_ALL_PROTOCOLS: i32 = 0;
pub const NS_METRICS_TCP: i32 = 1;
/// TCP servers and clients with TLS options.
pub const NS_METRICS_TLS: i32 = 2;
pub const NS_METRICS_UDP: i32 = 3;
pub const NS_METRICS_DTLS: i32 = 4;
pub const NS_METRICS_WEBSOCKET: i32 = 5;
pub const NS_METRICS_HTTP: i32 = 6;
pub const NS_METRICS_QUIC: i32 = 7;

/// `role` values of `ns_metrics_snapshot_stats`.
pub const NS_METRICS_ALL_ROLES: i32 = 0;
pub const NS_METRICS_SERVER: i32 = 1;
pub const NS_METRICS_CLIENT: i32 = 2;

/// `which` values of `ns_metrics_snapshot_latency`: a client's connection set-up (TCP connect
/// and TLS, WebSocket, DTLS or QUIC handshakes); an HTTP client request until its whole
/// response; an HTTP server request from its head until the response is ready.
pub const NS_METRICS_LATENCY_CONNECT: i32 = 0;
pub const NS_METRICS_LATENCY_HTTP_CLIENT_REQUEST: i32 = 1;
pub const NS_METRICS_LATENCY_HTTP_SERVER_REQUEST: i32 = 2;

/// Buckets of a latency histogram.
pub const NS_METRICS_LATENCY_BUCKETS: usize = 16;

/// A latency histogram. Set `struct_size = sizeof(ns_latency_histogram)` before the call.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ns_latency_histogram {
    pub struct_size: usize,
    pub count: u64,
    pub sum_ns: u64,
    /// 0 when empty.
    pub min_ns: u64,
    pub max_ns: u64,
    /// Upper bound (inclusive, microseconds) of each bucket: 100 µs, 500 µs, 1 ms … 10 s, and
    /// UINT64_MAX for the last, which counts what is above 10 s.
    pub bucket_bounds_us: [u64; NS_METRICS_LATENCY_BUCKETS],
    /// Observations per bucket (not cumulative).
    pub buckets: [u64; NS_METRICS_LATENCY_BUCKETS],
}

/// The counters of every server and client of the process at one moment (live ones and those
/// already freed), and the latency histograms. Create with `ns_metrics_snapshot_new`, read
/// with `ns_metrics_snapshot_*` from any thread, release with `ns_metrics_snapshot_free`.
pub struct ns_metrics_snapshot {
    snapshot: Snapshot,
    prometheus: OnceLock<CString>,
}

const _: () = assert!(BUCKETS == NS_METRICS_LATENCY_BUCKETS);

/// Takes a snapshot into `*out`. It reads the counters every object keeps anyway (nothing is
/// counted on the send path for it); objects freed earlier count with their final values,
/// without their gauges (active connections, queued bytes). -1 for a NULL `out`.
#[no_mangle]
pub unsafe extern "C" fn ns_metrics_snapshot_new(out: *mut *mut ns_metrics_snapshot) -> ns_result {
    guard(|| {
        if out.is_null() {
            return Err(invalid("out is NULL"));
        }
        let snap = ns_metrics_snapshot {
            snapshot: metrics::snapshot(),
            prometheus: OnceLock::new(),
        };
        // SAFETY: `out` is non-NULL and points to a writable pointer (documented).
        unsafe { *out = Box::into_raw(Box::new(snap)) };
        Ok(())
    })
}

/// Releases a snapshot (and the text `ns_metrics_snapshot_prometheus` lent). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_metrics_snapshot_free(snap: *mut ns_metrics_snapshot) {
    // SAFETY: the pointer came from ns_metrics_snapshot_new and is freed once.
    unsafe { free_boxed(snap, |_| ()) }
}

/// The counters of one protocol (`NS_METRICS_TCP` … or `NS_METRICS_ALL_PROTOCOLS`) and role
/// (`NS_METRICS_SERVER`, `NS_METRICS_CLIENT` or `NS_METRICS_ALL_ROLES`) into `*out` (set its
/// `struct_size`); `objects` (may be NULL) gets how many such servers/clients exist now,
/// `objects_created` (may be NULL) how many were created. -1 for NULL `snap`/`out` or an
/// unknown protocol or role.
#[no_mangle]
pub unsafe extern "C" fn ns_metrics_snapshot_stats(
    snap: *const ns_metrics_snapshot,
    protocol: i32,
    role: i32,
    out: *mut ns_stats,
    objects: *mut u64,
    objects_created: *mut u64,
) -> ns_result {
    guard(|| {
        let snap = snapshot(snap)?;
        let protocol = match protocol {
            NS_METRICS_ALL_PROTOCOLS => None,
            p => Some(
                usize::try_from(p - 1)
                    .ok()
                    .and_then(|i| Protocol::ALL.get(i).copied())
                    .ok_or_else(|| invalid(&format!("unknown protocol {p}")))?,
            ),
        };
        let role = match role {
            NS_METRICS_ALL_ROLES => None,
            NS_METRICS_SERVER => Some(Role::Server),
            NS_METRICS_CLIENT => Some(Role::Client),
            r => return Err(invalid(&format!("unknown role {r}"))),
        };
        let entry = snap.snapshot.total(protocol, role);
        write_stats(out, entry.stats)?;
        write_optional(objects, entry.objects);
        write_optional(objects_created, entry.objects_total);
        Ok(())
    })
}

/// One latency histogram (`NS_METRICS_LATENCY_*`) into `*out` (set its `struct_size`). -1 for
/// NULL `snap`/`out` or an unknown histogram.
#[no_mangle]
pub unsafe extern "C" fn ns_metrics_snapshot_latency(
    snap: *const ns_metrics_snapshot,
    which: i32,
    out: *mut ns_latency_histogram,
) -> ns_result {
    guard(|| {
        let snap = snapshot(snap)?;
        let which = usize::try_from(which)
            .ok()
            .and_then(|i| Latency::ALL.get(i).copied())
            .ok_or_else(|| invalid(&format!("unknown latency histogram {which}")))?;
        let h = snap.snapshot.latency(which);
        write_sized(out, "out", |struct_size| ns_latency_histogram {
            struct_size,
            count: h.count,
            sum_ns: h.sum_ns,
            min_ns: h.min_ns,
            max_ns: h.max_ns,
            bucket_bounds_us: std::array::from_fn(|i| {
                BUCKET_BOUNDS_US.get(i).copied().unwrap_or(u64::MAX)
            }),
            buckets: h.buckets,
        })
    })
}

/// The snapshot in the Prometheus text exposition format (0.0.4): `*text` gets a
/// NUL-terminated string lent until `ns_metrics_snapshot_free`, `*len` (may be NULL) its length
/// without the NUL. Samples are labelled `protocol` and `role`, one per kind that has had an
/// object; the latency histograms are in seconds. -1 for NULL `snap`/`text`.
#[no_mangle]
pub unsafe extern "C" fn ns_metrics_snapshot_prometheus(
    snap: *const ns_metrics_snapshot,
    text: *mut *const c_char,
    len: *mut usize,
) -> ns_result {
    guard(|| {
        let snap = snapshot(snap)?;
        if text.is_null() {
            return Err(invalid("text is NULL"));
        }
        let rendered = snap.prometheus.get_or_init(|| {
            // The text has no NUL bytes (labels and names are ours); an empty one otherwise.
            CString::new(snap.snapshot.prometheus()).unwrap_or_default()
        });
        // SAFETY: `text` is non-NULL and points to a writable pointer (documented).
        unsafe { *text = rendered.as_ptr() };
        write_optional(len, rendered.as_bytes().len());
        Ok(())
    })
}

fn snapshot<'a>(snap: *const ns_metrics_snapshot) -> Result<&'a ns_metrics_snapshot> {
    // SAFETY: a non-NULL `snap` came from ns_metrics_snapshot_new and is not freed yet
    // (documented).
    unsafe { snap.as_ref() }.ok_or_else(|| invalid("snapshot is NULL"))
}
