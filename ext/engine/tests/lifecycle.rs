//! Connections over their life: connect before bind, reconnects, linger on close,
//! context termination, unbind/disconnect, endpoint errors, maxmsgsize, and the
//! readiness fd / events() that pollers rely on.

mod common;

use common::*;
use std::time::{Duration, Instant};
use zmq_engine::error::ETERM;
use zmq_engine::{Context, Msg, OptionValue, SocketOption, SocketType, POLLIN, POLLOUT};

fn each(transports: &'static [Transport], scenario: fn(Transport)) {
    for &t in transports {
        bounded(20, move || scenario(t));
    }
}

// ---------------------------------------------------------------------------------
// Connecting, reconnecting

/// Messages sent to an endpoint nobody is bound to yet are queued and delivered once
/// someone binds it.
fn connect_before_bind(t: Transport) {
    let ctx = Context::new();
    let ep = unbound_ep(t);
    let push = sock(&ctx, SocketType::Push);
    push.set_option(SocketOption::ReconnectIvl, 20i64).unwrap();
    push.connect(&ep).unwrap();
    for i in 0..5 {
        send(&push, &format!("early {i}"));
    }
    let pull = sock(&ctx, SocketType::Pull);
    bind_retry(&pull, &ep);
    for i in 0..5 {
        assert_eq!(recv_str(&pull), format!("early {i}"), "{t:?}");
    }
    send(&push, "later");
    assert_eq!(recv_str(&pull), "later");
    ctx.terminate();
}

#[test]
fn connect_before_bind_all_transports() {
    each(&ALL, connect_before_bind);
}

/// A peer that dies and comes back on the same endpoint is reconnected to.
fn reconnect_after_peer_restart(t: Transport) {
    let ctx = Context::new();
    let ep = unbound_ep(t);
    let first = sock(&ctx, SocketType::Pull);
    bind_retry(&first, &ep);
    let push = sock(&ctx, SocketType::Push);
    push.set_option(SocketOption::ReconnectIvl, 20i64).unwrap();
    push.connect(&ep).unwrap();
    send(&push, "to first");
    assert_eq!(recv_str(&first), "to first");
    first.close();

    let second = sock(&ctx, SocketType::Pull);
    bind_retry(&second, &ep);
    // What was in flight to the dead peer may be lost; probe until the new one hears.
    let deadline = Instant::now() + PATIENCE;
    let mut i = 0;
    loop {
        assert!(Instant::now() < deadline, "{t:?}: never reconnected");
        push.send(Msg::new(format!("probe {i}")), true).ok();
        i += 1;
        if let Some(m) = try_recv(&second, Duration::from_millis(20)) {
            assert!(text(&m).starts_with("probe "));
            break;
        }
    }
    ctx.terminate();
}

#[test]
fn reconnect_after_peer_restart_network() {
    each(&NETWORK, reconnect_after_peer_restart);
}

// ---------------------------------------------------------------------------------
// Linger

/// The sender closes right after sending and its context terminates; the receiver, in
/// another context, still gets everything. With the default infinite linger,
/// terminate returns as soon as the queue went out. Repeated: closing races with the
/// connection coming up.
fn linger_delivers_after_close(t: Transport) {
    for _ in 0..10 {
        linger_delivers_once(t);
    }
}

fn linger_delivers_once(t: Transport) {
    let rctx = Context::new();
    let pull = sock(&rctx, SocketType::Pull);
    let ep = pull.bind(&bind_ep(t)).unwrap();
    let sctx = if t == Inproc {
        rctx.clone() // inproc only joins sockets of one context
    } else {
        Context::new()
    };
    let push = sctx.socket(SocketType::Push).unwrap();
    assert_eq!(
        push.get_option(SocketOption::Linger).unwrap(),
        OptionValue::Int(-1)
    );
    push.connect(&ep).unwrap();
    const N: usize = 300;
    for i in 0..N {
        push.send(Msg::new(format!("{i}")), false).unwrap();
    }
    let big = vec![9u8; 1 << 20];
    push.send(Msg::new(big.clone()), false).unwrap();
    push.close();
    // Terminating the sender's context returns once the queue went out; the receiver
    // reads meanwhile, as delivery may need room at its end.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    if t != Inproc {
        std::thread::spawn(move || {
            sctx.terminate();
            let _ = done_tx.send(());
        });
    }
    for i in 0..N {
        let m = pull
            .recv(false)
            .unwrap_or_else(|e| panic!("{t:?}: message {i} of {N} lost: {e}"));
        assert_eq!(text(&m), i.to_string());
    }
    let last = pull
        .recv(false)
        .unwrap_or_else(|e| panic!("{t:?}: the big message was lost: {e}"));
    assert!(last.first()[..] == big[..]);
    if t != Inproc {
        done_rx
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("{t:?}: terminate hangs after everything was delivered"));
    }
    rctx.terminate();
}

#[test]
fn linger_delivers_after_close_all_transports() {
    each(&ALL, linger_delivers_after_close);
}

/// Linger 0 drops what has not gone out yet, where linger delivers it. The peer does
/// not read at first, so most of a large batch is still queued on our side at close.
fn linger_zero_drops_queued(t: Transport) {
    fn run(t: Transport, linger: i64) -> usize {
        let ctx = Context::new();
        let pull = sock(&ctx, SocketType::Pull);
        pull.set_option(SocketOption::RcvHwm, 1i64).unwrap();
        let ep = pull.bind(&bind_ep(t)).unwrap();
        let push = sock(&ctx, SocketType::Push);
        push.set_option(SocketOption::SndHwm, 0i64).unwrap();
        push.set_option(SocketOption::Linger, linger).unwrap();
        push.connect(&ep).unwrap();
        send(&push, "first");
        assert_eq!(recv_str(&pull), "first");
        const N: usize = 500;
        let block = vec![3u8; 64 * 1024];
        for _ in 0..N {
            push.send(Msg::new(block.clone()), true).unwrap();
        }
        push.close();
        let mut got = 0;
        while try_recv(&pull, Duration::from_millis(500)).is_some() {
            got += 1;
        }
        ctx.terminate();
        got
    }
    let kept = run(t, 5000);
    assert_eq!(kept, 500, "{t:?}: linger delivers all");
    let dropped = run(t, 0);
    assert!(dropped < 500, "{t:?}: linger 0 dropped nothing ({dropped})");
}

#[test]
fn linger_zero_drops_queued_network() {
    each(&NETWORK, linger_zero_drops_queued);
}

/// Messages queued for an endpoint nobody ever bound go with a linger-0 close: a
/// later binder gets nothing.
fn linger_zero_before_connecting(t: Transport) {
    let ctx = Context::new();
    let ep = unbound_ep(t);
    let push = sock(&ctx, SocketType::Push);
    push.connect(&ep).unwrap();
    for i in 0..10 {
        send(&push, &format!("doomed {i}"));
    }
    push.close_with_linger(0);
    let pull = sock(&ctx, SocketType::Pull);
    bind_retry(&pull, &ep);
    expect_nothing(&pull, "messages of a socket closed with linger 0");
    ctx.terminate();
}

#[test]
fn linger_zero_before_connecting_network() {
    each(&NETWORK, linger_zero_before_connecting);
}

// ---------------------------------------------------------------------------------
// Context termination

/// Terminating the context wakes a receive blocked in another thread with ETERM, and
/// later calls fail with ETERM too.
#[test]
fn terminate_wakes_blocked_calls_with_eterm() {
    bounded(20, || {
        let ctx = Context::new();
        let pull = sock(&ctx, SocketType::Pull);
        pull.set_option(SocketOption::RcvTimeo, 10_000i64).unwrap();
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let push = sock(&ctx, SocketType::Push);
        push.set_option(SocketOption::SndTimeo, 10_000i64).unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let receiver = {
            let (pull, ready_tx) = (pull.clone(), ready_tx.clone());
            std::thread::spawn(move || {
                ready_tx.send(()).unwrap();
                let start = Instant::now();
                (pull.recv(false), start.elapsed())
            })
        };
        let sender = {
            let push = push.clone();
            std::thread::spawn(move || {
                ready_tx.send(()).unwrap();
                let start = Instant::now();
                (push.send(Msg::new("nowhere"), false), start.elapsed())
            })
        };
        ready_rx.recv().unwrap();
        ready_rx.recv().unwrap();
        // Give both a moment to block; if one is slower it meets a terminated context
        // instead, which must give ETERM just the same.
        std::thread::sleep(Duration::from_millis(50));
        let start = Instant::now();
        ctx.terminate();
        assert!(start.elapsed() < Duration::from_secs(5), "terminate hung");
        let (r, took) = receiver.join().unwrap();
        assert_eq!(r.map(|m| text(&m)).unwrap_err().errno(), ETERM, "recv");
        assert!(took < Duration::from_secs(5), "recv woke late: {took:?}");
        let (s, took) = sender.join().unwrap();
        assert_eq!(s.unwrap_err().errno(), ETERM, "send");
        assert!(took < Duration::from_secs(5), "send woke late: {took:?}");
        assert_eq!(errno(pull.recv(true)), ETERM);
        assert_eq!(errno(ctx.socket(SocketType::Pull)), ETERM);
    });
}

// ---------------------------------------------------------------------------------
// unbind / disconnect

fn unbind_stops_serving(t: Transport) {
    let ctx = Context::new();
    let (pull, push, ep) = pair_of(&ctx, t, SocketType::Pull, SocketType::Push);
    send(&push, "before");
    assert_eq!(recv_str(&pull), "before");
    pull.unbind(&ep).unwrap();
    assert_eq!(errno(pull.unbind(&ep)), libc::ENOENT, "{t:?}: unbind twice");
    if t != Inproc {
        // The listener and its connections are gone: nothing more arrives.
        let _ = push.send(Msg::new("after"), true);
        expect_nothing(&pull, "after unbind");
    }
    // The address is free again.
    let other = sock(&ctx, SocketType::Pull);
    bind_retry(&other, &ep);
    ctx.terminate();
}

#[test]
fn unbind_stops_serving_all_transports() {
    each(&ALL, unbind_stops_serving);
}

fn disconnect_leaves_other_peers(t: Transport) {
    let ctx = Context::new();
    let push = sock(&ctx, SocketType::Push);
    let a = sock(&ctx, SocketType::Pull);
    let b = sock(&ctx, SocketType::Pull);
    let ep_a = a.bind(&bind_ep(t)).unwrap();
    let ep_b = b.bind(&bind_ep(t)).unwrap();
    push.connect(&ep_a).unwrap();
    push.connect(&ep_b).unwrap();
    send(&push, "1");
    send(&push, "2");
    assert_eq!(recv_str(&a), "1");
    assert_eq!(recv_str(&b), "2");
    push.disconnect(&ep_a).unwrap();
    assert_eq!(errno(push.disconnect(&ep_a)), libc::ENOENT, "{t:?}: twice");
    for i in 0..4 {
        send(&push, &format!("only b {i}"));
    }
    for i in 0..4 {
        assert_eq!(recv_str(&b), format!("only b {i}"), "{t:?}");
    }
    expect_nothing(&a, "after disconnect");
    ctx.terminate();
}

#[test]
fn disconnect_leaves_other_peers_all_transports() {
    each(&ALL, disconnect_leaves_other_peers);
}

#[test]
fn unknown_endpoints_are_enoent() {
    bounded(20, || {
        let ctx = Context::new();
        let s = sock(&ctx, SocketType::Pull);
        s.bind("tcp://127.0.0.1:*").unwrap();
        assert_eq!(errno(s.unbind("tcp://127.0.0.1:1")), libc::ENOENT);
        assert_eq!(errno(s.disconnect("tcp://127.0.0.1:1")), libc::ENOENT);
        assert_eq!(errno(s.unbind("inproc://never-bound")), libc::ENOENT);
        assert_eq!(errno(s.disconnect("ipc:///never/connected")), libc::ENOENT);
        // A bound endpoint is not a connected one, and the other way round.
        let ep = s.last_endpoint();
        assert_eq!(errno(s.disconnect(&ep)), libc::ENOENT);
        let c = sock(&ctx, SocketType::Push);
        c.connect(&ep).unwrap();
        assert_eq!(errno(c.unbind(&ep)), libc::ENOENT);
        c.disconnect(&ep).unwrap();
        ctx.terminate();
    });
}

// ---------------------------------------------------------------------------------
// Binding: addresses, errors

#[test]
fn tcp_wildcard_bind_returns_the_real_port() {
    bounded(20, || {
        let ctx = Context::new();
        let s = sock(&ctx, SocketType::Pull);
        let ep = s.bind("tcp://127.0.0.1:*").unwrap();
        let port: u16 = ep
            .strip_prefix("tcp://127.0.0.1:")
            .unwrap_or_else(|| panic!("{ep}"))
            .parse()
            .unwrap();
        assert_ne!(port, 0);
        assert_eq!(s.last_endpoint(), ep);
        assert_eq!(
            s.get_option(SocketOption::LastEndpoint).unwrap(),
            OptionValue::Bytes(ep.clone().into())
        );
        // Really listening there.
        std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        // Port 0 is the same wildcard.
        let ep0 = s.bind("tcp://127.0.0.1:0").unwrap();
        assert!(!ep0.ends_with(":0") && ep0 != ep, "{ep0}");
        ctx.terminate();
    });
}

#[test]
fn taken_addresses_are_eaddrinuse() {
    bounded(20, || {
        let ctx = Context::new();
        let a = sock(&ctx, SocketType::Pull);
        let b = sock(&ctx, SocketType::Pull);
        let ep = a.bind("tcp://127.0.0.1:*").unwrap();
        assert_eq!(errno(b.bind(&ep)), libc::EADDRINUSE);
        let name = unbound_ep(Inproc);
        a.bind(&name).unwrap();
        assert_eq!(errno(b.bind(&name)), libc::EADDRINUSE);
        ctx.terminate();
    });
}

/// As in libzmq, binding an ipc path that a live socket is bound to takes the path
/// over: the old socket keeps its connections, new ones reach the new socket, and the
/// old socket's close leaves the new one's file alone.
#[test]
fn ipc_bind_takes_over_a_live_path() {
    bounded(20, || {
        let ctx = Context::new();
        let path = ipc_path("taken");
        let ipc = format!("ipc://{}", path.display());
        // A fresh PUSH connected to `ipc` delivers `text` to `pull`.
        let reaches = |pull: &zmq_engine::Socket, text: &str| {
            let push = sock(&ctx, SocketType::Push);
            push.connect(&ipc).unwrap();
            send(&push, text);
            assert_eq!(recv_str(pull), text);
            push
        };
        let old = sock(&ctx, SocketType::Pull);
        old.bind(&ipc).unwrap();
        let early = reaches(&old, "to old");
        let new = sock(&ctx, SocketType::Pull);
        new.bind(&ipc).unwrap();
        send(&early, "still old");
        assert_eq!(recv_str(&old), "still old", "an established peer stays");
        reaches(&new, "to new");
        old.close();
        assert!(
            path.exists(),
            "closing the old socket removed the new one's file"
        );
        reaches(&new, "new still serves");
        new.close();
        assert!(
            eventually(PATIENCE, || !path.exists()),
            "closing the new socket removes its file"
        );
        ctx.terminate();
    });
}

#[test]
fn bad_endpoints_are_refused() {
    bounded(20, || {
        let ctx = Context::new();
        let s = sock(&ctx, SocketType::Pull);
        for bad in [
            "tcp://127.0.0.1",
            "tcp://127.0.0.1:99999",
            "tcp://127.0.0.1:port",
            "tcp://:5555",
            "no scheme",
            "inproc://",
            "ipc://",
        ] {
            assert_eq!(errno(s.bind(bad)), libc::EINVAL, "bind {bad}");
            assert_eq!(errno(s.connect(bad)), libc::EINVAL, "connect {bad}");
        }
        for unsupported in [
            "foo://bar",
            "udp://127.0.0.1:5555",
            "pgm://eth0;239.1.1.1:5555",
        ] {
            assert_eq!(
                errno(s.bind(unsupported)),
                libc::EPROTONOSUPPORT,
                "bind {unsupported}"
            );
            assert_eq!(
                errno(s.connect(unsupported)),
                libc::EPROTONOSUPPORT,
                "connect {unsupported}"
            );
        }
        assert!(
            s.endpoints().is_empty(),
            "failed calls leave nothing behind"
        );
        ctx.terminate();
    });
}

/// A socket file left by a dead process does not block a bind.
#[test]
fn stale_ipc_file_does_not_block_bind() {
    bounded(20, || {
        let path = ipc_path("stale");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists(), "the file stays behind, as after a crash");
        let ep = format!("ipc://{}", path.display());
        let ctx = Context::new();
        let pull = sock(&ctx, SocketType::Pull);
        pull.bind(&ep).unwrap();
        let push = sock(&ctx, SocketType::Push);
        push.connect(&ep).unwrap();
        send(&push, "over the stale file");
        assert_eq!(recv_str(&pull), "over the stale file");
        pull.close();
        assert!(
            eventually(PATIENCE, || !path.exists()),
            "closing removes the socket file"
        );
        ctx.terminate();
    });
}

/// Closing (or unbinding) an ipc endpoint removes its file at once, so the path can be
/// bound again straight away, and the old listener's later teardown on the I/O thread
/// leaves the new socket's file alone.
#[test]
fn ipc_path_rebound_right_after_close_or_unbind() {
    bounded(30, || {
        let path = ipc_path("rebind");
        let ep = format!("ipc://{}", path.display());
        let ctx = Context::new();
        for round in 0..20 {
            let old = sock(&ctx, SocketType::Pull);
            old.bind(&ep).unwrap();
            if round % 2 == 0 {
                old.close();
            } else {
                old.unbind(&ep).unwrap();
            }
            assert!(
                !path.exists(),
                "round {round}: the file outlived its endpoint"
            );
            let new = sock(&ctx, SocketType::Pull);
            new.bind(&ep).unwrap();
            // Old and new listeners' teardown races happen meanwhile; the file stays.
            let push = sock(&ctx, SocketType::Push);
            push.connect(&ep).unwrap();
            send(&push, "to the new one");
            assert_eq!(recv_str(&new), "to the new one", "round {round}");
            assert!(
                path.exists(),
                "round {round}: the new socket's file was removed"
            );
            new.close();
            push.close();
        }
        ctx.terminate();
    });
}

// ---------------------------------------------------------------------------------
// maxmsgsize

/// A peer sending a message over maxmsgsize loses its connection (the message is never
/// delivered); other peers are not affected. inproc has no limit, as in libzmq.
fn maxmsgsize_drops_the_offender(t: Transport) {
    let ctx = Context::new();
    let pull = sock(&ctx, SocketType::Pull);
    pull.set_option(SocketOption::MaxMsgSize, 100i64).unwrap();
    let ep = pull.bind(&bind_ep(t)).unwrap();
    let good = sock(&ctx, SocketType::Push);
    let bad = sock(&ctx, SocketType::Push);
    good.connect(&ep).unwrap();
    bad.connect(&ep).unwrap();
    send(&good, "good 0");
    assert_eq!(recv_str(&pull), "good 0");
    bad.send(Msg::new(vec![b'!'; 100]), false).unwrap();
    assert_eq!(
        pull.recv(false).unwrap().byte_len(),
        100,
        "at the limit is fine"
    );
    bad.send(Msg::new(vec![b'x'; 101]), false).unwrap();
    // The limit is per frame, as in libzmq: the bad peer may reconnect and send
    // frames within it, but the oversized one never arrives.
    for i in 1..5 {
        send(&good, &format!("good {i}"));
        loop {
            let m = pull.recv(false).unwrap();
            assert!(
                m.parts().all(|p| p.len() <= 100),
                "{t:?}: oversized frame delivered"
            );
            if m.first().starts_with(b"good") {
                assert_eq!(text(&m), format!("good {i}"));
                break;
            }
        }
    }
    expect_nothing(&pull, "the oversized message");
    ctx.terminate();
}

#[test]
fn maxmsgsize_drops_the_offender_network() {
    each(&NETWORK, maxmsgsize_drops_the_offender);
}

// ---------------------------------------------------------------------------------
// Readiness: fd() and events()

fn fd_is_readable(s: &zmq_engine::Socket, within: Duration) -> bool {
    poll_readable(s.fd(), within)
}

/// The fd turns readable when a message arrives; events() then says POLLIN.
fn fd_signals_incoming_messages(t: Transport) {
    let ctx = Context::new();
    let (pull, push, _) = pair_of(&ctx, t, SocketType::Pull, SocketType::Push);
    // Settle: the connection is up and nothing else is pending.
    send(&push, "settle");
    assert_eq!(recv_str(&pull), "settle");
    for round in 0..3 {
        assert_eq!(errno(pull.recv(true)), libc::EAGAIN);
        assert_eq!(pull.events() & POLLIN, 0);
        assert!(
            !fd_is_readable(&pull, Duration::ZERO),
            "{t:?}: fd readable with nothing pending"
        );
        let sender = {
            let push = push.clone();
            std::thread::spawn(move || push.send(Msg::new(format!("r{round}")), false))
        };
        assert!(
            fd_is_readable(&pull, PATIENCE),
            "{t:?}: fd not readable after a message arrived"
        );
        sender.join().unwrap().unwrap();
        assert!(eventually(PATIENCE, || pull.events() & POLLIN != 0));
        assert_eq!(
            pull.get_option(SocketOption::Events).unwrap(),
            OptionValue::Int(POLLIN as i64)
        );
        assert_eq!(text(&pull.recv(true).unwrap()), format!("r{round}"));
    }
    ctx.terminate();
}

#[test]
fn fd_signals_incoming_messages_all_transports() {
    each(&ALL, fd_signals_incoming_messages);
}

/// POLLOUT goes at the high-water mark and comes back (with `out_fd`, the send-side
/// readiness fd) once the peer has read enough.
#[test]
fn fd_and_events_follow_pollout() {
    bounded(20, || {
        let ctx = Context::new();
        let pull = sock(&ctx, SocketType::Pull);
        pull.set_option(SocketOption::RcvHwm, 2i64).unwrap();
        let ep = pull.bind(&bind_ep(Inproc)).unwrap();
        let push = sock(&ctx, SocketType::Push);
        assert_eq!(push.events() & POLLOUT, 0, "no peer, no POLLOUT");
        push.set_option(SocketOption::SndHwm, 2i64).unwrap();
        push.connect(&ep).unwrap();
        assert_eq!(push.events(), POLLOUT);
        while push.send(Msg::new("fill"), true).is_ok() {}
        assert_eq!(push.events_or_arm(POLLOUT) & POLLOUT, 0);
        assert!(
            !poll_readable(push.out_fd(), Duration::ZERO),
            "out_fd armed while full"
        );
        // Read down to the low-water mark from another thread.
        let reader = {
            let pull = pull.clone();
            std::thread::spawn(move || {
                for _ in 0..4 {
                    assert_eq!(recv_str(&pull), "fill");
                }
            })
        };
        assert!(
            poll_readable(push.out_fd(), PATIENCE),
            "room did not raise out_fd"
        );
        reader.join().unwrap();
        assert_ne!(push.events() & POLLOUT, 0);
        push.send(Msg::new("room again"), true).unwrap();
        assert_eq!(recv_str(&pull), "room again");
        ctx.terminate();
    });
}

/// REQ's events follow its state machine: POLLOUT to send a request, then nothing
/// until the reply, then POLLIN.
fn req_events_follow_the_state_machine(t: Transport) {
    let ctx = Context::new();
    let (rep, req, _) = pair_of(&ctx, t, SocketType::Rep, SocketType::Req);
    assert!(eventually(PATIENCE, || req.events() == POLLOUT), "{t:?}");
    assert_eq!(rep.events(), 0);
    send(&req, "q");
    assert_eq!(req.events(), 0, "waiting for the reply");
    assert!(fd_is_readable(&rep, PATIENCE));
    assert!(eventually(PATIENCE, || rep.events() == POLLIN));
    assert_eq!(recv_str(&rep), "q");
    assert_eq!(rep.events(), POLLOUT, "REP owes a reply");
    send(&rep, "a");
    assert!(fd_is_readable(&req, PATIENCE));
    assert!(eventually(PATIENCE, || req.events() == POLLIN));
    assert_eq!(recv_str(&req), "a");
    assert_eq!(req.events(), POLLOUT);
    ctx.terminate();
}

#[test]
fn req_events_follow_the_state_machine_all_transports() {
    each(&ALL, req_events_follow_the_state_machine);
}

/// A closed socket reports no events and refuses calls.
#[test]
fn closed_socket_refuses_calls() {
    bounded(20, || {
        let ctx = Context::new();
        let s = sock(&ctx, SocketType::Pull);
        s.close();
        s.close(); // idempotent
        assert_eq!(s.events(), 0);
        assert_eq!(errno(s.recv(true)), libc::ENOTSOCK);
        assert_eq!(errno(s.bind("inproc://closed")), libc::ENOTSOCK);
        ctx.terminate();
    });
}
