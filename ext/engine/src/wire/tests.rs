//! Session-level tests: a scripted raw peer, two sessions talking, every split point, and
//! property tests with hostile input.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::command;
use super::frame::{self, FLAG_COMMAND, FLAG_MORE};
use super::greeting::full_greeting;
use super::*;
use crate::{Msg, SocketType};

fn config(t: SocketType) -> SessionConfig {
    SessionConfig::new(t)
}

/// The bytes a well-behaved peer of type `t` speaking 3.`minor` sends up to its READY.
fn peer_hello(t: SocketType, minor: u8, identity: Option<&[u8]>) -> Vec<u8> {
    let mut v = full_greeting(3, minor, b"NULL", false).to_vec();
    let mut ready = BytesMut::new();
    command::encode_ready(&mut ready, t, identity);
    v.extend_from_slice(&ready);
    v
}

fn msg_bytes(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_message_frames(
        &Msg::from_parts(parts.iter().map(|p| Bytes::copy_from_slice(p))),
        &mut out,
    );
    out.to_vec()
}

fn cmd_bytes(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_command(&mut out, name, data);
    out.to_vec()
}

#[derive(Debug, PartialEq)]
struct Run {
    events: Vec<SessionEvent>,
    out: Vec<u8>,
    result: Result<(), ProtocolError>,
    left: Vec<u8>,
}

/// Feeds `chunks` one `receive` call at a time (like socket reads), stopping at the first
/// error.
fn run_chunks<'a>(cfg: SessionConfig, chunks: impl IntoIterator<Item = &'a [u8]>) -> Run {
    let mut s = Session::new(cfg);
    let mut out = BytesMut::new();
    s.start(&mut out);
    let mut input = BytesMut::new();
    let mut events = Vec::new();
    let mut result = Ok(());
    for chunk in chunks {
        input.extend_from_slice(chunk);
        result = s.receive(&mut input, &mut out, &mut |e| events.push(e));
        if result.is_err() {
            break;
        }
        assert!(
            input.len() < s.input_needed(),
            "{} < {}",
            input.len(),
            s.input_needed()
        );
    }
    Run {
        events,
        out: out.to_vec(),
        result,
        left: input.to_vec(),
    }
}

fn run(cfg: SessionConfig, bytes: &[u8]) -> Run {
    run_chunks(cfg, [bytes])
}

fn ready(peer_type: SocketType, minor: u8) -> SessionEvent {
    SessionEvent::Ready {
        peer_type,
        peer_identity: None,
        peer_minor: minor,
    }
}

fn message(parts: &[&[u8]]) -> SessionEvent {
    SessionEvent::Message(Msg::from_parts(
        parts.iter().map(|p| Bytes::copy_from_slice(p)),
    ))
}

/// Our full greeting plus our READY, as a session of type `t` sends them.
fn our_hello(t: SocketType, identity: Option<&[u8]>) -> Vec<u8> {
    let mut v = full_greeting(3, 1, b"NULL", false).to_vec();
    let mut ready = BytesMut::new();
    command::encode_ready(&mut ready, t, identity);
    v.extend_from_slice(&ready);
    v
}

#[test]
fn first_bytes_are_the_signature_only() {
    let mut s = Session::new(config(SocketType::Dealer));
    let mut out = BytesMut::new();
    s.start(&mut out);
    assert_eq!(&out[..], &[0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F]);
    // Nothing from the peer yet: nothing more to say.
    let mut input = BytesMut::new();
    s.receive(&mut input, &mut out, &mut |_| panic!()).unwrap();
    assert_eq!(out.len(), 10);

    // Peer's signature -> our major version; peer's major -> the rest of our greeting.
    let peer = peer_hello(SocketType::Router, 1, None);
    input.extend_from_slice(&peer[..10]);
    s.receive(&mut input, &mut out, &mut |_| panic!()).unwrap();
    assert_eq!(out.len(), 11);
    assert_eq!(out[10], 3);
    input.extend_from_slice(&peer[10..11]);
    s.receive(&mut input, &mut out, &mut |_| panic!()).unwrap();
    assert_eq!(&out[..], &full_greeting(3, 1, b"NULL", false)[..]);
    assert_eq!(s.peer_minor(), None);
    // Rest of the peer's greeting -> our READY (DEALER sends an empty Identity).
    input.extend_from_slice(&peer[11..64]);
    s.receive(&mut input, &mut out, &mut |_| panic!()).unwrap();
    assert_eq!(&out[..], &our_hello(SocketType::Dealer, Some(b""))[..]);
    assert_eq!(s.peer_minor(), Some(1));
    assert!(!s.is_ready());
    // Peer's READY -> Ready.
    input.extend_from_slice(&peer[64..]);
    let mut events = Vec::new();
    s.receive(&mut input, &mut out, &mut |e| events.push(e))
        .unwrap();
    assert_eq!(events, [ready(SocketType::Router, 1)]);
    assert!(s.is_ready());
    assert_eq!(s.peer_type(), Some(SocketType::Router));
    assert!(input.is_empty());
}

#[test]
fn receive_starts_the_greeting_if_start_was_not_called() {
    let mut s = Session::new(config(SocketType::Pull));
    let mut out = BytesMut::new();
    let mut input = BytesMut::from(&peer_hello(SocketType::Push, 1, None)[..]);
    s.receive(&mut input, &mut out, &mut |_| {}).unwrap();
    s.start(&mut out);
    assert_eq!(&out[..], &our_hello(SocketType::Pull, None)[..]);
    assert!(s.is_ready());
}

#[test]
fn handshake_with_30_and_31_peers() {
    for minor in [0u8, 1, 2, 255] {
        let r = run(
            config(SocketType::Pull),
            &peer_hello(SocketType::Push, minor, None),
        );
        assert_eq!(r.result, Ok(()));
        assert_eq!(r.events, [ready(SocketType::Push, minor.min(1))]);
    }
    // A ZMTP 4.x peer is spoken to in 3.1.
    let mut bytes = full_greeting(4, 0, b"NULL", false).to_vec();
    bytes.extend_from_slice(&peer_hello(SocketType::Push, 0, None)[64..]);
    let r = run(config(SocketType::Pull), &bytes);
    assert_eq!(r.events, [ready(SocketType::Push, 1)]);
}

#[test]
fn identities_in_ready() {
    let mut cfg = config(SocketType::Router);
    cfg.identity = Bytes::from_static(b"srv");
    let r = run(cfg, &peer_hello(SocketType::Dealer, 1, Some(b"client-7")));
    assert_eq!(&r.out[..], &our_hello(SocketType::Router, Some(b"srv"))[..]);
    assert_eq!(
        r.events,
        [SessionEvent::Ready {
            peer_type: SocketType::Dealer,
            peer_identity: Some(Bytes::from_static(b"client-7")),
            peer_minor: 1
        }]
    );
    // An empty Identity is reported as none; a PUSH with no identity sends none.
    let r = run(
        config(SocketType::Push),
        &peer_hello(SocketType::Pull, 1, Some(b"")),
    );
    assert_eq!(&r.out[..], &our_hello(SocketType::Push, None)[..]);
    assert_eq!(r.events, [ready(SocketType::Pull, 1)]);
}

#[test]
fn incompatible_unknown_and_missing_socket_types_send_error() {
    let r = run(
        config(SocketType::Pub),
        &peer_hello(SocketType::Push, 1, None),
    );
    let e = ProtocolError::IncompatibleSocketType {
        ours: SocketType::Pub,
        peer: SocketType::Push,
    };
    assert_eq!(r.result, Err(e.clone()));
    assert!(r.events.is_empty());
    let mut expected = our_hello(SocketType::Pub, None);
    expected.extend_from_slice(&cmd_bytes(
        b"ERROR",
        &[&[e.to_string().len() as u8][..], e.to_string().as_bytes()].concat(),
    ));
    assert_eq!(r.out, expected);

    let mut bytes = full_greeting(3, 1, b"NULL", false).to_vec();
    bytes.extend_from_slice(&cmd_bytes(
        b"READY",
        b"\x0bSocket-Type\x00\x00\x00\x05RADIO",
    ));
    let r = run(config(SocketType::Pub), &bytes);
    assert_eq!(
        r.result,
        Err(ProtocolError::UnknownSocketType("RADIO".into()))
    );
    assert!(r.out.ends_with(b"unknown peer socket type \"RADIO\""));

    let mut bytes = full_greeting(3, 1, b"NULL", false).to_vec();
    bytes.extend_from_slice(&cmd_bytes(b"READY", b"\x08Identity\x00\x00\x00\x00"));
    let r = run(config(SocketType::Pub), &bytes);
    assert_eq!(r.result, Err(ProtocolError::MissingSocketType));

    let mut bytes = full_greeting(3, 1, b"NULL", false).to_vec();
    bytes.extend_from_slice(&cmd_bytes(b"READY", b"\x0bSocket-Type\x00\x00\x00\x09SUB"));
    let r = run(config(SocketType::Pub), &bytes);
    assert!(matches!(r.result, Err(ProtocolError::MalformedCommand(_))));
}

#[test]
fn handshake_sequencing_errors() {
    let greeting = full_greeting(3, 1, b"NULL", false).to_vec();
    // ERROR from the peer.
    let r = run(
        config(SocketType::Sub),
        &[&greeting[..], &cmd_bytes(b"ERROR", b"\x06denied")].concat(),
    );
    assert_eq!(r.result, Err(ProtocolError::PeerError("denied".into())));
    // Any other command first.
    let r = run(
        config(SocketType::Sub),
        &[&greeting[..], &cmd_bytes(b"PING", b"\x00\x00")].concat(),
    );
    assert_eq!(
        r.result,
        Err(ProtocolError::UnexpectedCommand("PING".into()))
    );
    // A message frame first: refused from its header, before its body arrives.
    let r = run(
        config(SocketType::Sub),
        &[&greeting[..], &[0x00, 200][..]].concat(),
    );
    assert_eq!(r.result, Err(ProtocolError::UnexpectedMessage));
    // A huge READY is refused from its header.
    let r = run(
        config(SocketType::Sub),
        &[&greeting[..], &[0x06, 0, 0, 0, 1, 0, 0, 0, 0][..]].concat(),
    );
    assert_eq!(
        r.result,
        Err(ProtocolError::FrameTooLarge {
            size: 1 << 32,
            limit: MAX_HANDSHAKE_COMMAND
        })
    );
    // Another mechanism.
    let r = run(
        config(SocketType::Sub),
        &full_greeting(3, 1, b"CURVE", true),
    );
    assert_eq!(
        r.result,
        Err(ProtocolError::UnsupportedMechanism("CURVE".into()))
    );
    // Not ZMTP at all.
    let r = run(config(SocketType::Sub), b"GET / HTTP/1.1\r\n");
    assert_eq!(r.result, Err(ProtocolError::BadSignature));
    assert_eq!(r.out.len(), 10);
}

#[test]
fn short_long_and_multipart_messages() {
    let big = vec![b'x'; 300];
    let mut bytes = peer_hello(SocketType::Push, 1, None);
    bytes.extend_from_slice(&msg_bytes(&[b"hello"]));
    bytes.extend_from_slice(&msg_bytes(&[b"a", b"", &big, b"z"]));
    bytes.extend_from_slice(&msg_bytes(&[b""]));
    // A long frame carrying a small body is legal too.
    bytes.extend_from_slice(&[0x02, 0, 0, 0, 0, 0, 0, 0, 2, b'o', b'k']);
    let r = run(config(SocketType::Pull), &bytes);
    assert_eq!(r.result, Ok(()));
    assert_eq!(
        r.events,
        [
            ready(SocketType::Push, 1),
            message(&[b"hello"]),
            message(&[b"a", b"", &big, b"z"]),
            message(&[b""]),
            message(&[b"ok"]),
        ]
    );
}

#[test]
fn encoding_frames() {
    let s = Session::new(config(SocketType::Push));
    let mut out = BytesMut::new();
    s.encode_message(&Msg::from_parts(["ab", ""]), &mut out);
    assert_eq!(&out[..], b"\x01\x02ab\x00\x00");
    out.clear();
    let big = Bytes::from(vec![1u8; 70_000]);
    s.encode_message(&Msg::new(big.clone()), &mut out);
    assert_eq!(&out[..9], &[0x02, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    assert_eq!(&out[9..], &big[..]);
}

#[test]
fn partial_frames_wait_and_bodies_are_zero_copy() {
    let mut s = Session::new(config(SocketType::Pull));
    let mut out = BytesMut::new();
    let mut input = BytesMut::from(&peer_hello(SocketType::Push, 1, None)[..]);
    s.receive(&mut input, &mut out, &mut |_| {}).unwrap();
    assert!(input.is_empty());

    let mut body = vec![b'q'; 1000];
    body[0] = b'!';
    let wire = msg_bytes(&[&body]);
    input.extend_from_slice(&wire[..500]);
    s.receive(&mut input, &mut out, &mut |_| panic!("incomplete"))
        .unwrap();
    assert_eq!(input.len(), 500, "the incomplete frame stays in input");
    assert_eq!(s.input_needed(), 9 + 1000);
    input.extend_from_slice(&wire[500..]);
    let base = input.as_ptr() as usize;
    let mut got = None;
    s.receive(&mut input, &mut out, &mut |e| got = Some(e))
        .unwrap();
    let Some(SessionEvent::Message(m)) = got else {
        panic!()
    };
    assert_eq!(&m.first()[..], &body[..]);
    assert_eq!(
        m.first().as_ptr() as usize,
        base + 9,
        "body shares the input buffer"
    );
    assert!(input.is_empty());
    assert_eq!(s.input_needed(), 2);
}

#[test]
fn maxmsgsize_rejects_from_the_header() {
    let mut cfg = config(SocketType::Pull);
    cfg.maxmsgsize = Some(100);
    let mut bytes = peer_hello(SocketType::Push, 1, None);
    bytes.extend_from_slice(&msg_bytes(&[&[0u8; 100]]));
    // Only the header of a 101-octet frame: rejected without waiting for the body.
    bytes.extend_from_slice(&[0x00, 101]);
    let r = run(cfg.clone(), &bytes);
    assert_eq!(r.events.len(), 2);
    assert_eq!(
        r.result,
        Err(ProtocolError::FrameTooLarge {
            size: 101,
            limit: 100
        })
    );
    assert_eq!(r.result.as_ref().unwrap_err().errno(), libc::EMSGSIZE);

    // A long header announcing an absurd size: no allocation, immediate error.
    let mut bytes = peer_hello(SocketType::Push, 1, None);
    bytes.extend_from_slice(&[0x03, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    let r = run(cfg.clone(), &bytes);
    assert!(matches!(
        r.result,
        Err(ProtocolError::FrameTooLarge { limit: 100, .. })
    ));
    // Without maxmsgsize it is simply waited for (input_needed says how much).
    let mut s = Session::new(config(SocketType::Pull));
    let mut input = BytesMut::from(&bytes[..]);
    s.receive(&mut input, &mut BytesMut::new(), &mut |_| {})
        .unwrap();
    assert_eq!(input.len(), 9);
    assert!(s.input_needed() as u64 >= frame::MAX_FRAME_SIZE);
    // The top bit set is never valid.
    let mut bytes = peer_hello(SocketType::Push, 1, None);
    bytes.extend_from_slice(&[0x02, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    let r = run(config(SocketType::Pull), &bytes);
    assert!(matches!(r.result, Err(ProtocolError::FrameTooLarge { .. })));

    // Short commands always pass; long ones obey maxmsgsize.
    let mut cfg = config(SocketType::Pub);
    cfg.maxmsgsize = Some(0);
    let mut bytes = peer_hello(SocketType::Sub, 1, None);
    bytes.extend_from_slice(&cmd_bytes(b"PING", b"\x00\x01"));
    bytes.extend_from_slice(&cmd_bytes(b"SUBSCRIBE", &[b't'; 300]));
    let r = run(cfg, &bytes);
    assert_eq!(r.events.len(), 2);
    assert!(matches!(
        r.result,
        Err(ProtocolError::FrameTooLarge {
            size: 310,
            limit: 255
        })
    ));
}

#[test]
fn ping_pong() {
    let mut bytes = peer_hello(SocketType::Router, 1, None);
    bytes.extend_from_slice(&cmd_bytes(b"PING", b"\x00\x32hello"));
    bytes.extend_from_slice(&cmd_bytes(b"PONG", b"whatever"));
    // A context longer than 16 octets is cut to 16 in the PONG.
    bytes.extend_from_slice(&cmd_bytes(b"PING", b"\xFF\xFF0123456789abcdefXYZ"));
    let r = run(config(SocketType::Dealer), &bytes);
    assert_eq!(r.result, Ok(()));
    assert_eq!(
        r.events,
        [
            ready(SocketType::Router, 1),
            SessionEvent::Ping { ttl_ms: 5000 },
            SessionEvent::Pong,
            SessionEvent::Ping { ttl_ms: 6_553_500 },
        ]
    );
    let hello_len = our_hello(SocketType::Dealer, Some(b"")).len();
    let mut pongs = cmd_bytes(b"PONG", b"hello");
    pongs.extend_from_slice(&cmd_bytes(b"PONG", b"0123456789abcdef"));
    assert_eq!(&r.out[hello_len..], &pongs[..]);

    // A PING without its TTL is malformed.
    let mut bytes = peer_hello(SocketType::Router, 1, None);
    bytes.extend_from_slice(&cmd_bytes(b"PING", b"\x01"));
    let r = run(config(SocketType::Dealer), &bytes);
    assert!(matches!(r.result, Err(ProtocolError::MalformedCommand(_))));

    // Our PINGs: milliseconds to deciseconds.
    let s = Session::new(config(SocketType::Dealer));
    let mut out = BytesMut::new();
    s.encode_ping(&mut out, 5099, b"ctx");
    assert_eq!(&out[..], &cmd_bytes(b"PING", b"\x00\x32ctx")[..]);
    out.clear();
    s.encode_ping(&mut out, u32::MAX, &[7; 40]);
    assert_eq!(
        &out[..],
        &cmd_bytes(b"PING", &[&[0xFF, 0xFF][..], &[7; 16]].concat())[..]
    );
}

#[test]
fn subscriptions_arrive_as_messages_on_publishers() {
    for pub_type in [SocketType::Pub, SocketType::XPub] {
        let mut bytes = peer_hello(SocketType::Sub, 1, None);
        bytes.extend_from_slice(&cmd_bytes(b"SUBSCRIBE", b"topic"));
        bytes.extend_from_slice(&cmd_bytes(b"CANCEL", b"topic"));
        bytes.extend_from_slice(&cmd_bytes(b"SUBSCRIBE", b""));
        // A 3.0-style subscription message looks the same.
        bytes.extend_from_slice(&msg_bytes(&[b"\x01old"]));
        let r = run(config(pub_type), &bytes);
        assert_eq!(r.result, Ok(()));
        assert_eq!(
            r.events,
            [
                ready(SocketType::Sub, 1),
                message(&[b"\x01topic"]),
                message(&[b"\x00topic"]),
                message(&[b"\x01"]),
                message(&[b"\x01old"]),
            ]
        );
    }
    // Anywhere else they are ignored, like other unknown commands.
    let mut bytes = peer_hello(SocketType::Pub, 1, None);
    bytes.extend_from_slice(&cmd_bytes(b"SUBSCRIBE", b"topic"));
    bytes.extend_from_slice(&cmd_bytes(b"JOIN", b"group"));
    bytes.extend_from_slice(&msg_bytes(&[b"news"]));
    let r = run(config(SocketType::Sub), &bytes);
    assert_eq!(r.events, [ready(SocketType::Pub, 1), message(&[b"news"])]);
}

fn handshaken(t: SocketType, peer: SocketType, minor: u8) -> Session {
    let mut s = Session::new(config(t));
    let mut input = BytesMut::from(&peer_hello(peer, minor, None)[..]);
    s.receive(&mut input, &mut BytesMut::new(), &mut |_| {})
        .unwrap();
    assert!(s.is_ready());
    s
}

#[test]
fn subscribers_send_commands_to_31_peers_only() {
    let sub = Msg::new(Bytes::from_static(b"\x01topic"));
    let cancel = Msg::new(Bytes::from_static(b"\x00topic"));
    let plain = Msg::new(Bytes::from_static(b"\x02topic"));
    let multi = Msg::from_parts(["\x01topic", "x"]);
    for t in [SocketType::Sub, SocketType::XSub] {
        let s = handshaken(t, SocketType::Pub, 1);
        let mut out = BytesMut::new();
        s.encode_message(&sub, &mut out);
        s.encode_message(&cancel, &mut out);
        s.encode_message(&plain, &mut out);
        s.encode_message(&multi, &mut out);
        let expected = [
            cmd_bytes(b"SUBSCRIBE", b"topic"),
            cmd_bytes(b"CANCEL", b"topic"),
            msg_bytes(&[b"\x02topic"]),
            msg_bytes(&[b"\x01topic", b"x"]),
        ]
        .concat();
        assert_eq!(&out[..], &expected[..]);

        let s = handshaken(t, SocketType::XPub, 0);
        let mut out = BytesMut::new();
        s.encode_message(&sub, &mut out);
        s.encode_message(&cancel, &mut out);
        assert_eq!(
            &out[..],
            &[msg_bytes(&[b"\x01topic"]), msg_bytes(&[b"\x00topic"])].concat()[..]
        );
    }
    // Not a subscriber: never converted.
    let s = handshaken(SocketType::Pub, SocketType::Sub, 1);
    let mut out = BytesMut::new();
    s.encode_message(&sub, &mut out);
    assert_eq!(&out[..], &msg_bytes(&[b"\x01topic"])[..]);
    // Before the handshake: the 3.0 form.
    let s = Session::new(config(SocketType::Sub));
    let mut out = BytesMut::new();
    s.encode_message(&sub, &mut out);
    assert_eq!(&out[..], &msg_bytes(&[b"\x01topic"])[..]);
}

#[test]
fn traffic_errors() {
    type Check = fn(&ProtocolError) -> bool;
    let cases: Vec<(Vec<u8>, Check)> = vec![
        (
            cmd_bytes(b"READY", b"\x0bSocket-Type\x00\x00\x00\x04PUSH"),
            |e| *e == ProtocolError::UnexpectedCommand("READY".into()),
        ),
        (cmd_bytes(b"ERROR", b"\x03bye"), |e| {
            *e == ProtocolError::PeerError("bye".into())
        }),
        (vec![0x05, 0x00], |e| *e == ProtocolError::CommandWithMore),
        (vec![0x08, 0x00], |e| {
            *e == ProtocolError::ReservedFlags(0x08)
        }),
        (vec![0x04, 0x00], |e| {
            matches!(e, ProtocolError::MalformedCommand(_))
        }),
        (vec![0x04, 0x03, 0x05, b'P', b'I'], |e| {
            matches!(e, ProtocolError::MalformedCommand(_))
        }),
    ];
    for (tail, check) in cases {
        let mut bytes = peer_hello(SocketType::Push, 1, None);
        bytes.extend_from_slice(&msg_bytes(&[b"first"]));
        bytes.extend_from_slice(&tail);
        bytes.extend_from_slice(&msg_bytes(&[b"never"]));
        let mut s = Session::new(config(SocketType::Pull));
        let mut input = BytesMut::from(&bytes[..]);
        let mut events = Vec::new();
        let err = s
            .receive(&mut input, &mut BytesMut::new(), &mut |e| events.push(e))
            .unwrap_err();
        assert!(check(&err), "{tail:?}: {err:?}");
        assert_eq!(events.len(), 2, "{tail:?}");
        assert!(s.is_failed() && !s.is_ready());
        // Sticky: later calls fail the same way and emit nothing.
        let again = s.receive(&mut input, &mut BytesMut::new(), &mut |_| panic!());
        assert_eq!(again, Err(err));
    }
}

#[test]
fn commands_between_frames_of_a_message_are_handled() {
    let mut bytes = peer_hello(SocketType::Push, 1, None);
    bytes.extend_from_slice(&msg_bytes(&[b"a", b"b"])[..3]); // "a" with MORE
    bytes.extend_from_slice(&cmd_bytes(b"PING", b"\x00\x00"));
    bytes.extend_from_slice(&[0x00, 1, b'b']);
    let r = run(config(SocketType::Pull), &bytes);
    assert_eq!(
        r.events,
        [
            ready(SocketType::Push, 1),
            SessionEvent::Ping { ttl_ms: 0 },
            message(&[b"a", b"b"])
        ]
    );
}

/// A conversation exercising everything, as a 3.1 ROUTER peer would send it to a DEALER.
fn rich_stream() -> Vec<u8> {
    let mut bytes = peer_hello(SocketType::Router, 1, Some(b"peer"));
    bytes.extend_from_slice(&msg_bytes(&[b"", b"hello"]));
    bytes.extend_from_slice(&cmd_bytes(b"PING", b"\x00\x0actx"));
    bytes.extend_from_slice(&msg_bytes(&[&[b'L'; 256], b"", &[b'S'; 255]]));
    bytes.extend_from_slice(&cmd_bytes(b"PONG", b""));
    bytes.extend_from_slice(&cmd_bytes(b"X-UNKNOWN", b"data"));
    bytes.extend_from_slice(&msg_bytes(&[b"last"]));
    bytes
}

#[test]
fn every_split_point_gives_the_same_events_and_output() {
    let bytes = rich_stream();
    let whole = run(config(SocketType::Dealer), &bytes);
    assert_eq!(whole.result, Ok(()));
    assert_eq!(whole.events.len(), 6);
    assert!(whole.left.is_empty());
    for cut in 0..=bytes.len() {
        let r = run_chunks(config(SocketType::Dealer), [&bytes[..cut], &bytes[cut..]]);
        assert_eq!(r, whole, "split at {cut}");
    }
    let r = run_chunks(config(SocketType::Dealer), bytes.chunks(1));
    assert_eq!(r, whole, "byte by byte");
    for size in [2, 3, 7, 63, 64, 65, 100] {
        assert_eq!(
            run_chunks(config(SocketType::Dealer), bytes.chunks(size)),
            whole
        );
    }
}

/// Moves bytes between two sessions until neither has anything left to say.
fn pump(
    a: &mut Session,
    b: &mut Session,
    a_out: &mut BytesMut,
    b_out: &mut BytesMut,
    a_events: &mut Vec<SessionEvent>,
    b_events: &mut Vec<SessionEvent>,
) {
    let (mut a_in, mut b_in) = (BytesMut::new(), BytesMut::new());
    while !a_out.is_empty() || !b_out.is_empty() {
        b_in.extend_from_slice(&a_out.split());
        a_in.extend_from_slice(&b_out.split());
        a.receive(&mut a_in, a_out, &mut |e| a_events.push(e))
            .unwrap();
        b.receive(&mut b_in, b_out, &mut |e| b_events.push(e))
            .unwrap();
    }
    assert!(a_in.is_empty() && b_in.is_empty());
}

#[test]
fn two_sessions_talk() {
    let mut cfg_a = config(SocketType::Dealer);
    cfg_a.identity = Bytes::from_static(b"dealer-1");
    let mut a = Session::new(cfg_a);
    let mut b = Session::new(config(SocketType::Router));
    let (mut a_out, mut b_out) = (BytesMut::new(), BytesMut::new());
    let (mut a_ev, mut b_ev) = (Vec::new(), Vec::new());
    a.start(&mut a_out);
    b.start(&mut b_out);
    pump(&mut a, &mut b, &mut a_out, &mut b_out, &mut a_ev, &mut b_ev);
    assert_eq!(a_ev, [ready(SocketType::Router, 1)]);
    assert_eq!(
        b_ev,
        [SessionEvent::Ready {
            peer_type: SocketType::Dealer,
            peer_identity: Some(Bytes::from_static(b"dealer-1")),
            peer_minor: 1
        }]
    );
    a_ev.clear();
    b_ev.clear();

    let big = Bytes::from(vec![0xAB; 100_000]);
    a.encode_message(&Msg::from_parts([Bytes::new(), big.clone()]), &mut a_out);
    a.encode_ping(&mut a_out, 3000, b"hb");
    b.encode_message(&Msg::new("reply"), &mut b_out);
    pump(&mut a, &mut b, &mut a_out, &mut b_out, &mut a_ev, &mut b_ev);
    assert_eq!(
        b_ev,
        [
            SessionEvent::Message(Msg::from_parts([Bytes::new(), big])),
            SessionEvent::Ping { ttl_ms: 3000 }
        ]
    );
    assert_eq!(a_ev, [message(&[b"reply"]), SessionEvent::Pong]);
}

#[test]
fn pub_sub_sessions_exchange_subscriptions() {
    let mut s = Session::new(config(SocketType::Sub));
    let mut p = Session::new(config(SocketType::XPub));
    let (mut s_out, mut p_out) = (BytesMut::new(), BytesMut::new());
    let (mut s_ev, mut p_ev) = (Vec::new(), Vec::new());
    s.start(&mut s_out);
    p.start(&mut p_out);
    pump(&mut s, &mut p, &mut s_out, &mut p_out, &mut s_ev, &mut p_ev);
    s.encode_message(&Msg::new("\x01news"), &mut s_out);
    // The SUBSCRIBE went out as a command.
    assert_eq!(&s_out[..], &cmd_bytes(b"SUBSCRIBE", b"news")[..]);
    s.encode_message(&Msg::new("\x00news"), &mut s_out);
    p.encode_message(&Msg::new("news: hi"), &mut p_out);
    pump(&mut s, &mut p, &mut s_out, &mut p_out, &mut s_ev, &mut p_ev);
    assert_eq!(
        p_ev,
        [
            ready(SocketType::Sub, 1),
            message(&[b"\x01news"]),
            message(&[b"\x00news"])
        ]
    );
    assert_eq!(s_ev, [ready(SocketType::XPub, 1), message(&[b"news: hi"])]);
}

#[test]
fn incompatible_sessions_both_fail() {
    let mut a = Session::new(config(SocketType::Req));
    let mut b = Session::new(config(SocketType::Req));
    let (mut a_out, mut b_out) = (BytesMut::new(), BytesMut::new());
    a.start(&mut a_out);
    b.start(&mut b_out);
    let (mut a_in, mut b_in) = (BytesMut::new(), BytesMut::new());
    let mut failures = 0;
    for _ in 0..10 {
        b_in.extend_from_slice(&a_out.split());
        a_in.extend_from_slice(&b_out.split());
        failures += usize::from(a.receive(&mut a_in, &mut a_out, &mut |_| panic!()).is_err());
        failures += usize::from(b.receive(&mut b_in, &mut b_out, &mut |_| panic!()).is_err());
    }
    assert!(a.is_failed() && b.is_failed());
    assert!(failures >= 2);
}

// ---- property tests --------------------------------------------------------------

/// Feeds `bytes` in the given chunk sizes; checks the buffering bound after every call.
/// Returns the events and the error, if any.
fn feed_checked(
    cfg: SessionConfig,
    bytes: &[u8],
    chunk_sizes: &[usize],
) -> (Vec<SessionEvent>, Option<ProtocolError>) {
    let limit = cfg.maxmsgsize;
    let mut s = Session::new(cfg);
    let mut out = BytesMut::new();
    s.start(&mut out);
    let mut input = BytesMut::new();
    let mut events = Vec::new();
    let mut fed = 0usize;
    let mut sizes = chunk_sizes.iter().cycle();
    while fed < bytes.len() {
        let n = (*sizes.next().unwrap()).clamp(1, bytes.len() - fed);
        input.extend_from_slice(&bytes[fed..fed + n]);
        fed += n;
        match s.receive(&mut input, &mut out, &mut |e| events.push(e)) {
            Ok(()) => {
                // Whatever stays in `input` is less than what the session waits for...
                assert!(input.len() < s.input_needed());
                // ...and that is bounded: by the handshake command limit before READY,
                // and by maxmsgsize (or 255 for short commands) after it.
                if !s.is_ready() {
                    assert!(input.len() <= 9 + MAX_HANDSHAKE_COMMAND as usize);
                } else if let Some(m) = limit {
                    assert!(input.len() <= 9 + (m as usize).max(255));
                }
                // Partial multipart messages cost at least two wire octets a frame.
                assert!(s.partial_frames() <= fed / 2);
                // Output stays proportional to input (greeting, READY, a PONG per PING).
                assert!(out.len() <= 512 + 4 * fed);
            }
            Err(e) => return (events, Some(e)),
        }
    }
    (events, None)
}

fn session_types() -> impl Strategy<Value = SocketType> {
    prop::sample::select(SocketType::ALL.to_vec())
}

proptest! {
    // No regression files: this crate's tree is shared; failures print their seed.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        chunks in prop::collection::vec(1usize..80, 1..8),
        t in session_types(),
        max in prop::option::of(0u64..1024),
    ) {
        let mut cfg = config(t);
        cfg.maxmsgsize = max;
        feed_checked(cfg, &bytes, &chunks);
    }

    #[test]
    fn random_bytes_after_a_valid_handshake_never_panic(
        tail in prop::collection::vec(any::<u8>(), 0..2048),
        chunks in prop::collection::vec(1usize..80, 1..8),
        minor in 0u8..2,
        max in prop::option::of(0u64..1024),
    ) {
        let mut bytes = peer_hello(SocketType::Sub, minor, Some(b"id"));
        bytes.extend_from_slice(&tail);
        let mut cfg = config(SocketType::XPub);
        cfg.maxmsgsize = max;
        let (events, _) = feed_checked(cfg, &bytes, &chunks);
        prop_assert_eq!(
            &events[0],
            &SessionEvent::Ready {
                peer_type: SocketType::Sub,
                peer_identity: Some(Bytes::from_static(b"id")),
                peer_minor: minor,
            }
        );
    }

    #[test]
    fn mutated_streams_never_panic(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        chunks in prop::collection::vec(1usize..80, 1..8),
        max in prop::option::of(0u64..600),
    ) {
        let mut bytes = rich_stream();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let keep = cut.index(bytes.len() + 1);
        let mut cfg = config(SocketType::Dealer);
        cfg.maxmsgsize = max;
        feed_checked(cfg, &bytes[..keep], &chunks);
    }

    #[test]
    fn chunking_never_changes_the_outcome(
        chunks in prop::collection::vec(1usize..200, 1..8),
    ) {
        let bytes = rich_stream();
        let whole = feed_checked(config(SocketType::Dealer), &bytes, &[bytes.len()]);
        let chunked = feed_checked(config(SocketType::Dealer), &bytes, &chunks);
        prop_assert_eq!(whole, chunked);
    }

    #[test]
    fn messages_round_trip(
        msgs in prop::collection::vec(
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..400), 1..5),
            1..6,
        ),
    ) {
        let s = handshaken(SocketType::Push, SocketType::Pull, 1);
        let mut wire = BytesMut::new();
        let msgs: Vec<Msg> = msgs.into_iter().map(Msg::from_parts).collect();
        for m in &msgs {
            s.encode_message(m, &mut wire);
        }
        let mut bytes = peer_hello(SocketType::Push, 1, None);
        bytes.extend_from_slice(&wire);
        let (events, err) = feed_checked(config(SocketType::Pull), &bytes, &[37]);
        prop_assert_eq!(err, None);
        let got: Vec<Msg> = events
            .into_iter()
            .skip(1)
            .map(|e| match e {
                SessionEvent::Message(m) => m,
                other => panic!("{other:?}"),
            })
            .collect();
        prop_assert_eq!(got, msgs);
    }
}

#[test]
fn frame_flag_constants_match_the_rfc() {
    assert_eq!((FLAG_MORE, frame::FLAG_LONG, FLAG_COMMAND), (1, 2, 4));
}
