//! Security interop with libzmq 4.3 (the system library through the `zmq` crate):
//! PLAIN and CURVE with zmq-rs as server and as client, with and without a ZAP handler
//! on either side, keys made by each side used by the other, and the failures (wrong
//! password, unknown key, wrong server key) refused without delivering anything.

#[path = "common/libzmq.rs"]
mod peers;

use peers::{bounded, recv_ours, recv_theirs, strs, try_recv_ours, try_recv_theirs, Peers};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::thread::JoinHandle;
use zmq_engine::monitor::{
    EVENT_HANDSHAKE_FAILED_AUTH, EVENT_HANDSHAKE_FAILED_NO_DETAIL, EVENT_HANDSHAKE_FAILED_PROTOCOL,
    EVENT_HANDSHAKE_SUCCEEDED,
};
use zmq_engine::security::{curve_keypair, Authenticator, CurvePublicKey};
use zmq_engine::{Context, Msg, Socket, SocketOption, SocketType};

const TCP: &str = "tcp://127.0.0.1:*";

/// A ZAP handler on the libzmq side: a REP at inproc://zeromq.zap.01 in libzmq's
/// context, answering with `decide(mechanism, credentials)` -> (status, user id).
struct TheirZap {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<Vec<Vec<u8>>>>>,
}

impl TheirZap {
    fn start(
        ctx: &zmq::Context,
        decide: impl Fn(&[u8], &[Vec<u8>]) -> (&'static str, &'static str) + Send + 'static,
    ) -> TheirZap {
        let rep = ctx.socket(zmq::REP).unwrap();
        rep.set_linger(0).unwrap();
        rep.set_rcvtimeo(20).unwrap();
        rep.bind("inproc://zeromq.zap.01").unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !s.load(SeqCst) {
                let Ok(req) = rep.recv_multipart(0) else {
                    continue;
                };
                // version, request id, domain, address, identity, mechanism, creds...
                let (status, user) = decide(&req[5], &req[6..]);
                let reply: Vec<&[u8]> = vec![
                    b"1.0",
                    &req[1],
                    status.as_bytes(),
                    b"",
                    user.as_bytes(),
                    b"",
                ];
                rep.send_multipart(reply, 0).unwrap();
                seen.push(req);
            }
            seen
        });
        TheirZap {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the handler; returns every request it saw.
    fn finish(mut self) -> Vec<Vec<Vec<u8>>> {
        self.stop.store(true, SeqCst);
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for TheirZap {
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Our monitor: collects events (code, value) until one of `want` or the time-out.
struct OurMonitor {
    pair: Socket,
}

impl OurMonitor {
    fn new(ctx: &Context, s: &Socket) -> OurMonitor {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let ep = format!("inproc://sec-mon-{}", N.fetch_add(1, SeqCst));
        s.monitor(Some(&ep), 0xFFFF).unwrap();
        let pair = ctx.socket(SocketType::Pair).unwrap();
        pair.set_option(SocketOption::Linger, 0i64).unwrap();
        pair.connect(&ep).unwrap();
        OurMonitor { pair }
    }

    fn wait_for(&self, want: u32, ms: u64) -> Option<u32> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(ms);
        while std::time::Instant::now() < deadline {
            if let Some(m) = try_recv_ours(&self.pair, 20) {
                let ev = u16::from_le_bytes([m[0][0], m[0][1]]) as u32;
                let value = u32::from_le_bytes([m[0][2], m[0][3], m[0][4], m[0][5]]);
                if std::env::var("SECDBG").is_ok() {
                    eprintln!("event {ev} value {value:#x}");
                }
                if ev == want {
                    return Some(value);
                }
            }
        }
        None
    }
}

fn ours_bind(s: &Socket) -> String {
    s.bind(TCP).expect("zmq-rs bind")
}

fn theirs_bind(s: &zmq::Socket) -> String {
    s.bind(TCP).unwrap();
    s.get_last_endpoint().unwrap().unwrap()
}

/// A request and its reply, our REQ/their REP or the reverse.
fn round_trip_ours_req(req: &Socket, rep: &zmq::Socket) {
    req.send(Msg::from_parts(["hello", "world"]), false)
        .unwrap();
    assert_eq!(recv_theirs(rep, "request"), strs(&["hello", "world"]));
    let big = vec![7u8; 70_000];
    rep.send_multipart([&b"reply"[..], &big[..]], 0).unwrap();
    let got = recv_ours(req, "reply");
    assert_eq!(got[0], b"reply");
    assert_eq!(got[1], big);
}

fn round_trip_theirs_req(req: &zmq::Socket, rep: &Socket) {
    let big = vec![9u8; 70_000];
    req.send_multipart([&b"hello"[..], &big[..]], 0).unwrap();
    let got = recv_ours(rep, "request");
    assert_eq!(got[0], b"hello");
    assert_eq!(got[1], big);
    rep.send(Msg::from_parts(["re", "ply"]), false).unwrap();
    assert_eq!(recv_theirs(req, "reply"), strs(&["re", "ply"]));
}

// ---------------------------------------------------------------------------------
// CURVE

fn theirs_curve_client(p: &Peers, kind: SocketType, server: &CurvePublicKey) -> zmq::Socket {
    let s = p.theirs(kind);
    let kp = zmq::CurveKeyPair::new().unwrap();
    s.set_curve_serverkey(server.as_bytes()).unwrap();
    s.set_curve_publickey(&kp.public_key).unwrap();
    s.set_curve_secretkey(&kp.secret_key).unwrap();
    s
}

fn ours_curve_client(p: &Peers, kind: SocketType, server_z85: &str) -> (Socket, CurvePublicKey) {
    let s = p.ours(kind);
    let kp = curve_keypair();
    s.set_option(SocketOption::CurveServerkey, server_z85)
        .unwrap();
    s.set_option(SocketOption::CurvePublickey, &kp.public.to_z85()[..])
        .unwrap();
    s.set_option(SocketOption::CurveSecretkey, &kp.secret.expose_z85()[..])
        .unwrap();
    (s, kp.public)
}

#[test]
fn curve_ours_server_theirs_client_no_zap() {
    bounded(|| {
        let p = Peers::new();
        let kp = curve_keypair();
        let rep = p.ours(SocketType::Rep);
        rep.set_option(SocketOption::CurveServer, true).unwrap();
        rep.set_option(SocketOption::CurveSecretkey, &kp.secret.expose_bytes()[..])
            .unwrap();
        let mon = OurMonitor::new(&p.ours, &rep);
        let ep = ours_bind(&rep);
        let req = theirs_curve_client(&p, SocketType::Req, &kp.public);
        req.connect(&ep).unwrap();
        round_trip_theirs_req(&req, &rep);
        assert!(mon.wait_for(EVENT_HANDSHAKE_SUCCEEDED, 1000).is_some());
    });
}

#[test]
fn curve_theirs_server_ours_client_keys_from_libzmq() {
    bounded(|| {
        let p = Peers::new();
        let server = zmq::CurveKeyPair::new().unwrap();
        let rep = p.theirs(SocketType::Rep);
        rep.set_curve_server(true).unwrap();
        rep.set_curve_secretkey(&server.secret_key).unwrap();
        let ep = theirs_bind(&rep);
        let z85 = zmq::z85_encode(&server.public_key).unwrap();
        let (req, _) = ours_curve_client(&p, SocketType::Req, &z85);
        req.connect(&ep).unwrap();
        round_trip_ours_req(&req, &rep);
        // Many messages: nonces keep increasing on both sides.
        for i in 0..200 {
            req.send(Msg::new(format!("m{i}").into_bytes()), false)
                .unwrap();
            assert_eq!(
                recv_theirs(&rep, "loop"),
                vec![format!("m{i}").into_bytes()]
            );
            rep.send(&b"ok"[..], 0).unwrap();
            assert_eq!(recv_ours(&req, "loop reply"), strs(&["ok"]));
        }
    });
}

#[test]
fn curve_theirs_server_with_zap_accepts_and_sees_our_key() {
    bounded(|| {
        let p = Peers::new();
        let zap = TheirZap::start(&p.theirs, |mech, _| {
            assert_eq!(mech, b"CURVE");
            ("200", "client")
        });
        let server = zmq::CurveKeyPair::new().unwrap();
        let rep = p.theirs(SocketType::Rep);
        rep.set_curve_server(true).unwrap();
        rep.set_curve_secretkey(&server.secret_key).unwrap();
        rep.set_zap_domain("test").unwrap();
        let ep = theirs_bind(&rep);
        let (req, our_public) = ours_curve_client(
            &p,
            SocketType::Req,
            &zmq::z85_encode(&server.public_key).unwrap(),
        );
        req.connect(&ep).unwrap();
        round_trip_ours_req(&req, &rep);
        let seen = zap.finish();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0][2], b"test");
        assert_eq!(seen[0][3], b"127.0.0.1");
        assert_eq!(seen[0][6], our_public.as_bytes());
    });
}

#[test]
fn curve_theirs_server_zap_denies_us() {
    bounded(|| {
        let p = Peers::new();
        let _zap = TheirZap::start(&p.theirs, |_, _| ("400", ""));
        let server = zmq::CurveKeyPair::new().unwrap();
        let rep = p.theirs(SocketType::Rep);
        rep.set_curve_server(true).unwrap();
        rep.set_curve_secretkey(&server.secret_key).unwrap();
        let ep = theirs_bind(&rep);
        let (req, _) = ours_curve_client(
            &p,
            SocketType::Req,
            &zmq::z85_encode(&server.public_key).unwrap(),
        );
        let mon = OurMonitor::new(&p.ours, &req);
        req.connect(&ep).unwrap();
        // Libzmq sends ERROR "400": our client reports an authentication failure.
        assert_eq!(mon.wait_for(EVENT_HANDSHAKE_FAILED_AUTH, 3000), Some(400));
        req.send(Msg::new("nope"), true).unwrap();
        assert!(try_recv_theirs(&rep, 200).is_none());
    });
}

#[test]
fn curve_ours_server_with_authenticator_allow_list() {
    bounded(|| {
        let p = Peers::new();
        let auth = Authenticator::new(&p.ours).unwrap();
        let server = curve_keypair();
        let good = zmq::CurveKeyPair::new().unwrap();
        auth.configure_curve("*", [CurvePublicKey::from_bytes(good.public_key)]);

        let pull = p.ours(SocketType::Pull);
        pull.set_option(SocketOption::CurveServer, true).unwrap();
        pull.set_option(
            SocketOption::CurveSecretkey,
            &server.secret.expose_z85()[..],
        )
        .unwrap();
        let mon = OurMonitor::new(&p.ours, &pull);
        let ep = ours_bind(&pull);

        // An unknown key is refused with ERROR 400 and nothing is delivered.
        let bad = theirs_curve_client(&p, SocketType::Push, &server.public);
        let bad_mon = peers::Monitor::new(&p.theirs, &bad);
        bad.connect(&ep).unwrap();
        bad.send("intruder", zmq::DONTWAIT).unwrap();
        assert_eq!(mon.wait_for(EVENT_HANDSHAKE_FAILED_AUTH, 3000), Some(400));
        let (got, _) = bad_mon.wait_for(&[zmq::SocketEvent::HANDSHAKE_FAILED_AUTH], 3000);
        assert_eq!(got, Some(zmq::SocketEvent::HANDSHAKE_FAILED_AUTH));

        // The allowed key gets through, on the same socket.
        let push = p.theirs(SocketType::Push);
        push.set_curve_serverkey(server.public.as_bytes()).unwrap();
        push.set_curve_publickey(&good.public_key).unwrap();
        push.set_curve_secretkey(&good.secret_key).unwrap();
        push.connect(&ep).unwrap();
        push.send("friend", 0).unwrap();
        assert_eq!(recv_ours(&pull, "allowed"), strs(&["friend"]));
        assert!(
            try_recv_ours(&pull, 200).is_none(),
            "the intruder got through"
        );
        drop(auth);
    });
}

#[test]
fn curve_wrong_server_key_is_refused_both_ways() {
    bounded(|| {
        let p = Peers::new();
        // Their server, our client with the wrong server key.
        let server = zmq::CurveKeyPair::new().unwrap();
        let pull = p.theirs(SocketType::Pull);
        pull.set_curve_server(true).unwrap();
        pull.set_curve_secretkey(&server.secret_key).unwrap();
        let their_mon = peers::Monitor::new(&p.theirs, &pull);
        let ep = theirs_bind(&pull);
        let (push, _) = ours_curve_client(&p, SocketType::Push, &curve_keypair().public.to_z85());
        push.connect(&ep).unwrap();
        push.send(Msg::new("x"), true).unwrap();
        let (got, _) = their_mon.wait_for(&[zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL], 3000);
        assert_eq!(got, Some(zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL));
        assert!(try_recv_theirs(&pull, 200).is_none());

        // Our server, their client with the wrong server key.
        let kp = curve_keypair();
        let ours = p.ours(SocketType::Pull);
        ours.set_option(SocketOption::CurveServer, true).unwrap();
        ours.set_option(SocketOption::CurveSecretkey, &kp.secret.expose_z85()[..])
            .unwrap();
        let mon = OurMonitor::new(&p.ours, &ours);
        let ep = ours_bind(&ours);
        let theirs = theirs_curve_client(&p, SocketType::Push, &curve_keypair().public);
        theirs.connect(&ep).unwrap();
        theirs.send("x", zmq::DONTWAIT).unwrap();
        assert_eq!(
            mon.wait_for(EVENT_HANDSHAKE_FAILED_PROTOCOL, 3000),
            Some(zmq_engine::wire::monitor_code::ZMTP_CRYPTOGRAPHIC)
        );
        assert!(try_recv_ours(&ours, 200).is_none());
    });
}

#[test]
fn curve_pub_sub_subscriptions_inside_the_box() {
    bounded(|| {
        let p = Peers::new();
        // Our SUB (client) to their PUB (server), then their SUB to our PUB.
        let server = zmq::CurveKeyPair::new().unwrap();
        let publ = p.theirs(SocketType::Pub);
        publ.set_curve_server(true).unwrap();
        publ.set_curve_secretkey(&server.secret_key).unwrap();
        let ep = theirs_bind(&publ);
        let (sub, _) = ours_curve_client(
            &p,
            SocketType::Sub,
            &zmq::z85_encode(&server.public_key).unwrap(),
        );
        sub.set_option(SocketOption::Subscribe, "a").unwrap();
        sub.connect(&ep).unwrap();
        let ok = peers::publish_until(
            std::time::Duration::from_secs(5),
            || {
                publ.send("b-skip", 0).unwrap();
                publ.send("a-take", 0).unwrap();
            },
            || try_recv_ours(&sub, 50).is_some_and(|m| m == strs(&["a-take"])),
        );
        assert!(ok, "no message through a CURVE subscription");

        let kp = curve_keypair();
        let ours = p.ours(SocketType::Pub);
        ours.set_option(SocketOption::CurveServer, true).unwrap();
        ours.set_option(SocketOption::CurveSecretkey, &kp.secret.expose_z85()[..])
            .unwrap();
        let ep = ours_bind(&ours);
        let theirs = theirs_curve_client(&p, SocketType::Sub, &kp.public);
        theirs.set_subscribe(b"x").unwrap();
        theirs.connect(&ep).unwrap();
        let ok = peers::publish_until(
            std::time::Duration::from_secs(5),
            || {
                ours.send(Msg::new("y-skip"), true).unwrap();
                ours.send(Msg::new("x-take"), true).unwrap();
            },
            || try_recv_theirs(&theirs, 50).is_some_and(|m| m == strs(&["x-take"])),
        );
        assert!(ok, "no message to a libzmq CURVE subscriber");
    });
}

// ---------------------------------------------------------------------------------
// PLAIN

#[test]
fn plain_ours_server_with_authenticator_theirs_client() {
    bounded(|| {
        let p = Peers::new();
        let auth = Authenticator::new(&p.ours).unwrap();
        auth.configure_plain("*", [("admin", "secret")]);
        let rep = p.ours(SocketType::Rep);
        rep.set_option(SocketOption::PlainServer, true).unwrap();
        let mon = OurMonitor::new(&p.ours, &rep);
        let ep = ours_bind(&rep);

        let wrong = p.theirs(SocketType::Req);
        wrong.set_plain_username(Some("admin")).unwrap();
        wrong.set_plain_password(Some("guess")).unwrap();
        let wrong_mon = peers::Monitor::new(&p.theirs, &wrong);
        wrong.connect(&ep).unwrap();
        wrong.send("let me in", zmq::DONTWAIT).unwrap();
        assert_eq!(mon.wait_for(EVENT_HANDSHAKE_FAILED_AUTH, 3000), Some(400));
        // libzmq's client understood our ERROR as an authentication failure.
        let (got, _) = wrong_mon.wait_for(&[zmq::SocketEvent::HANDSHAKE_FAILED_AUTH], 3000);
        assert_eq!(got, Some(zmq::SocketEvent::HANDSHAKE_FAILED_AUTH));

        let req = p.theirs(SocketType::Req);
        req.set_plain_username(Some("admin")).unwrap();
        req.set_plain_password(Some("secret")).unwrap();
        req.connect(&ep).unwrap();
        round_trip_theirs_req(&req, &rep);
        assert!(
            try_recv_ours(&rep, 200).is_none(),
            "wrong password got through"
        );
    });
}

#[test]
fn plain_ours_server_without_zap_handler_refuses() {
    bounded(|| {
        let p = Peers::new();
        let pull = p.ours(SocketType::Pull);
        pull.set_option(SocketOption::PlainServer, true).unwrap();
        let mon = OurMonitor::new(&p.ours, &pull);
        let ep = ours_bind(&pull);
        let push = p.theirs(SocketType::Push);
        push.set_plain_username(Some("u")).unwrap();
        push.set_plain_password(Some("p")).unwrap();
        push.connect(&ep).unwrap();
        push.send("x", zmq::DONTWAIT).unwrap();
        assert_eq!(
            mon.wait_for(EVENT_HANDSHAKE_FAILED_NO_DETAIL, 3000),
            Some(libc::EFAULT as u32)
        );
        assert!(try_recv_ours(&pull, 200).is_none());
    });
}

#[test]
fn plain_theirs_server_with_zap_ours_client() {
    bounded(|| {
        let p = Peers::new();
        let zap = TheirZap::start(&p.theirs, |mech, creds| {
            assert_eq!(mech, b"PLAIN");
            if creds == [b"admin".to_vec(), b"secret".to_vec()] {
                ("200", "admin")
            } else {
                ("400", "")
            }
        });
        let rep = p.theirs(SocketType::Rep);
        rep.set_plain_server(true).unwrap();
        let ep = theirs_bind(&rep);

        let wrong = p.ours(SocketType::Req);
        wrong
            .set_option(SocketOption::PlainUsername, "admin")
            .unwrap();
        wrong
            .set_option(SocketOption::PlainPassword, "guess")
            .unwrap();
        let mon = OurMonitor::new(&p.ours, &wrong);
        wrong.connect(&ep).unwrap();
        assert_eq!(mon.wait_for(EVENT_HANDSHAKE_FAILED_AUTH, 3000), Some(400));

        let req = p.ours(SocketType::Req);
        req.set_option(SocketOption::PlainUsername, "admin")
            .unwrap();
        req.set_option(SocketOption::PlainPassword, "secret")
            .unwrap();
        req.connect(&ep).unwrap();
        round_trip_ours_req(&req, &rep);
        let seen = zap.finish();
        assert!(seen.len() >= 2);
    });
}

#[test]
fn plain_theirs_server_without_zap_refuses_us() {
    bounded(|| {
        let p = Peers::new();
        let pull = p.theirs(SocketType::Pull);
        pull.set_plain_server(true).unwrap();
        let ep = theirs_bind(&pull);
        let push = p.ours(SocketType::Push);
        push.set_option(SocketOption::PlainUsername, "u").unwrap();
        push.set_option(SocketOption::PlainPassword, "p").unwrap();
        let mon = OurMonitor::new(&p.ours, &push);
        push.connect(&ep).unwrap();
        push.send(Msg::new("x"), true).unwrap();
        assert!(try_recv_theirs(&pull, 500).is_none());
        assert!(mon.wait_for(EVENT_HANDSHAKE_SUCCEEDED, 200).is_none());
    });
}

#[test]
fn mechanism_mismatch_is_refused() {
    bounded(|| {
        let p = Peers::new();
        let kp = curve_keypair();
        let pull = p.ours(SocketType::Pull);
        pull.set_option(SocketOption::CurveServer, true).unwrap();
        pull.set_option(SocketOption::CurveSecretkey, &kp.secret.expose_z85()[..])
            .unwrap();
        let mon = OurMonitor::new(&p.ours, &pull);
        let ep = ours_bind(&pull);
        let push = p.theirs(SocketType::Push);
        let their_mon = peers::Monitor::new(&p.theirs, &push);
        push.connect(&ep).unwrap();
        push.send("plaintext", zmq::DONTWAIT).unwrap();
        // libzmq sees the mismatch first and resets the connection.
        let (got, _) = their_mon.wait_for(&[zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL], 3000);
        assert_eq!(got, Some(zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL));
        assert!(try_recv_ours(&pull, 200).is_none());
        assert!(mon.wait_for(EVENT_HANDSHAKE_SUCCEEDED, 100).is_none());
    });
}
