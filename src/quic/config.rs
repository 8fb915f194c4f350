//! Options of QUIC servers and clients, and how they become quinn configurations.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use quinn::crypto::rustls::{
    QuicClientConfig as QuinnClientCrypto, QuicServerConfig as QuinnServerCrypto,
};
use quinn::{AckFrequencyConfig, IdleTimeout, TransportConfig, VarInt};
use rustls::client::{ClientSessionMemoryCache, ClientSessionStore, Resumption};

use crate::conn::lock;
use crate::error::{Error, ErrorCode, Result};
use crate::tls::{ClientTlsConfig, PemSource, ServerTlsConfig, TlsVersions};
use crate::udp::UdpConfig;

/// The longest ACK delay we ask of the peer.
const ACK_DELAY: Duration = Duration::from_millis(1);

/// Transport options shared by servers and clients. The defaults are the original library's
/// (`quic_*_config`): 30 s idle timeout, 1 MiB connection window, 64 KiB stream window, 100
/// streams of each kind.
#[derive(Debug, Clone)]
pub struct QuicOptions {
    /// Close a connection that heard nothing for this long; zero = never (default 30 s). The
    /// smaller of both sides' values applies.
    pub max_idle_timeout: Duration,
    /// Bytes the peer may send on the whole connection ahead of what we read (default 1 MiB).
    pub initial_max_data: u64,
    /// Bytes the peer may send on one stream ahead of what we read (default 64 KiB).
    pub initial_max_stream_data: u64,
    /// Bidirectional streams the peer may have open at once (default 100).
    pub max_streams_bidi: u64,
    /// Unidirectional streams the peer may have open at once (default 100); the peer's
    /// message stream counts as one.
    pub max_streams_uni: u64,
    /// Largest message of `send`/`send_packet` sent or accepted (default 16 MiB).
    pub max_message_size: usize,
    /// Bytes queued per connection — its messages and all its streams together — beyond which a
    /// send fails with `SendQueueFull` (default 8 MiB); quinn holds what flow control lets it
    /// send besides. A single send into an empty queue is always accepted.
    pub send_queue_limit: usize,
    /// How long a send that finds its queue full waits for room before failing with
    /// `SendQueueFull` (default zero: it fails at once). Only threads that may block wait — never
    /// a callback or a runtime thread, whose sends fail at once as before. A waiting sender
    /// resumes once the queue has drained to half the limit (or emptied), so a sender that
    /// outpaces the network is woken once per half-queue rather than once per message.
    pub send_wait: Duration,
    /// Send a PING when nothing else was sent for this long, keeping an idle connection open
    /// (default off).
    pub keep_alive: Option<Duration>,
    /// How long a graceful close waits for queued data to be acknowledged (default 1 s).
    pub linger: Duration,
}

impl Default for QuicOptions {
    fn default() -> Self {
        QuicOptions {
            max_idle_timeout: Duration::from_secs(30),
            initial_max_data: 1024 * 1024,
            initial_max_stream_data: 64 * 1024,
            max_streams_bidi: 100,
            max_streams_uni: 100,
            max_message_size: 16 * 1024 * 1024,
            send_queue_limit: 8 * 1024 * 1024,
            send_wait: Duration::ZERO,
            keep_alive: None,
            linger: Duration::from_secs(1),
        }
    }
}

fn varint(value: u64, what: &str) -> Result<VarInt> {
    VarInt::from_u64(value).map_err(|_| {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("{what} {value} is over the QUIC maximum 2^62-1"),
        )
    })
}

impl QuicOptions {
    /// The quinn transport settings; out-of-range values are `InvalidArgument`.
    pub(crate) fn transport(&self) -> Result<Arc<TransportConfig>> {
        let mut t = TransportConfig::default();
        let idle = if self.max_idle_timeout.is_zero() {
            None
        } else {
            let ms = u64::try_from(self.max_idle_timeout.as_millis()).unwrap_or(u64::MAX);
            Some(IdleTimeout::from(varint(ms, "max_idle_timeout (ms)")?))
        };
        t.max_idle_timeout(idle)
            .receive_window(varint(self.initial_max_data, "initial_max_data")?)
            .stream_receive_window(varint(
                self.initial_max_stream_data,
                "initial_max_stream_data",
            )?)
            .max_concurrent_bidi_streams(varint(self.max_streams_bidi, "max_streams_bidi")?)
            .max_concurrent_uni_streams(varint(self.max_streams_uni, "max_streams_uni")?)
            .keep_alive_interval(self.keep_alive);
        // Peers that take the ACK frequency extension (quinn does) acknowledge within 1 ms
        // instead of RFC 9000's 25 ms: a graceful close waits for the ACK of its fin, and a lone
        // fin would otherwise often wait out the peer's whole delay.
        let mut ack = AckFrequencyConfig::default();
        ack.max_ack_delay(Some(ACK_DELAY));
        t.ack_frequency_config(Some(ack));
        if self.max_message_size == 0 {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "max_message_size must be at least 1",
            ));
        }
        Ok(Arc::new(t))
    }
}

/// Options of a [`QuicServer`](super::QuicServer); change them before `start`.
#[derive(Debug, Clone)]
pub struct QuicServerConfig {
    /// Certificate and key (required), client CA for mutual TLS, ALPN protocols. QUIC always
    /// runs TLS 1.3; `versions` is ignored.
    pub tls: ServerTlsConfig,
    /// Local address and socket buffer sizes (default bind "0.0.0.0").
    pub udp: UdpConfig,
    pub quic: QuicOptions,
    /// Connections open or in their handshake beyond which new ones are refused (default
    /// 10 000, the original's).
    pub max_connections: usize,
    /// Make clients prove their address with a Retry round trip before any state is kept for
    /// them (default on, the original's; costs one round trip per handshake).
    pub enable_retry: bool,
    /// Accept 0-RTT data from clients that resume a session (default off: 0-RTT data can be
    /// replayed by an attacker, so only idempotent requests belong in it).
    pub enable_early_data: bool,
}

impl Default for QuicServerConfig {
    fn default() -> Self {
        QuicServerConfig {
            tls: ServerTlsConfig::default(),
            udp: UdpConfig::server(),
            quic: QuicOptions::default(),
            max_connections: 10_000,
            enable_retry: true,
            enable_early_data: false,
        }
    }
}

/// Options of a [`QuicClient`](super::QuicClient); change them before `start`.
#[derive(Debug, Clone)]
pub struct QuicClientConfig {
    /// Verification (on by default, system roots plus `ca`), server name, pins, client
    /// certificate, ALPN protocols. QUIC always runs TLS 1.3; `versions` is ignored.
    pub tls: ClientTlsConfig,
    /// Local address (default: any address of the target's family) and socket buffers.
    pub udp: UdpConfig,
    pub quic: QuicOptions,
    /// Time allowed for the handshake (default 10 s).
    pub connect_timeout: Duration,
    /// Resume with a session ticket from an earlier connection to the same server name (kept
    /// in memory by the process) and send `early_data` as 0-RTT (default off).
    pub enable_early_data: bool,
    /// The first message, sent as 0-RTT data when a ticket allows it, else right after the
    /// handshake (it is delivered either way).
    pub early_data: Option<Vec<u8>>,
}

impl Default for QuicClientConfig {
    fn default() -> Self {
        QuicClientConfig {
            tls: ClientTlsConfig::default(),
            udp: UdpConfig::default(),
            quic: QuicOptions::default(),
            connect_timeout: Duration::from_secs(10),
            enable_early_data: false,
            early_data: None,
        }
    }
}

fn no_tls13(e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::CertificateError,
        format!("TLS configuration unusable for QUIC: {e}"),
    )
}

impl QuicServerConfig {
    /// The quinn server configuration; TLS problems are `CertificateError` naming the file.
    pub(crate) fn build(&self) -> Result<quinn::ServerConfig> {
        let tls = ServerTlsConfig {
            versions: TlsVersions::Tls13Only,
            ..self.tls.clone()
        };
        let mut rustls = tls.build()?;
        // QUIC allows only 0 or u32::MAX here.
        rustls.max_early_data_size = if self.enable_early_data { u32::MAX } else { 0 };
        let crypto = QuinnServerCrypto::try_from(rustls).map_err(no_tls13)?;
        let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
        config.transport_config(self.quic.transport()?);
        if self.max_connections == 0 {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "max_connections must be at least 1",
            ));
        }
        Ok(config)
    }
}

/// Session tickets of every QUIC client in the process, by server name: a later connection
/// to the same name resumes (and may send 0-RTT data).
fn tickets() -> Arc<dyn ClientSessionStore> {
    static STORE: OnceLock<Arc<ClientSessionMemoryCache>> = OnceLock::new();
    STORE
        .get_or_init(|| Arc::new(ClientSessionMemoryCache::new(256)))
        .clone()
}

/// What a built client TLS configuration depends on: the options and the modification times
/// of the files they name (a replaced CA or certificate file is loaded again).
#[derive(PartialEq)]
struct TlsKey {
    tls: ClientTlsConfig,
    early: bool,
    files: Vec<Option<SystemTime>>,
}

impl TlsKey {
    fn new(tls: &ClientTlsConfig, early: bool) -> TlsKey {
        let mut sources = tls.ca.iter().collect::<Vec<&PemSource>>();
        if let Some((cert, key)) = &tls.client_cert {
            sources.extend([cert, key]);
        }
        let files = sources
            .into_iter()
            .map(|s| match s {
                PemSource::File(p) => std::fs::metadata(p).and_then(|m| m.modified()).ok(),
                PemSource::Memory(_) => None,
            })
            .collect();
        TlsKey {
            tls: tls.clone(),
            early,
            files,
        }
    }
}

/// rustls resumes a session only with the configuration (verifier) that made it, so clients
/// with identical options share one built configuration: the last few are kept.
fn shared_rustls(
    key: TlsKey,
    build: impl FnOnce() -> Result<rustls::ClientConfig>,
) -> Result<Arc<rustls::ClientConfig>> {
    static BUILT: Mutex<Vec<(TlsKey, Arc<rustls::ClientConfig>)>> = Mutex::new(Vec::new());
    if let Some((_, c)) = lock(&BUILT).iter().find(|(k, _)| *k == key) {
        return Ok(c.clone());
    }
    let built = Arc::new(build()?);
    let mut cache = lock(&BUILT);
    if cache.len() >= 8 {
        cache.remove(0);
    }
    cache.push((key, built.clone()));
    Ok(built)
}

impl QuicClientConfig {
    /// The quinn client configuration for `host`; TLS problems are `CertificateError`.
    pub(crate) fn build(&self, host: &str) -> Result<quinn::ClientConfig> {
        let tls = ClientTlsConfig {
            versions: TlsVersions::Tls13Only,
            ..self.tls.clone()
        };
        let rustls = shared_rustls(TlsKey::new(&tls, self.enable_early_data), || {
            let mut rustls = tls.build(host)?;
            rustls.enable_early_data = self.enable_early_data;
            rustls.resumption = Resumption::store(tickets());
            Ok(rustls)
        })?;
        let crypto = QuinnClientCrypto::try_from(rustls).map_err(no_tls13)?;
        let mut config = quinn::ClientConfig::new(Arc::new(crypto));
        config.transport_config(self.quic.transport()?);
        Ok(config)
    }
}
