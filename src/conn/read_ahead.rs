//! Large reads beneath a protocol library that reads in small pieces. tungstenite zero-fills
//! its whole free read buffer before every read (128 KiB by default: 45 % of the CPU time of a
//! 1 000-connection WebSocket echo went to that `memset`), so our WebSocket connections give it
//! a 4 KiB buffer, which would cost a bulk stream one system call per 4 KiB. This transport
//! passes small reads straight through and, once `STREAMING` reads in a row filled what was
//! asked (a stream is coming), reads `CHUNK` bytes per system call into a buffer of its own —
//! zeroed once, reused — and hands them out from memory. The buffer is kept while the
//! connection lives, as the TCP read loop keeps its buffer.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

/// Bytes read per system call once streaming.
const CHUNK: usize = 128 * 1024;
/// Full reads in a row that mean a stream is coming.
const STREAMING: u8 = 4;

pub(crate) struct ReadAhead<S> {
    inner: S,
    buf: Vec<u8>,
    /// `buf[pos..end]` was read and is not handed on yet.
    pos: usize,
    end: usize,
    full_reads: u8,
}

impl<S> ReadAhead<S> {
    pub fn new(inner: S) -> ReadAhead<S> {
        ReadAhead {
            inner,
            buf: Vec::new(),
            pos: 0,
            end: 0,
            full_reads: 0,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ReadAhead<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pos == this.end {
            if this.buf.is_empty() {
                // Not streaming: straight into the caller's buffer.
                let asked = out.remaining();
                let before = out.filled().len();
                ready!(Pin::new(&mut this.inner).poll_read(cx, out))?;
                let full = asked > 0 && out.filled().len() - before == asked;
                this.full_reads = if full { this.full_reads + 1 } else { 0 };
                if this.full_reads >= STREAMING {
                    this.buf = vec![0; CHUNK];
                }
                return Poll::Ready(Ok(()));
            }
            let mut chunk = ReadBuf::new(&mut this.buf);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut chunk))?;
            this.pos = 0;
            this.end = chunk.filled().len();
        }
        let n = out.remaining().min(this.end - this.pos);
        out.put_slice(&this.buf[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

/// Implements `AsyncWrite` for a wrapper of the read side (`$wrapper<S>` with a field `inner:
/// S`) by handing every call to `inner`.
macro_rules! write_through {
    ($wrapper:ident) => {
        impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for $wrapper<S> {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                data: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                data: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, data)
            }

            fn is_write_vectored(&self) -> bool {
                self.inner.is_write_vectored()
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_flush(cx)
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
            }
        }
    };
}
pub(crate) use write_through;

write_through!(ReadAhead);

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Small reads pass straight through; a stream switches to chunked reads; every byte
    /// arrives once and in order across the switch.
    #[test]
    fn reads_ahead_only_once_streaming_and_loses_nothing() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (mut tx, rx) = tokio::io::duplex(1 << 20);
            let mut reader = ReadAhead::new(rx);
            tx.write_all(b"hello").await.expect("write");
            let mut small = [0u8; 4096];
            let n = reader.read(&mut small).await.expect("read");
            assert_eq!(&small[..n], b"hello");
            assert!(reader.buf.is_empty(), "short reads keep no buffer");

            let data: Vec<u8> = (0..600_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
            let writer = tokio::spawn({
                let data = data.clone();
                async move {
                    tx.write_all(&data).await.expect("write");
                }
            });
            let mut got = Vec::new();
            while got.len() < data.len() {
                let n = reader.read(&mut small).await.expect("read");
                assert!(n > 0);
                got.extend_from_slice(&small[..n]);
            }
            writer.await.expect("writer");
            assert_eq!(got, data);
            assert_eq!(reader.buf.len(), CHUNK, "a stream reads ahead");
        });
    }
}
