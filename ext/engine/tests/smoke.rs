//! End-to-end basics over every transport: the first thing to break if anything does.

use zmq_engine::{Context, Msg, SocketType};

fn roundtrip(endpoint: &str) {
    let ctx = Context::new();
    let rep = ctx.socket(SocketType::Rep).unwrap();
    let req = ctx.socket(SocketType::Req).unwrap();
    let bound = rep.bind(endpoint).unwrap();
    req.connect(&bound).unwrap();
    for i in 0..10 {
        req.send(Msg::new(format!("hello {i}")), false).unwrap();
        let got = rep.recv(false).unwrap();
        assert_eq!(got.first(), format!("hello {i}").as_bytes());
        rep.send(Msg::from_parts(["world", "!"]), false).unwrap();
        let reply = req.recv(false).unwrap();
        assert_eq!(reply.len(), 2);
        assert_eq!(reply.first(), "world");
    }
    ctx.terminate();
}

#[test]
fn req_rep_over_inproc() {
    roundtrip("inproc://smoke");
}

#[test]
fn req_rep_over_tcp() {
    roundtrip("tcp://127.0.0.1:*");
}

#[test]
fn req_rep_over_ipc() {
    let path = std::env::temp_dir().join(format!("zmq-rs-smoke-{}.ipc", std::process::id()));
    roundtrip(&format!("ipc://{}", path.display()));
}

#[test]
fn push_pull_many_over_tcp() {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    let ep = pull.bind("tcp://127.0.0.1:*").unwrap();
    push.connect(&ep).unwrap();
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let t = std::thread::spawn(move || {
        for i in 0..n {
            push.send(Msg::new(format!("{i}")), false).unwrap();
        }
        push
    });
    for i in 0..n {
        assert_eq!(pull.recv(false).unwrap().first(), format!("{i}").as_bytes());
    }
    let _push = t.join().unwrap();
    ctx.terminate();
}

#[test]
fn proxy_brokers_requests_until_terminate() {
    let ctx = Context::new();
    let frontend = ctx.socket(SocketType::Router).unwrap();
    let backend = ctx.socket(SocketType::Dealer).unwrap();
    let front_ep = frontend.bind("tcp://127.0.0.1:*").unwrap();
    backend.bind("inproc://workers").unwrap();
    let broker = std::thread::spawn(move || zmq_engine::proxy(&frontend, &backend, None, None));
    let worker_ctx = ctx.clone();
    let worker = std::thread::spawn(move || {
        let rep = worker_ctx.socket(SocketType::Rep).unwrap();
        rep.connect("inproc://workers").unwrap();
        while let Ok(m) = rep.recv(false) {
            let mut reply = m.first().to_vec();
            reply.extend_from_slice(b" done");
            if rep.send(Msg::new(reply), false).is_err() {
                break;
            }
        }
    });
    let req = ctx.socket(SocketType::Req).unwrap();
    req.connect(&front_ep).unwrap();
    for i in 0..20 {
        req.send(Msg::new(format!("job {i}")), false).unwrap();
        assert_eq!(
            req.recv(false).unwrap().first(),
            format!("job {i} done").as_bytes()
        );
    }
    ctx.terminate();
    let err = broker.join().unwrap().unwrap_err();
    assert_eq!(err.errno(), zmq_engine::error::ETERM);
    worker.join().unwrap();
}

#[test]
fn poll_reports_the_ready_socket_and_times_out_otherwise() {
    use zmq_engine::{poll, PollItem, POLLIN};
    let ctx = Context::new();
    let a = ctx.socket(SocketType::Pair).unwrap();
    let b = ctx.socket(SocketType::Pair).unwrap();
    a.bind("inproc://poll").unwrap();
    b.connect("inproc://poll").unwrap();
    let mut items = [PollItem::socket(&a, POLLIN), PollItem::socket(&b, POLLIN)];
    let start = std::time::Instant::now();
    assert_eq!(
        poll(&mut items, Some(std::time::Duration::from_millis(50))).unwrap(),
        0
    );
    assert!(start.elapsed() >= std::time::Duration::from_millis(50));
    let sender = b.clone();
    let t = std::thread::spawn(move || sender.send(Msg::new("ping"), false).unwrap());
    let mut items = [PollItem::socket(&a, POLLIN), PollItem::socket(&b, POLLIN)];
    assert_eq!(
        poll(&mut items, Some(std::time::Duration::from_secs(10))).unwrap(),
        1
    );
    assert_eq!(items[0].revents, POLLIN);
    assert_eq!(items[1].revents, 0);
    t.join().unwrap();
    assert_eq!(a.recv(true).unwrap().first(), "ping");
    ctx.terminate();
}

#[test]
fn stream_socket_talks_raw_tcp() {
    use std::io::{Read, Write};
    let ctx = Context::new();
    let stream = ctx.socket(SocketType::Stream).unwrap();
    stream
        .set_option(zmq_engine::SocketOption::RcvTimeo, 5000i64)
        .unwrap();
    let ep = stream.bind("tcp://127.0.0.1:*").unwrap();
    let mut client = std::net::TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    let hello = stream.recv(false).unwrap();
    assert_eq!(hello.len(), 2, "connect notice: [id, empty]");
    assert!(hello.get(1).unwrap().is_empty());
    let id = hello.first().clone();
    client.write_all(b"GET /").unwrap();
    let got = stream.recv(false).unwrap();
    assert_eq!(got.first(), &id);
    assert_eq!(got.get(1).unwrap(), "GET /");
    stream
        .send(
            Msg::from_parts([id.clone(), bytes::Bytes::from_static(b"200 OK")]),
            false,
        )
        .unwrap();
    let mut buf = [0u8; 6];
    client.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"200 OK");
    stream
        .send(Msg::from_parts([id, bytes::Bytes::new()]), false)
        .unwrap();
    let mut rest = Vec::new();
    client
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    assert_eq!(
        client.read_to_end(&mut rest).unwrap(),
        0,
        "closed by the socket"
    );
    // A hang-up the socket made itself is not announced back to it (as in libzmq).
    assert_no_notice_soon(&stream, "for our own close");
    ctx.terminate();
}

/// A STREAM socket receives nothing (no disconnect notice) within 300 ms.
fn assert_no_notice_soon(stream: &zmq_engine::Socket, why: &str) {
    stream
        .set_option(zmq_engine::SocketOption::RcvTimeo, 300i64)
        .unwrap();
    let after = stream.recv(false);
    assert!(
        matches!(&after, Err(e) if e.errno() == libc::EAGAIN),
        "no disconnect notice {why}: {after:?}"
    );
}

#[test]
fn stream_notify_off_gives_first_bytes_first_and_no_disconnect_notice() {
    use std::io::Write;
    use zmq_engine::SocketOption;
    let ctx = Context::new();
    let stream = ctx.socket(SocketType::Stream).unwrap();
    assert_eq!(
        stream.get_option(SocketOption::StreamNotify).unwrap(),
        1i64.into(),
        "on by default, as libzmq 4.3"
    );
    stream.set_option(SocketOption::StreamNotify, 0i64).unwrap();
    stream.set_option(SocketOption::RcvTimeo, 5000i64).unwrap();
    let ep = stream.bind("tcp://127.0.0.1:*").unwrap();
    let mut client = std::net::TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    client.write_all(b"hello").unwrap();
    let got = stream.recv(false).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got.get(1).unwrap(), "hello");
    drop(client);
    assert_no_notice_soon(&stream, "with notify off");
    ctx.terminate();
}

#[test]
fn monitor_reports_listening_accepted_connected_and_disconnected() {
    use zmq_engine::monitor::*;
    let ctx = Context::new();
    let server = ctx.socket(SocketType::Rep).unwrap();
    server.monitor(Some("inproc://mon"), EVENT_ALL).unwrap();
    let watcher = ctx.socket(SocketType::Pair).unwrap();
    watcher
        .set_option(zmq_engine::SocketOption::RcvTimeo, 5000i64)
        .unwrap();
    watcher.connect("inproc://mon").unwrap();
    let ep = server.bind("tcp://127.0.0.1:*").unwrap();
    let client = ctx.socket(SocketType::Req).unwrap();
    client.connect(&ep).unwrap();
    let next_event = || {
        let m = watcher.recv(false).expect("an event within the timeout");
        let head = m.first();
        (
            u16::from_le_bytes([head[0], head[1]]) as u32,
            String::from_utf8(m.get(1).unwrap().to_vec()).unwrap(),
        )
    };
    assert_eq!(next_event(), (EVENT_LISTENING, ep.clone()));
    assert_eq!(next_event(), (EVENT_ACCEPTED, ep.clone()));
    assert_eq!(next_event(), (EVENT_HANDSHAKE_SUCCEEDED, ep.clone()));
    client.close_with_linger(0);
    assert_eq!(next_event(), (EVENT_DISCONNECTED, ep.clone()));
    server.close();
    assert_eq!(next_event(), (EVENT_CLOSED, ep.clone()));
    assert_eq!(
        next_event(),
        (EVENT_MONITOR_STOPPED, String::new()),
        "the last event"
    );
    ctx.terminate();
}

#[test]
fn tcp_over_ipv6_loopback_and_host_names() {
    let ctx = Context::new();
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set_option(zmq_engine::SocketOption::Ipv6, 1i64)
        .unwrap();
    pull.set_option(zmq_engine::SocketOption::RcvTimeo, 5000i64)
        .unwrap();
    let ep = pull.bind("tcp://[::1]:*").unwrap();
    assert!(ep.starts_with("tcp://[::1]:"), "{ep}");
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_option(zmq_engine::SocketOption::Ipv6, 1i64)
        .unwrap();
    push.connect(&ep).unwrap();
    push.send(Msg::new("over v6"), false).unwrap();
    assert_eq!(pull.recv(false).unwrap().first(), "over v6");

    let v4 = ctx.socket(SocketType::Pull).unwrap();
    v4.set_option(zmq_engine::SocketOption::RcvTimeo, 5000i64)
        .unwrap();
    let port = v4
        .bind("tcp://localhost:*")
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    push.connect(&format!("tcp://localhost:{port}")).unwrap();
    // Round-robin over both pullers, and the new connection may not be up yet: keep
    // sending until the new puller receives one (each wait is a short receive time-out).
    v4.set_option(zmq_engine::SocketOption::RcvTimeo, 20i64)
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        push.send(Msg::new("by name"), false).unwrap();
        if let Ok(m) = v4.recv(false) {
            assert_eq!(m.first(), "by name");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nothing reached the localhost peer"
        );
    }
    ctx.terminate();
}

#[test]
fn router_raw_talks_raw_tcp_like_stream() {
    use std::io::{Read, Write};
    let ctx = Context::new();
    let router = ctx.socket(SocketType::Router).unwrap();
    router
        .set_option(zmq_engine::SocketOption::RouterRaw, 1i64)
        .unwrap();
    router
        .set_option(zmq_engine::SocketOption::RcvTimeo, 5000i64)
        .unwrap();
    let ep = router.bind("tcp://127.0.0.1:*").unwrap();
    let mut client = std::net::TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    let id = router.recv(false).unwrap().first().clone();
    client.write_all(b"ping").unwrap();
    let got = router.recv(false).unwrap();
    assert_eq!(
        (got.first(), got.get(1).unwrap()),
        (&id, &bytes::Bytes::from_static(b"ping"))
    );
    router
        .send(
            Msg::from_parts([id, bytes::Bytes::from_static(b"pong")]),
            false,
        )
        .unwrap();
    let mut buf = [0u8; 4];
    client.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"pong");
    ctx.terminate();
}

#[test]
fn linger_keeps_connecting_for_messages_queued_before_any_connection() {
    let ctx = Context::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_option(zmq_engine::SocketOption::Linger, 5000i64)
        .unwrap();
    push.set_option(zmq_engine::SocketOption::ReconnectIvl, 20i64)
        .unwrap();
    push.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    push.send(Msg::new("late"), false).unwrap();
    push.close();
    // Nobody listened while the sender was open; the peer turns up during its linger.
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set_option(zmq_engine::SocketOption::RcvTimeo, 5000i64)
        .unwrap();
    pull.bind(&format!("tcp://127.0.0.1:{port}")).unwrap();
    assert_eq!(pull.recv(false).unwrap().first(), "late");
    ctx.terminate();
}

#[test]
fn linger_gives_up_on_an_absent_peer_when_it_runs_out() {
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.set_option(zmq_engine::SocketOption::Linger, 100i64)
        .unwrap();
    push.connect("tcp://127.0.0.1:1").unwrap();
    push.send(Msg::new("undeliverable"), false).unwrap();
    push.close();
    let start = std::time::Instant::now();
    ctx.terminate();
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "terminate waited past the linger"
    );
}

#[test]
fn try_send_final_part_hands_the_part_back_until_it_can_go() {
    let ctx = Context::new();
    let push = ctx.socket(SocketType::Push).unwrap();
    // No peer yet: a PUSH cannot send, and the part comes back untouched.
    let part = bytes::Bytes::from_static(b"payload");
    let back = push.try_send_final_part(part.clone()).unwrap();
    assert_eq!(back, Some(part.clone()));
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.bind("inproc://try-send").unwrap();
    push.connect("inproc://try-send").unwrap();
    assert_eq!(push.try_send_final_part(back.unwrap()).unwrap(), None);
    assert_eq!(pull.recv(false).unwrap().first(), &part);
    push.close();
    assert!(
        push.try_send_final_part(part).is_err(),
        "a closed socket refuses"
    );
    ctx.terminate();
}
