//! C ABI of QUIC: `ns_quic_server_*` (server.rs), `ns_quic_client_*` (client.rs) and
//! `ns_quic_connection_*` (connection.rs); this file holds their types, callback trampolines
//! and the helpers behind the setters servers and clients share.
//!
//! Threading as for TCP: every function from any thread, also inside callbacks. Callbacks run
//! on runtime threads; for one connection: connected → (message | stream | datagram)… →
//! error? → closed (exactly once per connection reported connected). Stream data of one
//! stream comes in order; different streams' callbacks may interleave. Pointers passed to
//! callbacks are valid only during the call.

mod client;
mod connection;
mod server;

pub use client::*;
pub use connection::*;
pub use server::*;

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use std::time::Duration;

use super::common::{millis, ns_stats, positive, write_stats};
use super::{guard, handle, ns_free_fn, ns_result, string, UserData};
use crate::conn::Stats;
use crate::error::{Error, Result};
use crate::quic::{
    QuicClient, QuicConnFn, QuicConnection, QuicDataFn, QuicErrorFn, QuicHandlers, QuicOptions,
    QuicServer, QuicStreamFn,
};
use crate::udp::UdpConfig;

/// A QUIC server. Create with `ns_quic_server_new`, release with `ns_quic_server_free`.
pub struct ns_quic_server(QuicServer);

/// A QUIC client. Create with `ns_quic_client_new`, release with `ns_quic_client_free`.
pub struct ns_quic_client(QuicClient);

/// One QUIC connection. Callbacks receive a borrowed `const ns_quic_connection *` (valid
/// during the call; never pass it to `ns_quic_connection_release`);
/// `ns_quic_connection_retain`, `ns_quic_server_get_connection` and
/// `ns_quic_client_get_connection` return owned handles to release with
/// `ns_quic_connection_release`.
#[repr(transparent)]
pub struct ns_quic_connection(QuicConnection);

impl ns_quic_connection {
    /// The borrowed handle of `c` handed to callbacks: the connection itself, no copy.
    fn borrowed(c: &QuicConnection) -> *const ns_quic_connection {
        // repr(transparent): a `QuicConnection` and an `ns_quic_connection` share the layout.
        c as *const QuicConnection as *const ns_quic_connection
    }

    fn owned(c: QuicConnection) -> *mut ns_quic_connection {
        Box::into_raw(Box::new(ns_quic_connection(c)))
    }
}

/// A connection (borrowed) was established, or — for the closed callback — ended (last, once;
/// `ns_quic_connection_close_info` tells how).
pub type ns_quic_connection_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, connection: *const ns_quic_connection)>;
/// A whole message of the peer's `send`, or a datagram: `len` bytes at `data` (valid during
/// the call).
pub type ns_quic_data_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        connection: *const ns_quic_connection,
        data: *const u8,
        len: usize,
    ),
>;
/// The next bytes of stream `stream_id`, in order; `fin` on the last call of the stream
/// (which may carry no bytes).
pub type ns_quic_stream_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        connection: *const ns_quic_connection,
        stream_id: u64,
        data: *const u8,
        len: usize,
        fin: bool,
    ),
>;
/// An error; `connection` is NULL for errors of no connection (failed handshake, limit
/// reached).
pub type ns_quic_error_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        connection: *const ns_quic_connection,
        code: ns_result,
        message: *const c_char,
    ),
>;

fn connection_fn(
    cb: ns_quic_connection_fn,
    ud: *mut c_void,
    free: ns_free_fn,
) -> Option<QuicConnFn> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |c: &QuicConnection| {
            // SAFETY: user-registered callback; the connection outlives the call.
            unsafe { cb(ud.ptr(), ns_quic_connection::borrowed(c)) }
        }) as QuicConnFn
    })
}

fn data_fn(cb: ns_quic_data_fn, ud: *mut c_void, free: ns_free_fn) -> Option<QuicDataFn> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |c: &QuicConnection, data: &[u8]| {
            let h = ns_quic_connection::borrowed(c);
            // SAFETY: user-registered callback; `data` and the connection outlive the call.
            unsafe { cb(ud.ptr(), h, data.as_ptr(), data.len()) }
        }) as QuicDataFn
    })
}

fn stream_fn(cb: ns_quic_stream_fn, ud: *mut c_void, free: ns_free_fn) -> Option<QuicStreamFn> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |c: &QuicConnection, id: u64, data: &[u8], fin: bool| {
            let h = ns_quic_connection::borrowed(c);
            // SAFETY: user-registered callback; `data` and the connection outlive the call.
            unsafe { cb(ud.ptr(), h, id, data.as_ptr(), data.len(), fin) }
        }) as QuicStreamFn
    })
}

fn error_fn(cb: ns_quic_error_fn, ud: *mut c_void, free: ns_free_fn) -> Option<QuicErrorFn> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |c: Option<&QuicConnection>, e: &Error| {
            let msg = CString::new(e.message().replace('\0', " ")).unwrap_or_default();
            let h = c.map_or(std::ptr::null(), ns_quic_connection::borrowed);
            // SAFETY: user-registered callback; the message and the connection outlive the call.
            unsafe { cb(ud.ptr(), h, e.code().value(), msg.as_ptr()) }
        }) as QuicErrorFn
    })
}

/// What the setters shared by servers and clients need of either.
trait QuicObject {
    fn set_handlers(&self, f: impl FnOnce(&mut QuicHandlers));
    /// Edits the options shared by both ends; fails while running.
    fn options(&self, f: impl FnOnce(&mut QuicOptions, &mut UdpConfig)) -> Result<()>;
    fn options_now(&self) -> QuicOptions;
    fn stats(&self) -> Stats;
}

macro_rules! quic_object {
    ($object:ty) => {
        impl QuicObject for $object {
            fn set_handlers(&self, f: impl FnOnce(&mut QuicHandlers)) {
                self.0.set_handlers(f)
            }
            fn options(&self, f: impl FnOnce(&mut QuicOptions, &mut UdpConfig)) -> Result<()> {
                self.0.configure(|c| f(&mut c.quic, &mut c.udp))
            }
            fn options_now(&self) -> QuicOptions {
                self.0.config().quic
            }
            fn stats(&self) -> Stats {
                self.0.stats()
            }
        }
    };
}
quic_object!(ns_quic_server);
quic_object!(ns_quic_client);

fn set_transport<T: QuicObject>(
    object: *const T,
    idle_timeout_ms: u64,
    windows: (u64, u64),
    streams: (u64, u64),
) -> ns_result {
    guard(|| {
        let o = handle(object, "handle")?;
        let mut next = o.options_now();
        next.max_idle_timeout = Duration::from_millis(idle_timeout_ms);
        let d = QuicOptions::default();
        let or = |v: u64, default: u64| if v == 0 { default } else { v };
        next.initial_max_data = or(windows.0, d.initial_max_data);
        next.initial_max_stream_data = or(windows.1, d.initial_max_stream_data);
        next.max_streams_bidi = or(streams.0, d.max_streams_bidi);
        next.max_streams_uni = or(streams.1, d.max_streams_uni);
        // Out-of-range values are refused now rather than at start.
        next.transport()?;
        o.options(|q, _| *q = next)
    })
}

fn set_limits<T: QuicObject>(
    object: *const T,
    max_message_size: usize,
    send_queue_limit: usize,
    keep_alive_ms: u64,
) -> ns_result {
    guard(|| {
        let max = positive(max_message_size, "max_message_size")?;
        let queue = positive(send_queue_limit, "send_queue_limit")?;
        handle(object, "handle")?.options(|q, _| {
            q.max_message_size = max;
            q.send_queue_limit = queue;
            q.keep_alive = millis(keep_alive_ms);
        })
    })
}

fn set_send_wait<T: QuicObject>(object: *const T, ms: u64) -> ns_result {
    guard(|| {
        handle(object, "handle")?.options(|q, _| {
            q.send_wait = Duration::from_millis(ms);
        })
    })
}

fn set_socket<T: QuicObject>(
    object: *const T,
    address: *const c_char,
    recv_buffer: usize,
    send_buffer: usize,
) -> ns_result {
    guard(|| {
        let address = if address.is_null() {
            None
        } else {
            Some(string(address, "address")?.to_string())
        };
        handle(object, "handle")?.options(|_, u| {
            if let Some(a) = address {
                u.bind_address = a;
            }
            u.recv_buffer_size = (recv_buffer > 0).then_some(recv_buffer);
            u.send_buffer_size = (send_buffer > 0).then_some(send_buffer);
        })
    })
}

/// Which callback a setter replaces.
enum Slot {
    Connected(ns_quic_connection_fn),
    Message(ns_quic_data_fn),
    Stream(ns_quic_stream_fn),
    Datagram(ns_quic_data_fn),
    Closed(ns_quic_connection_fn),
    Error(ns_quic_error_fn),
}

/// Replaces one callback; on a NULL handle nothing is registered and the user data is not
/// released.
fn set_callback<T: QuicObject>(
    object: *const T,
    slot: Slot,
    ud: *mut c_void,
    free: ns_free_fn,
) -> ns_result {
    guard(|| {
        let o = handle(object, "handle")?;
        match slot {
            Slot::Connected(cb) => {
                let f = connection_fn(cb, ud, free);
                o.set_handlers(|h| h.connected = f)
            }
            Slot::Message(cb) => {
                let f = data_fn(cb, ud, free);
                o.set_handlers(|h| h.message = f)
            }
            Slot::Stream(cb) => {
                let f = stream_fn(cb, ud, free);
                o.set_handlers(|h| h.stream = f)
            }
            Slot::Datagram(cb) => {
                let f = data_fn(cb, ud, free);
                o.set_handlers(|h| h.datagram = f)
            }
            Slot::Closed(cb) => {
                let f = connection_fn(cb, ud, free);
                o.set_handlers(|h| h.closed = f)
            }
            Slot::Error(cb) => {
                let f = error_fn(cb, ud, free);
                o.set_handlers(|h| h.error = f)
            }
        }
        Ok(())
    })
}

fn stats<T: QuicObject>(object: *const T, out: *mut ns_stats) -> ns_result {
    guard(|| write_stats(out, handle(object, "handle")?.stats()))
}

/// Opens a stream on `conn` (None: not connected, -603) and writes its id into `*stream_id`.
fn open_stream(
    conn: Option<&QuicConnection>,
    unidirectional: bool,
    stream_id: *mut u64,
) -> Result<()> {
    if stream_id.is_null() {
        return Err(super::invalid("stream_id is NULL"));
    }
    let conn = conn.ok_or_else(|| {
        Error::new(
            crate::error::ErrorCode::ConnectionClosed,
            "client is not connected",
        )
    })?;
    let id = if unidirectional {
        conn.create_unidirectional_stream()?
    } else {
        conn.create_stream()?
    };
    // SAFETY: non-NULL pointer to a u64 provided by the caller.
    unsafe { *stream_id = id };
    Ok(())
}
