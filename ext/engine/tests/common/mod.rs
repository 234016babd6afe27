//! Helpers shared by the engine-semantics tests (patterns.rs, lifecycle.rs, hostile.rs):
//! endpoints for every transport, sockets with time-outs so that no failure can hang,
//! receiving with deadlines, a watchdog, and test payloads. (The interop tests keep
//! their peer helpers in `libzmq.rs` and take only `payload` from here.)
//!
//! Every wait here is bounded. Nothing sleeps in place of an event that can be awaited:
//! receives wait on the socket's readiness fd, and slow joiners are handled by retrying
//! until something arrives (with a deadline).

#![allow(dead_code)]

use std::os::fd::RawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use zmq_engine::{Context, Msg, Result, Socket, SocketOption, SocketType};

/// Receive/send time-out every helper socket gets: long enough for a loaded CI machine,
/// short enough that a lost message fails the test instead of hanging it.
pub const TIMEOUT_MS: i64 = 5_000;
/// The same, as a duration, for hand-rolled waits.
pub const PATIENCE: Duration = Duration::from_millis(TIMEOUT_MS as u64);
/// How long "nothing else arrives" is watched for. Only ever used for negative checks.
pub const QUIET: Duration = Duration::from_millis(200);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Inproc,
    Tcp,
    Ipc,
}

pub use Transport::{Inproc, Ipc, Tcp};

pub const ALL: [Transport; 3] = [Inproc, Tcp, Ipc];
pub const NETWORK: [Transport; 2] = [Tcp, Ipc];

/// A name no other test in this process (or a concurrent run) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh ipc path in the temp dir (short enough for `sun_path`).
pub fn ipc_path(prefix: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{}.ipc", unique(&format!("zrt-{prefix}"))))
}

/// An endpoint to bind on: a wildcard tcp port, a fresh ipc path or inproc name.
pub fn bind_ep(t: Transport) -> String {
    match t {
        Inproc => format!("inproc://{}", unique("t")),
        Tcp => "tcp://127.0.0.1:*".to_string(),
        Ipc => format!("ipc://{}", ipc_path("t").display()),
    }
}

/// A tcp port that was free a moment ago (for connect-before-bind and restarts on the
/// same port). Taken below the kernel's ephemeral range when possible: a port from
/// that range can meanwhile become the source port of some outgoing connection, or of
/// a reconnect attempt to itself (a TCP self-connect), and then refuse our bind.
pub fn free_tcp_port() -> u16 {
    static N: AtomicUsize = AtomicUsize::new(0);
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<usize>().ok())
        .unwrap_or(32768);
    if low > 11_000 {
        let span = low - 10_000;
        let seed = std::process::id() as usize * 7919;
        for _ in 0..200 {
            let port = 10_000 + (seed + N.fetch_add(1, Ordering::Relaxed) * 104_729) % span;
            if std::net::TcpListener::bind(("127.0.0.1", port as u16)).is_ok() {
                return port as u16;
            }
        }
    }
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// An endpoint nobody is bound to yet, for connect-before-bind.
pub fn unbound_ep(t: Transport) -> String {
    match t {
        Inproc => format!("inproc://{}", unique("late")),
        Tcp => format!("tcp://127.0.0.1:{}", free_tcp_port()),
        Ipc => format!("ipc://{}", ipc_path("late").display()),
    }
}

/// A socket with send/receive time-outs and zero linger, so a broken test neither hangs
/// on a call nor on `Context::terminate`.
pub fn sock(ctx: &Context, kind: SocketType) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_option(SocketOption::RcvTimeo, TIMEOUT_MS).unwrap();
    s.set_option(SocketOption::SndTimeo, TIMEOUT_MS).unwrap();
    s.set_option(SocketOption::Linger, 0i64).unwrap();
    s
}

/// A payload whose bytes depend on its size and a seed, so a shifted, truncated or
/// swapped body cannot pass for the expected one.
pub fn payload(size: usize, seed: usize) -> Vec<u8> {
    (0..size).map(|i| ((i * 7 + seed) % 251) as u8).collect()
}

/// Binds a socket of `bind_kind` and connects one of `connect_kind` to it.
pub fn pair_of(
    ctx: &Context,
    t: Transport,
    bind_kind: SocketType,
    connect_kind: SocketType,
) -> (Socket, Socket, String) {
    let b = sock(ctx, bind_kind);
    let ep = b.bind(&bind_ep(t)).unwrap();
    let c = sock(ctx, connect_kind);
    c.connect(&ep).unwrap();
    (b, c, ep)
}

/// Binds, retrying while the address is still held by a socket that is going away (the
/// I/O thread releases listeners asynchronously, as libzmq does).
pub fn bind_retry(s: &Socket, ep: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match s.bind(ep) {
            Ok(r) => return r,
            Err(e) if e.errno() == libc::EADDRINUSE && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("bind {ep}: {e}"),
        }
    }
}

pub fn send(s: &Socket, text: &str) {
    s.send(Msg::new(text.as_bytes().to_vec()), false)
        .unwrap_or_else(|e| panic!("send {text:?}: {e}"));
}

pub fn send_parts(s: &Socket, parts: &[&[u8]]) {
    s.send(Msg::from_parts(parts.iter().map(|p| p.to_vec())), false)
        .unwrap_or_else(|e| panic!("send {parts:?}: {e}"));
}

pub fn text(m: &Msg) -> String {
    assert_eq!(m.len(), 1, "expected a one-part message, got {m:?}");
    String::from_utf8_lossy(m.first()).into_owned()
}

pub fn parts(m: &Msg) -> Vec<Vec<u8>> {
    m.parts().map(|p| p.to_vec()).collect()
}

/// Receives one single-part message (within the socket's receive time-out).
pub fn recv_str(s: &Socket) -> String {
    let m = s.recv(false).unwrap_or_else(|e| panic!("recv: {e}"));
    text(&m)
}

pub fn recv_parts(s: &Socket) -> Vec<Vec<u8>> {
    let m = s.recv(false).unwrap_or_else(|e| panic!("recv: {e}"));
    parts(&m)
}

/// Waits until `fd` is readable or `timeout` passes.
pub fn poll_readable(fd: RawFd, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd, count 1.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        if rc > 0 {
            return true;
        }
        if rc == 0 && Instant::now() >= deadline {
            return false;
        }
        if rc < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            panic!("poll: {}", std::io::Error::last_os_error());
        }
    }
}

/// A message if one arrives within `within`; waits on the readiness fd in between.
pub fn try_recv(s: &Socket, within: Duration) -> Option<Msg> {
    let deadline = Instant::now() + within;
    loop {
        match s.recv(true) {
            Ok(m) => return Some(m),
            Err(e) if e.is_again() => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return None;
                }
                // The failed non-blocking receive armed the fd; the cap only guards the
                // test against a lost wake-up (which the fd tests catch on their own).
                poll_readable(s.fd(), left.min(Duration::from_millis(100)));
            }
            Err(e) => panic!("recv: {e}"),
        }
    }
}

/// Waits until one of `socks` is ready for `events` (POLLIN / POLLOUT) or `deadline`
/// passes; returns whether one became ready. The caller then tries its non-blocking
/// call again.
pub fn await_ready(socks: &[&Socket], events: u32, deadline: Instant) -> bool {
    let left = deadline.saturating_duration_since(Instant::now());
    let mut items: Vec<_> = socks
        .iter()
        .map(|s| zmq_engine::PollItem::socket(s, events))
        .collect();
    zmq_engine::poll(&mut items, Some(left)).unwrap_or_else(|e| panic!("poll: {e}")) > 0
}

/// Asserts that nothing arrives for a little while.
pub fn expect_nothing(s: &Socket, what: &str) {
    if let Some(m) = try_recv(s, QUIET) {
        panic!("{what}: expected nothing, got {m:?}");
    }
}

/// The errno of a failed call (panics if it succeeded).
pub fn errno<T>(r: Result<T>) -> i32 {
    match r {
        Ok(_) => panic!("expected an error, got Ok"),
        Err(e) => e.errno(),
    }
}

/// Polls `cond` until it holds or `within` passes.
pub fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Publishes `topic` on `publisher` until `subscriber` (already subscribed to it)
/// receives it: the subscription has then reached the publisher. Late copies of the
/// probe may still be in flight afterwards.
pub fn await_subscription(publisher: &Socket, subscriber: &Socket, topic: &str) {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        publisher
            .send(Msg::new(topic.as_bytes().to_vec()), true)
            .unwrap();
        if let Some(m) = try_recv(subscriber, Duration::from_millis(20)) {
            if m.first() == topic.as_bytes() {
                return;
            }
            panic!("while waiting for probe {topic:?}: unexpected {m:?}");
        }
    }
    panic!("subscription {topic:?} never reached the publisher");
}

/// Runs a test body on its own thread and fails (instead of hanging CI) if it does not
/// finish within `secs`. A panic in the body is passed on unchanged.
pub fn bounded(secs: u64, body: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let handle = std::thread::spawn(move || {
        body();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(()) => handle.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(p) = handle.join() {
                std::panic::resume_unwind(p);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("test did not finish within {secs} s (hung?)")
        }
    }
}

/// Asserts that `elapsed` is at least `min` (the time-out was honoured) and well under
/// `max` (it did not hang).
pub fn assert_took(elapsed: Duration, min: Duration, max: Duration, what: &str) {
    assert!(
        elapsed >= min,
        "{what}: returned after {elapsed:?}, before {min:?}"
    );
    assert!(elapsed < max, "{what}: took {elapsed:?}, over {max:?}");
}

/// Runs `body` with a DEALER connected to an echo DEALER on its own thread (which ends
/// on "stop"); round trips against it are short waits.
pub fn with_echo(t: Transport, body: impl FnOnce(&zmq_engine::Socket)) {
    let ctx = Context::new();
    let echo = sock(&ctx, SocketType::Dealer);
    let ep = echo.bind(&bind_ep(t)).unwrap();
    let client = sock(&ctx, SocketType::Dealer);
    client.connect(&ep).unwrap();
    let echo_thread = std::thread::spawn(move || {
        while let Ok(m) = echo.recv(false) {
            if m.first() == &b"stop"[..] || echo.send(m, false).is_err() {
                break;
            }
        }
    });
    body(&client);
    send(&client, "stop");
    echo_thread.join().unwrap();
    ctx.terminate();
}
