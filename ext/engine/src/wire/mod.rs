//! ZMTP 3.x codec (sans-IO): bytes in, events and bytes out.
//!
//! - [`greeting`]: the 64-octet greeting, sent in stages like libzmq, version detection
//!   (3.0 and 3.1 peers; 1.0/2.0 peers are refused).
//! - [`frame`]: flags, short and long frames, encoding helpers.
//! - [`command`]: READY metadata, ERROR, PING/PONG, SUBSCRIBE/CANCEL.
//! - [`Session`]: one connection's state machine (greeting, NULL handshake, traffic).
//!
//! Authority: RFC 23 (ZMTP 3.0) and RFC 37 (ZMTP 3.1); libzmq 4.3 for edge behaviour.

pub mod command;
mod error;
pub mod frame;
pub mod greeting;
mod session;

#[cfg(test)]
mod tests;

pub use error::{monitor_code, ProtocolError};
pub use frame::{encode_command, encode_frame};
pub use session::{
    encode_message_frames, Session, SessionConfig, SessionEvent, MAX_HANDSHAKE_COMMAND,
};
