//! `ns_tcp_server_*`: lifecycle, options, callbacks and sends of a TCP server.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::{
    error_fn, framing, ns_tcp_error_fn, ns_tcp_receive_fn, ns_tcp_server, ns_tcp_session_fn,
    receive_fn, session_fn, set_callback,
};
use crate::conn::{ConnOptions, Handlers};
use crate::error::{Error, ErrorCode, Result};
use crate::ffi::common::{millis, ns_stats, port_of, positive, write_stats};
use crate::ffi::{bytes, guard, guard_value, handle, invalid, ns_free_fn, ns_result, string};
use crate::tcp::TcpServer;

/// Creates a stopped server with default options (bind 0.0.0.0, raw framing). NULL only if
/// the runtime cannot start. Release with `ns_tcp_server_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_new() -> *mut ns_tcp_server {
    guard_value(std::ptr::null_mut(), || {
        crate::ffi::process_setup();
        Box::into_raw(Box::new(ns_tcp_server(TcpServer::default())))
    })
}

/// Stops the server (as `ns_tcp_server_stop`) and releases it. Exclusive: no other call on
/// this handle may overlap it or follow it. It returns when no callback of this server runs or
/// will run again — except inside one of its own callbacks (or where waiting would deadlock,
/// see the contract at the top), where callbacks already running finish on their own and no
/// new one starts. NULL is a no-op. User-data free functions run once no call of their
/// callback runs.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_free(server: *mut ns_tcp_server) {
    // SAFETY: the pointer came from ns_tcp_server_new and is freed once, as documented.
    unsafe {
        crate::ffi::free_boxed(server, |server| {
            // Stop first so a blocking free still reports disconnections; then no new
            // callback may start.
            let _ = server.0.stop();
            server.0.set_handlers(|h| *h = Handlers::default());
        })
    }
}

fn server_conn(
    server: *const ns_tcp_server,
    f: impl FnOnce(&mut ConnOptions) -> Result<()>,
) -> ns_result {
    guard(|| {
        handle(server, "server")?
            .0
            .try_configure(|c| f(&mut c.conn))
    })
}

/// Framing: NS_FRAMING_RAW (default) or NS_FRAMING_LENGTH_PREFIXED. Before start (else -661).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_framing(
    server: *mut ns_tcp_server,
    framing_mode: i32,
) -> ns_result {
    server_conn(server, |o| {
        o.framing = framing(framing_mode)?;
        Ok(())
    })
}

/// Largest length-prefixed message (default 16 MiB; > 0). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_max_message_size(
    server: *mut ns_tcp_server,
    bytes: usize,
) -> ns_result {
    server_conn(server, |o| {
        o.max_message_size = positive(bytes, "max_message_size")?;
        Ok(())
    })
}

/// Per-connection send queue limit in bytes (default 8 MiB; > 0). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_send_queue_limit(
    server: *mut ns_tcp_server,
    bytes: usize,
) -> ns_result {
    server_conn(server, |o| {
        o.send_queue_limit = positive(bytes, "send_queue_limit")?;
        Ok(())
    })
}

/// Close sessions that received nothing for `ms` milliseconds (0 = off, the default); the
/// error callback gets -621. Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_idle_timeout_ms(
    server: *mut ns_tcp_server,
    ms: u64,
) -> ns_result {
    server_conn(server, |o| {
        o.idle_timeout = millis(ms);
        Ok(())
    })
}

/// TCP_NODELAY on accepted sockets (default true). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_no_delay(
    server: *mut ns_tcp_server,
    enabled: bool,
) -> ns_result {
    server_conn(server, |o| {
        o.no_delay = enabled;
        Ok(())
    })
}

/// SO_KEEPALIVE with `ms` idle time (0 = off, the default). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_keepalive_ms(
    server: *mut ns_tcp_server,
    ms: u64,
) -> ns_result {
    server_conn(server, |o| {
        o.keepalive = millis(ms);
        Ok(())
    })
}

/// How long a graceful close flushes queued data (default 1000 ms). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_linger_ms(
    server: *mut ns_tcp_server,
    ms: u64,
) -> ns_result {
    server_conn(server, |o| {
        o.linger = Duration::from_millis(ms);
        Ok(())
    })
}

/// Maximum concurrent sessions (default 10000; > 0); excess connections are closed at once,
/// counted in `connections_rejected` and reported with -623. Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_max_connections(
    server: *mut ns_tcp_server,
    max: usize,
) -> ns_result {
    guard(|| {
        let max = positive(max, "max_connections")?;
        handle(server, "server")?
            .0
            .configure(|c| c.max_connections = max)
    })
}

/// Address to bind, e.g. "127.0.0.1", "::1", "::" (default "0.0.0.0"). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_bind_address(
    server: *mut ns_tcp_server,
    address: *const c_char,
) -> ns_result {
    guard(|| {
        let address = string(address, "address")?.to_string();
        if address.is_empty() {
            return Err(invalid("address is empty"));
        }
        handle(server, "server")?
            .0
            .configure(|c| c.bind_address = address)
    })
}

/// Called once per session when it is accepted, before any data. `free_user_data` (may be
/// NULL) runs on `user_data` when the callback is replaced or the server freed and no call
/// is running; when this call fails it is not called. Any time, also while running. Same for
/// the three setters below.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_connection_callback(
    server: *mut ns_tcp_server,
    callback: ns_tcp_session_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, "server", |h| {
        h.connected = session_fn(callback, user_data, free_user_data)
    })
}

/// Called with received data (chunks in raw mode, whole messages when framed).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_receive_callback(
    server: *mut ns_tcp_server,
    callback: ns_tcp_receive_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, "server", |h| {
        h.data = receive_fn(callback, user_data, free_user_data)
    })
}

/// Called exactly once per session that was reported connected, last.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_disconnection_callback(
    server: *mut ns_tcp_server,
    callback: ns_tcp_session_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, "server", |h| {
        h.disconnected = session_fn(callback, user_data, free_user_data)
    })
}

/// Called on errors; for a session's fatal error it comes just before its disconnection.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_error_callback(
    server: *mut ns_tcp_server,
    callback: ns_tcp_error_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, "server", |h| {
        h.error = error_fn(callback, user_data, free_user_data)
    })
}

/// Binds the bind address on `port` (0 = any free port; read it with `ns_tcp_server_port`)
/// and starts accepting. -661 when running; -662 when the address is in use or not permitted;
/// -607 for a bad bind address.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_start(server: *mut ns_tcp_server, port: u16) -> ns_result {
    guard(|| handle(server, "server")?.0.start(port))
}

/// Writes the bound port into `*port`. -660 when not running.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_port(
    server: *const ns_tcp_server,
    port: *mut u16,
) -> ns_result {
    guard(|| {
        let addr = handle(server, "server")?.0.local_addr();
        port_of(addr, port, ErrorCode::ServerNotStarted)
    })
}

/// Stops accepting and closes every session gracefully. It returns when no callback of this server runs or will run again
/// (its user data may then be freed), also when called from another object's callback; inside
/// one of this server's own callbacks it only starts the stop (see the contract at the top).
/// Not running → 0.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_stop(server: *mut ns_tcp_server) -> ns_result {
    guard(|| handle(server, "server")?.0.stop())
}

/// Blocks until the server is stopped (by `ns_tcp_server_stop` on another thread) and every stop in progress has returned; at once
/// when it is not running. Inside any callback or on a runtime thread it returns
/// NS_ERR_INVALID_ARGUMENT at once (it would wait for itself). Stop on one thread, then
/// wait_for_stop and free on another, is safe.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_wait_for_stop(server: *const ns_tcp_server) -> ns_result {
    guard(|| handle(server, "server")?.0.wait_for_stop())
}

/// True between a successful start and stop.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_is_running(server: *const ns_tcp_server) -> bool {
    guard_value(false, || {
        handle(server, "server").is_ok_and(|s| s.0.is_running())
    })
}

/// Number of open sessions (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_session_count(server: *const ns_tcp_server) -> usize {
    guard_value(0, || {
        handle(server, "server").map_or(0, |s| s.0.session_count())
    })
}

/// Sends a copy of `data` to the session with `session_id`; -620 when there is none.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_send(
    server: *const ns_tcp_server,
    session_id: u64,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| {
        handle(server, "server")?
            .0
            .send_to(session_id, bytes(data, len)?)
    })
}

/// Closes the session with `session_id` gracefully; -620 when there is none.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_close_session(
    server: *const ns_tcp_server,
    session_id: u64,
) -> ns_result {
    guard(|| {
        let session = handle(server, "server")?
            .0
            .session(session_id)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::SessionNotFound,
                    format!("no session with id {session_id}"),
                )
            })?;
        session.close();
        Ok(())
    })
}

/// Counters over every session of this server, past and present.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_get_stats(
    server: *const ns_tcp_server,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(server, "server")?.0.stats()))
}
