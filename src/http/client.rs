//! HTTP client: hyper-util's pooled client over our TCP connect and rustls configuration;
//! keep-alive, HTTP/1.1 and HTTP/2 (ALPN on https, prior knowledge on http when asked).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{
    HeaderName, HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, USER_AGENT,
};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{capture_connection, Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::client::TlsStream;

use super::body::{coding_of, decompress};
use super::types::HttpResponse;
use super::HttpClientConfig;
use crate::conn::{lock, Counters, Lifecycle, Stats};
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::{Latency, Protocol, Registration, Role, Source};
use crate::runtime;

/// A parsed `http://` or `https://` URL (the original's `http_url`).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpUrl {
    pub scheme: String,
    /// Without the brackets of an IPv6 literal.
    pub host: String,
    /// The explicit port, else the scheme's (80, 443).
    pub port: u16,
    /// "/" when the URL has none.
    pub path: String,
    /// Decoded query parameters in order.
    pub query: Vec<(String, String)>,
}

impl HttpUrl {
    /// Parses an absolute http or https URL; anything else is `InvalidArgument`.
    pub fn parse(url: &str) -> Result<HttpUrl> {
        let uri = parse_uri(url)?;
        let scheme = uri.scheme_str().unwrap_or("http").to_ascii_lowercase();
        let host = host_of(&uri).to_string();
        Ok(HttpUrl {
            port: uri.port_u16().unwrap_or(default_port(&scheme)),
            scheme,
            host,
            path: if uri.path().is_empty() {
                "/".to_string()
            } else {
                uri.path().to_string()
            },
            query: uri
                .query()
                .map(|q| super::body::pairs(q.as_bytes()))
                .unwrap_or_default(),
        })
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" {
        443
    } else {
        80
    }
}

fn bad_url(url: &str, why: &str) -> Error {
    Error::new(
        ErrorCode::InvalidArgument,
        format!("'{url}' is not a usable URL: {why}"),
    )
}

/// An absolute http(s) URI with a host.
fn parse_uri(url: &str) -> Result<Uri> {
    let uri: Uri = url.parse().map_err(|e| bad_url(url, &format!("{e}")))?;
    match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http") | Some("https") => {}
        Some(other) => {
            return Err(bad_url(
                url,
                &format!("scheme '{other}' is not http or https"),
            ))
        }
        None => return Err(bad_url(url, "no scheme (http:// or https://)")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad_url(url, "no host"));
    }
    Ok(uri)
}

/// The URL with `query` appended to its own query.
fn with_query(url: &str, query: &[(String, String)]) -> Result<Uri> {
    if query.is_empty() {
        return parse_uri(url);
    }
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        s.append_pair(k, v);
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut full = format!("{base}{sep}{}", s.finish());
    if let Some(f) = fragment {
        full.push('#');
        full.push_str(f);
    }
    parse_uri(&full)
}

/// A connection: plain TCP or TLS.
enum Stream {
    Plain(TokioIo<TcpStream>),
    Tls(Box<TokioIo<TlsStream<TcpStream>>>, bool),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        match self {
            Stream::Tls(_, true) => Connected::new().negotiated_h2(),
            _ => Connected::new(),
        }
    }
}

impl Read for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s, _) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl Write for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s, _) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s, _) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s, _) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s, _) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s, _) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Opens connections for the pool: our connect (errors -601/-602/-607) and, for https, our
/// TLS connector (its rustls configuration built once, on the first https connection).
#[derive(Clone)]
struct Connector {
    tls: crate::tls::ClientTlsConfig,
    rustls: Arc<OnceLock<std::result::Result<Arc<rustls::ClientConfig>, Error>>>,
    timeout: Duration,
}

impl Connector {
    fn tls_connector(&self, host: &str) -> Result<Arc<crate::tls::Connector>> {
        let built = self.rustls.get_or_init(|| {
            let mut config = self.tls.clone();
            if config.alpn.is_empty() {
                config.alpn = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            }
            runtime::blocking(|| config.build(host)).map(Arc::new)
        });
        crate::tls::Connector::with_rustls(built.clone()?, &self.tls, host)
    }
}

/// The host of a URI without the brackets of an IPv6 literal.
fn host_of(uri: &Uri) -> &str {
    let host = uri.host().unwrap_or("");
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

impl tower_service::Service<Uri> for Connector {
    type Response = Stream;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Stream>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let https = uri.scheme_str() == Some("https");
            let host = host_of(&uri);
            let port = uri
                .port_u16()
                .unwrap_or(default_port(uri.scheme_str().unwrap_or("")));
            let tcp = crate::tcp::connect(host, port, this.timeout).await?;
            let _ = tcp.set_nodelay(true);
            if !https {
                return Ok(Stream::Plain(TokioIo::new(tcp)));
            }
            let (tls, info) = this
                .tls_connector(host)?
                .connect(tcp, &format!("{host}:{port}"))
                .await?;
            let h2 = info.alpn.as_deref() == Some(b"h2");
            Ok(Stream::Tls(Box::new(TokioIo::new(tls)), h2))
        })
    }
}

/// The pool and the options it was built with; rebuilt when the options change.
struct State {
    config: HttpClientConfig,
    client: Client<Connector, Full<Bytes>>,
}

fn build(config: HttpClientConfig) -> Arc<State> {
    let connector = Connector {
        tls: config.tls.clone(),
        rustls: Arc::new(OnceLock::new()),
        timeout: config.timeout,
    };
    let mut builder = Client::builder(TokioExecutor::new());
    builder
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .pool_idle_timeout(config.pool_idle_timeout)
        .http2_only(config.http2_prior_knowledge);
    Arc::new(State {
        client: builder.build(connector),
        config,
    })
}

/// A callback for an asynchronous request: the response or the error.
pub type ResponseFn = Box<dyn FnOnce(Result<HttpResponse>) + Send>;

/// An HTTP client with a connection pool. Cheap to share between threads; dropping it cancels
/// asynchronous requests in flight (their callbacks get -5) and waits for their callbacks.
pub struct HttpClient {
    /// First field: dropped while `counters` lives (see `Registration`).
    _metrics: Registration,
    counters: Arc<RequestCounters>,
    state: Mutex<Arc<State>>,
    timeout_ms: AtomicU64,
    life: Arc<Lifecycle>,
    cancel: watch::Sender<bool>,
}

impl Default for HttpClient {
    fn default() -> Self {
        HttpClient::new(HttpClientConfig::default())
    }
}

impl HttpClient {
    pub fn new(config: HttpClientConfig) -> HttpClient {
        let counters = Arc::new(RequestCounters::default());
        HttpClient {
            _metrics: Registration::new(Role::Client, &counters),
            counters,
            timeout_ms: AtomicU64::new(config.timeout.as_millis() as u64),
            state: Mutex::new(build(config)),
            life: Arc::new(Lifecycle::new()),
            cancel: watch::channel(false).0,
        }
    }

    /// Changes the options (a new pool; requests in flight finish on the old one).
    pub fn configure(&self, f: impl FnOnce(&mut HttpClientConfig)) {
        let mut state = lock(&self.state);
        let mut config = state.config.clone();
        config.timeout = self.timeout();
        f(&mut config);
        self.timeout_ms
            .store(config.timeout.as_millis() as u64, Ordering::Relaxed);
        *state = build(config);
    }

    pub fn config(&self) -> HttpClientConfig {
        let mut c = lock(&self.state).config.clone();
        c.timeout = self.timeout();
        c
    }

    /// The whole-request timeout (connect, send, response and body).
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.load(Ordering::Relaxed))
    }

    /// Changes the timeout for requests started from now on (connections already pooled
    /// keep working).
    pub fn set_timeout(&self, timeout: Duration) {
        self.timeout_ms
            .store(timeout.as_millis() as u64, Ordering::Relaxed);
    }

    /// Sends a request and reads the whole response. `query` is appended to the URL's own
    /// query. Errors: a URL that does not parse or a bad method/header → -1; -601/-607 for a
    /// refused or unresolvable host, -602 when the connection is not made in time, -4 when
    /// the response is not complete in time, -605/-606 for TLS, -603 when the server closes
    /// early, -642 for a body over the limit, -644 for a protocol error or too many
    /// redirects.
    pub async fn request(
        &self,
        method: &str,
        url: &str,
        query: &[(String, String)],
        headers: &[(String, String)],
        body: Bytes,
    ) -> Result<HttpResponse> {
        let prepared = prepare(method, url, query, headers)?;
        self.start(prepared, body).await
    }

    /// The request on the current pool within the current timeout; the future owns what it
    /// needs, so it can be spawned.
    fn start(
        &self,
        p: Prepared,
        body: Bytes,
    ) -> impl Future<Output = Result<HttpResponse>> + Send + 'static {
        let state = lock(&self.state).clone();
        let limit = self.timeout();
        let counters = self.counters.clone();
        async move {
            let started = std::time::Instant::now();
            let url = p.uri.to_string();
            counters.sent(body.len());
            let outcome = match tokio::time::timeout(limit, follow(&state, p, body)).await {
                Ok(r) => r,
                Err(_) => Err(Error::new(
                    ErrorCode::Timeout,
                    format!(
                        "{url}: no complete response within {} ms",
                        limit.as_millis()
                    ),
                )),
            };
            counters.received(&outcome);
            Latency::HttpClientRequest.record(started.elapsed());
            outcome
        }
    }

    /// Counters since creation: requests (messages_out) and their body bytes, complete
    /// responses (messages_in) and their body bytes, failed requests (errors). Connections
    /// are pooled by the transport and not counted.
    pub fn stats(&self) -> Stats {
        self.counters.stats()
    }

    /// [`request`](Self::request) for a thread that is not a runtime thread (inside a
    /// handler or callback it lets the runtime's other tasks move first).
    pub fn request_blocking(
        &self,
        method: &str,
        url: &str,
        query: &[(String, String)],
        headers: &[(String, String)],
        body: Bytes,
    ) -> Result<HttpResponse> {
        let handle = runtime::handle()?;
        if tokio::runtime::Handle::try_current().is_ok() && !runtime::in_callback() {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "a blocking request cannot be made from async code: use request().await",
            ));
        }
        let prepared = prepare(method, url, query, headers)?;
        runtime::blocking(|| {
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            let request = self.start(prepared, body);
            handle.spawn(async move {
                let _ = tx.send(request.await);
            });
            rx.recv().unwrap_or_else(|_| {
                Err(Error::new(
                    ErrorCode::Cancelled,
                    "the runtime ended the request",
                ))
            })
        })
    }

    /// Starts a request and returns at once (a bad method, URL or header is returned here);
    /// `done` runs on a runtime thread with the result (in the client's callback scope). Dropping the client first cancels it: `done` gets
    /// -5 before the drop returns.
    pub fn request_async(
        &self,
        method: &str,
        url: &str,
        query: &[(String, String)],
        headers: &[(String, String)],
        body: Bytes,
        done: ResponseFn,
    ) -> Result<()> {
        let handle = runtime::handle()?;
        let prepared = prepare(method, url, query, headers)?;
        let guard = self.life.task();
        let request = self.start(prepared, body);
        let owner = self.life.id();
        let mut cancel = self.cancel.subscribe();
        handle.spawn(async move {
            let r = tokio::select! {
                r = request => r,
                _ = cancel.wait_for(|c| *c) => Err(Error::new(
                    ErrorCode::Cancelled,
                    "the client was released before the response arrived",
                )),
            };
            runtime::invoke(owner, "http response", || done(r));
            drop(guard);
        });
        Ok(())
    }

    /// Cancels asynchronous requests in flight and waits for their callbacks (where this
    /// thread may wait: not from inside one of them).
    pub fn cancel_all(&self) {
        self.cancel.send_replace(true);
        self.life.wait_idle();
        self.cancel.send_replace(false);
    }
}

/// What an HTTP client counts, shared with its requests in flight.
#[derive(Default)]
struct RequestCounters(Counters);

impl RequestCounters {
    fn sent(&self, body: usize) {
        self.0.messages_out.fetch_add(1, Ordering::Relaxed);
        self.0.bytes_out.fetch_add(body as u64, Ordering::Relaxed);
    }

    fn received(&self, outcome: &Result<HttpResponse>) {
        match outcome {
            Ok(resp) => {
                self.0.messages_in.fetch_add(1, Ordering::Relaxed);
                self.0
                    .bytes_in
                    .fetch_add(resp.body.len() as u64, Ordering::Relaxed);
            }
            Err(_) => {
                self.0.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Source for RequestCounters {
    fn protocol(&self) -> Protocol {
        Protocol::Http
    }

    fn stats(&self) -> Stats {
        let mut s = Stats::default();
        self.0.add_to(&mut s);
        s
    }
}

/// A request checked before anything is sent.
struct Prepared {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

/// Checks the method, the URL (with `query` appended) and the headers.
fn prepare(
    method: &str,
    url: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
) -> Result<Prepared> {
    let uri = with_query(url, query)?;
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("'{method}' is not an HTTP method"),
        )
    })?;
    let mut map = HeaderMap::with_capacity(headers.len());
    for (k, v) in headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) else {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                format!("header '{k}: {v}' is not valid"),
            ));
        };
        map.append(name, value);
    }
    Ok(Prepared {
        method,
        uri,
        headers: map,
    })
}

/// Sends, following redirects when enabled.
async fn follow(state: &State, mut p: Prepared, mut body: Bytes) -> Result<HttpResponse> {
    let config = &state.config;
    let mut redirects = 0;
    loop {
        let resp = send(state, &p, body.clone()).await?;
        let location = resp.header("location").map(str::to_string);
        let redirect = matches!(resp.status, 301 | 302 | 303 | 307 | 308);
        let (true, true, Some(location)) = (config.follow_redirects, redirect, location) else {
            return Ok(resp);
        };
        redirects += 1;
        if redirects > config.max_redirects {
            return Err(Error::new(
                ErrorCode::ProtocolError,
                format!("more than {} redirects", config.max_redirects),
            ));
        }
        p.uri = resolve(&p.uri, &location)?;
        if resp.status == 303 || (matches!(resp.status, 301 | 302) && p.method == Method::POST) {
            if p.method != Method::HEAD {
                p.method = Method::GET;
            }
            body = Bytes::new();
        }
    }
}

/// A `Location` value against the URI it came from.
fn resolve(base: &Uri, location: &str) -> Result<Uri> {
    if location.contains("://") {
        return parse_uri(location);
    }
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map_or("", |a| a.as_str());
    let path = if location.starts_with('/') {
        location.to_string()
    } else {
        let dir = base.path().rsplit_once('/').map_or("", |(d, _)| d);
        format!("{dir}/{location}")
    };
    parse_uri(&format!("{scheme}://{authority}{path}"))
}

/// One request on the pool; the body read whole and decoded.
async fn send(state: &State, p: &Prepared, body: Bytes) -> Result<HttpResponse> {
    let config = &state.config;
    let url = p.uri.to_string();
    let mut req = Request::builder()
        .method(p.method.clone())
        .uri(p.uri.clone())
        .body(Full::new(body))
        .map_err(|e| Error::new(ErrorCode::InvalidArgument, format!("{url}: {e}")))?;
    *req.headers_mut() = p.headers.clone();
    let h = req.headers_mut();
    if !h.contains_key(USER_AGENT) {
        h.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("network_system/", env!("CARGO_PKG_VERSION"))),
        );
    }
    if config.decompress && !h.contains_key(ACCEPT_ENCODING) {
        h.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip, deflate"));
    }
    let captured = capture_connection(&mut req);
    let resp = match state.client.request(req).await {
        Ok(r) => r,
        Err(e) => {
            return Err(client_error(
                &e,
                &url,
                captured.connection_metadata().is_some(),
            ))
        }
    };
    let (parts, incoming) = resp.into_parts();
    let body = Limited::new(incoming, config.max_response_bytes)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                Error::new(
                    ErrorCode::MessageTooLarge,
                    format!(
                        "{url}: the response body is over {} bytes",
                        config.max_response_bytes
                    ),
                )
            } else {
                Error::new(
                    ErrorCode::ConnectionClosed,
                    format!("{url}: the response body was cut: {e}"),
                )
            }
        })?
        .to_bytes();
    let mut out = HttpResponse::new(parts.status.as_u16());
    out.version = parts.version;
    out.reason = parts
        .extensions
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned());
    out.headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    out.body = body;
    let coding = parts
        .headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .and_then(coding_of);
    if let (true, Some(coding)) = (config.decompress, coding) {
        let decoded = decompress(coding, &out.body, config.max_response_bytes).map_err(|e| {
            Error::new(
                ErrorCode::ProtocolError,
                format!("{url}: the {} body does not decode: {e}", coding.name()),
            )
        })?;
        out.body = Bytes::from(decoded);
        out.remove_header(CONTENT_ENCODING.as_str());
        out.set_header(CONTENT_LENGTH.as_str(), &out.body.len().to_string());
    }
    Ok(out)
}

/// Our error for a failed request: the connector's own (refused, unresolvable, TLS), or what
/// hyper reports.
fn client_error(e: &hyper_util::client::legacy::Error, url: &str, connected: bool) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(ours) = s.downcast_ref::<Error>() {
            return ours.clone();
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            let code = if h.is_parse() || h.is_parse_status() {
                ErrorCode::ProtocolError
            } else if h.is_incomplete_message() || h.is_closed() || h.is_canceled() {
                ErrorCode::ConnectionClosed
            } else if !connected {
                ErrorCode::ConnectionFailed
            } else {
                ErrorCode::ReceiveFailed
            };
            return Error::new(code, format!("{url}: {h}"));
        }
        source = s.source();
    }
    let code = if connected {
        ErrorCode::ReceiveFailed
    } else {
        ErrorCode::ConnectionFailed
    };
    Error::new(code, format!("{url}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_like_the_originals_http_url() {
        let u = HttpUrl::parse("http://127.0.0.1:8080/users/42?verbose=1&x=a%20b").expect("url");
        assert_eq!(u.scheme, "http");
        assert_eq!(u.host, "127.0.0.1");
        assert_eq!(u.port, 8080);
        assert_eq!(u.path, "/users/42");
        assert_eq!(
            u.query,
            vec![
                ("verbose".to_string(), "1".to_string()),
                ("x".to_string(), "a b".to_string())
            ]
        );
        let u = HttpUrl::parse("https://[::1]").expect("v6");
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("::1", 443, "/")
        );
        for bad in [
            "",
            "not a url",
            "ftp://x/",
            "/relative",
            "http://",
            "http://a b/",
        ] {
            let e = HttpUrl::parse(bad).expect_err(bad);
            assert_eq!(e.code(), ErrorCode::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn query_is_appended_and_redirects_resolve() {
        let q = vec![("a".to_string(), "1 2".to_string())];
        assert_eq!(
            with_query("http://h/p?x=1", &q).expect("u").to_string(),
            "http://h/p?x=1&a=1+2"
        );
        assert_eq!(
            with_query("http://h/p", &q).expect("u").to_string(),
            "http://h/p?a=1+2"
        );
        let base: Uri = "http://h:1/a/b?q".parse().expect("base");
        assert_eq!(resolve(&base, "/c").expect("r").to_string(), "http://h:1/c");
        assert_eq!(
            resolve(&base, "c").expect("r").to_string(),
            "http://h:1/a/c"
        );
        assert_eq!(
            resolve(&base, "https://o/x").expect("r").to_string(),
            "https://o/x"
        );
    }
}
