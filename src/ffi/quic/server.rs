//! `ns_quic_server_*`: lifecycle, options, callbacks, sessions and broadcasts of a QUIC server.

use std::ffi::{c_char, c_void};

use super::{
    ns_quic_connection, ns_quic_connection_fn, ns_quic_data_fn, ns_quic_error_fn, ns_quic_server,
    ns_quic_stream_fn, set_callback, set_limits, set_send_wait, set_socket, set_transport, Slot,
};
use crate::error::ErrorCode;
use crate::ffi::common::{items, ns_stats, port_of, positive, write_optional};
use crate::ffi::tls::ns_tls_server_config;
use crate::ffi::{bytes, guard, guard_value, handle, invalid, ns_free_fn, ns_result};
use crate::quic::{QuicHandlers, QuicServer};

/// Creates a stopped server: bind 0.0.0.0, 10 000 connections, Retry on, 0-RTT off, the
/// transport defaults of `ns_quic_server_set_transport`. It needs a certificate
/// (`ns_quic_server_set_tls`) before start. Release with `ns_quic_server_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_new() -> *mut ns_quic_server {
    guard_value(std::ptr::null_mut(), || {
        crate::ffi::process_setup();
        Box::into_raw(Box::new(ns_quic_server(QuicServer::default())))
    })
}

/// Stops the server (as `ns_quic_server_stop`) and releases it. Exclusive, and waits, as
/// `ns_tcp_server_free`. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_free(server: *mut ns_quic_server) {
    // SAFETY: the pointer came from ns_quic_server_new and is freed once, as documented.
    unsafe {
        crate::ffi::free_boxed(server, |server| {
            let _ = server.0.stop();
            server.0.set_handlers(|h| *h = QuicHandlers::default());
        })
    }
}

/// Certificate, key, client CA and ALPN protocols from a copy of `config` (QUIC always uses
/// TLS 1.3: the version setting is ignored). A certificate is required: NULL → -1. Before
/// start (else -661); same for every setter below. Missing or unusable files are reported by
/// `ns_quic_server_start` with -606 naming the file.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_set_tls(
    server: *mut ns_quic_server,
    config: *const ns_tls_server_config,
) -> ns_result {
    guard(|| {
        let tls = crate::ffi::tls::server_copy(config)?
            .ok_or_else(|| invalid("a QUIC server needs a TLS configuration"))?;
        handle(server, "server")?.0.configure(|c| c.tls = tls)
    })
}

/// Transport options: idle timeout in ms (0 = none; the smaller of both sides' applies;
/// default 30000), connection and per-stream receive windows in bytes (defaults 1 MiB and
/// 64 KiB), streams of each kind the peer may open at once (default 100 each); 0 keeps the
/// default of the other values. -1 for values over 2^62-1.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_set_transport(
    server: *mut ns_quic_server,
    idle_timeout_ms: u64,
    max_data: u64,
    max_stream_data: u64,
    max_streams_bidi: u64,
    max_streams_uni: u64,
) -> ns_result {
    set_transport(
        server,
        idle_timeout_ms,
        (max_data, max_stream_data),
        (max_streams_bidi, max_streams_uni),
    )
}

/// Largest message of `send` sent or accepted (> 0, default 16 MiB; -642 on send, a received
/// one closes the connection), bytes queued per connection (its messages and all its streams
/// together) beyond which a send fails with -643 (> 0, default 8 MiB), keep-alive PING interval
/// in ms (0 = off, the default).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_set_limits(
    server: *mut ns_quic_server,
    max_message_size: usize,
    send_queue_limit: usize,
    keep_alive_ms: u64,
) -> ns_result {
    set_limits(server, max_message_size, send_queue_limit, keep_alive_ms)
}

/// How long a send that finds its connection's queue full waits for room, in ms (default 0: it
/// returns -643 at once). Only threads that may block wait — never a callback or a library
/// thread — and a waiting sender resumes once the queue has drained to half the limit; a
/// close while it waits gives -603. Before start (running: -661).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_set_send_wait_ms(
    server: *mut ns_quic_server,
    ms: u64,
) -> ns_result {
    set_send_wait(server, ms)
}

/// Address to bind (NULL keeps it; default "0.0.0.0"; "::" for IPv6) and SO_RCVBUF /
/// SO_SNDBUF of the UDP socket in bytes (0 = the system's).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_set_socket(
    server: *mut ns_quic_server,
    bind_address: *const c_char,
    recv_buffer: usize,
    send_buffer: usize,
) -> ns_result {
    set_socket(server, bind_address, recv_buffer, send_buffer)
}

/// Connections open or in their handshake beyond which new ones are refused (> 0, default
/// 10 000; refusals count in `connections_rejected` and reach the error callback as -623),
/// whether clients must prove their address with a Retry first (default true), whether 0-RTT
/// data of resuming clients is accepted (default false: it can be replayed).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_set_admission(
    server: *mut ns_quic_server,
    max_connections: usize,
    enable_retry: bool,
    enable_early_data: bool,
) -> ns_result {
    guard(|| {
        let max = positive(max_connections, "max_connections")?;
        handle(server, "server")?.0.configure(|c| {
            c.max_connections = max;
            c.enable_retry = enable_retry;
            c.enable_early_data = enable_early_data;
        })
    })
}

/// Connected callback (NULL clears). `user_data` is passed to it; `free_user_data` (may be
/// NULL) runs when the callback is replaced or the server freed, after its last call. Same
/// for every callback setter. A NULL server → -1, nothing registered.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_set_connection_callback(
    server: *mut ns_quic_server,
    callback: ns_quic_connection_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, Slot::Connected(callback), user_data, free_user_data)
}

/// Message callback: each whole message of a client's `send`, in order.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_set_message_callback(
    server: *mut ns_quic_server,
    callback: ns_quic_data_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, Slot::Message(callback), user_data, free_user_data)
}

/// Stream callback: the data of every stream a client sends on, in order per stream.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_set_stream_callback(
    server: *mut ns_quic_server,
    callback: ns_quic_stream_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, Slot::Stream(callback), user_data, free_user_data)
}

/// Datagram callback (RFC 9221: unreliable, whole).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_set_datagram_callback(
    server: *mut ns_quic_server,
    callback: ns_quic_data_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, Slot::Datagram(callback), user_data, free_user_data)
}

/// Closed callback: once per connection reported connected, after its last data callback.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_set_closed_callback(
    server: *mut ns_quic_server,
    callback: ns_quic_connection_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, Slot::Closed(callback), user_data, free_user_data)
}

/// Error callback.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_set_error_callback(
    server: *mut ns_quic_server,
    callback: ns_quic_error_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_callback(server, Slot::Error(callback), user_data, free_user_data)
}

/// Binds UDP `port` (0 picks one; read it with `ns_quic_server_port`) and starts accepting.
/// -606 certificate/key missing or unusable (the message names the file); -662 port in use;
/// -661 running.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_start(server: *mut ns_quic_server, port: u16) -> ns_result {
    guard(|| handle(server, "server")?.0.start(port))
}

/// Writes the bound port into `*port`. -660 when not running.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_port(
    server: *const ns_quic_server,
    port: *mut u16,
) -> ns_result {
    guard(|| {
        let addr = handle(server, "server")?.0.local_addr();
        port_of(addr, port, ErrorCode::ServerNotStarted)
    })
}

/// Stops accepting and closes every connection gracefully (code 0, queued data flushed up to
/// 1 s). Waits as `ns_tcp_server_stop`. Not running → 0.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_stop(server: *mut ns_quic_server) -> ns_result {
    guard(|| handle(server, "server")?.0.stop())
}

/// Blocks until the server is stopped, as `ns_tcp_server_wait_for_stop`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_wait_for_stop(server: *const ns_quic_server) -> ns_result {
    guard(|| handle(server, "server")?.0.wait_for_stop())
}

/// True between a successful start and stop.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_is_running(server: *const ns_quic_server) -> bool {
    guard_value(false, || {
        handle(server, "server").is_ok_and(|s| s.0.is_running())
    })
}

/// Number of open connections (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_connection_count(server: *const ns_quic_server) -> usize {
    guard_value(0, || {
        handle(server, "server").map_or(0, |s| s.0.connection_count())
    })
}

/// Writes up to `capacity` ids of open connections into `ids` and returns how many are open
/// (may exceed `capacity`; call again with a larger array). NULL server → 0.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_connection_ids(
    server: *const ns_quic_server,
    ids: *mut u64,
    capacity: usize,
) -> usize {
    guard_value(0, || {
        let Ok(s) = handle(server, "server") else {
            return 0;
        };
        let all = s.0.connection_ids();
        if !ids.is_null() {
            for (i, id) in all.iter().take(capacity).enumerate() {
                // SAFETY: the caller provides `capacity` writable u64 at `ids`.
                unsafe { *ids.add(i) = *id };
            }
        }
        all.len()
    })
}

/// An owned handle to open connection `id` (release with `ns_quic_connection_release`), or
/// NULL when there is none.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_get_connection(
    server: *const ns_quic_server,
    id: u64,
) -> *mut ns_quic_connection {
    guard_value(std::ptr::null_mut(), || {
        handle(server, "server")
            .ok()
            .and_then(|s| s.0.connection(id))
            .map_or(std::ptr::null_mut(), ns_quic_connection::owned)
    })
}

/// Closes connection `id` gracefully with the application error `code` and `reason` (NULL =
/// ""); -620 when there is no such connection.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_disconnect(
    server: *const ns_quic_server,
    id: u64,
    code: u64,
    reason: *const c_char,
) -> ns_result {
    guard(|| {
        handle(server, "server")?
            .0
            .disconnect(id, code, crate::ffi::reason(reason)?)
    })
}

/// Closes every connection gracefully with `code`; the server keeps accepting.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_disconnect_all(
    server: *const ns_quic_server,
    code: u64,
) -> ns_result {
    guard(|| {
        handle(server, "server")?.0.disconnect_all(code, "");
        Ok(())
    })
}

/// Queues a message to every open connection; `*delivered` (may be NULL) gets how many
/// accepted it (a full or closing one does not).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_broadcast(
    server: *const ns_quic_server,
    data: *const u8,
    len: usize,
    delivered: *mut usize,
) -> ns_result {
    guard(|| {
        let n = handle(server, "server")?.0.broadcast(bytes(data, len)?);
        write_optional(delivered, n);
        Ok(())
    })
}

/// Queues a message to the `count` connections listed in `ids`; `*delivered` (may be NULL)
/// gets how many accepted it (unknown ids do not).
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_multicast(
    server: *const ns_quic_server,
    ids: *const u64,
    count: usize,
    data: *const u8,
    len: usize,
    delivered: *mut usize,
) -> ns_result {
    guard(|| {
        let ids = items(ids, count, "ids")?;
        let n = handle(server, "server")?
            .0
            .multicast(ids, bytes(data, len)?);
        write_optional(delivered, n);
        Ok(())
    })
}

/// Counters over all connections, past and present; see `ns_stats`.
#[no_mangle]
pub unsafe extern "C" fn ns_quic_server_get_stats(
    server: *const ns_quic_server,
    out: *mut ns_stats,
) -> ns_result {
    super::stats(server, out)
}
