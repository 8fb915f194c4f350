//! One DTLS association: an OpenSSL `SslStream` over an in-memory datagram pipe. The owner
//! feeds received datagrams in and sends what comes out; nothing here touches a socket.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::time::Duration;

use openssl::ssl::{ErrorCode as SslCode, Ssl, SslStream};

use crate::error::{Error, ErrorCode, Result};
use crate::ffi::dtls_engine;

/// Datagrams in and out: OpenSSL reads one datagram per read and writes one per write.
#[derive(Default)]
pub(crate) struct Pipe {
    inbox: VecDeque<Vec<u8>>,
    outbox: VecDeque<Vec<u8>>,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inbox.pop_front() {
            Some(d) => {
                // A datagram larger than OpenSSL's buffer is cut, as the kernel would.
                let n = d.len().min(buf.len());
                buf[..n].copy_from_slice(&d[..n]);
                Ok(n)
            }
            None => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outbox.push_back(buf.to_vec());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What feeding a datagram produced.
#[derive(Default)]
pub(crate) struct Fed {
    /// The handshake completed with this datagram.
    pub connected: bool,
    /// Application datagrams decrypted, in order.
    pub data: Vec<Vec<u8>>,
    /// The peer sent close_notify.
    pub closed: bool,
}

/// An association; `established` once its handshake completed.
pub(crate) struct Session {
    stream: SslStream<Pipe>,
    /// Where records are decrypted into (one record's plaintext at most), reused.
    plain: Vec<u8>,
    pub established: bool,
}

impl Session {
    /// A session over `ssl` (set to accept or connect); `first` is fed before the handshake
    /// starts (the server's ClientHello that passed the cookie check).
    pub fn new(mut ssl: Ssl, first: Option<Vec<u8>>, mtu: u32) -> Result<Session> {
        // Records sized for the configured path MTU (the contexts set NO_QUERY_MTU).
        ssl.set_mtu(mtu).map_err(ssl_error)?;
        let mut pipe = Pipe::default();
        pipe.inbox.extend(first);
        let stream = SslStream::new(ssl, pipe).map_err(ssl_error)?;
        Ok(Session {
            stream,
            plain: vec![0u8; super::RECORD_MAX],
            established: false,
        })
    }

    /// Advances the handshake with what was fed; true once it is complete.
    pub fn handshake(&mut self) -> Result<bool> {
        if self.established {
            return Ok(true);
        }
        match self.stream.do_handshake() {
            Ok(()) => {
                self.established = true;
                Ok(true)
            }
            Err(e) if e.code() == SslCode::WANT_READ || e.code() == SslCode::WANT_WRITE => {
                Ok(false)
            }
            Err(e) => Err(handshake_error(&e)),
        }
    }

    /// Feeds one received datagram: advances the handshake or decrypts application data.
    /// Records that fail authentication, replays and stray datagrams are dropped by OpenSSL.
    pub fn feed(&mut self, datagram: Vec<u8>) -> Result<Fed> {
        self.stream.get_mut().inbox.push_back(datagram);
        let mut fed = Fed::default();
        if !self.established {
            fed.connected = self.handshake()?;
            if !fed.connected {
                return Ok(fed);
            }
        }
        loop {
            match self.stream.ssl_read(&mut self.plain) {
                Ok(n) => fed.data.push(self.plain[..n].to_vec()),
                Err(e) if e.code() == SslCode::WANT_READ => return Ok(fed),
                Err(e) if e.code() == SslCode::ZERO_RETURN => {
                    fed.closed = true;
                    return Ok(fed);
                }
                Err(e) => {
                    return Err(Error::new(
                        ErrorCode::ProtocolError,
                        format!("DTLS record refused: {e}"),
                    ))
                }
            }
        }
    }

    /// Server: the stateless cookie exchange on the fed ClientHello (see
    /// [`dtls_engine::listen`]); true when its cookie is valid and the handshake may go on.
    pub fn listen(&mut self) -> Result<bool> {
        dtls_engine::listen(self.stream.ssl()).map_err(ssl_error)
    }

    /// Encrypts one datagram's payload; the record is in [`take_output`](Self::take_output).
    /// Errors: handshake not complete → `ConnectionClosed`; empty → `InvalidArgument`; a
    /// record over the path MTU → `MessageTooLarge`.
    pub fn send(&mut self, data: &[u8]) -> Result<()> {
        if !self.established {
            return Err(Error::new(
                ErrorCode::ConnectionClosed,
                "the DTLS handshake has not completed",
            ));
        }
        if data.is_empty() {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "cannot send an empty datagram",
            ));
        }
        let max = dtls_engine::data_mtu(self.stream.ssl()).min(super::RECORD_MAX);
        if data.len() > max {
            return Err(Error::new(
                ErrorCode::MessageTooLarge,
                format!(
                    "datagram of {} bytes does not fit one DTLS record within the path MTU \
                     ({max} bytes of payload at most)",
                    data.len()
                ),
            ));
        }
        self.stream
            .ssl_write(data)
            .map(drop)
            .map_err(|e| Error::new(ErrorCode::SendFailed, format!("DTLS send failed: {e}")))
    }

    /// Sends close_notify (into the output).
    pub fn close(&mut self) {
        let _ = self.stream.shutdown();
    }

    /// Checks the server's certificate against SHA-256 pins (none: any verified certificate).
    pub fn check_pins(&self, pins: &[[u8; 32]], peer: std::net::SocketAddr) -> Result<()> {
        if pins.is_empty() {
            return Ok(());
        }
        let der = self
            .stream
            .ssl()
            .peer_certificate()
            .and_then(|c| c.to_der().ok())
            .unwrap_or_default();
        let digest = ring::digest::digest(&ring::digest::SHA256, &der);
        match pins.iter().any(|p| p[..] == *digest.as_ref()) {
            true => Ok(()),
            false => Err(Error::new(
                ErrorCode::CertificateError,
                format!("certificate of {peer} matches none of the pinned SHA-256 digests"),
            )),
        }
    }

    /// Datagrams waiting to be sent.
    pub fn take_output(&mut self) -> impl Iterator<Item = Vec<u8>> + '_ {
        self.stream.get_mut().outbox.drain(..)
    }

    /// Time until the handshake's retransmission timer fires (None: none running).
    pub fn timeout(&self) -> Option<Duration> {
        match self.established {
            true => None,
            false => dtls_engine::timeout(self.stream.ssl()),
        }
    }

    /// Retransmits the last flight when its timer expired.
    pub fn on_timeout(&mut self) -> Result<()> {
        match dtls_engine::handle_timeout(self.stream.ssl()) {
            true => Ok(()),
            false => Err(Error::new(
                ErrorCode::ConnectionTimeout,
                "DTLS handshake: the peer stopped answering",
            )),
        }
    }
}

pub(crate) fn ssl_error(e: openssl::error::ErrorStack) -> Error {
    Error::new(ErrorCode::InternalError, format!("OpenSSL: {e}"))
}

/// A failed handshake: a refused certificate is `CertificateError`, the rest
/// `TlsHandshakeFailed`.
fn handshake_error(e: &openssl::ssl::Error) -> Error {
    let text = e.to_string();
    let certificate = e.ssl_error().is_some_and(|stack| {
        stack.errors().iter().any(|x| {
            x.reason().is_some_and(|r| {
                r.contains("certificate verify failed") || r.contains("certificate")
            })
        })
    });
    let code = match certificate {
        true => ErrorCode::CertificateError,
        false => ErrorCode::TlsHandshakeFailed,
    };
    Error::new(code, format!("DTLS handshake failed: {text}"))
}
