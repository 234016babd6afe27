//! ZAP (RFC 27) messages: what a server connection asks the handler bound at
//! [`ZAP_ENDPOINT`] and what it answers.

use std::fmt;

use bytes::Bytes;

use crate::msg::Msg;
use crate::wire::monitor_code;

/// Where the ZAP handler of a context binds.
pub const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";
/// The protocol version both sides must use.
pub const ZAP_VERSION: &[u8] = b"1.0";
/// The request id a connection uses (one request per connection, as libzmq).
pub const REQUEST_ID: &[u8] = b"1";

/// One authentication request. `Debug` never shows the credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct ZapRequest {
    pub request_id: Bytes,
    pub domain: Bytes,
    /// The peer's IP address (tcp), or `:uid:gid:pid` (ipc), as libzmq reports it.
    pub address: Bytes,
    /// The server socket's own routing id (libzmq sends that).
    pub identity: Bytes,
    /// `NULL`, `PLAIN` or `CURVE`.
    pub mechanism: Bytes,
    /// PLAIN: username, password. CURVE: the client's 32-octet public key.
    pub credentials: Vec<Bytes>,
}

impl fmt::Debug for ZapRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZapRequest")
            .field("domain", &String::from_utf8_lossy(&self.domain))
            .field("address", &String::from_utf8_lossy(&self.address))
            .field("mechanism", &String::from_utf8_lossy(&self.mechanism))
            .field(
                "credentials",
                &format_args!("<{} redacted>", self.credentials.len()),
            )
            .finish()
    }
}

impl ZapRequest {
    /// The request as the connection sends it: an empty delimiter, then the RFC 27
    /// frames.
    pub fn to_msg(&self) -> Msg {
        let mut m = Msg::new(Bytes::new());
        for part in [
            Bytes::from_static(ZAP_VERSION),
            self.request_id.clone(),
            self.domain.clone(),
            self.address.clone(),
            self.identity.clone(),
            self.mechanism.clone(),
        ] {
            m.push_back(part);
        }
        for c in &self.credentials {
            m.push_back(c.clone());
        }
        m
    }

    /// Parses the frames after the delimiter (a handler's view). `None` if they are not a
    /// version 1.0 request.
    pub fn parse(frames: &[Bytes]) -> Option<ZapRequest> {
        if frames.len() < 6 || frames[0] != ZAP_VERSION {
            return None;
        }
        Some(ZapRequest {
            request_id: frames[1].clone(),
            domain: frames[2].clone(),
            address: frames[3].clone(),
            identity: frames[4].clone(),
            mechanism: frames[5].clone(),
            credentials: frames[6..].to_vec(),
        })
    }
}

/// A handler's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZapReply {
    pub request_id: Bytes,
    /// 200 (allowed), 300 (temporary failure), 400 (denied), 500 (internal error).
    pub status: u16,
    pub status_text: Bytes,
    /// The user id the connection gets (shown as message property "User-Id").
    pub user_id: Bytes,
    /// Extra properties, in ZMTP metadata encoding.
    pub metadata: Bytes,
}

impl ZapReply {
    pub fn new(request_id: Bytes, status: u16, text: &str, user_id: Bytes) -> ZapReply {
        ZapReply {
            request_id,
            status,
            status_text: Bytes::copy_from_slice(text.as_bytes()),
            user_id,
            metadata: Bytes::new(),
        }
    }

    /// The reply's frames after the delimiter: version, request id, status code, text,
    /// user id, metadata.
    pub fn frames(&self) -> [Bytes; 6] {
        [
            Bytes::from_static(ZAP_VERSION),
            self.request_id.clone(),
            Bytes::from(self.status.to_string()),
            self.status_text.clone(),
            self.user_id.clone(),
            self.metadata.clone(),
        ]
    }

    /// Checks a reply as a connection receives it (delimiter included), with libzmq's
    /// rules; the error is the `ZMQ_PROTOCOL_ERROR_ZAP_*` code a monitor reports.
    pub fn parse(msg: &Msg) -> Result<ZapReply, u32> {
        if msg.len() != 7 {
            return Err(monitor_code::ZAP_MALFORMED_REPLY);
        }
        let f: Vec<&Bytes> = msg.parts().collect();
        if !f[0].is_empty() {
            return Err(monitor_code::ZAP_UNSPECIFIED);
        }
        if f[1][..] != *ZAP_VERSION {
            return Err(monitor_code::ZAP_BAD_VERSION);
        }
        if f[2][..] != *REQUEST_ID {
            return Err(monitor_code::ZAP_BAD_REQUEST_ID);
        }
        let status = match &f[3][..] {
            [d @ b'2'..=b'5', b'0', b'0'] => u16::from(d - b'0') * 100,
            _ => return Err(monitor_code::ZAP_INVALID_STATUS_CODE),
        };
        if crate::wire::command::parse_ready(f[6]).is_err() {
            return Err(monitor_code::ZAP_INVALID_METADATA);
        }
        Ok(ZapReply {
            request_id: f[2].clone(),
            status,
            status_text: f[4].clone(),
            user_id: f[5].clone(),
            metadata: f[6].clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(parts: &[&[u8]]) -> Msg {
        Msg::from_parts(parts.iter().map(|p| Bytes::copy_from_slice(p)))
    }

    #[test]
    fn request_frames_and_redaction() {
        let r = ZapRequest {
            request_id: Bytes::from_static(REQUEST_ID),
            domain: Bytes::from_static(b"global"),
            address: Bytes::from_static(b"127.0.0.1"),
            identity: Bytes::new(),
            mechanism: Bytes::from_static(b"PLAIN"),
            credentials: vec![Bytes::from_static(b"admin"), Bytes::from_static(b"hunter2")],
        };
        let m = r.to_msg();
        assert_eq!(m.len(), 9);
        assert!(m.first().is_empty());
        let frames: Vec<Bytes> = m.parts().skip(1).cloned().collect();
        assert_eq!(ZapRequest::parse(&frames), Some(r.clone()));
        assert!(!format!("{r:?}").contains("hunter2"));
        assert!(ZapRequest::parse(&frames[..5]).is_none());
    }

    #[test]
    fn reply_checks() {
        let ok = reply(&[b"", b"1.0", b"1", b"200", b"OK", b"joe", b""]);
        let r = ZapReply::parse(&ok).unwrap();
        assert_eq!((r.status, &r.user_id[..]), (200, &b"joe"[..]));
        let refused: [(&[&[u8]], u32); 6] = [
            (
                &[b"", b"1.0", b"1", b"200", b"OK", b""],
                monitor_code::ZAP_MALFORMED_REPLY,
            ),
            (
                &[b"", b"2.0", b"1", b"200", b"", b"", b""],
                monitor_code::ZAP_BAD_VERSION,
            ),
            (
                &[b"", b"1.0", b"7", b"200", b"", b"", b""],
                monitor_code::ZAP_BAD_REQUEST_ID,
            ),
            (
                &[b"", b"1.0", b"1", b"201", b"", b"", b""],
                monitor_code::ZAP_INVALID_STATUS_CODE,
            ),
            (
                &[b"x", b"1.0", b"1", b"200", b"", b"", b""],
                monitor_code::ZAP_UNSPECIFIED,
            ),
            (
                &[b"", b"1.0", b"1", b"200", b"", b"", b"\x05ab"],
                monitor_code::ZAP_INVALID_METADATA,
            ),
        ];
        for (parts, code) in refused {
            assert_eq!(ZapReply::parse(&reply(parts)), Err(code), "{parts:?}");
        }
        assert_eq!(
            ZapReply::parse(&reply(&[b"", b"1.0", b"1", b"400", b"no", b"", b""]))
                .unwrap()
                .status,
            400
        );
    }
}
