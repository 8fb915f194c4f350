//! Batched datagram I/O: sends that come in a burst are queued and written by one task with
//! segmentation offload (GSO: up to 64 datagrams per system call); receives take up to 32
//! datagrams per `recvmmsg`, each possibly a GRO train of many. No allocation per datagram on
//! either path: the queue and the receive slots are reused.

use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quinn_udp::{RecvMeta, Transmit, UdpSocketState};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::watch;

use super::{send_error, Core};
use crate::conn::lock;
use crate::error::{Error, ErrorCode, Result};

/// A send that comes sooner than this after the previous one is part of a burst and is queued
/// for the flush task; a lone send is written at once by the sending thread (as for TCP).
pub(super) const BURST_WINDOW: Duration = Duration::from_micros(10);
/// Bytes a burst may queue before sends are refused with `SendQueueFull`.
const QUEUE_LIMIT: usize = 4 << 20;
/// Datagrams up to this size are grouped into GSO trains: every link's MTU (IPv6 over
/// Ethernet) carries them unfragmented, which segmentation offload requires.
const GSO_MAX_SEGMENT: usize = 1452;
/// A GSO train's payload at most (the kernel's limit is 64 KiB with headers).
const GSO_MAX_TOTAL: usize = 65_000;
/// Receive slots; each holds one datagram or one GRO train (up to 64 KiB).
const RECV_SLOTS: usize = quinn_udp::BATCH_SIZE;
const SLOT_SIZE: usize = 1 << 16;

/// A running socket with its offload state.
pub(super) struct Sock {
    pub io: UdpSocket,
    state: UdpSocketState,
}

impl Sock {
    /// Takes over a bound, non-blocking socket: enables GRO and learns what the kernel offers.
    pub fn new(io: UdpSocket) -> Result<Sock> {
        let state = UdpSocketState::new((&io).into())
            .map_err(|e| Error::io(&e, "cannot set up the socket"))?;
        let v6 = io.local_addr().map(|a| a.is_ipv6()).unwrap_or(false);
        crate::ffi::sockopt::allow_fragmentation(&io, v6)
            .map_err(|e| Error::io(&e, "cannot set up the socket"))?;
        Ok(Sock { io, state })
    }
}

/// Datagrams queued by a burst of sends, back to back in one buffer.
#[derive(Default)]
pub(super) struct Pending {
    data: Vec<u8>,
    /// Each datagram's length and destination (`None`: the connected peer).
    items: Vec<(usize, Option<SocketAddr>)>,
    /// The flush task owns the queue's output until it finds the queue empty.
    flushing: bool,
    last_send: Option<Instant>,
}

/// What `Core::send` does with a datagram.
pub(super) enum Route {
    /// Write it now from the calling thread.
    Direct,
    /// Queued; the flush task is already on it.
    Queued,
    /// Queued; wake the flush task.
    Wake,
}

impl Pending {
    /// Queues `data` when a burst is under way; `SendQueueFull` past the limit.
    pub fn route(&mut self, data: &[u8], to: Option<SocketAddr>) -> Result<Route> {
        let now = Instant::now();
        let burst = self.flushing
            || self
                .last_send
                .is_some_and(|t| now.saturating_duration_since(t) < BURST_WINDOW);
        self.last_send = Some(now);
        if !burst {
            return Ok(Route::Direct);
        }
        Ok(if self.queue_all(&[data], to)? {
            Route::Wake
        } else {
            Route::Queued
        })
    }

    /// Queues all of `datagrams` or, past the limit, none (`SendQueueFull`). True when the
    /// flush task must be woken.
    pub fn queue_all<D: AsRef<[u8]>>(
        &mut self,
        datagrams: &[D],
        to: Option<SocketAddr>,
    ) -> Result<bool> {
        let bytes: usize = datagrams.iter().map(|d| d.as_ref().len()).sum();
        if self.data.len() + bytes > QUEUE_LIMIT {
            return Err(Error::new(
                ErrorCode::SendQueueFull,
                format!("{QUEUE_LIMIT} bytes of datagrams already queued; not sent"),
            ));
        }
        for d in datagrams {
            self.data.extend_from_slice(d.as_ref());
            self.items.push((d.as_ref().len(), to));
        }
        self.last_send = Some(Instant::now());
        Ok(!std::mem::replace(&mut self.flushing, true))
    }
}

/// Writes queued bursts until stopped; on stop, what is queued goes out if the socket takes
/// it without waiting.
pub(super) async fn flush_loop(core: &Arc<Core>, sock: &Sock, mut stop: watch::Receiver<bool>) {
    let mut mine = Pending::default();
    loop {
        let stopping = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => true,
            _ = core.wake_flusher.notified() => false,
        };
        loop {
            {
                let mut q = lock(&core.pending);
                if q.items.is_empty() {
                    q.flushing = false;
                    q.last_send = Some(Instant::now());
                    break;
                }
                std::mem::swap(&mut q.data, &mut mine.data);
                std::mem::swap(&mut q.items, &mut mine.items);
            }
            let all = write_all(core, sock, &mine, &mut stop, stopping).await;
            mine.data.clear();
            mine.items.clear();
            if !all {
                return;
            }
        }
        if stopping {
            return;
        }
    }
}

/// Writes `batch` in GSO trains, waiting for room in the socket's buffer (unless `stopping`:
/// then what does not fit is dropped). False when a stop cut it short.
async fn write_all(
    core: &Core,
    sock: &Sock,
    batch: &Pending,
    stop: &mut watch::Receiver<bool>,
    stopping: bool,
) -> bool {
    let peer = sock.io.peer_addr().ok();
    let (mut i, mut offset) = (0, 0);
    while i < batch.items.len() {
        let (len, to) = batch.items[i];
        let count = train(&batch.items[i..], sock.state.max_gso_segments());
        let total: usize = batch.items[i..i + count].iter().map(|(n, _)| n).sum();
        let contents = &batch.data[offset..offset + total];
        let sent = match to.or(peer) {
            None => Err(io::Error::from(io::ErrorKind::NotConnected)),
            Some(destination) => {
                let transmit = Transmit {
                    destination,
                    ecn: None,
                    contents,
                    segment_size: (count > 1).then_some(len),
                    src_ip: None,
                };
                sock.io.try_io(Interest::WRITABLE, || {
                    sock.state.try_send((&sock.io).into(), &transmit)
                })
            }
        };
        match sent {
            Ok(()) => core.counters.sent(count, total),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if stopping {
                    let left = batch.items.len() - i;
                    core.dropped.fetch_add(left as u64, Ordering::Relaxed);
                    return false;
                }
                tokio::select! {
                    biased;
                    _ = stop.wait_for(|s| *s) => return false,
                    _ = sock.io.writable() => {}
                }
                continue;
            }
            // The kernel or device refused segmentation offload: quinn-udp turned it off;
            // the same datagrams go again one by one.
            Err(_) if count > 1 && sock.state.max_gso_segments() == 1 => continue,
            Err(e) => {
                core.dropped.fetch_add(count as u64, Ordering::Relaxed);
                core.report_later(send_error(&e));
            }
        }
        i += count;
        offset += total;
    }
    true
}

/// How many datagrams from the front of `items` go in one GSO train: same destination, same
/// size (the last may be shorter), within the kernel's limits.
fn train(items: &[(usize, Option<SocketAddr>)], max_segments: usize) -> usize {
    let Some(&(len, to)) = items.first() else {
        return 0;
    };
    if len > GSO_MAX_SEGMENT {
        return 1;
    }
    let mut total = len;
    let mut count = 1;
    for &(n, dest) in &items[1..] {
        if count == max_segments || dest != to || n > len || total + n > GSO_MAX_TOTAL {
            break;
        }
        total += n;
        count += 1;
        if n < len {
            break;
        }
    }
    count
}

/// Receive buffers: one slot until a read finds more waiting, then `RECV_SLOTS` (zeroed pages
/// are mapped only when written, so an idle socket costs little).
pub(super) struct RecvSlots {
    buf: Vec<u8>,
    meta: [RecvMeta; RECV_SLOTS],
}

impl Default for RecvSlots {
    fn default() -> Self {
        RecvSlots {
            buf: vec![0; SLOT_SIZE],
            meta: [RecvMeta::default(); RECV_SLOTS],
        }
    }
}

impl RecvSlots {
    /// One non-blocking `recvmmsg`; calls `each` with every datagram received (a GRO train is
    /// split at its stride). Returns how many buffers were filled.
    pub fn receive(
        &mut self,
        sock: &Sock,
        mut each: impl FnMut(&[u8], SocketAddr),
    ) -> io::Result<usize> {
        let slots = self.buf.len() / SLOT_SIZE;
        let filled = {
            let mut chunks = self.buf.chunks_mut(SLOT_SIZE);
            let mut iovs: [IoSliceMut<'_>; RECV_SLOTS] =
                std::array::from_fn(|_| IoSliceMut::new(chunks.next().unwrap_or_default()));
            sock.io.try_io(Interest::READABLE, || {
                sock.state.recv(
                    (&sock.io).into(),
                    &mut iovs[..slots],
                    &mut self.meta[..slots],
                )
            })?
        };
        for (slot, meta) in self.buf.chunks(SLOT_SIZE).zip(&self.meta[..filled]) {
            let data = &slot[..meta.len.min(SLOT_SIZE)];
            if data.is_empty() {
                each(data, meta.addr); // an empty datagram
            }
            for datagram in data.chunks(meta.stride.max(1)) {
                each(datagram, meta.addr);
            }
        }
        if filled == slots && slots < RECV_SLOTS {
            // More were waiting than one slot takes: read in batches from now on.
            self.buf.resize(SLOT_SIZE * RECV_SLOTS, 0);
        }
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::train;
    use std::net::SocketAddr;

    #[test]
    fn trains_group_equal_sizes_to_one_destination() {
        let a: SocketAddr = "127.0.0.1:1".parse().expect("address");
        let b: SocketAddr = "127.0.0.1:2".parse().expect("address");
        let same = vec![(64, Some(a)); 100];
        assert_eq!(train(&same, 64), 64);
        assert_eq!(train(&same, 1), 1);
        // A shorter datagram ends a train; a longer one or another destination starts a new one.
        assert_eq!(
            train(
                &[(64, Some(a)), (64, Some(a)), (10, Some(a)), (64, Some(a))],
                64
            ),
            3
        );
        assert_eq!(train(&[(64, Some(a)), (65, Some(a))], 64), 1);
        assert_eq!(train(&[(64, Some(a)), (64, Some(b))], 64), 1);
        assert_eq!(train(&[(64, None), (64, None)], 64), 2);
        // Large datagrams go alone; trains stay within 64 KiB.
        assert_eq!(train(&[(2000, Some(a)), (2000, Some(a))], 64), 1);
        assert_eq!(train(&vec![(1400, Some(a)); 64], 64), 46);
    }
}
