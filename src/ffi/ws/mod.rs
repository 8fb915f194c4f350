//! C ABI of WebSocket: `ns_ws_server_*` (server.rs), `ns_ws_client_*` (client.rs) and
//! `ns_ws_connection_*` (connection.rs); this file holds their types, callback trampolines and
//! the option setters servers and clients share.
//!
//! Threading as for TCP: every function from any thread, also inside callbacks. Callbacks run
//! on runtime threads; for one connection they never overlap and come in order connected →
//! message… → error? → closed (exactly once per connection reported connected). Pointers
//! passed to callbacks are valid only during the call.

mod client;
mod connection;
mod server;

pub use client::*;
pub use connection::*;
pub use server::*;

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use std::time::Duration;

use super::common::{positive, strings};
use super::tls::{ns_tls_client_config, ns_tls_server_config};
use super::{guard, handle, invalid, ns_free_fn, ns_result, string, UserData};
use crate::error::{Error, Result};
use crate::ws::{
    WsClient, WsCloseFn, WsConnFn, WsConnection, WsErrorFn, WsHandlers, WsMessageFn, WsOptions,
    WsServer,
};

/// A WebSocket server. Create with `ns_ws_server_new`, release with `ns_ws_server_free`.
pub struct ns_ws_server(WsServer);

/// A WebSocket client. Create with `ns_ws_client_new`, release with `ns_ws_client_free`.
pub struct ns_ws_client(WsClient);

/// One WebSocket connection. Callbacks receive a borrowed `const ns_ws_connection *` (valid
/// during the call; never pass it to `ns_ws_connection_release`); `ns_ws_connection_retain`,
/// `ns_ws_server_get_connection` and `ns_ws_client_get_connection` return owned handles to
/// release with `ns_ws_connection_release`.
#[repr(transparent)]
pub struct ns_ws_connection(WsConnection);

impl ns_ws_connection {
    /// The borrowed handle of `c` handed to callbacks: the connection itself, no copy.
    fn borrowed(c: &WsConnection) -> *const ns_ws_connection {
        // repr(transparent): a `WsConnection` and an `ns_ws_connection` have the same layout.
        c as *const WsConnection as *const ns_ws_connection
    }

    fn owned(c: WsConnection) -> *mut ns_ws_connection {
        Box::into_raw(Box::new(ns_ws_connection(c)))
    }
}

/// A connection (borrowed) was established, after the opening handshake.
pub type ns_ws_connection_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, connection: *const ns_ws_connection)>;
/// A whole message (fragments reassembled): `len` bytes at `data` (valid during the call),
/// text (valid UTF-8, not NUL-terminated) when `is_text`, else binary.
pub type ns_ws_message_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        connection: *const ns_ws_connection,
        data: *const u8,
        len: usize,
        is_text: bool,
    ),
>;
/// The connection ended, last, once: the close code (sent by the peer, or 1005 when its close
/// frame had none, 1006 when the connection ended without a close handshake) and the reason
/// (NUL-terminated UTF-8, "" when none).
pub type ns_ws_close_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        connection: *const ns_ws_connection,
        code: u16,
        reason: *const c_char,
    ),
>;
/// An error; `connection` is NULL for errors of no connection (refused handshake, failed
/// connect, limit reached).
pub type ns_ws_error_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        connection: *const ns_ws_connection,
        code: ns_result,
        message: *const c_char,
    ),
>;

fn connection_fn(cb: ns_ws_connection_fn, ud: *mut c_void, free: ns_free_fn) -> Option<WsConnFn> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |c: &WsConnection| {
            // SAFETY: user-registered callback; the connection outlives the call.
            unsafe { cb(ud.ptr(), ns_ws_connection::borrowed(c)) }
        }) as WsConnFn
    })
}

fn message_fn(cb: ns_ws_message_fn, ud: *mut c_void, free: ns_free_fn) -> Option<WsMessageFn> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |c: &WsConnection, data: &[u8], is_text: bool| {
            let h = ns_ws_connection::borrowed(c);
            // SAFETY: user-registered callback; `data` and the connection outlive the call.
            unsafe { cb(ud.ptr(), h, data.as_ptr(), data.len(), is_text) }
        }) as WsMessageFn
    })
}

fn close_fn(cb: ns_ws_close_fn, ud: *mut c_void, free: ns_free_fn) -> Option<WsCloseFn> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |c: &WsConnection, code: u16, reason: &str| {
            let reason = CString::new(reason.replace('\0', " ")).unwrap_or_default();
            let h = ns_ws_connection::borrowed(c);
            // SAFETY: user-registered callback; the reason and the connection outlive the call.
            unsafe { cb(ud.ptr(), h, code, reason.as_ptr()) }
        }) as WsCloseFn
    })
}

fn error_fn(cb: ns_ws_error_fn, ud: *mut c_void, free: ns_free_fn) -> Option<WsErrorFn> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |c: Option<&WsConnection>, e: &Error| {
            let msg = CString::new(e.message().replace('\0', " ")).unwrap_or_default();
            let h = c.map_or(std::ptr::null(), ns_ws_connection::borrowed);
            // SAFETY: user-registered callback; the message and the connection outlive the call.
            unsafe { cb(ud.ptr(), h, e.code().value(), msg.as_ptr()) }
        }) as WsErrorFn
    })
}

/// What the setters shared by servers and clients need of either.
trait WsObject {
    fn set_handlers(&self, f: impl FnOnce(&mut WsHandlers));
    /// Edits the options shared by both ends; fails while running.
    fn options(&self, f: impl FnOnce(&mut WsOptions)) -> Result<()>;
    fn set_path(&self, path: String) -> Result<()>;
    fn set_subprotocols(&self, names: Vec<String>) -> Result<()>;
}

/// Servers and clients hold these options under the same names.
macro_rules! ws_object {
    ($object:ty) => {
        impl WsObject for $object {
            fn set_handlers(&self, f: impl FnOnce(&mut WsHandlers)) {
                self.0.set_handlers(f)
            }
            fn options(&self, f: impl FnOnce(&mut WsOptions)) -> Result<()> {
                self.0.configure(|c| f(&mut c.ws))
            }
            fn set_path(&self, path: String) -> Result<()> {
                self.0.configure(|c| c.path = path)
            }
            fn set_subprotocols(&self, names: Vec<String>) -> Result<()> {
                self.0.configure(|c| c.subprotocols = names)
            }
        }
    };
}
ws_object!(ns_ws_server);
ws_object!(ns_ws_client);

/// Replaces one callback; on a NULL handle nothing is registered and the user data is not
/// released.
fn set_callback<T: WsObject>(object: *const T, f: impl FnOnce(&mut WsHandlers)) -> ns_result {
    guard(|| {
        handle(object, "handle")?.set_handlers(f);
        Ok(())
    })
}

fn options<T: WsObject>(object: *const T, f: impl FnOnce(&mut WsOptions)) -> ns_result {
    guard(|| handle(object, "handle")?.options(f))
}

fn max_message_size<T: WsObject>(object: *const T, bytes: usize) -> ns_result {
    guard(|| {
        let bytes = positive(bytes, "max_message_size")?;
        handle(object, "handle")?.options(|o| o.max_message_size = bytes)
    })
}

fn send_queue_limit<T: WsObject>(object: *const T, bytes: usize) -> ns_result {
    guard(|| {
        let bytes = positive(bytes, "send_queue_limit")?;
        handle(object, "handle")?.options(|o| o.send_queue_limit = bytes)
    })
}

fn keepalive<T: WsObject>(
    object: *const T,
    ping_interval_ms: u64,
    pong_timeout_ms: u64,
) -> ns_result {
    guard(|| {
        if pong_timeout_ms == 0 {
            return Err(invalid("pong timeout must be > 0"));
        }
        handle(object, "handle")?.options(|o| {
            o.ping_interval =
                (ping_interval_ms > 0).then(|| Duration::from_millis(ping_interval_ms));
            o.pong_timeout = Duration::from_millis(pong_timeout_ms);
        })
    })
}

fn close_timeout<T: WsObject>(object: *const T, ms: u64) -> ns_result {
    guard(|| {
        if ms == 0 {
            return Err(invalid("close timeout must be > 0"));
        }
        handle(object, "handle")?.options(|o| o.close_timeout = Duration::from_millis(ms))
    })
}

fn set_path<T: WsObject>(object: *const T, path: *const c_char) -> ns_result {
    guard(|| {
        let path = string(path, "path")?;
        if !path.starts_with('/') {
            return Err(invalid("path must start with '/'"));
        }
        handle(object, "handle")?.set_path(path.to_string())
    })
}

fn set_subprotocols<T: WsObject>(
    object: *const T,
    names: *const *const c_char,
    count: usize,
) -> ns_result {
    guard(|| {
        let names = strings(names, count, "subprotocol")?;
        if names.iter().any(|n| !is_token(n)) {
            return Err(invalid("a subprotocol name must be a non-empty HTTP token"));
        }
        handle(object, "handle")?.set_subprotocols(names)
    })
}

/// An HTTP token (RFC 9110 §5.6.2): what a subprotocol name must be.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// TLS on with a copy of `config`, or off with NULL.
fn server_tls(server: *const ns_ws_server, config: *const ns_tls_server_config) -> ns_result {
    guard(|| {
        let tls = super::tls::server_copy(config)?;
        handle(server, "server")?.0.configure(|c| c.tls = tls)
    })
}

fn client_tls(client: *const ns_ws_client, config: *const ns_tls_client_config) -> ns_result {
    guard(|| {
        let tls = super::tls::client_copy(config)?;
        handle(client, "client")?.0.configure(|c| c.tls = tls)
    })
}

/// Borrows `len` bytes at `data` as UTF-8 text; -1 when it is not.
fn text<'a>(data: *const u8, len: usize) -> Result<&'a str> {
    std::str::from_utf8(super::bytes(data, len)?).map_err(|_| invalid("text is not valid UTF-8"))
}
