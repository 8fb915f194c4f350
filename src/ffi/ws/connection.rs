//! `ns_ws_connection_*`: one WebSocket connection, borrowed in callbacks or owned.

use std::ffi::{c_char, c_void};

use super::{ns_ws_connection, text};
use crate::ffi::common::{ns_stats, write_cstr, write_stats};
use crate::ffi::{bytes, guard, guard_value, handle, ns_result, reason};

/// Returns a new owned handle to `connection` (e.g. to keep one from a callback), or NULL when
/// `connection` is NULL. Release it with `ns_ws_connection_release`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_retain(
    connection: *const ns_ws_connection,
) -> *mut ns_ws_connection {
    guard_value(std::ptr::null_mut(), || {
        handle(connection, "connection").map_or(std::ptr::null_mut(), |c| {
            ns_ws_connection::owned(c.0.clone())
        })
    })
}

/// Releases an owned handle (NULL is a no-op). Never pass the borrowed pointer a callback
/// received.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_release(connection: *mut ns_ws_connection) {
    // SAFETY: the pointer is an owned handle (Box::into_raw) released once, as
    // documented.
    unsafe { crate::ffi::free_boxed(connection, |_| ()) }
}

/// Process-unique id of the connection (never reused); 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_id(connection: *const ns_ws_connection) -> u64 {
    guard_value(0, || {
        handle(connection, "connection").map_or(0, |c| c.0.id())
    })
}

/// Queues a text message (`len` bytes of UTF-8, not NUL-terminated; else -1). -603 closed or
/// closing; -642 over max_message_size; -643 send queue full.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_send_text(
    connection: *const ns_ws_connection,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| {
        handle(connection, "connection")?
            .0
            .send_text(text(data, len)?)
    })
}

/// Queues a binary message (empty allowed); errors as `ns_ws_connection_send_text`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_send_binary(
    connection: *const ns_ws_connection,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| {
        handle(connection, "connection")?
            .0
            .send_binary(bytes(data, len)?)
    })
}

/// Queues a ping with up to 125 bytes of payload (more → -1); the peer's pong counts as
/// proof of life for the keep-alive.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_send_ping(
    connection: *const ns_ws_connection,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| {
        handle(connection, "connection")?
            .0
            .send_ping(bytes(data, len)?)
    })
}

/// Starts the close handshake after what is queued, with `code` (1000–1003, 1007–1014 or
/// 3000–4999) and `reason` (NULL for none; at most 123 bytes of UTF-8), else -1. The close
/// callback follows once the peer answered or the close timeout passed. Already closing → 0.
/// Safe inside any callback.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_close(
    connection: *const ns_ws_connection,
    code: u16,
    reason_text: *const c_char,
) -> ns_result {
    guard(|| {
        handle(connection, "connection")?
            .0
            .close(code, reason(reason_text)?)
    })
}

/// True until the connection starts closing; false for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_is_connected(
    connection: *const ns_ws_connection,
) -> bool {
    guard_value(false, || {
        handle(connection, "connection").is_ok_and(|c| c.0.is_connected())
    })
}

/// Writes the peer's IP address (NUL-terminated) into `buf` of `buf_len` bytes (46 suffice)
/// and its port into `*port` (may be NULL). -1 for NULL arguments or a buffer too small.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_remote_endpoint(
    connection: *const ns_ws_connection,
    buf: *mut c_char,
    buf_len: usize,
    port: *mut u16,
) -> ns_result {
    guard(|| {
        let addr = handle(connection, "connection")?.0.peer_addr();
        write_cstr(buf, buf_len, addr.ip().to_string().as_bytes())?;
        if !port.is_null() {
            // SAFETY: non-NULL pointer to a u16 provided by the caller.
            unsafe { *port = addr.port() };
        }
        Ok(())
    })
}

/// Writes the request path of the opening handshake (NUL-terminated) into `buf` of `buf_len`
/// bytes. -1 for NULL arguments or a buffer too small.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_path(
    connection: *const ns_ws_connection,
    buf: *mut c_char,
    buf_len: usize,
) -> ns_result {
    guard(|| {
        let c = handle(connection, "connection")?;
        write_cstr(buf, buf_len, c.0.path().as_bytes())
    })
}

/// Writes the negotiated subprotocol ("" when none), NUL-terminated, into `buf` of `buf_len`
/// bytes. -1 for NULL arguments or a buffer too small.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_subprotocol(
    connection: *const ns_ws_connection,
    buf: *mut c_char,
    buf_len: usize,
) -> ns_result {
    guard(|| {
        let c = handle(connection, "connection")?;
        write_cstr(buf, buf_len, c.0.subprotocol().unwrap_or("").as_bytes())
    })
}

/// Attaches an opaque pointer to the connection (shared by every handle of it).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_set_user_data(
    connection: *const ns_ws_connection,
    user_data: *mut c_void,
) -> ns_result {
    guard(|| {
        handle(connection, "connection")?
            .0
            .set_user_tag(user_data as usize);
        Ok(())
    })
}

/// The pointer set by `ns_ws_connection_set_user_data`, or NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_get_user_data(
    connection: *const ns_ws_connection,
) -> *mut c_void {
    guard_value(std::ptr::null_mut(), || {
        handle(connection, "connection")
            .map_or(std::ptr::null_mut(), |c| c.0.user_tag() as *mut c_void)
    })
}

/// Counters of this connection (see `ns_stats`).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_connection_get_stats(
    connection: *const ns_ws_connection,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(connection, "connection")?.0.stats()))
}
