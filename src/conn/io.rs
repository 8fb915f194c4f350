//! The per-connection tasks: the reader drives every callback of the connection in order
//! (connected → data… → error? → disconnected); the writer flushes the send queue in
//! vectored batches.

use std::io::IoSlice;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{ready, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::{sleep_until, timeout_at, Instant};

use super::framing::{self, Decoded, HEADER_LEN};
use super::handlers::HandlerSlot;
use super::session::{Conn, Outgoing, Taken};
use super::{Framing, Session};
use crate::error::{Error, ErrorCode};
use crate::log::Level;
use crate::runtime;

/// Reads of a connection that receives little go through a stack buffer of this size.
const SMALL_READ: usize = 256;
const MIN_READ: usize = 8 * 1024;
const MAX_READ: usize = 256 * 1024;
const MAX_IOVECS: usize = 64;

/// Runs one established connection to its end, calling the handlers in order.
/// `closed` runs once the connection is closed, just before the disconnected callback (owners
/// drop it from their tables there). Returns after the disconnected callback has run.
pub(crate) async fn run<R, W>(
    session: Session,
    reader: R,
    writer: W,
    slot: &HandlerSlot,
    closed: impl FnOnce(),
) where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let conn = session.conn();
    let owner = slot.owner();
    // Reader and writer run in this one task (one spawn per connection); most writes bypass
    // the writer anyway through the direct-write path.
    let read = async {
        if !conn.enter_callbacks(true) {
            return None;
        }
        // Connect/disconnect callbacks hold only themselves while they run (not the whole
        // set), so replacing another callback meanwhile releases it at once.
        // A binding, not the `if let` scrutinee: the loaded set is released before the call.
        let callback = slot.load().connected.clone();
        if let Some(f) = callback {
            runtime::invoke(owner, "connected", || f(&session));
        }
        conn.leave_callbacks();
        let error = read_loop(&session, reader, slot).await;
        conn.begin_close();
        error
    };
    let (read_error, written) = tokio::join!(read, write_loop(conn, writer));
    // Closed inline by a stopping thread, which did the rest (see `Session::close_inline`).
    if !conn.enter_callbacks(false) {
        return;
    }
    let error = conn.take_failure().or(read_error).or(written.err());
    if error.is_some() {
        conn.counters.errors.fetch_add(1, Ordering::Relaxed);
    }
    closed();
    if let Some(err) = error {
        slot.fire_error(Some(&session), &err);
    }
    disconnected(&session, slot);
}

/// Runs the disconnected callback of `session`.
pub(crate) fn disconnected(session: &Session, slot: &HandlerSlot) {
    // A binding, not the `if let` scrutinee: the loaded set is released before the call.
    let callback = slot.load().disconnected.clone();
    if let Some(f) = callback {
        runtime::invoke(slot.owner(), "disconnected", || f(session));
    }
}

/// Reads until EOF, error, idle timeout or a close request; returns the error that ended it.
/// When the close comes from a failed write (the peer reset or vanished), what the peer sent
/// before that is still delivered: reading goes on until EOF or error, for up to `linger`.
///
/// Memory follows the bytes that arrived, never what a peer announces: while little arrives
/// (an idle connection, a lone header) reads go through a small buffer on the stack and only the
/// bytes received are kept; once reads fill it, the buffer grows with the stream (up to
/// `MAX_READ` per read), and it is released after a message larger than that.
async fn read_loop<R: AsyncRead + Unpin>(
    session: &Session,
    mut reader: R,
    slot: &HandlerSlot,
) -> Option<Error> {
    let conn = session.conn();
    let mut closing = conn.closing();
    let idle = conn.opts.idle_timeout;
    let mut last_read = Instant::now();
    let mut buf = BytesMut::new();
    let mut read_size = MIN_READ;
    let mut draining_until = None;
    loop {
        let streaming = buf.capacity() >= MIN_READ;
        if streaming && buf.capacity() - buf.len() < read_size {
            buf.reserve(read_size);
        }
        let n = tokio::select! {
            biased;
            _ = closing.wait_for(|c| *c), if draining_until.is_none() => {
                if !conn.has_failed() {
                    return None;
                }
                draining_until = Some(Instant::now() + conn.opts.linger);
                continue;
            }
            _ = deadline(draining_until) => return None,
            r = async {
                if streaming { reader.read_buf(&mut buf).await } else { read_small(&mut reader, &mut buf).await }
            } => match r {
                Ok(0) => return None,
                Ok(n) => n,
                Err(e) => return Some(Error::new(ErrorCode::ReceiveFailed, format!("receive failed: {e}"))),
            },
            _ = deadline(idle.map(|d| last_read + d)) => return Some(expired(idle)),
        };
        if idle.is_some() {
            last_read = Instant::now();
        }
        if !streaming {
            if n == SMALL_READ {
                // The small buffer filled up: a stream is coming.
                buf.reserve(read_size);
            }
        } else if n >= read_size && read_size < MAX_READ {
            read_size *= 2;
        }
        if !conn.enter_callbacks(false) {
            return None; // closed inline: nothing more is delivered
        }
        let delivered = deliver(session, conn, &mut buf, slot);
        conn.leave_callbacks();
        if let Err(e) = delivered {
            return Some(e);
        }
        if buf.is_empty() && buf.capacity() > 2 * MAX_READ {
            // After a large message: give the memory back.
            buf = BytesMut::new();
        }
    }
}

/// Resolves at `at`; never without it.
async fn deadline(at: Option<Instant>) {
    match at {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}

fn expired(idle: Option<std::time::Duration>) -> Error {
    Error::new(
        ErrorCode::SessionExpired,
        format!(
            "nothing received for {} ms",
            idle.unwrap_or_default().as_millis()
        ),
    )
}

/// Hands the received bytes in `buf` to the data callback according to the framing.
fn deliver(
    session: &Session,
    conn: &Conn,
    buf: &mut BytesMut,
    slot: &HandlerSlot,
) -> Result<(), Error> {
    match conn.opts.framing {
        Framing::Raw => {
            on_data(session, conn, buf, slot);
            buf.clear();
        }
        Framing::LengthPrefixed => loop {
            if conn.is_closing() && !conn.has_failed() {
                buf.clear();
                break;
            }
            match framing::decode(buf, conn.opts.max_message_size) {
                Decoded::Frame(len) => {
                    on_data(session, conn, &buf[HEADER_LEN..HEADER_LEN + len], slot);
                    buf.advance(HEADER_LEN + len);
                }
                // The rest of the frame is read as it arrives; nothing is reserved for it.
                Decoded::Incomplete(_) => break,
                Decoded::TooLarge(len) => {
                    return Err(Error::new(
                        ErrorCode::MessageTooLarge,
                        format!(
                            "peer sent a frame of {len} bytes; max_message_size is {}",
                            conn.opts.max_message_size
                        ),
                    ));
                }
            }
        },
    }
    Ok(())
}

fn on_data(session: &Session, conn: &Conn, data: &[u8], slot: &HandlerSlot) {
    conn.counters.received(data.len());
    if let Some(f) = &slot.load().data {
        runtime::invoke(slot.owner(), "receive", || f(session, data));
    }
}

/// Writes queued buffers until the queue is closed and drained (or `linger` expires).
async fn write_loop<W: AsyncWrite + Unpin>(conn: &Conn, mut writer: W) -> Result<(), Error> {
    let mut closing = conn.closing();
    let mut batch = Outgoing::default();
    let mut deadline: Option<Instant> = None;
    // Whether the transport may hold written data of its own (TLS records) to flush.
    let mut unflushed = false;
    let result = loop {
        if deadline.is_none() && *closing.borrow() {
            deadline = Some(Instant::now() + conn.opts.linger);
        }
        if batch.is_empty() {
            let taken = conn.lock_queue().take_into(&mut batch);
            if !matches!(taken, Taken::Data) {
                if matches!(taken, Taken::Closed) {
                    break Ok(());
                }
                if unflushed {
                    // TLS may have accepted plaintext whose records are still buffered because
                    // the socket was full: push them out before waiting for more data.
                    let flushed = tokio::select! {
                        r = writer.flush() => r,
                        _ = closing.changed() => continue,
                    };
                    if let Err(e) = flushed {
                        break Err(Error::new(
                            ErrorCode::SendFailed,
                            format!("send failed: {e}"),
                        ));
                    }
                    unflushed = false;
                }
                tokio::select! {
                    _ = conn.wake_writer.notified() => {}
                    _ = closing.changed() => {}
                }
                continue;
            }
        }
        let written = match deadline {
            Some(d) => match timeout_at(d, write_once(&mut writer, &batch)).await {
                Ok(r) => r,
                Err(_) => {
                    let left = batch.len();
                    crate::ns_log!(Level::Warn, "linger expired; {left} queued bytes dropped");
                    break Ok(());
                }
            },
            None => tokio::select! {
                r = write_once(&mut writer, &batch) => r,
                _ = closing.changed() => continue,
            },
        };
        match written {
            Ok(0) => {
                break Err(Error::new(
                    ErrorCode::SendFailed,
                    "send failed: wrote 0 bytes",
                ))
            }
            Ok(n) => {
                batch.advance(n);
                conn.written(n);
                unflushed = true;
            }
            Err(e) => {
                break Err(Error::new(
                    ErrorCode::SendFailed,
                    format!("send failed: {e}"),
                ))
            }
        }
    };
    if let Err(e) = &result {
        conn.fail(e.clone());
        return result;
    }
    let shutdown_by = deadline.unwrap_or_else(|| Instant::now() + conn.opts.linger);
    let _ = timeout_at(shutdown_by, writer.shutdown()).await;
    result
}

/// One vectored write of the front of `batch` (cancel-safe: nothing is consumed here). The
/// slice array lives on the stack of each poll, not in the connection's future (an idle
/// connection's memory is mostly that future).
async fn write_once<W: AsyncWrite + Unpin>(
    writer: &mut W,
    batch: &Outgoing,
) -> std::io::Result<usize> {
    std::future::poll_fn(|cx| {
        let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
        let count = batch.slices(&mut slices);
        Pin::new(&mut *writer).poll_write_vectored(cx, &slices[..count])
    })
    .await
}

/// One read of at most `SMALL_READ` bytes appended to `buf`, through a buffer on the stack of
/// each poll (as in `write_once`, to keep it out of the connection's future).
async fn read_small<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut BytesMut,
) -> std::io::Result<usize> {
    std::future::poll_fn(|cx| {
        let mut small = [0u8; SMALL_READ];
        let mut read = ReadBuf::new(&mut small);
        ready!(Pin::new(&mut *reader).poll_read(cx, &mut read))?;
        buf.extend_from_slice(read.filled());
        Poll::Ready(Ok(read.filled().len()))
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll};

    use tokio::io::{duplex, AsyncWrite, DuplexStream};

    use super::run;
    use crate::conn::{ConnOptions, HandlerSlot, Session};
    use crate::error::ErrorCode;

    const LAST_WORDS: &[u8] = b"sent before the reset";

    /// A socket whose peer writes its last words and resets the connection when we first
    /// write: the words reach our receive side only after our write has failed.
    struct ResetOnWrite(Option<DuplexStream>);

    impl AsyncWrite for ResetOnWrite {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            _: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            if let Some(mut peer) = self.0.take() {
                assert!(Pin::new(&mut peer).poll_write(cx, LAST_WORDS).is_ready());
            }
            Poll::Ready(Err(ErrorKind::ConnectionReset.into()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn bytes_received_before_a_failed_write_are_delivered() {
        let (ours, peer) = duplex(1024);
        let addr = "127.0.0.1:1".parse().expect("address");
        let session = Session::new(addr, addr, ConnOptions::default());
        session.send(b"hello").expect("queued");
        let received = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let slot: HandlerSlot = HandlerSlot::new(0);
        let (r, e) = (received.clone(), errors.clone());
        slot.update(|h| {
            h.data = Some(Arc::new(move |_, d: &[u8]| {
                r.lock().expect("lock").extend_from_slice(d)
            }));
            h.error = Some(Arc::new(move |_, err| {
                e.lock().expect("lock").push(err.code())
            }));
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(run(session, ours, ResetOnWrite(Some(peer)), &slot, || {}));
        assert_eq!(&received.lock().expect("lock")[..], LAST_WORDS);
        assert_eq!(errors.lock().expect("lock")[..], [ErrorCode::SendFailed]);
    }
}
