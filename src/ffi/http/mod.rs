//! C ABI of HTTP: `ns_http_server_*` (server.rs), `ns_http_client_*` (client.rs); this file
//! holds the request, response and URL handles both sides use.
//!
//! Strings handed out are `ns_http_str` views (pointer and length, not NUL-terminated) into
//! the object they come from: valid as long as that object (for a request: the handler call).
//! Strings handed in are NUL-terminated UTF-8 unless a length goes with them.

mod client;
mod server;

pub use client::*;
pub use server::*;

use std::ffi::c_char;

use super::{bytes, guard, guard_value, handle, invalid, ns_result, string};
use crate::error::{Error, ErrorCode, Result};
use crate::http::{set_cookie_value, HttpRequest, HttpResponse, HttpUrl};

/// A borrowed string or byte range: `len` bytes at `data` (not NUL-terminated). `data` is
/// NULL only with `len` 0.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ns_http_str {
    pub data: *const c_char,
    pub len: usize,
}

impl ns_http_str {
    fn of(s: &[u8]) -> ns_http_str {
        ns_http_str {
            data: s.as_ptr() as *const c_char,
            len: s.len(),
        }
    }

    const EMPTY: ns_http_str = ns_http_str {
        data: std::ptr::null(),
        len: 0,
    };
}

/// A name and a value, NUL-terminated (query parameters and headers of a client request).
#[repr(C)]
pub struct ns_http_pair {
    pub name: *const c_char,
    pub value: *const c_char,
}

/// One uploaded file of a multipart request; views into the request.
#[repr(C)]
pub struct ns_http_file {
    pub field_name: ns_http_str,
    pub filename: ns_http_str,
    pub content_type: ns_http_str,
    pub content: ns_http_str,
}

/// A request, borrowed by a handler during its call.
#[repr(transparent)]
pub struct ns_http_request(HttpRequest);

/// A response: filled by a handler (borrowed during the call; starts as 200 with no headers
/// and no body), or returned by the client (owned: release with `ns_http_response_free`).
#[repr(transparent)]
pub struct ns_http_response(HttpResponse);

/// A parsed URL (`ns_http_url_parse`); release with `ns_http_url_free`.
pub struct ns_http_url(HttpUrl);

/// Request headers (lower-case names, arrival order).
pub const NS_HTTP_HEADERS: i32 = 0;
/// Decoded query parameters.
pub const NS_HTTP_QUERY: i32 = 1;
/// The matched route's `:name` parameters.
pub const NS_HTTP_PATH_PARAMS: i32 = 2;
/// Cookies of the `Cookie` header.
pub const NS_HTTP_COOKIES: i32 = 3;
/// Fields of a form or multipart body.
pub const NS_HTTP_FORM: i32 = 4;

/// HTTP versions as `ns_http_request_version` / `ns_http_response_version` report them.
pub const NS_HTTP_VERSION_1_0: i32 = 10;
pub const NS_HTTP_VERSION_1_1: i32 = 11;
pub const NS_HTTP_VERSION_2: i32 = 20;

fn version_number(v: http::Version) -> i32 {
    match v {
        http::Version::HTTP_09 => 9,
        http::Version::HTTP_10 => NS_HTTP_VERSION_1_0,
        http::Version::HTTP_2 => NS_HTTP_VERSION_2,
        http::Version::HTTP_3 => 30,
        _ => NS_HTTP_VERSION_1_1,
    }
}

/// The name/value lists of a kind other than headers.
fn pairs(request: &HttpRequest, kind: i32) -> Result<&[(String, String)]> {
    Ok(match kind {
        NS_HTTP_QUERY => &request.query,
        NS_HTTP_PATH_PARAMS => &request.path_params,
        NS_HTTP_COOKIES => &request.cookies,
        NS_HTTP_FORM => &request.form,
        _ => return Err(invalid("unknown NS_HTTP_* kind")),
    })
}

/// Writes a view to `*out`.
fn put(out: *mut ns_http_str, s: &[u8]) -> Result<()> {
    if out.is_null() {
        return Err(invalid("output pointer is NULL"));
    }
    // SAFETY: non-NULL pointer to an ns_http_str provided by the caller.
    unsafe { *out = ns_http_str::of(s) };
    Ok(())
}

fn request_str(request: *const ns_http_request, f: impl Fn(&HttpRequest) -> &[u8]) -> ns_http_str {
    guard_value(ns_http_str::EMPTY, || {
        handle(request, "request").map_or(ns_http_str::EMPTY, |r| ns_http_str::of(f(&r.0)))
    })
}

/// The method, e.g. "GET". Empty view for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_http_request_method(request: *const ns_http_request) -> ns_http_str {
    request_str(request, |r| r.method.as_str().as_bytes())
}

/// The target as sent: path and query ("/users/42?verbose=1").
#[no_mangle]
pub unsafe extern "C" fn ns_http_request_uri(request: *const ns_http_request) -> ns_http_str {
    request_str(request, |r| r.target().as_bytes())
}

/// The path of the target, not decoded.
#[no_mangle]
pub unsafe extern "C" fn ns_http_request_path(request: *const ns_http_request) -> ns_http_str {
    request_str(request, |r| r.path().as_bytes())
}

/// The body (whole; de-chunked).
#[no_mangle]
pub unsafe extern "C" fn ns_http_request_body(request: *const ns_http_request) -> ns_http_str {
    request_str(request, |r| &r.body)
}

/// NS_HTTP_VERSION_1_0, _1_1 or _2; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_http_request_version(request: *const ns_http_request) -> i32 {
    guard_value(0, || {
        handle(request, "request").map_or(0, |r| version_number(r.0.version))
    })
}

/// Number of entries of a kind (NS_HTTP_HEADERS, _QUERY, _PATH_PARAMS, _COOKIES, _FORM); 0
/// for NULL or an unknown kind.
#[no_mangle]
pub unsafe extern "C" fn ns_http_request_count(
    request: *const ns_http_request,
    kind: i32,
) -> usize {
    guard_value(0, || match handle(request, "request") {
        Ok(r) if kind == NS_HTTP_HEADERS => r.0.headers.len(),
        Ok(r) => pairs(&r.0, kind).map_or(0, <[_]>::len),
        Err(_) => 0,
    })
}

/// Entry `index` of a kind: its name and value. -1 for NULL arguments, an unknown kind or an
/// index out of range.
#[no_mangle]
pub unsafe extern "C" fn ns_http_request_at(
    request: *const ns_http_request,
    kind: i32,
    index: usize,
    name: *mut ns_http_str,
    value: *mut ns_http_str,
) -> ns_result {
    guard(|| {
        let r = &handle(request, "request")?.0;
        let out_of_range = || invalid("index out of range");
        let (k, v): (&[u8], &[u8]) = if kind == NS_HTTP_HEADERS {
            let (k, v) = r.headers.iter().nth(index).ok_or_else(out_of_range)?;
            (k.as_str().as_bytes(), v.as_bytes())
        } else {
            let (k, v) = pairs(r, kind)?.get(index).ok_or_else(out_of_range)?;
            (k.as_bytes(), v.as_bytes())
        };
        put(name, k)?;
        put(value, v)
    })
}

/// The first value named `name` of a kind (headers: case-insensitive; the others exact).
/// -2 (NS_ERR_NOT_FOUND) when absent, -1 for NULL arguments or an unknown kind.
#[no_mangle]
pub unsafe extern "C" fn ns_http_request_find(
    request: *const ns_http_request,
    kind: i32,
    name: *const c_char,
    value: *mut ns_http_str,
) -> ns_result {
    guard(|| {
        let r = &handle(request, "request")?.0;
        let name = string(name, "name")?;
        let missing = || Error::new(ErrorCode::NotFound, format!("no '{name}'"));
        let found: &[u8] = if kind == NS_HTTP_HEADERS {
            r.header_bytes(name).ok_or_else(missing)?
        } else {
            let list = pairs(r, kind)?;
            let (_, v) = list.iter().find(|(k, _)| k == name).ok_or_else(missing)?;
            v.as_bytes()
        };
        put(value, found)
    })
}

/// Number of uploaded files (multipart/form-data).
#[no_mangle]
pub unsafe extern "C" fn ns_http_request_file_count(request: *const ns_http_request) -> usize {
    guard_value(0, || {
        handle(request, "request").map_or(0, |r| r.0.files.len())
    })
}

/// File `index`: views of its field name, file name, content type and content. -1 for NULL
/// arguments or an index out of range.
#[no_mangle]
pub unsafe extern "C" fn ns_http_request_file_at(
    request: *const ns_http_request,
    index: usize,
    out: *mut ns_http_file,
) -> ns_result {
    guard(|| {
        let r = handle(request, "request")?;
        let f =
            r.0.files
                .get(index)
                .ok_or_else(|| invalid("index out of range"))?;
        if out.is_null() {
            return Err(invalid("out is NULL"));
        }
        // SAFETY: non-NULL pointer to an ns_http_file provided by the caller.
        unsafe {
            *out = ns_http_file {
                field_name: ns_http_str::of(f.field_name.as_bytes()),
                filename: ns_http_str::of(f.filename.as_bytes()),
                content_type: ns_http_str::of(f.content_type.as_bytes()),
                content: ns_http_str::of(&f.content),
            }
        };
        Ok(())
    })
}

fn response_mut<'a>(response: *mut ns_http_response) -> Result<&'a mut HttpResponse> {
    // SAFETY: NULL or a response handed to a handler (exclusive during the call) or owned by
    // the caller; documented on every setter.
    unsafe { response.as_mut() }
        .map(|r| &mut r.0)
        .ok_or_else(|| invalid("response is NULL"))
}

/// Status code (100–999) and reason phrase (NULL: the standard one; HTTP/1.x only).
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_set_status(
    response: *mut ns_http_response,
    status: i32,
    reason: *const c_char,
) -> ns_result {
    guard(|| {
        let status = u16::try_from(status)
            .ok()
            .filter(|s| (100..=999).contains(s))
            .ok_or_else(|| invalid("status must be between 100 and 999"))?;
        let reason = if reason.is_null() {
            None
        } else {
            Some(string(reason, "reason")?.to_string())
        };
        let r = response_mut(response)?;
        r.status = status;
        r.reason = reason;
        Ok(())
    })
}

/// Sets a header, replacing every value of that name (case-insensitive). Content-Length and
/// Transfer-Encoding are the server's to set and are ignored; a name or value HTTP does not
/// allow makes the response a 500.
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_set_header(
    response: *mut ns_http_response,
    name: *const c_char,
    value: *const c_char,
) -> ns_result {
    guard(|| {
        let (name, value) = (string(name, "name")?, string(value, "value")?);
        response_mut(response)?.set_header(name, value);
        Ok(())
    })
}

/// Adds a header value, keeping the others of that name (e.g. another Set-Cookie).
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_add_header(
    response: *mut ns_http_response,
    name: *const c_char,
    value: *const c_char,
) -> ns_result {
    guard(|| {
        let (name, value) = (string(name, "name")?, string(value, "value")?);
        response_mut(response)?.add_header(name, value);
        Ok(())
    })
}

/// Copies `len` bytes at `data` as the body (replacing any).
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_set_body(
    response: *mut ns_http_response,
    data: *const u8,
    len: usize,
) -> ns_result {
    guard(|| {
        let data = bytes(data, len)?;
        response_mut(response)?.body = bytes::Bytes::copy_from_slice(data);
        Ok(())
    })
}

/// Sends the body with Transfer-Encoding: chunked (HTTP/1.1) instead of Content-Length.
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_set_chunked(
    response: *mut ns_http_response,
    chunked: bool,
) -> ns_result {
    guard(|| {
        response_mut(response)?.chunked = chunked;
        Ok(())
    })
}

/// Adds a Set-Cookie header. `path`, `domain` and `same_site` ("Strict", "Lax", "None") may
/// be NULL or "" (left out); `max_age` < 0 leaves Max-Age out. Name and value are
/// percent-encoded where needed.
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_set_cookie(
    response: *mut ns_http_response,
    name: *const c_char,
    value: *const c_char,
    path: *const c_char,
    domain: *const c_char,
    max_age: i64,
    http_only: bool,
    secure: bool,
    same_site: *const c_char,
) -> ns_result {
    guard(|| {
        let opt = |p: *const c_char, what| -> Result<&str> {
            if p.is_null() {
                Ok("")
            } else {
                string(p, what)
            }
        };
        let name = string(name, "name")?;
        if name.is_empty() {
            return Err(invalid("cookie name is empty"));
        }
        let header = set_cookie_value(
            name,
            string(value, "value")?,
            opt(path, "path")?,
            opt(domain, "domain")?,
            (max_age >= 0).then_some(max_age),
            http_only,
            secure,
            opt(same_site, "same_site")?,
        );
        response_mut(response)?.add_header("Set-Cookie", &header);
        Ok(())
    })
}

fn response_ref<'a>(response: *const ns_http_response) -> Option<&'a HttpResponse> {
    handle(response, "response").ok().map(|r| &r.0)
}

/// The status code; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_status(response: *const ns_http_response) -> i32 {
    guard_value(0, || {
        response_ref(response).map_or(0, |r| i32::from(r.status))
    })
}

/// The reason phrase (received, else the standard one).
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_reason(response: *const ns_http_response) -> ns_http_str {
    guard_value(ns_http_str::EMPTY, || {
        response_ref(response).map_or(ns_http_str::EMPTY, |r| {
            ns_http_str::of(r.reason_phrase().as_bytes())
        })
    })
}

/// NS_HTTP_VERSION_1_0, _1_1 or _2; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_version(response: *const ns_http_response) -> i32 {
    guard_value(0, || {
        response_ref(response).map_or(0, |r| version_number(r.version))
    })
}

/// The body (decoded from gzip/deflate when the client decompresses).
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_body(response: *const ns_http_response) -> ns_http_str {
    guard_value(ns_http_str::EMPTY, || {
        response_ref(response).map_or(ns_http_str::EMPTY, |r| ns_http_str::of(&r.body))
    })
}

/// True when the body goes out chunked.
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_chunked(response: *const ns_http_response) -> bool {
    guard_value(false, || response_ref(response).is_some_and(|r| r.chunked))
}

/// Number of headers (received ones: lower-case names, in order).
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_header_count(response: *const ns_http_response) -> usize {
    guard_value(0, || response_ref(response).map_or(0, |r| r.headers.len()))
}

/// Header `index`: name and value. -1 for NULL arguments or an index out of range.
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_header_at(
    response: *const ns_http_response,
    index: usize,
    name: *mut ns_http_str,
    value: *mut ns_http_str,
) -> ns_result {
    guard(|| {
        let r = &handle(response, "response")?.0;
        let (k, v) = r
            .headers
            .get(index)
            .ok_or_else(|| invalid("index out of range"))?;
        put(name, k.as_bytes())?;
        put(value, v.as_bytes())
    })
}

/// The first value of a header (case-insensitive); -2 when absent.
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_find_header(
    response: *const ns_http_response,
    name: *const c_char,
    value: *mut ns_http_str,
) -> ns_result {
    guard(|| {
        let r = &handle(response, "response")?.0;
        let name = string(name, "name")?;
        let v = r
            .header(name)
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no header '{name}'")))?;
        put(value, v.as_bytes())
    })
}

/// Releases a response the client returned. NULL is a no-op; never pass a handler's response.
#[no_mangle]
pub unsafe extern "C" fn ns_http_response_free(response: *mut ns_http_response) {
    // SAFETY: the pointer came from the client (Box) and is freed once, as documented.
    unsafe { crate::ffi::free_boxed(response, |_| ()) }
}

/// Parses an absolute http:// or https:// URL into `*out` (release with
/// `ns_http_url_free`). -1 with a message (`ns_last_error`) when it does not parse.
#[no_mangle]
pub unsafe extern "C" fn ns_http_url_parse(
    url: *const c_char,
    out: *mut *mut ns_http_url,
) -> ns_result {
    guard(|| {
        if out.is_null() {
            return Err(invalid("out is NULL"));
        }
        let parsed = HttpUrl::parse(string(url, "url")?)?;
        // SAFETY: non-NULL pointer provided by the caller.
        unsafe { *out = Box::into_raw(Box::new(ns_http_url(parsed))) };
        Ok(())
    })
}

fn url_str(url: *const ns_http_url, f: impl Fn(&HttpUrl) -> &str) -> ns_http_str {
    guard_value(ns_http_str::EMPTY, || {
        handle(url, "url").map_or(ns_http_str::EMPTY, |u| ns_http_str::of(f(&u.0).as_bytes()))
    })
}

/// "http" or "https" (lower case).
#[no_mangle]
pub unsafe extern "C" fn ns_http_url_scheme(url: *const ns_http_url) -> ns_http_str {
    url_str(url, |u| &u.scheme)
}

/// The host, without the brackets of an IPv6 literal.
#[no_mangle]
pub unsafe extern "C" fn ns_http_url_host(url: *const ns_http_url) -> ns_http_str {
    url_str(url, |u| &u.host)
}

/// The path ("/" when the URL has none), not decoded.
#[no_mangle]
pub unsafe extern "C" fn ns_http_url_path(url: *const ns_http_url) -> ns_http_str {
    url_str(url, |u| &u.path)
}

/// The explicit port, else 80 or 443; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn ns_http_url_port(url: *const ns_http_url) -> u16 {
    guard_value(0, || handle(url, "url").map_or(0, |u| u.0.port))
}

/// Number of (decoded) query parameters.
#[no_mangle]
pub unsafe extern "C" fn ns_http_url_query_count(url: *const ns_http_url) -> usize {
    guard_value(0, || handle(url, "url").map_or(0, |u| u.0.query.len()))
}

/// Query parameter `index`. -1 for NULL arguments or an index out of range.
#[no_mangle]
pub unsafe extern "C" fn ns_http_url_query_at(
    url: *const ns_http_url,
    index: usize,
    name: *mut ns_http_str,
    value: *mut ns_http_str,
) -> ns_result {
    guard(|| {
        let (k, v) = handle(url, "url")?
            .0
            .query
            .get(index)
            .ok_or_else(|| invalid("index out of range"))?;
        put(name, k.as_bytes())?;
        put(value, v.as_bytes())
    })
}

/// Releases a parsed URL. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_http_url_free(url: *mut ns_http_url) {
    // SAFETY: the pointer came from ns_http_url_parse and is freed once.
    unsafe { crate::ffi::free_boxed(url, |_| ()) }
}
