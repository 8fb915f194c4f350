//! Helpers every protocol's C functions share: the stats struct, output strings, option
//! values, owned send buffers.

use std::ffi::{c_char, c_void};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::{bytes, invalid, ns_free_fn, string, UserData};
use crate::conn::client::ReconnectPolicy;
use crate::conn::Stats;
use crate::error::{Error, ErrorCode, Result};

/// Counters of a server, client or session. Set `struct_size = sizeof(ns_stats)` before the
/// call; the library fills at most that many bytes, so the struct can grow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ns_stats {
    pub struct_size: usize,
    pub connections_total: u64,
    pub active_connections: u64,
    pub connections_rejected: u64,
    pub messages_in: u64,
    pub messages_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub queued_bytes: u64,
    pub errors: u64,
    /// UDP: datagrams not sent (send buffer full) + datagrams the kernel dropped (receive
    /// buffer full). 0 for TCP.
    pub dropped: u64,
    /// TCP/TLS: socket writes that sent data; fewer than messages_out when sends coalesced.
    pub writes: u64,
}

pub(crate) fn write_stats(out: *mut ns_stats, s: Stats) -> Result<()> {
    write_sized(out, "stats", |struct_size| ns_stats {
        struct_size,
        connections_total: s.connections_total,
        active_connections: s.active_connections,
        connections_rejected: s.connections_rejected,
        messages_in: s.messages_in,
        messages_out: s.messages_out,
        bytes_in: s.bytes_in,
        bytes_out: s.bytes_out,
        queued_bytes: s.queued_bytes,
        errors: s.errors,
        dropped: s.dropped,
        writes: s.writes,
    })
}

/// Fills a caller's struct that starts with `size_t struct_size` (set by the caller to the
/// size it has): `full(struct_size)` is copied up to that many bytes, so the struct can grow.
pub(crate) fn write_sized<T: Copy>(
    out: *mut T,
    what: &str,
    full: impl FnOnce(usize) -> T,
) -> Result<()> {
    if out.is_null() {
        return Err(invalid(&format!("{what} is NULL")));
    }
    // SAFETY: `out` is non-NULL and the caller says it points to at least `struct_size` bytes,
    // whose first field is struct_size itself.
    let size = unsafe { std::ptr::read_unaligned(out as *const usize) };
    if size < std::mem::size_of::<usize>() {
        return Err(invalid(&format!("{what}.struct_size is too small")));
    }
    let full = full(size);
    let n = size.min(std::mem::size_of::<T>());
    // SAFETY: copies n <= struct_size bytes into the caller's buffer from a local struct.
    unsafe { std::ptr::copy_nonoverlapping(&full as *const T as *const u8, out as *mut u8, n) };
    Ok(())
}

/// Writes `value` into `*out` unless `out` is NULL (an optional out parameter).
pub(crate) fn write_optional<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: non-NULL pointer to a T provided by the caller.
        unsafe { *out = value };
    }
}

/// Copies `text` and a NUL into `buf` of `buf_len` bytes.
pub(crate) fn write_cstr(buf: *mut c_char, buf_len: usize, text: &[u8]) -> Result<()> {
    if buf.is_null() || buf_len < text.len() + 1 {
        return Err(invalid("buffer is NULL or too small"));
    }
    // SAFETY: `buf` has room for text.len() + 1 bytes (checked above).
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf as *mut u8, text.len());
        *buf.add(text.len()) = 0;
    }
    Ok(())
}

pub(crate) fn positive(n: usize, what: &str) -> Result<usize> {
    if n == 0 {
        Err(invalid(&format!("{what} must be > 0")))
    } else {
        Ok(n)
    }
}

/// The reconnect policy of the `*_set_reconnect` functions; None when disabled.
pub(crate) fn reconnect_policy(
    enabled: bool,
    initial_delay_ms: u64,
    max_delay_ms: u64,
    max_attempts: u32,
    jitter_percent: u32,
) -> Result<Option<ReconnectPolicy>> {
    if !enabled {
        return Ok(None);
    }
    if initial_delay_ms == 0 || max_delay_ms < initial_delay_ms || jitter_percent > 100 {
        return Err(invalid(
            "need 0 < initial_delay_ms <= max_delay_ms and jitter_percent <= 100",
        ));
    }
    Ok(Some(ReconnectPolicy {
        initial_delay: Duration::from_millis(initial_delay_ms),
        max_delay: Duration::from_millis(max_delay_ms),
        max_attempts,
        jitter: f64::from(jitter_percent) / 100.0,
    }))
}

/// Borrows `count` items at `items`; NULL is allowed for count 0.
pub(crate) fn items<'a, T>(items: *const T, count: usize, what: &str) -> Result<&'a [T]> {
    if count == 0 {
        return Ok(&[]);
    }
    if items.is_null() {
        return Err(invalid(&format!("{what} is NULL")));
    }
    // SAFETY: the caller guarantees `items` points to `count` readable items for this call.
    Ok(unsafe { std::slice::from_raw_parts(items, count) })
}

/// Copies `count` NUL-terminated UTF-8 strings; NULL `items` is allowed for count 0.
pub(crate) fn strings(list: *const *const c_char, count: usize, what: &str) -> Result<Vec<String>> {
    items(list, count, what)?
        .iter()
        .map(|&p| string(p, what).map(str::to_string))
        .collect()
}

pub(crate) fn millis(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}

pub(crate) fn owned(
    data: *const u8,
    len: usize,
    free_fn: ns_free_fn,
    free_ctx: *mut c_void,
) -> Result<Bytes> {
    struct Owned {
        data: *const u8,
        len: usize,
        _free: Arc<UserData>,
    }
    // SAFETY: the buffer is handed over to us; it is only read, from any thread.
    unsafe impl Send for Owned {}
    impl AsRef<[u8]> for Owned {
        fn as_ref(&self) -> &[u8] {
            // SAFETY: `data`/`len` were checked non-NULL on creation and stay valid until
            // `_free` runs, which happens after this struct is dropped.
            unsafe { std::slice::from_raw_parts(self.data, self.len) }
        }
    }
    let free = UserData::new(free_ctx, free_fn);
    if data.is_null() || len == 0 {
        return Err(invalid("data is NULL or empty"));
    }
    Ok(Bytes::from_owner(Owned {
        data,
        len,
        _free: free,
    }))
}

/// Writes the port of `addr` into `*out`; `not_running` when there is no address.
pub(crate) fn port_of(
    addr: Option<SocketAddr>,
    out: *mut u16,
    not_running: ErrorCode,
) -> Result<()> {
    let addr = addr.ok_or_else(|| Error::new(not_running, "not running"))?;
    if out.is_null() {
        return Err(invalid("port is NULL"));
    }
    // SAFETY: non-NULL pointer to a u16 provided by the caller.
    unsafe { *out = addr.port() };
    Ok(())
}

/// The IP address of `addr` as NUL-terminated text, for callbacks that pass a peer's address.
pub(crate) fn ip_text(addr: SocketAddr) -> [u8; 64] {
    use std::io::Write;
    let mut text = [0u8; 64];
    let mut cursor = &mut text[..63];
    let _ = write!(cursor, "{}", addr.ip());
    text
}

/// Borrows `count` (pointer, length) pairs as slices.
pub(crate) fn batch<'a>(
    data: *const *const u8,
    len: *const usize,
    count: usize,
) -> Result<Vec<&'a [u8]>> {
    if count == 0 || data.is_null() || len.is_null() {
        return Err(invalid("empty batch or NULL arrays"));
    }
    // SAFETY: the caller guarantees `data` and `len` point to `count` elements each.
    let (ptrs, lens) = unsafe {
        (
            std::slice::from_raw_parts(data, count),
            std::slice::from_raw_parts(len, count),
        )
    };
    ptrs.iter().zip(lens).map(|(&p, &n)| bytes(p, n)).collect()
}
