//! ZMTP 3.x codec (sans-IO): bytes in, events and bytes out.
//!
//! - [`greeting`]: the 64-octet greeting, sent in stages like libzmq, version detection
//!   (3.0 and 3.1 peers; 1.0/2.0 peers are refused).
//! - [`frame`]: flags, short and long frames, encoding helpers.
//! - [`command`]: READY metadata, ERROR, PING/PONG, SUBSCRIBE/CANCEL.
//! - [`Session`]: one connection's state machine (greeting, NULL handshake, traffic).
//!
//! Authority: RFC 23 (ZMTP 3.0) and RFC 37 (ZMTP 3.1); libzmq 4.3 for edge behaviour.
//!
//! # Driving a session (notes for the I/O loop)
//!
//! - On connect: `start(&mut out)` and flush `out` (10 octets). Then, on every read:
//!   append to one long-lived `input: BytesMut`, call `receive`, flush `out`. The peer's
//!   greeting needs no special casing: `receive` consumes it and emits the rest of ours.
//! - `receive` consumes every complete frame and leaves at most one incomplete frame
//!   (header plus partial body) in `input`; [`Session::input_needed`] says how long
//!   `input` must become for progress. Message bodies are `split_to(..).freeze()` slices
//!   of `input`'s buffer, so a message keeps the buffer it was read into alive, and
//!   `input.reserve(..)` then allocates afresh rather than reusing it. Reserve at least
//!   `input_needed() - input.len()` (capped: without `maxmsgsize` a peer may announce
//!   up to 2^63-1 octets, which is only waited for, never allocated here).
//! - Bounds: before the handshake completes a frame may be at most
//!   [`MAX_HANDSHAKE_COMMAND`] octets; afterwards message frames obey `maxmsgsize`,
//!   command frames `max(maxmsgsize, 255)`. The frames of an incomplete multipart message
//!   are held in the session ([`Session::partial_frames`]); there is no limit on their
//!   number (libzmq has none either).
//! - `Err` is final: flush `out` (it may hold an ERROR command), then close. Every later
//!   call returns the same error. [`ProtocolError::errno`] and
//!   [`ProtocolError::monitor_code`] give what libzmq would report.
//! - Heartbeats: [`SessionEvent::Ping`] carries the peer's TTL in milliseconds (the wire
//!   has deciseconds); its PONG is already in `out`. `encode_ping` takes milliseconds.
//!   Any received traffic counts as a sign of life (RFC 37), not only PONG. PING/PONG
//!   are ZMTP 3.1: send PINGs only when `peer_minor() == Some(1)`.
//! - Encode messages only once `is_ready()`: subscription commands depend on the peer's
//!   version, and RFC 37 allows no traffic before the handshake.

pub mod command;
mod error;
pub mod frame;
pub mod greeting;
pub mod mechanism;
mod session;

#[cfg(test)]
mod tests;

pub use error::{monitor_code, ProtocolError};
pub use frame::{encode_command, encode_frame};
pub use session::{
    encode_message_frames, Session, SessionConfig, SessionEvent, MAX_HANDSHAKE_COMMAND,
};
