//! What can go wrong on the wire. Every variant is fatal for the connection: the caller
//! flushes whatever the session appended to `out` (an ERROR command, perhaps) and closes.

use std::fmt;

use crate::SocketType;

/// libzmq's `ZMQ_PROTOCOL_ERROR_ZMTP_*` values, reported with
/// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL` by socket monitors.
pub mod monitor_code {
    pub const ZMTP_UNSPECIFIED: u32 = 0x1000_0000;
    pub const ZMTP_UNEXPECTED_COMMAND: u32 = 0x1000_0001;
    pub const ZMTP_MALFORMED_COMMAND_UNSPECIFIED: u32 = 0x1000_0011;
    pub const ZMTP_MALFORMED_COMMAND_ERROR: u32 = 0x1000_0015;
    pub const ZMTP_MALFORMED_COMMAND_READY: u32 = 0x1000_0016;
    pub const ZMTP_INVALID_METADATA: u32 = 0x1000_0018;
    pub const ZMTP_MECHANISM_MISMATCH: u32 = 0x1100_0002;
    pub const ZMTP_INVALID_SEQUENCE: u32 = 0x1000_0002;
    pub const ZMTP_KEY_EXCHANGE: u32 = 0x1000_0003;
    pub const ZMTP_MALFORMED_COMMAND_MESSAGE: u32 = 0x1000_0012;
    pub const ZMTP_MALFORMED_COMMAND_HELLO: u32 = 0x1000_0013;
    pub const ZMTP_MALFORMED_COMMAND_INITIATE: u32 = 0x1000_0014;
    pub const ZMTP_MALFORMED_COMMAND_WELCOME: u32 = 0x1000_0017;
    pub const ZMTP_CRYPTOGRAPHIC: u32 = 0x1100_0001;
    pub const ZAP_UNSPECIFIED: u32 = 0x2000_0000;
    pub const ZAP_MALFORMED_REPLY: u32 = 0x2000_0001;
    pub const ZAP_BAD_REQUEST_ID: u32 = 0x2000_0002;
    pub const ZAP_BAD_VERSION: u32 = 0x2000_0003;
    pub const ZAP_INVALID_STATUS_CODE: u32 = 0x2000_0004;
    pub const ZAP_INVALID_METADATA: u32 = 0x2000_0005;
}

/// A fatal protocol violation by the peer (or a peer we will not talk to).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The first ten octets are not a ZMTP 2.0+ signature: octet 0 is not `0xFF` or the
    /// low bit of octet 9 is clear (a ZMTP 1.0 peer, or not ZeroMQ at all).
    BadSignature,
    /// The peer announced a major version below 3 (ZMTP 1.0/2.0); we speak 3.x only.
    UnsupportedVersion { major: u8 },
    /// The peer's security mechanism is not the one we use (NULL).
    UnsupportedMechanism(String),
    /// The peer's READY carries no `Socket-Type` property.
    MissingSocketType,
    /// The peer's `Socket-Type` is not a socket type we know.
    UnknownSocketType(String),
    /// The peer's socket type may not talk to ours (RFC 37's table).
    IncompatibleSocketType { ours: SocketType, peer: SocketType },
    /// A command frame whose body does not parse (what is wrong is in the text).
    MalformedCommand(&'static str),
    /// A command that is not allowed at this point (anything but READY/ERROR during the
    /// handshake, a second READY afterwards).
    UnexpectedCommand(String),
    /// A message frame before the handshake completed.
    UnexpectedMessage,
    /// The peer sent an ERROR command; its reason, lossily decoded.
    PeerError(String),
    /// A frame's flags octet has one of the reserved bits 3-7 set.
    ReservedFlags(u8),
    /// A command frame with the MORE flag set.
    CommandWithMore,
    /// A frame larger than the limit (`maxmsgsize`, the handshake command limit, or the
    /// protocol's 2^63-1). Detected from the header, before any of the body is buffered.
    FrameTooLarge { size: u64, limit: u64 },
    /// A CURVE box did not open (wrong key, tampered or truncated), or a key was
    /// unusable. Says which box, never anything about keys.
    Crypto(&'static str),
    /// A CURVE short nonce that does not increase (a replayed or reordered command).
    InvalidSequence,
    /// A CURVE vouch that does not match the connection's keys.
    KeyExchange,
    /// The ZAP handler refused the peer (status 300, 400 or 500).
    AuthFailed { status: u16 },
    /// The ZAP handler's reply is malformed; the `ZMQ_PROTOCOL_ERROR_ZAP_*` code.
    ZapReply(u32),
    /// A PLAIN server has no ZAP handler to check passwords with (libzmq refuses too).
    NoZapHandler,
    /// This socket's own security options are incomplete (a CURVE client without the
    /// server's key, say).
    Misconfigured(&'static str),
}

impl ProtocolError {
    /// The errno a libzmq application would associate with this failure: `EMSGSIZE` for
    /// an oversized frame, `ENOCOMPATPROTO` for a socket-type mismatch, `EPROTO` otherwise.
    pub fn errno(&self) -> i32 {
        match self {
            ProtocolError::FrameTooLarge { .. } => libc::EMSGSIZE,
            ProtocolError::IncompatibleSocketType { .. }
            | ProtocolError::UnknownSocketType(_)
            | ProtocolError::MissingSocketType => crate::error::ENOCOMPATPROTO,
            _ => libc::EPROTO,
        }
    }

    /// The `ZMQ_PROTOCOL_ERROR_*` value a monitor reports for this failure, or `None` for
    /// failures libzmq reports as a plain disconnect (framing errors, ERROR from the peer).
    pub fn monitor_code(&self) -> Option<u32> {
        use monitor_code::*;
        match self {
            ProtocolError::UnsupportedMechanism(_) => Some(ZMTP_MECHANISM_MISMATCH),
            ProtocolError::MissingSocketType
            | ProtocolError::UnknownSocketType(_)
            | ProtocolError::IncompatibleSocketType { .. } => Some(ZMTP_INVALID_METADATA),
            ProtocolError::MalformedCommand(what) if what.starts_with("READY") => {
                Some(ZMTP_MALFORMED_COMMAND_READY)
            }
            ProtocolError::MalformedCommand(what) if what.starts_with("HELLO") => {
                Some(ZMTP_MALFORMED_COMMAND_HELLO)
            }
            ProtocolError::MalformedCommand(what) if what.starts_with("WELCOME") => {
                Some(ZMTP_MALFORMED_COMMAND_WELCOME)
            }
            ProtocolError::MalformedCommand(what) if what.starts_with("INITIATE") => {
                Some(ZMTP_MALFORMED_COMMAND_INITIATE)
            }
            ProtocolError::MalformedCommand(what) if what.starts_with("MESSAGE") => {
                Some(ZMTP_MALFORMED_COMMAND_MESSAGE)
            }
            ProtocolError::MalformedCommand(what) if what.starts_with("ERROR") => {
                Some(ZMTP_MALFORMED_COMMAND_ERROR)
            }
            ProtocolError::Crypto(_) => Some(ZMTP_CRYPTOGRAPHIC),
            ProtocolError::InvalidSequence => Some(ZMTP_INVALID_SEQUENCE),
            ProtocolError::KeyExchange => Some(ZMTP_KEY_EXCHANGE),
            ProtocolError::ZapReply(code) => Some(*code),
            ProtocolError::MalformedCommand(_) => Some(ZMTP_MALFORMED_COMMAND_UNSPECIFIED),
            ProtocolError::UnexpectedCommand(_) | ProtocolError::UnexpectedMessage => {
                Some(ZMTP_UNEXPECTED_COMMAND)
            }
            ProtocolError::BadSignature | ProtocolError::UnsupportedVersion { .. } => {
                Some(ZMTP_UNSPECIFIED)
            }
            _ => None,
        }
    }
}

impl ProtocolError {
    /// The ZAP status behind an authentication failure: ours (the handler refused the
    /// peer) or the peer's (its ERROR carried "300", "400" or "500"). A monitor reports
    /// these as `EVENT_HANDSHAKE_FAILED_AUTH` with the status as value.
    pub fn auth_status(&self) -> Option<u16> {
        match self {
            ProtocolError::AuthFailed { status } => Some(*status),
            ProtocolError::PeerError(reason) => match reason.as_bytes() {
                [d @ b'3'..=b'5', b'0', b'0'] => Some(u16::from(d - b'0') * 100),
                _ => None,
            },
            _ => None,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::BadSignature => f.write_str("peer did not send a ZMTP signature"),
            ProtocolError::UnsupportedVersion { major } => {
                write!(
                    f,
                    "peer speaks ZMTP major version {major}; 3 or later required"
                )
            }
            ProtocolError::UnsupportedMechanism(m) => {
                write!(f, "security mechanism mismatch: peer uses {m:?}")
            }
            ProtocolError::MissingSocketType => f.write_str("peer READY has no Socket-Type"),
            ProtocolError::UnknownSocketType(t) => write!(f, "unknown peer socket type {t:?}"),
            ProtocolError::IncompatibleSocketType { ours, peer } => {
                write!(f, "incompatible socket types: {ours} cannot talk to {peer}")
            }
            ProtocolError::MalformedCommand(what) => write!(f, "malformed command: {what}"),
            ProtocolError::UnexpectedCommand(name) => write!(f, "unexpected command {name:?}"),
            ProtocolError::UnexpectedMessage => {
                f.write_str("message frame received before the handshake completed")
            }
            ProtocolError::PeerError(reason) => write!(f, "peer sent ERROR: {reason}"),
            ProtocolError::ReservedFlags(flags) => {
                write!(f, "frame flags {flags:#04x} have reserved bits set")
            }
            ProtocolError::CommandWithMore => f.write_str("command frame with the MORE flag"),
            ProtocolError::FrameTooLarge { size, limit } => {
                write!(
                    f,
                    "frame of {size} bytes exceeds the limit of {limit} bytes"
                )
            }
            ProtocolError::Crypto(what) => write!(f, "cryptographic failure: {what}"),
            ProtocolError::InvalidSequence => f.write_str("CURVE nonce out of sequence"),
            ProtocolError::KeyExchange => f.write_str("CURVE vouch does not match"),
            ProtocolError::AuthFailed { status } => {
                write!(f, "authentication refused by the ZAP handler ({status})")
            }
            ProtocolError::ZapReply(code) => write!(f, "malformed ZAP reply ({code:#x})"),
            ProtocolError::NoZapHandler => {
                f.write_str("PLAIN server without a ZAP handler (inproc://zeromq.zap.01)")
            }
            ProtocolError::Misconfigured(what) => write!(f, "security options: {what}"),
        }
    }
}

impl std::error::Error for ProtocolError {}

impl From<ProtocolError> for crate::Error {
    fn from(e: ProtocolError) -> Self {
        crate::Error::with_detail(e.errno(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_and_text() {
        let e = ProtocolError::FrameTooLarge { size: 10, limit: 5 };
        assert_eq!(e.errno(), libc::EMSGSIZE);
        assert_eq!(
            e.to_string(),
            "frame of 10 bytes exceeds the limit of 5 bytes"
        );
        let e: crate::Error = ProtocolError::BadSignature.into();
        assert_eq!(e.errno(), libc::EPROTO);
        let e = ProtocolError::IncompatibleSocketType {
            ours: SocketType::Pub,
            peer: SocketType::Push,
        };
        assert_eq!(
            e.to_string(),
            "incompatible socket types: PUB cannot talk to PUSH"
        );
        assert_eq!(e.monitor_code(), Some(monitor_code::ZMTP_INVALID_METADATA));
        assert_eq!(
            ProtocolError::MalformedCommand("READY property truncated").monitor_code(),
            Some(monitor_code::ZMTP_MALFORMED_COMMAND_READY)
        );
    }
}
