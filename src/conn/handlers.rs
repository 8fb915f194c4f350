//! User callbacks of one object, replaceable at any time. Each event loads the current set
//! (no lock, no reference count on the fast path) and holds it only during the call, so a
//! replaced callback — and the user data it owns — is released as soon as no call of it runs.

use std::sync::{Arc, Mutex};

use arc_swap::{ArcSwap, Guard};

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

/// Holds the current callbacks (`H`) of the object `owner`.
pub(crate) struct HandlerSlot<H = Handlers> {
    owner: u64,
    current: ArcSwap<H>,
    /// Serialises replacements (each one starts from the latest set).
    update: Mutex<()>,
}

impl<H: Clone + Default> HandlerSlot<H> {
    pub fn new(owner: u64) -> HandlerSlot<H> {
        HandlerSlot {
            owner,
            current: ArcSwap::from_pointee(H::default()),
            update: Mutex::new(()),
        }
    }

    /// The object whose callbacks these are.
    pub fn owner(&self) -> u64 {
        self.owner
    }

    pub fn update(&self, f: impl FnOnce(&mut H)) {
        let old = {
            let _one = self.update.lock().unwrap_or_else(|e| e.into_inner());
            let mut next = H::clone(&self.current.load());
            f(&mut next);
            self.current.swap(Arc::new(next))
        };
        // Released outside the lock: a user-data free function may call back into the library.
        drop(old);
    }

    /// The current callbacks, for the duration of one event.
    pub fn load(&self) -> Guard<Arc<H>> {
        self.current.load()
    }
}

impl HandlerSlot<Handlers> {
    pub fn fire_error(&self, session: Option<&Session>, err: &Error) {
        crate::ns_log!(crate::log::Level::Debug, "error: {err}");
        // A binding, not the `if let` scrutinee: the loaded set is released before the call.
        let callback = self.load().error.clone();
        if let Some(f) = callback {
            runtime::invoke(self.owner, "error", || f(session, err));
        }
    }
}
