//! Waiting for a readiness fd through Ruby's own IO wait.
//!
//! `IO#wait_readable` (`rb_io_wait`) releases the GVL, wakes for Ctrl-C, `Thread#raise`,
//! `Thread#kill` and `Timeout.timeout` (the pending exception comes back as an `Err`,
//! which unwinds our frames normally), and goes through a Fiber scheduler's `io_wait`,
//! so other fibers keep running. Nothing here blocks with the GVL held.

use magnus::{kwargs, prelude::*, Error, Ruby, Value};
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
