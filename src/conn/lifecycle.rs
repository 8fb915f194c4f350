//! Running state and task accounting of one server or client: `stop` waits for its tasks,
//! `wait_for_stop` waits for the object to be stopped and every stop in progress to finish.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::error::Result;
use crate::runtime;

#[derive(Default)]
struct State {
    running: bool,
    run: u64,
    tasks: usize,
    /// Calls of `stop` that have not returned yet.
    stopping: usize,
}

pub(crate) struct Lifecycle {
    /// The object's id: callbacks run in its scope (see `runtime::invoke`).
    id: u64,
    state: Mutex<State>,
    changed: Condvar,
}

/// Counts one live task; dropping it wakes waiters when the last task ends.
pub(crate) struct TaskGuard(Arc<Lifecycle>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.tasks -= 1;
        if s.tasks == 0 {
            self.0.changed.notify_all();
        }
    }
}

/// One `stop` in progress; `wait_for_stop` does not return before it is dropped. It keeps the
/// lifecycle alive, so the stopping thread never touches freed memory.
pub(crate) struct Stopping(Arc<Lifecycle>);

impl Drop for Stopping {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.stopping -= 1;
        self.0.changed.notify_all();
    }
}

impl Lifecycle {
    pub fn new() -> Lifecycle {
        Lifecycle {
            id: runtime::new_object_id(),
            state: Mutex::default(),
            changed: Condvar::new(),
        }
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks the object running; returns the run number, or None when it already runs.
    pub fn try_start(&self) -> Option<u64> {
        let mut s = self.lock();
        if s.running {
            return None;
        }
        s.running = true;
        s.run += 1;
        Some(s.run)
    }

    /// Marks the object stopped and registers a stop in progress until the guard is dropped.
    pub fn begin_stop(self: &Arc<Self>) -> Stopping {
        let mut s = self.lock();
        s.running = false;
        s.stopping += 1;
        self.changed.notify_all();
        Stopping(self.clone())
    }

    /// Marks run `run` as ended by itself (fatal error, attempts exhausted).
    pub fn end_run(&self, run: u64) {
        let mut s = self.lock();
        if s.run == run {
            s.running = false;
            self.changed.notify_all();
        }
    }

    pub fn is_running(&self) -> bool {
        self.lock().running
    }

    pub fn task(self: &Arc<Self>) -> TaskGuard {
        self.lock().tasks += 1;
        TaskGuard(self.clone())
    }

    /// Waits until no task of this object is alive, where this thread may wait for it (see
    /// `runtime::wait_for_object`); returns whether it waited.
    pub fn wait_idle(&self) -> bool {
        runtime::wait_for_object(self.id, || {
            let mut s = self.lock();
            while s.tasks > 0 {
                s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
            }
        })
    }

    /// Blocks until the object is stopped, its tasks have ended and no stop is in progress.
    /// Inside a callback or on a runtime thread it fails at once (it would wait for itself).
    pub fn wait_stopped(&self) -> Result<()> {
        runtime::check_may_wait_for_stop()?;
        let mut s = self.lock();
        while s.running || s.tasks > 0 || s.stopping > 0 {
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        Ok(())
    }
}
