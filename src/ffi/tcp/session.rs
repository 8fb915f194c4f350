//! `ns_tcp_session_*`: one connection, borrowed in callbacks or owned through retain.

use std::ffi::{c_char, c_void};

use super::ns_tcp_session;
use crate::ffi::common::{batch, ns_stats, owned, write_cstr, write_stats};
use crate::ffi::{bytes, guard, guard_value, handle, ns_free_fn, ns_result};

/// Returns a new owned handle to `session` (e.g. to keep one from a callback), or NULL when
/// `session` is NULL. Release it with `ns_tcp_session_release`.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_retain(
    session: *const ns_tcp_session,
) -> *mut ns_tcp_session {
    guard_value(std::ptr::null_mut(), || match handle(session, "session") {
        Ok(s) => Box::into_raw(Box::new(ns_tcp_session(s.0.clone()))),
        Err(_) => std::ptr::null_mut(),
    })
}

/// Releases a handle from `ns_tcp_session_retain` (NULL is a no-op). Never pass the borrowed
/// pointer a callback received.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_release(session: *mut ns_tcp_session) {
    // SAFETY: the pointer came from ns_tcp_session_retain (Box::into_raw) and is
    // released once, as documented.
    unsafe { crate::ffi::free_boxed(session, |_| ()) }
}

/// Process-unique id of the session (never reused); 0 when `session` is NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_id(session: *const ns_tcp_session) -> u64 {
    guard_value(0, || handle(session, "session").map_or(0, |s| s.0.id()))
}

/// Queues a copy of `len` bytes. -1 for NULL/empty; -603 when closed; -642 over
/// max_message_size (framed); -643 when the send queue is full.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_send(
    session: *const ns_tcp_session,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| handle(session, "session")?.0.send(bytes(data, len)?))
}

/// Queues copies of `count` messages (`data[i]`, `len[i]` bytes) with one call: one lock and at
/// most one writer wake-up. All or nothing: on any error none is queued. Errors as
/// `ns_tcp_session_send` (-1 also for count 0 or a NULL/empty message).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_send_batch(
    session: *const ns_tcp_session,
    data: *const *const u8,
    len: *const usize,
    count: usize,
) -> ns_result {
    guard(|| {
        handle(session, "session")?
            .0
            .send_batch(&batch(data, len, count)?)
    })
}
/// Queues `data` without copying. The library owns the buffer from this call on, whatever
/// the result: it calls `free_fn(free_ctx)` exactly once (on failure, before returning) on
/// any thread. `free_fn` may be NULL for static data.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_send_owned(
    session: *const ns_tcp_session,
    data: *const u8,
    len: usize,
    free_fn: ns_free_fn,
    free_ctx: *mut c_void,
) -> ns_result {
    guard(|| {
        let buf = owned(data, len, free_fn, free_ctx)?;
        handle(session, "session")?.0.send_bytes(buf)
    })
}

/// Closes the session gracefully (queued data is flushed for up to the linger time); the
/// disconnected callback follows once. Safe inside any callback, including this session's.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_close(session: *const ns_tcp_session) -> ns_result {
    guard(|| {
        handle(session, "session")?.0.close();
        Ok(())
    })
}

/// True while the session is open; false for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_is_connected(session: *const ns_tcp_session) -> bool {
    guard_value(false, || {
        handle(session, "session").is_ok_and(|s| s.0.is_connected())
    })
}

/// Writes the peer's IP address (NUL-terminated) into `buf` of `buf_len` bytes and its port
/// into `*port` (may be NULL). -1 for NULL arguments or a buffer too small (46 bytes suffice).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_remote_endpoint(
    session: *const ns_tcp_session,
    buf: *mut c_char,
    buf_len: usize,
    port: *mut u16,
) -> ns_result {
    guard(|| {
        let addr = handle(session, "session")?.0.peer_addr();
        write_cstr(buf, buf_len, addr.ip().to_string().as_bytes())?;
        if !port.is_null() {
            // SAFETY: non-NULL pointer to a u16 provided by the caller.
            unsafe { *port = addr.port() };
        }
        Ok(())
    })
}

/// Writes the negotiated TLS version ("TLSv1.2", "TLSv1.3"; "" on plain TCP), NUL-terminated,
/// into `buf` of `buf_len` bytes (16 suffice). -1 for NULL arguments or a buffer too small.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_tls_version(
    session: *const ns_tcp_session,
    buf: *mut c_char,
    buf_len: usize,
) -> ns_result {
    guard(|| {
        let s = handle(session, "session")?;
        let version =
            s.0.tls_info()
                .map(|i| i.version.clone())
                .unwrap_or_default();
        write_cstr(buf, buf_len, version.as_bytes())
    })
}

/// Writes the negotiated ALPN protocol ("" when none), NUL-terminated, into `buf` of `buf_len`
/// bytes (256 suffice). -1 for NULL arguments or a buffer too small.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_alpn(
    session: *const ns_tcp_session,
    buf: *mut c_char,
    buf_len: usize,
) -> ns_result {
    guard(|| {
        let s = handle(session, "session")?;
        let alpn =
            s.0.tls_info()
                .and_then(|i| i.alpn.clone())
                .unwrap_or_default();
        write_cstr(buf, buf_len, &alpn)
    })
}

/// Attaches an opaque pointer to the session (shared by every handle of it).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_set_user_data(
    session: *const ns_tcp_session,
    user_data: *mut c_void,
) -> ns_result {
    guard(|| {
        handle(session, "session")?
            .0
            .set_user_tag(user_data as usize);
        Ok(())
    })
}

/// The pointer set by `ns_tcp_session_set_user_data`, or NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_get_user_data(
    session: *const ns_tcp_session,
) -> *mut c_void {
    guard_value(std::ptr::null_mut(), || {
        handle(session, "session").map_or(std::ptr::null_mut(), |s| s.0.user_tag() as *mut c_void)
    })
}

/// Counters of this session (see `ns_stats`).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_session_get_stats(
    session: *const ns_tcp_session,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(session, "session")?.0.stats()))
}
