//! `ns_quic_connection_*`: one QUIC connection, borrowed in callbacks or owned.

use std::ffi::{c_char, c_void};

use super::ns_quic_connection;
use crate::ffi::common::{ns_stats, owned, write_cstr, write_sized, write_stats};
use crate::ffi::{bytes, guard, guard_value, handle, invalid, ns_free_fn, ns_result};
use crate::quic::QuicConnection;

/// Transport figures of a connection (quinn's). Set `struct_size = sizeof(ns_quic_stats)`
/// before the call; the library fills at most that many bytes, so the struct can grow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ns_quic_stats {
    pub struct_size: usize,
    /// UDP payload bytes and datagrams, all packets included.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub packets_sent: u64,
    pub packets_received: u64,
    pub packets_lost: u64,
    pub smoothed_rtt_us: u64,
    pub min_rtt_us: u64,
    /// Congestion window in bytes.
    pub cwnd: u64,
}

fn conn<'a>(c: *const ns_quic_connection) -> crate::error::Result<&'a QuicConnection> {
    Ok(&handle(c, "connection")?.0)
}

/// Returns a new owned handle to `connection` (e.g. to keep one from a callback), or NULL when
/// `connection` is NULL. Release it with `ns_quic_connection_release`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_retain(
    connection: *const ns_quic_connection,
) -> *mut ns_quic_connection {
    guard_value(std::ptr::null_mut(), || {
        conn(connection).map_or(std::ptr::null_mut(), |c| {
            ns_quic_connection::owned(c.clone())
        })
    })
}

/// Releases an owned handle (NULL is a no-op). Never pass the borrowed pointer a callback
/// received.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_release(connection: *mut ns_quic_connection) {
    // SAFETY: the pointer is an owned handle (Box::into_raw) released once, as
    // documented.
    unsafe { crate::ffi::free_boxed(connection, |_| ()) }
}

/// Process-unique id of the connection (never reused); 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_id(connection: *const ns_quic_connection) -> u64 {
    guard_value(0, || conn(connection).map_or(0, |c| c.id()))
}

/// True until the connection starts closing (false for NULL).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_is_connected(
    connection: *const ns_quic_connection,
) -> bool {
    guard_value(false, || conn(connection).is_ok_and(|c| c.is_connected()))
}

/// Queues one message (`len` bytes, empty allowed); the peer's message callback gets it whole
/// and in order. -603 closed; -642 over max_message_size; -643 queue full; -680 the peer
/// allows no unidirectional stream.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_send(
    connection: *const ns_quic_connection,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| conn(connection)?.send(bytes(data, len)?))
}

/// Queues one message without copying: as `ns_quic_connection_send`, with the buffer handed
/// over. The library owns it from this call on, whatever the result: it calls
/// `free_fn(free_ctx)` exactly once (on failure, before returning) on any thread. `free_fn`
/// may be NULL for static data; `len` must be > 0 (-1).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_send_owned(
    connection: *const ns_quic_connection,
    data: *const u8,
    len: usize,
    free_fn: ns_free_fn,
    free_ctx: *mut c_void,
) -> ns_result {
    guard(|| {
        let buf = owned(data, len, free_fn, free_ctx)?;
        conn(connection)?.send_bytes(buf)
    })
}

/// Opens a stream (unidirectional, i.e. send-only, when `unidirectional`) and writes its id
/// into `*stream_id`; never blocks: -680 when the peer allows no more now. The peer learns of
/// it with the first data.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_create_stream(
    connection: *const ns_quic_connection,
    unidirectional: bool,
    stream_id: *mut u64,
) -> ns_result {
    guard(|| super::open_stream(Some(conn(connection)?), unidirectional, stream_id))
}

/// Queues `len` bytes on stream `stream_id`, then a fin when `fin`. -1 no such stream (or the
/// peer's unidirectional one); -681 finished, reset or stopped; -603 closed; -643 queue full.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_send_on_stream(
    connection: *const ns_quic_connection,
    stream_id: u64,
    data: *const u8,
    len: usize,
    fin: bool,
) -> ns_result {
    guard(|| conn(connection)?.send_on_stream(stream_id, bytes(data, len)?, fin))
}

/// `ns_quic_connection_send_on_stream` with the buffer handed over instead of copied;
/// ownership as in `ns_quic_connection_send_owned` (`len` > 0).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_send_on_stream_owned(
    connection: *const ns_quic_connection,
    stream_id: u64,
    data: *const u8,
    len: usize,
    fin: bool,
    free_fn: ns_free_fn,
    free_ctx: *mut c_void,
) -> ns_result {
    guard(|| {
        let buf = owned(data, len, free_fn, free_ctx)?;
        conn(connection)?.send_on_stream_bytes(stream_id, buf, fin)
    })
}

/// Finishes our side of the stream after what is queued (a fin). Errors as
/// `ns_quic_connection_send_on_stream`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_close_stream(
    connection: *const ns_quic_connection,
    stream_id: u64,
) -> ns_result {
    guard(|| conn(connection)?.close_stream(stream_id))
}

/// Sends an unreliable datagram. -642 over what the path and the peer allow (see
/// `ns_quic_connection_max_datagram_size`); -644 the peer takes no datagrams; -603 closed.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_send_datagram(
    connection: *const ns_quic_connection,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| conn(connection)?.send_datagram(bytes(data, len)?))
}

/// Largest datagram the connection takes now; 0 when the peer takes none (or NULL).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_max_datagram_size(
    connection: *const ns_quic_connection,
) -> usize {
    guard_value(0, || {
        conn(connection)
            .ok()
            .and_then(QuicConnection::max_datagram_size)
            .unwrap_or(0)
    })
}

/// Closes gracefully: queued data is flushed (up to 1 s), then the peer gets the application
/// error `code` and `reason` (NULL = ""). Returns at once; the closed callback follows.
/// Already closing → 0.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_close(
    connection: *const ns_quic_connection,
    code: u64,
    reason: *const c_char,
) -> ns_result {
    guard(|| conn(connection)?.close(code, crate::ffi::reason(reason)?))
}

/// How the connection ended, once it has (-603 before): `*code` the application error code
/// (or `UINT64_MAX` when it was no application close: idle timeout, transport error),
/// `*by_peer` whether the peer closed it; `error` (may be NULL) gets the error code of an
/// abnormal end (0 for a normal close; -621 idle timeout; -682 the peer's non-zero code).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_close_info(
    connection: *const ns_quic_connection,
    code: *mut u64,
    by_peer: *mut bool,
    error: *mut ns_result,
) -> ns_result {
    guard(|| {
        let info = conn(connection)?.close_info().ok_or_else(|| {
            crate::error::Error::new(
                crate::error::ErrorCode::ConnectionClosed,
                "the connection has not ended",
            )
        })?;
        if code.is_null() || by_peer.is_null() {
            return Err(invalid("code or by_peer is NULL"));
        }
        // SAFETY: non-NULL pointers provided by the caller.
        unsafe {
            *code = info.code.unwrap_or(u64::MAX);
            *by_peer = info.by_peer;
            if !error.is_null() {
                *error = info.error.map_or(0, |e| e.code().value());
            }
        }
        Ok(())
    })
}

/// Copies the negotiated ALPN protocol and a NUL into `buf` ("" when none); -1 when it does
/// not fit.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_alpn(
    connection: *const ns_quic_connection,
    buf: *mut c_char,
    buf_len: usize,
) -> ns_result {
    guard(|| {
        let alpn = conn(connection)?.alpn().unwrap_or_default();
        write_cstr(buf, buf_len, &alpn)
    })
}

/// Client: the server accepted our 0-RTT data. False otherwise (and on a server).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_early_data_accepted(
    connection: *const ns_quic_connection,
) -> bool {
    guard_value(false, || {
        conn(connection).is_ok_and(|c| c.is_early_data_accepted())
    })
}

/// Copies the peer's address as "ip:port" ("[ip]:port" for IPv6) and a NUL into `buf`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_peer_address(
    connection: *const ns_quic_connection,
    buf: *mut c_char,
    buf_len: usize,
) -> ns_result {
    guard(|| {
        let peer = conn(connection)?.peer_addr().to_string();
        write_cstr(buf, buf_len, peer.as_bytes())
    })
}

/// Message counters of this connection; see `ns_stats`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_get_stats(
    connection: *const ns_quic_connection,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, conn(connection)?.stats()))
}

/// Transport figures; see `ns_quic_stats`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_get_quic_stats(
    connection: *const ns_quic_connection,
    out: *mut ns_quic_stats,
) -> ns_result {
    guard(|| {
        let q = conn(connection)?.quic_stats();
        let micros = |d: std::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        write_sized(out, "stats", |struct_size| ns_quic_stats {
            struct_size,
            bytes_sent: q.bytes_sent,
            bytes_received: q.bytes_received,
            packets_sent: q.packets_sent,
            packets_received: q.packets_received,
            packets_lost: q.packets_lost,
            smoothed_rtt_us: micros(q.smoothed_rtt),
            min_rtt_us: micros(q.min_rtt),
            cwnd: q.cwnd,
        })
    })
}

/// An opaque pointer-sized value kept with the connection for the caller (0 initially).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_user_tag(
    connection: *const ns_quic_connection,
) -> usize {
    guard_value(0, || conn(connection).map_or(0, |c| c.user_tag()))
}

/// Sets the value `ns_quic_connection_user_tag` returns.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_connection_set_user_tag(
    connection: *const ns_quic_connection,
    tag: usize,
) -> ns_result {
    guard(|| {
        conn(connection)?.set_user_tag(tag);
        Ok(())
    })
}
