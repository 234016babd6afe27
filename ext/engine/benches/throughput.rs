//! zmq-rs side by side with libzmq (the system library, through the `zmq` crate), in
//! one run on one machine:
//!
//! - PUSH/PULL throughput for 8 B, 128 B, 1 KiB and 64 KiB messages over tcp, ipc and
//!   inproc: a sender thread and a receiver in one process (libzmq's `local_thr` and
//!   `remote_thr` in one binary), timed from the first message received to the last,
//!   as `local_thr` does;
//! - REQ/REP round-trip latency over tcp, ipc and inproc (an echoing REP thread).
//!
//! Each library gets one context (one I/O thread) for the whole run. Both sides copy the
//! payload into a new message for every send (libzmq's `zmq_send` copies; ours is given
//! a fresh `Bytes`), and neither copies on receive.
//!
//! ```text
//! cargo bench -p zmq-engine --bench throughput                # full run (~2-3 min)
//! BENCH_QUICK=1 cargo bench -p zmq-engine --bench throughput  # smoke check (seconds)
//! cargo bench -p zmq-engine --bench throughput -- tcp         # only cases matching "tcp"
//! BENCH_ONLY=zmq-rs ...                                       # one library (profiling)
//! BENCH_SCALE=0.1 ...                                         # scale message counts
//! BENCH_REPS=5 ...                                            # runs per case (median)
//! BENCH_STATIC=1 ...     # zmq-rs sends static payloads: no copy, no allocation; shows
//!                        # the engine's own cost (not comparable with libzmq's copy)
//! ```
//!
//! Ratios are zmq-rs / libzmq: above 1 is better for throughput, below 1 is better for
//! latency.

// Message buffers are allocated on one thread and freed on another; glibc's malloc
// handles that poorly, mimalloc well. The Ruby extension uses it for the same reason.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use bytes::Bytes;
use common::{env_flag, env_reps, size_name};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use zmq_engine::{Context, Msg, SocketType};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    Tcp,
    Ipc,
    Inproc,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Ipc => "ipc",
            Transport::Inproc => "inproc",
        }
    }

    /// An endpoint to bind (tcp's port is resolved by the binder).
    fn endpoint(self) -> String {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let id = std::process::id();
        match self {
            Transport::Tcp => "tcp://127.0.0.1:*".into(),
            Transport::Ipc => {
                let p = std::env::temp_dir().join(format!("zmq-rs-bench-{id}-{n}.ipc"));
                let _ = std::fs::remove_file(&p);
                format!("ipc://{}", p.display())
            }
            Transport::Inproc => format!("inproc://bench-{n}"),
        }
    }
}

const TRANSPORTS: [Transport; 3] = [Transport::Tcp, Transport::Ipc, Transport::Inproc];

/// (size, messages in a full run).
const SIZES: [(usize, usize); 4] = [
    (8, 2_000_000),
    (128, 1_000_000),
    (1024, 500_000),
    (65_536, 20_000),
];

/// (transport, round trips in a full run).
const LATENCY_RUNS: [(Transport, usize); 3] = [
    (Transport::Tcp, 20_000),
    (Transport::Ipc, 20_000),
    (Transport::Inproc, 100_000),
];

/// Payloads for `BENCH_STATIC`, as large as the largest message.
static STATIC_PAYLOAD: [u8; 65_536] = [b'x'; 65_536];

struct Settings {
    /// zmq-rs sends `Bytes::from_static` payloads instead of fresh copies.
    static_payload: bool,
    scale: f64,
    /// Runs of each case; the median is reported.
    reps: usize,
    filter: Vec<String>,
    ours: bool,
    libzmq: bool,
}

impl Settings {
    fn from_env() -> Settings {
        let quick = env_flag("BENCH_QUICK");
        let mut scale = if quick { 0.02 } else { 1.0 };
        if let Some(s) = std::env::var("BENCH_SCALE")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
        {
            scale *= s;
        }
        let reps = env_reps(quick);
        let only = std::env::var("BENCH_ONLY").unwrap_or_default();
        // `cargo bench` passes `--bench`; anything else not starting with '-' filters.
        let filter = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .collect();
        Settings {
            static_payload: env_flag("BENCH_STATIC"),
            scale,
            reps,
            filter,
            ours: only.is_empty() || only == "zmq-rs",
            libzmq: only.is_empty() || only == "libzmq",
        }
    }

    fn count(&self, full: usize) -> usize {
        ((full as f64 * self.scale) as usize).max(100)
    }

    fn wants(&self, case: &str) -> bool {
        self.filter.is_empty() || self.filter.iter().any(|f| case.contains(f.as_str()))
    }
}

// ---------------------------------------------------------------------------------
// Throughput

/// Time from the first message received to the last.
fn thr_ours(
    ctx: &Context,
    t: Transport,
    size: usize,
    count: usize,
    static_payload: bool,
) -> Duration {
    let pull = ctx.socket(SocketType::Pull).unwrap();
    let ep = pull.bind(&t.endpoint()).unwrap();
    let push = ctx.socket(SocketType::Push).unwrap();
    push.connect(&ep).unwrap();
    let payload = vec![b'x'; size];
    common::thr_ours(pull, push, size, count, move || {
        if static_payload {
            Bytes::from_static(&STATIC_PAYLOAD[..size])
        } else {
            zmq_engine::msg::copy_bytes(&payload)
        }
    })
}

fn thr_libzmq(ctx: &zmq::Context, t: Transport, size: usize, count: usize) -> Duration {
    let pull = ctx.socket(zmq::PULL).unwrap();
    pull.bind(&t.endpoint()).unwrap();
    let ep = pull.get_last_endpoint().unwrap().unwrap();
    let push = ctx.socket(zmq::PUSH).unwrap();
    push.connect(&ep).unwrap();
    common::thr_libzmq(pull, push, size, count)
}

// ---------------------------------------------------------------------------------
// Latency

/// Round-trip times of `n` 8-byte request/reply pairs (after a short warm-up).
fn lat_ours(ctx: &Context, t: Transport, n: usize) -> Vec<Duration> {
    let rep = ctx.socket(SocketType::Rep).unwrap();
    let ep = rep.bind(&t.endpoint()).unwrap();
    let req = ctx.socket(SocketType::Req).unwrap();
    req.connect(&ep).unwrap();
    let warmup = n / 10 + 1;
    let echo = thread::spawn(move || {
        for _ in 0..warmup + n {
            let m = rep.recv(false).unwrap();
            rep.send(m, false).unwrap();
        }
        rep
    });
    let payload = [b'x'; 8];
    let mut rtts = Vec::with_capacity(n);
    for i in 0..warmup + n {
        let start = Instant::now();
        req.send(Msg::new(zmq_engine::msg::copy_bytes(&payload)), false)
            .unwrap();
        let m = req.recv(false).unwrap();
        let rtt = start.elapsed();
        debug_assert_eq!(m.first().len(), 8);
        if i >= warmup {
            rtts.push(rtt);
        }
    }
    let rep = echo.join().unwrap();
    rep.close();
    req.close();
    rtts
}

fn lat_libzmq(ctx: &zmq::Context, t: Transport, n: usize) -> Vec<Duration> {
    let rep = ctx.socket(zmq::REP).unwrap();
    rep.bind(&t.endpoint()).unwrap();
    let ep = rep.get_last_endpoint().unwrap().unwrap();
    let req = ctx.socket(zmq::REQ).unwrap();
    req.connect(&ep).unwrap();
    let warmup = n / 10 + 1;
    let echo = thread::spawn(move || {
        let mut m = zmq::Message::new();
        for _ in 0..warmup + n {
            rep.recv(&mut m, 0).unwrap();
            rep.send(std::mem::replace(&mut m, zmq::Message::new()), 0)
                .unwrap();
        }
        rep
    });
    let payload = [b'x'; 8];
    let mut m = zmq::Message::new();
    let mut rtts = Vec::with_capacity(n);
    for i in 0..warmup + n {
        let start = Instant::now();
        req.send(&payload[..], 0).unwrap();
        req.recv(&mut m, 0).unwrap();
        let rtt = start.elapsed();
        debug_assert_eq!(m.len(), 8);
        if i >= warmup {
            rtts.push(rtt);
        }
    }
    let rep = echo.join().unwrap();
    rep.set_linger(0).unwrap();
    req.set_linger(0).unwrap();
    rtts
}

struct LatStats {
    mean_us: f64,
    p50_us: f64,
    p99_us: f64,
}

fn lat_stats(mut rtts: Vec<Duration>) -> LatStats {
    rtts.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = rtts.iter().map(|d| us(*d)).sum::<f64>() / rtts.len() as f64;
    let at = |q: f64| us(rtts[((rtts.len() - 1) as f64 * q) as usize]);
    LatStats {
        mean_us: mean,
        p50_us: at(0.50),
        p99_us: at(0.99),
    }
}

// ---------------------------------------------------------------------------------
// Report

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[v.len() / 2])
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "-".into(),
    }
}

fn opt(v: Option<f64>, width: usize, prec: usize) -> String {
    match v {
        Some(v) => format!("{v:>width$.prec$}"),
        None => format!("{:>width$}", "-"),
    }
}

fn main() {
    let s = Settings::from_env();
    let ours = Context::new();
    let theirs = zmq::Context::new();
    let (major, minor, patch) = zmq::version();
    println!(
        "zmq-rs vs libzmq {major}.{minor}.{patch}  (scale {}, median of {} runs, {} cpus)",
        s.scale,
        s.reps,
        thread::available_parallelism().map_or(0, |n| n.get())
    );

    if s.static_payload {
        println!("BENCH_STATIC: zmq-rs sends static payloads (no copy, no malloc); libzmq copies");
    }
    println!();
    println!("PUSH/PULL throughput, sender thread -> receiver, one context per library");
    println!(
        "{:<7} {:>7} {:>9} | {:>12} {:>9} | {:>12} {:>9} | {:>6}",
        "", "size", "msgs", "zmq-rs msg/s", "MB/s", "libzmq msg/s", "MB/s", "ratio"
    );
    let mut worst_thr: Option<(f64, String)> = None;
    for t in TRANSPORTS {
        for (size, full) in SIZES {
            let case = format!("thr/{}/{}", t.name(), size);
            if !s.wants(&case) {
                continue;
            }
            let n = s.count(full);
            let rate = |d: Duration| n as f64 / d.as_secs_f64();
            // Alternate the libraries so drifts in machine load hit both alike.
            let mut ra = Vec::new();
            let mut rb = Vec::new();
            for _ in 0..s.reps {
                if s.ours {
                    ra.push(rate(thr_ours(&ours, t, size, n, s.static_payload)));
                }
                if s.libzmq {
                    rb.push(rate(thr_libzmq(&theirs, t, size, n)));
                }
            }
            let (a, b) = (median(ra), median(rb));
            let mb = |r: Option<f64>| r.map(|r| r * size as f64 / 1e6);
            println!(
                "{:<7} {:>7} {:>9} | {} {} | {} {} | {:>6}",
                t.name(),
                size_name(size),
                n,
                opt(a, 12, 0),
                opt(mb(a), 9, 1),
                opt(b, 12, 0),
                opt(mb(b), 9, 1),
                ratio(a, b)
            );
            if let (Some(a), Some(b)) = (a, b) {
                let r = a / b;
                if worst_thr.as_ref().is_none_or(|(w, _)| r < *w) {
                    worst_thr = Some((r, case));
                }
            }
        }
    }

    println!();
    println!(
        "REQ/REP round trip, 8 B, echo thread (µs over all runs; ratio of means, < 1 is better)"
    );
    println!(
        "{:<7} {:>9} | {:>8} {:>8} {:>8} | {:>8} {:>8} {:>8} | {:>6}",
        "", "trips", "zmq-rs", "p50", "p99", "libzmq", "p50", "p99", "ratio"
    );
    let mut worst_lat: Option<(f64, String)> = None;
    for (t, full) in LATENCY_RUNS {
        let case = format!("lat/{}", t.name());
        if !s.wants(&case) {
            continue;
        }
        let n = s.count(full);
        let mut ra = Vec::new();
        let mut rb = Vec::new();
        for _ in 0..s.reps {
            if s.ours {
                ra.extend(lat_ours(&ours, t, n));
            }
            if s.libzmq {
                rb.extend(lat_libzmq(&theirs, t, n));
            }
        }
        let a = (!ra.is_empty()).then(|| lat_stats(ra));
        let b = (!rb.is_empty()).then(|| lat_stats(rb));
        let f = |x: &Option<LatStats>, g: fn(&LatStats) -> f64| x.as_ref().map(g);
        println!(
            "{:<7} {:>9} | {} {} {} | {} {} {} | {:>6}",
            t.name(),
            n,
            opt(f(&a, |x| x.mean_us), 8, 1),
            opt(f(&a, |x| x.p50_us), 8, 1),
            opt(f(&a, |x| x.p99_us), 8, 1),
            opt(f(&b, |x| x.mean_us), 8, 1),
            opt(f(&b, |x| x.p50_us), 8, 1),
            opt(f(&b, |x| x.p99_us), 8, 1),
            ratio(f(&a, |x| x.mean_us), f(&b, |x| x.mean_us))
        );
        if let (Some(a), Some(b)) = (&a, &b) {
            let r = a.mean_us / b.mean_us;
            if worst_lat.as_ref().is_none_or(|(w, _)| r > *w) {
                worst_lat = Some((r, case));
            }
        }
    }

    println!();
    if let Some((r, case)) = worst_thr {
        println!("lowest throughput ratio: {r:.2} ({case})");
    }
    if let Some((r, case)) = worst_lat {
        println!("highest latency ratio: {r:.2} ({case})");
    }
    ours.terminate();
}
