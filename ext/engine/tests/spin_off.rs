//! `ZMQ_RS_SPIN=0` turns spinning off for the whole process. This file is its own test
//! process, so setting the variable here reaches no other test.

mod common;

use common::*;

#[test]
fn zmq_rs_spin_0_keeps_every_wait_asleep() {
    std::env::set_var("ZMQ_RS_SPIN", "0");
    bounded(60, || {
        with_echo(Transport::Tcp, |client| {
            // A fast conversation, which would turn spinning on (see tests/spin.rs).
            for _ in 0..500 {
                send(client, "question");
                assert!(!client.input_spin_enabled(), "spinning while turned off");
                assert_eq!(recv_str(client), "question");
            }
        });
    });
}
