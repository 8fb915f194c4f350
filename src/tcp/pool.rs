//! A fixed pool of connected TCP (or TLS) clients to one server, lent to one user at a time.

use std::borrow::Borrow;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::{ClientConfig, TcpClient};
use crate::conn::{lock, Handlers};
use crate::error::{Error, ErrorCode, Result};
use crate::runtime;

/// `size` clients to `host:port`. [`initialize`](Self::initialize) connects them all;
/// [`acquire`](Self::acquire) lends one (waiting up to the acquire timeout for one to come
/// back) and [`release`](Self::release) takes it back. A client found disconnected when it is
/// lent is connected again first, so a dropped connection is replaced. Thread-safe. `C` is
/// how the pool holds each client (the C ABI keeps its own handle type).
pub struct TcpPool<C: Borrow<TcpClient> = TcpClient> {
    host: String,
    port: u16,
    acquire_timeout: Duration,
    clients: Vec<C>,
    state: Mutex<State>,
    returned: Condvar,
    /// Held by initialize, so that two of them do not connect the same clients.
    initializing: Mutex<()>,
}

#[derive(Default)]
struct State {
    initialized: bool,
    closed: bool,
    /// Indexes of the clients not lent, the most recently returned last.
    idle: Vec<usize>,
    lent: Vec<bool>,
}

impl TcpPool {
    /// A pool of `size` clients with `config` (TLS included). -1 for an empty host, port 0,
    /// size 0 or a zero timeout.
    pub fn new(
        host: &str,
        port: u16,
        size: usize,
        acquire_timeout: Duration,
        config: ClientConfig,
    ) -> Result<TcpPool> {
        TcpPool::with(host, port, size, acquire_timeout, || {
            TcpClient::new(config.clone())
        })
    }
}

impl<C: Borrow<TcpClient>> TcpPool<C> {
    /// A pool of `size` clients made by `make`; errors as [`TcpPool::new`].
    pub fn with(
        host: &str,
        port: u16,
        size: usize,
        acquire_timeout: Duration,
        make: impl FnMut() -> C,
    ) -> Result<TcpPool<C>> {
        let invalid = |what: &str| Err(Error::new(ErrorCode::InvalidArgument, what.to_string()));
        if host.is_empty() {
            return invalid("host must not be empty");
        }
        if port == 0 {
            return invalid("port must not be 0");
        }
        if size == 0 {
            return invalid("pool_size must not be 0");
        }
        if acquire_timeout.is_zero() {
            return invalid("acquire_timeout must be positive");
        }
        Ok(TcpPool {
            host: host.to_string(),
            port,
            acquire_timeout,
            clients: std::iter::repeat_with(make).take(size).collect(),
            state: Mutex::new(State {
                lent: vec![false; size],
                ..State::default()
            }),
            returned: Condvar::new(),
            initializing: Mutex::new(()),
        })
    }

    /// Connects every client (waiting for each, TLS handshake included). On a failure the
    /// clients already connected are stopped and the connect's error is returned; it may be
    /// called again. Initialised already → Ok.
    pub fn initialize(&self) -> Result<()> {
        let _one_at_a_time = lock(&self.initializing);
        if lock(&self.state).initialized {
            return Ok(());
        }
        for (i, client) in self.clients.iter().map(Borrow::borrow).enumerate() {
            if let Err(e) = client.start_wait(&self.host, self.port) {
                self.clients[..i]
                    .iter()
                    .for_each(|c| drop(c.borrow().stop()));
                return Err(e);
            }
        }
        let mut state = lock(&self.state);
        if !state.closed {
            state.initialized = true;
            state.idle = (0..self.clients.len()).rev().collect();
        }
        Ok(())
    }

    /// Lends a client (its index): at once when one is idle, else after waiting up to the
    /// acquire timeout for a release (`ConnectionTimeout`, -602). A client that lost its
    /// connection is connected again before it is lent (its connect error is returned and the
    /// client stays in the pool). Not initialised → `NotInitialized` (-6); closed →
    /// `Cancelled`. Inside a callback it does not wait.
    pub fn acquire(&self) -> Result<usize> {
        let deadline = Instant::now() + self.acquire_timeout;
        let mut state = lock(&self.state);
        let index = loop {
            if state.closed {
                return Err(Error::new(ErrorCode::Cancelled, "the pool is closed"));
            }
            if !state.initialized {
                return Err(Error::new(
                    ErrorCode::NotInitialized,
                    "the pool is not initialized",
                ));
            }
            if let Some(i) = state.idle.pop() {
                break i;
            }
            let now = Instant::now();
            if now >= deadline || !runtime::may_block() {
                return Err(Error::new(
                    ErrorCode::ConnectionTimeout,
                    format!(
                        "no connection came back within {} ms",
                        self.acquire_timeout.as_millis()
                    ),
                ));
            }
            state = self
                .returned
                .wait_timeout(state, deadline - now)
                .map_or_else(|e| e.into_inner().0, |(s, _)| s);
        };
        state.lent[index] = true;
        drop(state);
        let client: &TcpClient = self.clients[index].borrow();
        if !client.is_connected() {
            let _ = client.stop();
            if let Err(e) = client.start_wait(&self.host, self.port) {
                self.put_back(index);
                return Err(e);
            }
        }
        Ok(index)
    }

    /// Takes back a lent client and clears its callbacks (one already running finishes on its
    /// own). `InvalidArgument` when `index` is not a lent client of this pool.
    pub fn release(&self, index: usize) -> Result<()> {
        if !self.is_lent(index) {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "this client is not lent by this pool",
            ));
        }
        self.clients[index]
            .borrow()
            .set_handlers(|h| *h = Handlers::default());
        self.put_back(index);
        Ok(())
    }

    fn put_back(&self, index: usize) {
        let mut state = lock(&self.state);
        state.lent[index] = false;
        state.idle.push(index);
        drop(state);
        self.returned.notify_one();
    }

    /// The client at `index` (lent or not).
    pub fn client(&self, index: usize) -> Option<&C> {
        self.clients.get(index)
    }

    /// The index of `client` when it belongs to this pool.
    pub fn index_of(&self, client: &C) -> Option<usize> {
        self.clients.iter().position(|c| std::ptr::eq(c, client))
    }

    /// True when the client at `index` is lent now.
    pub fn is_lent(&self, index: usize) -> bool {
        lock(&self.state).lent.get(index).copied().unwrap_or(false)
    }

    /// How many clients are lent now.
    pub fn active_count(&self) -> usize {
        lock(&self.state).lent.iter().filter(|l| **l).count()
    }

    pub fn size(&self) -> usize {
        self.clients.len()
    }

    /// Stops every client and wakes waiting acquires (they fail with `Cancelled`). Lent
    /// clients are stopped too.
    pub fn close(&self) {
        {
            let mut state = lock(&self.state);
            state.closed = true;
            state.idle.clear();
        }
        self.returned.notify_all();
        self.clients.iter().for_each(|c| drop(c.borrow().stop()));
    }
}

impl<C: Borrow<TcpClient>> Drop for TcpPool<C> {
    fn drop(&mut self) {
        self.close();
    }
}
