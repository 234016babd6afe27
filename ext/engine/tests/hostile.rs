//! Hostile and broken peers, spoken to over a raw `std::net::TcpStream` with
//! hand-written ZMTP 3.1 bytes: each must be dropped, and the socket must keep serving a
//! well-behaved peer meanwhile and afterwards.

mod common;

use common::*;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};
use zmq_engine::{Context, Socket, SocketOption, SocketType};

// ---------------------------------------------------------------------------------
// Raw ZMTP, written out by hand (independently of the engine's codec)

/// A ZMTP 3.1 greeting: signature, version 3.1, the given mechanism, as-server 0.
fn greeting(mechanism: &[u8]) -> Vec<u8> {
    let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 1];
    let mut mech = [0u8; 20];
    mech[..mechanism.len()].copy_from_slice(mechanism);
    g.extend_from_slice(&mech);
    g.push(0);
    g.extend_from_slice(&[0u8; 31]);
    assert_eq!(g.len(), 64);
    g
}

/// A command frame (short form) with the given name and data.
fn command(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(data);
    assert!(body.len() <= 255);
    let mut f = vec![0x04, body.len() as u8];
    f.extend_from_slice(&body);
    f
}

/// READY with a Socket-Type property.
fn ready(socket_type: &str) -> Vec<u8> {
    let mut props = vec![11u8];
    props.extend_from_slice(b"Socket-Type");
    props.extend_from_slice(&(socket_type.len() as u32).to_be_bytes());
    props.extend_from_slice(socket_type.as_bytes());
    command(b"READY", &props)
}

/// A message frame (short or long form as needed).
fn frame(body: &[u8], more: bool) -> Vec<u8> {
    let more = more as u8;
    let mut f = if body.len() <= 255 {
        vec![more, body.len() as u8]
    } else {
        let mut h = vec![more | 0x02];
        h.extend_from_slice(&(body.len() as u64).to_be_bytes());
        h
    };
    f.extend_from_slice(body);
    f
}

fn raw_connect(ep: &str) -> TcpStream {
    let addr = ep.strip_prefix("tcp://").unwrap();
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Reads exactly `n` bytes within the patience deadline.
fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    let mut got = 0;
    let deadline = Instant::now() + PATIENCE;
    while got < n {
        match s.read(&mut buf[got..]) {
            Ok(0) => panic!("peer closed after {got} of {n} bytes"),
            Ok(k) => got += k,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                assert!(Instant::now() < deadline, "only {got} of {n} bytes arrived");
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    buf
}

/// Reads one frame; returns (flags, body).
fn read_frame(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let flags = read_n(s, 1)[0];
    let size = if flags & 0x02 != 0 {
        u64::from_be_bytes(read_n(s, 8).try_into().unwrap()) as usize
    } else {
        read_n(s, 1)[0] as usize
    };
    (flags, read_n(s, size))
}

/// A full NULL handshake as `socket_type`; returns the connected stream.
fn handshake(ep: &str, socket_type: &str) -> TcpStream {
    let mut s = raw_connect(ep);
    let mut hello = greeting(b"NULL");
    hello.extend_from_slice(&ready(socket_type));
    s.write_all(&hello).unwrap();
    let theirs = read_n(&mut s, 64);
    assert_eq!(theirs[0], 0xFF, "engine greeting signature");
    assert_eq!(theirs[10], 3, "engine speaks ZMTP 3");
    assert_eq!(&theirs[12..16], b"NULL");
    let (flags, body) = read_frame(&mut s);
    assert_eq!(flags & 0x04, 0x04, "a command");
    assert_eq!(&body[..6], b"\x05READY");
    s
}

/// Asserts the engine closes the connection (EOF or reset) within the deadline,
/// discarding whatever it sends first (its greeting, an ERROR command).
fn assert_dropped(mut s: TcpStream, what: &str) -> Vec<u8> {
    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return seen,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                assert!(
                    Instant::now() < deadline,
                    "{what}: the engine kept the connection open"
                );
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return seen,
            Err(e) => panic!("{what}: read: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------------
// The fixture: a PULL on tcp with a well-behaved PUSH connected

struct Fixture {
    ctx: Context,
    pull: Socket,
    good: Socket,
    ep: String,
    sent: usize,
}

impl Fixture {
    fn new(configure: impl FnOnce(&Socket)) -> Fixture {
        let ctx = Context::new();
        let pull = sock(&ctx, SocketType::Pull);
        configure(&pull);
        let ep = pull.bind("tcp://127.0.0.1:*").unwrap();
        let good = sock(&ctx, SocketType::Push);
        good.connect(&ep).unwrap();
        let mut f = Fixture {
            ctx,
            pull,
            good,
            ep,
            sent: 0,
        };
        f.good_peer_served("before");
        f
    }

    /// The good peer's messages get through, and only they do.
    fn good_peer_served(&mut self, when: &str) {
        for _ in 0..3 {
            let body = format!("good {}", self.sent);
            self.sent += 1;
            send(&self.good, &body);
            let got = self
                .pull
                .recv(false)
                .unwrap_or_else(|e| panic!("{when}: good peer starved: {e}"));
            assert_eq!(text(&got), body, "{when}");
        }
    }

    fn finish(mut self) {
        self.good_peer_served("after the hostile peer");
        expect_nothing(&self.pull, "nothing from the hostile peer");
        self.ctx.terminate();
    }
}

// ---------------------------------------------------------------------------------
// Scenarios

#[test]
fn garbage_instead_of_a_greeting() {
    bounded(20, || {
        let mut f = Fixture::new(|_| {});
        let mut s = raw_connect(&f.ep);
        s.write_all(b"GET / HTTP/1.1\r\nHost: example\r\n\r\n")
            .unwrap();
        assert_dropped(s, "HTTP request");
        f.good_peer_served("after HTTP");

        let mut s = raw_connect(&f.ep);
        let junk: Vec<u8> = (0..200u32).map(|i| (i * 37 % 256) as u8).collect();
        s.write_all(&junk).unwrap();
        assert_dropped(s, "binary junk");
        f.good_peer_served("after junk");

        // A well-formed greeting for a mechanism the socket does not use.
        let mut s = raw_connect(&f.ep);
        s.write_all(&greeting(b"BOGUS")).unwrap();
        assert_dropped(s, "unknown mechanism");
        f.finish();
    });
}

#[test]
fn oversized_frame_header_is_refused_before_the_body() {
    bounded(20, || {
        let mut f = Fixture::new(|s| {
            s.set_option(SocketOption::MaxMsgSize, 1024i64).unwrap();
        });
        // Announces 1 TiB: refused from the header alone (nothing is buffered).
        let mut s = handshake(&f.ep, "PUSH");
        let mut header = vec![0x02];
        header.extend_from_slice(&(1u64 << 40).to_be_bytes());
        s.write_all(&header).unwrap();
        assert_dropped(s, "1 TiB frame header");
        f.good_peer_served("after the huge header");

        // A real frame just over the limit, after one within it.
        let mut s = handshake(&f.ep, "PUSH");
        s.write_all(&frame(&[b'k'; 1024], false)).unwrap();
        s.write_all(&frame(&[b'x'; 1025], false)).unwrap();
        let got = f.pull.recv(false).unwrap();
        assert_eq!(got.byte_len(), 1024, "the frame at the limit is delivered");
        assert_dropped(s, "frame over maxmsgsize");
        f.finish();
    });
}

#[test]
fn truncated_stream_delivers_nothing_partial() {
    bounded(20, || {
        let mut f = Fixture::new(|_| {});
        let mut s = handshake(&f.ep, "PUSH");
        // One whole message, then half of a multipart message, then half a frame.
        s.write_all(&frame(b"raw whole", false)).unwrap();
        s.write_all(&frame(b"part one", true)).unwrap();
        let mut cut = frame(&[b'z'; 100], false);
        cut.truncate(20);
        s.write_all(&cut).unwrap();
        assert_eq!(recv_str(&f.pull), "raw whole");
        s.shutdown(Shutdown::Write).unwrap();
        assert_dropped(s, "truncated stream");
        f.good_peer_served("after the truncated stream");

        // Cut inside the greeting, then closed outright.
        let mut s = raw_connect(&f.ep);
        s.write_all(&greeting(b"NULL")[..30]).unwrap();
        drop(s);
        f.finish();
    });
}

#[test]
fn commands_in_the_wrong_state() {
    bounded(20, || {
        let mut f = Fixture::new(|_| {});
        // A message before READY.
        let mut s = raw_connect(&f.ep);
        s.write_all(&greeting(b"NULL")).unwrap();
        s.write_all(&frame(b"too early", false)).unwrap();
        assert_dropped(s, "message before READY");
        f.good_peer_served("after the early message");

        // Another command before READY.
        let mut s = raw_connect(&f.ep);
        s.write_all(&greeting(b"NULL")).unwrap();
        s.write_all(&command(b"PING", b"\x00\x0a")).unwrap();
        assert_dropped(s, "PING before READY");
        f.good_peer_served("after the early PING");

        // READY twice.
        let mut s = handshake(&f.ep, "PUSH");
        s.write_all(&frame(b"raw ok", false)).unwrap();
        assert_eq!(recv_str(&f.pull), "raw ok");
        s.write_all(&ready("PUSH")).unwrap();
        assert_dropped(s, "second READY");
        f.good_peer_served("after the second READY");

        // A command with the MORE flag (invalid framing).
        let mut s = handshake(&f.ep, "PUSH");
        s.write_all(&[0x05, 0x05, 0x04, b'P', b'I', b'N', b'G'])
            .unwrap();
        assert_dropped(s, "command with MORE");
        f.good_peer_served("after the bad flags");

        // A socket type that may not talk to PULL: told why, then dropped.
        let mut s = raw_connect(&f.ep);
        let mut hello = greeting(b"NULL");
        hello.extend_from_slice(&ready("PUB"));
        s.write_all(&hello).unwrap();
        let seen = assert_dropped(s, "incompatible socket type");
        assert!(
            seen.windows(6).any(|w| w == b"\x05ERROR"),
            "an ERROR command explains the refusal"
        );
        f.finish();
    });
}

#[test]
fn silent_peer_is_dropped_after_handshake_ivl() {
    bounded(20, || {
        let mut f = Fixture::new(|s| {
            s.set_option(SocketOption::HandshakeIvl, 300i64).unwrap();
        });
        // One says nothing at all, one stops after the greeting.
        let mute = raw_connect(&f.ep);
        let mut stalled = raw_connect(&f.ep);
        stalled.write_all(&greeting(b"NULL")).unwrap();
        let start = Instant::now();
        // The socket serves others while they hang.
        f.good_peer_served("while two peers stall");
        let mute_dropped = std::thread::spawn(move || {
            assert_dropped(mute, "mute peer");
            start.elapsed()
        });
        assert_dropped(stalled, "peer stalled after its greeting");
        let stalled_after = start.elapsed();
        let mute_after = mute_dropped.join().unwrap();
        for (who, took) in [("stalled", stalled_after), ("mute", mute_after)] {
            assert_took(
                took,
                Duration::from_millis(250),
                Duration::from_secs(5),
                &format!("{who} peer dropped by handshake_ivl 300"),
            );
        }
        // A peer that does complete its handshake in time is kept past the interval.
        let mut s = handshake(&f.ep, "PUSH");
        let ready_at = Instant::now();
        while ready_at.elapsed() < Duration::from_millis(600) {
            f.good_peer_served("while the raw peer idles");
        }
        s.write_all(&frame(b"still here", false)).unwrap();
        assert_eq!(recv_str(&f.pull), "still here");
        drop(s);
        f.finish();
    });
}

/// A peer whose last message and end-of-stream arrive together (it writes, then shuts
/// down at once): the message is delivered and the connection is seen to end, even
/// though the read that returns the message comes back short.
#[test]
fn message_and_close_arriving_together_are_both_seen() {
    use zmq_engine::monitor::{EVENT_DISCONNECTED, EVENT_HANDSHAKE_SUCCEEDED};
    let ctx = Context::new();
    let pull = sock(&ctx, SocketType::Pull);
    pull.monitor(
        Some("inproc://close-with-data"),
        EVENT_HANDSHAKE_SUCCEEDED | EVENT_DISCONNECTED,
    )
    .unwrap();
    let watcher = sock(&ctx, SocketType::Pair);
    watcher.connect("inproc://close-with-data").unwrap();
    let ep = pull.bind("tcp://127.0.0.1:*").unwrap();
    let event = || {
        let m = watcher.recv(false).expect("a monitor event");
        u32::from(u16::from_le_bytes([m.first()[0], m.first()[1]]))
    };
    for round in 0..20 {
        let mut s = handshake(&ep, "PUSH");
        assert_eq!(event(), EVENT_HANDSHAKE_SUCCEEDED, "round {round}");
        s.write_all(&frame(format!("last words {round}").as_bytes(), false))
            .unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        assert_eq!(recv_str(&pull), format!("last words {round}"));
        assert_eq!(event(), EVENT_DISCONNECTED, "round {round}: close not seen");
    }
    ctx.terminate();
}
