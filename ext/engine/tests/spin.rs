//! Receives spin briefly before sleeping while a socket's waits are short (see
//! `socket/spin.rs`). Spinning must never change what is received, nor outlast a
//! deadline, and it must stop once the traffic goes quiet.

mod common;

use common::*;
use std::time::{Duration, Instant};
use zmq_engine::{Context, Msg, Socket, SocketOption, SocketType};

/// Spinning happens at all here: more than one CPU, and not turned off.
fn spinning_expected() -> bool {
    std::env::var_os("ZMQ_RS_SPIN").is_none_or(|v| v != "0")
        && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
}

/// Round trips until, with a question out, the client would spin: whether a wait was
/// short depends on the machine's load, so this tries for a while. Leaves the last
/// question's answer unread; false if spinning never came on.
fn converse_until_spinning(client: &zmq_engine::Socket) -> bool {
    if !spinning_expected() {
        send(client, "question");
        return false;
    }
    let deadline = Instant::now() + PATIENCE;
    loop {
        send(client, "question");
        if client.input_spin_enabled() || Instant::now() > deadline {
            return client.input_spin_enabled();
        }
        assert_eq!(recv_str(client), "question");
    }
}

/// A fast conversation turns spinning on while an answer is awaited, every reply still
/// arrives intact and in order, and a wait that then times out turns it off again, at
/// its deadline.
#[test]
fn short_waits_turn_spinning_on_and_a_quiet_spell_turns_it_off() {
    bounded(60, || {
        for t in ALL {
            with_echo(t, |client| {
                assert!(!client.input_spin_enabled(), "{t:?}: off before any wait");
                for i in 0..300u32 {
                    client
                        .send(Msg::new(i.to_be_bytes().to_vec()), false)
                        .unwrap();
                    let reply = client.recv(false).unwrap();
                    assert_eq!(reply.first(), &i.to_be_bytes()[..], "{t:?}: reply {i}");
                }
                assert!(!client.input_spin_enabled(), "{t:?}: no question pending");
                assert_eq!(
                    converse_until_spinning(client),
                    spinning_expected(),
                    "{t:?}: round trips are short waits"
                );
                assert_eq!(recv_str(client), "question");

                client.set_option(SocketOption::RcvTimeo, 300i64).unwrap();
                let started = Instant::now();
                let err = client.recv(false).unwrap_err();
                let waited = started.elapsed();
                assert!(err.is_again(), "{t:?}: {err}");
                assert!(waited >= Duration::from_millis(300), "{t:?}: {waited:?}");
                client
                    .set_option(SocketOption::RcvTimeo, TIMEOUT_MS)
                    .unwrap();
                send(client, "another");
                assert!(
                    !client.input_spin_enabled(),
                    "{t:?}: a long wait turns spinning off"
                );
                assert_eq!(recv_str(client), "another");
            });
        }
    });
}

/// A zero deadline on a socket that spins: each receive gives up with EAGAIN, and a
/// message sent afterwards is still received.
#[test]
fn a_spinning_receive_keeps_to_a_zero_deadline() {
    bounded(60, || {
        with_echo(Transport::Tcp, |client| {
            for _ in 0..50 {
                send(client, "ping");
                assert_eq!(recv_str(client), "ping");
            }
            client.set_option(SocketOption::RcvTimeo, 0i64).unwrap();
            for _ in 0..1000 {
                assert!(client.recv(false).unwrap_err().is_again());
            }
            client
                .set_option(SocketOption::RcvTimeo, TIMEOUT_MS)
                .unwrap();
            send(client, "after");
            assert_eq!(recv_str(client), "after");
        });
    });
}

/// A stream's receiver never spins, however short its waits: it sends nothing, so it
/// never waits for an answer.
#[test]
fn a_stream_receiver_does_not_spin() {
    bounded(60, || {
        for t in ALL {
            let ctx = Context::new();
            let (pull, push, _) = pair_of(&ctx, t, SocketType::Pull, SocketType::Push);
            let sender = std::thread::spawn(move || {
                for i in 0..20_000u32 {
                    push.send(Msg::new(i.to_be_bytes().to_vec()), false)
                        .unwrap();
                }
                push
            });
            for i in 0..20_000u32 {
                assert_eq!(pull.recv(false).unwrap().first(), &i.to_be_bytes()[..]);
                assert!(!pull.input_spin_enabled(), "{t:?}: message {i}");
            }
            drop(sender.join().unwrap());
            ctx.terminate();
        }
    });
}

/// A poll's spin covers all its sockets: none of them would spin, so it does not; one
/// of them awaits an answer after short waits, so it spins, and it ends as soon as any
/// of them has input.
#[test]
fn a_poll_spins_while_one_of_its_sockets_would() {
    bounded(60, || {
        with_echo(Transport::Tcp, |client| {
            let ctx = Context::new();
            let quiet = sock(&ctx, SocketType::Pull);
            quiet.bind(&bind_ep(Transport::Inproc)).unwrap();
            let far = Some(Instant::now() + PATIENCE);
            assert!(!Socket::spin_for_any_input(&[client, &quiet], far));

            assert_eq!(converse_until_spinning(client), spinning_expected());
            assert!(poll_readable(client.fd(), PATIENCE), "the answer arrives");
            assert_eq!(
                Socket::spin_for_any_input(&[&quiet, client], far),
                spinning_expected(),
                "input on one of them ends the spin"
            );
            assert_eq!(recv_str(client), "question");
            ctx.terminate();
        });
    });
}
