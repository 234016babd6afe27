//! Large frames on the wire: the reader gives a frame of more than 256 KiB a buffer of
//! exactly its size, reads little after it, and lets frames over 16 MiB grow their
//! buffer as they arrive (reactor/connection.rs). Streams that switch between those
//! paths and small frames must arrive whole, in order, byte for byte.

mod common;

use common::*;
use zmq_engine::{Context, Msg, SocketType};

/// Sizes around each read path's edges: small frames between large ones, 64 KiB-class
/// frames, frames just over 256 KiB, back-to-back large ones, and one past 16 MiB.
const SIZES: [usize; 12] = [
    300 * 1024,
    5,
    1 << 20,
    (1 << 20) + 3,
    70 * 1024,
    256 * 1024 + 10,
    0,
    2 << 20,
    (16 << 20) + 1,
    2,
    (1 << 20) - 1,
    9,
];

fn large_and_small_frames_arrive_intact_in_order(t: Transport) {
    let ctx = Context::new();
    let (pull, push, _) = pair_of(&ctx, t, SocketType::Pull, SocketType::Push);
    let sender = std::thread::spawn(move || {
        for (seed, &len) in SIZES.iter().enumerate() {
            push.send(Msg::new(payload(len, seed)), false).unwrap();
        }
        // Multipart: large parts on both sides of a small one.
        let parts = [
            payload(600 * 1024, 1),
            payload(3, 2),
            payload(400 * 1024, 3),
        ];
        push.send(Msg::from_parts(parts), false).unwrap();
        push
    });
    for (seed, &len) in SIZES.iter().enumerate() {
        let m = pull.recv(false).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m.first().len(), len, "message {seed}");
        assert!(
            m.first()[..] == payload(len, seed)[..],
            "message {seed} differs"
        );
    }
    let m = pull.recv(false).unwrap();
    assert_eq!(m.len(), 3);
    for (i, (len, seed)) in [(600 * 1024, 1), (3, 2), (400 * 1024, 3)]
        .into_iter()
        .enumerate()
    {
        assert!(
            m.get(i).unwrap()[..] == payload(len, seed)[..],
            "part {i} differs"
        );
    }
    expect_nothing(&pull, "stray messages");
    sender.join().unwrap();
    ctx.terminate();
}

#[test]
fn large_and_small_frames_arrive_intact_in_order_over_tcp_and_ipc() {
    bounded(60, || {
        for t in NETWORK {
            large_and_small_frames_arrive_intact_in_order(t);
        }
    });
}

/// maxmsgsize still refuses a frame that would have had an exact buffer, from its
/// header, and the socket goes on serving a well-behaved peer.
#[test]
fn maxmsgsize_refuses_a_large_frame_before_reading_it() {
    bounded(30, || {
        let ctx = Context::new();
        let pull = sock(&ctx, SocketType::Pull);
        pull.set_option(zmq_engine::SocketOption::MaxMsgSize, 512i64 * 1024)
            .unwrap();
        let ep = pull.bind(&bind_ep(Tcp)).unwrap();
        let big = sock(&ctx, SocketType::Push);
        big.connect(&ep).unwrap();
        big.send(Msg::new(payload(1 << 20, 0)), false).unwrap();
        let fine = sock(&ctx, SocketType::Push);
        fine.connect(&ep).unwrap();
        fine.send(Msg::new(payload(300 * 1024, 1)), false).unwrap();
        let m = pull.recv(false).unwrap();
        assert!(m.first()[..] == payload(300 * 1024, 1)[..]);
        expect_nothing(&pull, "the oversized message");
        ctx.terminate();
    });
}
