//! The frame layer (RFC 23/37 "Framing"): a flags octet, a one-octet (short) or
//! eight-octet big-endian (long) size, then the body.
//!
//! Encoding writes straight into the caller's `BytesMut`; decoding only looks at the
//! header, so the session can apply its limits before a single body byte is buffered.

use bytes::{BufMut, BytesMut};

use super::ProtocolError;

/// More frames of this message follow.
pub const FLAG_MORE: u8 = 0x01;
/// The size field is eight octets.
pub const FLAG_LONG: u8 = 0x02;
/// The frame is a command.
pub const FLAG_COMMAND: u8 = 0x04;
const FLAG_RESERVED: u8 = 0xF8;

/// The longest frame header: flags plus an eight-octet size.
pub const MAX_HEADER_LEN: usize = 9;
/// The largest body RFC 37 allows (2^63-1); a long size with the top bit set is invalid.
pub const MAX_FRAME_SIZE: u64 = i64::MAX as u64;

/// A parsed frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    pub flags: u8,
    /// 2 for a short frame, 9 for a long one.
    pub header_len: usize,
    /// Body size in octets (at most [`MAX_FRAME_SIZE`]).
    pub size: u64,
}

impl FrameHeader {
    pub fn more(&self) -> bool {
        self.flags & FLAG_MORE != 0
    }

    pub fn is_command(&self) -> bool {
        self.flags & FLAG_COMMAND != 0
    }

    /// Header plus body, in octets (cannot overflow: size < 2^63).
    pub fn total_len(&self) -> u64 {
        self.header_len as u64 + self.size
    }
}

/// The result of looking at the start of a buffer for a frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    /// A complete header.
    Complete(FrameHeader),
    /// The buffer must hold at least this many octets before the header can be read.
    Need(usize),
}

/// Reads the frame header at the start of `buf` without consuming anything.
///
/// Rejects reserved flag bits, commands with MORE and sizes of 2^63 or more as soon as
/// the octets that carry them are present.
pub fn parse_header(buf: &[u8]) -> Result<Header, ProtocolError> {
    let Some(&flags) = buf.first() else {
        return Ok(Header::Need(2));
    };
    if flags & FLAG_RESERVED != 0 {
        return Err(ProtocolError::ReservedFlags(flags));
    }
    if flags & FLAG_COMMAND != 0 && flags & FLAG_MORE != 0 {
        return Err(ProtocolError::CommandWithMore);
    }
    if flags & FLAG_LONG == 0 {
        return Ok(match buf.get(1) {
            Some(&size) => Header::Complete(FrameHeader {
                flags,
                header_len: 2,
                size: u64::from(size),
            }),
            None => Header::Need(2),
        });
    }
    let Some(size_octets) = buf.get(1..MAX_HEADER_LEN) else {
        return Ok(Header::Need(MAX_HEADER_LEN));
    };
    let mut be = [0u8; 8];
    be.copy_from_slice(size_octets);
    let size = u64::from_be_bytes(be);
    if size > MAX_FRAME_SIZE {
        return Err(ProtocolError::FrameTooLarge {
            size,
            limit: MAX_FRAME_SIZE,
        });
    }
    Ok(Header::Complete(FrameHeader {
        flags,
        header_len: MAX_HEADER_LEN,
        size,
    }))
}

/// Octets the header of a `len`-octet body takes (short frames up to 255 octets).
#[inline]
pub fn header_len(len: usize) -> usize {
    if len <= 255 {
        2
    } else {
        MAX_HEADER_LEN
    }
}

/// Appends a frame header for a `len`-octet body. `flags` is MORE and/or COMMAND; LONG
/// is added when needed. Does not reserve: callers reserve for header and body at once.
#[inline]
pub fn put_header(out: &mut BytesMut, flags: u8, len: usize) {
    if len <= 255 {
        out.put_slice(&[flags, len as u8]);
    } else {
        let mut h = [0u8; MAX_HEADER_LEN];
        h[0] = flags | FLAG_LONG;
        h[1..].copy_from_slice(&(len as u64).to_be_bytes());
        out.put_slice(&h);
    }
}

/// Appends one message frame.
#[inline]
pub fn encode_frame(out: &mut BytesMut, body: &[u8], more: bool) {
    out.reserve(header_len(body.len()) + body.len());
    put_header(out, if more { FLAG_MORE } else { 0 }, body.len());
    out.extend_from_slice(body);
}

/// Appends the header and name of a command whose data is `data_len` octets; the caller
/// appends the data itself. `name` must be 1 to 255 octets.
pub fn put_command_header(out: &mut BytesMut, name: &[u8], data_len: usize) {
    debug_assert!(!name.is_empty() && name.len() <= 255);
    let body_len = 1 + name.len() + data_len;
    out.reserve(header_len(body_len) + body_len);
    put_header(out, FLAG_COMMAND, body_len);
    out.put_u8(name.len() as u8);
    out.put_slice(name);
}

/// Appends a whole command frame: `name` (1 to 255 octets) and `data`.
pub fn encode_command(out: &mut BytesMut, name: &[u8], data: &[u8]) {
    put_command_header(out, name, data.len());
    out.extend_from_slice(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_frames() {
        let mut out = BytesMut::new();
        encode_frame(&mut out, b"hello", true);
        assert_eq!(&out[..], b"\x01\x05hello");

        let body = vec![7u8; 256];
        let mut out = BytesMut::new();
        encode_frame(&mut out, &body, false);
        assert_eq!(&out[..9], &[0x02, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(&out[9..], &body[..]);

        let mut out = BytesMut::new();
        encode_frame(&mut out, &[1u8; 255], false);
        assert_eq!(&out[..2], &[0x00, 255]);
        assert_eq!(out.len(), 257);
    }

    #[test]
    fn command_frames() {
        let mut out = BytesMut::new();
        encode_command(&mut out, b"PING", b"\x00\x0actx");
        assert_eq!(&out[..], b"\x04\x0a\x04PING\x00\x0actx");

        let mut out = BytesMut::new();
        encode_command(&mut out, b"SUBSCRIBE", &[b'x'; 250]);
        // 1 + 9 + 250 = 260 octets: a long command.
        assert_eq!(&out[..9], &[0x06, 0, 0, 0, 0, 0, 0, 1, 4]);
        assert_eq!(&out[9..19], b"\x09SUBSCRIBE");
        assert_eq!(out.len(), 9 + 260);
    }

    #[test]
    fn header_parsing() {
        assert_eq!(parse_header(b""), Ok(Header::Need(2)));
        assert_eq!(parse_header(b"\x01"), Ok(Header::Need(2)));
        assert_eq!(
            parse_header(b"\x01\x05hel"),
            Ok(Header::Complete(FrameHeader {
                flags: 1,
                header_len: 2,
                size: 5
            }))
        );
        assert_eq!(parse_header(b"\x02\0\0\0"), Ok(Header::Need(9)));
        let h = match parse_header(&[0x06, 0, 0, 0, 0, 0, 0, 1, 0]) {
            Ok(Header::Complete(h)) => h,
            other => panic!("{other:?}"),
        };
        assert!(h.is_command() && !h.more());
        assert_eq!((h.header_len, h.size, h.total_len()), (9, 256, 265));
        // Long frames with small sizes are legal.
        assert!(matches!(
            parse_header(&[0x02, 0, 0, 0, 0, 0, 0, 0, 3]),
            Ok(Header::Complete(FrameHeader { size: 3, .. }))
        ));
    }

    #[test]
    fn header_rejections() {
        for bad in [0x08u8, 0x10, 0x80, 0xFF] {
            assert_eq!(parse_header(&[bad]), Err(ProtocolError::ReservedFlags(bad)));
        }
        assert_eq!(parse_header(&[0x05]), Err(ProtocolError::CommandWithMore));
        assert_eq!(parse_header(&[0x07]), Err(ProtocolError::CommandWithMore));
        assert_eq!(
            parse_header(&[0x02, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            Err(ProtocolError::FrameTooLarge {
                size: 1 << 63,
                limit: MAX_FRAME_SIZE
            })
        );
        assert!(matches!(
            parse_header(&[0x02, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            Ok(Header::Complete(FrameHeader {
                size: MAX_FRAME_SIZE,
                ..
            }))
        ));
    }
}
