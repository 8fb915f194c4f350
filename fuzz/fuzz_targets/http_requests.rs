//! The HTTP server path: HTTP/1.1 and HTTP/2 (prior knowledge) requests as a peer sends them,
//! through hyper, our router, query/cookie/form/multipart decoding, compression and the
//! handlers. A finding is a crash, a leak, or a connection left open after the peer's end of
//! input.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use network_system::http::{HttpRequest, HttpResponse, HttpServer, HttpServerConfig};
use network_system_fuzz::{chunking, exchange};

fn port() -> u16 {
    static SERVER: OnceLock<(HttpServer, u16)> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let server = HttpServer::new(HttpServerConfig {
                bind_address: "127.0.0.1".into(),
                max_body_bytes: 64 * 1024,
                compression: true,
                compression_threshold: 16,
                ..HttpServerConfig::default()
            });
            let routes: [(&str, &str); 4] = [
                ("GET", "/users/:id"),
                ("POST", "/echo"),
                ("POST", "/form"),
                ("GET", "/files/:name.txt"),
            ];
            for (method, pattern) in routes {
                server
                    .route(
                        method,
                        pattern,
                        Arc::new(|r: &HttpRequest| {
                            // Every decoded part of the request goes into the answer.
                            let mut body = format!(
                                "{} {:?} {:?} {:?} {:?} {:?}\n",
                                r.path(),
                                r.path_params,
                                r.query,
                                r.cookies,
                                r.form,
                                r.files.iter().map(|f| f.filename.len()).collect::<Vec<_>>()
                            )
                            .into_bytes();
                            body.extend_from_slice(&r.body);
                            Ok(HttpResponse::with_body(200, "text/plain", body))
                        }),
                    )
                    .expect("route");
            }
            server.start(0).expect("server starts");
            let port = server.local_addr().expect("bound").port();
            (server, port)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let (chunk, input) = chunking(data);
    exchange(port(), input, chunk);
});
