//! `ns_dtls_server_*` / `ns_dtls_client_*`: DTLS 1.2 over UDP (OpenSSL). One send is one
//! encrypted datagram; each received datagram is delivered whole with its sender, through the
//! same callback type as UDP (`ns_udp_receive_fn`).

use std::ffi::{c_char, c_void, CString};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::common::{ip_text, ns_stats, port_of, positive, write_stats};
use super::tls::{ns_tls_client_config, ns_tls_server_config};
use super::udp::{ns_udp_receive_fn, optional_size};
use super::{bytes, guard, guard_value, handle, invalid, ns_free_fn, ns_result, string, UserData};
use crate::dtls::{DtlsClient, DtlsHandlers, DtlsServer};
use crate::error::{Error, ErrorCode, Result};
use crate::udp::{UdpConfig, UdpServer};

/// A DTLS server. Create with `ns_dtls_server_new`, release with `ns_dtls_server_free`.
pub struct ns_dtls_server(DtlsServer);

/// A DTLS client. Create with `ns_dtls_client_new`, release with `ns_dtls_client_free`.
pub struct ns_dtls_client(DtlsClient);

/// A peer whose session began (handshake complete) or ended; `address` NUL-terminated, valid
/// during the call. A client's peer is its server.
pub type ns_dtls_peer_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, address: *const c_char, port: u16)>;

/// An error with the peer it concerns (`address` NULL and `port` 0 when it concerns the object
/// itself): -606 certificate refused, -605 handshake failed, -602 handshake timed out, -621
/// idle session expired, -601 port unreachable …
pub type ns_dtls_error_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        code: ns_result,
        message: *const c_char,
        address: *const c_char,
        port: u16,
    ),
>;

trait DtlsObject {
    fn set_handlers(&self, f: impl FnOnce(&mut DtlsHandlers));
    fn configure_udp(&self, f: impl FnOnce(&mut UdpConfig)) -> Result<()>;
}

impl DtlsObject for ns_dtls_server {
    fn set_handlers(&self, f: impl FnOnce(&mut DtlsHandlers)) {
        self.0.set_handlers(f)
    }
    fn configure_udp(&self, f: impl FnOnce(&mut UdpConfig)) -> Result<()> {
        self.0.configure(|c| f(&mut c.udp))
    }
}

impl DtlsObject for ns_dtls_client {
    fn set_handlers(&self, f: impl FnOnce(&mut DtlsHandlers)) {
        self.0.set_handlers(f)
    }
    fn configure_udp(&self, f: impl FnOnce(&mut UdpConfig)) -> Result<()> {
        self.0.configure(|c| f(&mut c.udp))
    }
}

fn set_buffers<T: DtlsObject>(p: *const T, recv_bytes: usize, send_bytes: usize) -> ns_result {
    guard(|| {
        handle(p, "handle")?.configure_udp(|u| {
            u.recv_buffer_size = optional_size(recv_bytes);
            u.send_buffer_size = optional_size(send_bytes);
        })
    })
}

fn set_receive<T: DtlsObject>(
    p: *const T,
    cb: ns_udp_receive_fn,
    ud: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    guard(|| {
        let object = handle(p, "handle")?;
        let ud = UserData::new(ud, free);
        let f = cb.map(|cb| {
            Arc::new(move |data: &[u8], from: SocketAddr| {
                let text = ip_text(from);
                // SAFETY: user-registered callback; `data` and the address outlive the call.
                unsafe {
                    cb(
                        ud.ptr(),
                        data.as_ptr(),
                        data.len(),
                        text.as_ptr() as *const c_char,
                        from.port(),
                    )
                }
            }) as crate::dtls::DtlsDataFn
        });
        object.set_handlers(|h| h.datagram = f);
        Ok(())
    })
}

fn set_peer<T: DtlsObject>(
    p: *const T,
    connected: bool,
    cb: ns_dtls_peer_fn,
    ud: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    guard(|| {
        let object = handle(p, "handle")?;
        let ud = UserData::new(ud, free);
        let f = cb.map(|cb| {
            Arc::new(move |peer: SocketAddr| {
                let text = ip_text(peer);
                // SAFETY: user-registered callback; the address outlives the call.
                unsafe { cb(ud.ptr(), text.as_ptr() as *const c_char, peer.port()) }
            }) as crate::dtls::DtlsPeerFn
        });
        object.set_handlers(|h| match connected {
            true => h.connected = f,
            false => h.disconnected = f,
        });
        Ok(())
    })
}

fn set_error<T: DtlsObject>(
    p: *const T,
    cb: ns_dtls_error_fn,
    ud: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    guard(|| {
        let object = handle(p, "handle")?;
        let ud = UserData::new(ud, free);
        let f = cb.map(|cb| {
            Arc::new(move |peer: Option<SocketAddr>, e: &Error| {
                let msg = CString::new(e.message().replace('\0', " ")).unwrap_or_default();
                let text = peer.map(ip_text);
                let address = text
                    .as_ref()
                    .map_or(std::ptr::null(), |t| t.as_ptr() as *const c_char);
                let port = peer.map_or(0, |p| p.port());
                // SAFETY: user-registered callback; message and address outlive the call.
                unsafe { cb(ud.ptr(), e.code().value(), msg.as_ptr(), address, port) }
            }) as crate::dtls::DtlsErrorFn
        });
        object.set_handlers(|h| h.error = f);
        Ok(())
    })
}

/// A path MTU between 256 and 65 535 bytes.
fn mtu(value: u32) -> Result<u32> {
    match value {
        256..=65_535 => Ok(value),
        _ => Err(invalid("mtu must be 256…65535 bytes")),
    }
}

fn peer(address: *const c_char, port: u16) -> Result<SocketAddr> {
    UdpServer::resolve(string(address, "address")?, port)
}

// ---------------------------------------------------------------------------------------------
// Server

/// Creates a stopped server: bind 0.0.0.0, MTU 1 400, 10 000 sessions, 300 s idle expiry. It
/// needs a certificate (`ns_dtls_server_set_tls`) before start. Release with
/// `ns_dtls_server_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_new() -> *mut ns_dtls_server {
    guard_value(std::ptr::null_mut(), || {
        super::process_setup();
        Box::into_raw(Box::new(ns_dtls_server(DtlsServer::default())))
    })
}

/// Stops the server (close_notify to every peer) and releases it. Exclusive, and waits, as
/// `ns_udp_server_free`. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_free(server: *mut ns_dtls_server) {
    // SAFETY: the pointer came from ns_dtls_server_new and is freed once, as documented.
    unsafe {
        crate::ffi::free_boxed(server, |server| {
            let _ = server.0.stop();
            server.0.set_handlers(|h| *h = DtlsHandlers::default());
        })
    }
}

/// Certificate, key and client CA from a copy of `config` (required: NULL → -1; versions and
/// ALPN are ignored; `handshake_timeout_ms` bounds each peer's handshake). Before start (else
/// -661); same for every setter below. Missing or unusable files are reported by
/// `ns_dtls_server_start` with -606 naming the file.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_set_tls(
    server: *mut ns_dtls_server,
    config: *const ns_tls_server_config,
) -> ns_result {
    guard(|| {
        let tls = super::tls::server_copy(config)?
            .ok_or_else(|| invalid("a DTLS server needs a TLS configuration"))?;
        handle(server, "server")?.0.configure(|c| c.tls = tls)
    })
}

/// Local address to bind ("0.0.0.0" by default; "::" or "::1" for IPv6).
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_set_bind_address(
    server: *mut ns_dtls_server,
    address: *const c_char,
) -> ns_result {
    guard(|| {
        let address = string(address, "address")?.to_string();
        handle(server, "server")?
            .0
            .configure(|c| c.udp.bind_address = address)
    })
}

/// Path MTU (256…65 535, default 1 400): the largest datagram sent; a send whose record would
/// not fit is refused with -642.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_set_mtu(
    server: *mut ns_dtls_server,
    bytes: u32,
) -> ns_result {
    guard(|| {
        let bytes = mtu(bytes)?;
        handle(server, "server")?.0.configure(|c| c.mtu = bytes)
    })
}

/// SO_RCVBUF / SO_SNDBUF in bytes (0: the system's default).
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_set_buffer_sizes(
    server: *mut ns_dtls_server,
    recv_bytes: usize,
    send_bytes: usize,
) -> ns_result {
    set_buffers(server, recv_bytes, send_bytes)
}

/// Sessions beyond which new peers are ignored (default 10 000; 0 → -1).
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_set_max_sessions(
    server: *mut ns_dtls_server,
    count: usize,
) -> ns_result {
    guard(|| {
        let count = positive(count, "max_sessions")?;
        handle(server, "server")?
            .0
            .configure(|c| c.max_sessions = count)
    })
}

/// A session that heard nothing for this long ends with -621 and the disconnected callback
/// (default 300 000 ms; 0 = never).
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_set_idle_timeout_ms(
    server: *mut ns_dtls_server,
    ms: u64,
) -> ns_result {
    guard(|| {
        handle(server, "server")?
            .0
            .configure(|c| c.idle_timeout = Duration::from_millis(ms))
    })
}

/// Each decrypted datagram with its sender. NULL `cb` removes it; `free` runs on `user_data`
/// once the callback is replaced and no call uses it (also for the other setters).
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_set_receive_callback(
    server: *mut ns_dtls_server,
    cb: ns_udp_receive_fn,
    user_data: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    set_receive(server, cb, user_data, free)
}

/// A peer completed its handshake.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_set_connected_callback(
    server: *mut ns_dtls_server,
    cb: ns_dtls_peer_fn,
    user_data: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    set_peer(server, true, cb, user_data, free)
}

/// A peer's session ended (close_notify, idle expiry, fatal alert, disconnect, stop).
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_set_disconnected_callback(
    server: *mut ns_dtls_server,
    cb: ns_dtls_peer_fn,
    user_data: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    set_peer(server, false, cb, user_data, free)
}

/// Errors, with the peer they concern.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_set_error_callback(
    server: *mut ns_dtls_server,
    cb: ns_dtls_error_fn,
    user_data: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    set_error(server, cb, user_data, free)
}

/// Loads the certificate and binds `port` (0: any free port, see `ns_dtls_server_port`).
/// -606 certificate missing or unusable (the message names the file); -630 address in use;
/// -661 running.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_start(server: *mut ns_dtls_server, port: u16) -> ns_result {
    guard(|| handle(server, "server")?.0.start(port))
}

/// The bound port into `*port`; -662 when not running.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_port(
    server: *const ns_dtls_server,
    port: *mut u16,
) -> ns_result {
    guard(|| {
        port_of(
            handle(server, "server")?.0.local_addr(),
            port,
            ErrorCode::ServerNotStarted,
        )
    })
}

/// Sends close_notify to every peer and stops; returns when no callback of this server runs
/// or will run again (inside one of its own callbacks it only starts the stop).
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_stop(server: *mut ns_dtls_server) -> ns_result {
    guard(|| handle(server, "server")?.0.stop())
}

/// Blocks until the server is stopped from another thread; inside a callback or on a runtime
/// thread it returns -1 at once.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_wait_for_stop(server: *const ns_dtls_server) -> ns_result {
    guard(|| handle(server, "server")?.0.wait_for_stop())
}

/// 1 while running, 0 when stopped or NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_is_running(server: *const ns_dtls_server) -> bool {
    guard_value(false, || {
        handle(server, "server").is_ok_and(|s| s.0.is_running())
    })
}

/// Encrypts `data` (copied) as one datagram to the peer `address:port`. -603 no established
/// session with it (-620 none at all); -642 over the path MTU; -643 socket buffer full; -662
/// not running.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_send_to(
    server: *const ns_dtls_server,
    address: *const c_char,
    port: u16,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| {
        let server = handle(server, "server")?;
        server.0.send_to(bytes(data, len)?, peer(address, port)?)
    })
}

/// Ends the session with `address:port` (close_notify; the disconnected callback follows).
/// -620 no session with it.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_disconnect(
    server: *const ns_dtls_server,
    address: *const c_char,
    port: u16,
) -> ns_result {
    guard(|| handle(server, "server")?.0.disconnect(peer(address, port)?))
}

/// Sessions now (handshaking ones past the cookie included); 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_session_count(server: *const ns_dtls_server) -> usize {
    guard_value(0, || {
        handle(server, "server").map_or(0, |s| s.0.session_count())
    })
}

/// Counters: datagrams and bytes of application data, sessions made and open, errors,
/// `dropped` (not DTLS, beyond `max_sessions`, or not sent: buffer full).
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_server_get_stats(
    server: *const ns_dtls_server,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(server, "server")?.0.stats()))
}

// ---------------------------------------------------------------------------------------------
// Client

/// Creates a stopped client: server certificate verified against the system roots with its
/// host name, MTU 1 400, 10 s handshake timeout, no idle expiry. Release with
/// `ns_dtls_client_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_new() -> *mut ns_dtls_client {
    guard_value(std::ptr::null_mut(), || {
        super::process_setup();
        Box::into_raw(Box::new(ns_dtls_client(DtlsClient::default())))
    })
}

/// Stops the client (close_notify) and releases it. Exclusive, and waits, as
/// `ns_udp_client_free`. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_free(client: *mut ns_dtls_client) {
    // SAFETY: the pointer came from ns_dtls_client_new and is freed once, as documented.
    unsafe {
        crate::ffi::free_boxed(client, |client| {
            let _ = client.0.stop();
            client.0.set_handlers(|h| *h = DtlsHandlers::default());
        })
    }
}

/// Verification, CA, server name, pins and client certificate from a copy of `config` (NULL:
/// the defaults; versions and ALPN are ignored). Before start (else -664); same for every
/// setter below.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_set_tls(
    client: *mut ns_dtls_client,
    config: *const ns_tls_client_config,
) -> ns_result {
    guard(|| {
        let tls = super::tls::client_copy(config)?.unwrap_or_default();
        handle(client, "client")?.0.configure(|c| c.tls = tls)
    })
}

/// Path MTU (256…65 535, default 1 400), as for the server.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_set_mtu(
    client: *mut ns_dtls_client,
    bytes: u32,
) -> ns_result {
    guard(|| {
        let bytes = mtu(bytes)?;
        handle(client, "client")?.0.configure(|c| c.mtu = bytes)
    })
}

/// SO_RCVBUF / SO_SNDBUF in bytes (0: the system's default).
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_set_buffer_sizes(
    client: *mut ns_dtls_client,
    recv_bytes: usize,
    send_bytes: usize,
) -> ns_result {
    set_buffers(client, recv_bytes, send_bytes)
}

/// The session ends with -621 when nothing was heard for this long (default 0 = never).
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_set_idle_timeout_ms(
    client: *mut ns_dtls_client,
    ms: u64,
) -> ns_result {
    guard(|| {
        handle(client, "client")?
            .0
            .configure(|c| c.idle_timeout = Duration::from_millis(ms))
    })
}

/// Each decrypted datagram from the server.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_set_receive_callback(
    client: *mut ns_dtls_client,
    cb: ns_udp_receive_fn,
    user_data: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    set_receive(client, cb, user_data, free)
}

/// The handshake completed.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_set_connected_callback(
    client: *mut ns_dtls_client,
    cb: ns_dtls_peer_fn,
    user_data: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    set_peer(client, true, cb, user_data, free)
}

/// The session ended.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_set_disconnected_callback(
    client: *mut ns_dtls_client,
    cb: ns_dtls_peer_fn,
    user_data: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    set_peer(client, false, cb, user_data, free)
}

/// Errors (the address is NULL: they concern the client's session).
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_set_error_callback(
    client: *mut ns_dtls_client,
    cb: ns_dtls_error_fn,
    user_data: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    set_error(client, cb, user_data, free)
}

/// Starts the handshake with `host:port` and returns at once; the connected or error callback
/// follows. -1 NULL/empty host or port 0; -607 malformed host; -606 unusable TLS material;
/// -664 running.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_start(
    client: *mut ns_dtls_client,
    host: *const c_char,
    port: u16,
) -> ns_result {
    guard(|| {
        handle(client, "client")?
            .0
            .start(string(host, "host")?, port)
    })
}

/// Like `ns_dtls_client_start`, but returns once the handshake succeeded or failed, with its
/// code (-606 certificate refused, -602 no answer in time, -601 port unreachable, -605 other
/// handshake failure); after a failure the client has stopped.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_start_wait(
    client: *mut ns_dtls_client,
    host: *const c_char,
    port: u16,
) -> ns_result {
    guard(|| {
        handle(client, "client")?
            .0
            .start_wait(string(host, "host")?, port)
    })
}

/// Sends close_notify and stops; returns when no callback of this client runs or will run
/// again (inside one of its own callbacks it only starts the stop).
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_stop(client: *mut ns_dtls_client) -> ns_result {
    guard(|| handle(client, "client")?.0.stop())
}

/// Blocks until the client is stopped from another thread; -1 at once inside a callback.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_wait_for_stop(client: *const ns_dtls_client) -> ns_result {
    guard(|| handle(client, "client")?.0.wait_for_stop())
}

/// 1 while running (handshaking or connected), 0 otherwise or NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_is_running(client: *const ns_dtls_client) -> bool {
    guard_value(false, || {
        handle(client, "client").is_ok_and(|c| c.0.is_running())
    })
}

/// 1 while the session is established, 0 otherwise or NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_is_connected(client: *const ns_dtls_client) -> bool {
    guard_value(false, || {
        handle(client, "client").is_ok_and(|c| c.0.is_connected())
    })
}

/// Encrypts `data` (copied) as one datagram to the server. -603 not connected; -642 over the
/// path MTU; -643 socket buffer full.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_send(
    client: *const ns_dtls_client,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| handle(client, "client")?.0.send(bytes(data, len)?))
}

/// Counters of the client's sessions.
#[no_mangle]
pub unsafe extern "C" fn ns_dtls_client_get_stats(
    client: *const ns_dtls_client,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(client, "client")?.0.stats()))
}
