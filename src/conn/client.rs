//! What TCP and WebSocket clients share: starting (checks, TLS material, the first-attempt
//! channel of `start_wait`) and the reconnect loop with exponential backoff.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::watch;

use super::{addr, lock, Counters, Endpoint, Stats};
use crate::error::{Error, ErrorCode, Result};
use crate::runtime;
use crate::tls::{ClientTlsConfig, Connector};

/// Exponential backoff for automatic reconnection.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectPolicy {
    /// Delay before the first retry (default 100 ms).
    pub initial_delay: Duration,
    /// Upper bound of the delay (default 30 s).
    pub max_delay: Duration,
    /// Failed attempts in a row before giving up with `CircuitOpen`; 0 = never give up.
    pub max_attempts: u32,
    /// Random spread of each delay, 0.0…1.0 (default 0.2 = ±20 %).
    pub jitter: f64,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(30),
            max_attempts: 10,
            jitter: 0.2,
        }
    }
}

impl ReconnectPolicy {
    /// Delay before retry number `failures` (0-based), jittered with `random` in [0, 1).
    pub fn delay(&self, failures: u32, random: f64) -> Duration {
        let base = self
            .initial_delay
            .saturating_mul(1u32 << failures.min(20))
            .min(self.max_delay);
        let jitter = self.jitter.clamp(0.0, 1.0);
        let factor = 1.0 + jitter * (2.0 * random.clamp(0.0, 1.0) - 1.0);
        base.mul_f64(factor.max(0.0)).min(self.max_delay)
    }
}

/// Where `start_wait` learns the outcome of the first attempt (taken once).
pub(crate) type First = Option<SyncSender<Result<()>>>;

/// Tells a waiting `start_wait` the outcome of the first attempt (once).
pub(crate) fn tell(first: &mut First, outcome: Result<()>) {
    if let Some(tx) = first.take() {
        let _ = tx.try_send(outcome);
    }
}

/// A client run that has been started: what its task needs.
pub(crate) struct Launched<T> {
    pub handle: &'static Handle,
    pub run: u64,
    /// The host without IPv6 brackets.
    pub host: String,
    /// What `prepare` made for the run (TLS material, sockets).
    pub prepared: T,
    pub stop: watch::Receiver<bool>,
    pub first: First,
    /// For `start_wait`.
    pub pending: Pending,
}

/// What `start_wait` waits for: the first attempt's outcome, and whether a failure is retried.
pub(crate) struct Pending {
    outcome: Receiver<Result<()>>,
    reconnect: bool,
}

/// Checks `host:port`, starts a run of `ep` and makes what the run needs with
/// `prepare(host without brackets)` — TLS material, sockets — off the runtime's hands when
/// called from a callback; the stop sender goes into `stop_signal`. Errors: port 0 or empty
/// host → `InvalidArgument`; malformed host → `AddressResolutionFailed`; already running →
/// `ClientAlreadyRunning`; those of `prepare` (the run is ended again).
pub(crate) fn launch<C: Clone, H: Clone + Default, T>(
    ep: &Endpoint<C, H>,
    stop_signal: &Mutex<Option<watch::Sender<bool>>>,
    host: &str,
    port: u16,
    reconnect: bool,
    prepare: impl FnOnce(&str) -> Result<T>,
) -> Result<Launched<T>> {
    if port == 0 {
        return Err(Error::new(ErrorCode::InvalidArgument, "port must not be 0"));
    }
    addr::check_host(host)?;
    let handle = runtime::handle()?;
    let run = ep.start("client")?;
    let host = addr::bare(host).to_string();
    let prepared = match runtime::blocking(|| prepare(&host)) {
        Ok(p) => p,
        Err(e) => {
            ep.life.end_run(run);
            return Err(e);
        }
    };
    let (stop_tx, stop) = watch::channel(false);
    *lock(stop_signal) = Some(stop_tx);
    let (first, pending) = first_attempt(reconnect);
    Ok(Launched {
        handle,
        run,
        host,
        prepared,
        stop,
        first,
        pending,
    })
}

/// What TCP and WebSocket clients prepare: the TLS connector for the host, when TLS is on.
pub(crate) fn tls_for(
    tls: Option<&ClientTlsConfig>,
) -> impl FnOnce(&str) -> Result<Option<Arc<Connector>>> + '_ {
    move |host| tls.map(|t| Connector::new(t, host)).transpose()
}

/// The channel on which a client's task tells `start_wait` how its first attempt went.
fn first_attempt(reconnect: bool) -> (First, Pending) {
    let (tx, outcome) = sync_channel(1);
    (Some(tx), Pending { outcome, reconnect })
}

/// What `start_wait` returns: the first attempt's outcome, or at once inside a callback. A
/// client that gives up after that failure (no reconnect) has stopped when it returns, so it
/// may be started again at once.
pub(crate) fn wait_first<C: Clone, H: Clone + Default>(
    ep: &Endpoint<C, H>,
    pending: Pending,
) -> Result<()> {
    if !runtime::may_block() {
        return Ok(());
    }
    let outcome = pending.outcome.recv().unwrap_or_else(|_| Err(cancelled()));
    if outcome.is_err() && !pending.reconnect {
        let _ = ep.wait_for_stop();
    }
    outcome
}

/// The outcome `start_wait` gets when the client stopped before its first attempt ended.
pub(crate) fn cancelled() -> Error {
    Error::new(ErrorCode::Cancelled, "the client stopped before connecting")
}

/// The retry state of a client's connect loop:
///
/// ```text
/// let mut retry = Retry::new();
/// while !*stop.borrow() {
///     let outcome = /* connect, then serve until the connection ends */;
///     if !retry.again(outcome, policy, target, &mut stop, &mut first, report).await { break }
/// }
/// retry.finish(&mut first);
/// ```
pub(crate) struct Retry {
    failures: u32,
    seed: u64,
}

impl Retry {
    pub fn new() -> Retry {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        Retry {
            failures: 0,
            seed: seed | 1,
        }
    }

    /// After an attempt (connect, then serve until the connection ended; `Ok` also when the
    /// stop came first): a failure goes to `report` and to a waiting `start_wait`. Returns
    /// true once the backoff delay has passed and `policy` allows another attempt; false when
    /// stopped, without a policy, or after `max_attempts` failures in a row (then `report`
    /// gets `CircuitOpen` naming `target`).
    pub async fn again(
        &mut self,
        outcome: Result<()>,
        policy: Option<&ReconnectPolicy>,
        target: &str,
        stop: &mut watch::Receiver<bool>,
        first: &mut First,
        report: impl Fn(&Error),
    ) -> bool {
        match outcome {
            Ok(()) => self.failures = 0,
            Err(err) => {
                self.failures = self.failures.saturating_add(1);
                report(&err);
                tell(first, Err(err));
            }
        }
        let Some(policy) = policy.filter(|_| !*stop.borrow()) else {
            return false;
        };
        let failures = self.failures;
        if policy.max_attempts > 0 && failures >= policy.max_attempts {
            report(&Error::new(
                ErrorCode::CircuitOpen,
                format!("gave up after {failures} failed reconnect attempts to {target}"),
            ));
            return false;
        }
        // xorshift64: jitter only, no need for a strong generator.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let random = (self.seed >> 11) as f64 / (1u64 << 53) as f64;
        let delay = policy.delay(failures.saturating_sub(1), random);
        tokio::select! {
            _ = stop.wait_for(|s| *s) => false,
            _ = tokio::time::sleep(delay) => true,
        }
    }

    /// The loop ended: a `start_wait` still waiting learns that the client stopped.
    pub fn finish(self, first: &mut First) {
        tell(first, Err(cancelled()));
    }
}

/// A client's counters: those of its current connection (if any), plus those of the ended
/// ones (`retired`), with the number of connections it made.
pub(crate) fn stats(current: Option<Stats>, connections: &AtomicU64, retired: &Counters) -> Stats {
    let mut stats = current.unwrap_or_default();
    stats.connections_total = connections.load(Ordering::Relaxed);
    retired.add_to(&mut stats);
    stats
}
