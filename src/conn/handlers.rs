//! User callbacks of one object, replaceable at any time without locking the hot path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::Session;
use crate::error::Error;
use crate::runtime;

/// Called with the session on connect and disconnect.
pub type SessionFn = Arc<dyn Fn(&Session) + Send + Sync>;
/// Called with the session and the received bytes (valid only during the call).
pub type DataFn = Arc<dyn Fn(&Session, &[u8]) + Send + Sync>;
/// Called on errors; the session is absent for errors that belong to no connection.
pub type ErrorFn = Arc<dyn Fn(Option<&Session>, &Error) + Send + Sync>;

/// The callbacks of one server or client.
#[derive(Clone, Default)]
pub struct Handlers {
    pub connected: Option<SessionFn>,
    pub data: Option<DataFn>,
    pub disconnected: Option<SessionFn>,
    pub error: Option<ErrorFn>,
}

/// Holds an object's current callbacks (`H`); tasks keep a cached copy and refresh it with
/// one atomic load per event.
#[derive(Default)]
pub(crate) struct HandlerSlot<H = Handlers> {
    generation: AtomicU64,
    current: Mutex<Arc<H>>,
}

/// A task's cached view of a [`HandlerSlot`].
pub(crate) struct Cached<H = Handlers> {
    generation: u64,
    handlers: Arc<H>,
}

impl<H: Clone> HandlerSlot<H> {
    pub fn update(&self, f: impl FnOnce(&mut H)) {
        let old = {
            let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
            let mut next = H::clone(&current);
            f(&mut next);
            let old = std::mem::replace(&mut *current, Arc::new(next));
            self.generation.fetch_add(1, Ordering::Release);
            old
        };
        // The replaced callbacks (and any user data they own) are released outside the lock.
        drop(old);
    }

    pub fn snapshot(&self) -> Cached<H> {
        let generation = self.generation.load(Ordering::Acquire);
        let handlers = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Cached {
            generation,
            handlers,
        }
    }

    /// The current handlers, re-read only when they changed since `cache` was taken.
    pub fn get<'a>(&self, cache: &'a mut Cached<H>) -> &'a H {
        if self.generation.load(Ordering::Acquire) != cache.generation {
            *cache = self.snapshot();
        }
        &cache.handlers
    }
}

impl HandlerSlot<Handlers> {
    pub fn fire_error(&self, session: Option<&Session>, err: &Error) {
        let mut cache = self.snapshot();
        fire_error(self.get(&mut cache), session, err);
    }
}

pub(crate) fn fire_error(h: &Handlers, session: Option<&Session>, err: &Error) {
    crate::ns_log!(crate::log::Level::Debug, "error: {err}");
    if let Some(f) = &h.error {
        runtime::invoke("error", || f(session, err));
    }
}
