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
