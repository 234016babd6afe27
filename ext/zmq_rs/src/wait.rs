//! Waiting for a readiness fd through Ruby's own IO wait.
//!
//! `IO#wait_readable` (`rb_io_wait`) releases the GVL, wakes for Ctrl-C, `Thread#raise`,
//! `Thread#kill` and `Timeout.timeout` (the pending exception comes back as an `Err`,
//! which unwinds our frames normally), and goes through a Fiber scheduler's `io_wait`,
//! so other fibers keep running. Nothing here blocks with the GVL held.

use magnus::{kwargs, prelude::*, Error, Ruby, Value};
use std::ffi::c_void;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// `IO.for_fd(fd, autoclose: false)`: a Ruby IO for an fd the engine owns.
pub fn io_for_fd(ruby: &Ruby, fd: RawFd) -> Result<Value, Error> {
    ruby.class_io()
        .funcall("for_fd", (fd, kwargs!(ruby, "autoclose" => false)))
}

/// A deadline `ms` milliseconds from now; `None` (for ever) for a negative `ms`.
pub fn deadline_after(ms: i64) -> Option<Instant> {
    (ms >= 0).then(|| Instant::now() + Duration::from_millis(ms as u64))
}

/// Waits until `io` is readable or `deadline` passes. `Ok(false)` means the time ran out;
/// `Err` carries a Ruby exception raised while waiting (Interrupt, Timeout::Error...).
pub fn readable(ruby: &Ruby, io: Value, deadline: Option<Instant>) -> Result<bool, Error> {
    let timeout = match deadline {
        None => ruby.qnil().as_value(),
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            ruby.float_from_f64(left.as_secs_f64()).as_value()
        }
    };
    let ready: Value = io.funcall("wait_readable", (timeout,))?;
    Ok(ready.to_bool())
}

/// Whether the current fiber runs under a Fiber scheduler, which must get control
/// whenever this fiber would wait.
pub fn under_fiber_scheduler() -> bool {
    // SAFETY: a plain query of the current thread's scheduler; called with the GVL held.
    let scheduler = unsafe { rb_sys::rb_fiber_scheduler_current() };
    !rb_sys::NIL_P(scheduler)
}

/// Runs `f` with the GVL released, so other Ruby threads run meanwhile. `f` must be
/// short and must not touch Ruby. `None` if Ruby had an interrupt pending, in which
/// case `f` did not run: the caller's next Ruby wait delivers the interrupt.
pub fn without_gvl<F: FnOnce() -> R, R>(f: F) -> Option<R> {
    struct Call<F, R> {
        f: Option<F>,
        result: Option<R>,
    }
    unsafe extern "C" fn trampoline<F: FnOnce() -> R, R>(data: *mut c_void) -> *mut c_void {
        // SAFETY: `data` is the `Call` below, alive and not otherwise borrowed until
        // `rb_thread_call_without_gvl2` returns; Ruby calls this at most once.
        let call = unsafe { &mut *data.cast::<Call<F, R>>() };
        if let Some(f) = call.f.take() {
            // A panic must not unwind into Ruby's C frames.
            call.result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok();
        }
        std::ptr::null_mut()
    }
    let mut call = Call {
        f: Some(f),
        result: None,
    };
    // SAFETY: the trampoline matches the data it is given and touches no Ruby state.
    // The `2` variant neither runs interrupt handlers nor raises after `f` returns, so
    // no Ruby exception can unwind through these Rust frames. No unblocking function is
    // needed: `f` is short by contract.
    unsafe {
        rb_sys::rb_thread_call_without_gvl2(
            Some(trampoline::<F, R>),
            (&mut call as *mut Call<F, R>).cast(),
            None,
            std::ptr::null_mut(),
        );
    }
    call.result
}
