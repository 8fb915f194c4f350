//! Requests, responses and errors as handlers and callers see them.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri, Version};

/// One uploaded file of a `multipart/form-data` body.
#[derive(Debug, Clone, Default)]
pub struct MultipartFile {
    pub field_name: String,
    pub filename: String,
    pub content_type: String,
    pub content: Bytes,
}

/// A request as a handler sees it: the whole body read, query, cookies, form fields and files
/// parsed. Header names are lower case (HTTP/2 requires it; HTTP/1.1 names are folded).
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    /// The request target (`target()` and `path()` read it).
    pub uri: Uri,
    pub version: Version,
    /// Every value of a repeated header is kept; iteration yields a name's values together.
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Decoded query parameters in order.
    pub query: Vec<(String, String)>,
    /// The matched route's `:name` parameters, percent-decoded.
    pub path_params: Vec<(String, String)>,
    /// Cookies of the `Cookie` header(s), percent-decoded.
    pub cookies: Vec<(String, String)>,
    /// Fields of an `application/x-www-form-urlencoded` body or the non-file parts of a
    /// `multipart/form-data` body.
    pub form: Vec<(String, String)>,
    /// Files of a `multipart/form-data` body.
    pub files: Vec<MultipartFile>,
    pub peer: SocketAddr,
}

/// The first value of `name` (ASCII case-insensitive) in a list of pairs.
pub(crate) fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The first value of `name` (exact) in a list of pairs.
fn find_exact<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl HttpRequest {
    /// The target as sent: path and query (`/users/42?verbose=1`).
    pub fn target(&self) -> &str {
        self.uri.path_and_query().map_or("/", |p| p.as_str())
    }
    /// The path of the target, not decoded.
    pub fn path(&self) -> &str {
        self.uri.path()
    }
    /// The first value of a header (case-insensitive; None when absent or not text).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_bytes(name)
            .and_then(|v| std::str::from_utf8(v).ok())
    }
    /// The first value of a header as sent (case-insensitive name).
    pub fn header_bytes(&self, name: &str) -> Option<&[u8]> {
        // HeaderName folds the name to lower case (a &str key would be looked up as given).
        let name = http::HeaderName::from_bytes(name.as_bytes()).ok()?;
        self.headers.get(name).map(|v| v.as_bytes())
    }
    pub fn query_param(&self, name: &str) -> Option<&str> {
        find_exact(&self.query, name)
    }
    pub fn path_param(&self, name: &str) -> Option<&str> {
        find_exact(&self.path_params, name)
    }
    pub fn cookie(&self, name: &str) -> Option<&str> {
        find_exact(&self.cookies, name)
    }
    pub fn form_field(&self, name: &str) -> Option<&str> {
        find_exact(&self.form, name)
    }
    pub fn file(&self, field_name: &str) -> Option<&MultipartFile> {
        self.files.iter().find(|f| f.field_name == field_name)
    }
}

/// A response. Server side: what a handler returns (status 200, no headers, empty body by
/// default). Client side: what the peer sent, body decoded from gzip/deflate when
/// decompression is on.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// A reason phrase other than the standard one (HTTP/1.x only); None: the standard one.
    pub reason: Option<String>,
    pub version: Version,
    /// In order; `Set-Cookie` and other repeatable headers may appear several times.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Send the body with `Transfer-Encoding: chunked` (HTTP/1.1) instead of a length.
    pub chunked: bool,
}

impl Default for HttpResponse {
    fn default() -> Self {
        HttpResponse::new(200)
    }
}

impl HttpResponse {
    pub fn new(status: u16) -> HttpResponse {
        HttpResponse {
            status,
            reason: None,
            version: Version::HTTP_11,
            headers: Vec::new(),
            body: Bytes::new(),
            chunked: false,
        }
    }

    /// A response with a body and its content type.
    pub fn with_body(status: u16, content_type: &str, body: impl Into<Bytes>) -> HttpResponse {
        let mut r = HttpResponse::new(status);
        r.set_header("Content-Type", content_type);
        r.body = body.into();
        r
    }

    /// The first value of a header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// Replaces every value of `name` (case-insensitive) with one.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
    }

    /// Adds a value, keeping the others (e.g. one more `Set-Cookie`).
    pub fn add_header(&mut self, name: &str, value: &str) {
        self.headers.push((name.to_string(), value.to_string()));
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// The reason phrase sent or received: the custom one, else the standard one.
    pub fn reason_phrase(&self) -> &str {
        match &self.reason {
            Some(r) => r,
            None => status_message(self.status),
        }
    }
}

/// The standard reason phrase of a status code ("" for an unknown one).
pub fn status_message(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// An error the server answers itself (bad request, not found, limits, a failed handler),
/// handed to the error handlers.
#[derive(Debug, Clone)]
pub struct HttpError {
    pub status: u16,
    /// The standard reason phrase.
    pub message: String,
    /// What went wrong, for people ("no route for GET /x").
    pub detail: String,
    /// The request's method and target when the request was read ("GET /x"), else empty.
    pub request: String,
}

impl HttpError {
    pub(crate) fn new(status: StatusCode, detail: impl Into<String>) -> HttpError {
        HttpError {
            status: status.as_u16(),
            message: status.canonical_reason().unwrap_or("").to_string(),
            detail: detail.into(),
            request: String::new(),
        }
    }
}
