//! `ZMQ::Error` and the mapping of engine errors and bad arguments onto Ruby exceptions
//! (rbczmq-api.md section 1.4).

use magnus::{
    prelude::*, rb_sys::AsRawValue, value::Lazy, Error, ExceptionClass, Integer, RModule, RString,
    Ruby, Value,
};
use std::cell::Cell;
use zmq_engine::error::EMTHREAD;

/// `ZMQ::Error < StandardError`, defined in `init`.
static ZMQ_ERROR: Lazy<ExceptionClass> = Lazy::new(|ruby| {
    let zmq: RModule = ruby
        .class_object()
        .const_get("ZMQ")
        .expect("ZMQ is defined before ZMQ::Error is used");
    zmq.const_get("Error")
        .expect("ZMQ::Error is defined in init")
});

const EMTHREAD_MESSAGE: &str = "There are no I/O thread available to complete this operation. \
     Please initialize the ZMQ context with at least one I/O thread eg. ZMQ::Context.new(1)";

thread_local! {
    /// The last zmq errno on this native thread, with the Ruby Thread it belongs to
    /// (Ruby reuses native threads for new Ruby Threads, so the owner is checked).
    static LAST_ERRNO: Cell<(usize, i32)> = const { Cell::new((0, 0)) };
}

/// An identity for the calling Ruby Thread.
fn ruby_thread_id() -> usize {
    match Ruby::get() {
        Ok(ruby) => ruby.thread_current().as_raw() as usize,
        Err(_) => 0,
    }
}

pub fn define(ruby: &Ruby, zmq: RModule) -> Result<(), Error> {
    zmq.define_error("Error", ruby.exception_standard_error())?;
    Ok(())
}

pub fn set_errno(errno: i32) {
    LAST_ERRNO.with(|e| {
        // Clearing an errno that is already 0 changes nothing any thread can see, and
        // it is what every successful call does: skip asking Ruby for the thread.
        if errno != 0 || e.get().1 != 0 {
            e.set((ruby_thread_id(), errno));
        }
    });
}

/// The calling Ruby Thread's last zmq errno (`ZMQ.errno`), 0 when none.
pub fn last_errno() -> i32 {
    let (owner, errno) = LAST_ERRNO.with(Cell::get);
    if owner == ruby_thread_id() {
        errno
    } else {
        0
    }
}

pub fn zmq_error_class(ruby: &Ruby) -> ExceptionClass {
    ruby.get_inner(&ZMQ_ERROR)
}

/// A `ZMQ::Error` with `msg`.
pub fn zmq_error(ruby: &Ruby, msg: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(zmq_error_class(ruby), msg)
}

/// `SystemCallError.new("<zmq strerror>", errno)`: Ruby picks the `Errno::` subclass and
/// prefixes the C strerror, giving "<strerror> - <zmq strerror>".
pub fn syscall_error(ruby: &Ruby, errno: i32) -> Error {
    let text = zmq_engine::error::strerror(errno);
    match ruby
        .exception_system_call_error()
        .new_instance((text.as_str(), errno))
    {
        Ok(exc) => Error::from(exc),
        Err(e) => e,
    }
}

/// The shared failure rule: EMTHREAD is a `ZMQ::Error`, EAGAIN (or no errno) is
/// `Ok(None)` (the caller returns `false`), anything else raises `SystemCallError`.
pub fn rule<T>(ruby: &Ruby, r: zmq_engine::Result<T>) -> Result<Option<T>, Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            set_errno(e.errno());
            match e.errno() {
                EMTHREAD => Err(zmq_error(ruby, EMTHREAD_MESSAGE)),
                0 | libc::EAGAIN => Ok(None),
                n => Err(syscall_error(ruby, n)),
            }
        }
    }
}

/// Ruby's name for a value's class in type errors: `nil`, `true`, `false`, or the class.
pub fn class_name(v: Value) -> String {
    if v.is_nil() {
        "nil".into()
    } else if v.is_kind_of(magnus::Ruby::get_with(v).class_true_class()) {
        "true".into()
    } else if v.is_kind_of(magnus::Ruby::get_with(v).class_false_class()) {
        "false".into()
    } else {
        v.class().to_string()
    }
}

/// `Check_Type`'s TypeError: "wrong argument type X (expected Y)".
pub fn check_type_error(ruby: &Ruby, v: Value, expected: &str) -> Error {
    Error::new(
        ruby.exception_type_error(),
        format!(
            "wrong argument type {} (expected {expected})",
            class_name(v)
        ),
    )
}

/// A String argument, no implicit conversion (`Check_Type(v, T_STRING)`).
pub fn check_string(ruby: &Ruby, v: Value) -> Result<RString, Error> {
    RString::from_value(v).ok_or_else(|| check_type_error(ruby, v, "String"))
}

/// An Integer argument, no Float (`Check_Type(v, T_FIXNUM)` / NUM2INT on an Integer).
pub fn check_int(ruby: &Ruby, v: Value) -> Result<i64, Error> {
    match Integer::from_value(v) {
        Some(i) => i.to_i64(),
        None => Err(check_type_error(ruby, v, "Integer")),
    }
}

/// The bytes of a String used as a C string: a NUL inside raises ArgumentError.
pub fn cstr_bytes(ruby: &Ruby, s: RString) -> Result<bytes::Bytes, Error> {
    let b = s.to_bytes();
    if b.contains(&0) {
        return Err(Error::new(
            ruby.exception_arg_error(),
            "string contains null byte",
        ));
    }
    Ok(b)
}
