//! The server's side of the opening handshake (RFC 6455 §4.2): the request is parsed with
//! `httparse` and checked here so that every refusal gets its HTTP status (tungstenite's own
//! server handshake drops the connection without a response on a malformed request). And the
//! client's stream during its handshake ([`WholeHead`]).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::WsServerConfig;
use crate::error::{Error, ErrorCode, Result};

/// Largest request head accepted.
const MAX_HEAD: usize = 16 * 1024;
const MAX_HEADERS: usize = 64;

/// An accepted upgrade.
pub(crate) struct Upgrade {
    pub path: String,
    pub subprotocol: Option<String>,
    /// Bytes that followed the request head (frames sent early).
    pub rest: Vec<u8>,
}

/// A refusal: the status line and extra headers sent back.
struct Refusal {
    status: u16,
    reason: &'static str,
    headers: &'static str,
    why: String,
}

fn refuse(status: u16, why: impl Into<String>) -> Refusal {
    let (reason, headers) = match status {
        403 => ("Forbidden", ""),
        404 => ("Not Found", ""),
        426 => (
            "Upgrade Required",
            "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n",
        ),
        503 => ("Service Unavailable", ""),
        431 => ("Request Header Fields Too Large", ""),
        _ => ("Bad Request", "Sec-WebSocket-Version: 13\r\n"),
    };
    Refusal {
        status,
        reason,
        headers,
        why: why.into(),
    }
}

/// Reads the request, answers it (101, or an error status and then the connection closes)
/// and returns the accepted upgrade. `full`: the connection limit is reached (503).
pub(crate) async fn accept<S>(
    stream: &mut S,
    config: &WsServerConfig,
    full: bool,
) -> Result<Upgrade>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = Vec::with_capacity(1024);
    let outcome = loop {
        let mut chunk = [0u8; 2048];
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| Error::io(&e, "reading the websocket handshake"))?;
        if n == 0 {
            return Err(Error::new(
                ErrorCode::ConnectionClosed,
                "the peer closed during the websocket handshake",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                break check(&request, config, full).map(|(path, subprotocol, accept)| {
                    (path, subprotocol, accept, buf[len..].to_vec())
                })
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => continue,
            Ok(httparse::Status::Partial) => {
                break Err(refuse(431, "request head larger than 16 KiB"))
            }
            Err(httparse::Error::TooManyHeaders) => {
                break Err(refuse(431, "more than 64 request headers"))
            }
            Err(e) => break Err(refuse(400, format!("malformed HTTP request: {e}"))),
        }
    };
    match outcome {
        Ok((path, subprotocol, accept, rest)) => {
            let protocol = subprotocol
                .as_deref()
                .map(|p| format!("Sec-WebSocket-Protocol: {p}\r\n"))
                .unwrap_or_default();
            let response = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {accept}\r\n{protocol}\r\n"
            );
            write(stream, response.as_bytes()).await?;
            Ok(Upgrade {
                path,
                subprotocol,
                rest,
            })
        }
        Err(r) => {
            let body = format!("{}\n", r.why);
            let response = format!(
                "HTTP/1.1 {} {}\r\n{}Content-Type: text/plain\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                r.status,
                r.reason,
                r.headers,
                body.len()
            );
            // The refusal is the error reported; a failure to send it changes nothing.
            let _ = write(stream, response.as_bytes()).await;
            let _ = stream.shutdown().await;
            let code = if r.status == 503 {
                ErrorCode::SessionLimitReached
            } else {
                ErrorCode::ProtocolError
            };
            Err(Error::new(
                code,
                format!("websocket upgrade refused with {}: {}", r.status, r.why),
            ))
        }
    }
}

async fn write<S: AsyncWrite + Unpin>(stream: &mut S, data: &[u8]) -> Result<()> {
    stream
        .write_all(data)
        .await
        .map_err(|e| Error::io(&e, "writing the websocket handshake"))?;
    stream
        .flush()
        .await
        .map_err(|e| Error::io(&e, "writing the websocket handshake"))
}

fn header<'a>(request: &'a httparse::Request<'_, '_>, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .and_then(|h| std::str::from_utf8(h.value).ok())
        .map(str::trim)
}

/// True when the comma-separated header `name` lists `token` (case-insensitively).
fn lists(request: &httparse::Request<'_, '_>, name: &str, token: &str) -> bool {
    request
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .filter_map(|h| std::str::from_utf8(h.value).ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Checks the request (RFC 6455 §4.2.1); returns the path, the chosen subprotocol and the
/// Sec-WebSocket-Accept value.
fn check(
    request: &httparse::Request<'_, '_>,
    config: &WsServerConfig,
    full: bool,
) -> std::result::Result<(String, Option<String>, String), Refusal> {
    if request.method != Some("GET") {
        return Err(refuse(400, "a websocket upgrade must be a GET request"));
    }
    if request.version != Some(1) {
        return Err(refuse(400, "a websocket upgrade needs HTTP/1.1"));
    }
    let target = request.path.unwrap_or("");
    let path = target.split('?').next().unwrap_or("");
    if path != config.path {
        return Err(refuse(404, format!("no websocket endpoint at {path}")));
    }
    if !lists(request, "Upgrade", "websocket") || !lists(request, "Connection", "upgrade") {
        return Err(refuse(426, "not a websocket upgrade request"));
    }
    if header(request, "Sec-WebSocket-Version") != Some("13") {
        return Err(refuse(400, "unsupported Sec-WebSocket-Version (13 is)"));
    }
    let key = header(request, "Sec-WebSocket-Key").unwrap_or("");
    let decoded = data_encoding::BASE64.decode(key.as_bytes());
    if decoded.map(|k| k.len()) != Ok(16) {
        return Err(refuse(400, "Sec-WebSocket-Key is not 16 bytes in base64"));
    }
    if !config.allowed_origins.is_empty() {
        let origin = header(request, "Origin").unwrap_or("");
        if !config.allowed_origins.iter().any(|o| o == origin) {
            return Err(refuse(403, format!("origin '{origin}' is not allowed")));
        }
    }
    let subprotocol = if config.subprotocols.is_empty() {
        None
    } else {
        let chosen = config
            .subprotocols
            .iter()
            .find(|p| lists(request, "Sec-WebSocket-Protocol", p));
        match chosen {
            Some(p) => Some(p.clone()),
            None => return Err(refuse(400, "no supported subprotocol requested")),
        }
    };
    if full {
        return Err(refuse(
            503,
            format!("max_connections ({}) reached", config.max_connections),
        ));
    }
    Ok((
        target.to_string(),
        subprotocol,
        derive_accept_key(key.as_bytes()),
    ))
}

/// The client's stream: until the server's response head is complete (or 16 KiB arrived),
/// reads gather it, so tungstenite's handshake gets the head in one read however the network
/// cut it. Tungstenite takes more than 64 reads averaging under 128 bytes for an attack, so a
/// head that arrives in 1-byte segments would fail the connection. Afterwards reads pass
/// straight through.
pub(crate) struct WholeHead<S> {
    inner: S,
    buf: Vec<u8>,
    pos: usize,
    head_done: bool,
}

impl<S> WholeHead<S> {
    pub(crate) fn new(inner: S) -> WholeHead<S> {
        WholeHead {
            inner,
            buf: Vec::new(),
            pos: 0,
            head_done: false,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WholeHead<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while !this.head_done {
            let mut chunk = [0u8; 2048];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if read.filled().is_empty() => this.head_done = true,
                Poll::Ready(Ok(())) => {
                    this.buf.extend_from_slice(read.filled());
                    this.head_done =
                        this.buf.len() >= MAX_HEAD || this.buf.windows(4).any(|w| w == b"\r\n\r\n");
                }
            }
        }
        if this.pos < this.buf.len() {
            let n = out.remaining().min(this.buf.len() - this.pos);
            out.put_slice(&this.buf[this.pos..this.pos + n]);
            this.pos += n;
            if this.pos == this.buf.len() {
                this.buf = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, out)
    }
}

crate::conn::write_through!(WholeHead);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_head_in_one_byte_pieces_is_read_whole_and_the_rest_follows() {
        let head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
        let (mut writer, reader) = tokio::io::duplex(64);
        let mut reader = WholeHead::new(reader);
        let feed = tokio::spawn(async move {
            for b in head.iter() {
                writer.write_all(&[*b]).await.expect("write");
                tokio::task::yield_now().await;
            }
            writer.write_all(b"frames").await.expect("write");
        });
        let mut buf = [0u8; 256];
        let n = reader.read(&mut buf).await.expect("read");
        assert_eq!(&buf[..n], &head[..], "the whole head in one read");
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.expect("rest");
        assert_eq!(rest, b"frames");
        feed.await.expect("feeder");
    }
}
