//! `ns_timer_*`: a repeating timer on the library's runtime.

use std::ffi::c_void;
use std::time::Duration;

use super::{free_boxed, guard, invalid, ns_free_fn, ns_result, UserData};
use crate::timer::Timer;

/// A repeating timer. Create with `ns_timer_new`, release with `ns_timer_free`.
pub struct ns_timer {
    /// Kept for its Drop, which stops the timer.
    _timer: Timer,
}

/// Called at each tick with the user data.
pub type ns_timer_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// Calls `cb(user_data)` every `interval_ms` (the first call after one interval) on a runtime
/// thread, calls never overlapping, until `ns_timer_free`; the timer goes into `*out`.
/// `free_user_data` (may be NULL) runs once no call runs any more. -1 for a NULL `cb` or `out`
/// or a zero interval (then `free_user_data` is not called).
#[no_mangle]
pub unsafe extern "C" fn ns_timer_new(
    interval_ms: u64,
    cb: ns_timer_fn,
    user_data: *mut c_void,
    free_user_data: ns_free_fn,
    out: *mut *mut ns_timer,
) -> ns_result {
    guard(|| {
        let (Some(cb), false) = (cb, out.is_null()) else {
            return Err(invalid("cb and out must not be NULL"));
        };
        if interval_ms == 0 {
            return Err(invalid("interval_ms must be positive"));
        }
        super::process_setup();
        let ud = UserData::new(user_data, free_user_data);
        // SAFETY: `cb` is the user's function for this user data, called as documented.
        let timer = Timer::start(Duration::from_millis(interval_ms), move || unsafe {
            cb(ud.ptr())
        })?;
        // SAFETY: `out` is non-NULL and points to a writable pointer (documented).
        unsafe { *out = Box::into_raw(Box::new(ns_timer { _timer: timer })) };
        Ok(())
    })
}

/// Stops the timer and releases it: it returns when no call runs or will run again (inside
/// the timer's own callback it only prevents further calls). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ns_timer_free(timer: *mut ns_timer) {
    // SAFETY: the pointer came from ns_timer_new and is freed once, as documented.
    unsafe { free_boxed(timer, |_| ()) }
}
