//! Interop with libzmq 4.3 (the system library, through the `zmq` crate): every socket
//! pattern with zmq-rs on one side and libzmq on the other, over tcp and ipc, with each
//! side binding in turn. Each scenario becomes four tests: `<scenario>::{tcp,ipc}_{ours_binds,
//! theirs_bind}`.

mod common;
#[path = "common/libzmq.rs"]
mod peers;

use common::payload;
use peers::{
    link, msg, recv_ours, recv_ours_touching, recv_theirs, recv_theirs_touching, strs,
    try_recv_ours, try_recv_theirs, Binder, Peers, Transport,
};
use std::time::Duration;
use zmq_engine::{Msg, Socket, SocketOption, SocketType};

/// Joins one of ours to several of theirs: when we bind they all connect to us; when
/// they bind, each binds its own endpoint and we connect to every one.
fn link_many(ours: &Socket, theirs: &[&zmq::Socket], t: Transport, b: Binder) {
    match b {
        Binder::Ours => {
            let ep = ours.bind(&peers::bind_endpoint(t)).expect("zmq-rs bind");
            for s in theirs {
                s.connect(&ep).expect("libzmq connect");
            }
        }
        Binder::Theirs => {
            for s in theirs {
                let ep = peers::theirs_bind(s, t);
                ours.connect(&ep).expect("zmq-rs connect");
            }
        }
    }
}

/// Joins several of ours to one of theirs, the mirror of [`link_many`].
fn link_many_ours(ours: &[&Socket], theirs: &zmq::Socket, t: Transport, b: Binder) {
    match b {
        Binder::Theirs => {
            let ep = peers::theirs_bind(theirs, t);
            for s in ours {
                s.connect(&ep).expect("zmq-rs connect");
            }
        }
        Binder::Ours => {
            for s in ours {
                let ep = s.bind(&peers::bind_endpoint(t)).expect("zmq-rs bind");
                theirs.connect(&ep).expect("libzmq connect");
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// REQ / REP (and their envelopes against DEALER / ROUTER)

fn req_ours_rep_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let req = p.ours(SocketType::Req);
    let rep = p.theirs(SocketType::Rep);
    link(&req, &rep, t, b);
    for i in 0..20 {
        let body = format!("request {i}");
        req.send(msg(&[&body, "tail"]), false).unwrap();
        assert_eq!(recv_theirs(&rep, "request"), strs(&[&body, "tail"]));
        let n = i.to_string();
        rep.send_multipart(["reply", n.as_str()], 0).unwrap();
        assert_eq!(recv_ours(&req, "reply"), strs(&["reply", &n]));
    }
}

fn rep_ours_req_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let rep = p.ours(SocketType::Rep);
    let req = p.theirs(SocketType::Req);
    link(&rep, &req, t, b);
    for i in 0..20 {
        let body = format!("request {i}");
        req.send_multipart([body.as_str(), "tail"], 0).unwrap();
        assert_eq!(recv_ours(&rep, "request"), strs(&[&body, "tail"]));
        rep.send(msg(&["reply", &body]), false).unwrap();
        assert_eq!(recv_theirs(&req, "reply"), strs(&["reply", &body]));
    }
}

/// Two libzmq clients on one of our REP sockets: each reply finds its own client.
fn rep_ours_two_req_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let rep = p.ours(SocketType::Rep);
    let a = p.theirs(SocketType::Req);
    let c = p.theirs(SocketType::Req);
    link_many(&rep, &[&a, &c], t, b);
    for i in 0..10 {
        a.send(format!("a{i}").as_str(), 0).unwrap();
        c.send(format!("c{i}").as_str(), 0).unwrap();
        for _ in 0..2 {
            let req = recv_ours(&rep, "request from either client");
            let mut reply = b"re:".to_vec();
            reply.extend_from_slice(&req[0]);
            rep.send(Msg::new(reply), false).unwrap();
        }
        assert_eq!(recv_theirs(&a, "reply to a"), strs(&[&format!("re:a{i}")]));
        assert_eq!(recv_theirs(&c, "reply to c"), strs(&[&format!("re:c{i}")]));
    }
}

fn req_ours_router_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let req = p.ours(SocketType::Req);
    req.set_option(SocketOption::Identity, "our-req").unwrap();
    let router = p.theirs(SocketType::Router);
    link(&req, &router, t, b);
    for i in 0..5 {
        let body = format!("hello {i}");
        req.send(msg(&[&body]), false).unwrap();
        let got = recv_theirs(&router, "request with envelope");
        assert_eq!(got, strs(&["our-req", "", &body]));
        router.send_multipart(["our-req", "", "world"], 0).unwrap();
        assert_eq!(recv_ours(&req, "reply"), strs(&["world"]));
    }
}

fn router_ours_req_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let router = p.ours(SocketType::Router);
    let req = p.theirs(SocketType::Req);
    req.set_identity(b"their-req").unwrap();
    link(&router, &req, t, b);
    for i in 0..5 {
        let body = format!("hello {i}");
        req.send(body.as_str(), 0).unwrap();
        assert_eq!(
            recv_ours(&router, "request with envelope"),
            strs(&["their-req", "", &body])
        );
        router
            .send(msg(&["their-req", "", "world", "2"]), false)
            .unwrap();
        assert_eq!(recv_theirs(&req, "reply"), strs(&["world", "2"]));
    }
}

fn dealer_ours_rep_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let dealer = p.ours(SocketType::Dealer);
    let rep = p.theirs(SocketType::Rep);
    link(&dealer, &rep, t, b);
    for i in 0..5 {
        let body = format!("hello {i}");
        dealer.send(msg(&["", &body]), false).unwrap();
        assert_eq!(recv_theirs(&rep, "request"), strs(&[&body]));
        rep.send("world", 0).unwrap();
        assert_eq!(recv_ours(&dealer, "reply"), strs(&["", "world"]));
    }
}

fn rep_ours_dealer_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let rep = p.ours(SocketType::Rep);
    let dealer = p.theirs(SocketType::Dealer);
    link(&rep, &dealer, t, b);
    for i in 0..5 {
        let body = format!("hello {i}");
        // REP keeps everything up to the first empty part as the envelope and puts
        // it back on the reply.
        dealer
            .send_multipart(["hop", "", body.as_str()], 0)
            .unwrap();
        assert_eq!(recv_ours(&rep, "request"), strs(&[&body]));
        rep.send(msg(&["world"]), false).unwrap();
        assert_eq!(recv_theirs(&dealer, "reply"), strs(&["hop", "", "world"]));
    }
}

// ---------------------------------------------------------------------------------
// DEALER / ROUTER

/// Our ROUTER with two libzmq DEALERs that announce identities.
fn router_ours_dealers_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let router = p.ours(SocketType::Router);
    router
        .set_option(SocketOption::RouterMandatory, true)
        .unwrap();
    let a = p.theirs(SocketType::Dealer);
    a.set_identity(b"dealer-A").unwrap();
    let c = p.theirs(SocketType::Dealer);
    c.set_identity(b"dealer-C").unwrap();
    link_many(&router, &[&a, &c], t, b);
    for i in 0..10 {
        let n = i.to_string();
        a.send_multipart(["from A", n.as_str()], 0).unwrap();
        c.send_multipart(["from C", n.as_str()], 0).unwrap();
        let mut seen = Vec::new();
        for _ in 0..2 {
            let m = recv_ours(&router, "dealer message");
            assert_eq!(m.len(), 3, "identity + two parts: {m:?}");
            let expect_body = if m[0] == b"dealer-A" {
                "from A"
            } else {
                "from C"
            };
            assert_eq!(m[1], expect_body.as_bytes(), "{m:?}");
            assert_eq!(m[2], n.as_bytes());
            seen.push(m[0].clone());
        }
        seen.sort();
        assert_eq!(seen, strs(&["dealer-A", "dealer-C"]));
        router.send(msg(&["dealer-C", "to C", &n]), false).unwrap();
        router.send(msg(&["dealer-A", "to A", &n]), false).unwrap();
        assert_eq!(recv_theirs(&a, "reply for A"), strs(&["to A", &n]));
        assert_eq!(recv_theirs(&c, "reply for C"), strs(&["to C", &n]));
    }
}

/// libzmq's ROUTER with two of our DEALERs: one names itself, one is given an id.
fn dealers_ours_router_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let named = p.ours(SocketType::Dealer);
    named
        .set_option(SocketOption::Identity, "ours-named")
        .unwrap();
    let anon = p.ours(SocketType::Dealer);
    let router = p.theirs(SocketType::Router);
    router.set_router_mandatory(true).unwrap();
    link_many_ours(&[&named, &anon], &router, t, b);

    named.send(msg(&["hello", "named"]), false).unwrap();
    anon.send(msg(&["hello", "anon"]), false).unwrap();
    let mut named_id = None;
    let mut anon_id = None;
    for _ in 0..2 {
        let m = recv_theirs(&router, "dealer message");
        assert_eq!(m.len(), 3, "{m:?}");
        assert_eq!(m[1], b"hello");
        if m[2] == b"named" {
            named_id = Some(m[0].clone());
        } else {
            assert_eq!(m[2], b"anon");
            anon_id = Some(m[0].clone());
        }
    }
    let named_id = named_id.unwrap();
    let anon_id = anon_id.unwrap();
    assert_eq!(named_id, b"ours-named");
    // libzmq makes up a 5-byte id starting with a zero byte for a peer with none.
    assert_eq!(anon_id.len(), 5, "{anon_id:?}");
    assert_eq!(anon_id[0], 0);
    for i in 0..10 {
        let n = i.to_string();
        router
            .send_multipart([&anon_id[..], b"to anon", n.as_bytes()], 0)
            .unwrap();
        router
            .send_multipart([&named_id[..], b"to named", n.as_bytes()], 0)
            .unwrap();
        assert_eq!(recv_ours(&named, "named reply"), strs(&["to named", &n]));
        assert_eq!(recv_ours(&anon, "anon reply"), strs(&["to anon", &n]));
    }
}

// ---------------------------------------------------------------------------------
// PUSH / PULL

const STREAM_LEN: usize = 2_000;

fn stream_msg(i: usize) -> Vec<Vec<u8>> {
    if i.is_multiple_of(10) {
        vec![format!("{i}").into_bytes(), b"second".to_vec(), Vec::new()]
    } else {
        vec![format!("{i}").into_bytes()]
    }
}

fn push_ours_pull_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let push = p.ours(SocketType::Push);
    let pull = p.theirs(SocketType::Pull);
    link(&push, &pull, t, b);
    let sender = std::thread::spawn(move || {
        for i in 0..STREAM_LEN {
            push.send(Msg::from_parts(stream_msg(i)), false).unwrap();
        }
        push
    });
    for i in 0..STREAM_LEN {
        assert_eq!(recv_theirs(&pull, "stream"), stream_msg(i), "message {i}");
    }
    let _push = sender.join().unwrap();
}

fn pull_ours_push_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let pull = p.ours(SocketType::Pull);
    let push = p.theirs(SocketType::Push);
    link(&pull, &push, t, b);
    let sender = std::thread::spawn(move || {
        for i in 0..STREAM_LEN {
            push.send_multipart(stream_msg(i), 0).unwrap();
        }
        push
    });
    for i in 0..STREAM_LEN {
        assert_eq!(recv_ours(&pull, "stream"), stream_msg(i), "message {i}");
    }
    let _push = sender.join().unwrap();
}

/// Our PULL fair-queues two libzmq PUSHes, keeping each one's order.
fn pull_ours_two_push_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let pull = p.ours(SocketType::Pull);
    let a = p.theirs(SocketType::Push);
    let c = p.theirs(SocketType::Push);
    link_many(&pull, &[&a, &c], t, b);
    const N: usize = 500;
    for i in 0..N {
        a.send_multipart(["a", &i.to_string()], 0).unwrap();
        c.send_multipart(["c", &i.to_string()], 0).unwrap();
    }
    let (mut next_a, mut next_c) = (0, 0);
    for _ in 0..2 * N {
        let m = recv_ours(&pull, "fair-queued stream");
        let n: usize = std::str::from_utf8(&m[1]).unwrap().parse().unwrap();
        match &m[0][..] {
            b"a" => {
                assert_eq!(n, next_a);
                next_a += 1;
            }
            b"c" => {
                assert_eq!(n, next_c);
                next_c += 1;
            }
            other => panic!("unexpected sender {other:?}"),
        }
    }
    assert_eq!((next_a, next_c), (N, N));
}

/// Our PUSH spreads over two libzmq PULLs once both are connected.
fn push_ours_two_pull_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let push = p.ours(SocketType::Push);
    let a = p.theirs(SocketType::Pull);
    let c = p.theirs(SocketType::Pull);
    link_many(&push, &[&a, &c], t, b);
    // Until both peers are attached everything may go to one: send probes until each
    // has had one, then check that a batch is shared by both.
    let mut got_a = false;
    let mut got_c = false;
    let ok = peers::publish_until(
        Duration::from_secs(10),
        || push.send(msg(&["probe"]), false).unwrap(),
        || {
            got_a |= try_recv_theirs(&a, 5).is_some();
            got_c |= try_recv_theirs(&c, 5).is_some();
            got_a && got_c
        },
    );
    assert!(ok, "both PULL peers receive (a: {got_a}, c: {got_c})");
    while try_recv_theirs(&a, 50).is_some() {}
    while try_recv_theirs(&c, 50).is_some() {}
    for i in 0..100 {
        push.send(msg(&["batch", &i.to_string()]), false).unwrap();
    }
    let (mut na, mut nc) = (0, 0);
    while na + nc < 100 {
        if try_recv_theirs(&a, 0).is_some() {
            na += 1;
        } else if try_recv_theirs(&c, 100).is_some() {
            nc += 1;
        } else if try_recv_theirs(&a, 100).is_none() {
            panic!("batch incomplete: a {na}, c {nc}");
        } else {
            na += 1;
        }
    }
    assert!(na >= 30 && nc >= 30, "round robin: a {na}, c {nc}");
}

// ---------------------------------------------------------------------------------
// PUB / SUB, XPUB / XSUB

/// Publishes `sync` on ours until theirs hears it, then drains any repeats.
fn sync_ours_to_theirs(publisher: &Socket, sub: &zmq::Socket, sync: &str) {
    let ok = peers::publish_until(
        Duration::from_secs(10),
        || publisher.send(msg(&[sync]), false).unwrap(),
        || try_recv_theirs(sub, 10).is_some(),
    );
    assert!(ok, "libzmq subscriber never heard {sync:?}");
}

fn sync_theirs_to_ours(publisher: &zmq::Socket, sub: &Socket, sync: &str) {
    let ok = peers::publish_until(
        Duration::from_secs(10),
        || publisher.send(sync, 0).unwrap(),
        || try_recv_ours(sub, 10).is_some(),
    );
    assert!(ok, "zmq-rs subscriber never heard {sync:?}");
}

/// Receives on theirs until `last`, skipping `skip` (left-over sync messages); returns
/// the first parts seen in between.
fn topics_until_theirs(sub: &zmq::Socket, skip: &str, last: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let m = recv_theirs(sub, &format!("waiting for {last:?} after {seen:?}"));
        let topic = String::from_utf8(m[0].clone()).unwrap();
        if topic == last {
            return seen;
        }
        if topic != skip {
            seen.push(topic);
        }
    }
}

fn topics_until_ours(sub: &Socket, skip: &str, last: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let m = recv_ours(sub, &format!("waiting for {last:?} after {seen:?}"));
        let topic = String::from_utf8(m[0].clone()).unwrap();
        if topic == last {
            return seen;
        }
        if topic != skip {
            seen.push(topic);
        }
    }
}

const TOPICS: [&str; 6] = ["a", "a.1", "ab", "b.1", "", "a.2.x"];

fn pub_ours_sub_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let publisher = p.ours(SocketType::Pub);
    let sub = p.theirs(SocketType::Sub);
    sub.set_subscribe(b"a.").unwrap();
    sub.set_subscribe(b"sync").unwrap();
    link(&publisher, &sub, t, b);
    sync_ours_to_theirs(&publisher, &sub, "sync");

    // Prefix filtering, multipart included.
    for topic in TOPICS {
        publisher.send(msg(&[topic, "body"]), false).unwrap();
    }
    publisher.send(msg(&["sync-end1"]), false).unwrap();
    assert_eq!(
        topics_until_theirs(&sub, "sync", "sync-end1"),
        ["a.1", "a.2.x"]
    );

    // Unsubscribe "a.", subscribe "b.": once "b." messages arrive the cancel of "a."
    // has been seen too (the subscriber sends both, in order, on one connection).
    sub.set_unsubscribe(b"a.").unwrap();
    sub.set_subscribe(b"b.").unwrap();
    let ok = peers::publish_until(
        Duration::from_secs(10),
        || publisher.send(msg(&["b.sync"]), false).unwrap(),
        || try_recv_theirs(&sub, 10).is_some_and(|m| m[0] == b"b.sync"),
    );
    assert!(ok, "the new subscription reaches zmq-rs");
    for topic in TOPICS {
        publisher.send(msg(&[topic]), false).unwrap();
    }
    publisher.send(msg(&["sync-end2"]), false).unwrap();
    assert_eq!(topics_until_theirs(&sub, "b.sync", "sync-end2"), ["b.1"]);
}

fn sub_ours_pub_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let sub = p.ours(SocketType::Sub);
    sub.set_option(SocketOption::Subscribe, "a.").unwrap();
    sub.set_option(SocketOption::Subscribe, "sync").unwrap();
    let publisher = p.theirs(SocketType::Pub);
    link(&sub, &publisher, t, b);
    sync_theirs_to_ours(&publisher, &sub, "sync");

    for topic in TOPICS {
        publisher.send_multipart([topic, "body"], 0).unwrap();
    }
    publisher.send("sync-end1", 0).unwrap();
    assert_eq!(
        topics_until_ours(&sub, "sync", "sync-end1"),
        ["a.1", "a.2.x"]
    );

    sub.set_option(SocketOption::Unsubscribe, "a.").unwrap();
    sub.set_option(SocketOption::Subscribe, "b.").unwrap();
    let ok = peers::publish_until(
        Duration::from_secs(10),
        || publisher.send("b.sync", 0).unwrap(),
        || try_recv_ours(&sub, 10).is_some_and(|m| m[0] == b"b.sync"),
    );
    assert!(ok, "the new subscription reaches libzmq");
    for topic in TOPICS {
        publisher.send(topic, 0).unwrap();
    }
    publisher.send("sync-end2", 0).unwrap();
    assert_eq!(topics_until_ours(&sub, "b.sync", "sync-end2"), ["b.1"]);
}

/// An empty subscription takes everything, and subscriptions made before connecting
/// are sent when the connection comes up.
fn sub_ours_everything_pub_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let sub = p.ours(SocketType::Sub);
    sub.set_option(SocketOption::Subscribe, "").unwrap();
    let publisher = p.theirs(SocketType::Pub);
    link(&sub, &publisher, t, b);
    sync_theirs_to_ours(&publisher, &sub, "sync");
    for topic in TOPICS {
        publisher.send(topic, 0).unwrap();
    }
    publisher.send("end", 0).unwrap();
    assert_eq!(topics_until_ours(&sub, "sync", "end"), TOPICS);
}

/// Our XPUB sees libzmq SUB's subscribe and unsubscribe messages.
fn xpub_ours_sub_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let xpub = p.ours(SocketType::XPub);
    let sub = p.theirs(SocketType::Sub);
    link(&xpub, &sub, t, b);
    sub.set_subscribe(b"topic").unwrap();
    assert_eq!(
        recv_ours_touching(&xpub, &sub, "subscribe"),
        vec![b"\x01topic".to_vec()]
    );
    sub.set_subscribe(b"").unwrap();
    assert_eq!(recv_ours(&xpub, "subscribe to all"), vec![b"\x01".to_vec()]);

    // Data goes out filtered by what the subscriber holds.
    sub.set_unsubscribe(b"").unwrap();
    assert_eq!(recv_ours(&xpub, "unsubscribe all"), vec![b"\x00".to_vec()]);
    xpub.send(msg(&["other"]), false).unwrap();
    xpub.send(msg(&["topic.x", "body"]), false).unwrap();
    assert_eq!(
        recv_theirs(&sub, "filtered data"),
        strs(&["topic.x", "body"])
    );

    sub.set_unsubscribe(b"topic").unwrap();
    assert_eq!(recv_ours(&xpub, "unsubscribe"), vec![b"\x00topic".to_vec()]);
    xpub.send(msg(&["topic.y"]), false).unwrap();
    assert_eq!(
        try_recv_theirs(&sub, 200),
        None,
        "nothing after unsubscribe"
    );
}

/// Our SUB's subscriptions reach libzmq's XPUB as messages.
fn sub_ours_xpub_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let sub = p.ours(SocketType::Sub);
    // One made before the connection exists, one after.
    sub.set_option(SocketOption::Subscribe, "early").unwrap();
    let xpub = p.theirs(SocketType::XPub);
    link(&sub, &xpub, t, b);
    assert_eq!(
        recv_theirs_touching(&xpub, &sub, "early subscribe"),
        [b"\x01early".to_vec()]
    );
    sub.set_option(SocketOption::Subscribe, "late").unwrap();
    assert_eq!(recv_theirs(&xpub, "late subscribe"), [b"\x01late".to_vec()]);

    xpub.send_multipart(["nope", "x"], 0).unwrap();
    xpub.send_multipart(["late!", "x"], 0).unwrap();
    assert_eq!(recv_ours(&sub, "filtered data"), strs(&["late!", "x"]));

    sub.set_option(SocketOption::Unsubscribe, "early").unwrap();
    assert_eq!(recv_theirs(&xpub, "unsubscribe"), [b"\x00early".to_vec()]);
}

/// Our XSUB sends raw subscription messages to libzmq's XPUB.
fn xsub_ours_xpub_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let xsub = p.ours(SocketType::XSub);
    let xpub = p.theirs(SocketType::XPub);
    link(&xsub, &xpub, t, b);
    xsub.send(Msg::new(b"\x01news".to_vec()), false).unwrap();
    assert_eq!(
        recv_theirs_touching(&xpub, &xsub, "subscribe"),
        [b"\x01news".to_vec()]
    );
    xpub.send("weather", 0).unwrap();
    xpub.send("news: hi", 0).unwrap();
    assert_eq!(recv_ours(&xsub, "data"), strs(&["news: hi"]));
    xsub.send(Msg::new(b"\x00news".to_vec()), false).unwrap();
    assert_eq!(recv_theirs(&xpub, "unsubscribe"), [b"\x00news".to_vec()]);
}

/// libzmq's XSUB subscribes on our PUB.
fn pub_ours_xsub_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let publisher = p.ours(SocketType::Pub);
    let xsub = p.theirs(SocketType::XSub);
    link(&publisher, &xsub, t, b);
    xsub.send(b"\x01news".as_slice(), 0).unwrap();
    let ok = peers::publish_until(
        Duration::from_secs(10),
        || {
            publisher.send(msg(&["weather"]), false).unwrap();
            publisher.send(msg(&["news"]), false).unwrap();
        },
        || match try_recv_theirs(&xsub, 10) {
            Some(m) => {
                assert_eq!(m, strs(&["news"]), "only the subscribed topic");
                true
            }
            None => false,
        },
    );
    assert!(ok, "subscribed data reaches libzmq XSUB");
}

/// Two libzmq SUBs on our XPUB: a repeated subscription reaches the application once
/// (every time with XPUB_VERBOSE), and its cancel only when the last holder drops it.
fn xpub_ours_two_subs_theirs(t: Transport, b: Binder) {
    for verbose in [false, true] {
        let p = Peers::new();
        let xpub = p.ours(SocketType::XPub);
        xpub.set_option(SocketOption::XpubVerbose, verbose).unwrap();
        let a = p.theirs(SocketType::Sub);
        let c = p.theirs(SocketType::Sub);
        link_many(&xpub, &[&a, &c], t, b);
        a.set_subscribe(b"t").unwrap();
        assert_eq!(
            recv_ours_touching(&xpub, &a, "first subscribe"),
            [b"\x01t".to_vec()]
        );
        c.set_subscribe(b"t").unwrap();
        if verbose {
            assert_eq!(
                recv_ours_touching(&xpub, &c, "repeated subscribe (verbose)"),
                [b"\x01t".to_vec()]
            );
        }
        // Data reaches both subscribers once each knows "t" is wanted.
        xpub.send(msg(&["t.data"]), false).unwrap();
        let got_a = recv_theirs(&a, "data for a");
        assert_eq!(got_a, strs(&["t.data"]));
        let ok = peers::publish_until(
            Duration::from_secs(10),
            || xpub.send(msg(&["t.probe"]), false).unwrap(),
            || try_recv_theirs(&c, 10).is_some(),
        );
        assert!(ok, "second subscriber served");

        a.set_unsubscribe(b"t").unwrap();
        // Not the last holder: no cancel reaches us. Wait for c's marker to be sure a's
        // cancel had its chance to arrive first.
        c.set_subscribe(b"marker").unwrap();
        let next = recv_ours_touching(&xpub, &c, "marker subscribe");
        assert_eq!(
            next,
            [b"\x01marker".to_vec()],
            "a cancel of a subscription still held elsewhere was passed up (verbose {verbose})"
        );
        c.set_unsubscribe(b"t").unwrap();
        assert_eq!(
            recv_ours_touching(&xpub, &c, "last cancel"),
            [b"\x00t".to_vec()]
        );
    }
}

/// Flow control across the wire: a libzmq PUSH floods our PULL, whose receive
/// high-water mark is tiny (so reading pauses and resumes all the time); nothing is
/// lost or reordered.
fn backpressure_pull_ours_push_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let pull = p.ours(SocketType::Pull);
    pull.set_option(SocketOption::RcvHwm, 10i64).unwrap();
    let push = p.theirs(SocketType::Push);
    push.set_sndhwm(10).unwrap();
    link(&pull, &push, t, b);
    const N: usize = 20_000;
    let sender = std::thread::spawn(move || {
        for i in 0..N {
            push.send(format!("{i}").as_str(), 0).unwrap();
        }
        push
    });
    for i in 0..N {
        assert_eq!(recv_ours(&pull, "flooded stream"), strs(&[&i.to_string()]));
    }
    let _push = sender.join().unwrap();
}

/// The same the other way: our PUSH, with a tiny send mark, floods libzmq's PULL.
fn backpressure_push_ours_pull_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let push = p.ours(SocketType::Push);
    push.set_option(SocketOption::SndHwm, 10i64).unwrap();
    let pull = p.theirs(SocketType::Pull);
    pull.set_rcvhwm(10).unwrap();
    link(&push, &pull, t, b);
    const N: usize = 20_000;
    let sender = std::thread::spawn(move || {
        for i in 0..N {
            push.send(msg(&[&i.to_string()]), false).unwrap();
        }
        push
    });
    for i in 0..N {
        assert_eq!(
            recv_theirs(&pull, "flooded stream"),
            strs(&[&i.to_string()])
        );
    }
    let _push = sender.join().unwrap();
}

// ---------------------------------------------------------------------------------
// PAIR

fn pair_ours_pair_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let ours = p.ours(SocketType::Pair);
    let theirs = p.theirs(SocketType::Pair);
    link(&ours, &theirs, t, b);
    for i in 0..20 {
        let n = i.to_string();
        ours.send(msg(&["ping", &n]), false).unwrap();
        assert_eq!(recv_theirs(&theirs, "ping"), strs(&["ping", &n]));
        theirs.send_multipart(["pong", n.as_str(), ""], 0).unwrap();
        assert_eq!(recv_ours(&ours, "pong"), strs(&["pong", &n, ""]));
    }
}

// ---------------------------------------------------------------------------------
// Sizes: frame-length boundaries (short/long frames) and 1 MiB messages

const SIZES: [usize; 9] = [0, 1, 254, 255, 256, 65_535, 65_536, 1 << 20, (1 << 20) + 3];

fn sizes_push_ours_pull_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let push = p.ours(SocketType::Push);
    let pull = p.theirs(SocketType::Pull);
    link(&push, &pull, t, b);
    for (k, &size) in SIZES.iter().enumerate() {
        push.send(Msg::new(payload(size, k)), false).unwrap();
    }
    for (k, &size) in SIZES.iter().enumerate() {
        let m = recv_theirs(&pull, &format!("{size} bytes"));
        assert_eq!(m.len(), 1);
        assert!(m[0] == payload(size, k), "{size}-byte payload intact");
    }
}

fn sizes_pull_ours_push_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let pull = p.ours(SocketType::Pull);
    let push = p.theirs(SocketType::Push);
    link(&pull, &push, t, b);
    for (k, &size) in SIZES.iter().enumerate() {
        push.send(payload(size, k), 0).unwrap();
    }
    for (k, &size) in SIZES.iter().enumerate() {
        let m = recv_ours(&pull, &format!("{size} bytes"));
        assert_eq!(m.len(), 1);
        assert!(m[0] == payload(size, k), "{size}-byte payload intact");
    }
}

/// Multipart messages with 1 MiB parts both ways between our DEALER and libzmq's
/// ROUTER.
fn big_multipart_dealer_ours_router_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let dealer = p.ours(SocketType::Dealer);
    dealer.set_option(SocketOption::Identity, "big").unwrap();
    let router = p.theirs(SocketType::Router);
    link(&dealer, &router, t, b);
    let big = |seed| payload(1 << 20, seed);
    for round in 0..3 {
        dealer
            .send(
                Msg::from_parts([big(round), Vec::new(), big(round + 1)]),
                false,
            )
            .unwrap();
        let m = recv_theirs(&router, "big request");
        assert_eq!(m.len(), 4);
        assert_eq!(m[0], b"big");
        assert!(m[1] == big(round) && m[2].is_empty() && m[3] == big(round + 1));
        router
            .send_multipart([b"big".to_vec(), big(round + 2), big(round + 3)], 0)
            .unwrap();
        let m = recv_ours(&dealer, "big reply");
        assert_eq!(m.len(), 2);
        assert!(m[0] == big(round + 2) && m[1] == big(round + 3));
    }
}

fn big_multipart_router_ours_dealer_theirs(t: Transport, b: Binder) {
    let p = Peers::new();
    let router = p.ours(SocketType::Router);
    let dealer = p.theirs(SocketType::Dealer);
    dealer.set_identity(b"big").unwrap();
    link(&router, &dealer, t, b);
    let big = |seed| payload(1 << 20, seed);
    for round in 0..3 {
        dealer
            .send_multipart([big(round), Vec::new(), big(round + 1)], 0)
            .unwrap();
        let m = recv_ours(&router, "big request");
        assert_eq!(m.len(), 4);
        assert_eq!(m[0], b"big");
        assert!(m[1] == big(round) && m[2].is_empty() && m[3] == big(round + 1));
        router
            .send(
                Msg::from_parts([b"big".to_vec(), big(round + 2), big(round + 3)]),
                false,
            )
            .unwrap();
        let m = recv_theirs(&dealer, "big reply");
        assert_eq!(m.len(), 2);
        assert!(m[0] == big(round + 2) && m[1] == big(round + 3));
    }
}

each_link! {
    req_ours_rep_theirs => req_ours_rep_theirs;
    rep_ours_req_theirs => rep_ours_req_theirs;
    rep_ours_two_req_theirs => rep_ours_two_req_theirs;
    req_ours_router_theirs => req_ours_router_theirs;
    router_ours_req_theirs => router_ours_req_theirs;
    dealer_ours_rep_theirs => dealer_ours_rep_theirs;
    rep_ours_dealer_theirs => rep_ours_dealer_theirs;
    router_ours_dealers_theirs => router_ours_dealers_theirs;
    dealers_ours_router_theirs => dealers_ours_router_theirs;
    push_ours_pull_theirs => push_ours_pull_theirs;
    pull_ours_push_theirs => pull_ours_push_theirs;
    pull_ours_two_push_theirs => pull_ours_two_push_theirs;
    push_ours_two_pull_theirs => push_ours_two_pull_theirs;
    pub_ours_sub_theirs => pub_ours_sub_theirs;
    sub_ours_pub_theirs => sub_ours_pub_theirs;
    sub_ours_everything_pub_theirs => sub_ours_everything_pub_theirs;
    xpub_ours_sub_theirs => xpub_ours_sub_theirs;
    sub_ours_xpub_theirs => sub_ours_xpub_theirs;
    xsub_ours_xpub_theirs => xsub_ours_xpub_theirs;
    pub_ours_xsub_theirs => pub_ours_xsub_theirs;
    xpub_ours_two_subs_theirs => xpub_ours_two_subs_theirs;
    backpressure_pull_ours_push_theirs => backpressure_pull_ours_push_theirs;
    backpressure_push_ours_pull_theirs => backpressure_push_ours_pull_theirs;
    pair_ours_pair_theirs => pair_ours_pair_theirs;
    sizes_push_ours_pull_theirs => sizes_push_ours_pull_theirs;
    sizes_pull_ours_push_theirs => sizes_pull_ours_push_theirs;
    big_multipart_dealer_ours_router_theirs => big_multipart_dealer_ours_router_theirs;
    big_multipart_router_ours_dealer_theirs => big_multipart_router_ours_dealer_theirs;
}
