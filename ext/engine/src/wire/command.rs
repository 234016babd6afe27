//! Command bodies: name splitting, READY metadata, ERROR, PING/PONG, SUBSCRIBE/CANCEL.

use bytes::{BufMut, Bytes, BytesMut};

use super::frame::{encode_command, put_command_header};
use super::ProtocolError;
use crate::SocketType;

pub const READY: &[u8] = b"READY";
pub const ERROR: &[u8] = b"ERROR";
pub const PING: &[u8] = b"PING";
pub const PONG: &[u8] = b"PONG";
pub const SUBSCRIBE: &[u8] = b"SUBSCRIBE";
pub const CANCEL: &[u8] = b"CANCEL";

/// Metadata property names (compared without regard to case, as RFC 37 asks).
pub const PROP_SOCKET_TYPE: &str = "Socket-Type";
pub const PROP_IDENTITY: &str = "Identity";

/// The longest ping context RFC 37 allows; longer ones are truncated (as libzmq does).
pub const MAX_PING_CONTEXT: usize = 16;

/// Splits a command body into its name and the offset where its data starts.
pub fn split(body: &[u8]) -> Result<(&[u8], usize), ProtocolError> {
    let Some((&name_len, rest)) = body.split_first() else {
        return Err(ProtocolError::MalformedCommand("empty command frame"));
    };
    let name_len = usize::from(name_len);
    if name_len == 0 {
        return Err(ProtocolError::MalformedCommand("empty command name"));
    }
    match rest.get(..name_len) {
        Some(name) => Ok((name, 1 + name_len)),
        None => Err(ProtocolError::MalformedCommand("command name truncated")),
    }
}

/// A command name for error messages (printable even if the peer's is not).
pub fn display_name(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// Appends one metadata property.
fn put_property(out: &mut BytesMut, name: &str, value: &[u8]) {
    out.put_u8(name.len() as u8);
    out.put_slice(name.as_bytes());
    out.put_u32(value.len() as u32);
    out.put_slice(value);
}

fn property_len(name: &str, value: &[u8]) -> usize {
    1 + name.len() + 4 + value.len()
}

/// Appends a READY command with our Socket-Type and, when given, our Identity.
pub fn encode_ready(out: &mut BytesMut, socket_type: SocketType, identity: Option<&[u8]>) {
    let type_name = socket_type.name().as_bytes();
    let mut data_len = property_len(PROP_SOCKET_TYPE, type_name);
    if let Some(id) = identity {
        data_len += property_len(PROP_IDENTITY, id);
    }
    put_command_header(out, READY, data_len);
    put_property(out, PROP_SOCKET_TYPE, type_name);
    if let Some(id) = identity {
        put_property(out, PROP_IDENTITY, id);
    }
}

/// The properties of a READY command that the codec itself interprets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadyProps {
    pub socket_type: Option<Bytes>,
    pub identity: Option<Bytes>,
}

/// Parses READY metadata (`data` is the command data, after the name). Values are
/// slices of `data`, not copies. Unknown properties are skipped; a property that runs
/// past the end of the command is an error.
pub fn parse_ready(data: &Bytes) -> Result<ReadyProps, ProtocolError> {
    let mut props = ReadyProps::default();
    for (name, value) in parse_properties(data)? {
        if name.eq_ignore_ascii_case(PROP_SOCKET_TYPE.as_bytes()) {
            props.socket_type = Some(value);
        } else if name.eq_ignore_ascii_case(PROP_IDENTITY.as_bytes()) {
            props.identity = Some(value);
        }
    }
    Ok(props)
}

/// Splits ZMTP metadata (READY/INITIATE data, a ZAP reply's metadata frame) into
/// `(name, value)` pairs, both slices of `data`. A property that runs past the end is an
/// error.
pub fn parse_properties(data: &Bytes) -> Result<Vec<(Bytes, Bytes)>, ProtocolError> {
    let mut props = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let name_len = usize::from(data[pos]);
        pos += 1;
        if data.len() - pos < name_len {
            return Err(ProtocolError::MalformedCommand(
                "READY property name truncated",
            ));
        }
        let name = data.slice(pos..pos + name_len);
        pos += name_len;
        let Some(len_octets) = data.get(pos..pos + 4) else {
            return Err(ProtocolError::MalformedCommand(
                "READY property size truncated",
            ));
        };
        pos += 4;
        let mut be = [0u8; 4];
        be.copy_from_slice(len_octets);
        let value_len = u32::from_be_bytes(be) as usize;
        if data.len() - pos < value_len {
            return Err(ProtocolError::MalformedCommand(
                "READY property value truncated",
            ));
        }
        props.push((name, data.slice(pos..pos + value_len)));
        pos += value_len;
    }
    Ok(props)
}

/// Appends an ERROR command; the reason is cut to 255 octets.
pub fn encode_error(out: &mut BytesMut, reason: &str) {
    let reason = &reason.as_bytes()[..reason.len().min(255)];
    put_command_header(out, ERROR, 1 + reason.len());
    out.put_u8(reason.len() as u8);
    out.put_slice(reason);
}

/// The reason of an ERROR command, as much of it as is there.
pub fn parse_error(data: &[u8]) -> String {
    match data.split_first() {
        Some((&len, rest)) => {
            String::from_utf8_lossy(&rest[..rest.len().min(usize::from(len))]).into_owned()
        }
        None => String::new(),
    }
}

/// Appends a PING: TTL in deciseconds and a context of at most 16 octets.
pub fn encode_ping(out: &mut BytesMut, ttl_ds: u16, context: &[u8]) {
    let context = &context[..context.len().min(MAX_PING_CONTEXT)];
    put_command_header(out, PING, 2 + context.len());
    out.put_u16(ttl_ds);
    out.put_slice(context);
}

/// Appends a PONG echoing `context` (cut to 16 octets).
pub fn encode_pong(out: &mut BytesMut, context: &[u8]) {
    encode_command(out, PONG, &context[..context.len().min(MAX_PING_CONTEXT)]);
}

/// A PING's TTL (deciseconds) and context (cut to 16 octets).
pub fn parse_ping(data: &[u8]) -> Result<(u16, &[u8]), ProtocolError> {
    match data {
        [hi, lo, context @ ..] => Ok((
            u16::from_be_bytes([*hi, *lo]),
            &context[..context.len().min(MAX_PING_CONTEXT)],
        )),
        _ => Err(ProtocolError::MalformedCommand("PING without TTL")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_matches_the_rfc_worked_example() {
        // RFC 37: a DEALER's READY with an empty Identity is a 41-octet command.
        let mut out = BytesMut::new();
        encode_ready(&mut out, SocketType::Dealer, Some(b""));
        let mut expected = vec![0x04, 41, 5];
        expected.extend_from_slice(b"READY");
        expected.push(11);
        expected.extend_from_slice(b"Socket-Type");
        expected.extend_from_slice(&[0, 0, 0, 6]);
        expected.extend_from_slice(b"DEALER");
        expected.push(8);
        expected.extend_from_slice(b"Identity");
        expected.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(&out[..], &expected[..]);

        // And the ROUTER's reply, with no Identity: 28 octets.
        let mut out = BytesMut::new();
        encode_ready(&mut out, SocketType::Router, None);
        assert_eq!(&out[..2], &[0x04, 28]);
    }

    #[test]
    fn ready_round_trip_and_unknown_properties() {
        let mut out = BytesMut::new();
        encode_ready(&mut out, SocketType::Req, Some(b"me"));
        let body = Bytes::copy_from_slice(&out[2..]);
        let (name, at) = split(&body).unwrap();
        assert_eq!(name, READY);
        let props = parse_ready(&body.slice(at..)).unwrap();
        assert_eq!(props.socket_type.as_deref(), Some(&b"REQ"[..]));
        assert_eq!(props.identity.as_deref(), Some(&b"me"[..]));

        let mut data = BytesMut::new();
        put_property(&mut data, "X-Custom", b"whatever");
        put_property(&mut data, "socket-type", b"PUB");
        put_property(&mut data, "", b"");
        let props = parse_ready(&data.freeze()).unwrap();
        assert_eq!(props.socket_type.as_deref(), Some(&b"PUB"[..]));
        assert_eq!(props.identity, None);
    }

    #[test]
    fn truncated_metadata() {
        let mut data = BytesMut::new();
        put_property(&mut data, "Socket-Type", b"PUB");
        let data = data.freeze();
        for cut in 1..data.len() {
            assert!(
                matches!(
                    parse_ready(&data.slice(..cut)),
                    Err(ProtocolError::MalformedCommand(_))
                ),
                "cut at {cut}"
            );
        }
        // A value size far past the end.
        let huge = Bytes::from_static(b"\x01A\xFF\xFF\xFF\xFFxx");
        assert!(parse_ready(&huge).is_err());
    }

    #[test]
    fn command_names() {
        assert!(split(b"").is_err());
        assert!(split(b"\x00").is_err());
        assert!(split(b"\x05REA").is_err());
        assert_eq!(split(b"\x04PINGab").unwrap(), (&b"PING"[..], 5));
    }

    #[test]
    fn error_and_ping() {
        let mut out = BytesMut::new();
        encode_error(&mut out, "nope");
        assert_eq!(&out[..], b"\x04\x0b\x05ERROR\x04nope");
        assert_eq!(parse_error(b"\x04nope"), "nope");
        assert_eq!(parse_error(b"\x09no"), "no");
        assert_eq!(parse_error(b""), "");

        let mut out = BytesMut::new();
        encode_error(&mut out, &"x".repeat(300));
        // 1 + 5 + 1 + 255 = 262 octets: a long command.
        assert_eq!(&out[9..16], b"\x05ERROR\xff");
        assert_eq!(out.len(), 9 + 6 + 1 + 255);

        let mut out = BytesMut::new();
        encode_ping(&mut out, 0x0102, &[9u8; 20]);
        assert_eq!(&out[..9], b"\x04\x17\x04PING\x01\x02");
        assert_eq!(out.len(), 2 + 5 + 2 + 16);
        assert_eq!(parse_ping(&out[7..]).unwrap(), (0x0102, &[9u8; 16][..]));
        assert!(parse_ping(b"\x01").is_err());
        assert_eq!(parse_ping(b"\x00\x00").unwrap(), (0, &b""[..]));
    }
}
