//! What every server and client has: options that change only while stopped, replaceable
//! callbacks, and a lifecycle.

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{HandlerSlot, Handlers, Lifecycle};
use crate::error::{Error, ErrorCode, Result};

pub(crate) struct Endpoint<C, H = Handlers> {
    config: Mutex<C>,
    pub handlers: HandlerSlot<H>,
    pub life: Arc<Lifecycle>,
    /// Reported when started twice or configured while running.
    running: ErrorCode,
}

impl<C: Clone, H: Clone + Default> Endpoint<C, H> {
    pub fn new(config: C, running: ErrorCode) -> Endpoint<C, H> {
        let life = Arc::new(Lifecycle::new());
        Endpoint {
            config: Mutex::new(config),
            handlers: HandlerSlot::new(life.id()),
            life,
            running,
        }
    }

    /// Changes the options, all or nothing: `f` edits a copy, which replaces the options only
    /// when `f` succeeds. Fails while running.
    pub fn configure(&self, f: impl FnOnce(&mut C) -> Result<()>) -> Result<()> {
        if self.life.is_running() {
            return Err(Error::new(
                self.running,
                "options can only be changed before start",
            ));
        }
        let mut config = lock(&self.config);
        let mut next = config.clone();
        f(&mut next)?;
        *config = next;
        Ok(())
    }

    pub fn config(&self) -> C {
        lock(&self.config).clone()
    }

    /// Reads the options without copying them.
    pub fn with_config<R>(&self, f: impl FnOnce(&C) -> R) -> R {
        f(&lock(&self.config))
    }

    pub fn set_handlers(&self, f: impl FnOnce(&mut H)) {
        self.handlers.update(f);
    }

    /// Marks the object running and returns the run number; fails when it already runs.
    pub fn start(&self, what: &str) -> Result<u64> {
        self.life
            .try_start()
            .ok_or_else(|| Error::new(self.running, format!("{what} is already running")))
    }

    /// Stops the object: marks it stopped, runs `signal` (tells its tasks; also when it was
    /// not running, as a client that ended by itself may still be closing), then waits for its tasks where this thread may (see `Lifecycle::wait_idle`). Everything
    /// it touches is kept alive by the caller's `Arc`, so a concurrent `wait_for_stop` + free
    /// on another thread cannot pull it away; `wait_for_stop` returns only after this returns.
    pub fn stop(&self, signal: impl FnOnce()) {
        let _stopping = self.life.begin_stop();
        signal();
        self.life.wait_idle();
    }

    /// Blocks until stopped; fails at once inside a callback or on a runtime thread.
    pub fn wait_for_stop(&self) -> Result<()> {
        self.life.clone().wait_stopped()
    }
}

/// Locks a mutex, ignoring poisoning (callbacks never run under the library's locks).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Shared access to `l`, ignoring poisoning like [`lock`].
pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

/// Exclusive access to `l`, ignoring poisoning like [`lock`].
pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}
