//! The C ABI (ARCHITECTURE §4). Every function: argument checks → safe API → result code.
//! No function lets a panic cross the boundary; NULL or invalid arguments give
//! `NS_ERR_INVALID_ARGUMENT` (-1). Error details: `ns_last_error_message`.

#![allow(non_camel_case_types)]
// Every entry point is `unsafe extern "C"`: it takes raw pointers whose validity only the
// caller can promise. The promise is the same for all of them and written once, in the
// contract at the top of the generated header (and each function's doc names what it borrows
// or takes over), so no function repeats it in a `# Safety` section.
#![allow(clippy::missing_safety_doc)]
// Inside them, each operation that relies on that promise still sits in its own `unsafe`
// block with a SAFETY comment.
#![deny(unsafe_op_in_unsafe_fn)]

pub(crate) mod common;
mod dtls;
pub(crate) mod dtls_engine;
mod http;
mod metrics;
mod quic;
pub(crate) mod sockopt;
mod tcp;
mod timer;
mod tls;
mod udp;
mod ws;

pub use common::ns_stats;
pub use dtls::*;
pub use http::*;
pub use metrics::*;
pub use quic::*;
pub use tcp::*;
pub use timer::*;
pub use tls::*;
pub use udp::*;
pub use ws::*;

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;

/// 0 on success, a negative `NS_ERR_*` code otherwise.
pub type ns_result = i32;

pub const NS_VERSION_MAJOR: u32 = 0;
pub const NS_VERSION_MINOR: u32 = 1;
pub const NS_VERSION_PATCH: u32 = 0;

pub const NS_OK: ns_result = 0;
pub const NS_ERR_INVALID_ARGUMENT: ns_result = -1;
pub const NS_ERR_NOT_FOUND: ns_result = -2;
pub const NS_ERR_PERMISSION_DENIED: ns_result = -3;
pub const NS_ERR_TIMEOUT: ns_result = -4;
pub const NS_ERR_CANCELLED: ns_result = -5;
pub const NS_ERR_NOT_INITIALIZED: ns_result = -6;
pub const NS_ERR_ALREADY_EXISTS: ns_result = -7;
pub const NS_ERR_OUT_OF_MEMORY: ns_result = -8;
pub const NS_ERR_IO_ERROR: ns_result = -9;
pub const NS_ERR_NETWORK_ERROR: ns_result = -10;
pub const NS_ERR_INTERNAL: ns_result = -99;
pub const NS_ERR_CONNECTION_FAILED: ns_result = -600;
pub const NS_ERR_CONNECTION_REFUSED: ns_result = -601;
pub const NS_ERR_CONNECTION_TIMEOUT: ns_result = -602;
pub const NS_ERR_CONNECTION_CLOSED: ns_result = -603;
pub const NS_ERR_CIRCUIT_OPEN: ns_result = -604;
pub const NS_ERR_TLS_HANDSHAKE_FAILED: ns_result = -605;
pub const NS_ERR_CERTIFICATE_ERROR: ns_result = -606;
pub const NS_ERR_ADDRESS_RESOLUTION_FAILED: ns_result = -607;
pub const NS_ERR_SESSION_NOT_FOUND: ns_result = -620;
pub const NS_ERR_SESSION_EXPIRED: ns_result = -621;
pub const NS_ERR_INVALID_SESSION: ns_result = -622;
pub const NS_ERR_SESSION_LIMIT_REACHED: ns_result = -623;
pub const NS_ERR_SEND_FAILED: ns_result = -640;
pub const NS_ERR_RECEIVE_FAILED: ns_result = -641;
pub const NS_ERR_MESSAGE_TOO_LARGE: ns_result = -642;
pub const NS_ERR_SEND_QUEUE_FULL: ns_result = -643;
pub const NS_ERR_PROTOCOL_ERROR: ns_result = -644;
pub const NS_ERR_SERVER_NOT_STARTED: ns_result = -660;
pub const NS_ERR_SERVER_ALREADY_RUNNING: ns_result = -661;
pub const NS_ERR_BIND_FAILED: ns_result = -662;
pub const NS_ERR_CLIENT_NOT_STARTED: ns_result = -663;
pub const NS_ERR_CLIENT_ALREADY_RUNNING: ns_result = -664;
pub const NS_ERR_STREAM_LIMIT_REACHED: ns_result = -680;
pub const NS_ERR_STREAM_CLOSED: ns_result = -681;
pub const NS_ERR_CLOSED_BY_PEER: ns_result = -682;

/// Log levels for `ns_set_log_callback`.
pub const NS_LOG_OFF: i32 = 0;
pub const NS_LOG_ERROR: i32 = 1;
pub const NS_LOG_WARN: i32 = 2;
pub const NS_LOG_INFO: i32 = 3;
pub const NS_LOG_DEBUG: i32 = 4;
pub const NS_LOG_TRACE: i32 = 5;

/// Releases user data handed to the library (see the callback setters and `*_send_owned`).
pub type ns_free_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// Receives log records: level (`NS_LOG_*`), target (module) and message, valid during the call.
pub type ns_log_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: i32,
        target: *const c_char,
        message: *const c_char,
    ),
>;

thread_local! {
    /// The last error message of this thread, NUL-terminated ("" after a success).
    static LAST_ERROR: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Stores `msg` as this thread's last error. Clearing allocates nothing; during thread-local
/// teardown (a C++ `thread_local` destructor calling us) the message is simply not kept.
fn set_last_error(msg: &str) {
    let _ = LAST_ERROR.try_with(|e| {
        let mut e = e.borrow_mut();
        e.clear();
        e.extend(msg.bytes().map(|b| if b == 0 { b' ' } else { b }));
        e.push(0);
    });
}

/// Runs `f` behind the panic guard and maps its result to a code (ARCHITECTURE §4). In a
/// child process after `fork()` it returns `NS_ERR_NOT_INITIALIZED` without running `f`.
pub(crate) fn guard(f: impl FnOnce() -> Result<()>) -> ns_result {
    let outcome = match crate::runtime::usable() {
        Ok(()) => catch_unwind(AssertUnwindSafe(f)),
        Err(e) => Ok(Err(e)),
    };
    match outcome {
        Ok(Ok(())) => {
            set_last_error("");
            NS_OK
        }
        Ok(Err(e)) => {
            set_last_error(e.message());
            e.code().value()
        }
        Err(_) => {
            set_last_error("internal error: a panic was caught at the C boundary");
            crate::ns_log!(Level::Error, "panic caught at the C boundary");
            NS_ERR_INTERNAL
        }
    }
}

/// Like `guard` for functions that return a value; `fallback` on panic, and in a child
/// process after `fork()` (then the last error says why).
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    if let Err(e) = crate::runtime::usable() {
        set_last_error(e.message());
        return fallback;
    }
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        crate::ns_log!(Level::Error, "panic caught at the C boundary");
        fallback
    })
}

/// What every `_free`/`_release` does behind the panic guard: NULL is a no-op; otherwise
/// `finish` runs on the object (stop it, drop its callbacks) and then it is released.
///
/// # Safety
/// `p` is NULL or came from `Box::into_raw` in this library and is not used again.
pub(crate) unsafe fn free_boxed<T>(p: *mut T, finish: impl FnOnce(&T)) {
    guard_value((), || {
        if !p.is_null() {
            // SAFETY: the caller's promise (above).
            let owned = unsafe { Box::from_raw(p) };
            finish(&owned);
        }
    })
}

pub(crate) fn invalid(what: &str) -> Error {
    Error::new(ErrorCode::InvalidArgument, what)
}

/// Borrows a handle, or fails with -1 when it is NULL.
pub(crate) fn handle<'a, T>(p: *const T, what: &str) -> Result<&'a T> {
    // SAFETY: the caller passes NULL or a pointer obtained from this library that it has not
    // freed (documented on every function); NULL is refused here.
    unsafe { p.as_ref() }.ok_or_else(|| invalid(&format!("{what} is NULL")))
}

/// Borrows `len` bytes at `data`; NULL with non-zero length is refused.
pub(crate) fn bytes<'a>(data: *const u8, len: usize) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(invalid("data is NULL"));
    }
    // SAFETY: the caller guarantees `data` points to `len` readable bytes for this call.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Borrows an optional NUL-terminated UTF-8 string (None for NULL).
pub(crate) fn optional_string<'a>(s: *const c_char, what: &str) -> Result<Option<&'a str>> {
    match s.is_null() {
        true => Ok(None),
        false => string(s, what).map(Some),
    }
}

/// Borrows an optional close or disconnect reason ("" for NULL).
pub(crate) fn reason<'a>(reason: *const c_char) -> Result<&'a str> {
    optional_string(reason, "reason").map(Option::unwrap_or_default)
}

/// Borrows a NUL-terminated UTF-8 string.
pub(crate) fn string<'a>(s: *const c_char, what: &str) -> Result<&'a str> {
    if s.is_null() {
        return Err(invalid(&format!("{what} is NULL")));
    }
    // SAFETY: the caller guarantees a NUL-terminated string valid for this call.
    unsafe { CStr::from_ptr(s) }
        .to_str()
        .map_err(|_| invalid(&format!("{what} is not valid UTF-8")))
}

/// A user pointer passed back to C callbacks; `free` (if any) runs when the last callback
/// holding it is dropped.
pub(crate) struct UserData {
    ptr: *mut c_void,
    free: ns_free_fn,
}

// SAFETY: the pointer is opaque to us and only handed back to the user's callbacks; the C API
// documents that callbacks run on runtime threads, so the user makes it thread-safe.
unsafe impl Send for UserData {}
// SAFETY: as above; we never dereference it.
unsafe impl Sync for UserData {}

impl UserData {
    pub fn new(ptr: *mut c_void, free: ns_free_fn) -> Arc<UserData> {
        Arc::new(UserData { ptr, free })
    }

    pub fn ptr(&self) -> *mut c_void {
        self.ptr
    }
}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the user registered `free` for `ptr`; it runs exactly once, here.
            unsafe { free(self.ptr) }
        }
    }
}

/// Process-wide setup, once, when the first object is created through the C ABI:
/// - SIGPIPE: writing to a connection the peer has closed raises it, which kills a C or C++
///   process by default (Rust programs ignore it from startup); it is set to ignored unless
///   the application installed its own handler.
/// - `fork()`: a child inherits the runtime without its threads; a `pthread_atfork` child
///   handler marks the library unusable there (every call returns `NS_ERR_NOT_INITIALIZED`).
/// - exit: an `atexit` hook stops every user callback once the process is exiting, so none
///   runs while static objects are being destroyed.
pub(crate) fn process_setup() {
    extern "C" fn forked_child() {
        crate::runtime::mark_forked();
    }
    extern "C" fn exiting() {
        crate::runtime::mark_exiting();
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sigaction with a zeroed struct reads the current disposition; we replace it
        // only when it is the default, with SIG_IGN (async-signal-safe, no handler code).
        // pthread_atfork and atexit register plain functions that only store an atomic flag
        // (async-signal-safe in the fork child).
        unsafe {
            let mut current: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut current) == 0
                && current.sa_sigaction == libc::SIG_DFL
            {
                let mut ignore: libc::sigaction = std::mem::zeroed();
                ignore.sa_sigaction = libc::SIG_IGN;
                libc::sigaction(libc::SIGPIPE, &ignore, std::ptr::null_mut());
            }
            libc::pthread_atfork(None, None, Some(forked_child));
            libc::atexit(exiting);
        }
    });
}

/// Version string, e.g. "0.1.0". Static storage; never free it. Any thread.
#[no_mangle]
pub unsafe extern "C" fn ns_version() -> *const c_char {
    static V: &CStr = c"0.1.0";
    V.as_ptr()
}

/// Name of an error code, e.g. "connection_closed", or "unknown_error". Static storage;
/// never free it. Any thread.
#[no_mangle]
pub unsafe extern "C" fn ns_error_name(code: ns_result) -> *const c_char {
    static NAMES: OnceLock<HashMap<i32, CString>> = OnceLock::new();
    // Works in a fork child too: static data only.
    let unknown = c"unknown_error".as_ptr();
    catch_unwind(|| {
        let names = NAMES.get_or_init(|| {
            ErrorCode::ALL
                .iter()
                .map(|c| (c.value(), CString::new(c.name()).unwrap_or_default()))
                .collect()
        });
        names.get(&code).map_or(unknown, |n| n.as_ptr())
    })
    .unwrap_or(unknown)
}

/// Message of the last failed call on this thread ("" after a successful call).
/// Valid until the next library call on this thread; never free it.
#[no_mangle]
pub unsafe extern "C" fn ns_last_error_message() -> *const c_char {
    LAST_ERROR
        .try_with(|e| {
            let e = e.borrow();
            if e.is_empty() {
                c"".as_ptr()
            } else {
                e.as_ptr() as *const c_char
            }
        })
        .unwrap_or(c"".as_ptr())
}

/// Sets the number of runtime worker threads. Call before creating any object; afterwards
/// it fails with NS_ERR_ALREADY_EXISTS. 0 or more than 1024 → NS_ERR_INVALID_ARGUMENT.
/// Default: env NETWORK_SYSTEM_WORKER_THREADS, else the number of cores.
#[no_mangle]
pub unsafe extern "C" fn ns_runtime_configure(worker_threads: usize) -> ns_result {
    guard(|| crate::runtime::configure(worker_threads))
}

/// Starts the shared runtime now instead of on first use (optional).
#[no_mangle]
pub unsafe extern "C" fn ns_runtime_init() -> ns_result {
    guard(|| {
        process_setup();
        crate::runtime::handle().map(|_| ())
    })
}

/// Routes log records up to `level` (NS_LOG_*) to `callback` with `user_data`; a NULL
/// callback restores the default (stderr when env NETWORK_SYSTEM_LOG is set, else silent).
/// The callback runs on any thread, possibly concurrently; `user_data` must stay valid until
/// the callback is replaced.
#[no_mangle]
pub unsafe extern "C" fn ns_set_log_callback(
    level: i32,
    callback: ns_log_fn,
    user_data: *mut c_void,
) -> ns_result {
    guard(|| {
        let level = Level::from_value(level).ok_or_else(|| invalid("unknown log level"))?;
        let sink: Option<crate::log::Sink> = callback.map(|cb| {
            let ud = UserData::new(user_data, None);
            Arc::new(move |lvl: Level, target: &str, msg: &str| {
                let target = CString::new(target.replace('\0', " ")).unwrap_or_default();
                let msg = CString::new(msg.replace('\0', " ")).unwrap_or_default();
                // SAFETY: the user registered `cb` for `user_data`; strings live for the call.
                unsafe { cb(ud.ptr(), lvl as i32, target.as_ptr(), msg.as_ptr()) }
            }) as crate::log::Sink
        });
        crate::log::set_sink(level, sink);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_the_error_table() {
        let consts = [
            NS_OK,
            NS_ERR_INVALID_ARGUMENT,
            NS_ERR_NOT_FOUND,
            NS_ERR_PERMISSION_DENIED,
            NS_ERR_TIMEOUT,
            NS_ERR_CANCELLED,
            NS_ERR_NOT_INITIALIZED,
            NS_ERR_ALREADY_EXISTS,
            NS_ERR_OUT_OF_MEMORY,
            NS_ERR_IO_ERROR,
            NS_ERR_NETWORK_ERROR,
            NS_ERR_INTERNAL,
            NS_ERR_CONNECTION_FAILED,
            NS_ERR_CONNECTION_REFUSED,
            NS_ERR_CONNECTION_TIMEOUT,
            NS_ERR_CONNECTION_CLOSED,
            NS_ERR_CIRCUIT_OPEN,
            NS_ERR_TLS_HANDSHAKE_FAILED,
            NS_ERR_CERTIFICATE_ERROR,
            NS_ERR_ADDRESS_RESOLUTION_FAILED,
            NS_ERR_SESSION_NOT_FOUND,
            NS_ERR_SESSION_EXPIRED,
            NS_ERR_INVALID_SESSION,
            NS_ERR_SESSION_LIMIT_REACHED,
            NS_ERR_SEND_FAILED,
            NS_ERR_RECEIVE_FAILED,
            NS_ERR_MESSAGE_TOO_LARGE,
            NS_ERR_SEND_QUEUE_FULL,
            NS_ERR_PROTOCOL_ERROR,
            NS_ERR_SERVER_NOT_STARTED,
            NS_ERR_SERVER_ALREADY_RUNNING,
            NS_ERR_BIND_FAILED,
            NS_ERR_CLIENT_NOT_STARTED,
            NS_ERR_CLIENT_ALREADY_RUNNING,
            NS_ERR_STREAM_LIMIT_REACHED,
            NS_ERR_STREAM_CLOSED,
            NS_ERR_CLOSED_BY_PEER,
        ];
        let values: Vec<i32> = ErrorCode::ALL.iter().map(|c| c.value()).collect();
        assert_eq!(consts.to_vec(), values);
    }

    #[test]
    fn names_and_version() {
        // SAFETY: both return static NUL-terminated strings.
        let name = unsafe { CStr::from_ptr(ns_error_name(-603)) };
        assert_eq!(name.to_str(), Ok("connection_closed"));
        let unknown = unsafe { CStr::from_ptr(ns_error_name(12345)) };
        assert_eq!(unknown.to_str(), Ok("unknown_error"));
        // SAFETY: a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(ns_version()) };
        assert_eq!(v.to_str(), Ok(crate::VERSION));
        assert_eq!(
            format!("{NS_VERSION_MAJOR}.{NS_VERSION_MINOR}.{NS_VERSION_PATCH}"),
            crate::VERSION
        );
    }

    /// Whitespace-collapsed text.
    fn words(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn header_contract_matches_the_readme() {
        let toml = include_str!("../../cbindgen.toml");
        let start = toml.find("Threading and callback contract").unwrap_or(0);
        let end = toml[start..].find("*/").map_or(toml.len(), |e| start + e);
        let contract: String = toml[start..end]
            .lines()
            .skip(1)
            .map(|l| l.trim_start().trim_start_matches('*'))
            .collect::<Vec<_>>()
            .join("\n");
        let readme = include_str!("../../README.md");
        let section = readme
            .split("## Threading and callback contract")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .unwrap_or("");
        assert!(contract.len() > 500, "contract not found in cbindgen.toml");
        assert!(
            words(section).contains(&words(&contract)),
            "the README's threading contract differs from the header preamble (cbindgen.toml)"
        );
    }

    #[test]
    fn datagram_limits_match() {
        assert_eq!(NS_MAX_DATAGRAM_V4, crate::udp::MAX_DATAGRAM_V4);
        assert_eq!(NS_MAX_DATAGRAM_V6, crate::udp::MAX_DATAGRAM_V6);
    }

    #[test]
    fn committed_header_is_up_to_date() {
        let generated = include_str!(concat!(env!("OUT_DIR"), "/network_system.h"));
        let committed = include_str!("../../include/network_system.h");
        assert!(
            generated == committed,
            "include/network_system.h is stale: run `NS_UPDATE_HEADER=1 cargo build` and commit it"
        );
    }
}
