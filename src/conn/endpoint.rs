//! What every server and client has: options that change only while stopped, replaceable
//! callbacks, and a lifecycle.

use std::sync::{Arc, Mutex, MutexGuard};

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
        Endpoint {
            config: Mutex::new(config),
            handlers: HandlerSlot::default(),
            life: Arc::new(Lifecycle::default()),
            running,
        }
    }

    pub fn configure(&self, f: impl FnOnce(&mut C)) -> Result<()> {
        if self.life.is_running() {
            return Err(Error::new(
                self.running,
                "options can only be changed before start",
            ));
        }
        f(&mut lock(&self.config));
        Ok(())
    }

    pub fn config(&self) -> C {
        lock(&self.config).clone()
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
}

/// Locks a mutex, ignoring poisoning (callbacks never run under the library's locks).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
