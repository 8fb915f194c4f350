//! A repeating timer on the runtime: calls a function every interval until stopped. Used by
//! utilities that need a clock (the C++ `health_monitor`) without a thread of their own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use crate::conn::{lock, Lifecycle};
use crate::error::{Error, ErrorCode, Result};
use crate::runtime;

/// Calls `tick` every `interval` (first after one interval) on a runtime thread; calls never
/// overlap. Dropping it stops it.
pub struct Timer {
    life: Arc<Lifecycle>,
    stop_signal: Mutex<Option<watch::Sender<bool>>>,
}

impl Timer {
    /// Starts the timer. A zero interval is `InvalidArgument`.
    pub fn start(interval: Duration, tick: impl Fn() + Send + Sync + 'static) -> Result<Timer> {
        if interval.is_zero() {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "interval must be positive",
            ));
        }
        let handle = runtime::handle()?;
        let life = Arc::new(Lifecycle::new());
        let run = life
            .try_start()
            .ok_or_else(|| Error::new(ErrorCode::InternalError, "a new timer already runs"))?;
        let (tx, mut stopped) = watch::channel(false);
        let guard = life.task();
        let (owner, ended) = (life.id(), life.clone());
        handle.spawn(async move {
            let mut ticks = interval_at(Instant::now() + interval, interval);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    _ = ticks.tick() => runtime::invoke(owner, "timer", &tick),
                }
                if *stopped.borrow() {
                    break;
                }
            }
            // The callback (and the user data it holds) goes before the stop may return.
            drop(tick);
            ended.end_run(run);
            drop(guard);
        });
        Ok(Timer {
            life,
            stop_signal: Mutex::new(Some(tx)),
        })
    }

    /// Stops the timer. It returns when no call of `tick` runs or will run again, except
    /// inside `tick` itself (then it only stops further calls).
    pub fn stop(&self) {
        let _stopping = self.life.begin_stop();
        if let Some(tx) = lock(&self.stop_signal).take() {
            tx.send_replace(true);
        }
        self.life.wait_idle();
    }

    pub fn is_running(&self) -> bool {
        self.life.is_running()
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.stop();
    }
}
