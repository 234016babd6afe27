//! The `ZMQ` module functions that live in C in rbczmq (rbczmq-api.md section 1.2).
//! Each is a module function: `ZMQ.x`, and a private instance method where `ZMQ` is
//! included.

use crate::errors::{last_errno, zmq_error_class};
use magnus::{function, prelude::*, Error, RArray, RModule, Ruby, Value};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::{SystemTime, UNIX_EPOCH};

/// czmq's global "interrupted" flag: set by `ZMQ.interrupted!`, never reset.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether `ZMQ.interrupted!` was called (the Loop reads this too).
pub fn interrupted() -> bool {
    INTERRUPTED.load(SeqCst)
}

fn set_interrupted() {
    INTERRUPTED.store(true, SeqCst);
}

/// The libzmq version we speak for: ZMTP 3.0, as the bundled libzmq 4.0.7 did.
fn version(ruby: &Ruby) -> RArray {
    ruby.ary_from_iter([4, 0, 7])
}

fn czmq_version(ruby: &Ruby) -> RArray {
    ruby.ary_from_iter([2, 0, 1])
}

/// Wall-clock milliseconds since the epoch, as a true 64-bit value.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn errno() -> i32 {
    last_errno()
}

/// A new, unraised ZMQ::Error for this thread's last zmq error, or nil.
fn error(ruby: &Ruby) -> Result<Option<Value>, Error> {
    match last_errno() {
        0 => Ok(None),
        n => {
            let e = zmq_error_class(ruby).new_instance((zmq_engine::error::strerror(n),))?;
            Ok(Some(e.as_value()))
        }
    }
}

pub fn init(_ruby: &Ruby, zmq: RModule) -> Result<(), Error> {
    zmq.define_module_function("interrupted?", function!(interrupted, 0))?;
    zmq.define_module_function("interrupted!", function!(set_interrupted, 0))?;
    zmq.define_module_function("version", function!(version, 0))?;
    zmq.define_module_function("czmq_version", function!(czmq_version, 0))?;
    zmq.define_module_function("now", function!(now, 0))?;
    zmq.define_module_function("errno", function!(errno, 0))?;
    zmq.define_module_function("error", function!(error, 0))?;
    Ok(())
}
