// Each test crate uses a different part of this module.
#![allow(dead_code)]

//! A misbehaving network in user space (the kernel here has no netem): proxies on loopback
//! between a peer and a server. Streams: delay per chunk, writes split into 1-byte segments,
//! a stall, a reset mid-stream. Datagrams: loss, delay with jitter (hence reordering),
//! duplication. The impairments are the proxy's work, not the tests' synchronisation.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use socket2::SockRef;

/// What a stream proxy does to the bytes of each connection.
#[derive(Clone, Default)]
pub struct StreamFaults {
    /// Waited before each chunk read is forwarded.
    pub delay: Duration,
    /// In every window of `split_period` bytes, the first `split_len` go out one byte per
    /// write (TCP_NODELAY: one segment each).
    pub split_period: u64,
    pub split_len: u64,
    /// Once `stall_at` bytes went through (each direction), forwarding stops for `stall`.
    pub stall_at: Option<u64>,
    pub stall: Duration,
    /// Once `reset_at` bytes went from peer to server, both sides get a TCP reset.
    pub reset_at: Option<u64>,
}

/// A TCP proxy on 127.0.0.1 in front of `target`; stops accepting when dropped.
pub struct StreamProxy {
    pub port: u16,
    stop: Arc<AtomicBool>,
    /// Connections reset so far.
    pub resets: Arc<AtomicU64>,
    /// Until when every connection forwards nothing (see `stall`).
    held_until: Arc<Mutex<Instant>>,
}

impl StreamProxy {
    pub fn start(target: SocketAddr, faults: StreamFaults) -> StreamProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let port = listener.local_addr().expect("proxy addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let resets = Arc::new(AtomicU64::new(0));
        let held_until = Arc::new(Mutex::new(Instant::now()));
        let (stop2, resets2, held2) = (stop.clone(), resets.clone(), held_until.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(down) = conn else { continue };
                let Ok(up) = TcpStream::connect(target) else {
                    continue;
                };
                let (down, up) = (Arc::new(down), Arc::new(up));
                for s in [&down, &up] {
                    let _ = s.set_nodelay(true);
                    let _ = s.set_write_timeout(Some(Duration::from_millis(200)));
                }
                let reset = Arc::new(AtomicBool::new(false));
                let to_server = Pump {
                    from: down.clone(),
                    to: up.clone(),
                    faults: faults.clone(),
                    reset: reset.clone(),
                    resets: Some(resets2.clone()),
                    pair: [down.clone(), up.clone()],
                    held_until: held2.clone(),
                };
                let to_peer = Pump {
                    from: up.clone(),
                    to: down.clone(),
                    faults: StreamFaults {
                        reset_at: None,
                        ..faults.clone()
                    },
                    reset,
                    resets: None,
                    pair: [down, up],
                    held_until: held2.clone(),
                };
                thread::spawn(move || to_server.run());
                thread::spawn(move || to_peer.run());
            }
        });
        StreamProxy {
            port,
            stop,
            resets,
            held_until,
        }
    }

    /// From now on, for `d`, every connection forwards nothing in either direction: what
    /// arrives meanwhile is held and goes on afterwards (a network that goes silent).
    pub fn stall(&self, d: Duration) {
        *self.held_until.lock().expect("stall") = Instant::now() + d;
    }
}

impl Drop for StreamProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

struct Pump {
    from: Arc<TcpStream>,
    to: Arc<TcpStream>,
    faults: StreamFaults,
    reset: Arc<AtomicBool>,
    resets: Option<Arc<AtomicU64>>,
    /// Both sockets of the connection (for the reset).
    pair: [Arc<TcpStream>; 2],
    held_until: Arc<Mutex<Instant>>,
}

impl Pump {
    fn run(self) {
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        let mut stalled = false;
        loop {
            let n = match (&*self.from).read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if self.reset.load(Ordering::SeqCst) {
                break;
            }
            if !self.faults.delay.is_zero() {
                thread::sleep(self.faults.delay);
            }
            let held_until = *self.held_until.lock().expect("stall");
            thread::sleep(held_until.saturating_duration_since(Instant::now()));
            if !self.forward(&buf[..n], total) {
                break;
            }
            total += n as u64;
            if let Some(at) = self.faults.stall_at {
                if !stalled && total >= at {
                    stalled = true;
                    thread::sleep(self.faults.stall);
                }
            }
            if let Some(at) = self.faults.reset_at {
                if total >= at {
                    self.abort();
                    return;
                }
            }
        }
        if !self.reset.load(Ordering::SeqCst) {
            let _ = self.to.shutdown(Shutdown::Write);
        }
    }

    /// Writes `data` (stream offset `at`), split as the faults say; false once reset.
    fn forward(&self, data: &[u8], at: u64) -> bool {
        let f = &self.faults;
        let mut i = 0;
        while i < data.len() {
            let off = at + i as u64;
            let step = match f.split_period {
                0 => data.len() - i,
                p if off % p < f.split_len => 1,
                p => (((off / p + 1) * p - off) as usize).min(data.len() - i),
            };
            if !self.write_all(&data[i..i + step]) {
                return false;
            }
            i += step;
        }
        true
    }

    /// Writes through timeouts (checking for a reset meanwhile).
    fn write_all(&self, mut data: &[u8]) -> bool {
        while !data.is_empty() {
            if self.reset.load(Ordering::SeqCst) {
                return false;
            }
            match (&*self.to).write(data) {
                Ok(0) => return false,
                Ok(n) => data = &data[n..],
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) => {}
                Err(_) => return false,
            }
        }
        true
    }

    /// Both sides get an RST: linger 0, then the other pump is made to let go of the sockets
    /// (its read ends), and the last close aborts the connections.
    fn abort(&self) {
        self.reset.store(true, Ordering::SeqCst);
        for s in &self.pair {
            let _ = SockRef::from(&**s).set_linger(Some(Duration::ZERO));
            let _ = s.shutdown(Shutdown::Read);
        }
        if let Some(r) = &self.resets {
            r.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// What a datagram proxy does to each datagram, both directions.
#[derive(Clone)]
pub struct DatagramFaults {
    /// Probability that a datagram is dropped.
    pub loss: f64,
    /// Each datagram waits `delay` ± `jitter` (uniform): later ones overtake earlier ones.
    pub delay: Duration,
    pub jitter: Duration,
    /// Probability that a datagram is sent twice (each copy with its own delay).
    pub duplicate: f64,
}

impl DatagramFaults {
    /// The network: 5 % loss, 50 ms ± 20 ms, reordering, 2 % duplicates.
    pub fn lossy() -> DatagramFaults {
        DatagramFaults {
            loss: 0.05,
            delay: Duration::from_millis(50),
            jitter: Duration::from_millis(20),
            duplicate: 0.02,
        }
    }
}

/// Counters of a datagram proxy.
#[derive(Default)]
pub struct DatagramCounts {
    pub forwarded: AtomicU64,
    pub dropped: AtomicU64,
    pub duplicated: AtomicU64,
}

/// A UDP proxy on 127.0.0.1 in front of `target`, for one peer (the first that sends).
pub struct DatagramProxy {
    pub port: u16,
    pub counts: Arc<DatagramCounts>,
    stop: Arc<AtomicBool>,
}

type Due = Reverse<(Instant, u64, bool, Vec<u8>)>;

impl DatagramProxy {
    pub fn start(target: SocketAddr, faults: DatagramFaults, seed: u64) -> DatagramProxy {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").expect("proxy bind"));
        let back = Arc::new(UdpSocket::bind("127.0.0.1:0").expect("proxy bind"));
        back.connect(target).expect("proxy connect");
        let port = front.local_addr().expect("addr").port();
        for s in [&front, &back] {
            s.set_read_timeout(Some(Duration::from_millis(100)))
                .expect("timeout");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(DatagramCounts::default());
        let peer: Arc<Mutex<Option<SocketAddr>>> = Arc::new(Mutex::new(None));
        let queue: Arc<(Mutex<BinaryHeap<Due>>, Condvar)> = Arc::default();
        // Sender: each datagram leaves when due (true: toward the server).
        {
            let (front, back, stop, peer, queue) = (
                front.clone(),
                back.clone(),
                stop.clone(),
                peer.clone(),
                queue.clone(),
            );
            thread::spawn(move || {
                let (lock, cv) = &*queue;
                let mut q = lock.lock().expect("queue");
                while !stop.load(Ordering::SeqCst) {
                    let now = Instant::now();
                    match q.peek() {
                        Some(Reverse((due, ..))) if *due <= now => {
                            let Some(Reverse((_, _, up, data))) = q.pop() else {
                                continue;
                            };
                            if up {
                                let _ = back.send(&data);
                            } else if let Some(p) = *peer.lock().expect("peer") {
                                let _ = front.send_to(&data, p);
                            }
                        }
                        Some(Reverse((due, ..))) => {
                            let wait = *due - now;
                            q = cv.wait_timeout(q, wait).expect("queue").0;
                        }
                        None => {
                            q = cv
                                .wait_timeout(q, Duration::from_millis(100))
                                .expect("queue")
                                .0
                        }
                    }
                }
            });
        }
        // Receivers: one per direction.
        for up in [true, false] {
            let (front, back, stop, peer, queue, counts, faults) = (
                front.clone(),
                back.clone(),
                stop.clone(),
                peer.clone(),
                queue.clone(),
                counts.clone(),
                faults.clone(),
            );
            thread::spawn(move || {
                let mut rng = Rng(seed ^ if up { 0x9e37_79b9 } else { 0x7f4a_7c15 });
                let mut seq = 0u64;
                let mut buf = vec![0u8; 65536];
                while !stop.load(Ordering::SeqCst) {
                    let n = if up {
                        match front.recv_from(&mut buf) {
                            Ok((n, from)) => {
                                peer.lock().expect("peer").get_or_insert(from);
                                n
                            }
                            Err(_) => continue,
                        }
                    } else {
                        match back.recv(&mut buf) {
                            Ok(n) => n,
                            Err(_) => continue,
                        }
                    };
                    if rng.chance(faults.loss) {
                        counts.dropped.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let copies = if rng.chance(faults.duplicate) {
                        counts.duplicated.fetch_add(1, Ordering::Relaxed);
                        2
                    } else {
                        1
                    };
                    for _ in 0..copies {
                        let jitter = faults.jitter.as_secs_f64() * (2.0 * rng.unit() - 1.0);
                        let wait = (faults.delay.as_secs_f64() + jitter).max(0.0);
                        let due = Instant::now() + Duration::from_secs_f64(wait);
                        seq += 1;
                        let (lock, cv) = &*queue;
                        lock.lock().expect("queue").push(Reverse((
                            due,
                            seq * 2 + u64::from(up),
                            up,
                            buf[..n].to_vec(),
                        )));
                        cv.notify_one();
                    }
                    counts.forwarded.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        DatagramProxy { port, counts, stop }
    }
}

impl Drop for DatagramProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// xorshift64*: reproducible impairments from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0.max(1);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// The test payload: `len` bytes from a seed, the same on both sides.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out.truncate(len);
    out
}

/// MiB moved by each transfer test: `NS_FAULT_MIB` (the long run: 64), else `default`.
pub fn transfer_mib(default: usize) -> usize {
    std::env::var("NS_FAULT_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
