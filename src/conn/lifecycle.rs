//! Running state and task accounting of one server or client: `stop` waits for its tasks,
//! `wait_for_stop` waits for the object to be stopped.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

#[derive(Default)]
struct State {
    running: bool,
    run: u64,
    tasks: usize,
}

#[derive(Default)]
pub(crate) struct Lifecycle {
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

impl Lifecycle {
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

    /// Marks the object stopped; returns whether it was running.
    pub fn request_stop(&self) -> bool {
        let mut s = self.lock();
        let was = s.running;
        s.running = false;
        self.changed.notify_all();
        was
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

    /// Blocks until no task of this object is alive.
    pub fn wait_idle(&self) {
        let mut s = self.lock();
        while s.tasks > 0 {
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Blocks until the object is stopped and its tasks have ended.
    pub fn wait_stopped(&self) {
        let mut s = self.lock();
        while s.running || s.tasks > 0 {
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }
}
