//! A server's connection table, shared by the TCP and WebSocket servers: the open connections
//! by id, the connections being admitted, and the counters of those that ended.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use super::{read, write, Counters, Stats};

/// What the table needs of a connection.
pub(crate) trait Tracked: Clone {
    fn id(&self) -> u64;
    fn counters(&self) -> &Counters;
    fn queued_bytes(&self) -> u64;
}

/// The outcome of [`Table::reserve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// A slot is held for the connection: [`Table::open`] or [`Table::release`] follows.
    Reserved,
    /// `max_connections` is reached; [`Table::reject`] counts the refusal.
    Full,
    /// The server is stopping: drop the connection.
    Stopping,
}

struct State<T> {
    live: HashMap<u64, T>,
    /// Slots reserved by connections still in their handshake.
    opening: usize,
    retired: Counters,
    accepted: u64,
    rejected: u64,
    stopping: bool,
}

/// Read (shared) by lookups, sends and stats; written when connections come and go.
pub(crate) struct Table<T> {
    state: RwLock<State<T>>,
    /// Errors of no connection (accept, refused handshakes).
    errors: AtomicU64,
}

impl<T: Tracked> Default for Table<T> {
    fn default() -> Self {
        Table {
            state: RwLock::new(State {
                live: HashMap::new(),
                opening: 0,
                retired: Counters::default(),
                accepted: 0,
                rejected: 0,
                stopping: false,
            }),
            errors: AtomicU64::new(0),
        }
    }
}

impl<T: Tracked> Table<T> {
    /// A new run accepts connections again.
    pub fn reopen(&self) {
        write(&self.state).stopping = false;
    }

    /// Refuses new connections and calls `close` on every open one.
    pub fn stop_all(&self, close: impl FnMut(&T)) {
        let mut s = write(&self.state);
        s.stopping = true;
        s.live.values().for_each(close);
    }

    /// Holds a slot for a new connection unless `max` open and opening ones are reached.
    pub fn reserve(&self, max: usize) -> Admission {
        let mut s = write(&self.state);
        if s.stopping {
            Admission::Stopping
        } else if s.live.len() + s.opening >= max {
            Admission::Full
        } else {
            s.opening += 1;
            Admission::Reserved
        }
    }

    /// Counts a connection refused for the limit.
    pub fn reject(&self) {
        write(&self.state).rejected += 1;
    }

    /// Gives back a reserved slot (the handshake failed).
    pub fn release(&self) {
        write(&self.state).opening -= 1;
    }

    /// Turns a reserved slot into an open connection. Returns true when the server started
    /// stopping meanwhile: the caller closes the connection.
    pub fn open(&self, conn: T) -> bool {
        let mut s = write(&self.state);
        s.opening -= 1;
        s.accepted += 1;
        s.live.insert(conn.id(), conn);
        s.stopping
    }

    /// Removes an ended connection, keeping its counters.
    pub fn close(&self, conn: &T) {
        let mut s = write(&self.state);
        s.live.remove(&conn.id());
        // After a crowd has gone the table gives its room back (amortised: at most once per
        // halving).
        if s.live.capacity() > 64 && s.live.len() < s.live.capacity() / 4 {
            let keep = s.live.len() * 2;
            s.live.shrink_to(keep);
        }
        s.retired.absorb(conn.counters());
    }

    /// Counts an error of no connection.
    pub fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self, id: u64) -> Option<T> {
        read(&self.state).live.get(&id).cloned()
    }

    pub fn ids(&self) -> Vec<u64> {
        read(&self.state).live.keys().copied().collect()
    }

    pub fn len(&self) -> usize {
        read(&self.state).live.len()
    }

    /// The open connections (for work done outside the lock).
    pub fn all(&self) -> Vec<T> {
        read(&self.state).live.values().cloned().collect()
    }

    /// Counters over all connections, past and present.
    pub fn stats(&self) -> Stats {
        let s = read(&self.state);
        let mut stats = Stats {
            connections_total: s.accepted,
            active_connections: s.live.len() as u64,
            connections_rejected: s.rejected,
            errors: self.errors.load(Ordering::Relaxed),
            ..Stats::default()
        };
        s.retired.add_to(&mut stats);
        for conn in s.live.values() {
            stats.queued_bytes += conn.queued_bytes();
            conn.counters().add_to(&mut stats);
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Clone)]
    struct Conn(u64, Arc<Counters>);

    impl Tracked for Conn {
        fn id(&self) -> u64 {
            self.0
        }
        fn counters(&self) -> &Counters {
            &self.1
        }
        fn queued_bytes(&self) -> u64 {
            0
        }
    }

    #[test]
    fn the_room_of_a_crowd_is_given_back_when_it_leaves() {
        let table = Table::<Conn>::default();
        let conns: Vec<Conn> = (0..10_000)
            .map(|i| Conn(i, Arc::new(Counters::default())))
            .collect();
        for c in &conns {
            assert_eq!(table.reserve(usize::MAX), Admission::Reserved);
            assert!(!table.open(c.clone()));
        }
        let crowd = read(&table.state).live.capacity();
        assert!(crowd >= 10_000);
        for c in &conns[..9_990] {
            table.close(c);
        }
        assert_eq!(table.len(), 10);
        assert!(
            read(&table.state).live.capacity() <= 64,
            "room kept after the crowd left"
        );
        assert_eq!(table.stats().connections_total, 10_000);
    }
}
