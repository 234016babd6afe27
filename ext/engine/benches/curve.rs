//! CURVE, zmq-rs side by side with libzmq (the system library through the `zmq` crate,
//! built with libsodium), in one run on one machine:
//!
//! - PUSH/PULL throughput over tcp with CURVE on both ends, 128 B and 64 KiB messages
//!   (timed from the first message received to the last, as throughput.rs and libzmq's
//!   `local_thr` do);
//! - the CURVE handshake rate: a client connects to a CURVE server, sends one message
//!   and waits for it to arrive, then closes; connections per second, one after another
//!   (the full tcp connect + HELLO/WELCOME/INITIATE/READY + first MESSAGE box).
//!
//! No ZAP handler on either side (libzmq's and our CURVE servers then accept any client
//! key), so the numbers are the mechanism's, not an authenticator's.
//!
//! ```text
//! cargo bench -p zmq-engine --bench curve                # full run
//! BENCH_QUICK=1 cargo bench -p zmq-engine --bench curve  # smoke check (seconds)
//! BENCH_REPS=5 ...                                       # runs per case (median)
//! ```
//!
//! Ratios are zmq-rs / libzmq: above 1 is better.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use bytes::Bytes;
use common::{env_flag, env_reps, size_name};
use std::thread;
use std::time::{Duration, Instant};
use zmq_engine::security::curve_keypair;
use zmq_engine::{Context, Msg, Socket, SocketOption, SocketType};

/// (size, messages in a full run).
const SIZES: [(usize, usize); 2] = [(128, 500_000), (65_536, 10_000)];
/// Handshakes in a full run.
const HANDSHAKES: usize = 2_000;

struct Keys {
    server_public: String,
    server_secret: String,
    client_public: String,
    client_secret: String,
}

impl Keys {
    fn new() -> Keys {
        let (s, c) = (curve_keypair(), curve_keypair());
        Keys {
            server_public: s.public.to_z85(),
            server_secret: s.secret.expose_z85().to_string(),
            client_public: c.public.to_z85(),
            client_secret: c.secret.expose_z85().to_string(),
        }
    }
}

struct Settings {
    scale: f64,
    reps: usize,
}

impl Settings {
    fn from_env() -> Settings {
        let quick = env_flag("BENCH_QUICK");
        Settings {
            scale: if quick { 0.05 } else { 1.0 },
            reps: env_reps(quick),
        }
    }

    fn count(&self, full: usize) -> usize {
        ((full as f64 * self.scale) as usize).max(50)
    }
}

// ----- zmq-rs ------------------------------------------------------------------------

fn ours_server(ctx: &Context, kind: SocketType, k: &Keys) -> (Socket, String) {
    let s = ctx.socket(kind).unwrap();
    s.set_option(SocketOption::CurveServer, true).unwrap();
    s.set_option(SocketOption::CurveSecretkey, k.server_secret.as_str())
        .unwrap();
    let ep = s.bind("tcp://127.0.0.1:*").unwrap();
    (s, ep)
}

fn ours_client(ctx: &Context, kind: SocketType, k: &Keys, ep: &str) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_option(SocketOption::CurveServerkey, k.server_public.as_str())
        .unwrap();
    s.set_option(SocketOption::CurvePublickey, k.client_public.as_str())
        .unwrap();
    s.set_option(SocketOption::CurveSecretkey, k.client_secret.as_str())
        .unwrap();
    s.connect(ep).unwrap();
    s
}

fn thr_ours(ctx: &Context, k: &Keys, size: usize, count: usize) -> Duration {
    let (pull, ep) = ours_server(ctx, SocketType::Pull, k);
    let push = ours_client(ctx, SocketType::Push, k, &ep);
    let payload = vec![b'x'; size];
    common::thr_ours(pull, push, size, count, move || {
        Bytes::copy_from_slice(&payload)
    })
}

fn handshakes_ours(ctx: &Context, k: &Keys, n: usize) -> Duration {
    let (pull, ep) = ours_server(ctx, SocketType::Pull, k);
    let start = Instant::now();
    for _ in 0..n {
        let push = ours_client(ctx, SocketType::Push, k, &ep);
        push.send(Msg::new(Bytes::from_static(b"hi")), false)
            .unwrap();
        pull.recv(false).unwrap();
        push.close_with_linger(0);
    }
    let elapsed = start.elapsed();
    pull.close();
    elapsed
}

// ----- libzmq ------------------------------------------------------------------------

fn theirs_server(ctx: &zmq::Context, kind: zmq::SocketType, k: &Keys) -> (zmq::Socket, String) {
    let s = ctx.socket(kind).unwrap();
    s.set_curve_server(true).unwrap();
    s.set_curve_secretkey(k.server_secret.as_bytes()).unwrap();
    s.bind("tcp://127.0.0.1:*").unwrap();
    let ep = s.get_last_endpoint().unwrap().unwrap();
    (s, ep)
}

fn theirs_client(ctx: &zmq::Context, kind: zmq::SocketType, k: &Keys, ep: &str) -> zmq::Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_curve_serverkey(k.server_public.as_bytes()).unwrap();
    s.set_curve_publickey(k.client_public.as_bytes()).unwrap();
    s.set_curve_secretkey(k.client_secret.as_bytes()).unwrap();
    s.connect(ep).unwrap();
    s
}

fn thr_theirs(ctx: &zmq::Context, k: &Keys, size: usize, count: usize) -> Duration {
    let (pull, ep) = theirs_server(ctx, zmq::PULL, k);
    let push = theirs_client(ctx, zmq::PUSH, k, &ep);
    common::thr_libzmq(pull, push, size, count)
}

fn handshakes_theirs(ctx: &zmq::Context, k: &Keys, n: usize) -> Duration {
    let (pull, ep) = theirs_server(ctx, zmq::PULL, k);
    let mut m = zmq::Message::new();
    let start = Instant::now();
    for _ in 0..n {
        let push = theirs_client(ctx, zmq::PUSH, k, &ep);
        push.send(&b"hi"[..], 0).unwrap();
        pull.recv(&mut m, 0).unwrap();
        push.set_linger(0).unwrap();
        drop(push);
    }
    let elapsed = start.elapsed();
    pull.set_linger(0).unwrap();
    elapsed
}

// ----- report ------------------------------------------------------------------------

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let s = Settings::from_env();
    assert!(
        zmq::has("curve").unwrap_or(false),
        "the system libzmq has no CURVE"
    );
    let keys = Keys::new();
    let ours = Context::new();
    let theirs = zmq::Context::new();
    let (major, minor, patch) = zmq::version();
    println!(
        "CURVE: zmq-rs vs libzmq {major}.{minor}.{patch} (libsodium)  (scale {}, median of {} runs, {} cpus)",
        s.scale,
        s.reps,
        thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("PUSH/PULL throughput over tcp, CURVE on both ends");
    println!(
        "{:>7} {:>8} | {:>12} {:>9} | {:>12} {:>9} | {:>6}",
        "size", "msgs", "zmq-rs msg/s", "MB/s", "libzmq msg/s", "MB/s", "ratio"
    );
    for (size, full) in SIZES {
        let n = s.count(full);
        let rate = |d: Duration| n as f64 / d.as_secs_f64();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..s.reps {
            a.push(rate(thr_ours(&ours, &keys, size, n)));
            b.push(rate(thr_theirs(&theirs, &keys, size, n)));
        }
        let (a, b) = (median(a), median(b));
        let mb = |r: f64| r * size as f64 / 1e6;
        println!(
            "{:>7} {:>8} | {:>12.0} {:>9.1} | {:>12.0} {:>9.1} | {:>6.2}",
            size_name(size),
            n,
            a,
            mb(a),
            b,
            mb(b),
            a / b
        );
    }
    println!();
    println!("CURVE handshake rate over tcp: connect, handshake, one message, close");
    println!(
        "{:>8} | {:>13} | {:>13} | {:>6}",
        "conns", "zmq-rs conn/s", "libzmq conn/s", "ratio"
    );
    let n = s.count(HANDSHAKES);
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..s.reps {
        a.push(rate(handshakes_ours(&ours, &keys, n)));
        b.push(rate(handshakes_theirs(&theirs, &keys, n)));
    }
    let (a, b) = (median(a), median(b));
    println!("{n:>8} | {a:>13.0} | {b:>13.0} | {:>6.2}", a / b);
    ours.terminate();
}
