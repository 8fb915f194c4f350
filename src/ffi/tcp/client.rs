//! `ns_tcp_client_*`: lifecycle, options, callbacks and sends of a TCP client.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::{
    error_fn, framing, ns_tcp_client, ns_tcp_error_fn, ns_tcp_receive_fn, ns_tcp_session,
    ns_tcp_session_fn, receive_fn, session_fn, set_callback,
};
use crate::conn::Handlers;
use crate::error::Result;
use crate::ffi::common::{batch, millis, ns_stats, owned, positive, reconnect_policy, write_stats};
use crate::ffi::{bytes, guard, guard_value, handle, invalid, ns_free_fn, ns_result, string};
use crate::tcp::{ClientConfig, TcpClient};

/// Creates a stopped client with default options. Release with `ns_tcp_client_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_new() -> *mut ns_tcp_client {
    guard_value(std::ptr::null_mut(), || {
        crate::ffi::process_setup();
        Box::into_raw(Box::new(ns_tcp_client(TcpClient::default())))
    })
}

/// Stops the client (as `ns_tcp_client_stop`) and releases it. Exclusive: no other call on
/// this handle may overlap it or follow it. It returns when no callback of this client runs or
/// will run again — except inside one of its own callbacks (or where waiting would deadlock,
/// see the contract at the top), where callbacks already running finish on their own and no
/// new one starts. NULL is a no-op. User-data free functions run once no call of their
/// callback runs.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_free(client: *mut ns_tcp_client) {
    // SAFETY: the pointer came from ns_tcp_client_new and is freed once, as documented.
    unsafe {
        crate::ffi::free_boxed(client, |client| {
            // Stop first so a blocking free still reports disconnections; then no new
            // callback may start.
            let _ = client.0.stop();
            client.0.set_handlers(|h| *h = Handlers::default());
        })
    }
}

fn client_cfg(
    client: *const ns_tcp_client,
    f: impl FnOnce(&mut ClientConfig) -> Result<()>,
) -> ns_result {
    guard(|| handle(client, "client")?.0.try_configure(f))
}

/// Framing: NS_FRAMING_RAW (default) or NS_FRAMING_LENGTH_PREFIXED. Before start (else -664).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_framing(
    client: *mut ns_tcp_client,
    framing_mode: i32,
) -> ns_result {
    client_cfg(client, |c| {
        c.conn.framing = framing(framing_mode)?;
        Ok(())
    })
}

/// Largest length-prefixed message (default 16 MiB; > 0). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_max_message_size(
    client: *mut ns_tcp_client,
    bytes: usize,
) -> ns_result {
    client_cfg(client, |c| {
        c.conn.max_message_size = positive(bytes, "max_message_size")?;
        Ok(())
    })
}

/// Send queue limit in bytes (default 8 MiB; > 0). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_send_queue_limit(
    client: *mut ns_tcp_client,
    bytes: usize,
) -> ns_result {
    client_cfg(client, |c| {
        c.conn.send_queue_limit = positive(bytes, "send_queue_limit")?;
        Ok(())
    })
}

/// Close the connection when nothing was received for `ms` (0 = off, the default). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_idle_timeout_ms(
    client: *mut ns_tcp_client,
    ms: u64,
) -> ns_result {
    client_cfg(client, |c| {
        c.conn.idle_timeout = millis(ms);
        Ok(())
    })
}

/// TCP_NODELAY (default true). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_no_delay(
    client: *mut ns_tcp_client,
    enabled: bool,
) -> ns_result {
    client_cfg(client, |c| {
        c.conn.no_delay = enabled;
        Ok(())
    })
}

/// SO_KEEPALIVE with `ms` idle time (0 = off, the default). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_keepalive_ms(
    client: *mut ns_tcp_client,
    ms: u64,
) -> ns_result {
    client_cfg(client, |c| {
        c.conn.keepalive = millis(ms);
        Ok(())
    })
}

/// How long a graceful close flushes queued data (default 1000 ms). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_linger_ms(
    client: *mut ns_tcp_client,
    ms: u64,
) -> ns_result {
    client_cfg(client, |c| {
        c.conn.linger = Duration::from_millis(ms);
        Ok(())
    })
}

/// Time allowed for resolve + connect (default 10000 ms; > 0); exceeded → -602. Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_connect_timeout_ms(
    client: *mut ns_tcp_client,
    ms: u64,
) -> ns_result {
    client_cfg(client, |c| {
        c.connect_timeout = millis(ms).ok_or_else(|| invalid("connect timeout must be > 0"))?;
        Ok(())
    })
}

/// Automatic reconnect after a failed connect or lost connection (default off). Delays grow
/// from `initial_delay_ms` doubling up to `max_delay_ms`, spread by ±`jitter_percent` (0-100);
/// after `max_attempts` failures in a row (0 = unlimited) the error callback gets -604 and the
/// client stops. Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_reconnect(
    client: *mut ns_tcp_client,
    enabled: bool,
    initial_delay_ms: u64,
    max_delay_ms: u64,
    max_attempts: u32,
    jitter_percent: u32,
) -> ns_result {
    client_cfg(client, |c| {
        c.reconnect = reconnect_policy(
            enabled,
            initial_delay_ms,
            max_delay_ms,
            max_attempts,
            jitter_percent,
        )?;
        Ok(())
    })
}

/// Called when a connection is established (once per connection), before any data. The
/// session is the client's connection. `free_user_data` as for the server setters.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_connected_callback(
    client: *mut ns_tcp_client,
    callback: ns_tcp_session_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, "client", |h| {
        h.connected = session_fn(callback, user_data, free_user_data)
    })
}

/// Called with received data.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_receive_callback(
    client: *mut ns_tcp_client,
    callback: ns_tcp_receive_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, "client", |h| {
        h.data = receive_fn(callback, user_data, free_user_data)
    })
}

/// Called exactly once per connection that was reported connected.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_disconnected_callback(
    client: *mut ns_tcp_client,
    callback: ns_tcp_session_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, "client", |h| {
        h.disconnected = session_fn(callback, user_data, free_user_data)
    })
}

/// Called on errors: connect failures (-600/-601/-602/-607, session NULL), connection errors,
/// reconnect attempts exhausted (-604).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_error_callback(
    client: *mut ns_tcp_client,
    callback: ns_tcp_error_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, "client", |h| {
        h.error = error_fn(callback, user_data, free_user_data)
    })
}

/// Starts connecting to `host:port` and returns at once; the connected or error callback
/// follows. -1 for NULL/empty host or port 0; -607 for a malformed host name (an unresolvable
/// one is reported through the error callback); -664 when already running.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_start(
    client: *mut ns_tcp_client,
    host: *const c_char,
    port: u16,
) -> ns_result {
    guard(|| {
        let client = handle(client, "client")?;
        client.0.start(string(host, "host")?, port)
    })
}

/// Like `ns_tcp_client_start`, but returns only once the first attempt (connect and, with TLS,
/// the handshake) succeeded or failed, with its code: -601/-600/-602/-607 for the connect,
/// -605 (handshake failed) or -606 (certificate refused, with the reason in
/// `ns_last_error_message`). With reconnect enabled the client keeps trying after a failed first
/// attempt. Inside a callback it does not wait (returns 0 once started).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_start_wait(
    client: *mut ns_tcp_client,
    host: *const c_char,
    port: u16,
) -> ns_result {
    guard(|| {
        let client = handle(client, "client")?;
        client.0.start_wait(string(host, "host")?, port)
    })
}

/// A new owned handle to the current connection (release with `ns_tcp_session_release`), or
/// NULL when not connected.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_get_session(
    client: *const ns_tcp_client,
) -> *mut ns_tcp_session {
    guard_value(std::ptr::null_mut(), || {
        handle(client, "client")
            .ok()
            .and_then(|c| c.0.session())
            .map_or(std::ptr::null_mut(), |s| {
                Box::into_raw(Box::new(ns_tcp_session(s)))
            })
    })
}

/// Stops connecting and closes the connection gracefully. It returns when no callback of this client runs or will run again
/// (its user data may then be freed), also when called from another object's callback; inside
/// one of this client's own callbacks it only starts the stop (see the contract at the top).
/// Not running → 0.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_stop(client: *mut ns_tcp_client) -> ns_result {
    guard(|| handle(client, "client")?.0.stop())
}

/// Blocks until the client is stopped (by `ns_tcp_client_stop` on another thread, or by itself
/// (connection lost or connect failed without reconnect, attempts exhausted)) and every stop in progress has returned; at once
/// when it is not running. Inside any callback or on a runtime thread it returns
/// NS_ERR_INVALID_ARGUMENT at once (it would wait for itself). Stop on one thread, then
/// wait_for_stop and free on another, is safe.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_wait_for_stop(client: *const ns_tcp_client) -> ns_result {
    guard(|| handle(client, "client")?.0.wait_for_stop())
}

/// True between start and stop (including while connecting or waiting to reconnect).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_is_running(client: *const ns_tcp_client) -> bool {
    guard_value(false, || {
        handle(client, "client").is_ok_and(|c| c.0.is_running())
    })
}

/// True while a connection is established.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_is_connected(client: *const ns_tcp_client) -> bool {
    guard_value(false, || {
        handle(client, "client").is_ok_and(|c| c.0.is_connected())
    })
}

/// Queues a copy of `data`; -603 when not connected (nothing is buffered), other errors as
/// `ns_tcp_session_send`.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_send(
    client: *const ns_tcp_client,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| handle(client, "client")?.0.send(bytes(data, len)?))
}

/// Queues `count` messages at once; see `ns_tcp_session_send_batch`. -603 when not connected.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_send_batch(
    client: *const ns_tcp_client,
    data: *const *const u8,
    len: *const usize,
    count: usize,
) -> ns_result {
    guard(|| {
        handle(client, "client")?
            .0
            .send_batch(&batch(data, len, count)?)
    })
}

/// Queues `data` without copying; ownership as in `ns_tcp_session_send_owned`.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_send_owned(
    client: *const ns_tcp_client,
    data: *const u8,
    len: usize,
    free_fn: ns_free_fn,
    free_ctx: *mut c_void,
) -> ns_result {
    guard(|| {
        let buf = owned(data, len, free_fn, free_ctx)?;
        handle(client, "client")?.0.send_bytes(buf)
    })
}

/// Counters over every connection this client made.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_get_stats(
    client: *const ns_tcp_client,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(client, "client")?.0.stats()))
}
