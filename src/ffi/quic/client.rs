//! `ns_quic_client_*`: lifecycle, options, callbacks and sends of a QUIC client.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::{
    ns_quic_client, ns_quic_connection, ns_quic_connection_fn, ns_quic_data_fn, ns_quic_error_fn,
    ns_quic_stream_fn, set_callback, set_limits, set_send_wait, set_socket, set_transport, Slot,
};
use crate::error::Result;
use crate::ffi::common::{ns_stats, owned};
use crate::ffi::tls::ns_tls_client_config;
use crate::ffi::{bytes, guard, guard_value, handle, invalid, ns_free_fn, ns_result, string};
use crate::quic::{QuicClient, QuicHandlers};

/// Creates a stopped client: server certificate verified against the system roots, the
/// transport defaults of `ns_quic_client_set_transport`, 10 s handshake timeout, 0-RTT off.
/// Release with `ns_quic_client_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_new() -> *mut ns_quic_client {
    guard_value(std::ptr::null_mut(), || {
        crate::ffi::process_setup();
        Box::into_raw(Box::new(ns_quic_client(QuicClient::default())))
    })
}

/// Stops the client (as `ns_quic_client_stop`) and releases it. Exclusive, and waits, as
/// `ns_tcp_client_free`. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_free(client: *mut ns_quic_client) {
    // SAFETY: the pointer came from ns_quic_client_new and is freed once, as documented.
    unsafe {
        crate::ffi::free_boxed(client, |client| {
            let _ = client.0.stop();
            client.0.set_handlers(|h| *h = QuicHandlers::default());
        })
    }
}

/// Verification, CA, server name, pins, client certificate and ALPN from a copy of `config`
/// (NULL: the defaults, verification against the system roots; QUIC always uses TLS 1.3).
/// Before start (else -664); same for every setter below.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_tls(
    client: *mut ns_quic_client,
    config: *const ns_tls_client_config,
) -> ns_result {
    guard(|| {
        let tls = crate::ffi::tls::client_copy(config)?.unwrap_or_default();
        handle(client, "client")?.0.configure(|c| c.tls = tls)
    })
}

/// Transport options, as `ns_quic_server_set_transport`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_transport(
    client: *mut ns_quic_client,
    idle_timeout_ms: u64,
    max_data: u64,
    max_stream_data: u64,
    max_streams_bidi: u64,
    max_streams_uni: u64,
) -> ns_result {
    set_transport(
        client,
        idle_timeout_ms,
        (max_data, max_stream_data),
        (max_streams_bidi, max_streams_uni),
    )
}

/// Message size, send queue and keep-alive limits, as `ns_quic_server_set_limits`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_limits(
    client: *mut ns_quic_client,
    max_message_size: usize,
    send_queue_limit: usize,
    keep_alive_ms: u64,
) -> ns_result {
    set_limits(client, max_message_size, send_queue_limit, keep_alive_ms)
}

/// Send wait in ms, as `ns_quic_server_set_send_wait_ms` (default 0: -643 at once).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_send_wait_ms(
    client: *mut ns_quic_client,
    ms: u64,
) -> ns_result {
    set_send_wait(client, ms)
}

/// Local address (NULL keeps it; default "" = any address of the target's family) and socket
/// buffer sizes, as `ns_quic_server_set_socket`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_socket(
    client: *mut ns_quic_client,
    bind_address: *const c_char,
    recv_buffer: usize,
    send_buffer: usize,
) -> ns_result {
    set_socket(client, bind_address, recv_buffer, send_buffer)
}

/// Time allowed for the handshake (> 0 ms, default 10000); exceeded → -602.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_connect_timeout_ms(
    client: *mut ns_quic_client,
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

/// 0-RTT: when `enable`, a connection to a server name this process connected to before
/// resumes its TLS session and sends `len` bytes at `data` (copied; NULL/0 = none) as the
/// first message in 0-RTT packets; without a usable ticket, or when the server rejects 0-RTT,
/// the message is sent right after the handshake instead (it is delivered either way;
/// `ns_quic_connection_early_data_accepted` tells which). 0-RTT data can be replayed by an
/// attacker: send only what is safe to repeat.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_early_data(
    client: *mut ns_quic_client,
    enable: bool,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| {
        let early = bytes(data, len)?.to_vec();
        handle(client, "client")?.0.configure(|c| {
            c.enable_early_data = enable;
            c.early_data = (!early.is_empty()).then_some(early);
        })
    })
}

/// Connected callback (NULL clears); user data as for `ns_quic_server_set_connection_callback`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_connection_callback(
    client: *mut ns_quic_client,
    callback: ns_quic_connection_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, Slot::Connected(callback), user_data, free_user_data)
}

/// Message callback: each whole message of the server's `send`, in order.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_message_callback(
    client: *mut ns_quic_client,
    callback: ns_quic_data_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, Slot::Message(callback), user_data, free_user_data)
}

/// Stream callback: the data of every stream the server sends on, in order per stream.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_stream_callback(
    client: *mut ns_quic_client,
    callback: ns_quic_stream_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, Slot::Stream(callback), user_data, free_user_data)
}

/// Datagram callback.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_datagram_callback(
    client: *mut ns_quic_client,
    callback: ns_quic_data_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, Slot::Datagram(callback), user_data, free_user_data)
}

/// Closed callback: once per connection reported connected, after its last data callback.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_closed_callback(
    client: *mut ns_quic_client,
    callback: ns_quic_connection_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, Slot::Closed(callback), user_data, free_user_data)
}

/// Error callback.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_set_error_callback(
    client: *mut ns_quic_client,
    callback: ns_quic_error_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(client, Slot::Error(callback), user_data, free_user_data)
}

/// Starts connecting to `host:port` and returns at once; the connected or error callback
/// follows. -1 NULL/empty host or port 0; -607 malformed host; -606 unusable TLS material;
/// -664 running.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_start(
    client: *mut ns_quic_client,
    host: *const c_char,
    port: u16,
) -> ns_result {
    guard(|| {
        handle(client, "client")?
            .0
            .start(string(host, "host")?, port)
    })
}

/// Like `ns_quic_client_start`, but returns once the handshake succeeded or failed, with its
/// code (-606 certificate refused, -602 timeout, -601 refused, -605 other TLS failure …);
/// after a failure the client has stopped. Inside a callback it does not wait.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_start_wait(
    client: *mut ns_quic_client,
    host: *const c_char,
    port: u16,
) -> ns_result {
    guard(|| {
        handle(client, "client")?
            .0
            .start_wait(string(host, "host")?, port)
    })
}

/// Closes the connection gracefully (code 0, queued data flushed up to 1 s). Waits as
/// `ns_tcp_client_stop`. Not running → 0.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_stop(client: *mut ns_quic_client) -> ns_result {
    guard(|| handle(client, "client")?.0.stop())
}

/// Blocks until the client is stopped, as `ns_tcp_client_wait_for_stop`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_wait_for_stop(client: *const ns_quic_client) -> ns_result {
    guard(|| handle(client, "client")?.0.wait_for_stop())
}

/// True between a successful start and the end of the connection (or stop).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_is_running(client: *const ns_quic_client) -> bool {
    guard_value(false, || {
        handle(client, "client").is_ok_and(|c| c.0.is_running())
    })
}

/// True while connected.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_is_connected(client: *const ns_quic_client) -> bool {
    guard_value(false, || {
        handle(client, "client").is_ok_and(|c| c.0.is_connected())
    })
}

/// An owned handle to the current connection (release with `ns_quic_connection_release`), or
/// NULL when not connected. After the connection ended, the last one stays readable through
/// a handle taken before (e.g. for `ns_quic_connection_close_info`).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_get_connection(
    client: *const ns_quic_client,
) -> *mut ns_quic_connection {
    guard_value(std::ptr::null_mut(), || {
        handle(client, "client")
            .ok()
            .and_then(|c| c.0.connection())
            .map_or(std::ptr::null_mut(), ns_quic_connection::owned)
    })
}

fn client<'a>(c: *const ns_quic_client) -> Result<&'a QuicClient> {
    Ok(&handle(c, "client")?.0)
}

/// `ns_quic_connection_send` on the current connection; -603 when not connected. The same
/// holds for the functions below.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_send(
    client: *const ns_quic_client,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| self::client(client)?.send(bytes(data, len)?))
}

/// `ns_quic_connection_send_owned` on the current connection.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_send_owned(
    client: *const ns_quic_client,
    data: *const u8,
    len: usize,
    free_fn: ns_free_fn,
    free_ctx: *mut c_void,
) -> ns_result {
    guard(|| {
        let buf = owned(data, len, free_fn, free_ctx)?;
        self::client(client)?.send_bytes(buf)
    })
}

/// `ns_quic_connection_create_stream` on the current connection.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_create_stream(
    client: *const ns_quic_client,
    unidirectional: bool,
    stream_id: *mut u64,
) -> ns_result {
    guard(|| {
        let c = self::client(client)?;
        super::open_stream(c.connection().as_ref(), unidirectional, stream_id)
    })
}

/// `ns_quic_connection_send_on_stream` on the current connection.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_send_on_stream(
    client: *const ns_quic_client,
    stream_id: u64,
    data: *const u8,
    len: usize,
    fin: bool,
) -> ns_result {
    guard(|| self::client(client)?.send_on_stream(stream_id, bytes(data, len)?, fin))
}

/// `ns_quic_connection_send_on_stream_owned` on the current connection.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_send_on_stream_owned(
    client: *const ns_quic_client,
    stream_id: u64,
    data: *const u8,
    len: usize,
    fin: bool,
    free_fn: ns_free_fn,
    free_ctx: *mut c_void,
) -> ns_result {
    guard(|| {
        let buf = owned(data, len, free_fn, free_ctx)?;
        self::client(client)?.send_on_stream_bytes(stream_id, buf, fin)
    })
}

/// `ns_quic_connection_close_stream` on the current connection.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_close_stream(
    client: *const ns_quic_client,
    stream_id: u64,
) -> ns_result {
    guard(|| self::client(client)?.close_stream(stream_id))
}

/// `ns_quic_connection_send_datagram` on the current connection.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_send_datagram(
    client: *const ns_quic_client,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| self::client(client)?.send_datagram(bytes(data, len)?))
}

/// Counters over every connection this client made; see `ns_stats`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_client_get_stats(
    client: *const ns_quic_client,
    out: *mut ns_stats,
) -> ns_result {
    super::stats(client, out)
}
