//! `ns_http_client_*`: a pooled HTTP client (keep-alive, HTTP/1.1 and HTTP/2, https), with
//! blocking and callback requests.

use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

use bytes::Bytes;

use super::{ns_http_pair, ns_http_response};
use crate::error::Result;
use crate::ffi::common::{items, ns_stats, write_stats};
use crate::ffi::tls::{client_copy, ns_tls_client_config};
use crate::ffi::{
    bytes, guard, guard_value, handle, invalid, ns_free_fn, ns_result, string, UserData,
};
use crate::http::{HttpClient, HttpClientConfig};

/// An HTTP client. Create with `ns_http_client_new`, release with `ns_http_client_free`. All
/// functions may be called from any thread at once (except free).
pub struct ns_http_client(HttpClient);

/// The end of an asynchronous request: `code` 0 and the response (borrowed, valid during the
/// call), or an error code, its message and NULL. Runs on a runtime thread.
pub type ns_http_response_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        code: ns_result,
        message: *const c_char,
        response: *const ns_http_response,
    ),
>;

fn client<'a>(c: *const ns_http_client) -> Result<&'a HttpClient> {
    Ok(&handle(c, "client")?.0)
}

/// Creates a client with this whole-request timeout (0: the default 30000 ms). Certificate
/// verification is on, against the system roots; redirects are not followed; responses are
/// decompressed. Release with `ns_http_client_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_http_client_new(timeout_ms: u64) -> *mut ns_http_client {
    guard_value(std::ptr::null_mut(), || {
        crate::ffi::process_setup();
        let mut config = HttpClientConfig::default();
        if timeout_ms > 0 {
            config.timeout = Duration::from_millis(timeout_ms);
        }
        Box::into_raw(Box::new(ns_http_client(HttpClient::new(config))))
    })
}

/// Cancels asynchronous requests in flight (their callbacks run with -5 before this returns)
/// and releases the client. Exclusive. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_http_client_free(client: *mut ns_http_client) {
    // SAFETY: the pointer came from ns_http_client_new and is freed once, as documented.
    unsafe {
        crate::ffi::free_boxed(client, |client| {
            client.0.cancel_all();
        })
    }
}

/// Whole-request timeout (> 0) for requests started from now on: not connected in time →
/// -602, no complete response in time → -4.
#[no_mangle]
pub unsafe extern "C" fn ns_http_client_set_timeout_ms(
    client: *mut ns_http_client,
    ms: u64,
) -> ns_result {
    guard(|| {
        if ms == 0 {
            return Err(invalid("timeout must be > 0"));
        }
        self::client(client)?.set_timeout(Duration::from_millis(ms));
        Ok(())
    })
}

/// Counters since creation: requests (messages_out) and their body bytes, complete
/// responses (messages_in) and their body bytes, failed requests (errors).
#[no_mangle]
pub unsafe extern "C" fn ns_http_client_get_stats(
    client: *const ns_http_client,
    out: *mut ns_stats,
) -> ns_result {
    guard(|| write_stats(out, self::client(client)?.stats()))
}

/// The whole-request timeout in ms; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_http_client_timeout_ms(client: *const ns_http_client) -> u64 {
    guard_value(0, || {
        self::client(client).map_or(0, |c| c.timeout().as_millis() as u64)
    })
}

/// TLS for https:// URLs: a copy of `config` (trust, verification, pins, client certificate);
/// NULL restores the default (verification against the system roots). ALPN offers h2 and
/// http/1.1 unless the config names protocols. The pool starts afresh.
#[no_mangle]
pub unsafe extern "C" fn ns_http_client_set_tls(
    client: *mut ns_http_client,
    config: *const ns_tls_client_config,
) -> ns_result {
    guard(|| {
        let tls = client_copy(config)?.unwrap_or_default();
        self::client(client)?.configure(|c| c.tls = tls);
        Ok(())
    })
}

/// Follow 301/302/303/307/308 up to `max_redirects` times (then -644); off by default: the
/// 3xx response is returned.
#[no_mangle]
pub unsafe extern "C" fn ns_http_client_set_follow_redirects(
    client: *mut ns_http_client,
    enabled: bool,
    max_redirects: usize,
) -> ns_result {
    guard(|| {
        self::client(client)?.configure(|c| {
            c.follow_redirects = enabled;
            c.max_redirects = max_redirects;
        });
        Ok(())
    })
}

/// Speak HTTP/2 on http:// without negotiation (h2c prior knowledge; default off). https
/// negotiates through ALPN regardless.
#[no_mangle]
pub unsafe extern "C" fn ns_http_client_set_http2_prior_knowledge(
    client: *mut ns_http_client,
    enabled: bool,
) -> ns_result {
    guard(|| {
        self::client(client)?.configure(|c| c.http2_prior_knowledge = enabled);
        Ok(())
    })
}

/// Ask for gzip/deflate and decode the response body (default on; off: the body as sent).
#[no_mangle]
pub unsafe extern "C" fn ns_http_client_set_decompress(
    client: *mut ns_http_client,
    enabled: bool,
) -> ns_result {
    guard(|| {
        self::client(client)?.configure(|c| c.decompress = enabled);
        Ok(())
    })
}

/// Largest response body, decoded (default 100 MiB; larger → -642).
#[no_mangle]
pub unsafe extern "C" fn ns_http_client_set_max_response_bytes(
    client: *mut ns_http_client,
    max: usize,
) -> ns_result {
    guard(|| {
        self::client(client)?.configure(|c| c.max_response_bytes = max);
        Ok(())
    })
}

fn pair_list(list: *const ns_http_pair, count: usize, what: &str) -> Result<Vec<(String, String)>> {
    items(list, count, what)?
        .iter()
        .map(|p| {
            Ok((
                string(p.name, what)?.to_string(),
                string(p.value, what)?.to_string(),
            ))
        })
        .collect()
}

/// What a request call was given, copied.
struct Call {
    method: String,
    url: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Bytes,
}

#[allow(clippy::too_many_arguments)]
fn call(
    method: *const c_char,
    url: *const c_char,
    query: *const ns_http_pair,
    query_count: usize,
    headers: *const ns_http_pair,
    header_count: usize,
    body: *const u8,
    body_len: usize,
) -> Result<Call> {
    Ok(Call {
        method: string(method, "method")?.to_string(),
        url: string(url, "url")?.to_string(),
        query: pair_list(query, query_count, "query")?,
        headers: pair_list(headers, header_count, "headers")?,
        body: Bytes::copy_from_slice(bytes(body, body_len)?),
    })
}

/// Sends a request and waits for the whole response, stored in `*out` (release with
/// `ns_http_response_free`). `query` pairs are appended to the URL's query (encoded);
/// `headers` are sent as given (Host, User-Agent and Accept-Encoding are added when
/// missing). Errors (message in `ns_last_error`): -1 for a URL that does not parse or bad
/// arguments, -601 refused, -607 unresolvable, -602 not connected in time, -4 no complete
/// response in time, -605/-606 TLS, -603 closed early, -642 body over the limit, -644
/// protocol error or too many redirects. Any status code is a success: check
/// `ns_http_response_status`. Inside a callback it waits without holding up the runtime.
#[no_mangle]
pub unsafe extern "C" fn ns_http_client_request(
    client: *mut ns_http_client,
    method: *const c_char,
    url: *const c_char,
    query: *const ns_http_pair,
    query_count: usize,
    headers: *const ns_http_pair,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    out: *mut *mut ns_http_response,
) -> ns_result {
    guard(|| {
        let c = self::client(client)?;
        if out.is_null() {
            return Err(invalid("out is NULL"));
        }
        let a = call(
            method,
            url,
            query,
            query_count,
            headers,
            header_count,
            body,
            body_len,
        )?;
        let resp = c.request_blocking(&a.method, &a.url, &a.query, &a.headers, a.body)?;
        // SAFETY: non-NULL pointer provided by the caller.
        unsafe { *out = Box::into_raw(Box::new(ns_http_response(resp))) };
        Ok(())
    })
}

/// Starts a request (arguments as `ns_http_client_request`, copied) and returns at once;
/// `callback` runs once, on a runtime thread, with the response or the error (-5 when the
/// client is freed first). `free_user_data` (may be NULL) runs on `user_data` exactly once:
/// after the callback, or before this call returns when it fails (then the callback never
/// runs).
#[no_mangle]
pub unsafe extern "C" fn ns_http_client_request_async(
    client: *mut ns_http_client,
    method: *const c_char,
    url: *const c_char,
    query: *const ns_http_pair,
    query_count: usize,
    headers: *const ns_http_pair,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    callback: ns_http_response_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
) -> ns_result {
    let ud = UserData::new(user_data, free_user_data);
    guard(|| {
        let c = self::client(client)?;
        let cb = callback.ok_or_else(|| invalid("callback is NULL"))?;
        let a = call(
            method,
            url,
            query,
            query_count,
            headers,
            header_count,
            body,
            body_len,
        )?;
        let done = Box::new(move |r: Result<crate::http::HttpResponse>| match r {
            Ok(resp) => {
                let resp = ns_http_response(resp);
                // SAFETY: user-registered callback; the response outlives the call.
                unsafe { cb(ud.ptr(), 0, c"".as_ptr(), &resp) }
            }
            Err(e) => {
                let msg = CString::new(e.message().replace('\0', " ")).unwrap_or_default();
                // SAFETY: user-registered callback; the message outlives the call.
                unsafe { cb(ud.ptr(), e.code().value(), msg.as_ptr(), std::ptr::null()) }
            }
        });
        c.request_async(&a.method, &a.url, &a.query, &a.headers, a.body, done)
    })
}
