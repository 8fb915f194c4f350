//! `ns_http_server_*`: lifecycle, options, routes and error handlers of an HTTP server.
//!
//! Handlers run on runtime threads, several at once (one per request in progress); each gets
//! the request and the response it fills, both valid only during the call. A handler that
//! blocks holds a runtime worker.

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use super::{ns_http_request, ns_http_response, ns_http_str};
use crate::error::Result;
use crate::ffi::common::{ns_stats, port_of, positive, write_stats};
use crate::ffi::tls::{ns_tls_server_config, server_copy};
use crate::ffi::{guard, guard_value, handle, invalid, ns_free_fn, ns_result, string, UserData};
use crate::http::{
    ErrorHandler, HttpError, HttpHandler, HttpRequest, HttpResponse, HttpServer, HttpServerConfig,
};

/// An HTTP server (HTTP/1.1 and HTTP/2). Create with `ns_http_server_new`, release with
/// `ns_http_server_free`.
pub struct ns_http_server(HttpServer);

/// A route, not-found or failure handler: fill `response` (it starts as 200, no headers,
/// empty body) and return 0; any other value answers 500 through the error handlers.
pub type ns_http_handler_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        request: *const ns_http_request,
        response: *mut ns_http_response,
    ) -> i32,
>;

/// An error the server answers itself, as an error handler sees it (views valid during the
/// call).
#[repr(C)]
pub struct ns_http_error_info {
    pub status: i32,
    /// The standard reason phrase ("Not Found").
    pub message: ns_http_str,
    /// What went wrong ("no route for GET /x").
    pub detail: ns_http_str,
    /// "METHOD target" of the request, empty when none was read.
    pub request: ns_http_str,
}

/// An error handler: fill `response` (it starts with the error's status, no headers, empty
/// body).
pub type ns_http_error_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        error: *const ns_http_error_info,
        response: *mut ns_http_response,
    ),
>;

fn handler_fn(cb: ns_http_handler_fn, ud: *mut c_void, free: ns_free_fn) -> Option<HttpHandler> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |req: &HttpRequest| {
            let mut resp = HttpResponse::new(200);
            // repr(transparent): an HttpRequest/HttpResponse and the ns_ handle share a layout.
            let r = req as *const HttpRequest as *const ns_http_request;
            let out = &mut resp as *mut HttpResponse as *mut ns_http_response;
            // SAFETY: user-registered callback; request and response outlive the call.
            let code = unsafe { cb(ud.ptr(), r, out) };
            if code == 0 {
                Ok(resp)
            } else {
                Err(format!("the handler returned {code}"))
            }
        }) as HttpHandler
    })
}

fn error_fn(cb: ns_http_error_fn, ud: *mut c_void, free: ns_free_fn) -> Option<ErrorHandler> {
    let ud = UserData::new(ud, free);
    cb.map(|cb| {
        Arc::new(move |e: &HttpError| {
            let mut resp = HttpResponse::new(e.status);
            let info = ns_http_error_info {
                status: i32::from(e.status),
                message: ns_http_str::of(e.message.as_bytes()),
                detail: ns_http_str::of(e.detail.as_bytes()),
                request: ns_http_str::of(e.request.as_bytes()),
            };
            let out = &mut resp as *mut HttpResponse as *mut ns_http_response;
            // SAFETY: user-registered callback; the info and the response outlive the call.
            unsafe { cb(ud.ptr(), &info, out) };
            resp
        }) as ErrorHandler
    })
}

fn server<'a>(server: *const ns_http_server) -> Result<&'a HttpServer> {
    Ok(&handle(server, "server")?.0)
}

fn configure(s: *const ns_http_server, f: impl FnOnce(&mut HttpServerConfig)) -> ns_result {
    guard(|| server(s)?.configure(f))
}

/// Creates a stopped server: bind 0.0.0.0, 1000 connections, 30 s request timeout, 64 KiB of
/// headers, 10 MiB bodies, text error responses, no compression. Release with
/// `ns_http_server_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_new() -> *mut ns_http_server {
    guard_value(std::ptr::null_mut(), || {
        crate::ffi::process_setup();
        Box::into_raw(Box::new(ns_http_server(HttpServer::default())))
    })
}

/// Stops the server (as `ns_http_server_stop`), releases every handler's user data and the
/// server. Exclusive, and waits, as `ns_tcp_server_free`. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_free(server: *mut ns_http_server) {
    // SAFETY: the pointer came from ns_http_server_new and is freed once, as documented.
    unsafe {
        crate::ffi::free_boxed(server, |server| {
            let _ = server.0.stop();
            server.0.clear_routes();
        })
    }
}

/// Address to bind, e.g. "127.0.0.1", "::1", "::" (default "0.0.0.0"). Before start (else
/// -661); same for every option setter below.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_bind_address(
    server: *mut ns_http_server,
    address: *const c_char,
) -> ns_result {
    guard(|| {
        let address = string(address, "address")?.to_string();
        if address.is_empty() {
            return Err(invalid("address is empty"));
        }
        self::server(server)?.configure(|c| c.bind_address = address)
    })
}

/// Open connections beyond this (> 0, default 1000) are answered 503 and closed.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_max_connections(
    server: *mut ns_http_server,
    max: usize,
) -> ns_result {
    guard(|| {
        let max = positive(max, "max_connections")?;
        self::server(server)?.configure(|c| c.max_connections = max)
    })
}

/// Request timeout (> 0, default 30000 ms): the headers must arrive within it (else the
/// connection is closed, as is a keep-alive connection idle that long), then the body
/// within it (else 408).
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_request_timeout_ms(
    server: *mut ns_http_server,
    ms: u64,
) -> ns_result {
    if ms == 0 {
        return guard(|| Err(invalid("timeout must be > 0")));
    }
    configure(server, |c| c.request_timeout = Duration::from_millis(ms))
}

/// Largest request line + headers (> 0, default 64 KiB; HTTP/1.1 uses at least 8 KiB);
/// larger → 431 and the connection closes.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_max_header_bytes(
    server: *mut ns_http_server,
    max: usize,
) -> ns_result {
    guard(|| {
        let max = positive(max, "max_header_bytes")?;
        self::server(server)?.configure(|c| c.max_header_bytes = max)
    })
}

/// Largest request body (default 10 MiB); larger → 413 and the connection closes.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_max_body_bytes(
    server: *mut ns_http_server,
    max: usize,
) -> ns_result {
    configure(server, |c| c.max_body_bytes = max)
}

/// Error responses as JSON `{"error":{"status":…,"message":…,"detail":…}}` (default: text).
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_json_errors(
    server: *mut ns_http_server,
    enabled: bool,
) -> ns_result {
    configure(server, |c| c.json_errors = enabled)
}

/// gzip (or deflate) for response bodies of at least `threshold` bytes when the request's
/// Accept-Encoding allows it and the handler set no Content-Encoding (default off, 1024).
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_compression(
    server: *mut ns_http_server,
    enabled: bool,
    threshold: usize,
) -> ns_result {
    configure(server, |c| {
        c.compression = enabled;
        c.compression_threshold = threshold;
    })
}

/// Handlers may block for long (database queries, sleeps, slow services): each call first
/// moves the runtime worker's other tasks to another thread, so nothing else waits for it, at
/// a cost per request. Default off: handlers run directly on a runtime thread and must return
/// quickly (as every callback).
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_blocking_handlers(
    server: *mut ns_http_server,
    enabled: bool,
) -> ns_result {
    configure(server, |c| c.blocking_handlers = enabled)
}

/// How long stop lets requests in progress finish (default 5000 ms).
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_drain_timeout_ms(
    server: *mut ns_http_server,
    ms: u64,
) -> ns_result {
    configure(server, |c| c.drain_timeout = Duration::from_millis(ms))
}

/// https: TLS with a copy of `config` (ALPN offers h2 and http/1.1 unless the config names
/// protocols), or plain http with NULL (default).
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_tls(
    server: *mut ns_http_server,
    config: *const ns_tls_server_config,
) -> ns_result {
    guard(|| {
        let tls = server_copy(config)?;
        self::server(server)?.configure(|c| c.tls = tls)
    })
}

/// Adds a route: `method` ("GET", "POST", … any token; "*" for all) and a pattern such as
/// "/users/:id" (`:name` matches one path segment part; see the README). Routes are tried in
/// the order added, also while running; HEAD without a HEAD route uses the GET route.
/// `free_user_data` (may be NULL) runs on `user_data` when the server is freed and no call
/// runs; when this call fails it is not called. -1 for a NULL handler, a bad method or
/// pattern.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_route(
    server: *mut ns_http_server,
    method: *const c_char,
    pattern: *const c_char,
    handler: ns_http_handler_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    guard(|| {
        let s = self::server(server)?;
        let (method, pattern) = (string(method, "method")?, string(pattern, "pattern")?);
        if handler.is_none() {
            return Err(invalid("handler is NULL"));
        }
        crate::http::route_parts(method, pattern)?;
        let h = handler_fn(handler, user_data, free_user_data)
            .ok_or_else(|| invalid("handler is NULL"))?;
        s.route(method, pattern, h)
    })
}

/// Answers requests no route matches (NULL: the 404 error response). User data as for
/// `ns_http_server_route`, released when replaced.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_not_found_handler(
    server: *mut ns_http_server,
    handler: ns_http_handler_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    guard(|| {
        let s = self::server(server)?;
        s.set_not_found_handler(handler_fn(handler, user_data, free_user_data));
        Ok(())
    })
}

/// Answers requests whose handler failed (returned non-zero; a C++ handler threw), with the
/// request; NULL, or a failure of this handler too: the 500 error response.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_failure_handler(
    server: *mut ns_http_server,
    handler: ns_http_handler_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    guard(|| {
        let s = self::server(server)?;
        s.set_failure_handler(handler_fn(handler, user_data, free_user_data));
        Ok(())
    })
}

/// Builds the response for errors with this status (400, 404, 405, 408, 413, 500, 503; 431
/// and malformed requests are answered before a request exists). NULL removes it.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_error_handler(
    server: *mut ns_http_server,
    status: i32,
    handler: ns_http_error_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    guard(|| {
        let s = self::server(server)?;
        let status = u16::try_from(status)
            .ok()
            .filter(|s| (400..=599).contains(s))
            .ok_or_else(|| invalid("status must be between 400 and 599"))?;
        s.set_error_handler(status, error_fn(handler, user_data, free_user_data));
        Ok(())
    })
}

/// Builds the response for errors without a handler of their own. NULL removes it.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_set_default_error_handler(
    server: *mut ns_http_server,
    handler: ns_http_error_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    guard(|| {
        let s = self::server(server)?;
        s.set_default_error_handler(error_fn(handler, user_data, free_user_data));
        Ok(())
    })
}

/// Binds `port` (0 picks a free one, see `ns_http_server_port`) and starts serving. -661 when
/// running, -662 when the address is taken or not allowed, -606 for unusable TLS material.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_start(server: *mut ns_http_server, port: u16) -> ns_result {
    guard(|| self::server(server)?.start(port))
}

/// The bound port while running; -660 when not running.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_port(
    server: *const ns_http_server,
    port: *mut u16,
) -> ns_result {
    guard(|| {
        port_of(
            self::server(server)?.local_addr(),
            port,
            crate::error::ErrorCode::ServerNotStarted,
        )
    })
}

/// Stops accepting, lets requests in progress finish (up to the drain timeout), closes the
/// connections and returns when no handler runs or will run again (waiting as
/// `ns_tcp_server_stop`). Not running → 0.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_stop(server: *mut ns_http_server) -> ns_result {
    guard(|| self::server(server)?.stop())
}

/// Blocks until the server is stopped (by another thread or a handler). -1 inside a handler
/// or on a runtime thread.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_wait_for_stop(server: *mut ns_http_server) -> ns_result {
    guard(|| self::server(server)?.wait_for_stop())
}

/// True while running; false for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_is_running(server: *const ns_http_server) -> bool {
    guard_value(false, || self::server(server).is_ok_and(|s| s.is_running()))
}

/// Open connections; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_connection_count(server: *const ns_http_server) -> usize {
    guard_value(0, || {
        self::server(server).map_or(0, |s| s.connection_count())
    })
}

/// Counters since creation: connections (accepted, open, answered 503), requests
/// (messages_in), responses (messages_out), body bytes each way, errors. Set
/// `out->struct_size` first, as for `ns_tcp_server_get_stats`.
#[no_mangle]
pub unsafe extern "C" fn ns_http_server_get_stats(
    server: *const ns_http_server,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, self::server(server)?.stats()))
}
