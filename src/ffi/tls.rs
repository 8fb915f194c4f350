//! C ABI of TLS. A TLS server or client is an `ns_tcp_server` / `ns_tcp_client` with TLS
//! switched on: create it with `ns_tls_server_new` / `ns_tls_client_new` (or switch a TCP one by
//! setting a certificate), set the TLS material with the `ns_tls_*` setters below, and use every
//! `ns_tcp_*` function for the rest (start, stop, callbacks, framing, limits, stats, send).
//! All setters: before start (else -661 / -664); -1 for NULL or malformed arguments.

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use super::tcp::{ns_tcp_client, ns_tcp_server};
use super::{guard, guard_value, handle, invalid, ns_result, string};
use crate::error::Result;
use crate::tcp::{ClientConfig, ServerConfig, TcpClient, TcpServer};
use crate::tls::{parse_pin, ClientTlsConfig, PemSource, ServerTlsConfig, TlsVersions};

/// TLS 1.2 and 1.3 (default).
pub const NS_TLS_VERSIONS_1_2_AND_1_3: i32 = 0;
/// TLS 1.3 only.
pub const NS_TLS_VERSIONS_1_3_ONLY: i32 = 1;
/// TLS 1.2 only.
pub const NS_TLS_VERSIONS_1_2_ONLY: i32 = 2;

fn versions(v: i32) -> Result<TlsVersions> {
    match v {
        NS_TLS_VERSIONS_1_2_AND_1_3 => Ok(TlsVersions::Tls12And13),
        NS_TLS_VERSIONS_1_3_ONLY => Ok(TlsVersions::Tls13Only),
        NS_TLS_VERSIONS_1_2_ONLY => Ok(TlsVersions::Tls12Only),
        _ => Err(invalid("unknown NS_TLS_VERSIONS_* value")),
    }
}

fn file(path: *const c_char, what: &str) -> Result<PemSource> {
    let path = string(path, what)?;
    if path.is_empty() {
        return Err(invalid(&format!("{what} is empty")));
    }
    Ok(PemSource::File(PathBuf::from(path)))
}

fn pem(text: *const c_char, what: &str) -> Result<PemSource> {
    Ok(PemSource::Memory(string(text, what)?.as_bytes().to_vec()))
}

/// "h2,http/1.1" → [b"h2", b"http/1.1"]; "" → none.
fn alpn(list: *const c_char) -> Result<Vec<Vec<u8>>> {
    let list = string(list, "protocols")?;
    let protocols: Vec<Vec<u8>> = list
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.as_bytes().to_vec())
        .collect();
    if protocols.iter().any(|p| p.len() > 255) {
        return Err(invalid("an ALPN protocol name is longer than 255 bytes"));
    }
    Ok(protocols)
}

fn server_tls(
    server: *const ns_tcp_server,
    f: impl FnOnce(&mut ServerTlsConfig) -> Result<()>,
) -> ns_result {
    // All or nothing: a failed setter leaves the TLS options (and whether TLS is on) as they were.
    guard(|| {
        handle(server, "server")?.0.try_configure(|c| {
            let mut tls = c.tls.clone().unwrap_or_default();
            f(&mut tls)?;
            c.tls = Some(tls);
            Ok(())
        })
    })
}

fn client_tls(
    client: *const ns_tcp_client,
    f: impl FnOnce(&mut ClientTlsConfig) -> Result<()>,
) -> ns_result {
    // All or nothing: a failed setter leaves the TLS options (and whether TLS is on) as they were.
    guard(|| {
        handle(client, "client")?.0.try_configure(|c| {
            let mut tls = c.tls.clone().unwrap_or_default();
            f(&mut tls)?;
            c.tls = Some(tls);
            Ok(())
        })
    })
}

/// Creates a stopped TLS server (an `ns_tcp_server` with TLS on). Set its certificate before
/// `ns_tcp_server_start`, which otherwise fails with -606. Release with `ns_tcp_server_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_new() -> *mut ns_tcp_server {
    guard_value(std::ptr::null_mut(), || {
        super::process_setup();
        let config = ServerConfig {
            tls: Some(ServerTlsConfig::default()),
            ..ServerConfig::default()
        };
        Box::into_raw(Box::new(ns_tcp_server(TcpServer::new(config))))
    })
}

/// Certificate chain (leaf first) and private key (PKCS#8, PKCS#1 or SEC1), PEM files. They
/// are read at start: a missing or malformed file makes start fail with -606 naming it.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_set_certificate_files(
    server: *mut ns_tcp_server,
    cert_chain_path: *const c_char,
    key_path: *const c_char,
) -> ns_result {
    server_tls(server, |t| {
        t.cert_chain = Some(file(cert_chain_path, "cert_chain_path")?);
        t.private_key = Some(file(key_path, "key_path")?);
        Ok(())
    })
}

/// Like `ns_tls_server_set_certificate_files` with the PEM text itself (copied).
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_set_certificate_pem(
    server: *mut ns_tcp_server,
    cert_chain_pem: *const c_char,
    key_pem: *const c_char,
) -> ns_result {
    server_tls(server, |t| {
        t.cert_chain = Some(pem(cert_chain_pem, "cert_chain_pem")?);
        t.private_key = Some(pem(key_pem, "key_pem")?);
        Ok(())
    })
}

/// Mutual TLS: client certificates must chain to the CAs in this PEM file; with `require`
/// false, clients without a certificate are still accepted.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_set_client_ca_file(
    server: *mut ns_tcp_server,
    ca_path: *const c_char,
    require: bool,
) -> ns_result {
    server_tls(server, |t| {
        t.client_ca = Some(file(ca_path, "ca_path")?);
        t.require_client_cert = require;
        Ok(())
    })
}

/// Like `ns_tls_server_set_client_ca_file` with the PEM text itself.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_set_client_ca_pem(
    server: *mut ns_tcp_server,
    ca_pem: *const c_char,
    require: bool,
) -> ns_result {
    server_tls(server, |t| {
        t.client_ca = Some(pem(ca_pem, "ca_pem")?);
        t.require_client_cert = require;
        Ok(())
    })
}

/// ALPN protocols in preference order, comma-separated ("h2,http/1.1"); "" for none.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_set_alpn(
    server: *mut ns_tcp_server,
    protocols: *const c_char,
) -> ns_result {
    server_tls(server, |t| {
        t.alpn = alpn(protocols)?;
        Ok(())
    })
}

/// NS_TLS_VERSIONS_1_2_AND_1_3 (default), NS_TLS_VERSIONS_1_3_ONLY or NS_TLS_VERSIONS_1_2_ONLY.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_set_versions(
    server: *mut ns_tcp_server,
    tls_versions: i32,
) -> ns_result {
    server_tls(server, |t| {
        t.versions = versions(tls_versions)?;
        Ok(())
    })
}

/// Time allowed for a client's handshake (default 10000 ms; > 0); exceeded → error -602.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_set_handshake_timeout_ms(
    server: *mut ns_tcp_server,
    ms: u64,
) -> ns_result {
    server_tls(server, |t| {
        t.handshake_timeout = timeout(ms)?;
        Ok(())
    })
}

fn timeout(ms: u64) -> Result<Duration> {
    if ms == 0 {
        return Err(invalid("handshake timeout must be > 0"));
    }
    Ok(Duration::from_millis(ms))
}

/// Creates a stopped TLS client (an `ns_tcp_client` with TLS on) that trusts the system roots.
/// With `verify_cert` false any server certificate is accepted (a warning is logged at each
/// start). Release with `ns_tcp_client_free`. `ns_tcp_client_start_wait` returns after the
/// handshake, like the original's `start_client`.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_new(verify_cert: bool) -> *mut ns_tcp_client {
    guard_value(std::ptr::null_mut(), || {
        super::process_setup();
        let config = ClientConfig {
            tls: Some(ClientTlsConfig {
                verify: verify_cert,
                ..ClientTlsConfig::default()
            }),
            ..ClientConfig::default()
        };
        Box::into_raw(Box::new(ns_tcp_client(TcpClient::new(config))))
    })
}

/// Also trust the CA certificates in this PEM file.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_set_ca_file(
    client: *mut ns_tcp_client,
    ca_path: *const c_char,
) -> ns_result {
    client_tls(client, |t| {
        t.ca = Some(file(ca_path, "ca_path")?);
        Ok(())
    })
}

/// Also trust the CA certificates in this PEM text.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_set_ca_pem(
    client: *mut ns_tcp_client,
    ca_pem: *const c_char,
) -> ns_result {
    client_tls(client, |t| {
        t.ca = Some(pem(ca_pem, "ca_pem")?);
        Ok(())
    })
}

/// Trust the system roots (/etc/ssl/certs on Debian) (default true).
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_set_system_roots(
    client: *mut ns_tcp_client,
    enabled: bool,
) -> ns_result {
    client_tls(client, |t| {
        t.system_roots = enabled;
        Ok(())
    })
}

/// Name to verify and send as SNI instead of the host given to start; NULL restores that.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_set_server_name(
    client: *mut ns_tcp_client,
    name: *const c_char,
) -> ns_result {
    client_tls(client, |t| {
        t.server_name = if name.is_null() {
            None
        } else {
            Some(string(name, "name")?.to_string())
        };
        Ok(())
    })
}

/// Pins the server certificate: the SHA-256 of the whole DER leaf certificate as 64 hex digits
/// (':' allowed), as `openssl x509 -noout -fingerprint -sha256` prints it. Several pins may be
/// added; the leaf must match one, on top of the normal verification.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_add_pin_sha256(
    client: *mut ns_tcp_client,
    hex: *const c_char,
) -> ns_result {
    client_tls(client, |t| {
        t.pins.push(parse_pin(string(hex, "hex")?)?);
        Ok(())
    })
}

/// Client certificate chain and key for mutual TLS, PEM files (read at start).
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_set_certificate_files(
    client: *mut ns_tcp_client,
    cert_chain_path: *const c_char,
    key_path: *const c_char,
) -> ns_result {
    client_tls(client, |t| {
        t.client_cert = Some((
            file(cert_chain_path, "cert_chain_path")?,
            file(key_path, "key_path")?,
        ));
        Ok(())
    })
}

/// Like `ns_tls_client_set_certificate_files` with the PEM text itself.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_set_certificate_pem(
    client: *mut ns_tcp_client,
    cert_chain_pem: *const c_char,
    key_pem: *const c_char,
) -> ns_result {
    client_tls(client, |t| {
        t.client_cert = Some((
            pem(cert_chain_pem, "cert_chain_pem")?,
            pem(key_pem, "key_pem")?,
        ));
        Ok(())
    })
}

/// ALPN protocols offered, comma-separated; "" for none.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_set_alpn(
    client: *mut ns_tcp_client,
    protocols: *const c_char,
) -> ns_result {
    client_tls(client, |t| {
        t.alpn = alpn(protocols)?;
        Ok(())
    })
}

/// NS_TLS_VERSIONS_1_2_AND_1_3 (default), NS_TLS_VERSIONS_1_3_ONLY or NS_TLS_VERSIONS_1_2_ONLY.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_set_versions(
    client: *mut ns_tcp_client,
    tls_versions: i32,
) -> ns_result {
    client_tls(client, |t| {
        t.versions = versions(tls_versions)?;
        Ok(())
    })
}

/// Time allowed for the handshake (default 10000 ms; > 0); exceeded → -602.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_set_handshake_timeout_ms(
    client: *mut ns_tcp_client,
    ms: u64,
) -> ns_result {
    client_tls(client, |t| {
        t.handshake_timeout = timeout(ms)?;
        Ok(())
    })
}
