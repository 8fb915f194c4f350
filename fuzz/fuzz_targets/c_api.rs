//! The C ABI's argument handling: each input is a script of calls — create, configure, start,
//! send, stop and free TCP, UDP and WebSocket servers and clients, parse URLs, take metrics —
//! with NULL handles, NULL or dangling-free buffers of random lengths, random strings and
//! numbers, in the order the input says, on live handles whose callbacks echo, send and stop
//! their own object. Everything is freed at the end of the input, so a leak is a finding.
//!
//! The calls are `unsafe` (C functions); each keeps to the C contract the header documents:
//! pointers are NULL or valid for the length given, strings are NUL-terminated, a handle is not
//! used after its free.
#![no_main]

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr::{null, null_mut};

use libfuzzer_sys::fuzz_target;
use network_system::ffi::*;

/// Reads the script.
struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte().unwrap_or(0), self.byte().unwrap_or(0)])
    }
    /// A length: mostly small, sometimes huge (the library must refuse, not allocate).
    fn len(&mut self) -> usize {
        match self.byte().unwrap_or(0) {
            255 => usize::MAX,
            254 => 1 << 40,
            253 => 70_000,
            n => usize::from(n),
        }
    }
    /// Bytes for a buffer argument (fewer than asked at the end of the script).
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.0.len()).min(4096);
        let (b, rest) = self.0.split_at(n);
        self.0 = rest;
        b.to_vec()
    }
    /// A string argument: NULL, a fixed one, or bytes of the script (cut at a NUL).
    fn string(&mut self) -> Option<CString> {
        let fixed = [
            "",
            "127.0.0.1",
            "::1",
            "0.0.0.0",
            "/",
            "/ws",
            "h2,http/1.1",
            "http://127.0.0.1:1/x?a=b",
        ];
        match self.byte().unwrap_or(0) % 10 {
            0 => None,
            i @ 1..=8 => CString::new(fixed[usize::from(i) - 1]).ok(),
            _ => {
                let n = self.len().min(64);
                let mut b = self.bytes(n);
                b.retain(|&c| c != 0);
                CString::new(b).ok()
            }
        }
    }
}

fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(null(), |c| c.as_ptr())
}

/// A buffer argument: NULL with a length, or bytes.
fn buffer(script: &mut Script) -> (Option<Vec<u8>>, usize) {
    let len = script.len();
    if script.byte().unwrap_or(0) % 4 == 0 {
        // NULL with any length: the library must refuse unless the length is 0.
        (None, len)
    } else {
        let b = script.bytes(len);
        let n = b.len();
        (Some(b), n)
    }
}

fn data_ptr(b: &Option<Vec<u8>>) -> *const u8 {
    b.as_ref().map_or(null(), |v| v.as_ptr())
}

// Callbacks: echo what arrives, and stop the object from its own callback.

unsafe extern "C" fn tcp_echo(_: *mut c_void, s: *const ns_tcp_session, d: *const u8, n: usize) {
    // SAFETY: session and data are valid during the call (the header's contract).
    unsafe {
        ns_tcp_session_send(s, d, n);
    }
}

unsafe extern "C" fn tcp_client_stop_self(user: *mut c_void, _: *const ns_tcp_session) {
    // SAFETY: user is the client, alive while its callbacks can run (free waits for them).
    unsafe {
        ns_tcp_client_stop(user.cast());
    }
}

unsafe extern "C" fn ws_echo(
    _: *mut c_void,
    c: *const ns_ws_connection,
    d: *const u8,
    n: usize,
    _: bool,
) {
    // SAFETY: connection and data are valid during the call.
    unsafe {
        ns_ws_connection_send_binary(c, d, n);
    }
}

unsafe extern "C" fn udp_echo(user: *mut c_void, d: *const u8, n: usize, a: *const c_char, p: u16) {
    // SAFETY: user is the server (alive while its callbacks run); data and address are valid
    // during the call.
    unsafe {
        ns_udp_server_send_to(user.cast(), a, p, d, n);
    }
}

#[derive(Default)]
struct Handles {
    tcp_server: Option<*mut ns_tcp_server>,
    tcp_client: Option<*mut ns_tcp_client>,
    udp_server: Option<*mut ns_udp_server>,
    udp_client: Option<*mut ns_udp_client>,
    ws_server: Option<*mut ns_ws_server>,
    ws_client: Option<*mut ns_ws_client>,
    snapshot: Option<*mut ns_metrics_snapshot>,
    tls: Option<*mut ns_tls_client_config>,
}

/// A handle or NULL, as the script says (NULL must be refused with -1, not crash).
fn pick<T>(script: &mut Script, h: Option<*mut T>) -> *mut T {
    if script.byte().unwrap_or(1) % 8 == 0 {
        null_mut()
    } else {
        h.unwrap_or(null_mut())
    }
}

/// A port for a client: the matching server's when it runs, or any.
fn target_port(script: &mut Script, server: u16) -> u16 {
    if server != 0 && script.byte().unwrap_or(0) % 4 != 0 {
        server
    } else {
        script.u16()
    }
}

fn run(data: &[u8]) {
    let mut s = Script(data);
    let mut h = Handles::default();
    // SAFETY (whole block): every call passes NULL or a live handle of the right type from
    // `h`, buffers valid for their length, NUL-terminated strings; a freed handle is taken out
    // of `h` at once.
    unsafe {
        while let Some(op) = s.byte() {
            match op % 40 {
                0 if h.tcp_server.is_none() => h.tcp_server = Some(ns_tcp_server_new()),
                1 => {
                    let a = s.string();
                    ns_tcp_server_set_bind_address(pick(&mut s, h.tcp_server), ptr(&a));
                }
                2 => {
                    let cb = if s.byte().unwrap_or(0) % 2 == 0 {
                        Some(tcp_echo as _)
                    } else {
                        None
                    };
                    ns_tcp_server_set_receive_callback(
                        pick(&mut s, h.tcp_server),
                        cb,
                        null_mut(),
                        None,
                    );
                }
                3 => {
                    let n = s.len();
                    ns_tcp_server_set_max_message_size(pick(&mut s, h.tcp_server), n);
                }
                4 => {
                    let m = i32::from(s.byte().unwrap_or(0)) - 2;
                    ns_tcp_server_set_framing(pick(&mut s, h.tcp_server), m);
                }
                5 => {
                    // Port 0 only: a fixed port could be another test's.
                    ns_tcp_server_start(pick(&mut s, h.tcp_server), 0);
                }
                6 => {
                    ns_tcp_server_stop(pick(&mut s, h.tcp_server));
                }
                7 => {
                    let (b, n) = buffer(&mut s);
                    let id = u64::from(s.byte().unwrap_or(0));
                    ns_tcp_server_send(pick(&mut s, h.tcp_server), id, data_ptr(&b), n);
                }
                8 => {
                    let id = u64::from(s.byte().unwrap_or(0));
                    ns_tcp_server_close_session(pick(&mut s, h.tcp_server), id);
                }
                9 => {
                    let mut st = ns_stats {
                        struct_size: std::mem::size_of::<ns_stats>(),
                        ..Default::default()
                    };
                    let out = if s.byte().unwrap_or(0) % 2 == 0 {
                        null_mut()
                    } else {
                        &mut st as *mut ns_stats
                    };
                    ns_tcp_server_get_stats(pick(&mut s, h.tcp_server), out);
                }
                10 => {
                    if let Some(p) = h.tcp_server.take() {
                        ns_tcp_server_free(p);
                    }
                }
                11 if h.tcp_client.is_none() => {
                    let c = ns_tcp_client_new();
                    h.tcp_client = Some(c);
                }
                12 => {
                    let cb = if s.byte().unwrap_or(0) % 2 == 0 {
                        Some(tcp_echo as _)
                    } else {
                        None
                    };
                    ns_tcp_client_set_receive_callback(
                        pick(&mut s, h.tcp_client),
                        cb,
                        null_mut(),
                        None,
                    );
                }
                13 => {
                    if let Some(c) = h.tcp_client {
                        ns_tcp_client_set_connected_callback(
                            c,
                            Some(tcp_client_stop_self),
                            c.cast(),
                            None,
                        );
                    }
                }
                14 | 15 => {
                    let host = s.string();
                    let mut server_port = 0;
                    if let Some(srv) = h.tcp_server {
                        ns_tcp_server_port(srv, &mut server_port);
                    }
                    let port = target_port(&mut s, server_port);
                    let c = pick(&mut s, h.tcp_client);
                    if op % 40 == 14 {
                        ns_tcp_client_start(c, ptr(&host), port);
                    } else {
                        ns_tcp_client_start_wait(c, ptr(&host), port);
                    }
                }
                16 => {
                    let (b, n) = buffer(&mut s);
                    ns_tcp_client_send(pick(&mut s, h.tcp_client), data_ptr(&b), n);
                }
                17 => {
                    ns_tcp_client_stop(pick(&mut s, h.tcp_client));
                }
                18 => {
                    if let Some(p) = h.tcp_client.take() {
                        ns_tcp_client_free(p);
                    }
                }
                19 => {
                    let ms = u64::from(s.u16());
                    ns_tcp_client_set_connect_timeout_ms(pick(&mut s, h.tcp_client), ms);
                }
                20 if h.udp_server.is_none() => {
                    let p = ns_udp_server_new();
                    ns_udp_server_set_receive_callback(p, Some(udp_echo), p.cast(), None);
                    h.udp_server = Some(p);
                }
                21 => {
                    let a = s.string();
                    ns_udp_server_set_bind_address(pick(&mut s, h.udp_server), ptr(&a));
                }
                22 => {
                    ns_udp_server_start(pick(&mut s, h.udp_server), 0);
                }
                23 => {
                    ns_udp_server_stop(pick(&mut s, h.udp_server));
                }
                24 => {
                    if let Some(p) = h.udp_server.take() {
                        ns_udp_server_free(p);
                    }
                }
                25 if h.udp_client.is_none() => h.udp_client = Some(ns_udp_client_new()),
                26 => {
                    let host = s.string();
                    let mut server_port = 0;
                    if let Some(srv) = h.udp_server {
                        ns_udp_server_port(srv, &mut server_port);
                    }
                    let port = target_port(&mut s, server_port);
                    ns_udp_client_start(pick(&mut s, h.udp_client), ptr(&host), port);
                }
                27 => {
                    let (b, n) = buffer(&mut s);
                    ns_udp_client_send(pick(&mut s, h.udp_client), data_ptr(&b), n);
                }
                28 => {
                    if let Some(p) = h.udp_client.take() {
                        ns_udp_client_free(p);
                    }
                }
                29 if h.ws_server.is_none() => {
                    let p = ns_ws_server_new();
                    ns_ws_server_set_message_callback(p, Some(ws_echo), null_mut(), None);
                    h.ws_server = Some(p);
                }
                30 => {
                    let path = s.string();
                    ns_ws_server_set_path(pick(&mut s, h.ws_server), ptr(&path));
                }
                31 => {
                    let w = pick(&mut s, h.ws_server);
                    ns_ws_server_set_bind_address(w, c"127.0.0.1".as_ptr());
                    ns_ws_server_start(w, 0);
                }
                32 => {
                    if let Some(p) = h.ws_server.take() {
                        ns_ws_server_free(p);
                    }
                }
                33 if h.ws_client.is_none() => h.ws_client = Some(ns_ws_client_new()),
                34 => {
                    let host = s.string();
                    let mut server_port = 0;
                    if let Some(srv) = h.ws_server {
                        ns_ws_server_port(srv, &mut server_port);
                    }
                    let port = target_port(&mut s, server_port);
                    ns_ws_client_set_connect_timeout_ms(pick(&mut s, h.ws_client), 2000);
                    ns_ws_client_start_wait(pick(&mut s, h.ws_client), ptr(&host), port);
                }
                35 => {
                    let (b, n) = buffer(&mut s);
                    let c = pick(&mut s, h.ws_client);
                    if s.byte().unwrap_or(0) % 2 == 0 {
                        ns_ws_client_send_text(c, data_ptr(&b), n);
                    } else {
                        ns_ws_client_send_binary(c, data_ptr(&b), n);
                    }
                }
                36 => {
                    if let Some(p) = h.ws_client.take() {
                        ns_ws_client_free(p);
                    }
                }
                37 => {
                    let url = s.string();
                    let mut out = null_mut();
                    let o = if s.byte().unwrap_or(1) % 8 == 0 {
                        null_mut()
                    } else {
                        &mut out as *mut _
                    };
                    if ns_http_url_parse(ptr(&url), o) == 0 {
                        let host = ns_http_url_host(out);
                        assert!(!host.data.is_null() || host.len == 0);
                        ns_http_url_free(out);
                    }
                }
                38 => match h.snapshot.take() {
                    Some(p) => {
                        let mut text = null();
                        let mut len = 0;
                        ns_metrics_snapshot_prometheus(p, &mut text, &mut len);
                        ns_metrics_snapshot_free(p);
                    }
                    None => {
                        let mut p = null_mut();
                        if ns_metrics_snapshot_new(&mut p) == 0 {
                            h.snapshot = Some(p);
                        }
                    }
                },
                39 => {
                    let t = *h.tls.get_or_insert_with(|| ns_tls_client_config_new(true));
                    let a = s.string();
                    ns_tls_client_config_set_alpn(pick(&mut s, Some(t)), ptr(&a));
                    let pem = s.string();
                    ns_tls_client_config_set_ca_pem(pick(&mut s, Some(t)), ptr(&pem));
                    if let Some(c) = h.tcp_client {
                        ns_tcp_client_set_tls(c, t);
                    }
                    let name = ns_error_name(-i32::from(s.byte().unwrap_or(0)) * 3);
                    assert!(!name.is_null());
                    let message = ns_last_error_message();
                    if !message.is_null() {
                        let _ = CStr::from_ptr(message).to_bytes().len();
                    }
                }
                _ => {}
            }
        }
        // Everything goes, in an order that frees clients while servers still run.
        if let Some(p) = h.tcp_client {
            ns_tcp_client_free(p);
        }
        if let Some(p) = h.ws_client {
            ns_ws_client_free(p);
        }
        if let Some(p) = h.udp_client {
            ns_udp_client_free(p);
        }
        if let Some(p) = h.tcp_server {
            ns_tcp_server_free(p);
        }
        if let Some(p) = h.ws_server {
            ns_ws_server_free(p);
        }
        if let Some(p) = h.udp_server {
            ns_udp_server_free(p);
        }
        if let Some(p) = h.snapshot {
            ns_metrics_snapshot_free(p);
        }
        if let Some(p) = h.tls {
            ns_tls_client_config_free(p);
        }
    }
}

fuzz_target!(|data: &[u8]| run(data));
