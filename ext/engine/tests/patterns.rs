//! Socket patterns end to end, over inproc, tcp and ipc: what each socket type does with
//! its peers (RFC 28-31, libzmq 4.3 behaviour), high-water marks and time-outs.

mod common;

use common::*;
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};
use zmq_engine::error::EFSM;
use zmq_engine::{Context, Msg, SocketOption, SocketType, POLLIN, POLLOUT};

/// Runs `scenario` once per transport, each in its own bounded test body.
fn each(transports: &'static [Transport], scenario: fn(Transport)) {
    for &t in transports {
        bounded(20, move || scenario(t));
    }
}

// ---------------------------------------------------------------------------------
// PAIR

fn pair_refuses_a_second_peer(t: Transport) {
    let ctx = Context::new();
    let (a, b, ep) = pair_of(&ctx, t, SocketType::Pair, SocketType::Pair);
    send(&b, "from b");
    assert_eq!(recv_str(&a), "from b");
    send(&a, "to b");
    assert_eq!(recv_str(&b), "to b");

    // A second peer is refused: nothing it sends reaches `a`, and `a` keeps talking to
    // `b` only.
    let c = sock(&ctx, SocketType::Pair);
    c.connect(&ep).unwrap();
    let _ = c.send(Msg::new("from c"), true);
    for i in 0..5 {
        send(&b, &format!("b{i}"));
        assert_eq!(recv_str(&a), format!("b{i}"), "{t:?}");
        send(&a, &format!("a{i}"));
        assert_eq!(recv_str(&b), format!("a{i}"));
    }
    expect_nothing(&a, "the refused peer's message");
    assert!(try_recv(&c, Duration::from_millis(50)).is_none());
    ctx.terminate();
}

#[test]
fn pair_refuses_a_second_peer_all_transports() {
    each(&ALL, pair_refuses_a_second_peer);
}

// ---------------------------------------------------------------------------------
// PUSH / PULL

/// PUSH connected to three PULLs: exact round robin (the pipes exist from connect time,
/// so no slow joiner can skew it).
fn push_round_robins_over_pullers(t: Transport) {
    let ctx = Context::new();
    let push = sock(&ctx, SocketType::Push);
    let pulls: Vec<_> = (0..3).map(|_| sock(&ctx, SocketType::Pull)).collect();
    for p in &pulls {
        let ep = p.bind(&bind_ep(t)).unwrap();
        push.connect(&ep).unwrap();
    }
    for i in 0..30 {
        send(&push, &i.to_string());
    }
    for (k, p) in pulls.iter().enumerate() {
        let got: Vec<usize> = (0..10).map(|_| recv_str(p).parse().unwrap()).collect();
        let residue = got[0] % 3;
        assert!(
            got.iter().all(|n| n % 3 == residue) && got.windows(2).all(|w| w[0] < w[1]),
            "{t:?} puller {k} got {got:?}"
        );
        expect_nothing(p, "more than its share");
    }
    ctx.terminate();
}

#[test]
fn push_round_robins_over_pullers_all_transports() {
    each(&ALL, push_round_robins_over_pullers);
}

/// The usual deployment: PUSH binds, PULLs connect. Once every PULL is attached (each
/// got a probe, sent and received one at a time), a batch is shared out evenly.
fn bound_push_balances_connected_pullers(t: Transport) {
    let ctx = Context::new();
    let push = sock(&ctx, SocketType::Push);
    let ep = push.bind(&bind_ep(t)).unwrap();
    let pulls: Vec<_> = (0..3)
        .map(|_| {
            let p = sock(&ctx, SocketType::Pull);
            p.connect(&ep).unwrap();
            p
        })
        .collect();
    let mut seen = [false; 3];
    let deadline = Instant::now() + PATIENCE;
    while !seen.iter().all(|s| *s) {
        assert!(Instant::now() < deadline, "{t:?}: pullers seen {seen:?}");
        send(&push, "probe");
        // Wait for this probe to land somewhere before sending the next one, so none
        // is left in flight.
        let landed = 'wait: loop {
            for (k, p) in pulls.iter().enumerate() {
                if let Ok(m) = p.recv(true) {
                    assert_eq!(text(&m), "probe");
                    break 'wait Some(k);
                }
            }
            if Instant::now() >= deadline {
                break None;
            }
            await_ready(&pulls.iter().collect::<Vec<_>>(), POLLIN, deadline);
        };
        seen[landed.expect("probe lost")] = true;
    }
    for i in 0..30 {
        send(&push, &format!("job {i}"));
    }
    for p in &pulls {
        for _ in 0..10 {
            assert!(recv_str(p).starts_with("job "));
        }
        expect_nothing(p, "more than its share");
    }
    ctx.terminate();
}

#[test]
fn bound_push_balances_connected_pullers_all_transports() {
    each(&ALL, bound_push_balances_connected_pullers);
}

/// Over inproc sends land in the pipes synchronously, so fair queueing is exact: with
/// every pusher backlogged, the PULL takes one whole message from each in turn.
#[test]
fn pull_fair_queues_pushers_inproc() {
    bounded(20, || {
        let ctx = Context::new();
        let pull = sock(&ctx, SocketType::Pull);
        let ep = pull.bind(&bind_ep(Inproc)).unwrap();
        let pushes: Vec<_> = (0..3)
            .map(|_| {
                let p = sock(&ctx, SocketType::Push);
                p.connect(&ep).unwrap();
                p
            })
            .collect();
        for round in 0..5 {
            for (k, p) in pushes.iter().enumerate() {
                let (k, r) = (k.to_string(), round.to_string());
                send_parts(p, &[k.as_bytes(), r.as_bytes(), b"tail"]);
            }
        }
        let got: Vec<Vec<Vec<u8>>> = (0..15).map(|_| recv_parts(&pull)).collect();
        for round in got.chunks(3) {
            let senders: BTreeSet<_> = round.iter().map(|m| m[0].clone()).collect();
            assert_eq!(senders.len(), 3, "one from each pusher per turn: {round:?}");
            assert!(round.iter().all(|m| m.len() == 3 && m[2] == b"tail"));
        }
        // Each pusher's messages in its own order.
        for k in 0..3u8 {
            let rounds: Vec<_> = got
                .iter()
                .filter(|m| m[0] == [b'0' + k])
                .map(|m| m[1].clone())
                .collect();
            assert_eq!(
                rounds,
                (0..5).map(|r: u8| vec![b'0' + r]).collect::<Vec<_>>()
            );
        }
        ctx.terminate();
    });
}

/// Over the network arrival order depends on the connections; what must hold is that
/// every pusher is heard, completely and in its own order, and messages never mix.
fn pull_hears_every_pusher(t: Transport) {
    let ctx = Context::new();
    let pull = sock(&ctx, SocketType::Pull);
    let ep = pull.bind(&bind_ep(t)).unwrap();
    let pushes: Vec<_> = (0..3)
        .map(|_| {
            let p = sock(&ctx, SocketType::Push);
            p.connect(&ep).unwrap();
            p
        })
        .collect();
    const N: usize = 300;
    for i in 0..N {
        for (k, p) in pushes.iter().enumerate() {
            let (k, i) = (k.to_string(), i.to_string());
            send_parts(p, &[k.as_bytes(), i.as_bytes()]);
        }
    }
    let mut next = [0usize; 3];
    for _ in 0..3 * N {
        let m = recv_parts(&pull);
        assert_eq!(m.len(), 2, "{m:?}");
        let k: usize = String::from_utf8_lossy(&m[0]).parse().unwrap();
        let i: usize = String::from_utf8_lossy(&m[1]).parse().unwrap();
        assert_eq!(i, next[k], "{t:?}: pusher {k} out of order");
        next[k] += 1;
    }
    assert_eq!(next, [N; 3]);
    ctx.terminate();
}

#[test]
fn pull_hears_every_pusher_network() {
    each(&NETWORK, pull_hears_every_pusher);
}

// ---------------------------------------------------------------------------------
// PUB / SUB

/// Receives until `last`, skipping copies of the probe `skip`; returns what came between.
fn topics_until(s: &zmq_engine::Socket, skip: &str, last: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let m = s
            .recv(false)
            .unwrap_or_else(|e| panic!("waiting for {last:?} after {seen:?}: {e}"));
        let topic = String::from_utf8_lossy(m.first()).into_owned();
        if topic == last {
            return seen;
        }
        if topic != skip {
            seen.push(topic);
        }
    }
}

/// SUB receives what matches one of its prefixes (once, even if several match), and
/// stops receiving a prefix it unsubscribed.
fn sub_filters_by_prefix(t: Transport) {
    let ctx = Context::new();
    let (publisher, sub, _) = pair_of(&ctx, t, SocketType::Pub, SocketType::Sub);
    for p in ["a", "ba", "bar", "sync"] {
        sub.set_option(SocketOption::Subscribe, p).unwrap();
    }
    await_subscription(&publisher, &sub, "sync");
    for topic in ["apple", "banana", "bar", "bread", "cherry", "", "a", "b"] {
        send_parts(&publisher, &[topic.as_bytes(), b"body"]);
    }
    send(&publisher, "sync-end");
    assert_eq!(
        topics_until(&sub, "sync", "sync-end"),
        ["apple", "banana", "bar", "a"],
        "{t:?}"
    );

    sub.set_option(SocketOption::Unsubscribe, "a").unwrap();
    sub.set_option(SocketOption::Unsubscribe, "bar").unwrap();
    for topic in ["apple", "banana", "bar", "barn"] {
        send(&publisher, topic);
    }
    send(&publisher, "sync-end2");
    // "bar"/"barn" still match "ba".
    assert_eq!(
        topics_until(&sub, "sync", "sync-end2"),
        ["banana", "bar", "barn"]
    );
    ctx.terminate();
}

#[test]
fn sub_filters_by_prefix_all_transports() {
    each(&ALL, sub_filters_by_prefix);
}

/// Subscriptions are counted: subscribing twice and unsubscribing once keeps it; the
/// empty prefix takes everything.
fn sub_subscriptions_are_counted(t: Transport) {
    let ctx = Context::new();
    let (publisher, sub, _) = pair_of(&ctx, t, SocketType::Pub, SocketType::Sub);
    sub.set_option(SocketOption::Subscribe, "x").unwrap();
    sub.set_option(SocketOption::Subscribe, "x").unwrap();
    sub.set_option(SocketOption::Subscribe, "sync").unwrap();
    await_subscription(&publisher, &sub, "sync");
    sub.set_option(SocketOption::Unsubscribe, "x").unwrap();
    send(&publisher, "x1");
    send(&publisher, "y1");
    send(&publisher, "sync-end");
    assert_eq!(topics_until(&sub, "sync", "sync-end"), ["x1"], "{t:?}");

    sub.set_option(SocketOption::Subscribe, "").unwrap();
    sub.set_option(SocketOption::Subscribe, "sync2").unwrap();
    await_subscription(&publisher, &sub, "sync2");
    for topic in ["x2", "y2", ""] {
        send(&publisher, topic);
    }
    send(&publisher, "end");
    let got = topics_until(&sub, "sync2", "end");
    assert_eq!(got, ["x2", "y2", ""]);
    ctx.terminate();
}

#[test]
fn sub_subscriptions_are_counted_all_transports() {
    each(&ALL, sub_subscriptions_are_counted);
}

/// The publisher filters (not only the subscriber): an XSUB, which filters nothing
/// itself, only gets what it subscribed to, and nothing after cancelling.
fn publisher_filters_for_xsub(t: Transport) {
    let ctx = Context::new();
    let (publisher, xsub, _) = pair_of(&ctx, t, SocketType::Pub, SocketType::XSub);
    xsub.send(Msg::new(b"\x01news".to_vec()), false).unwrap();
    xsub.send(Msg::new(b"\x01S1".to_vec()), false).unwrap();
    await_subscription(&publisher, &xsub, "S1");
    for topic in ["weather", "news-1", "sports"] {
        send(&publisher, topic);
    }
    send(&publisher, "S1-end");
    assert_eq!(topics_until(&xsub, "S1", "S1-end"), ["news-1"], "{t:?}");

    // Subscription messages are handled in order: once S2 is live, the cancels before
    // it have been applied.
    xsub.send(Msg::new(b"\x00news".to_vec()), false).unwrap();
    xsub.send(Msg::new(b"\x00S1".to_vec()), false).unwrap();
    xsub.send(Msg::new(b"\x01S2".to_vec()), false).unwrap();
    await_subscription(&publisher, &xsub, "S2");
    send(&publisher, "news-2");
    send(&publisher, "S1-late");
    send(&publisher, "S2-end");
    assert_eq!(topics_until(&xsub, "S2", "S2-end"), Vec::<String>::new());
    ctx.terminate();
}

#[test]
fn publisher_filters_for_xsub_all_transports() {
    each(&ALL, publisher_filters_for_xsub);
}

/// A subscriber re-sends its subscriptions when it reconnects to a publisher that
/// restarted on the same endpoint.
fn subscriptions_survive_publisher_restart(t: Transport) {
    let ctx = Context::new();
    let ep = unbound_ep(t);
    let sub = sock(&ctx, SocketType::Sub);
    sub.set_option(SocketOption::ReconnectIvl, 20i64).unwrap();
    sub.set_option(SocketOption::Subscribe, "t").unwrap();
    sub.connect(&ep).unwrap();

    let first = sock(&ctx, SocketType::Pub);
    bind_retry(&first, &ep);
    await_subscription(&first, &sub, "t");
    first.close();

    let second = sock(&ctx, SocketType::Pub);
    bind_retry(&second, &ep);
    // Skip what the first publisher left in flight; the probe only gets through once
    // the subscription was re-sent to the new publisher.
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(
            Instant::now() < deadline,
            "{t:?}: subscription not re-sent after reconnect"
        );
        second.send(Msg::new("t-second"), true).unwrap();
        if let Some(m) = try_recv(&sub, Duration::from_millis(20)) {
            if m.first() == "t-second" {
                break;
            }
        }
    }
    ctx.terminate();
}

#[test]
fn subscriptions_survive_publisher_restart_network() {
    each(&NETWORK, subscriptions_survive_publisher_restart);
}

fn xsub_msg(subscribe: bool, topic: &str) -> Vec<u8> {
    let mut v = vec![subscribe as u8];
    v.extend_from_slice(topic.as_bytes());
    v
}

/// XPUB hands subscriptions to the application: new ones once (repeats from other
/// subscribers only with xpub_verbose), cancels when the last holder goes.
fn xpub_sees_subscriptions(t: Transport, verbose: bool) {
    let ctx = Context::new();
    let xpub = sock(&ctx, SocketType::XPub);
    if verbose {
        xpub.set_option(SocketOption::XpubVerbose, 1i64).unwrap();
    }
    let ep = xpub.bind(&bind_ep(t)).unwrap();
    let s1 = sock(&ctx, SocketType::Sub);
    let s2 = sock(&ctx, SocketType::Sub);
    s1.connect(&ep).unwrap();
    s2.connect(&ep).unwrap();

    s1.set_option(SocketOption::Subscribe, "foo").unwrap();
    assert_eq!(recv_parts(&xpub), [xsub_msg(true, "foo")], "{t:?}");
    // The same topic from a second subscriber, then another topic from it: order on
    // its connection tells whether the repeat was passed on.
    s2.set_option(SocketOption::Subscribe, "foo").unwrap();
    s2.set_option(SocketOption::Subscribe, "bar").unwrap();
    if verbose {
        assert_eq!(recv_parts(&xpub), [xsub_msg(true, "foo")], "verbose repeat");
    }
    assert_eq!(recv_parts(&xpub), [xsub_msg(true, "bar")]);

    // Data goes to whoever holds a matching subscription.
    send(&xpub, "foo!");
    send(&xpub, "bar!");
    assert_eq!(recv_str(&s1), "foo!");
    assert_eq!(recv_str(&s2), "foo!");
    assert_eq!(recv_str(&s2), "bar!");

    // One holder of "foo" cancels: still held, nothing reported.
    s1.set_option(SocketOption::Unsubscribe, "foo").unwrap();
    s1.set_option(SocketOption::Subscribe, "baz").unwrap();
    assert_eq!(recv_parts(&xpub), [xsub_msg(true, "baz")]);
    // The last holder cancels.
    s2.set_option(SocketOption::Unsubscribe, "foo").unwrap();
    assert_eq!(recv_parts(&xpub), [xsub_msg(false, "foo")]);
    // A subscriber that goes away takes its subscriptions with it.
    s2.close();
    assert_eq!(recv_parts(&xpub), [xsub_msg(false, "bar")]);
    expect_nothing(&xpub, "after the last cancel");
    ctx.terminate();
}

#[test]
fn xpub_sees_new_subscriptions_all_transports() {
    each(&ALL, |t| xpub_sees_subscriptions(t, false));
}

#[test]
fn xpub_verbose_sees_repeats_all_transports() {
    each(&ALL, |t| xpub_sees_subscriptions(t, true));
}

/// XSUB sends subscriptions (and any other message) upstream as plain messages.
fn xsub_talks_to_xpub(t: Transport) {
    let ctx = Context::new();
    let (xpub, xsub, _) = pair_of(&ctx, t, SocketType::XPub, SocketType::XSub);
    xsub.send(Msg::new(xsub_msg(true, "news")), false).unwrap();
    assert_eq!(recv_parts(&xpub), [xsub_msg(true, "news")], "{t:?}");
    send(&xpub, "weather");
    send(&xpub, "news: hi");
    assert_eq!(recv_str(&xsub), "news: hi");
    // Not a subscription: passed upstream as is.
    send(&xsub, "hello upstream");
    assert_eq!(recv_str(&xpub), "hello upstream");
    xsub.send(Msg::new(xsub_msg(false, "news")), false).unwrap();
    assert_eq!(recv_parts(&xpub), [xsub_msg(false, "news")]);
    ctx.terminate();
}

#[test]
fn xsub_talks_to_xpub_all_transports() {
    each(&ALL, xsub_talks_to_xpub);
}

// ---------------------------------------------------------------------------------
// REQ / REP

/// REQ puts an empty delimiter in front of its request; ROUTER shows it after the
/// routing id, and REQ strips it from the reply.
fn req_envelope_through_router(t: Transport) {
    let ctx = Context::new();
    let (router, req, _) = pair_of(&ctx, t, SocketType::Router, SocketType::Req);
    for i in 0..3 {
        let body = format!("hello {i}");
        send(&req, &body);
        let m = recv_parts(&router);
        assert_eq!(m.len(), 3, "{t:?}: {m:?}");
        assert!(m[1].is_empty(), "delimiter");
        assert_eq!(m[2], body.as_bytes());
        send_parts(&router, &[&m[0], b"", b"world", b"2"]);
        assert_eq!(recv_parts(&req), [b"world".to_vec(), b"2".to_vec()]);
    }
    ctx.terminate();
}

#[test]
fn req_envelope_through_router_all_transports() {
    each(&ALL, req_envelope_through_router);
}

/// REP keeps everything up to the delimiter as the envelope and puts it on its reply.
fn rep_keeps_the_envelope(t: Transport) {
    let ctx = Context::new();
    let (rep, dealer, _) = pair_of(&ctx, t, SocketType::Rep, SocketType::Dealer);
    send_parts(&dealer, &[b"hop1", b"hop2", b"", b"request", b"more"]);
    assert_eq!(
        recv_parts(&rep),
        [b"request".to_vec(), b"more".to_vec()],
        "{t:?}"
    );
    send(&rep, "reply");
    assert_eq!(
        recv_parts(&dealer),
        [
            b"hop1".to_vec(),
            b"hop2".to_vec(),
            Vec::new(),
            b"reply".to_vec()
        ]
    );
    // A request without a delimiter is malformed and dropped; the next one is served.
    send_parts(&dealer, &[b"no delimiter"]);
    send_parts(&dealer, &[b"", b"good"]);
    assert_eq!(recv_str(&rep), "good");
    send(&rep, "ok");
    assert_eq!(recv_parts(&dealer), [Vec::new(), b"ok".to_vec()]);
    ctx.terminate();
}

#[test]
fn rep_keeps_the_envelope_all_transports() {
    each(&ALL, rep_keeps_the_envelope);
}

/// REQ and REP enforce strict alternation with EFSM.
#[test]
fn req_rep_misuse_is_efsm() {
    bounded(20, || {
        let ctx = Context::new();
        let (rep, req, _) = pair_of(&ctx, Inproc, SocketType::Rep, SocketType::Req);
        assert_eq!(errno(req.recv(true)), EFSM, "REQ recv before send");
        assert_eq!(errno(req.recv(false)), EFSM, "blocking too");
        assert_eq!(errno(rep.send(Msg::new("x"), true)), EFSM, "REP send first");
        send(&req, "one");
        assert_eq!(
            errno(req.send(Msg::new("two"), true)),
            EFSM,
            "REQ send twice"
        );
        assert_eq!(recv_str(&rep), "one");
        assert_eq!(errno(rep.recv(true)), EFSM, "REP recv twice");
        send(&rep, "reply");
        assert_eq!(
            errno(rep.send(Msg::new("again"), true)),
            EFSM,
            "REP send twice"
        );
        assert_eq!(recv_str(&req), "reply");
        assert_eq!(errno(req.recv(true)), EFSM, "REQ recv twice");
        // Back to the start: a full round works again.
        send(&req, "three");
        assert_eq!(recv_str(&rep), "three");
        send(&rep, "done");
        assert_eq!(recv_str(&req), "done");
        ctx.terminate();
    });
}

/// REQ connected to several REPs sends its requests round robin.
fn req_load_balances_over_reps(t: Transport) {
    let ctx = Context::new();
    let req = sock(&ctx, SocketType::Req);
    let reps: Vec<_> = (0..3).map(|_| sock(&ctx, SocketType::Rep)).collect();
    for r in &reps {
        req.connect(&r.bind(&bind_ep(t)).unwrap()).unwrap();
    }
    let mut served = [0; 3];
    for i in 0..9 {
        send(&req, &format!("req {i}"));
        let deadline = Instant::now() + PATIENCE;
        let k = loop {
            if let Some(k) = reps.iter().position(|r| {
                r.recv(true)
                    .map(|m| assert_eq!(text(&m), format!("req {i}")))
                    .is_ok()
            }) {
                break k;
            }
            assert!(Instant::now() < deadline, "{t:?}: request {i} lost");
            await_ready(&reps.iter().collect::<Vec<_>>(), POLLIN, deadline);
        };
        served[k] += 1;
        send(&reps[k], &format!("rep {i} from {k}"));
        assert_eq!(recv_str(&req), format!("rep {i} from {k}"));
    }
    assert_eq!(served, [3, 3, 3], "{t:?}");
    ctx.terminate();
}

#[test]
fn req_load_balances_over_reps_all_transports() {
    each(&ALL, req_load_balances_over_reps);
}

// ---------------------------------------------------------------------------------
// DEALER / ROUTER

/// Peers without an identity get a generated 5-byte routing id starting with a zero
/// byte; replies find their way back by it.
fn router_generates_ids(t: Transport) {
    let ctx = Context::new();
    let router = sock(&ctx, SocketType::Router);
    let ep = router.bind(&bind_ep(t)).unwrap();
    let dealers: Vec<_> = (0..2)
        .map(|_| {
            let d = sock(&ctx, SocketType::Dealer);
            d.connect(&ep).unwrap();
            d
        })
        .collect();
    for (k, d) in dealers.iter().enumerate() {
        send_parts(d, &[b"hi", k.to_string().as_bytes()]);
    }
    let mut ids = HashMap::new();
    for _ in 0..2 {
        let m = recv_parts(&router);
        assert_eq!(m.len(), 3, "{m:?}");
        assert_eq!(m[0].len(), 5, "{t:?}: generated id {:?}", m[0]);
        assert_eq!(m[0][0], 0, "generated ids start with a zero byte");
        assert_eq!(m[1], b"hi");
        ids.insert(m[2].clone(), m[0].clone());
    }
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[&b"0".to_vec()], ids[&b"1".to_vec()]);
    for k in [1usize, 0] {
        let id = &ids[&k.to_string().into_bytes()];
        send_parts(&router, &[id, b"for", k.to_string().as_bytes()]);
    }
    for (k, d) in dealers.iter().enumerate() {
        assert_eq!(recv_parts(d), [b"for".to_vec(), k.to_string().into_bytes()]);
    }
    ctx.terminate();
}

#[test]
fn router_generates_ids_all_transports() {
    each(&ALL, router_generates_ids);
}

/// A peer's announced identity is its routing id, whichever side connects.
fn router_uses_peer_identities(t: Transport) {
    let ctx = Context::new();
    let router = sock(&ctx, SocketType::Router);
    let ep = router.bind(&bind_ep(t)).unwrap();
    let dealer = sock(&ctx, SocketType::Dealer);
    dealer.set_option(SocketOption::Identity, "alpha").unwrap();
    dealer.connect(&ep).unwrap();
    send(&dealer, "from alpha");
    assert_eq!(
        recv_parts(&router),
        [b"alpha".to_vec(), b"from alpha".to_vec()],
        "{t:?}"
    );
    send_parts(&router, &[b"alpha", b"to alpha"]);
    assert_eq!(recv_str(&dealer), "to alpha");

    // The other way round: a ROUTER that connects learns the identity of the DEALER
    // it connected to once the handshake is done.
    let server = sock(&ctx, SocketType::Dealer);
    server.set_option(SocketOption::Identity, "server").unwrap();
    let sep = server.bind(&bind_ep(t)).unwrap();
    let client = sock(&ctx, SocketType::Router);
    client
        .set_option(SocketOption::RouterMandatory, 1i64)
        .unwrap();
    client.connect(&sep).unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        match client.send(Msg::from_parts(["server", "ping"]), true) {
            Ok(()) => break,
            Err(e) if e.errno() == libc::EHOSTUNREACH && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2))
            }
            Err(e) => panic!("{t:?}: routing to the bound DEALER: {e}"),
        }
    }
    assert_eq!(recv_str(&server), "ping");
    send(&server, "pong");
    assert_eq!(recv_parts(&client), [b"server".to_vec(), b"pong".to_vec()]);
    ctx.terminate();
}

#[test]
fn router_uses_peer_identities_all_transports() {
    each(&ALL, router_uses_peer_identities);
}

/// inproc connect-before-bind keeps the connecter's identity.
#[test]
fn router_identity_with_inproc_connect_before_bind() {
    bounded(20, || {
        let ctx = Context::new();
        let ep = unbound_ep(Inproc);
        let dealer = sock(&ctx, SocketType::Dealer);
        dealer.set_option(SocketOption::Identity, "early").unwrap();
        dealer.connect(&ep).unwrap();
        send(&dealer, "queued before bind");
        let router = sock(&ctx, SocketType::Router);
        router.bind(&ep).unwrap();
        assert_eq!(
            recv_parts(&router),
            [b"early".to_vec(), b"queued before bind".to_vec()]
        );
        send_parts(&router, &[b"early", b"back"]);
        assert_eq!(recv_str(&dealer), "back");
        ctx.terminate();
    });
}

/// DEALER spreads its sends round robin and takes replies from every peer.
fn dealer_balances_over_routers(t: Transport) {
    let ctx = Context::new();
    let dealer = sock(&ctx, SocketType::Dealer);
    dealer.set_option(SocketOption::Identity, "d").unwrap();
    let routers: Vec<_> = (0..2).map(|_| sock(&ctx, SocketType::Router)).collect();
    for r in &routers {
        dealer.connect(&r.bind(&bind_ep(t)).unwrap()).unwrap();
    }
    for i in 0..6 {
        send(&dealer, &i.to_string());
    }
    for (k, r) in routers.iter().enumerate() {
        let mut got = Vec::new();
        for _ in 0..3 {
            let m = recv_parts(r);
            assert_eq!(m[0], b"d", "{t:?}");
            got.push(String::from_utf8(m[1].clone()).unwrap());
        }
        let residue = got[0].parse::<usize>().unwrap() % 2;
        assert!(
            got.iter()
                .all(|n| n.parse::<usize>().unwrap() % 2 == residue),
            "{t:?}: router {k} got {got:?}"
        );
        expect_nothing(r, "more than its share");
        send_parts(r, &[b"d", format!("from {k}").as_bytes()]);
    }
    let mut replies: Vec<_> = (0..2).map(|_| recv_str(&dealer)).collect();
    replies.sort();
    assert_eq!(replies, ["from 0", "from 1"]);
    ctx.terminate();
}

#[test]
fn dealer_balances_over_routers_all_transports() {
    each(&ALL, dealer_balances_over_routers);
}

/// Unknown routing ids: dropped silently, or EHOSTUNREACH with router_mandatory.
fn router_mandatory_unknown_id(t: Transport) {
    let ctx = Context::new();
    let (router, dealer, _) = pair_of(&ctx, t, SocketType::Router, SocketType::Dealer);
    dealer.set_option(SocketOption::Identity, "known").ok();
    router
        .send(Msg::from_parts(["nobody", "lost"]), true)
        .expect("dropped silently without router_mandatory");
    router
        .set_option(SocketOption::RouterMandatory, 1i64)
        .unwrap();
    assert_eq!(
        errno(router.send(Msg::from_parts(["nobody", "lost"]), true)),
        libc::EHOSTUNREACH,
        "{t:?}"
    );
    assert_eq!(
        errno(router.send(Msg::from_parts(["nobody", "lost"]), false)),
        libc::EHOSTUNREACH,
        "blocking send fails at once too"
    );
    // A known peer is still reachable.
    send(&dealer, "hi");
    let m = recv_parts(&router);
    send_parts(&router, &[&m[0], b"reply"]);
    assert_eq!(recv_str(&dealer), "reply");
    expect_nothing(&dealer, "the unroutable messages");
    ctx.terminate();
}

#[test]
fn router_mandatory_unknown_id_all_transports() {
    each(&ALL, router_mandatory_unknown_id);
}

// ---------------------------------------------------------------------------------
// Multipart

/// Parts sent one by one arrive together; a receiver sees them with the more flag, and
/// a load balancer never splits a message between peers.
fn multipart_is_atomic(t: Transport) {
    let ctx = Context::new();
    let push = sock(&ctx, SocketType::Push);
    let pulls: Vec<_> = (0..2).map(|_| sock(&ctx, SocketType::Pull)).collect();
    for p in &pulls {
        push.connect(&p.bind(&bind_ep(t)).unwrap()).unwrap();
    }
    for i in 0..10 {
        let n = i.to_string();
        push.send_part(n.clone().into(), true, false).unwrap();
        push.send_part(Vec::new().into(), true, false).unwrap();
        push.send_part(vec![b'x'; 300 + i].into(), false, false)
            .unwrap();
    }
    for p in &pulls {
        for _ in 0..5 {
            let (first, more) = p.recv_part(false).unwrap();
            assert!(more, "{t:?}");
            assert!(p.rcvmore());
            let i: usize = String::from_utf8_lossy(&first).parse().unwrap();
            let (second, more) = p.recv_part(false).unwrap();
            assert!(second.is_empty() && more);
            let (third, more) = p.recv_part(false).unwrap();
            assert!(!more && !p.rcvmore());
            assert_eq!(third.len(), 300 + i);
        }
        expect_nothing(p, "stray parts");
    }
    // recv() takes the whole message; big parts survive intact.
    let big: Vec<u8> = (0..(1 << 20) + 7).map(|i| (i % 251) as u8).collect();
    push.send(
        Msg::from_parts([big.clone(), Vec::new(), big.clone()]),
        false,
    )
    .unwrap();
    let m = pulls
        .iter()
        .find_map(|p| try_recv(p, Duration::from_millis(50)))
        .or_else(|| pulls.iter().find_map(|p| try_recv(p, PATIENCE)))
        .expect("big message");
    assert_eq!(m.len(), 3);
    assert!(m.get(0).unwrap()[..] == big[..] && m.get(1).unwrap().is_empty());
    assert!(m.get(2).unwrap()[..] == big[..]);
    ctx.terminate();
}

#[test]
fn multipart_is_atomic_all_transports() {
    each(&ALL, multipart_is_atomic);
}

/// A message whose final part was never sent is never delivered.
fn unfinished_multipart_is_not_delivered(t: Transport) {
    let ctx = Context::new();
    let (pull, push, _) = pair_of(&ctx, t, SocketType::Pull, SocketType::Push);
    push.set_option(SocketOption::Linger, 1000i64).unwrap();
    send(&push, "whole");
    push.send_part("half".into(), true, false).unwrap();
    push.close();
    let first = pull.recv(false).map(|m| text(&m));
    assert_eq!(first.as_deref(), Ok("whole"), "{t:?}");
    expect_nothing(&pull, "the unfinished message");
    ctx.terminate();
}

#[test]
fn unfinished_multipart_is_not_delivered_all_transports() {
    each(&ALL, unfinished_multipart_is_not_delivered);
}

// ---------------------------------------------------------------------------------
// High-water marks and time-outs

/// inproc joins both marks: exactly sndhwm + rcvhwm messages fit, then PUSH says
/// EAGAIN (or blocks until sndtimeo); room comes back once the PULL reads.
#[test]
fn push_stops_at_the_high_water_mark_inproc() {
    bounded(20, || {
        let ctx = Context::new();
        let pull = sock(&ctx, SocketType::Pull);
        pull.set_option(SocketOption::RcvHwm, 5i64).unwrap();
        let ep = pull.bind(&bind_ep(Inproc)).unwrap();
        let push = sock(&ctx, SocketType::Push);
        push.set_option(SocketOption::SndHwm, 5i64).unwrap();
        push.set_option(SocketOption::SndTimeo, 200i64).unwrap();
        push.connect(&ep).unwrap();
        let mut sent = 0;
        while push.send(Msg::new(format!("{sent}")), true).is_ok() {
            sent += 1;
            assert!(sent <= 10, "the mark was not enforced");
        }
        assert_eq!(sent, 10, "sndhwm + rcvhwm messages fit");
        assert_eq!(errno(push.send(Msg::new("x"), true)), libc::EAGAIN);
        assert_eq!(push.events() & zmq_engine::POLLOUT, 0);
        let start = Instant::now();
        assert_eq!(errno(push.send(Msg::new("x"), false)), libc::EAGAIN);
        assert_took(
            start.elapsed(),
            Duration::from_millis(190),
            Duration::from_secs(3),
            "send at the mark with sndtimeo 200",
        );

        // A blocked send completes once the reader makes room.
        push.set_option(SocketOption::SndTimeo, TIMEOUT_MS).unwrap();
        let blocked = {
            let push = push.clone();
            std::thread::spawn(move || push.send(Msg::new("late"), false))
        };
        for i in 0..10 {
            assert_eq!(recv_str(&pull), i.to_string());
        }
        blocked.join().unwrap().expect("blocked send completes");
        assert_eq!(recv_str(&pull), "late");
        ctx.terminate();
    });
}

/// Over the network the kernel buffers add slack, but a PUSH whose peer does not read
/// still reaches EAGAIN, after at least sndhwm messages, and recovers once it reads.
fn push_stops_at_the_high_water_mark(t: Transport) {
    let ctx = Context::new();
    let pull = sock(&ctx, SocketType::Pull);
    pull.set_option(SocketOption::RcvHwm, 10i64).unwrap();
    let ep = pull.bind(&bind_ep(t)).unwrap();
    let push = sock(&ctx, SocketType::Push);
    push.set_option(SocketOption::SndHwm, 10i64).unwrap();
    push.connect(&ep).unwrap();
    let payload = vec![7u8; 16 * 1024];
    let mut sent = 0usize;
    let deadline = Instant::now() + PATIENCE;
    loop {
        match push.send(Msg::new(payload.clone()), true) {
            Ok(()) => sent += 1,
            Err(e) if e.is_again() => {
                if sent >= 10 {
                    // Still full a moment later? Then we are really at the mark.
                    if try_send_within(&push, &payload, Duration::from_millis(100)) {
                        sent += 1;
                        continue;
                    }
                    break;
                }
                assert!(Instant::now() < deadline, "stuck below sndhwm at {sent}");
                await_ready(&[&push], POLLOUT, deadline);
            }
            Err(e) => panic!("send: {e}"),
        }
        assert!(sent < 100_000, "{t:?}: never reached the mark");
    }
    assert!(
        sent >= 10,
        "{t:?}: at least sndhwm messages fit, got {sent}"
    );
    for _ in 0..sent {
        assert_eq!(pull.recv(false).unwrap().byte_len(), payload.len());
    }
    push.send(Msg::new("after"), false).unwrap();
    assert_eq!(recv_str(&pull), "after");
    ctx.terminate();
}

fn try_send_within(s: &zmq_engine::Socket, payload: &[u8], within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if s.send(Msg::new(payload.to_vec()), true).is_ok() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        await_ready(&[s], POLLOUT, deadline);
    }
}

#[test]
fn push_stops_at_the_high_water_mark_network() {
    each(&NETWORK, push_stops_at_the_high_water_mark);
}

/// A PUSH with no peer at all cannot send: EAGAIN at once, or after sndtimeo.
#[test]
fn push_without_peers_would_block() {
    bounded(20, || {
        let ctx = Context::new();
        let push = sock(&ctx, SocketType::Push);
        assert_eq!(errno(push.send(Msg::new("x"), true)), libc::EAGAIN);
        push.set_option(SocketOption::SndTimeo, 150i64).unwrap();
        let start = Instant::now();
        assert_eq!(errno(push.send(Msg::new("x"), false)), libc::EAGAIN);
        assert_took(
            start.elapsed(),
            Duration::from_millis(140),
            Duration::from_secs(3),
            "sndtimeo 150",
        );
        ctx.terminate();
    });
}

/// A publisher never blocks: at the mark, messages for a slow subscriber are dropped.
#[test]
fn pub_drops_at_the_high_water_mark_inproc() {
    bounded(20, || {
        let ctx = Context::new();
        let publisher = sock(&ctx, SocketType::Pub);
        publisher.set_option(SocketOption::SndHwm, 10i64).unwrap();
        let ep = publisher.bind(&bind_ep(Inproc)).unwrap();
        let sub = sock(&ctx, SocketType::Sub);
        sub.set_option(SocketOption::RcvHwm, 10i64).unwrap();
        sub.set_option(SocketOption::Subscribe, "").unwrap();
        sub.connect(&ep).unwrap();
        // The subscription arrives with the pipe, before anything is published.
        for i in 0..100 {
            publisher
                .send(Msg::new(i.to_string()), true)
                .expect("PUB never says EAGAIN");
        }
        let mut got = Vec::new();
        while let Some(m) = try_recv(&sub, QUIET) {
            got.push(text(&m).parse::<usize>().unwrap());
        }
        assert_eq!(
            got,
            (0..20).collect::<Vec<_>>(),
            "sndhwm + rcvhwm, in order"
        );
        // Not stuck: once drained, new messages flow again.
        send(&publisher, "100");
        assert_eq!(recv_str(&sub), "100");
        ctx.terminate();
    });
}

fn pub_drops_at_the_high_water_mark(t: Transport) {
    let ctx = Context::new();
    let publisher = sock(&ctx, SocketType::Pub);
    publisher.set_option(SocketOption::SndHwm, 10i64).unwrap();
    let ep = publisher.bind(&bind_ep(t)).unwrap();
    let sub = sock(&ctx, SocketType::Sub);
    sub.set_option(SocketOption::RcvHwm, 10i64).unwrap();
    sub.set_option(SocketOption::Subscribe, "").unwrap();
    sub.connect(&ep).unwrap();
    await_subscription(&publisher, &sub, "sync");
    while try_recv(&sub, Duration::from_millis(20)).is_some() {}
    // Far more than the marks and the kernel buffers hold.
    const N: usize = 4_000;
    let payload = vec![1u8; 16 * 1024];
    let start = Instant::now();
    for _ in 0..N {
        publisher
            .send(Msg::new(payload.clone()), true)
            .expect("PUB never says EAGAIN");
    }
    let publish_time = start.elapsed();
    let mut got = 0;
    while try_recv(&sub, QUIET).is_some() {
        got += 1;
    }
    assert!(got > 0, "{t:?}: some messages arrive");
    assert!(
        got < N,
        "{t:?}: a slow subscriber loses messages ({got} of {N})"
    );
    assert!(
        publish_time < Duration::from_secs(10),
        "publishing never blocked"
    );
    ctx.terminate();
}

#[test]
fn pub_drops_at_the_high_water_mark_network() {
    each(&NETWORK, pub_drops_at_the_high_water_mark);
}

/// ROUTER with router_mandatory says EAGAIN for a peer at its mark instead of dropping.
#[test]
fn router_mandatory_full_peer_is_eagain() {
    bounded(20, || {
        let ctx = Context::new();
        let router = sock(&ctx, SocketType::Router);
        router
            .set_option(SocketOption::RouterMandatory, 1i64)
            .unwrap();
        router.set_option(SocketOption::SndHwm, 3i64).unwrap();
        let ep = router.bind(&bind_ep(Inproc)).unwrap();
        let dealer = sock(&ctx, SocketType::Dealer);
        dealer.set_option(SocketOption::RcvHwm, 3i64).unwrap();
        dealer.set_option(SocketOption::Identity, "slow").unwrap();
        dealer.connect(&ep).unwrap();
        let mut sent = 0;
        loop {
            match router.send(Msg::from_parts(["slow", "x"]), true) {
                Ok(()) => sent += 1,
                Err(e) => {
                    assert!(e.is_again(), "expected EAGAIN, got {e}");
                    break;
                }
            }
            assert!(sent <= 6);
        }
        assert_eq!(sent, 6);
        for _ in 0..6 {
            assert_eq!(recv_str(&dealer), "x");
        }
        router
            .send(Msg::from_parts(["slow", "again"]), true)
            .unwrap();
        assert_eq!(recv_str(&dealer), "again");
        ctx.terminate();
    });
}

/// rcvtimeo: EAGAIN after about the time-out, 0 means at once.
#[test]
fn rcvtimeo_is_honoured() {
    bounded(20, || {
        let ctx = Context::new();
        let (pull, _push, _) = pair_of(&ctx, Tcp, SocketType::Pull, SocketType::Push);
        pull.set_option(SocketOption::RcvTimeo, 200i64).unwrap();
        let start = Instant::now();
        assert_eq!(errno(pull.recv(false)), libc::EAGAIN);
        assert_took(
            start.elapsed(),
            Duration::from_millis(190),
            Duration::from_secs(3),
            "rcvtimeo 200",
        );
        pull.set_option(SocketOption::RcvTimeo, 0i64).unwrap();
        let start = Instant::now();
        assert_eq!(errno(pull.recv_part(false)), libc::EAGAIN);
        assert!(start.elapsed() < Duration::from_secs(1), "rcvtimeo 0");
        ctx.terminate();
    });
}
