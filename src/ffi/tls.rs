//! C ABI of TLS: configuration objects shared by every protocol. Build an
//! `ns_tls_server_config` / `ns_tls_client_config` with the setters below, then hand it to
//! `ns_tcp_{server,client}_set_tls` or `ns_ws_{server,client}_set_tls`, which copy it. Every
//! other function of the object (start, stop, callbacks, limits, stats, send) is the same as
//! without TLS. Setters: -1 for NULL or malformed arguments, and the configuration stays as it
//! was; a configuration may be used from any thread.

use std::ffi::c_char;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use super::tcp::{ns_tcp_client, ns_tcp_server};
use super::{guard, guard_value, handle, invalid, ns_result, string};
use crate::conn::lock;
use crate::error::Result;
use crate::tls::{parse_pin, ClientTlsConfig, PemSource, ServerTlsConfig, TlsVersions};

/// TLS settings of a server (certificate, client CA, ALPN, versions, handshake timeout).
pub struct ns_tls_server_config(Mutex<ServerTlsConfig>);

/// TLS settings of a client (trust roots, verification, SNI name, pins, client certificate,
/// ALPN, versions, handshake timeout).
pub struct ns_tls_client_config(Mutex<ClientTlsConfig>);

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
    config: *const ns_tls_server_config,
    f: impl FnOnce(&mut ServerTlsConfig) -> Result<()>,
) -> ns_result {
    guard(|| edit(&handle(config, "config")?.0, f))
}

fn client_tls(
    config: *const ns_tls_client_config,
    f: impl FnOnce(&mut ClientTlsConfig) -> Result<()>,
) -> ns_result {
    guard(|| edit(&handle(config, "config")?.0, f))
}

/// All or nothing: a failed setter leaves the configuration as it was.
fn edit<T: Clone>(slot: &Mutex<T>, f: impl FnOnce(&mut T) -> Result<()>) -> Result<()> {
    let mut current = lock(slot);
    let mut edited = current.clone();
    f(&mut edited)?;
    *current = edited;
    Ok(())
}

/// Creates a TLS server configuration: no certificate yet, TLS 1.2 and 1.3, 10 s handshake.
/// Fill it with the `ns_tls_server_config_set_*` setters and hand it to
/// `ns_tcp_server_set_tls` or `ns_ws_server_set_tls`, which copy it: it may then be changed
/// for another object or freed. Release with `ns_tls_server_config_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_config_new() -> *mut ns_tls_server_config {
    guard_value(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(ns_tls_server_config(Mutex::default())))
    })
}

/// Releases a configuration from `ns_tls_server_config_new` (NULL is a no-op). Objects it
/// was handed to keep their copy.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_config_free(config: *mut ns_tls_server_config) {
    // SAFETY: the pointer came from ns_tls_server_config_new and is freed once.
    unsafe { crate::ffi::free_boxed(config, |_| ()) }
}

/// Turns TLS on for a TCP server with a copy of `config`, or off with NULL. Before start
/// (else -661). The certificate is read at start: none or an unusable one → start fails
/// with -606 naming it.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_server_set_tls(
    server: *mut ns_tcp_server,
    config: *const ns_tls_server_config,
) -> ns_result {
    guard(|| {
        let tls = server_copy(config)?;
        handle(server, "server")?.0.configure(|c| c.tls = tls)
    })
}

/// The configuration behind `config`, or None for NULL.
pub(crate) fn server_copy(config: *const ns_tls_server_config) -> Result<Option<ServerTlsConfig>> {
    if config.is_null() {
        return Ok(None);
    }
    Ok(Some(lock(&handle(config, "config")?.0).clone()))
}

/// The configuration behind `config`, or None for NULL.
pub(crate) fn client_copy(config: *const ns_tls_client_config) -> Result<Option<ClientTlsConfig>> {
    if config.is_null() {
        return Ok(None);
    }
    Ok(Some(lock(&handle(config, "config")?.0).clone()))
}

/// Certificate chain (leaf first) and private key (PKCS#8, PKCS#1 or SEC1), PEM files. They
/// are read at start: a missing or malformed file makes start fail with -606 naming it.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_config_set_certificate_files(
    config: *mut ns_tls_server_config,
    cert_chain_path: *const c_char,
    key_path: *const c_char,
) -> ns_result {
    server_tls(config, |t| {
        t.cert_chain = Some(file(cert_chain_path, "cert_chain_path")?);
        t.private_key = Some(file(key_path, "key_path")?);
        Ok(())
    })
}

/// Like `ns_tls_server_config_set_certificate_files` with the PEM text itself (copied).
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_config_set_certificate_pem(
    config: *mut ns_tls_server_config,
    cert_chain_pem: *const c_char,
    key_pem: *const c_char,
) -> ns_result {
    server_tls(config, |t| {
        t.cert_chain = Some(pem(cert_chain_pem, "cert_chain_pem")?);
        t.private_key = Some(pem(key_pem, "key_pem")?);
        Ok(())
    })
}

/// Mutual TLS: client certificates must chain to the CAs in this PEM file; with `require`
/// false, clients without a certificate are still accepted.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_config_set_client_ca_file(
    config: *mut ns_tls_server_config,
    ca_path: *const c_char,
    require: bool,
) -> ns_result {
    server_tls(config, |t| {
        t.client_ca = Some(file(ca_path, "ca_path")?);
        t.require_client_cert = require;
        Ok(())
    })
}

/// Like `ns_tls_server_config_set_client_ca_file` with the PEM text itself.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_config_set_client_ca_pem(
    config: *mut ns_tls_server_config,
    ca_pem: *const c_char,
    require: bool,
) -> ns_result {
    server_tls(config, |t| {
        t.client_ca = Some(pem(ca_pem, "ca_pem")?);
        t.require_client_cert = require;
        Ok(())
    })
}

/// ALPN protocols in preference order, comma-separated ("h2,http/1.1"); "" for none.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_config_set_alpn(
    config: *mut ns_tls_server_config,
    protocols: *const c_char,
) -> ns_result {
    server_tls(config, |t| {
        t.alpn = alpn(protocols)?;
        Ok(())
    })
}

/// NS_TLS_VERSIONS_1_2_AND_1_3 (default), NS_TLS_VERSIONS_1_3_ONLY or NS_TLS_VERSIONS_1_2_ONLY.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_config_set_versions(
    config: *mut ns_tls_server_config,
    tls_versions: i32,
) -> ns_result {
    server_tls(config, |t| {
        t.versions = versions(tls_versions)?;
        Ok(())
    })
}

/// Time allowed for a client's handshake (default 10000 ms; > 0); exceeded → error -602.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_server_config_set_handshake_timeout_ms(
    config: *mut ns_tls_server_config,
    ms: u64,
) -> ns_result {
    server_tls(config, |t| {
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

/// Creates a TLS client configuration that trusts the system roots. With `verify_cert` false
/// any server certificate is accepted (a warning is logged at each start). Hand it to
/// `ns_tcp_client_set_tls` or `ns_ws_client_set_tls` (copied); release with
/// `ns_tls_client_config_free`.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_config_new(verify_cert: bool) -> *mut ns_tls_client_config {
    guard_value(std::ptr::null_mut(), || {
        let config = ClientTlsConfig {
            verify: verify_cert,
            ..ClientTlsConfig::default()
        };
        Box::into_raw(Box::new(ns_tls_client_config(Mutex::new(config))))
    })
}

/// Releases a configuration from `ns_tls_client_config_new` (NULL is a no-op).
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_config_free(config: *mut ns_tls_client_config) {
    // SAFETY: the pointer came from ns_tls_client_config_new and is freed once.
    unsafe { crate::ffi::free_boxed(config, |_| ()) }
}

/// Turns TLS on for a TCP client with a copy of `config`, or off with NULL. Before start
/// (else -664). `ns_tcp_client_start_wait` then returns after the handshake, like the
/// original's `start_client`.
#[no_mangle]
pub unsafe extern "C" fn ns_tcp_client_set_tls(
    client: *mut ns_tcp_client,
    config: *const ns_tls_client_config,
) -> ns_result {
    guard(|| {
        let tls = client_copy(config)?;
        handle(client, "client")?.0.configure(|c| c.tls = tls)
    })
}

/// Also trust the CA certificates in this PEM file.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_config_set_ca_file(
    config: *mut ns_tls_client_config,
    ca_path: *const c_char,
) -> ns_result {
    client_tls(config, |t| {
        t.ca = Some(file(ca_path, "ca_path")?);
        Ok(())
    })
}

/// Also trust the CA certificates in this PEM text.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_config_set_ca_pem(
    config: *mut ns_tls_client_config,
    ca_pem: *const c_char,
) -> ns_result {
    client_tls(config, |t| {
        t.ca = Some(pem(ca_pem, "ca_pem")?);
        Ok(())
    })
}

/// Trust the system roots (/etc/ssl/certs on Debian) (default true).
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_config_set_system_roots(
    config: *mut ns_tls_client_config,
    enabled: bool,
) -> ns_result {
    client_tls(config, |t| {
        t.system_roots = enabled;
        Ok(())
    })
}

/// Name to verify and send as SNI instead of the host given to start; NULL restores that.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_config_set_server_name(
    config: *mut ns_tls_client_config,
    name: *const c_char,
) -> ns_result {
    client_tls(config, |t| {
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
pub unsafe extern "C" fn ns_tls_client_config_add_pin_sha256(
    config: *mut ns_tls_client_config,
    hex: *const c_char,
) -> ns_result {
    client_tls(config, |t| {
        t.pins.push(parse_pin(string(hex, "hex")?)?);
        Ok(())
    })
}

/// Client certificate chain and key for mutual TLS, PEM files (read at start).
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_config_set_certificate_files(
    config: *mut ns_tls_client_config,
    cert_chain_path: *const c_char,
    key_path: *const c_char,
) -> ns_result {
    client_tls(config, |t| {
        t.client_cert = Some((
            file(cert_chain_path, "cert_chain_path")?,
            file(key_path, "key_path")?,
        ));
        Ok(())
    })
}

/// Like `ns_tls_client_config_set_certificate_files` with the PEM text itself.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_config_set_certificate_pem(
    config: *mut ns_tls_client_config,
    cert_chain_pem: *const c_char,
    key_pem: *const c_char,
) -> ns_result {
    client_tls(config, |t| {
        t.client_cert = Some((
            pem(cert_chain_pem, "cert_chain_pem")?,
            pem(key_pem, "key_pem")?,
        ));
        Ok(())
    })
}

/// ALPN protocols offered, comma-separated; "" for none.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_config_set_alpn(
    config: *mut ns_tls_client_config,
    protocols: *const c_char,
) -> ns_result {
    client_tls(config, |t| {
        t.alpn = alpn(protocols)?;
        Ok(())
    })
}

/// NS_TLS_VERSIONS_1_2_AND_1_3 (default), NS_TLS_VERSIONS_1_3_ONLY or NS_TLS_VERSIONS_1_2_ONLY.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_config_set_versions(
    config: *mut ns_tls_client_config,
    tls_versions: i32,
) -> ns_result {
    client_tls(config, |t| {
        t.versions = versions(tls_versions)?;
        Ok(())
    })
}

/// Time allowed for the handshake (default 10000 ms; > 0); exceeded → -602.
#[no_mangle]
pub unsafe extern "C" fn ns_tls_client_config_set_handshake_timeout_ms(
    config: *mut ns_tls_client_config,
    ms: u64,
) -> ns_result {
    client_tls(config, |t| {
        t.handshake_timeout = timeout(ms)?;
        Ok(())
    })
}
