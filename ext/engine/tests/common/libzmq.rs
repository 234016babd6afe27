//! Fixtures for the libzmq interop tests (included by `tests/interop*.rs` as the module
//! `peers`): a zmq-rs context and a libzmq context side by side, sockets on each with
//! time-outs set, endpoints for every transport, a libzmq socket monitor, and a
//! watchdog so that no test can hang the run.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use zmq_engine::{Context, Msg, Socket, SocketOption, SocketType};

/// How long a receive or send may wait before a test calls it a failure.
pub const IO_TIMEOUT_MS: i32 = 5_000;
/// The most any one test may take, waits included.
pub const TEST_LIMIT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Ipc,
}

/// Which side binds: the other connects to what it bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binder {
    Ours,
    Theirs,
}

/// Runs a test body on its own thread and fails the test if it takes longer than
/// [`TEST_LIMIT`], so a stuck call turns into a failure instead of a hung run. A stuck
/// thread is left behind; the harness exits the process when all tests are done.
pub fn bounded<F: FnOnce() + Send + 'static>(f: F) {
    let (tx, rx) = mpsc::channel::<()>();
    let handle = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(TEST_LIMIT) {
        Ok(()) => handle.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked: report its own message.
            if let Err(payload) = handle.join() {
                std::panic::resume_unwind(payload);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("test did not finish within {TEST_LIMIT:?}")
        }
    }
}

/// An endpoint to bind on: a wildcard tcp port on loopback or a fresh ipc path.
pub fn bind_endpoint(t: Transport) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    match t {
        Transport::Tcp => "tcp://127.0.0.1:*".to_string(),
        Transport::Ipc => {
            let path = std::env::temp_dir().join(format!(
                "zmq-rs-interop-{}-{}.ipc",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            let _ = std::fs::remove_file(&path);
            format!("ipc://{}", path.display())
        }
    }
}

/// Maps our socket type onto libzmq's.
pub fn zmq_type(t: SocketType) -> zmq::SocketType {
    match t {
        SocketType::Pair => zmq::PAIR,
        SocketType::Pub => zmq::PUB,
        SocketType::Sub => zmq::SUB,
        SocketType::Req => zmq::REQ,
        SocketType::Rep => zmq::REP,
        SocketType::Dealer => zmq::DEALER,
        SocketType::Router => zmq::ROUTER,
        SocketType::Pull => zmq::PULL,
        SocketType::Push => zmq::PUSH,
        SocketType::XPub => zmq::XPUB,
        SocketType::XSub => zmq::XSUB,
        SocketType::Stream => zmq::STREAM,
    }
}

/// A zmq-rs context and a libzmq context. Dropping it terminates ours; libzmq's goes
/// when its last socket does (every libzmq socket made here has linger 0).
pub struct Peers {
    pub ours: Context,
    pub theirs: zmq::Context,
}

impl Default for Peers {
    fn default() -> Self {
        Self::new()
    }
}

impl Peers {
    pub fn new() -> Peers {
        Peers {
            ours: Context::new(),
            theirs: zmq::Context::new(),
        }
    }

    /// One of our sockets, with send and receive time-outs and linger 0.
    pub fn ours(&self, kind: SocketType) -> Socket {
        let s = self.ours.socket(kind).expect("zmq-rs socket");
        s.set_option(SocketOption::RcvTimeo, IO_TIMEOUT_MS as i64)
            .unwrap();
        s.set_option(SocketOption::SndTimeo, IO_TIMEOUT_MS as i64)
            .unwrap();
        s.set_option(SocketOption::Linger, 0i64).unwrap();
        s
    }

    /// A libzmq socket, with send and receive time-outs and linger 0.
    pub fn theirs(&self, kind: SocketType) -> zmq::Socket {
        let s = self.theirs.socket(zmq_type(kind)).expect("libzmq socket");
        s.set_rcvtimeo(IO_TIMEOUT_MS).unwrap();
        s.set_sndtimeo(IO_TIMEOUT_MS).unwrap();
        s.set_linger(0).unwrap();
        s
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        self.ours.terminate();
    }
}

/// Joins one of ours to one of theirs over `t`, `binder` binding; returns the endpoint.
pub fn link(ours: &Socket, theirs: &zmq::Socket, t: Transport, binder: Binder) -> String {
    match binder {
        Binder::Ours => {
            let bound = ours.bind(&bind_endpoint(t)).expect("zmq-rs bind");
            theirs.connect(&bound).expect("libzmq connect");
            bound
        }
        Binder::Theirs => {
            let bound = theirs_bind(theirs, t);
            ours.connect(&bound).expect("zmq-rs connect");
            bound
        }
    }
}

/// A libzmq socket bound on `t`; returns its endpoint.
pub fn theirs_bind(theirs: &zmq::Socket, t: Transport) -> String {
    theirs.bind(&bind_endpoint(t)).expect("libzmq bind");
    theirs.get_last_endpoint().unwrap().expect("utf-8 endpoint")
}

/// The parts of one of our messages, as vectors, for comparisons.
pub fn parts(m: &Msg) -> Vec<Vec<u8>> {
    m.parts().map(|p| p.to_vec()).collect()
}

/// Parts from string literals.
pub fn strs(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// A message from string literals.
pub fn msg(parts: &[&str]) -> Msg {
    Msg::from_parts(parts.iter().map(|p| p.as_bytes().to_vec()))
}

/// Receives on ours, failing the test with `what` on time-out.
pub fn recv_ours(s: &Socket, what: &str) -> Vec<Vec<u8>> {
    match s.recv(false) {
        Ok(m) => parts(&m),
        Err(e) => panic!("zmq-rs: {what}: {e:?}"),
    }
}

/// Receives on theirs, failing the test with `what` on time-out.
pub fn recv_theirs(s: &zmq::Socket, what: &str) -> Vec<Vec<u8>> {
    match s.recv_multipart(0) {
        Ok(m) => m,
        Err(e) => panic!("libzmq: {what}: {e}"),
    }
}

/// Waits up to `ms` for a message on ours; `None` if none came.
pub fn try_recv_ours(s: &Socket, ms: u64) -> Option<Vec<Vec<u8>>> {
    let deadline = Instant::now() + Duration::from_millis(ms);
    loop {
        match s.recv(true) {
            Ok(m) => return Some(parts(&m)),
            Err(e) if e.is_again() => {}
            Err(e) => panic!("zmq-rs recv: {e:?}"),
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        wait_fd(s.fd(), deadline - now);
    }
}

/// Waits up to `ms` for a message on theirs; `None` if none came.
pub fn try_recv_theirs(s: &zmq::Socket, ms: i64) -> Option<Vec<Vec<u8>>> {
    if s.poll(zmq::POLLIN, ms).expect("libzmq poll") == 0 {
        return None;
    }
    Some(s.recv_multipart(0).expect("libzmq recv after POLLIN"))
}

/// Waits until `fd` is readable or `d` passes (at most 10 ms per call, so callers
/// re-check their condition often).
pub fn wait_fd(fd: std::os::fd::RawFd, d: Duration) {
    let ms = d.as_millis().min(10) as libc::c_int;
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the duration of the call.
    unsafe {
        libc::poll(&mut pfd, 1, ms);
    }
}

/// Keeps calling `publish` (paced by `receive`'s own bounded wait) until `receive`
/// returns true or `limit` passes; the way to meet a subscriber that joins late.
pub fn publish_until(
    limit: Duration,
    mut publish: impl FnMut(),
    mut receive: impl FnMut() -> bool,
) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        publish();
        if receive() {
            return true;
        }
    }
    false
}

/// A libzmq monitor on a libzmq socket: a PAIR socket that hears its events.
pub struct Monitor {
    sock: zmq::Socket,
}

impl Monitor {
    pub fn new(ctx: &zmq::Context, s: &zmq::Socket) -> Monitor {
        static N: AtomicUsize = AtomicUsize::new(0);
        let ep = format!("inproc://monitor-{}", N.fetch_add(1, Ordering::SeqCst));
        s.monitor(&ep, zmq::SocketEvent::ALL as i32)
            .expect("zmq_socket_monitor");
        let sock = ctx.socket(zmq::PAIR).unwrap();
        sock.set_linger(0).unwrap();
        sock.connect(&ep).unwrap();
        Monitor { sock }
    }

    /// The next event within `ms`, if any.
    pub fn next(&self, ms: i64) -> Option<zmq::SocketEvent> {
        let parts = try_recv_theirs(&self.sock, ms)?;
        let raw = u16::from_le_bytes([parts[0][0], parts[0][1]]);
        Some(zmq::SocketEvent::from_raw(raw))
    }

    /// Every event within `ms` from now.
    pub fn collect_for(&self, ms: u64) -> Vec<zmq::SocketEvent> {
        let deadline = Instant::now() + Duration::from_millis(ms);
        let mut events = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return events;
            }
            if let Some(e) = self.next(left.as_millis().max(1) as i64) {
                events.push(e);
            }
        }
    }

    /// Waits up to `ms` for one of `want`; returns it (if seen) and every event seen.
    pub fn wait_for(
        &self,
        want: &[zmq::SocketEvent],
        ms: u64,
    ) -> (Option<zmq::SocketEvent>, Vec<zmq::SocketEvent>) {
        let deadline = Instant::now() + Duration::from_millis(ms);
        let mut events = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (None, events);
            }
            if let Some(e) = self.next(left.as_millis().max(1) as i64) {
                events.push(e);
                if want.contains(&e) {
                    return (Some(e), events);
                }
            }
        }
    }
}

/// Generates one `#[test]` per transport and binding side for a scenario
/// `fn(Transport, Binder)`.
#[macro_export]
macro_rules! each_link {
    ($($name:ident => $scenario:path;)*) => {
        $(
            mod $name {
                use super::*;
                #[test]
                fn tcp_ours_binds() {
                    peers::bounded(|| $scenario(Transport::Tcp, Binder::Ours));
                }
                #[test]
                fn tcp_theirs_bind() {
                    peers::bounded(|| $scenario(Transport::Tcp, Binder::Theirs));
                }
                #[test]
                fn ipc_ours_binds() {
                    peers::bounded(|| $scenario(Transport::Ipc, Binder::Ours));
                }
                #[test]
                fn ipc_theirs_bind() {
                    peers::bounded(|| $scenario(Transport::Ipc, Binder::Theirs));
                }
            }
        )*
    };
}

/// Receives on ours while keeping `other` (a libzmq socket) awake. A socket handles
/// news of new connections only when the application touches it (libzmq's and ours
/// alike), so an idle libzmq SUB never sends its subscriptions to a peer that connected
/// after it subscribed; a real application would be polling it.
pub fn recv_ours_touching(s: &Socket, other: &zmq::Socket, what: &str) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_millis(IO_TIMEOUT_MS as u64);
    while Instant::now() < deadline {
        if let Some(m) = try_recv_ours(s, 10) {
            return m;
        }
        other.get_events().expect("libzmq ZMQ_EVENTS");
    }
    panic!("zmq-rs: {what}: nothing within {IO_TIMEOUT_MS} ms")
}

/// Receives on theirs while keeping `other` (one of ours) awake; see
/// [`recv_ours_touching`].
pub fn recv_theirs_touching(s: &zmq::Socket, other: &Socket, what: &str) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_millis(IO_TIMEOUT_MS as u64);
    while Instant::now() < deadline {
        if let Some(m) = try_recv_theirs(s, 10) {
            return m;
        }
        other.events();
    }
    panic!("libzmq: {what}: nothing within {IO_TIMEOUT_MS} ms")
}
