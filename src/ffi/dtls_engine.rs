//! OpenSSL DTLS calls that the `openssl` crate does not wrap: the stateless cookie exchange
//! (`DTLSv1_listen`) and the handshake retransmission timer (`DTLSv1_get_timeout`,
//! `DTLSv1_handle_timeout`, macros over `SSL_ctrl`). They live here because `unsafe` code
//! stays in `src/ffi/`.

use std::os::raw::{c_int, c_long, c_void};
use std::time::Duration;

use foreign_types_shared::ForeignTypeRef;
use openssl::ssl::SslRef;

const DTLS_CTRL_GET_TIMEOUT: c_int = 73;
const DTLS_CTRL_HANDLE_TIMEOUT: c_int = 74;

extern "C" {
    fn DTLSv1_listen(s: *mut openssl_sys::SSL, client: *mut c_void) -> c_int;
    fn BIO_ADDR_new() -> *mut c_void;
    fn BIO_ADDR_free(a: *mut c_void);
    fn DTLS_get_data_mtu(s: *const openssl_sys::SSL) -> usize;
}

/// Largest application payload one record can carry within the MTU set on `ssl`.
pub(crate) fn data_mtu(ssl: &SslRef) -> usize {
    // SAFETY: `ssl` is a live SSL object; the call only reads it.
    unsafe { DTLS_get_data_mtu(ssl.as_ptr()) }
}

/// Runs the server side of the cookie exchange on the datagram waiting in `ssl`'s read BIO.
/// `Ok(true)`: a ClientHello with a valid cookie — `ssl` continues the handshake with
/// `accept`. `Ok(false)`: a HelloVerifyRequest was written (or the datagram was not a
/// ClientHello); drop `ssl`, no state is kept. `Err`: a fatal error on this datagram.
pub(crate) fn listen(ssl: &SslRef) -> Result<bool, openssl::error::ErrorStack> {
    // SAFETY: BIO_ADDR_new has no preconditions; NULL is checked.
    let addr = unsafe { BIO_ADDR_new() };
    if addr.is_null() {
        return Err(openssl::error::ErrorStack::get());
    }
    // SAFETY: `ssl` is a live SSL object with its BIOs set (the SslStream owns them); OpenSSL
    // 3.0 writes the peer into `addr`, which must not be NULL (it crashes otherwise).
    let r = unsafe { DTLSv1_listen(ssl.as_ptr(), addr) };
    // SAFETY: `addr` came from BIO_ADDR_new and is freed once.
    unsafe { BIO_ADDR_free(addr) };
    match r {
        1 => Ok(true),
        0 => Ok(false),
        _ => Err(openssl::error::ErrorStack::get()),
    }
}

/// Time left until the handshake retransmission timer fires (None: no timer running).
pub(crate) fn timeout(ssl: &SslRef) -> Option<Duration> {
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // SAFETY: DTLS_CTRL_GET_TIMEOUT writes one `struct timeval` into the pointer given.
    let running = unsafe {
        openssl_sys::SSL_ctrl(
            ssl.as_ptr(),
            DTLS_CTRL_GET_TIMEOUT,
            0,
            (&mut tv as *mut libc::timeval).cast(),
        )
    };
    if running != 1 {
        return None;
    }
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec).unwrap_or(0);
    Some(Duration::from_secs(secs) + Duration::from_micros(u64::from(micros)))
}

/// Retransmits the last flight if the timer expired; writes go to `ssl`'s write BIO.
/// Returns false when the handshake has failed (too many retransmissions).
pub(crate) fn handle_timeout(ssl: &SslRef) -> bool {
    // SAFETY: DTLS_CTRL_HANDLE_TIMEOUT takes no argument.
    let r: c_long = unsafe {
        openssl_sys::SSL_ctrl(
            ssl.as_ptr(),
            DTLS_CTRL_HANDLE_TIMEOUT,
            0,
            std::ptr::null_mut(),
        )
    };
    r >= 0
}
