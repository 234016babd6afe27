//! Errors in errno style, so that bindings can map them onto the errno values libzmq
//! reports (the Ruby side raises `SystemCallError` for most of them).

use std::fmt;
use std::io;

/// libzmq's base for its own errno values (`ZMQ_HAUSNUMERO`).
pub const HAUSNUMERO: i32 = 156_384_712;
/// Operation cannot be accomplished in the current state (REQ/REP misuse).
pub const EFSM: i32 = HAUSNUMERO + 51;
/// The protocol is not compatible with the socket type.
pub const ENOCOMPATPROTO: i32 = HAUSNUMERO + 52;
/// The context was terminated.
pub const ETERM: i32 = HAUSNUMERO + 53;
/// No I/O thread is available.
pub const EMTHREAD: i32 = HAUSNUMERO + 54;

/// An engine error: an errno value plus an optional detail for humans.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    errno: i32,
    detail: Option<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(errno: i32) -> Self {
        Error {
            errno,
            detail: None,
        }
    }

    pub fn with_detail(errno: i32, detail: impl Into<String>) -> Self {
        Error {
            errno,
            detail: Some(detail.into()),
        }
    }

    pub fn again() -> Self {
        Error::new(libc::EAGAIN)
    }
    pub fn inval(detail: impl Into<String>) -> Self {
        Error::with_detail(libc::EINVAL, detail)
    }
    pub fn fsm() -> Self {
        Error::new(EFSM)
    }
    pub fn term() -> Self {
        Error::new(ETERM)
    }

    pub fn errno(&self) -> i32 {
        self.errno
    }

    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    pub fn is_again(&self) -> bool {
        self.errno == libc::EAGAIN
    }

    /// The same text `zmq_strerror` gives for this errno.
    pub fn strerror(&self) -> String {
        strerror(self.errno)
    }
}

/// Text for an errno value: libzmq's own wording for its own values, the C library's
/// otherwise.
pub fn strerror(errno: i32) -> String {
    match errno {
        EFSM => "Operation cannot be accomplished in current state".into(),
        ENOCOMPATPROTO => "The protocol is not compatible with the socket type".into(),
        ETERM => "Context was terminated".into(),
        EMTHREAD => "No thread available".into(),
        _ => io::Error::from_raw_os_error(errno)
            .to_string()
            .split(" (os error")
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{} ({})", self.strerror(), d),
            None => f.write_str(&self.strerror()),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        match e.raw_os_error() {
            Some(n) => Error::new(n),
            None if e.kind() == io::ErrorKind::WouldBlock => Error::again(),
            None => Error::with_detail(libc::EIO, e.to_string()),
        }
    }
}
