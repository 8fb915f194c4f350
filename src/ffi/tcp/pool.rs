//! `ns_tcp_pool_*`: a pool of connected TCP/TLS clients lent one user at a time.

use std::ffi::c_char;
use std::time::Duration;

use super::{ns_tcp_client, ns_tcp_pool};
use crate::error::Result;
use crate::ffi::{guard, guard_value, handle, invalid, ns_result, string};
use crate::tcp::{ClientConfig, TcpClient, TcpPool};

/// Creates a pool of `pool_size` clients to `host:port` into `*out` (release with
/// `ns_tcp_pool_free`). Each client gets the options of `options_from` (framing, timeouts, TLS
/// …; NULL for the defaults), which stays the caller's. Nothing connects before
/// `ns_tcp_pool_initialize`. -1 for NULL `out`, an empty host, port 0, pool size 0 or a zero
/// acquire timeout (the message names the field).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_pool_new(
    host: *const c_char,
    port: u16,
    pool_size: usize,
    acquire_timeout_ms: u64,
    options_from: *const ns_tcp_client,
    out: *mut *mut ns_tcp_pool,
) -> ns_result {
    guard(|| {
        if out.is_null() {
            return Err(invalid("out is NULL"));
        }
        let config = match options_from.is_null() {
            true => ClientConfig::default(),
            false => handle(options_from, "options_from")?.0.config(),
        };
        let pool = TcpPool::with(
            string(host, "host")?,
            port,
            pool_size,
            Duration::from_millis(acquire_timeout_ms),
            || ns_tcp_client(TcpClient::new(config.clone())),
        )?;
        let pool = Box::into_raw(Box::new(ns_tcp_pool(pool)));
        // SAFETY: `out` is non-NULL and points to a writable pointer (documented).
        unsafe { *out = pool };
        Ok(())
    })
}

/// Stops every client (lent ones too) and releases the pool. Pointers from
/// `ns_tcp_pool_acquire` become invalid. No other call on this pool may overlap it. NULL is a
/// no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_pool_free(pool: *mut ns_tcp_pool) {
    // SAFETY: the pointer came from ns_tcp_pool_new and is freed once, as documented.
    unsafe { crate::ffi::free_boxed(pool, |_| ()) }
}

/// Connects every client, waiting for each (TLS handshake included). A failure stops the
/// clients already connected and returns the connect's code (-601, -602, -605, -606 …);
/// it may be called again. Already initialised → 0. Blocks: call it outside callbacks.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_pool_initialize(pool: *mut ns_tcp_pool) -> ns_result {
    guard(|| handle(pool, "pool")?.0.initialize())
}

/// Lends a connected client into `*client`: at once when one is idle, else after waiting up
/// to the acquire timeout for a release (-602 when none came back). A client that lost its
/// connection is connected again first (its connect error is returned then). -6 before
/// `ns_tcp_pool_initialize`, -5 once the pool is being freed. The client stays the pool's:
/// use it with the `ns_tcp_client_*` calls (set callbacks, send …), never free it, and give
/// it back with `ns_tcp_pool_release`. Thread-safe; inside a callback it does not wait.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_pool_acquire(
    pool: *mut ns_tcp_pool,
    client: *mut *mut ns_tcp_client,
) -> ns_result {
    guard(|| {
        let pool = &handle(pool, "pool")?.0;
        if client.is_null() {
            return Err(invalid("client is NULL"));
        }
        let index = pool.acquire()?;
        let lent = pool
            .client(index)
            .map(|c| c as *const ns_tcp_client as *mut ns_tcp_client);
        // SAFETY: `client` is non-NULL and points to a writable pointer (documented).
        unsafe { *client = lent.unwrap_or(std::ptr::null_mut()) };
        Ok(())
    })
}

/// Gives a lent client back. Its callbacks are cleared first (one already running finishes
/// on its own). -1 when `client` is not a client this pool lent. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_pool_release(
    pool: *mut ns_tcp_pool,
    client: *mut ns_tcp_client,
) -> ns_result {
    guard(|| {
        let pool = &handle(pool, "pool")?.0;
        pool.release(pool_index(pool, client)?)
    })
}

/// The index of `client` in `pool`, lent or not.
fn pool_index(pool: &TcpPool<ns_tcp_client>, client: *const ns_tcp_client) -> Result<usize> {
    let client = handle(client, "client")?;
    pool.index_of(client)
        .ok_or_else(|| invalid("this client is not from this pool"))
}

/// How many clients are lent now (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_pool_active_count(pool: *const ns_tcp_pool) -> usize {
    guard_value(0, || handle(pool, "pool").map_or(0, |p| p.0.active_count()))
}

/// The number of clients (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_pool_size(pool: *const ns_tcp_pool) -> usize {
    guard_value(0, || handle(pool, "pool").map_or(0, |p| p.0.size()))
}

/// True when `client` is one of this pool's clients and lent now.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_pool_owns(
    pool: *const ns_tcp_pool,
    client: *const ns_tcp_client,
) -> bool {
    guard_value(false, || {
        handle(pool, "pool").is_ok_and(|p| pool_index(&p.0, client).is_ok_and(|i| p.0.is_lent(i)))
    })
}
