//! HTTP server: HTTP/1.1 and HTTP/2 on one port (h2 through ALPN on https, prior knowledge
//! on plain http), routes tried in registration order, handlers called on runtime threads.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{
    HeaderName, HeaderValue, ACCEPT_ENCODING, CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH,
    CONTENT_TYPE, COOKIE, TRANSFER_ENCODING, VARY,
};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Either, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::body::{self, compress, negotiate};
use super::router::Pattern;
use super::types::{HttpError, HttpRequest, HttpResponse};
use super::HttpServerConfig;
use crate::conn::{Endpoint, Stats};
use crate::error::{ErrorCode, Result};
use crate::log::Level;
use crate::metrics::{self, Protocol, Registration, Role, Source};
use crate::runtime;
use crate::tcp::{Bound, Listening};
use crate::tls::Acceptor;

/// A route handler: the response, or an error message (answered 500 through the error
/// handlers). Runs on a runtime thread; see the threading contract.
pub type HttpHandler =
    Arc<dyn Fn(&HttpRequest) -> std::result::Result<HttpResponse, String> + Send + Sync>;
/// Builds the response for an error the server answers itself.
pub type ErrorHandler = Arc<dyn Fn(&HttpError) -> HttpResponse + Send + Sync>;

#[derive(Clone)]
struct Route {
    /// None: every method ("*").
    method: Option<Method>,
    pattern: Pattern,
    handler: HttpHandler,
}

/// Routes and error handlers; replaced as a whole on each change (requests in flight keep the
/// set they started with).
#[derive(Clone, Default)]
pub(crate) struct Routes {
    routes: Vec<Route>,
    not_found: Option<HttpHandler>,
    failed: Option<HttpHandler>,
    by_status: Vec<(u16, ErrorHandler)>,
    default_error: Option<ErrorHandler>,
}

/// Response bodies: whole (with Content-Length) or in chunks (Transfer-Encoding: chunked).
type Chunks = StreamBody<
    futures_util::stream::Iter<std::vec::IntoIter<std::result::Result<Frame<Bytes>, Infallible>>>,
>;
type Body = Either<Full<Bytes>, Chunks>;

/// Chunk size of chunked response bodies.
const CHUNK: usize = 16 * 1024;

/// An HTTP server. Dropping it stops it.
pub struct HttpServer {
    /// First field: dropped while `inner` lives (see `Registration`).
    _metrics: Registration,
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    rejected: AtomicU64,
    requests: AtomicU64,
    responses: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    errors: AtomicU64,
}

struct Inner {
    ep: Endpoint<HttpServerConfig, Routes>,
    listening: Listening,
    /// Open connections (those answered 503 included).
    open: AtomicUsize,
    counters: Counters,
}

/// What every connection of one run shares.
struct Run {
    inner: Arc<Inner>,
    config: HttpServerConfig,
    builder: auto::Builder<TokioExecutor>,
    tls: Option<Arc<Acceptor>>,
    stop: watch::Receiver<bool>,
}

impl Default for HttpServer {
    fn default() -> Self {
        HttpServer::new(HttpServerConfig::default())
    }
}

impl HttpServer {
    pub fn new(config: HttpServerConfig) -> HttpServer {
        let inner = Arc::new(Inner {
            ep: Endpoint::new(config, ErrorCode::ServerAlreadyRunning),
            listening: Listening::default(),
            open: AtomicUsize::new(0),
            counters: Counters::default(),
        });
        HttpServer {
            _metrics: Registration::new(Role::Server, &inner),
            inner,
        }
    }

    /// Changes the options; fails with `ServerAlreadyRunning` while running.
    pub fn configure(&self, f: impl FnOnce(&mut HttpServerConfig)) -> Result<()> {
        self.inner.ep.configure(|c| {
            f(c);
            Ok(())
        })
    }

    pub fn config(&self) -> HttpServerConfig {
        self.inner.ep.config()
    }

    /// Adds a route for `method` (any token, e.g. "GET"; "*" for every method) and a pattern
    /// such as `/users/:id`. Routes are tried in the order added, also while running; a HEAD
    /// request without a HEAD route is answered by the GET route, without the body.
    pub fn route(&self, method: &str, pattern: &str, handler: HttpHandler) -> Result<()> {
        let (method, pattern) = route_parts(method, pattern)?;
        self.inner.ep.set_handlers(|r| {
            r.routes.push(Route {
                method,
                pattern,
                handler,
            })
        });
        Ok(())
    }

    /// Answers requests no route matches (None: the 404 error response).
    pub fn set_not_found_handler(&self, handler: Option<HttpHandler>) {
        self.inner.ep.set_handlers(|r| r.not_found = handler);
    }

    /// Answers requests whose handler failed (returned an error or panicked); None, or a
    /// failure of this handler too: the 500 error response.
    pub fn set_failure_handler(&self, handler: Option<HttpHandler>) {
        self.inner.ep.set_handlers(|r| r.failed = handler);
    }

    /// Builds the response for errors with this status (400, 404, 405, 408, 413, 500, 503…).
    pub fn set_error_handler(&self, status: u16, handler: Option<ErrorHandler>) {
        self.inner.ep.set_handlers(|r| {
            r.by_status.retain(|(s, _)| *s != status);
            if let Some(h) = handler {
                r.by_status.push((status, h));
            }
        });
    }

    /// Builds the response for errors without a handler of their own.
    pub fn set_default_error_handler(&self, handler: Option<ErrorHandler>) {
        self.inner.ep.set_handlers(|r| r.default_error = handler);
    }

    /// Removes every route and handler (the routes hold user data).
    pub fn clear_routes(&self) {
        self.inner.ep.set_handlers(|r| *r = Routes::default());
    }

    /// Binds `bind_address:port` (0 picks a free port) and starts serving. Errors as
    /// [`TcpServer::start`](crate::tcp::TcpServer::start).
    pub fn start(&self, port: u16) -> Result<()> {
        let mut config = self.config();
        if let Some(tls) = &mut config.tls {
            if tls.alpn.is_empty() {
                tls.alpn = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            }
        }
        let handle = runtime::handle()?;
        let Bound {
            listener,
            tls,
            stop,
        } = self.inner.listening.start(
            &self.inner.ep,
            handle,
            (&config.bind_address, config.backlog, port),
            config.tls.as_ref(),
            "http server",
        )?;
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(config.request_timeout)
            .max_buf_size(config.max_header_bytes.max(8192))
            .title_case_headers(true);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(config.max_header_bytes).unwrap_or(u32::MAX));
        let run = Arc::new(Run {
            inner: self.inner.clone(),
            config,
            builder,
            tls,
            stop: stop.clone(),
        });
        let guard = self.inner.ep.life.task();
        handle.spawn(async move {
            let admit = |stream, peer| admit(&run, stream, peer);
            let failed = |err: crate::Error| {
                run.inner.counters.errors.fetch_add(1, Ordering::Relaxed);
                crate::ns_log!(Level::Warn, "http server: {err}");
            };
            crate::tcp::accept_loop(listener, stop, admit, failed).await;
            drop(guard);
        });
        Ok(())
    }

    /// The bound address while running.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.listening.addr()
    }

    /// Stops accepting, lets requests in progress finish (up to the drain timeout), closes
    /// idle connections and returns when no handler runs or will run again. Not running → Ok.
    pub fn stop(&self) -> Result<()> {
        let inner = self.inner.clone();
        inner.ep.stop(|| inner.listening.end());
        Ok(())
    }

    /// Blocks until stopped; fails at once inside a callback or on a runtime thread.
    pub fn wait_for_stop(&self) -> Result<()> {
        self.inner.ep.wait_for_stop()
    }

    pub fn is_running(&self) -> bool {
        self.inner.ep.life.is_running()
    }

    /// Open connections.
    pub fn connection_count(&self) -> usize {
        self.inner.open.load(Ordering::Relaxed)
    }

    /// Counters since creation: connections, requests (messages_in), responses
    /// (messages_out), body bytes each way, errors.
    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }
}

impl metrics::Source for Inner {
    fn protocol(&self) -> Protocol {
        Protocol::Http
    }

    fn stats(&self) -> Stats {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            connections_total: get(&c.connections),
            active_connections: self.open.load(Ordering::Relaxed) as u64,
            connections_rejected: get(&c.rejected),
            messages_in: get(&c.requests),
            messages_out: get(&c.responses),
            bytes_in: get(&c.bytes_in),
            bytes_out: get(&c.bytes_out),
            errors: get(&c.errors),
            ..Stats::default()
        }
    }
}

/// The method (None for "*") and compiled pattern of a route, or why they are refused.
pub(crate) fn route_parts(method: &str, pattern: &str) -> Result<(Option<Method>, Pattern)> {
    let parsed = if method == "*" {
        None
    } else {
        Some(Method::from_bytes(method.as_bytes()).map_err(|_| {
            crate::Error::new(
                ErrorCode::InvalidArgument,
                format!("'{method}' is not an HTTP method"),
            )
        })?)
    };
    Ok((parsed, Pattern::parse(pattern)?))
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn admit(run: &Arc<Run>, stream: TcpStream, peer: SocketAddr) {
    let inner = &run.inner;
    // Over the limit the connection is still served, with 503 to every request.
    let full = inner.open.fetch_add(1, Ordering::Relaxed) >= run.config.max_connections;
    let counter = if full {
        &inner.counters.rejected
    } else {
        &inner.counters.connections
    };
    counter.fetch_add(1, Ordering::Relaxed);
    let _ = stream.set_nodelay(true);
    let guard = inner.ep.life.task();
    let run = run.clone();
    tokio::spawn(async move {
        match &run.tls {
            None => serve(&run, stream, peer, full).await,
            Some(acceptor) => match acceptor.accept(stream, &peer.to_string()).await {
                Ok((stream, _)) => serve(&run, stream, peer, full).await,
                Err(e) => {
                    run.inner.counters.errors.fetch_add(1, Ordering::Relaxed);
                    crate::ns_log!(Level::Debug, "http server: {e}");
                }
            },
        }
        run.inner.open.fetch_sub(1, Ordering::Relaxed);
        drop(guard);
    });
}

/// Serves one connection until it ends, or until the server stops: then requests in progress
/// get the drain timeout to finish.
async fn serve<S>(run: &Arc<Run>, stream: S, peer: SocketAddr, full: bool)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service_run = run.clone();
    let service = hyper::service::service_fn(move |req| {
        let run = service_run.clone();
        async move { Ok::<_, Infallible>(respond(&run, peer, full, req).await) }
    });
    let conn = run.builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut stop = run.stop.clone();
    let ended = tokio::select! {
        r = conn.as_mut() => Some(r),
        _ = stop.wait_for(|s| *s) => None,
    };
    match ended {
        Some(Err(e)) => {
            crate::ns_log!(Level::Debug, "http connection from {peer}: {e}");
        }
        Some(Ok(())) => {}
        None => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(run.config.drain_timeout, conn).await;
        }
    }
}

/// An error answered by the server itself, with `Connection: close` when `close`.
struct Refusal {
    status: StatusCode,
    detail: String,
    close: bool,
    /// "METHOD target" of the request.
    request: String,
}

fn refuse(
    parts: &http::request::Parts,
    status: StatusCode,
    detail: impl Into<String>,
    close: bool,
) -> Refusal {
    Refusal {
        status,
        detail: detail.into(),
        close,
        request: label(
            &parts.method,
            parts.uri.path_and_query().map_or("/", |p| p.as_str()),
        ),
    }
}

/// "METHOD target", how errors and the log name a request.
fn label(method: &Method, target: &str) -> String {
    format!("{method} {target}")
}

/// Reads the request, runs its route and builds the response.
async fn respond(
    run: &Run,
    peer: SocketAddr,
    full: bool,
    req: Request<Incoming>,
) -> Response<Body> {
    let started = Instant::now();
    let counters = &run.inner.counters;
    counters.requests.fetch_add(1, Ordering::Relaxed);
    let routes = run.inner.ep.handlers.load();
    let accept = if run.config.compression {
        req.headers()
            .get(ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    } else {
        None
    };
    let head = req.method() == Method::HEAD;
    let answer = match read(run, peer, full, req, started).await {
        Err(r) => {
            let mut resp = error_response(run, &routes, r.status, r.detail, r.request);
            if r.close {
                resp.set_header("Connection", "close");
            }
            resp
        }
        Ok(request) => dispatch(run, &routes, request),
    };
    counters.responses.fetch_add(1, Ordering::Relaxed);
    metrics::Latency::HttpServerRequest.record(started.elapsed());
    into_hyper(run, answer, accept.as_deref(), head)
}

/// Reads the body within the limits and the request timeout and parses what it carries.
async fn read(
    run: &Run,
    peer: SocketAddr,
    full: bool,
    req: Request<Incoming>,
    started: Instant,
) -> std::result::Result<HttpRequest, Refusal> {
    let config = &run.config;
    let (parts, incoming) = req.into_parts();
    if full {
        return Err(refuse(
            &parts,
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the server's limit of {} connections is reached",
                config.max_connections
            ),
            true,
        ));
    }
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > config.max_body_bytes as u64) {
        return Err(refuse(
            &parts,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body is over the limit of {} bytes",
                config.max_body_bytes
            ),
            true,
        ));
    }
    let deadline = tokio::time::Instant::from_std(started + config.request_timeout);
    let collected = if http_body::Body::is_end_stream(&incoming) {
        Ok(Ok(Bytes::new()))
    } else {
        tokio::time::timeout_at(
            deadline,
            Limited::new(incoming, config.max_body_bytes).collect(),
        )
        .await
        .map(|r| r.map(|c| c.to_bytes()))
    };
    let body = match collected {
        Err(_) => {
            return Err(refuse(
                &parts,
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the body did not arrive within {} ms",
                    config.request_timeout.as_millis()
                ),
                true,
            ))
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(refuse(
                &parts,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the body is over the limit of {} bytes",
                    config.max_body_bytes
                ),
                true,
            ))
        }
        Ok(Err(e)) => {
            return Err(refuse(
                &parts,
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}"),
                true,
            ))
        }
        Ok(Ok(b)) => b,
    };
    run.inner
        .counters
        .bytes_in
        .fetch_add(body.len() as u64, Ordering::Relaxed);
    let cookies = body::cookies(
        parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    );
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (form, files) = match essence.as_str() {
        "application/x-www-form-urlencoded" => (body::pairs(&body), Vec::new()),
        "multipart/form-data" => {
            body::multipart(&content_type, body.clone())
                .await
                .map_err(|e| {
                    refuse(
                        &parts,
                        StatusCode::BAD_REQUEST,
                        format!("malformed multipart body: {e}"),
                        false,
                    )
                })?
        }
        _ => (Vec::new(), Vec::new()),
    };
    Ok(HttpRequest {
        method: parts.method,
        query: parts
            .uri
            .query()
            .map(|q| body::pairs(q.as_bytes()))
            .unwrap_or_default(),
        uri: parts.uri,
        version: parts.version,
        headers: parts.headers,
        body,
        path_params: Vec::new(),
        cookies,
        form,
        files,
        peer,
    })
}

/// Runs a user handler in the server's callback scope; a panic is a failure (None). With
/// `blocking_handlers` the worker first hands its other tasks to another thread, so a handler
/// that blocks (a database query, a sleep) holds up nothing else.
fn user<T>(run: &Run, what: &str, f: impl FnOnce() -> T) -> Option<T> {
    let mut out = None;
    let owner = run.inner.ep.handlers.owner();
    let go = || runtime::invoke(owner, what, || out = Some(f()));
    if run.config.blocking_handlers {
        runtime::blocking(go);
    } else {
        go();
    }
    out
}

fn call(
    run: &Run,
    handler: &HttpHandler,
    request: &HttpRequest,
) -> std::result::Result<HttpResponse, String> {
    user(run, "http handler", || handler(request))
        .unwrap_or_else(|| Err("the handler panicked".to_string()))
}

/// Finds the route (registration order; HEAD falls back to GET) and runs it.
fn dispatch(run: &Run, routes: &Routes, mut request: HttpRequest) -> HttpResponse {
    let mut allowed: Vec<&str> = Vec::new();
    let mut found = None;
    for wanted in [
        Some(&request.method),
        (request.method == Method::HEAD).then_some(&Method::GET),
    ]
    .into_iter()
    .flatten()
    {
        for route in &routes.routes {
            let Some(params) = route.pattern.matches(request.path()) else {
                continue;
            };
            match &route.method {
                Some(m) if m != wanted => {
                    if !allowed.contains(&m.as_str()) {
                        allowed.push(m.as_str());
                    }
                }
                _ => {
                    found = Some((route, params));
                    break;
                }
            }
        }
        if found.is_some() {
            break;
        }
    }
    let Some((route, params)) = found else {
        if !allowed.is_empty() {
            let mut resp = error_response(
                run,
                routes,
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{} is not allowed for {}", request.method, request.path()),
                label(&request.method, request.target()),
            );
            resp.set_header("Allow", &allowed.join(", "));
            return resp;
        }
        if let Some(h) = &routes.not_found {
            return match call(run, h, &request) {
                Ok(r) => r,
                Err(e) => failure(run, routes, &request, e),
            };
        }
        let label = label(&request.method, request.target());
        let detail = format!("no route for {label}");
        return error_response(run, routes, StatusCode::NOT_FOUND, detail, label);
    };
    request.path_params = params
        .into_iter()
        .map(|(k, v)| {
            let v = percent_encoding::percent_decode_str(&v)
                .decode_utf8_lossy()
                .into_owned();
            (k, v)
        })
        .collect();
    match call(run, &route.handler, &request) {
        Ok(r) => r,
        Err(e) => failure(run, routes, &request, e),
    }
}

/// The answer to a failed handler: the failure handler's, else a 500 error response.
fn failure(run: &Run, routes: &Routes, request: &HttpRequest, why: String) -> HttpResponse {
    let label = label(&request.method, request.target());
    run.inner.counters.errors.fetch_add(1, Ordering::Relaxed);
    crate::ns_log!(Level::Warn, "http handler for {label} failed: {why}");
    if let Some(h) = &routes.failed {
        if let Ok(r) = call(run, h, request) {
            return r;
        }
    }
    error_response(run, routes, StatusCode::INTERNAL_SERVER_ERROR, why, label)
}

/// The response to an error: its status handler's, else the default error handler's, else
/// text or JSON.
fn error_response(
    run: &Run,
    routes: &Routes,
    status: StatusCode,
    detail: String,
    label: String,
) -> HttpResponse {
    let mut err = HttpError::new(status, detail);
    err.request = label;
    let handler = routes
        .by_status
        .iter()
        .find(|(s, _)| *s == err.status)
        .map(|(_, h)| h)
        .or(routes.default_error.as_ref());
    if let Some(h) = handler {
        if let Some(r) = user(run, "http error handler", || h(&err)) {
            return r;
        }
    }
    if run.config.json_errors {
        let body = format!(
            "{{\"error\":{{\"status\":{},\"message\":\"{}\",\"detail\":\"{}\"}}}}",
            err.status,
            json_escape(&err.message),
            json_escape(&err.detail)
        );
        HttpResponse::with_body(err.status, "application/json", body)
    } else {
        let body = format!("{} {}\n{}\n", err.status, err.message, err.detail);
        HttpResponse::with_body(err.status, "text/plain; charset=utf-8", body)
    }
}

/// A JSON string's contents.
fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Turns a handler's response into hyper's: checks status and headers (bad ones → 500),
/// compresses when enabled and accepted, frames the body. Content-Length and
/// Transfer-Encoding are the server's to set.
fn into_hyper(
    run: &Run,
    mut resp: HttpResponse,
    accept: Option<&str>,
    head: bool,
) -> Response<Body> {
    let config = &run.config;
    let Ok(status) = StatusCode::from_u16(resp.status) else {
        return bad_response(run, format!("status {} is not valid", resp.status));
    };
    let mut builder = Response::builder().status(status);
    let compressible = config.compression
        && !head
        && resp.body.len() >= config.compression_threshold
        && resp.header("Content-Encoding").is_none()
        && status != StatusCode::NO_CONTENT
        && status != StatusCode::NOT_MODIFIED;
    if let Some(coding) = accept.filter(|_| compressible).and_then(negotiate) {
        match compress(coding, &resp.body) {
            Ok(z) => {
                resp.body = Bytes::from(z);
                resp.set_header(CONTENT_ENCODING.as_str(), coding.name());
                resp.add_header(VARY.as_str(), "Accept-Encoding");
            }
            Err(e) => crate::ns_log!(Level::Warn, "compression failed, sent as is: {e}"),
        }
    }
    let Some(headers) = builder.headers_mut() else {
        return bad_response(run, "response builder failed".to_string());
    };
    for (k, v) in &resp.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) else {
            return bad_response(run, format!("header '{k}: {v}' is not valid"));
        };
        if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            continue;
        }
        if name == CONNECTION && !v.eq_ignore_ascii_case("close") {
            continue;
        }
        headers.append(name, value);
    }
    if let Some(reason) = &resp.reason {
        if reason != status.canonical_reason().unwrap_or("") {
            match hyper::ext::ReasonPhrase::try_from(reason.clone()) {
                Ok(r) => builder = builder.extension(r),
                Err(_) => {
                    return bad_response(run, format!("reason phrase '{reason}' is not valid"))
                }
            }
        }
    }
    run.inner
        .counters
        .bytes_out
        .fetch_add(resp.body.len() as u64, Ordering::Relaxed);
    let body = if resp.chunked {
        let mut frames = Vec::with_capacity(resp.body.len() / CHUNK + 1);
        let mut rest = resp.body;
        while !rest.is_empty() {
            let n = rest.len().min(CHUNK);
            frames.push(Ok(Frame::data(rest.split_to(n))));
        }
        Either::Right(StreamBody::new(futures_util::stream::iter(frames)))
    } else {
        Either::Left(Full::new(resp.body))
    };
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Either::Left(Full::new(Bytes::new()))))
}

/// 500 for a response the handler built wrongly.
fn bad_response(run: &Run, why: String) -> Response<Body> {
    run.inner.counters.errors.fetch_add(1, Ordering::Relaxed);
    crate::ns_log!(Level::Warn, "http handler response refused: {why}");
    let mut resp = Response::new(Either::Left(Full::new(Bytes::from(format!(
        "500 Internal Server Error\n{why}\n"
    )))));
    *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}
