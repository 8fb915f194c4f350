//! C ABI of TCP: `ns_tcp_server_*`, `ns_tcp_client_*`, `ns_tcp_session_*`.
//!
//! Threading: every function may be called from any thread, including from inside callbacks.
//! Callbacks run on runtime threads; for one connection they never overlap and come in order
//! connected → receive… → error? → disconnected. Pointers passed to callbacks are valid only
//! during the call.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::{
    bytes, guard, guard_value, handle, ignore_sigpipe, invalid, ns_free_fn, ns_result, string,
    UserData,
};
use crate::conn::{ConnOptions, Framing, Handlers, Session, Stats};
use crate::error::{Error, ErrorCode, Result};
use crate::tcp::{ClientConfig, ReconnectPolicy, TcpClient, TcpServer};

/// Raw byte stream (default): no header on the wire; data arrives in chunks.
pub const NS_FRAMING_RAW: i32 = 0;
/// 4-byte big-endian length before each message; whole messages are delivered.
pub const NS_FRAMING_LENGTH_PREFIXED: i32 = 1;

/// A TCP server. Create with `ns_tcp_server_new`, release with `ns_tcp_server_free`.
pub struct ns_tcp_server(pub(super) TcpServer);

/// A TCP client. Create with `ns_tcp_client_new`, release with `ns_tcp_client_free`.
pub struct ns_tcp_client(pub(super) TcpClient);

/// One connection. Pointers passed to callbacks are borrowed (valid during the call);
/// `ns_tcp_session_retain` returns an owned handle to release with `ns_tcp_session_release`.
pub struct ns_tcp_session(Session);

/// Counters of a server, client or session. Set `struct_size = sizeof(ns_stats)` before the
/// call; the library fills at most that many bytes, so the struct can grow.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ns_stats {
    pub struct_size: usize,
    pub connections_total: u64,
    pub active_connections: u64,
    pub connections_rejected: u64,
    pub messages_in: u64,
    pub messages_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub queued_bytes: u64,
    pub errors: u64,
    /// UDP: datagrams not sent (send buffer full) + datagrams the kernel dropped (receive
    /// buffer full). 0 for TCP.
    pub dropped: u64,
}

/// Connect or disconnect event of `session` (borrowed).
pub type ns_tcp_session_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, session: *mut ns_tcp_session)>;
/// Received bytes on `session` (both borrowed): a chunk in raw mode, a whole message in framed mode.
pub type ns_tcp_receive_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        session: *mut ns_tcp_session,
        data: *const u8,
        len: usize,
    ),
>;
/// An error; `session` is NULL for errors of no connection (connect failure, limit reached).
pub type ns_tcp_error_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        session: *mut ns_tcp_session,
        code: ns_result,
        message: *const c_char,
    ),
>;

/// Calls `f` with a borrowed session handle that lives for the duration of the call.
fn with_handle<R>(s: &Session, f: impl FnOnce(*mut ns_tcp_session) -> R) -> R {
    let mut h = ns_tcp_session(s.clone());
    f(&mut h)
}

fn session_fn(
    cb: ns_tcp_session_fn,
    ud: *mut c_void,
    free: ns_free_fn,
) -> Option<crate::conn::SessionFn> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |s: &Session| {
            // SAFETY: user-registered callback with its user data; the handle outlives the call.
            with_handle(s, |h| unsafe { cb(ud.ptr(), h) })
        }) as crate::conn::SessionFn
    })
}

fn receive_fn(
    cb: ns_tcp_receive_fn,
    ud: *mut c_void,
    free: ns_free_fn,
) -> Option<crate::conn::DataFn> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |s: &Session, data: &[u8]| {
            // SAFETY: user-registered callback; `data` and the handle outlive the call.
            with_handle(s, |h| unsafe { cb(ud.ptr(), h, data.as_ptr(), data.len()) })
        }) as crate::conn::DataFn
    })
}

fn error_fn(
    cb: ns_tcp_error_fn,
    ud: *mut c_void,
    free: ns_free_fn,
) -> Option<crate::conn::ErrorFn> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |s: Option<&Session>, e: &Error| {
            let msg = CString::new(e.message().replace('\0', " ")).unwrap_or_default();
            let call = |h: *mut ns_tcp_session| {
                // SAFETY: user-registered callback; the message and handle outlive the call.
                unsafe { cb(ud.ptr(), h, e.code().value(), msg.as_ptr()) }
            };
            match s {
                Some(s) => with_handle(s, call),
                None => call(std::ptr::null_mut()),
            }
        }) as crate::conn::ErrorFn
    })
}

/// Objects whose callbacks the C ABI sets.
trait HasHandlers {
    fn set_handlers(&self, f: impl FnOnce(&mut Handlers));
}

impl HasHandlers for ns_tcp_server {
    fn set_handlers(&self, f: impl FnOnce(&mut Handlers)) {
        self.0.set_handlers(f);
    }
}

impl HasHandlers for ns_tcp_client {
    fn set_handlers(&self, f: impl FnOnce(&mut Handlers)) {
        self.0.set_handlers(f);
    }
}

/// Replaces one callback of a server or client; on a NULL handle nothing is registered and
/// the user data is not released.
fn set_callback<T: HasHandlers>(
    object: *const T,
    what: &str,
    f: impl FnOnce(&mut Handlers),
) -> ns_result {
    guard(|| {
        handle(object, what)?.set_handlers(f);
        Ok(())
    })
}

pub(super) fn write_stats(out: *mut ns_stats, s: Stats) -> Result<()> {
    if out.is_null() {
        return Err(invalid("stats is NULL"));
    }
    // SAFETY: `out` is non-NULL and the caller says it points to at least `struct_size` bytes,
    // whose first field is struct_size itself.
    let size = unsafe { std::ptr::read_unaligned(out as *const usize) };
    if size < std::mem::size_of::<usize>() {
        return Err(invalid("stats.struct_size is too small"));
    }
    let full = ns_stats {
        struct_size: size,
        connections_total: s.connections_total,
        active_connections: s.active_connections,
        connections_rejected: s.connections_rejected,
        messages_in: s.messages_in,
        messages_out: s.messages_out,
        bytes_in: s.bytes_in,
        bytes_out: s.bytes_out,
        queued_bytes: s.queued_bytes,
        errors: s.errors,
        dropped: s.dropped,
    };
    let n = size.min(std::mem::size_of::<ns_stats>());
    // SAFETY: copies n <= struct_size bytes into the caller's buffer from a local struct.
    unsafe {
        std::ptr::copy_nonoverlapping(&full as *const ns_stats as *const u8, out as *mut u8, n)
    };
    Ok(())
}

/// Copies `text` and a NUL into `buf` of `buf_len` bytes.
fn write_cstr(buf: *mut c_char, buf_len: usize, text: &[u8]) -> Result<()> {
    if buf.is_null() || buf_len < text.len() + 1 {
        return Err(invalid("buffer is NULL or too small"));
    }
    // SAFETY: `buf` has room for text.len() + 1 bytes (checked above).
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf as *mut u8, text.len());
        *buf.add(text.len()) = 0;
    }
    Ok(())
}

fn framing(value: i32) -> Result<Framing> {
    match value {
        NS_FRAMING_RAW => Ok(Framing::Raw),
        NS_FRAMING_LENGTH_PREFIXED => Ok(Framing::LengthPrefixed),
        _ => Err(invalid("unknown framing")),
    }
}

fn positive(n: usize, what: &str) -> Result<usize> {
    if n == 0 {
        Err(invalid(&format!("{what} must be > 0")))
    } else {
        Ok(n)
    }
}

fn millis(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}

fn owned(data: *const u8, len: usize, free_fn: ns_free_fn, free_ctx: *mut c_void) -> Result<Bytes> {
    struct Owned {
        data: *const u8,
        len: usize,
        _free: Arc<UserData>,
    }
    // SAFETY: the buffer is handed over to us; it is only read, from any thread.
    unsafe impl Send for Owned {}
    impl AsRef<[u8]> for Owned {
        fn as_ref(&self) -> &[u8] {
            // SAFETY: `data`/`len` were checked non-NULL on creation and stay valid until
            // `_free` runs, which happens after this struct is dropped.
            unsafe { std::slice::from_raw_parts(self.data, self.len) }
        }
    }
    let free = UserData::new(free_ctx, free_fn);
    if data.is_null() || len == 0 {
        return Err(invalid("data is NULL or empty"));
    }
    Ok(Bytes::from_owner(Owned {
        data,
        len,
        _free: free,
    }))
}

// ---------------------------------------------------------------------------------------------
// Sessions

/// Returns a new owned handle to `session` (e.g. to keep one from a callback), or NULL when
/// `session` is NULL. Release it with `ns_tcp_session_release`.
#[no_mangle]
pub extern "C" fn ns_tcp_session_retain(session: *const ns_tcp_session) -> *mut ns_tcp_session {
    guard_value(std::ptr::null_mut(), || match handle(session, "session") {
        Ok(s) => Box::into_raw(Box::new(ns_tcp_session(s.0.clone()))),
        Err(_) => std::ptr::null_mut(),
    })
}

/// Releases a handle from `ns_tcp_session_retain` (NULL is a no-op). Never pass the borrowed
/// pointer a callback received.
#[no_mangle]
pub extern "C" fn ns_tcp_session_release(session: *mut ns_tcp_session) {
    guard_value((), || {
        if !session.is_null() {
            // SAFETY: the pointer came from ns_tcp_session_retain (Box::into_raw) and is
            // released once, as documented.
            drop(unsafe { Box::from_raw(session) });
        }
    })
}

/// Process-unique id of the session (never reused); 0 when `session` is NULL.
#[no_mangle]
pub extern "C" fn ns_tcp_session_id(session: *const ns_tcp_session) -> u64 {
    guard_value(0, || handle(session, "session").map_or(0, |s| s.0.id()))
}

/// Queues a copy of `len` bytes. -1 for NULL/empty; -603 when closed; -642 over
/// max_message_size (framed); -643 when the send queue is full.
#[no_mangle]
pub extern "C" fn ns_tcp_session_send(
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
pub extern "C" fn ns_tcp_session_send_batch(
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

/// Borrows `count` (pointer, length) pairs as slices.
fn batch<'a>(data: *const *const u8, len: *const usize, count: usize) -> Result<Vec<&'a [u8]>> {
    if count == 0 || data.is_null() || len.is_null() {
        return Err(invalid("empty batch or NULL arrays"));
    }
    // SAFETY: the caller guarantees `data` and `len` point to `count` elements each.
    let (ptrs, lens) = unsafe {
        (
            std::slice::from_raw_parts(data, count),
            std::slice::from_raw_parts(len, count),
        )
    };
    ptrs.iter().zip(lens).map(|(&p, &n)| bytes(p, n)).collect()
}

/// Queues `data` without copying. The library owns the buffer from this call on, whatever
/// the result: it calls `free_fn(free_ctx)` exactly once (on failure, before returning) on
/// any thread. `free_fn` may be NULL for static data.
#[no_mangle]
pub extern "C" fn ns_tcp_session_send_owned(
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
pub extern "C" fn ns_tcp_session_close(session: *const ns_tcp_session) -> ns_result {
    guard(|| {
        handle(session, "session")?.0.close();
        Ok(())
    })
}

/// True while the session is open; false for NULL.
#[no_mangle]
pub extern "C" fn ns_tcp_session_is_connected(session: *const ns_tcp_session) -> bool {
    guard_value(false, || {
        handle(session, "session").is_ok_and(|s| s.0.is_connected())
    })
}

/// Writes the peer's IP address (NUL-terminated) into `buf` of `buf_len` bytes and its port
/// into `*port` (may be NULL). -1 for NULL arguments or a buffer too small (46 bytes suffice).
#[no_mangle]
pub extern "C" fn ns_tcp_session_remote_endpoint(
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
pub extern "C" fn ns_tcp_session_tls_version(
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
pub extern "C" fn ns_tcp_session_alpn(
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
pub extern "C" fn ns_tcp_session_set_user_data(
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
pub extern "C" fn ns_tcp_session_get_user_data(session: *const ns_tcp_session) -> *mut c_void {
    guard_value(std::ptr::null_mut(), || {
        handle(session, "session").map_or(std::ptr::null_mut(), |s| s.0.user_tag() as *mut c_void)
    })
}

/// Counters of this session (see `ns_stats`).
#[no_mangle]
pub extern "C" fn ns_tcp_session_get_stats(
    session: *const ns_tcp_session,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(session, "session")?.0.stats()))
}

// ---------------------------------------------------------------------------------------------
// Server

/// Creates a stopped server with default options (bind 0.0.0.0, raw framing). NULL only if
/// the runtime cannot start. Release with `ns_tcp_server_free`.
#[no_mangle]
pub extern "C" fn ns_tcp_server_new() -> *mut ns_tcp_server {
    guard_value(std::ptr::null_mut(), || {
        ignore_sigpipe();
        Box::into_raw(Box::new(ns_tcp_server(TcpServer::default())))
    })
}

/// Stops (see `ns_tcp_server_stop`) and releases the server; no callback is called after it
/// returns, except ones already running when it is called from inside a callback. NULL is a
/// no-op. Registered user-data free functions run once their callbacks are done.
#[no_mangle]
pub extern "C" fn ns_tcp_server_free(server: *mut ns_tcp_server) {
    guard_value((), || {
        if !server.is_null() {
            // SAFETY: the pointer came from ns_tcp_server_new and is freed once, as documented.
            let server = unsafe { Box::from_raw(server) };
            // Stop first so a blocking free still reports disconnections; then no new
            // callback may start.
            let _ = server.0.stop();
            server.0.set_handlers(|h| *h = Handlers::default());
            drop(server);
        }
    })
}

fn server_conn(
    server: *const ns_tcp_server,
    f: impl FnOnce(&mut ConnOptions) -> Result<()>,
) -> ns_result {
    guard(|| {
        let mut result = Ok(());
        handle(server, "server")?
            .0
            .configure(|c| result = f(&mut c.conn))?;
        result
    })
}

/// Framing: NS_FRAMING_RAW (default) or NS_FRAMING_LENGTH_PREFIXED. Before start (else -661).
#[no_mangle]
pub extern "C" fn ns_tcp_server_set_framing(
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
pub extern "C" fn ns_tcp_server_set_max_message_size(
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
pub extern "C" fn ns_tcp_server_set_send_queue_limit(
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
pub extern "C" fn ns_tcp_server_set_idle_timeout_ms(
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
pub extern "C" fn ns_tcp_server_set_no_delay(
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
pub extern "C" fn ns_tcp_server_set_keepalive_ms(server: *mut ns_tcp_server, ms: u64) -> ns_result {
    server_conn(server, |o| {
        o.keepalive = millis(ms);
        Ok(())
    })
}

/// How long a graceful close flushes queued data (default 1000 ms). Before start.
#[no_mangle]
pub extern "C" fn ns_tcp_server_set_linger_ms(server: *mut ns_tcp_server, ms: u64) -> ns_result {
    server_conn(server, |o| {
        o.linger = Duration::from_millis(ms);
        Ok(())
    })
}

/// Maximum concurrent sessions (default 10000; > 0); excess connections are closed at once,
/// counted in `connections_rejected` and reported with -623. Before start.
#[no_mangle]
pub extern "C" fn ns_tcp_server_set_max_connections(
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
pub extern "C" fn ns_tcp_server_set_bind_address(
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
pub extern "C" fn ns_tcp_server_set_connection_callback(
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
pub extern "C" fn ns_tcp_server_set_receive_callback(
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
pub extern "C" fn ns_tcp_server_set_disconnection_callback(
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
pub extern "C" fn ns_tcp_server_set_error_callback(
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
pub extern "C" fn ns_tcp_server_start(server: *mut ns_tcp_server, port: u16) -> ns_result {
    guard(|| handle(server, "server")?.0.start(port))
}

/// Writes the bound port into `*port`. -660 when not running.
#[no_mangle]
pub extern "C" fn ns_tcp_server_port(server: *const ns_tcp_server, port: *mut u16) -> ns_result {
    guard(|| {
        let addr = handle(server, "server")?
            .0
            .local_addr()
            .ok_or_else(|| Error::new(ErrorCode::ServerNotStarted, "server is not running"))?;
        if port.is_null() {
            return Err(invalid("port is NULL"));
        }
        // SAFETY: non-NULL pointer to a u16 provided by the caller.
        unsafe { *port = addr.port() };
        Ok(())
    })
}

/// Stops accepting and closes every session gracefully. From outside a callback it returns
/// when no callback of this server runs or will run again (the user data may then be freed);
/// from inside a callback it only starts the stop. Not running → 0.
#[no_mangle]
pub extern "C" fn ns_tcp_server_stop(server: *mut ns_tcp_server) -> ns_result {
    guard(|| handle(server, "server")?.0.stop())
}

/// Blocks until the server is stopped by `ns_tcp_server_stop` from another thread. Returns at
/// once when it is not running. Do not call it from a callback of this server.
#[no_mangle]
pub extern "C" fn ns_tcp_server_wait_for_stop(server: *const ns_tcp_server) -> ns_result {
    guard(|| {
        handle(server, "server")?.0.wait_for_stop();
        Ok(())
    })
}

/// True between a successful start and stop.
#[no_mangle]
pub extern "C" fn ns_tcp_server_is_running(server: *const ns_tcp_server) -> bool {
    guard_value(false, || {
        handle(server, "server").is_ok_and(|s| s.0.is_running())
    })
}

/// Number of open sessions (0 for NULL).
#[no_mangle]
pub extern "C" fn ns_tcp_server_session_count(server: *const ns_tcp_server) -> usize {
    guard_value(0, || {
        handle(server, "server").map_or(0, |s| s.0.session_count())
    })
}

/// Sends a copy of `data` to the session with `session_id`; -620 when there is none.
#[no_mangle]
pub extern "C" fn ns_tcp_server_send(
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
pub extern "C" fn ns_tcp_server_close_session(
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
pub extern "C" fn ns_tcp_server_get_stats(
    server: *const ns_tcp_server,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(server, "server")?.0.stats()))
}

// ---------------------------------------------------------------------------------------------
// Client

/// Creates a stopped client with default options. Release with `ns_tcp_client_free`.
#[no_mangle]
pub extern "C" fn ns_tcp_client_new() -> *mut ns_tcp_client {
    guard_value(std::ptr::null_mut(), || {
        ignore_sigpipe();
        Box::into_raw(Box::new(ns_tcp_client(TcpClient::default())))
    })
}

/// Stops (see `ns_tcp_client_stop`) and releases the client. NULL is a no-op.
#[no_mangle]
pub extern "C" fn ns_tcp_client_free(client: *mut ns_tcp_client) {
    guard_value((), || {
        if !client.is_null() {
            // SAFETY: the pointer came from ns_tcp_client_new and is freed once, as documented.
            let client = unsafe { Box::from_raw(client) };
            // Stop first so a blocking free still reports disconnections; then no new
            // callback may start.
            let _ = client.0.stop();
            client.0.set_handlers(|h| *h = Handlers::default());
            drop(client);
        }
    })
}

fn client_cfg(
    client: *const ns_tcp_client,
    f: impl FnOnce(&mut ClientConfig) -> Result<()>,
) -> ns_result {
    guard(|| {
        let mut result = Ok(());
        handle(client, "client")?.0.configure(|c| result = f(c))?;
        result
    })
}

/// Framing: NS_FRAMING_RAW (default) or NS_FRAMING_LENGTH_PREFIXED. Before start (else -664).
#[no_mangle]
pub extern "C" fn ns_tcp_client_set_framing(
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
pub extern "C" fn ns_tcp_client_set_max_message_size(
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
pub extern "C" fn ns_tcp_client_set_send_queue_limit(
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
pub extern "C" fn ns_tcp_client_set_idle_timeout_ms(
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
pub extern "C" fn ns_tcp_client_set_no_delay(
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
pub extern "C" fn ns_tcp_client_set_keepalive_ms(client: *mut ns_tcp_client, ms: u64) -> ns_result {
    client_cfg(client, |c| {
        c.conn.keepalive = millis(ms);
        Ok(())
    })
}

/// How long a graceful close flushes queued data (default 1000 ms). Before start.
#[no_mangle]
pub extern "C" fn ns_tcp_client_set_linger_ms(client: *mut ns_tcp_client, ms: u64) -> ns_result {
    client_cfg(client, |c| {
        c.conn.linger = Duration::from_millis(ms);
        Ok(())
    })
}

/// Time allowed for resolve + connect (default 10000 ms; > 0); exceeded → -602. Before start.
#[no_mangle]
pub extern "C" fn ns_tcp_client_set_connect_timeout_ms(
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
pub extern "C" fn ns_tcp_client_set_reconnect(
    client: *mut ns_tcp_client,
    enabled: bool,
    initial_delay_ms: u64,
    max_delay_ms: u64,
    max_attempts: u32,
    jitter_percent: u32,
) -> ns_result {
    client_cfg(client, |c| {
        if !enabled {
            c.reconnect = None;
            return Ok(());
        }
        if initial_delay_ms == 0 || max_delay_ms < initial_delay_ms || jitter_percent > 100 {
            return Err(invalid(
                "need 0 < initial_delay_ms <= max_delay_ms and jitter_percent <= 100",
            ));
        }
        c.reconnect = Some(ReconnectPolicy {
            initial_delay: Duration::from_millis(initial_delay_ms),
            max_delay: Duration::from_millis(max_delay_ms),
            max_attempts,
            jitter: f64::from(jitter_percent) / 100.0,
        });
        Ok(())
    })
}

/// Called when a connection is established (once per connection), before any data. The
/// session is the client's connection. `free_user_data` as for the server setters.
#[no_mangle]
pub extern "C" fn ns_tcp_client_set_connected_callback(
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
pub extern "C" fn ns_tcp_client_set_receive_callback(
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
pub extern "C" fn ns_tcp_client_set_disconnected_callback(
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
pub extern "C" fn ns_tcp_client_set_error_callback(
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
pub extern "C" fn ns_tcp_client_start(
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
pub extern "C" fn ns_tcp_client_start_wait(
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
pub extern "C" fn ns_tcp_client_get_session(client: *const ns_tcp_client) -> *mut ns_tcp_session {
    guard_value(std::ptr::null_mut(), || {
        handle(client, "client")
            .ok()
            .and_then(|c| c.0.session())
            .map_or(std::ptr::null_mut(), |s| {
                Box::into_raw(Box::new(ns_tcp_session(s)))
            })
    })
}

/// Stops connecting and closes the connection gracefully. From outside a callback it returns
/// when no callback of this client runs or will run again; inside one it only starts the stop.
/// Not running → 0.
#[no_mangle]
pub extern "C" fn ns_tcp_client_stop(client: *mut ns_tcp_client) -> ns_result {
    guard(|| handle(client, "client")?.0.stop())
}

/// Blocks until the client is stopped: by `ns_tcp_client_stop` from another thread, or by
/// itself (connection lost or connect failed without reconnect, attempts exhausted).
#[no_mangle]
pub extern "C" fn ns_tcp_client_wait_for_stop(client: *const ns_tcp_client) -> ns_result {
    guard(|| {
        handle(client, "client")?.0.wait_for_stop();
        Ok(())
    })
}

/// True between start and stop (including while connecting or waiting to reconnect).
#[no_mangle]
pub extern "C" fn ns_tcp_client_is_running(client: *const ns_tcp_client) -> bool {
    guard_value(false, || {
        handle(client, "client").is_ok_and(|c| c.0.is_running())
    })
}

/// True while a connection is established.
#[no_mangle]
pub extern "C" fn ns_tcp_client_is_connected(client: *const ns_tcp_client) -> bool {
    guard_value(false, || {
        handle(client, "client").is_ok_and(|c| c.0.is_connected())
    })
}

/// Queues a copy of `data`; -603 when not connected (nothing is buffered), other errors as
/// `ns_tcp_session_send`.
#[no_mangle]
pub extern "C" fn ns_tcp_client_send(
    client: *const ns_tcp_client,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| handle(client, "client")?.0.send(bytes(data, len)?))
}

/// Queues `count` messages at once; see `ns_tcp_session_send_batch`. -603 when not connected.
#[no_mangle]
pub extern "C" fn ns_tcp_client_send_batch(
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
pub extern "C" fn ns_tcp_client_send_owned(
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
pub extern "C" fn ns_tcp_client_get_stats(
    client: *const ns_tcp_client,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, handle(client, "client")?.0.stats()))
}
