//! Sends written straight to an idle connection by the sending thread (the direct lane)
//! must interleave with queued ones in order, also when the kernel takes only part of a
//! message and the I/O thread has to finish it.

mod common;

use common::*;
use zmq_engine::{Context, Msg, SocketOption, SocketType};

/// Message `i`: its number, then a body whose size and bytes depend on `i`.
fn numbered(i: u32) -> Msg {
    let len = (i as usize * 7919) % 9000; // some above the 8 KiB zero-copy size
    let mut body = i.to_be_bytes().to_vec();
    body.extend((0..len).map(|k| (k as u32 ^ i) as u8));
    Msg::from_parts([b"seq".to_vec(), body])
}

fn check_numbered(m: &Msg, i: u32) {
    assert_eq!(
        m,
        &numbered(i),
        "message {i} arrived out of order or damaged"
    );
}

/// Request-reply traffic (every send follows a receive, so each may go direct) mixed
/// with bursts that queue, over tcp and ipc: every message arrives, in order, intact.
#[test]
fn direct_and_queued_sends_keep_their_order() {
    bounded(60, || {
        for t in NETWORK {
            let ctx = Context::new();
            let a = sock(&ctx, SocketType::Dealer);
            let b = sock(&ctx, SocketType::Dealer);
            let ep = b.bind(&bind_ep(t)).unwrap();
            a.connect(&ep).unwrap();
            let mut next_sent = 0u32;
            let mut next_seen = 0u32;
            for round in 0..400u32 {
                // A burst of 1 to 4 messages from a, then b answers once.
                for _ in 0..=(round % 4) {
                    a.send(numbered(next_sent), false).unwrap();
                    next_sent += 1;
                }
                while next_seen < next_sent {
                    check_numbered(&b.recv(false).unwrap(), next_seen);
                    next_seen += 1;
                }
                b.send(Msg::new(round.to_be_bytes().to_vec()), false)
                    .unwrap();
                assert_eq!(a.recv(false).unwrap().first(), &round.to_be_bytes()[..]);
            }
            ctx.terminate();
        }
    });
}

/// The receiver stops reading while the sender keeps being re-armed by input, so the
/// kernel's buffers fill and direct writes come back short: the rest must follow before
/// anything queued later, and nothing may be lost.
#[test]
fn short_direct_writes_are_finished_in_order() {
    bounded(120, || {
        for t in NETWORK {
            let ctx = Context::new();
            let a = sock(&ctx, SocketType::Dealer);
            a.set_option(SocketOption::SndHwm, 0i64).unwrap();
            // Small tcp buffers (applied before connect and listen), so that writes
            // come back short often.
            a.set_option(SocketOption::SndBuf, 4096i64).unwrap();
            let b = sock(&ctx, SocketType::Dealer);
            b.set_option(SocketOption::RcvHwm, 4i64).unwrap();
            b.set_option(SocketOption::RcvBuf, 4096i64).unwrap();
            let ep = b.bind(&bind_ep(t)).unwrap();
            a.connect(&ep).unwrap();
            // Connected both ways before the flood starts.
            a.send(Msg::new("hello"), false).unwrap();
            assert_eq!(text(&b.recv(false).unwrap()), "hello");

            const COUNT: u32 = 4000;
            for i in 0..COUNT {
                a.send(numbered(i), false).unwrap();
                // Input for a re-arms its direct lane; take it so a keeps reading.
                b.send(Msg::new("re-arm"), false).unwrap();
                while a.recv(true).is_ok() {}
            }
            for i in 0..COUNT {
                check_numbered(&b.recv(false).unwrap(), i);
            }
            ctx.terminate();
        }
    });
}
