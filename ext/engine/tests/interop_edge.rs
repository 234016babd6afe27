//! Interop with libzmq 4.3 at the edges: heartbeats (libzmq pinging us, and us pinging
//! libzmq), peers of an incompatible socket type, and reconnection after libzmq's side
//! goes away and comes back. Every wait is bounded; every idle period doubles as the
//! check (a monitor that must not report a disconnect while we wait).

#[path = "common/libzmq.rs"]
mod peers;

use peers::{
    link, msg, recv_ours, recv_theirs, strs, try_recv_ours, try_recv_theirs, Binder, Monitor,
    Peers, Transport,
};
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use zmq::SocketEvent;
use zmq_engine::{SocketOption, SocketType};

const HB_IVL_MS: i32 = 100;
const HB_TIMEOUT_MS: i32 = 500;
/// Three heartbeat time-outs and a margin: long enough for a peer that never answers
/// PINGs to be dropped at least once.
const IDLE_MS: u64 = 3 * HB_TIMEOUT_MS as u64 + 200;

/// Events that mean the connection under test broke.
const BROKEN: [SocketEvent; 3] = [
    SocketEvent::DISCONNECTED,
    SocketEvent::HANDSHAKE_FAILED_PROTOCOL,
    SocketEvent::HANDSHAKE_FAILED_NO_DETAIL,
];

fn wait_handshake(mon: &Monitor) {
    let (ev, seen) = mon.wait_for(&[SocketEvent::HANDSHAKE_SUCCEEDED], 5_000);
    assert!(ev.is_some(), "no handshake with zmq-rs; events: {seen:?}");
}

fn assert_stays_up(mon: &Monitor, what: &str) {
    let events = mon.collect_for(IDLE_MS);
    assert!(
        !events.iter().any(|e| BROKEN.contains(e)),
        "{what}: libzmq dropped the connection while idle: {events:?}"
    );
}

/// libzmq sends PINGs and drops the connection if nothing comes back within its
/// time-out: our side must answer with PONGs, from the I/O thread, while our socket
/// sits idle.
fn libzmq_heartbeats_answered(t: Transport, b: Binder) {
    let p = Peers::new();
    let ours = p.ours(SocketType::Dealer);
    let theirs = p.theirs(SocketType::Dealer);
    theirs.set_heartbeat_ivl(HB_IVL_MS).unwrap();
    theirs.set_heartbeat_timeout(HB_TIMEOUT_MS).unwrap();
    theirs.set_heartbeat_ttl(2 * HB_TIMEOUT_MS).unwrap();
    let mon = Monitor::new(&p.theirs, &theirs);
    link(&ours, &theirs, t, b);
    wait_handshake(&mon);
    assert_stays_up(&mon, "libzmq pinging us");

    // The link still carries messages both ways.
    theirs.send("after idle", 0).unwrap();
    assert_eq!(
        recv_ours(&ours, "message after idle"),
        strs(&["after idle"])
    );
    ours.send(msg(&["back"]), false).unwrap();
    assert_eq!(recv_theirs(&theirs, "reply after idle"), strs(&["back"]));

    // The monitor does see a real drop (so its silence above meant something).
    ours.close();
    let (ev, seen) = mon.wait_for(&[SocketEvent::DISCONNECTED], 5_000);
    assert!(ev.is_some(), "libzmq saw our close; events: {seen:?}");
}

/// We send PINGs (with a TTL) to libzmq, which answers; our side must not time the
/// connection out while libzmq is answering, and libzmq must accept our PINGs.
fn our_heartbeats_answered(t: Transport, b: Binder) {
    let p = Peers::new();
    let ours = p.ours(SocketType::Dealer);
    ours.set_option(SocketOption::HeartbeatIvl, HB_IVL_MS as i64)
        .unwrap();
    ours.set_option(SocketOption::HeartbeatTimeout, HB_TIMEOUT_MS as i64)
        .unwrap();
    ours.set_option(SocketOption::HeartbeatTtl, 2 * HB_TIMEOUT_MS as i64)
        .unwrap();
    let theirs = p.theirs(SocketType::Dealer);
    let mon = Monitor::new(&p.theirs, &theirs);
    link(&ours, &theirs, t, b);
    wait_handshake(&mon);
    assert_stays_up(&mon, "us pinging libzmq");
    theirs.send("after idle", 0).unwrap();
    assert_eq!(
        recv_ours(&ours, "message after idle"),
        strs(&["after idle"])
    );
    ours.send(msg(&["back"]), false).unwrap();
    assert_eq!(recv_theirs(&theirs, "reply after idle"), strs(&["back"]));
}

/// A libzmq REQ may not talk to our PUB: its handshake fails (no message can flow),
/// while our PUB goes on serving a libzmq SUB.
fn incompatible_req_theirs_pub_ours(t: Transport, b: Binder) {
    let p = Peers::new();
    let publisher = p.ours(SocketType::Pub);
    let bad = p.theirs(SocketType::Req);
    let good = p.theirs(SocketType::Sub);
    good.set_subscribe(b"").unwrap();
    let mon = Monitor::new(&p.theirs, &bad);
    link(&publisher, &bad, t, b);
    link_second(&publisher, &good, t, b);

    let (ev, seen) = mon.wait_for(&BROKEN, 5_000);
    assert!(
        ev.is_some(),
        "REQ-PUB handshake must fail; events: {seen:?}"
    );
    assert!(
        !seen.contains(&SocketEvent::HANDSHAKE_SUCCEEDED),
        "REQ-PUB handshake succeeded: {seen:?}"
    );

    let ok = peers::publish_until(
        Duration::from_secs(10),
        || publisher.send(msg(&["news"]), false).unwrap(),
        || try_recv_theirs(&good, 10).is_some(),
    );
    assert!(ok, "our PUB still serves a compatible SUB");
    // The REQ's request has nowhere to go and no reply can come.
    let _ = bad.send("hello?", zmq::DONTWAIT);
    assert_eq!(try_recv_theirs(&bad, 200), None);
    let later = mon.collect_for(200);
    assert!(
        !later.contains(&SocketEvent::HANDSHAKE_SUCCEEDED),
        "a later REQ-PUB attempt succeeded: {later:?}"
    );
}

/// A libzmq DEALER may not talk to our PULL; a libzmq PUSH may, at the same time.
fn incompatible_dealer_theirs_pull_ours(t: Transport, b: Binder) {
    let p = Peers::new();
    let pull = p.ours(SocketType::Pull);
    let bad = p.theirs(SocketType::Dealer);
    let good = p.theirs(SocketType::Push);
    let mon = Monitor::new(&p.theirs, &bad);
    link(&pull, &bad, t, b);
    link_second(&pull, &good, t, b);
    let _ = bad.send("from the dealer", zmq::DONTWAIT);

    let (ev, seen) = mon.wait_for(&BROKEN, 5_000);
    assert!(
        ev.is_some(),
        "DEALER-PULL handshake must fail; events: {seen:?}"
    );
    assert!(
        !seen.contains(&SocketEvent::HANDSHAKE_SUCCEEDED),
        "{seen:?}"
    );

    for i in 0..10 {
        good.send(format!("good {i}").as_str(), 0).unwrap();
    }
    for i in 0..10 {
        assert_eq!(
            recv_ours(&pull, "from the PUSH"),
            strs(&[&format!("good {i}")])
        );
    }
    assert_eq!(try_recv_ours(&pull, 200), None, "nothing from the DEALER");
}

/// Adds a second libzmq peer to `ours` the way `link` joined the first.
fn link_second(ours: &zmq_engine::Socket, theirs: &zmq::Socket, t: Transport, b: Binder) {
    match b {
        Binder::Ours => {
            let ep = ours.endpoints().first().cloned().expect("bound endpoint");
            theirs.connect(&ep).expect("libzmq connect");
        }
        Binder::Theirs => {
            let ep = peers::theirs_bind(theirs, t);
            ours.connect(&ep).expect("zmq-rs connect");
        }
    }
}

/// Our PUSH connected to a libzmq PULL reconnects when the PULL is closed and a new
/// one binds the same endpoint.
fn reconnect_push_ours_to_new_pull_theirs(t: Transport) {
    let p = Peers::new();
    let push = p.ours(SocketType::Push);
    push.set_option(SocketOption::ReconnectIvl, 20i64).unwrap();
    let pull = p.theirs(SocketType::Pull);
    let ep = peers::theirs_bind(&pull, t);
    push.connect(&ep).unwrap();
    push.send(msg(&["first"]), false).unwrap();
    assert_eq!(recv_theirs(&pull, "before restart"), strs(&["first"]));
    drop(pull);

    // Rebind the same endpoint (the port may take a moment to be free again).
    let pull = p.theirs(SocketType::Pull);
    let deadline = Instant::now() + Duration::from_secs(5);
    while let Err(e) = pull.bind(&ep) {
        assert!(Instant::now() < deadline, "rebinding {ep}: {e}");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Messages sent while the link is down may be lost with the old connection: keep
    // sending until one arrives on the new one.
    let mut n = 0;
    let ok = peers::publish_until(
        Duration::from_secs(10),
        || {
            n += 1;
            let _ = push.send(msg(&["again", &n.to_string()]), true);
        },
        || try_recv_theirs(&pull, 10).is_some_and(|m| m[0] == b"again"),
    );
    assert!(ok, "our PUSH reconnected to the new libzmq PULL");
}

/// A raw ZMTP 3.1 peer that announces itself as REQ to our PUB: our side must refuse
/// it (an ERROR command and a closed connection), whatever the peer would do.
#[test]
fn raw_req_peer_refused_by_our_pub() {
    peers::bounded(|| {
        let ctx = zmq_engine::Context::new();
        let publisher = ctx.socket(SocketType::Pub).unwrap();
        let ep = publisher.bind("tcp://127.0.0.1:*").unwrap();
        let addr = ep.trim_start_matches("tcp://");
        let mut raw = std::net::TcpStream::connect(addr).unwrap();
        raw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();

        let mut greeting = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 1];
        greeting.extend_from_slice(b"NULL");
        greeting.resize(64, 0);
        raw.write_all(&greeting).unwrap();
        let mut ready = b"\x05READY\x0bSocket-Type".to_vec();
        ready.extend_from_slice(&3u32.to_be_bytes());
        ready.extend_from_slice(b"REQ");
        raw.write_all(&[0x04, ready.len() as u8]).unwrap();
        raw.write_all(&ready).unwrap();

        // Read until our side closes the connection.
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match raw.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("our PUB neither refused nor closed: {e} after {got:?}"),
            }
        }
        assert!(got.len() >= 64, "our greeting came first: {got:?}");
        assert_eq!(&got[..10], &greeting[..10]);
        let rest = &got[64..];
        let has_error = rest.windows(6).any(|w| w == b"\x05ERROR");
        let has_ready = rest.windows(6).any(|w| w == b"\x05READY");
        assert!(has_error, "an ERROR command before closing: {rest:?}");
        // READY may or may not precede it (we may send ours before reading theirs).
        let _ = has_ready;
        ctx.terminate();
    });
}

each_link! {
    libzmq_heartbeats_answered => libzmq_heartbeats_answered;
    our_heartbeats_answered => our_heartbeats_answered;
    incompatible_req_theirs_pub_ours => incompatible_req_theirs_pub_ours;
    incompatible_dealer_theirs_pull_ours => incompatible_dealer_theirs_pull_ours;
}

#[test]
fn reconnect_tcp() {
    peers::bounded(|| reconnect_push_ours_to_new_pull_theirs(Transport::Tcp));
}

#[test]
fn reconnect_ipc() {
    peers::bounded(|| reconnect_push_ours_to_new_pull_theirs(Transport::Ipc));
}
