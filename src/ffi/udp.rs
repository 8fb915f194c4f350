//! C ABI of UDP: `ns_udp_server_*`, `ns_udp_client_*`. One send is one datagram; the receive
//! callback gets each datagram whole with the sender's address. Threading as for TCP: any
//! function from any thread, callbacks on runtime threads (for one object never concurrently).

use std::ffi::{c_char, c_void, CString};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use super::common::{batch, ip_text, ns_stats, port_of, write_stats};
use super::{
    bytes, guard, guard_value, handle, invalid, ns_free_fn, ns_result, optional_string, string,
    UserData,
};
use crate::error::{Error, ErrorCode, Result};
use crate::udp::{UdpClient, UdpConfig, UdpHandlers, UdpServer};

/// Largest UDP payload over IPv4 (65535 − 20 IP − 8 UDP header bytes).
pub const NS_MAX_DATAGRAM_V4: usize = 65_507;
/// Largest UDP payload over IPv6 without jumbograms (65535 − 8 UDP header bytes).
pub const NS_MAX_DATAGRAM_V6: usize = 65_527;

/// A UDP server. Create with `ns_udp_server_new`, release with `ns_udp_server_free`.
pub struct ns_udp_server(UdpServer);

/// A UDP client. Create with `ns_udp_client_new`, release with `ns_udp_client_free`.
pub struct ns_udp_client(UdpClient);

/// One received datagram (valid during the call) and its sender (`address` NUL-terminated,
/// valid during the call).
pub type ns_udp_receive_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        data: *const u8,
        len: usize,
        address: *const c_char,
        port: u16,
    ),
>;
/// An error, e.g. -601 when an earlier datagram met ICMP "port unreachable" (client).
pub type ns_udp_error_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, code: ns_result, message: *const c_char)>;

trait UdpObject {
    fn configure(&self, f: impl FnOnce(&mut UdpConfig) -> Result<()>) -> Result<()>;
    fn set_handlers(&self, f: impl FnOnce(&mut UdpHandlers));
}

impl UdpObject for ns_udp_server {
    fn configure(&self, f: impl FnOnce(&mut UdpConfig) -> Result<()>) -> Result<()> {
        self.0.try_configure(f)
    }
    fn set_handlers(&self, f: impl FnOnce(&mut UdpHandlers)) {
        self.0.set_handlers(f)
    }
}

impl UdpObject for ns_udp_client {
    fn configure(&self, f: impl FnOnce(&mut UdpConfig) -> Result<()>) -> Result<()> {
        self.0.try_configure(f)
    }
    fn set_handlers(&self, f: impl FnOnce(&mut UdpHandlers)) {
        self.0.set_handlers(f)
    }
}

fn configure<T: UdpObject>(p: *const T, f: impl FnOnce(&mut UdpConfig) -> Result<()>) -> ns_result {
    guard(|| handle(p, "handle")?.configure(f))
}

fn set_receive<T: UdpObject>(
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
                // SAFETY: user-registered callback; `data` and the NUL-terminated address (the
                // zeroed tail of `text`) outlive the call.
                unsafe {
                    cb(
                        ud.ptr(),
                        data.as_ptr(),
                        data.len(),
                        text.as_ptr() as *const c_char,
                        from.port(),
                    )
                }
            }) as crate::udp::DatagramFn
        });
        object.set_handlers(|h| h.datagram = f);
        Ok(())
    })
}

fn set_error<T: UdpObject>(
    p: *const T,
    cb: ns_udp_error_fn,
    ud: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    guard(|| {
        let object = handle(p, "handle")?;
        let ud = UserData::new(ud, free);
        let f = cb.map(|cb| {
            Arc::new(move |e: &Error| {
                let msg = CString::new(e.message().replace('\0', " ")).unwrap_or_default();
                // SAFETY: user-registered callback; the message outlives the call.
                unsafe { cb(ud.ptr(), e.code().value(), msg.as_ptr()) }
            }) as crate::udp::UdpErrorFn
        });
        object.set_handlers(|h| h.error = f);
        Ok(())
    })
}

fn set_bind<T: UdpObject>(p: *const T, address: *const c_char) -> ns_result {
    configure(p, |c| {
        c.bind_address = string(address, "address")?.to_string();
        Ok(())
    })
}

fn set_broadcast<T: UdpObject>(p: *const T, enabled: bool) -> ns_result {
    configure(p, |c| {
        c.broadcast = enabled;
        Ok(())
    })
}

fn set_buffers<T: UdpObject>(p: *const T, recv_bytes: usize, send_bytes: usize) -> ns_result {
    configure(p, |c| {
        c.recv_buffer_size = optional_size(recv_bytes);
        c.send_buffer_size = optional_size(send_bytes);
        Ok(())
    })
}

fn set_multicast<T: UdpObject>(
    p: *const T,
    ttl: u32,
    loopback: bool,
    interface: *const c_char,
) -> ns_result {
    configure(p, |c| {
        c.multicast_ttl = Some(ttl);
        c.multicast_loop = Some(loopback);
        if !interface.is_null() {
            set_interface(c, interface)?;
        }
        Ok(())
    })
}

pub(crate) fn optional_size(n: usize) -> Option<usize> {
    (n > 0).then_some(n)
}

/// "10.0.0.1" (IPv4 multicast interface address) or "3" (IPv6 interface index).
fn set_interface(c: &mut UdpConfig, iface: *const c_char) -> Result<()> {
    let text = string(iface, "interface")?;
    if let Ok(v4) = text.parse() {
        c.multicast_interface_v4 = Some(v4);
    } else if let Ok(index) = text.parse() {
        c.multicast_interface_v6 = Some(index);
    } else {
        return Err(invalid(
            "interface must be an IPv4 address or an IPv6 interface index",
        ));
    }
    Ok(())
}

fn group(text: *const c_char) -> Result<IpAddr> {
    string(text, "group")?
        .parse()
        .map_err(|_| invalid("group must be an IP address"))
}

// ---------------------------------------------------------------------------------------------
// Server

/// Creates a stopped UDP server (bind 0.0.0.0 by default). Release with `ns_udp_server_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_new() -> *mut ns_udp_server {
    guard_value(std::ptr::null_mut(), || {
        super::process_setup();
        Box::into_raw(Box::new(ns_udp_server(UdpServer::default())))
    })
}

/// Stops the server (as `ns_udp_server_stop`) and releases it. Exclusive: no other call on
/// this handle may overlap it or follow it. It returns when no callback of this server runs or
/// will run again, except inside one of its own callbacks (see the contract at the top).
/// NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_free(server: *mut ns_udp_server) {
    // SAFETY: the pointer came from ns_udp_server_new and is freed once, as documented.
    unsafe {
        crate::ffi::free_boxed(server, |server| {
            let _ = server.0.stop();
            server.0.set_handlers(|h| *h = UdpHandlers::default());
        })
    }
}

/// Address to bind ("0.0.0.0" default, "127.0.0.1", "::", "::1"). Before start (else -661).
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_set_bind_address(
    server: *mut ns_udp_server,
    address: *const c_char,
) -> ns_result {
    set_bind(server, address)
}

/// Socket options, before start: SO_REUSEADDR (several multicast receivers on one port),
/// SO_BROADCAST, SO_RCVBUF/SO_SNDBUF bytes (0 = system default), multicast TTL/hops, multicast
/// loopback, outgoing multicast interface ("IPv4 address" or "IPv6 interface index").
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_set_reuse_address(
    server: *mut ns_udp_server,
    enabled: bool,
) -> ns_result {
    configure(server, |c| {
        c.reuse_address = enabled;
        Ok(())
    })
}

/// See `ns_udp_server_set_reuse_address`.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_set_broadcast(
    server: *mut ns_udp_server,
    enabled: bool,
) -> ns_result {
    set_broadcast(server, enabled)
}

/// See `ns_udp_server_set_reuse_address`.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_set_buffer_sizes(
    server: *mut ns_udp_server,
    recv_bytes: usize,
    send_bytes: usize,
) -> ns_result {
    set_buffers(server, recv_bytes, send_bytes)
}

/// See `ns_udp_server_set_reuse_address`.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_set_multicast(
    server: *mut ns_udp_server,
    ttl: u32,
    loopback: bool,
    interface: *const c_char,
) -> ns_result {
    set_multicast(server, ttl, loopback, interface)
}

/// Called with each datagram and its sender; any time, also while running. `free_user_data`
/// as for the TCP setters.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_set_receive_callback(
    server: *mut ns_udp_server,
    callback: ns_udp_receive_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_receive(server, callback, user_data, free_user_data)
}

/// Called on errors.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_set_error_callback(
    server: *mut ns_udp_server,
    callback: ns_udp_error_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_error(server, callback, user_data, free_user_data)
}

/// Binds and starts receiving (port 0 = any; read it with `ns_udp_server_port`). -661 when
/// running, -662 address in use or not permitted.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_start(server: *mut ns_udp_server, port: u16) -> ns_result {
    guard(|| handle(server, "server")?.0.start(port))
}

/// Writes the bound port; -660 when not running.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_port(
    server: *const ns_udp_server,
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

/// Stops receiving. It returns when no callback of this server runs or will run again, also
/// from another object's callback; inside one of its own callbacks it only starts the stop.
/// Not running → 0.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_stop(server: *mut ns_udp_server) -> ns_result {
    guard(|| handle(server, "server")?.0.stop())
}

/// Blocks until the server is stopped from another thread; inside any callback or on a runtime
/// thread it returns NS_ERR_INVALID_ARGUMENT at once (it would wait for itself).
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_wait_for_stop(server: *const ns_udp_server) -> ns_result {
    guard(|| handle(server, "server")?.0.wait_for_stop())
}

/// True between start and stop.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_is_running(server: *const ns_udp_server) -> bool {
    guard_value(false, || {
        handle(server, "server").is_ok_and(|s| s.0.is_running())
    })
}

/// Sends one datagram to `address:port`. An IP address is parsed in place (no lookup, no
/// allocation); a host name costs a DNS lookup per call (from a callback, on a thread that
/// does not hold up the runtime). -660 not running, -642 over 65507 bytes (IPv4) / 65527
/// (IPv6), -643 send buffer full (not sent), -607 bad address. A send within 10 µs of the
/// previous one joins a burst written in batches by the runtime: then NS_OK means queued (up
/// to 4 MiB) and a later failure goes to the error callback.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_send_to(
    server: *const ns_udp_server,
    address: *const c_char,
    port: u16,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| {
        let server = handle(server, "server")?;
        let to = UdpServer::resolve(string(address, "address")?, port)?;
        server.0.send_to(bytes(data, len)?, to)
    })
}

/// Sends `count` datagrams (`data[i]`, `len[i]` bytes) to `address:port` as one burst, in as
/// few system calls as the kernel allows (GSO trains of equal-sized datagrams). The arrays
/// are borrowed for the call (copied before it returns). All or nothing: errors as for
/// `ns_udp_server_send_to`, checked for every datagram before any is queued; -643 when the
/// queue (4 MiB) has no room for all. Later failures go to the error callback. Any thread.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_send_batch_to(
    server: *const ns_udp_server,
    address: *const c_char,
    port: u16,
    data: *const *const u8,
    len: *const usize,
    count: usize,
) -> ns_result {
    guard(|| {
        let server = handle(server, "server")?;
        let to = UdpServer::resolve(string(address, "address")?, port)?;
        server.0.send_batch_to(&batch(data, len, count)?, to)
    })
}

/// Joins a multicast group ("239.1.2.3", "ff02::1"); `interface` is the IPv4 address of the
/// interface (IPv4 groups) or its index (IPv6 groups), NULL for the system's choice. Running only.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_join_multicast(
    server: *mut ns_udp_server,
    group_address: *const c_char,
    interface: *const c_char,
) -> ns_result {
    guard(|| {
        let server = handle(server, "server")?;
        server.0.join_multicast(
            group(group_address)?,
            optional_string(interface, "interface")?,
        )
    })
}

/// Leaves a group joined with `ns_udp_server_join_multicast`.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_leave_multicast(
    server: *mut ns_udp_server,
    group_address: *const c_char,
    interface: *const c_char,
) -> ns_result {
    guard(|| {
        let server = handle(server, "server")?;
        server.0.leave_multicast(
            group(group_address)?,
            optional_string(interface, "interface")?,
        )
    })
}

/// Datagrams (messages_*) and bytes in/out, errors, dropped (see `ns_stats`).
#[no_mangle]
pub unsafe extern "C" fn ns_udp_server_get_stats(
    server: *const ns_udp_server,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(server, "server")?.0.stats()))
}

// ---------------------------------------------------------------------------------------------
// Client

/// Creates a stopped UDP client. Release with `ns_udp_client_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_new() -> *mut ns_udp_client {
    guard_value(std::ptr::null_mut(), || {
        super::process_setup();
        Box::into_raw(Box::new(ns_udp_client(UdpClient::default())))
    })
}

/// Stops the client (as `ns_udp_client_stop`) and releases it. Exclusive: no other call on
/// this handle may overlap it or follow it. It returns when no callback of this client runs or
/// will run again, except inside one of its own callbacks (see the contract at the top).
/// NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_free(client: *mut ns_udp_client) {
    // SAFETY: the pointer came from ns_udp_client_new and is freed once, as documented.
    unsafe {
        crate::ffi::free_boxed(client, |client| {
            let _ = client.0.stop();
            client.0.set_handlers(|h| *h = UdpHandlers::default());
        })
    }
}

/// Local address to bind (default: any address of the target's family). Before start (-664).
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_set_bind_address(
    client: *mut ns_udp_client,
    address: *const c_char,
) -> ns_result {
    set_bind(client, address)
}

/// SO_BROADCAST (to send to broadcast addresses). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_set_broadcast(
    client: *mut ns_udp_client,
    enabled: bool,
) -> ns_result {
    set_broadcast(client, enabled)
}

/// SO_RCVBUF / SO_SNDBUF in bytes (0 = system default). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_set_buffer_sizes(
    client: *mut ns_udp_client,
    recv_bytes: usize,
    send_bytes: usize,
) -> ns_result {
    set_buffers(client, recv_bytes, send_bytes)
}

/// Multicast sending: TTL/hops (0 keeps IPv4 multicast on this host), loopback, outgoing
/// interface ("IPv4 address" or "IPv6 interface index", NULL: system's choice). Before start.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_set_multicast(
    client: *mut ns_udp_client,
    ttl: u32,
    loopback: bool,
    interface: *const c_char,
) -> ns_result {
    set_multicast(client, ttl, loopback, interface)
}

/// Called with each datagram from the target.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_set_receive_callback(
    client: *mut ns_udp_client,
    callback: ns_udp_receive_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_receive(client, callback, user_data, free_user_data)
}

/// Called on errors (-601 when the target's port is unreachable; the client keeps working).
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_set_error_callback(
    client: *mut ns_udp_client,
    callback: ns_udp_error_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    set_error(client, callback, user_data, free_user_data)
}

/// Resolves `host:port`, binds and connects the socket to it. -1 empty host, -607 unresolvable,
/// -664 running.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_start(
    client: *mut ns_udp_client,
    host: *const c_char,
    port: u16,
) -> ns_result {
    guard(|| {
        handle(client, "client")?
            .0
            .start(string(host, "host")?, port)
    })
}

/// Sends to another target from now on. -663 not running, -607 unresolvable.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_set_target(
    client: *mut ns_udp_client,
    host: *const c_char,
    port: u16,
) -> ns_result {
    guard(|| {
        handle(client, "client")?
            .0
            .set_target(string(host, "host")?, port)
    })
}

/// Sends one datagram to the target. -663 not running, -642 too large, -643 send buffer full.
/// Bursts are batched as for `ns_udp_server_send_to`.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_send(
    client: *const ns_udp_client,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| handle(client, "client")?.0.send(bytes(data, len)?))
}

/// Sends `count` datagrams to the target as one burst (see `ns_udp_server_send_batch_to`).
/// -663 not running, -642 one is too large, -643 no room for all. Any thread.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_send_batch(
    client: *const ns_udp_client,
    data: *const *const u8,
    len: *const usize,
    count: usize,
) -> ns_result {
    guard(|| {
        let client = handle(client, "client")?;
        client.0.send_batch(&batch(data, len, count)?)
    })
}

/// Writes the local port; -663 when not running.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_local_port(
    client: *const ns_udp_client,
    port: *mut u16,
) -> ns_result {
    guard(|| {
        port_of(
            handle(client, "client")?.0.local_addr(),
            port,
            ErrorCode::ClientNotStarted,
        )
    })
}

/// Stops receiving; when it returns, see `ns_udp_server_stop`. Not running → 0.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_stop(client: *mut ns_udp_client) -> ns_result {
    guard(|| handle(client, "client")?.0.stop())
}

/// Blocks until the client is stopped from another thread; inside any callback or on a runtime
/// thread it returns NS_ERR_INVALID_ARGUMENT at once (it would wait for itself).
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_wait_for_stop(client: *const ns_udp_client) -> ns_result {
    guard(|| handle(client, "client")?.0.wait_for_stop())
}

/// True between start and stop.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_is_running(client: *const ns_udp_client) -> bool {
    guard_value(false, || {
        handle(client, "client").is_ok_and(|c| c.0.is_running())
    })
}

/// Datagrams (messages_*) and bytes in/out, errors, dropped.
#[no_mangle]
pub unsafe extern "C" fn ns_udp_client_get_stats(
    client: *const ns_udp_client,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(client, "client")?.0.stats()))
}
