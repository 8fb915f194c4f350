//! The one process-wide tokio runtime (ARCHITECTURE §3) and the callback scope marker.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};

use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;

static WORKERS: AtomicUsize = AtomicUsize::new(0);
static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

thread_local! {
    static CALLBACK_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Sets the worker count before first use. Fails with `AlreadyExists` once the runtime runs.
pub fn configure(worker_threads: usize) -> Result<()> {
    if worker_threads == 0 || worker_threads > 1024 {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            "worker_threads must be between 1 and 1024",
        ));
    }
    if RUNTIME.get().is_some() {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            "the runtime is already running; configure it before creating any object",
        ));
    }
    WORKERS.store(worker_threads, Ordering::SeqCst);
    Ok(())
}

fn worker_count() -> usize {
    let configured = WORKERS.load(Ordering::SeqCst);
    if configured > 0 {
        return configured;
    }
    std::env::var("NETWORK_SYSTEM_WORKER_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0 && n <= 1024)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// The runtime handle, creating the runtime on first use.
pub fn handle() -> Result<&'static Handle> {
    let rt = RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(worker_count())
            .thread_name("ns-worker")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    match rt {
        Ok(rt) => Ok(rt.handle()),
        Err(e) => Err(Error::new(
            ErrorCode::InternalError,
            format!("cannot start the runtime: {e}"),
        )),
    }
}

/// Number of worker threads of the running runtime (0 before first use).
pub fn running_workers() -> usize {
    match RUNTIME.get() {
        Some(Ok(rt)) => rt.metrics().num_workers(),
        _ => 0,
    }
}

/// True while the current thread is inside a user callback.
pub fn in_callback() -> bool {
    CALLBACK_DEPTH.with(|d| d.get() > 0)
}

/// True when the current thread may block waiting for the runtime: not inside a callback
/// and not a runtime thread.
pub(crate) fn may_block() -> bool {
    !in_callback() && Handle::try_current().is_err()
}

/// Runs a user callback: marks the thread as inside a callback and contains panics.
pub(crate) fn invoke<F: FnOnce()>(what: &str, f: F) {
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            CALLBACK_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        }
    }
    CALLBACK_DEPTH.with(|d| d.set(d.get() + 1));
    let _depth = Depth;
    if catch_unwind(AssertUnwindSafe(f)).is_err() {
        crate::ns_log!(
            Level::Error,
            "a {what} callback panicked; the panic was contained"
        );
    }
}
