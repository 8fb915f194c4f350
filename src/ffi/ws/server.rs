//! `ns_ws_server_*`: lifecycle, options, callbacks and broadcasts of a WebSocket server.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::{
    close_fn, close_timeout, connection_fn, error_fn, keepalive, max_message_size, message_fn,
    ns_ws_close_fn, ns_ws_connection, ns_ws_connection_fn, ns_ws_error_fn, ns_ws_message_fn,
    ns_ws_server, options, send_queue_limit, server_tls, set_callback, set_path, set_subprotocols,
    text,
};
use crate::error::{ErrorCode, Result};
use crate::ffi::common::{ns_stats, port_of, positive, strings, write_optional, write_stats};
use crate::ffi::tls::ns_tls_server_config;
use crate::ffi::{bytes, guard, guard_value, handle, invalid, ns_free_fn, ns_result, string};
use crate::ws::{WsHandlers, WsServer};

/// Creates a stopped server: bind 0.0.0.0, path "/", 1000 connections, messages up to
/// 10 MiB, 8 MiB send queue per connection, a ping every 30 s with a 10 s pong deadline.
/// Release with `ns_ws_server_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_new() -> *mut ns_ws_server {
    guard_value(std::ptr::null_mut(), || {
        crate::ffi::process_setup();
        Box::into_raw(Box::new(ns_ws_server(WsServer::default())))
    })
}

/// Stops the server (as `ns_ws_server_stop`) and releases it. Exclusive, and waits, as
/// `ns_tcp_server_free`. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_free(server: *mut ns_ws_server) {
    // SAFETY: the pointer came from ns_ws_server_new and is freed once, as documented.
    unsafe {
        crate::ffi::free_boxed(server, |server| {
            let _ = server.0.stop();
            server.0.set_handlers(|h| *h = WsHandlers::default());
        })
    }
}

/// Address to bind, e.g. "127.0.0.1", "::1", "::" (default "0.0.0.0"). Before start (else
/// -661); same for every setter below.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_bind_address(
    server: *mut ns_ws_server,
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

/// The request path that upgrades (default "/", must start with '/'); any other path gets
/// HTTP 404 and no upgrade.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_path(
    server: *mut ns_ws_server,
    path: *const c_char,
) -> ns_result {
    set_path(server, path)
}

/// Open connections beyond this (> 0, default 1000) get HTTP 503 and are counted in
/// `connections_rejected`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_max_connections(
    server: *mut ns_ws_server,
    max: usize,
) -> ns_result {
    guard(|| {
        let max = positive(max, "max_connections")?;
        handle(server, "server")?
            .0
            .configure(|c| c.max_connections = max)
    })
}

/// Subprotocols offered, in preference order (`count` names; 0 for none, the default). When
/// set, a client must ask for one of them (else HTTP 400); the choice is read with
/// `ns_ws_connection_subprotocol`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_subprotocols(
    server: *mut ns_ws_server,
    names: *const *const c_char,
    count: usize,
) -> ns_result {
    set_subprotocols(server, names, count)
}

/// Allowed `Origin` header values (`count`; 0, the default, allows any and requests without
/// one); other origins get HTTP 403.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_allowed_origins(
    server: *mut ns_ws_server,
    origins: *const *const c_char,
    count: usize,
) -> ns_result {
    guard(|| {
        let origins = strings(origins, count, "origin")?;
        handle(server, "server")?
            .0
            .configure(|c| c.allowed_origins = origins)
    })
}

/// Time for a client's TLS and HTTP opening handshakes (default 10000 ms; > 0); exceeded → the
/// connection is dropped and the error callback gets -602.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_handshake_timeout_ms(
    server: *mut ns_ws_server,
    ms: u64,
) -> ns_result {
    guard(|| {
        if ms == 0 {
            return Err(invalid("handshake timeout must be > 0"));
        }
        handle(server, "server")?
            .0
            .configure(|c| c.handshake_timeout = Duration::from_millis(ms))
    })
}

/// Largest message (and frame) accepted, > 0 (default 10 MiB): a larger one closes the
/// connection with 1009; larger sends fail with -642.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_max_message_size(
    server: *mut ns_ws_server,
    bytes: usize,
) -> ns_result {
    max_message_size(server, bytes)
}

/// Bytes queued per connection beyond which a send fails with -643 (> 0, default 8 MiB).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_send_queue_limit(
    server: *mut ns_ws_server,
    bytes: usize,
) -> ns_result {
    send_queue_limit(server, bytes)
}

/// Keep-alive: a ping after `ping_interval_ms` without one (0 = never; default 30000); a peer
/// that answers none within `pong_timeout_ms` (> 0, default 10000) is dropped and reported
/// closed with 1006 (error callback -602).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_keepalive(
    server: *mut ns_ws_server,
    ping_interval_ms: u64,
    pong_timeout_ms: u64,
) -> ns_result {
    keepalive(server, ping_interval_ms, pong_timeout_ms)
}

/// After our close frame, how long to wait for the peer's (> 0, default 5000 ms).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_close_timeout_ms(
    server: *mut ns_ws_server,
    ms: u64,
) -> ns_result {
    close_timeout(server, ms)
}

/// TCP_NODELAY on accepted connections (default true).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_no_delay(
    server: *mut ns_ws_server,
    enabled: bool,
) -> ns_result {
    options(server, |o| o.no_delay = enabled)
}

/// wss://: TLS with a copy of `config` (see `ns_tls_server_config_new`), or plain ws:// with
/// NULL (default).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_tls(
    server: *mut ns_ws_server,
    config: *const ns_tls_server_config,
) -> ns_result {
    server_tls(server, config)
}

/// Called once per connection after the opening handshake, before any message.
/// `free_user_data` (may be NULL) runs on `user_data` when the callback is replaced or the
/// server freed and no call runs; when this call fails it is not called. Any time, also while
/// running. Same for the three setters below.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_connection_callback(
    server: *mut ns_ws_server,
    callback: ns_ws_connection_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, |h| {
        h.connected = connection_fn(callback, user_data, free_user_data)
    })
}

/// Called with each whole message.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_message_callback(
    server: *mut ns_ws_server,
    callback: ns_ws_message_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, |h| {
        h.message = message_fn(callback, user_data, free_user_data)
    })
}

/// Called exactly once per connection that was reported connected, last, with the close code
/// and reason.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_close_callback(
    server: *mut ns_ws_server,
    callback: ns_ws_close_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, |h| {
        h.closed = close_fn(callback, user_data, free_user_data)
    })
}

/// Called on errors: refused handshakes (connection NULL), protocol violations (-644, then
/// closed with 1002/1007), oversized messages (-642, closed with 1009), keep-alive timeouts
/// (-602), over the connection limit (-623, connection NULL).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_set_error_callback(
    server: *mut ns_ws_server,
    callback: ns_ws_error_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, |h| {
        h.error = error_fn(callback, user_data, free_user_data)
    })
}

/// Binds the bind address on `port` (0 = any free port; read it with `ns_ws_server_port`)
/// and starts accepting. -661 when running; -662 address in use or not permitted; -607 bad
/// bind address; -606 unusable TLS certificate.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_start(server: *mut ns_ws_server, port: u16) -> ns_result {
    guard(|| handle(server, "server")?.0.start(port))
}

/// Writes the bound port into `*port`. -660 when not running.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_port(
    server: *const ns_ws_server,
    port: *mut u16,
) -> ns_result {
    guard(|| {
        let addr = handle(server, "server")?.0.local_addr();
        port_of(addr, port, ErrorCode::ServerNotStarted)
    })
}

/// Stops accepting and closes every connection with 1001 (going away). Waits as
/// `ns_tcp_server_stop`. Not running → 0.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_stop(server: *mut ns_ws_server) -> ns_result {
    guard(|| handle(server, "server")?.0.stop())
}

/// Blocks until the server is stopped, as `ns_tcp_server_wait_for_stop`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_wait_for_stop(server: *const ns_ws_server) -> ns_result {
    guard(|| handle(server, "server")?.0.wait_for_stop())
}

/// True between a successful start and stop.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_is_running(server: *const ns_ws_server) -> bool {
    guard_value(false, || {
        handle(server, "server").is_ok_and(|s| s.0.is_running())
    })
}

/// Number of open connections (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_connection_count(server: *const ns_ws_server) -> usize {
    guard_value(0, || {
        handle(server, "server").map_or(0, |s| s.0.connection_count())
    })
}

/// A new owned handle to the open connection with `id` (see `ns_ws_connection_id`), or NULL
/// when there is none. Release it with `ns_ws_connection_release`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_get_connection(
    server: *const ns_ws_server,
    id: u64,
) -> *mut ns_ws_connection {
    guard_value(std::ptr::null_mut(), || {
        handle(server, "server")
            .ok()
            .and_then(|s| s.0.connection(id))
            .map_or(std::ptr::null_mut(), ns_ws_connection::owned)
    })
}

fn broadcast(
    server: *const ns_ws_server,
    delivered: *mut usize,
    f: impl FnOnce(&WsServer) -> Result<usize>,
) -> ns_result {
    guard(|| {
        write_optional(delivered, f(&handle(server, "server")?.0)?);
        Ok(())
    })
}

/// Queues a text message (`len` bytes of UTF-8, not NUL-terminated; else -1) to every open
/// connection; `*delivered` (may be NULL) gets how many accepted it (a full or closing one
/// does not).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_broadcast_text(
    server: *const ns_ws_server,
    data: *const u8,
    len: usize,
    delivered: *mut usize,
) -> ns_result {
    broadcast(
        server,
        delivered,
        |s| Ok(s.broadcast_text(text(data, len)?)),
    )
}

/// Queues a binary message to every open connection; see `ns_ws_server_broadcast_text`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_broadcast_binary(
    server: *const ns_ws_server,
    data: *const u8,
    len: usize,
    delivered: *mut usize,
) -> ns_result {
    broadcast(server, delivered, |s| {
        Ok(s.broadcast_binary(bytes(data, len)?))
    })
}

/// Counters over every connection of this server, past and present.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_server_get_stats(
    server: *const ns_ws_server,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(server, "server")?.0.stats()))
}
