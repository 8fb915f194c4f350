//! C ABI of TCP: `ns_tcp_server_*` (server.rs), `ns_tcp_client_*` (client.rs) and
//! `ns_tcp_session_*` (session.rs); this file holds their types and callback trampolines.
//!
//! Threading: every function may be called from any thread, including from inside callbacks
//! (see the contract at the top of the header). Callbacks run on runtime threads; for one
//! connection they never overlap and come in order connected → receive… → error? →
//! disconnected. Pointers passed to callbacks are valid only during the call.

mod client;
mod pool;
mod server;
mod session;

pub use client::*;
pub use pool::*;
pub use server::*;
pub use session::*;

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::{guard, handle, invalid, ns_free_fn, ns_result, UserData};
use crate::conn::{Framing, Handlers, Session};
use crate::error::{Error, Result};
use crate::tcp::{TcpClient, TcpPool, TcpServer};

/// Raw byte stream (default): no header on the wire; data arrives in chunks.
pub const NS_FRAMING_RAW: i32 = 0;
/// 4-byte big-endian length before each message; whole messages are delivered.
pub const NS_FRAMING_LENGTH_PREFIXED: i32 = 1;

/// A TCP server. Create with `ns_tcp_server_new`, release with `ns_tcp_server_free`.
pub struct ns_tcp_server(pub(super) TcpServer);

/// A TCP client. Create with `ns_tcp_client_new`, release with `ns_tcp_client_free` (never a
/// client lent by `ns_tcp_pool_acquire`).
pub struct ns_tcp_client(pub(super) TcpClient);

impl std::borrow::Borrow<TcpClient> for ns_tcp_client {
    fn borrow(&self) -> &TcpClient {
        &self.0
    }
}

/// A pool of connected clients. Create with `ns_tcp_pool_new`, release with `ns_tcp_pool_free`.
pub struct ns_tcp_pool(TcpPool<ns_tcp_client>);

/// One connection. Callbacks receive a borrowed `const ns_tcp_session *` (valid during the
/// call; never pass it to `ns_tcp_session_release`); `ns_tcp_session_retain` returns an owned
/// handle to release with `ns_tcp_session_release`.
#[repr(transparent)]
pub struct ns_tcp_session(Session);

impl ns_tcp_session {
    /// The borrowed handle of `s` handed to callbacks: the session itself, no copy.
    fn borrowed(s: &Session) -> *const ns_tcp_session {
        // repr(transparent): a `Session` and an `ns_tcp_session` have the same layout.
        s as *const Session as *const ns_tcp_session
    }
}

/// Connect or disconnect event of `session` (borrowed).
pub type ns_tcp_session_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, session: *const ns_tcp_session)>;
/// Received bytes on `session` (both borrowed): a chunk in raw mode, a whole message in framed mode.
pub type ns_tcp_receive_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        session: *const ns_tcp_session,
        data: *const u8,
        len: usize,
    ),
>;
/// An error; `session` (borrowed) is NULL for errors of no connection (connect failure, limit
/// reached).
pub type ns_tcp_error_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        session: *const ns_tcp_session,
        code: ns_result,
        message: *const c_char,
    ),
>;

fn session_fn(
    cb: ns_tcp_session_fn,
    ud: *mut c_void,
    free: ns_free_fn,
) -> Option<crate::conn::SessionFn> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |s: &Session| {
            // SAFETY: user-registered callback with its user data; the session outlives the call.
            unsafe { cb(ud.ptr(), ns_tcp_session::borrowed(s)) }
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
            // SAFETY: user-registered callback; `data` and the session outlive the call.
            unsafe {
                cb(
                    ud.ptr(),
                    ns_tcp_session::borrowed(s),
                    data.as_ptr(),
                    data.len(),
                )
            }
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
            let h = s.map_or(std::ptr::null(), ns_tcp_session::borrowed);
            // SAFETY: user-registered callback; the message and the session outlive the call.
            unsafe { cb(ud.ptr(), h, e.code().value(), msg.as_ptr()) }
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

fn framing(value: i32) -> Result<Framing> {
    match value {
        NS_FRAMING_RAW => Ok(Framing::Raw),
        NS_FRAMING_LENGTH_PREFIXED => Ok(Framing::LengthPrefixed),
        _ => Err(invalid("unknown framing")),
    }
}
