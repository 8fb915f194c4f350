//! HTTP/1.1 and HTTP/2 on hyper: a server with registration-order routing, `:name` path
//! parameters, query/form/multipart/cookie parsing, error handlers, response compression and
//! enforced limits; a pooled client (keep-alive, h2 through ALPN or prior knowledge, https
//! through our rustls configuration) with timeouts, optional redirects and decompression.

mod body;
mod client;
mod config;
mod router;
mod server;
mod types;

pub use body::set_cookie_value;
pub use client::{HttpClient, HttpUrl};
pub use config::{HttpClientConfig, HttpServerConfig};
pub use router::Pattern;
pub(crate) use server::route_parts;
pub use server::{ErrorHandler, HttpHandler, HttpServer};
pub use types::{HttpError, HttpRequest, HttpResponse, MultipartFile};
