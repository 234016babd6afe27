//! `ZMQ_RS_SPIN=0` turns spinning off for the whole process. This file is its own test
//! process, so setting the variable here reaches no other test.

mod common;

use common::*;
use zmq_engine::{Context, SocketType};

#[test]
fn zmq_rs_spin_0_keeps_every_wait_asleep() {
    std::env::set_var("ZMQ_RS_SPIN", "0");
    bounded(60, || {
        let ctx = Context::new();
        let (echo, client, _) =
            pair_of(&ctx, Transport::Tcp, SocketType::Dealer, SocketType::Dealer);
        let echo_thread = std::thread::spawn(move || {
            while let Ok(m) = echo.recv(false) {
                if m.first() == &b"stop"[..] || echo.send(m, false).is_err() {
                    break;
                }
            }
        });
        // A fast conversation, which would turn spinning on (see tests/spin.rs).
        for _ in 0..500 {
            send(&client, "question");
            assert!(!client.input_spin_enabled(), "spinning while turned off");
            assert_eq!(recv_str(&client), "question");
        }
        send(&client, "stop");
        echo_thread.join().unwrap();
        ctx.terminate();
    });
}
