//! Two sessions talking through memory, with a hook on every frame after the greeting
//! (to tamper, truncate or replay) and a scripted ZAP handler.

use bytes::{Bytes, BytesMut};

use crate::security::zap::{ZapReply, ZapRequest};
use crate::security::{curve_keypair, CurveKeypair, SecurityOptions};
use crate::wire::frame::{self, Header};
use crate::wire::{monitor_code, ProtocolError, Session, SessionConfig, SessionEvent};
use crate::{Msg, OptionValue, SocketOption, SocketType};

fn opts(pairs: &[(SocketOption, OptionValue)]) -> SecurityOptions {
    let mut o = SecurityOptions::default();
    for (k, v) in pairs {
        assert!(o.set(*k, v).unwrap());
    }
    o
}

fn z(s: &str) -> OptionValue {
    s.into()
}

fn curve_server(kp: &CurveKeypair) -> SecurityOptions {
    opts(&[
        (SocketOption::CurveServer, 1.into()),
        (SocketOption::CurveSecretkey, z(&kp.secret.expose_z85())),
    ])
}

fn curve_client(kp: &CurveKeypair, server: &CurveKeypair) -> SecurityOptions {
    opts(&[
        (SocketOption::CurveServerkey, z(&server.public.to_z85())),
        (SocketOption::CurvePublickey, z(&kp.public.to_z85())),
        (SocketOption::CurveSecretkey, z(&kp.secret.expose_z85())),
    ])
}

struct Side {
    s: Session,
    out: BytesMut,
    input: BytesMut,
    events: Vec<SessionEvent>,
    result: Result<(), ProtocolError>,
    /// Greeting octets still to pass untouched towards this side's peer.
    greeting_left: usize,
    pending: BytesMut,
    frames_sent: usize,
    zap_requests: Vec<ZapRequest>,
}

impl Side {
    fn new(kind: SocketType, security: SecurityOptions) -> Side {
        let mut cfg = SessionConfig::new(kind);
        cfg.security = security;
        cfg.peer_address = Bytes::from_static(b"10.0.0.1");
        let mut s = Session::new(cfg);
        let mut out = BytesMut::new();
        s.start(&mut out);
        Side {
            s,
            out,
            input: BytesMut::new(),
            events: Vec::new(),
            result: Ok(()),
            greeting_left: 64,
            pending: BytesMut::new(),
            frames_sent: 0,
            zap_requests: Vec::new(),
        }
    }

    /// Takes what this side wrote, passing each frame after the greeting through
    /// `hook(frame number, body)`.
    fn drain(&mut self, hook: &mut dyn FnMut(usize, &mut Vec<u8>)) -> BytesMut {
        let mut moved = BytesMut::new();
        self.pending.extend_from_slice(&self.out.split());
        let g = self.greeting_left.min(self.pending.len());
        moved.extend_from_slice(&self.pending.split_to(g));
        self.greeting_left -= g;
        while let Ok(Header::Complete(h)) = frame::parse_header(&self.pending) {
            let total = h.header_len + h.size as usize;
            if self.pending.len() < total {
                break;
            }
            let whole = self.pending.split_to(total);
            let mut body = whole[h.header_len..].to_vec();
            hook(self.frames_sent, &mut body);
            self.frames_sent += 1;
            frame::put_header(&mut moved, h.flags & !frame::FLAG_LONG, body.len());
            moved.extend_from_slice(&body);
        }
        moved
    }

    fn feed(&mut self, bytes: &[u8], zap: &mut dyn FnMut(&ZapRequest) -> Option<ZapReply>) {
        if self.result.is_err() {
            return;
        }
        self.input.extend_from_slice(bytes);
        let events = &mut self.events;
        self.result = self
            .s
            .receive(&mut self.input, &mut self.out, &mut |e| events.push(e));
        while self.result.is_ok() {
            let Some(req) = self.s.take_zap_request() else {
                break;
            };
            let reply = zap(&req);
            self.zap_requests.push(req);
            let events = &mut self.events;
            self.result = self
                .s
                .zap_reply(reply.as_ref(), &mut self.out, &mut |e| events.push(e));
        }
    }

    fn ready(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, SessionEvent::Ready { .. }))
    }

    fn messages(&self) -> Vec<Msg> {
        self.events
            .iter()
            .filter_map(|e| match e {
                SessionEvent::Message(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }
}

type Hook<'a> = &'a mut dyn FnMut(usize, &mut Vec<u8>);

/// Runs both sides until nothing moves. `c_hook` sees the client's frames (client to
/// server), `s_hook` the server's.
fn converse(
    c: &mut Side,
    s: &mut Side,
    c_hook: Hook,
    s_hook: Hook,
    zap: &mut dyn FnMut(&ZapRequest) -> Option<ZapReply>,
) {
    for _ in 0..50 {
        let to_s = c.drain(c_hook);
        let to_c = s.drain(s_hook);
        if to_s.is_empty() && to_c.is_empty() {
            return;
        }
        s.feed(&to_s, zap);
        c.feed(&to_c, zap);
    }
    panic!("the sessions never went quiet");
}

fn no_hook() -> impl FnMut(usize, &mut Vec<u8>) {
    |_, _| {}
}

fn allow(req: &ZapRequest) -> Option<ZapReply> {
    Some(ZapReply::new(
        req.request_id.clone(),
        200,
        "OK",
        Bytes::from_static(b"user"),
    ))
}

fn no_handler(_: &ZapRequest) -> Option<ZapReply> {
    None
}

fn curve_pair() -> (Side, Side, CurveKeypair, CurveKeypair) {
    let (server_kp, client_kp) = (curve_keypair(), curve_keypair());
    let s = Side::new(SocketType::Rep, curve_server(&server_kp));
    let c = Side::new(SocketType::Req, curve_client(&client_kp, &server_kp));
    (c, s, client_kp, server_kp)
}

#[test]
fn curve_handshake_messages_and_heartbeats() {
    let (mut c, mut s, client_kp, _) = curve_pair();
    converse(&mut c, &mut s, &mut no_hook(), &mut no_hook(), &mut allow);
    assert_eq!((&c.result, &s.result), (&Ok(()), &Ok(())));
    assert!(c.ready() && s.ready() && c.s.encrypts() && s.s.encrypts());
    assert_eq!(s.zap_requests.len(), 1);
    let req = &s.zap_requests[0];
    assert_eq!(&req.mechanism[..], b"CURVE");
    assert_eq!(&req.address[..], b"10.0.0.1");
    assert_eq!(
        req.credentials,
        [Bytes::copy_from_slice(client_kp.public.as_bytes())]
    );
    assert_eq!(&s.s.user_id()[..], b"user");

    // Messages both ways, multipart and large, and a PING answered with a PONG.
    let big = Bytes::from(vec![3u8; 100_000]);
    c.s.encode_message(&Msg::from_parts([Bytes::new(), big.clone()]), &mut c.out);
    c.s.encode_ping(&mut c.out, 5000, b"ctx");
    s.s.encode_message(&Msg::from_parts(["a", "b", "c"]), &mut s.out);
    // Nothing readable in the clear.
    assert!(!c.out.windows(4).any(|w| w == [3, 3, 3, 3]));
    converse(&mut c, &mut s, &mut no_hook(), &mut no_hook(), &mut allow);
    assert_eq!(s.messages(), [Msg::from_parts([Bytes::new(), big])]);
    assert_eq!(c.messages(), [Msg::from_parts(["a", "b", "c"])]);
    assert!(s.events.contains(&SessionEvent::Ping { ttl_ms: 5000 }));
    assert!(c.events.contains(&SessionEvent::Pong));
    assert_eq!((&c.result, &s.result), (&Ok(()), &Ok(())));
}

#[test]
fn curve_server_without_zap_handler_proceeds() {
    let (mut c, mut s, _, _) = curve_pair();
    converse(
        &mut c,
        &mut s,
        &mut no_hook(),
        &mut no_hook(),
        &mut no_handler,
    );
    assert!(c.ready() && s.ready());
    assert!(s.s.user_id().is_empty());
}

#[test]
fn curve_zap_refusals() {
    for (status, error_sent) in [(400u16, true), (500, true), (300, false)] {
        let (mut c, mut s, _, _) = curve_pair();
        converse(&mut c, &mut s, &mut no_hook(), &mut no_hook(), &mut |r| {
            Some(ZapReply::new(
                r.request_id.clone(),
                status,
                "no",
                Bytes::new(),
            ))
        });
        assert_eq!(s.result, Err(ProtocolError::AuthFailed { status }));
        assert_eq!(s.result.as_ref().unwrap_err().auth_status(), Some(status));
        if error_sent {
            assert_eq!(c.result, Err(ProtocolError::PeerError(status.to_string())));
            assert_eq!(c.result.as_ref().unwrap_err().auth_status(), Some(status));
        } else {
            assert_eq!(c.result, Ok(()));
            assert!(!c.ready());
        }
        assert!(!s.ready() && s.messages().is_empty());
    }
}

/// Flips one octet of the `frame`th frame at `at` (counted from the end if negative).
fn flip(frame: usize, at: isize) -> impl FnMut(usize, &mut Vec<u8>) {
    move |n, body| {
        if n == frame {
            let i = if at < 0 {
                (body.len() as isize + at) as usize
            } else {
                at as usize
            };
            body[i] ^= 0x20;
        }
    }
}

#[test]
fn curve_tampered_boxes_are_refused() {
    let crypto = |r: &Result<(), ProtocolError>| matches!(r, Err(e) if e.monitor_code() == Some(monitor_code::ZMTP_CRYPTOGRAPHIC));
    // Client frames: 0 HELLO, 1 INITIATE, 2 MESSAGE.
    for at in [120, 150, -1] {
        let (mut c, mut s, _, _) = curve_pair();
        converse(&mut c, &mut s, &mut flip(0, at), &mut no_hook(), &mut allow);
        assert!(crypto(&s.result), "HELLO at {at}: {:?}", s.result);
        assert!(!c.ready());
    }
    // INITIATE: the cookie, the nonce, the box.
    for at in [20, 60, 106, 120, 200, -1] {
        let (mut c, mut s, _, _) = curve_pair();
        converse(&mut c, &mut s, &mut flip(1, at), &mut no_hook(), &mut allow);
        assert!(crypto(&s.result), "INITIATE at {at}: {:?}", s.result);
        assert!(
            s.zap_requests.is_empty(),
            "ZAP asked about a forged INITIATE"
        );
    }
    // Server frames: 0 WELCOME, 1 READY, 2 MESSAGE.
    for at in [10, 30, -1] {
        let (mut c, mut s, _, _) = curve_pair();
        converse(&mut c, &mut s, &mut no_hook(), &mut flip(0, at), &mut allow);
        assert!(crypto(&c.result), "WELCOME at {at}: {:?}", c.result);
    }
    for at in [8, 20, -1] {
        let (mut c, mut s, _, _) = curve_pair();
        converse(&mut c, &mut s, &mut no_hook(), &mut flip(1, at), &mut allow);
        assert!(crypto(&c.result), "READY at {at}: {:?}", c.result);
        assert!(!c.ready());
    }
    // A MESSAGE after the handshake: refused, nothing delivered.
    let (mut c, mut s, _, _) = curve_pair();
    converse(&mut c, &mut s, &mut flip(2, -3), &mut no_hook(), &mut allow);
    c.s.encode_message(&Msg::new("secret"), &mut c.out);
    converse(&mut c, &mut s, &mut flip(2, -3), &mut no_hook(), &mut allow);
    assert!(crypto(&s.result), "{:?}", s.result);
    assert!(s.messages().is_empty());
}

#[test]
fn curve_wrong_keys_are_refused() {
    // The client has the wrong server key: HELLO does not open.
    let (server_kp, client_kp) = (curve_keypair(), curve_keypair());
    let mut s = Side::new(SocketType::Rep, curve_server(&server_kp));
    let mut c = Side::new(SocketType::Req, curve_client(&client_kp, &curve_keypair()));
    converse(&mut c, &mut s, &mut no_hook(), &mut no_hook(), &mut allow);
    assert_eq!(
        s.result,
        Err(ProtocolError::Crypto("HELLO box does not open"))
    );

    // The client claims a public key that is not its own: the vouch does not open.
    let mut o = curve_client(&client_kp, &server_kp);
    o.curve_public = Some(curve_keypair().public);
    let mut s = Side::new(SocketType::Rep, curve_server(&server_kp));
    let mut c = Side::new(SocketType::Req, o);
    converse(&mut c, &mut s, &mut no_hook(), &mut no_hook(), &mut allow);
    assert_eq!(
        s.result,
        Err(ProtocolError::Crypto("INITIATE vouch does not open"))
    );

    // A CURVE client without the server key cannot start.
    let mut o = curve_client(&client_kp, &server_kp);
    o.curve_server = None;
    let mut s = Side::new(SocketType::Rep, curve_server(&server_kp));
    let mut c = Side::new(SocketType::Req, o);
    converse(&mut c, &mut s, &mut no_hook(), &mut no_hook(), &mut allow);
    assert!(matches!(c.result, Err(ProtocolError::Misconfigured(_))));
}

#[test]
fn curve_truncated_and_padded_commands() {
    let malformed =
        |r: &Result<(), ProtocolError>| matches!(r, Err(ProtocolError::MalformedCommand(_)));
    let cut = |frame: usize, len: usize| {
        move |n: usize, body: &mut Vec<u8>| {
            if n == frame {
                body.truncate(len);
            }
        }
    };
    let grow = |frame: usize| {
        move |n: usize, body: &mut Vec<u8>| {
            if n == frame {
                body.push(0);
            }
        }
    };
    for len in [6, 100, 199] {
        let (mut c, mut s, _, _) = curve_pair();
        converse(&mut c, &mut s, &mut cut(0, len), &mut no_hook(), &mut allow);
        assert!(malformed(&s.result), "HELLO {len}: {:?}", s.result);
    }
    let (mut c, mut s, _, _) = curve_pair();
    converse(&mut c, &mut s, &mut grow(0), &mut no_hook(), &mut allow);
    assert!(malformed(&s.result), "HELLO 201: {:?}", s.result);
    for len in [9, 200, 256] {
        let (mut c, mut s, _, _) = curve_pair();
        converse(&mut c, &mut s, &mut cut(1, len), &mut no_hook(), &mut allow);
        assert!(malformed(&s.result), "INITIATE {len}: {:?}", s.result);
    }
    for len in [8, 167] {
        let (mut c, mut s, _, _) = curve_pair();
        converse(&mut c, &mut s, &mut no_hook(), &mut cut(0, len), &mut allow);
        assert!(malformed(&c.result), "WELCOME {len}: {:?}", c.result);
    }
    for len in [6, 29] {
        let (mut c, mut s, _, _) = curve_pair();
        converse(&mut c, &mut s, &mut no_hook(), &mut cut(1, len), &mut allow);
        assert!(malformed(&c.result), "READY {len}: {:?}", c.result);
    }
    let (mut c, mut s, _, _) = curve_pair();
    converse(&mut c, &mut s, &mut cut(2, 32), &mut no_hook(), &mut allow);
    c.s.encode_message(&Msg::new(""), &mut c.out);
    converse(&mut c, &mut s, &mut cut(2, 32), &mut no_hook(), &mut allow);
    assert!(malformed(&s.result), "MESSAGE 32: {:?}", s.result);
    // Empty commands and garbage names never panic.
    for frame in 0..2 {
        let (mut c, mut s, _, _) = curve_pair();
        converse(
            &mut c,
            &mut s,
            &mut cut(frame, 0),
            &mut no_hook(),
            &mut allow,
        );
        assert!(s.result.is_err());
    }
}

#[test]
fn curve_replayed_and_reordered_messages_are_refused() {
    let (mut c, mut s, _, _) = curve_pair();
    converse(&mut c, &mut s, &mut no_hook(), &mut no_hook(), &mut allow);
    c.s.encode_message(&Msg::new("one"), &mut c.out);
    let first = c.drain(&mut no_hook());
    // Delivered once; the same bytes again are refused.
    s.feed(&first, &mut allow);
    assert_eq!(s.messages(), [Msg::new("one")]);
    s.feed(&first, &mut allow);
    assert_eq!(s.result, Err(ProtocolError::InvalidSequence));
    assert_eq!(s.messages().len(), 1);

    // Reordering: the second message first, then the first.
    let (mut c, mut s, _, _) = curve_pair();
    converse(&mut c, &mut s, &mut no_hook(), &mut no_hook(), &mut allow);
    c.s.encode_message(&Msg::new("1"), &mut c.out);
    let one = c.drain(&mut no_hook());
    c.s.encode_message(&Msg::new("2"), &mut c.out);
    let two = c.drain(&mut no_hook());
    s.feed(&two, &mut allow);
    s.feed(&one, &mut allow);
    assert_eq!(s.messages(), [Msg::new("2")]);
    assert_eq!(s.result, Err(ProtocolError::InvalidSequence));

    // A replayed HELLO as the INITIATE is refused as unexpected.
    let (mut c, mut s, _, _) = curve_pair();
    let mut hello = None;
    converse(
        &mut c,
        &mut s,
        &mut |n, body| {
            if n == 0 {
                hello = Some(body.clone());
            } else if n == 1 {
                *body = hello.clone().unwrap();
            }
        },
        &mut no_hook(),
        &mut allow,
    );
    assert!(matches!(s.result, Err(ProtocolError::UnexpectedCommand(_))));
}

#[test]
fn curve_initiate_nonce_must_follow_hello() {
    // An INITIATE whose short nonce is not above HELLO's is refused, even if its box
    // were valid: checked before opening it.
    let (mut c, mut s, _, _) = curve_pair();
    converse(
        &mut c,
        &mut s,
        &mut |n, body| {
            if n == 1 {
                body[105..113].copy_from_slice(&1u64.to_be_bytes());
            }
        },
        &mut no_hook(),
        &mut allow,
    );
    assert_eq!(s.result, Err(ProtocolError::InvalidSequence));
}

fn plain_pair(password: &str) -> (Side, Side) {
    let s = Side::new(
        SocketType::Pull,
        opts(&[(SocketOption::PlainServer, 1.into())]),
    );
    let c = Side::new(
        SocketType::Push,
        opts(&[
            (SocketOption::PlainUsername, z("admin")),
            (SocketOption::PlainPassword, z(password)),
        ]),
    );
    (c, s)
}

fn check_password(req: &ZapRequest) -> Option<ZapReply> {
    let ok = req.credentials == [Bytes::from_static(b"admin"), Bytes::from_static(b"pw")];
    let status = if ok { 200 } else { 400 };
    Some(ZapReply::new(
        req.request_id.clone(),
        status,
        "",
        Bytes::from_static(b"admin"),
    ))
}

#[test]
fn plain_handshake_and_refusals() {
    let (mut c, mut s) = plain_pair("pw");
    converse(
        &mut c,
        &mut s,
        &mut no_hook(),
        &mut no_hook(),
        &mut check_password,
    );
    assert!(c.ready() && s.ready());
    assert_eq!(&s.s.user_id()[..], b"admin");
    assert_eq!(&s.zap_requests[0].mechanism[..], b"PLAIN");
    assert!(!format!("{:?}", s.zap_requests[0]).contains("pw\""));
    c.s.encode_message(&Msg::new("hi"), &mut c.out);
    converse(
        &mut c,
        &mut s,
        &mut no_hook(),
        &mut no_hook(),
        &mut check_password,
    );
    assert_eq!(s.messages(), [Msg::new("hi")]);

    // Wrong password: ERROR 400 (in libzmq's form), the client reports it.
    let (mut c, mut s) = plain_pair("guess");
    converse(
        &mut c,
        &mut s,
        &mut no_hook(),
        &mut no_hook(),
        &mut check_password,
    );
    assert_eq!(s.result, Err(ProtocolError::AuthFailed { status: 400 }));
    assert_eq!(c.result, Err(ProtocolError::PeerError("400".into())));
    assert!(!s.ready() && !c.ready());

    // No ZAP handler: PLAIN cannot check anything and refuses (as libzmq does).
    let (mut c, mut s) = plain_pair("pw");
    converse(
        &mut c,
        &mut s,
        &mut no_hook(),
        &mut no_hook(),
        &mut no_handler,
    );
    assert_eq!(s.result, Err(ProtocolError::NoZapHandler));

    // A client that sends the RFC's ERROR spelling is understood too.
    let (mut c, _) = plain_pair("pw");
    let mut bytes = BytesMut::new();
    bytes.extend_from_slice(&crate::wire::greeting::full_greeting(3, 1, b"PLAIN", true));
    crate::wire::command::encode_error(&mut bytes, "500");
    c.feed(&bytes, &mut allow);
    assert_eq!(c.result, Err(ProtocolError::PeerError("500".into())));
}

#[test]
fn plain_malformed_hello() {
    for hello in [
        &b"\x05HELLO"[..],
        b"\x05HELLO\x05adm",
        b"\x05HELLO\x01a",
        b"\x05HELLO\x01a\x01pp",
    ] {
        let (mut c, mut s) = plain_pair("pw");
        converse(
            &mut c,
            &mut s,
            &mut |n, body| {
                if n == 0 {
                    *body = hello.to_vec();
                }
            },
            &mut no_hook(),
            &mut check_password,
        );
        assert!(
            matches!(s.result, Err(ProtocolError::MalformedCommand(_))),
            "{hello:?}: {:?}",
            s.result
        );
        assert!(s.zap_requests.is_empty());
    }
}

#[test]
fn null_with_zap_domain_waits_for_the_verdict() {
    let server = opts(&[(SocketOption::ZapDomain, z("global"))]);
    let mut s = Side::new(SocketType::Pull, server.clone());
    let mut c = Side::new(SocketType::Push, SecurityOptions::default());
    converse(&mut c, &mut s, &mut no_hook(), &mut no_hook(), &mut allow);
    assert!(c.ready() && s.ready());
    assert_eq!(&s.zap_requests[0].domain[..], b"global");
    assert_eq!(&s.zap_requests[0].mechanism[..], b"NULL");

    let mut s = Side::new(SocketType::Pull, server);
    let mut c = Side::new(SocketType::Push, SecurityOptions::default());
    converse(&mut c, &mut s, &mut no_hook(), &mut no_hook(), &mut |r| {
        Some(ZapReply::new(r.request_id.clone(), 400, "", Bytes::new()))
    });
    assert_eq!(s.result, Err(ProtocolError::AuthFailed { status: 400 }));
    assert_eq!(c.result, Err(ProtocolError::PeerError("400".into())));
    assert!(!c.ready());
}

#[test]
fn mechanisms_must_match() {
    let kp = curve_keypair();
    let mut s = Side::new(SocketType::Pull, curve_server(&kp));
    let mut c = Side::new(SocketType::Push, SecurityOptions::default());
    converse(&mut c, &mut s, &mut no_hook(), &mut no_hook(), &mut allow);
    assert_eq!(
        s.result,
        Err(ProtocolError::UnsupportedMechanism("NULL".into()))
    );
    assert_eq!(
        s.result.as_ref().unwrap_err().monitor_code(),
        Some(monitor_code::ZMTP_MECHANISM_MISMATCH)
    );
}

#[test]
fn secrets_never_printed() {
    let (c, s, client_kp, server_kp) = curve_pair();
    let text = format!("{:?} {:?} {:?}", c.s, s.s, c.s.config());
    assert!(!text.contains(&*client_kp.secret.expose_z85()));
    assert!(!text.contains(&*server_kp.secret.expose_z85()));
    let (c, _) = plain_pair("hunter2");
    assert!(!format!("{:?}", c.s).contains("hunter2"));
    let e = ProtocolError::Crypto("HELLO box does not open");
    assert!(!e.to_string().contains(&*server_kp.secret.expose_z85()));
}
