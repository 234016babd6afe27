//! What the benches share: the timed PUSH/PULL receive loop for each library, and the
//! settings and report helpers.

use bytes::Bytes;
use std::thread;
use std::time::{Duration, Instant};
use zmq_engine::{Msg, Socket};

/// Whether the variable is set to something other than empty or `0`.
pub fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Runs per case: `BENCH_REPS`, else 1 in a quick run and 3 in a full one.
pub fn env_reps(quick: bool) -> usize {
    std::env::var("BENCH_REPS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(if quick { 1 } else { 3 })
        .max(1)
}

/// `push` (connected to `pull`) sends `count` messages of `size` bytes from a thread of
/// its own, each part made by `part`; returns the time from the first message received
/// to the last, then closes both sockets.
pub fn thr_ours(
    pull: Socket,
    push: Socket,
    size: usize,
    count: usize,
    part: impl Fn() -> Bytes + Send + 'static,
) -> Duration {
    let sender = thread::spawn(move || {
        for _ in 0..count {
            push.send(Msg::new(part()), false).unwrap();
        }
        push
    });
    let first = pull.recv(false).unwrap();
    assert_eq!(first.first().len(), size);
    let start = Instant::now();
    for _ in 1..count {
        let m = pull.recv(false).unwrap();
        debug_assert_eq!(m.first().len(), size);
    }
    let elapsed = start.elapsed();
    sender.join().unwrap().close_with_linger(0);
    pull.close();
    elapsed
}

/// [`thr_ours`] for libzmq's sockets; each send copies the payload, as `zmq_send` does.
pub fn thr_libzmq(pull: zmq::Socket, push: zmq::Socket, size: usize, count: usize) -> Duration {
    let sender = thread::spawn(move || {
        let payload = vec![b'x'; size];
        for _ in 0..count {
            push.send(&payload[..], 0).unwrap();
        }
        push
    });
    let mut m = zmq::Message::new();
    pull.recv(&mut m, 0).unwrap();
    assert_eq!(m.len(), size);
    let start = Instant::now();
    for _ in 1..count {
        pull.recv(&mut m, 0).unwrap();
        debug_assert_eq!(m.len(), size);
    }
    let elapsed = start.elapsed();
    let push = sender.join().unwrap();
    push.set_linger(0).unwrap();
    drop(push);
    drop(pull);
    elapsed
}

pub fn size_name(size: usize) -> String {
    if size >= 1024 {
        format!("{} KiB", size / 1024)
    } else {
        format!("{size} B")
    }
}
