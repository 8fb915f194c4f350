//! `ns_ws_client_*`: lifecycle, options, callbacks and sends of a WebSocket client.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::{
    client_tls, close_fn, close_timeout, connection_fn, error_fn, keepalive, max_message_size,
    message_fn, ns_ws_client, ns_ws_close_fn, ns_ws_connection, ns_ws_connection_fn,
    ns_ws_error_fn, ns_ws_message_fn, options, send_queue_limit, set_callback, set_path,
    set_subprotocols, text,
};
use crate::ffi::common::{ns_stats, reconnect_policy, strings, write_stats};
use crate::ffi::tls::ns_tls_client_config;
use crate::ffi::{
    bytes, guard, guard_value, handle, invalid, ns_free_fn, ns_result, optional_string, reason,
    string,
};
use crate::ws::{WsClient, WsHandlers};

/// Creates a stopped client: path "/", 10 s connect timeout, no reconnect, messages up to
/// 10 MiB, a ping every 30 s with a 10 s pong deadline. Release with `ns_ws_client_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_new() -> *mut ns_ws_client {
    guard_value(std::ptr::null_mut(), || {
        crate::ffi::process_setup();
        Box::into_raw(Box::new(ns_ws_client(WsClient::default())))
    })
}

/// Stops the client (as `ns_ws_client_stop`) and releases it. Exclusive, and waits, as
/// `ns_tcp_client_free`. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_free(client: *mut ns_ws_client) {
    // SAFETY: the pointer came from ns_ws_client_new and is freed once, as documented.
    unsafe {
        crate::ffi::free_boxed(client, |client| {
            let _ = client.0.stop();
            client.0.set_handlers(|h| *h = WsHandlers::default());
        })
    }
}

/// Request path (default "/", must start with '/'). Before start (else -664); same for every
/// setter below.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_path(
    client: *mut ns_ws_client,
    path: *const c_char,
) -> ns_result {
    set_path(client, path)
}

/// Extra request headers (e.g. Authorization), `count` name/value pairs sent in this order;
/// 0 clears them. -1 for a name or value HTTP does not allow.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_headers(
    client: *mut ns_ws_client,
    names: *const *const c_char,
    values: *const *const c_char,
    count: usize,
) -> ns_result {
    guard(|| {
        let names = strings(names, count, "header name")?;
        let values = strings(values, count, "header value")?;
        let headers: Vec<(String, String)> = names.into_iter().zip(values).collect();
        crate::ws::check_headers(&headers)?;
        handle(client, "client")?
            .0
            .configure(|c| c.headers = headers)
    })
}

/// Subprotocols to ask for (Sec-WebSocket-Protocol), `count` names; read the server's choice
/// with `ns_ws_connection_subprotocol`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_subprotocols(
    client: *mut ns_ws_client,
    names: *const *const c_char,
    count: usize,
) -> ns_result {
    set_subprotocols(client, names, count)
}

/// Origin header to send; NULL for none (default).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_origin(
    client: *mut ns_ws_client,
    origin: *const c_char,
) -> ns_result {
    guard(|| {
        let origin = optional_string(origin, "origin")?.map(str::to_string);
        handle(client, "client")?.0.configure(|c| c.origin = origin)
    })
}

/// Resolve, connect, TLS and the opening handshake must finish within this (default 10000 ms;
/// > 0); exceeded → -602.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_connect_timeout_ms(
    client: *mut ns_ws_client,
    ms: u64,
) -> ns_result {
    guard(|| {
        if ms == 0 {
            return Err(invalid("connect timeout must be > 0"));
        }
        handle(client, "client")?
            .0
            .configure(|c| c.connect_timeout = Duration::from_millis(ms))
    })
}

/// Automatic reconnect, as `ns_tcp_client_set_reconnect` (default off).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_reconnect(
    client: *mut ns_ws_client,
    enabled: bool,
    initial_delay_ms: u64,
    max_delay_ms: u64,
    max_attempts: u32,
    jitter_percent: u32,
) -> ns_result {
    guard(|| {
        let policy = reconnect_policy(
            enabled,
            initial_delay_ms,
            max_delay_ms,
            max_attempts,
            jitter_percent,
        )?;
        handle(client, "client")?
            .0
            .configure(|c| c.reconnect = policy)
    })
}

/// See `ns_ws_server_set_max_message_size`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_max_message_size(
    client: *mut ns_ws_client,
    bytes: usize,
) -> ns_result {
    max_message_size(client, bytes)
}

/// See `ns_ws_server_set_send_queue_limit`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_send_queue_limit(
    client: *mut ns_ws_client,
    bytes: usize,
) -> ns_result {
    send_queue_limit(client, bytes)
}

/// See `ns_ws_server_set_keepalive`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_keepalive(
    client: *mut ns_ws_client,
    ping_interval_ms: u64,
    pong_timeout_ms: u64,
) -> ns_result {
    keepalive(client, ping_interval_ms, pong_timeout_ms)
}

/// See `ns_ws_server_set_close_timeout_ms`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_close_timeout_ms(
    client: *mut ns_ws_client,
    ms: u64,
) -> ns_result {
    close_timeout(client, ms)
}

/// TCP_NODELAY (default true).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_no_delay(
    client: *mut ns_ws_client,
    enabled: bool,
) -> ns_result {
    options(client, |o| o.no_delay = enabled)
}

/// wss://: TLS with a copy of `config` (see `ns_tls_client_config_new`), or plain ws:// with
/// NULL (default).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_tls(
    client: *mut ns_ws_client,
    config: *const ns_tls_client_config,
) -> ns_result {
    client_tls(client, config)
}

/// Called when a connection is established (after the opening handshake), before any message.
/// `free_user_data` as for the server setters; same for the three setters below.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_connected_callback(
    client: *mut ns_ws_client,
    callback: ns_ws_connection_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, |h| {
        h.connected = connection_fn(callback, user_data, free_user_data)
    })
}

/// Called with each whole message.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_message_callback(
    client: *mut ns_ws_client,
    callback: ns_ws_message_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, |h| {
        h.message = message_fn(callback, user_data, free_user_data)
    })
}

/// Called exactly once per connection that was reported connected, last, with the close code
/// and reason.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_close_callback(
    client: *mut ns_ws_client,
    callback: ns_ws_close_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, |h| {
        h.closed = close_fn(callback, user_data, free_user_data)
    })
}

/// Called on errors: connect failures (-600/-601/-602/-607, connection NULL), an upgrade the
/// server refused (-601 naming the HTTP status), a malformed handshake answer (-644), protocol violations, keep-alive timeouts, reconnect attempts
/// exhausted (-604).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_set_error_callback(
    client: *mut ns_ws_client,
    callback: ns_ws_error_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, |h| {
        h.error = error_fn(callback, user_data, free_user_data)
    })
}

/// Starts connecting to ws://host:port/path (wss:// with TLS) and returns at once; the
/// connected or error callback follows. -1 for NULL/empty host or port 0; -607 malformed host;
/// -664 already running; -606 unusable TLS material.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_start(
    client: *mut ns_ws_client,
    host: *const c_char,
    port: u16,
) -> ns_result {
    guard(|| {
        let client = handle(client, "client")?;
        client.0.start(string(host, "host")?, port)
    })
}

/// Like `ns_ws_client_start`, but returns once the first attempt (connect, TLS, opening
/// handshake) succeeded or failed, with its code. Inside a callback it does not wait.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_start_wait(
    client: *mut ns_ws_client,
    host: *const c_char,
    port: u16,
) -> ns_result {
    guard(|| {
        let client = handle(client, "client")?;
        client.0.start_wait(string(host, "host")?, port)
    })
}

/// Stops reconnecting and closes the connection with 1000. Waits as `ns_tcp_client_stop`.
/// Not running → 0.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_stop(client: *mut ns_ws_client) -> ns_result {
    guard(|| handle(client, "client")?.0.stop())
}

/// Blocks until the client is stopped, as `ns_tcp_client_wait_for_stop`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_wait_for_stop(client: *const ns_ws_client) -> ns_result {
    guard(|| handle(client, "client")?.0.wait_for_stop())
}

/// True between start and stop (including while connecting or waiting to reconnect).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_is_running(client: *const ns_ws_client) -> bool {
    guard_value(false, || {
        handle(client, "client").is_ok_and(|c| c.0.is_running())
    })
}

/// True while a connection is open (not closing).
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_is_connected(client: *const ns_ws_client) -> bool {
    guard_value(false, || {
        handle(client, "client").is_ok_and(|c| c.0.is_connected())
    })
}

/// A new owned handle to the current connection (release with `ns_ws_connection_release`), or
/// NULL when not connected.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_get_connection(
    client: *const ns_ws_client,
) -> *mut ns_ws_connection {
    guard_value(std::ptr::null_mut(), || {
        handle(client, "client")
            .ok()
            .and_then(|c| c.0.connection())
            .map_or(std::ptr::null_mut(), ns_ws_connection::owned)
    })
}

/// Queues a text message (`len` bytes of UTF-8, not NUL-terminated; else -1). -603 when not
/// connected; others as `ns_ws_connection_send_text`.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_send_text(
    client: *const ns_ws_client,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| handle(client, "client")?.0.send_text(text(data, len)?))
}

/// Queues a binary message (empty allowed). -603 when not connected.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_send_binary(
    client: *const ns_ws_client,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| handle(client, "client")?.0.send_binary(bytes(data, len)?))
}

/// Queues a ping with up to 125 bytes of payload. -603 when not connected.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_send_ping(
    client: *const ns_ws_client,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| handle(client, "client")?.0.send_ping(bytes(data, len)?))
}

/// Starts the close handshake with `code` and `reason` (NULL for none); see
/// `ns_ws_connection_close`. The client then stops unless reconnect is on. -603 when not
/// connected.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_close(
    client: *const ns_ws_client,
    code: u16,
    reason_text: *const c_char,
) -> ns_result {
    guard(|| {
        handle(client, "client")?
            .0
            .close(code, reason(reason_text)?)
    })
}

/// Counters over every connection this client made.
#[no_mangle]
pub unsafe extern "C" fn ns_ws_client_get_stats(
    client: *const ns_ws_client,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(client, "client")?.0.stats()))
}
