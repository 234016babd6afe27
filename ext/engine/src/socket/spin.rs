//! Adaptive spinning before a receive goes to sleep.
//!
//! Putting a thread to sleep and waking it on another CPU is the largest cost in a
//! request-reply round trip: on a virtual machine, waking an idle vCPU takes tens of
//! microseconds, more than everything else the round trip does. A receiver whose
//! answers come back quickly can instead watch its readiness flag for a few tens of
//! microseconds and pick the message up without ever sleeping.
//!
//! Spinning costs a CPU while it lasts, so it is adaptive, per socket:
//! - it happens only while the socket waits for an answer: it sent something since it
//!   last received. A stream's receiver (PULL, SUB) never spins: spinning would not make
//!   it faster, only take away the batching that sleeping gives (while it sleeps, its
//!   queue fills and is drained with one wake-up; a spinner takes each message alone,
//!   and each then costs its sender a wake-up call);
//! - it is switched on only after a wait that ended quickly, and off again as soon as a
//!   wait outlasts that bound;
//! - each spin is short and never outlasts the caller's deadline;
//! - it never happens on a single CPU, where the thread we wait for cannot run while we
//!   spin.
//!
//! So a socket that waits long (an idle server, a slow stream) never spins, and one in a
//! fast conversation sleeps at most once before spinning again. `ZMQ_RS_SPIN=0` in the
//! environment turns spinning off for the whole process, for a machine where CPU time
//! is worth more than latency.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long one spin lasts at most: about two VM wake-ups.
const SPIN_FOR: Duration = Duration::from_micros(50);

/// A wait that ended within this (spin included) marks the traffic as conversational.
const SHORT_WAIT: Duration = Duration::from_micros(200);

/// Whether spinning may happen in this process: not turned off, and with another CPU
/// to run the other side (read once).
fn spinning_allowed() -> bool {
    static ALLOWED: OnceLock<bool> = OnceLock::new();
    *ALLOWED.get_or_init(|| {
        std::env::var_os("ZMQ_RS_SPIN").is_none_or(|v| v != "0")
            && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
    })
}

/// One socket's spinning policy for waits on input.
#[derive(Debug, Default)]
pub struct AdaptiveSpin {
    /// The last wait that slept was short.
    waits_short: AtomicBool,
    /// The socket sent a message since it last received one: it waits for an answer.
    awaits_answer: AtomicBool,
}

impl AdaptiveSpin {
    /// Whether the next wait should spin first.
    pub fn enabled(&self) -> bool {
        self.waits_short.load(Relaxed) && self.awaits_answer.load(Relaxed) && spinning_allowed()
    }

    /// The socket sent a message.
    pub fn note_sent(&self) {
        // Load first: a socket that only sends writes the flag once, not per message.
        if !self.awaits_answer.load(Relaxed) {
            self.awaits_answer.store(true, Relaxed);
        }
    }

    /// The socket received a message (or part).
    pub fn note_received(&self) {
        if self.awaits_answer.load(Relaxed) {
            self.awaits_answer.store(false, Relaxed);
        }
    }

    /// Spins until `ready` says so (`true`), or until the spin time or `deadline` runs
    /// out (`false`: go to sleep). Does nothing while disabled. Whether spinning stays on
    /// after a spin that ran out is for [`AdaptiveSpin::record_wait`] to say.
    pub fn spin(&self, deadline: Option<Instant>, ready: impl Fn() -> bool) -> bool {
        self.enabled() && spin_until(deadline, ready)
    }

    /// A wait slept until woken (or timed out) after `waited` in all, spin included.
    pub fn record_wait(&self, waited: Duration) {
        let short = waited <= SHORT_WAIT;
        if self.waits_short.load(Relaxed) != short {
            self.waits_short.store(short, Relaxed);
        }
    }
}

/// Spins until `ready` says so (`true`) or the spin time or `deadline` runs out
/// (`false`), yielding the CPU between rounds of checks so that a thread we wait for on
/// this CPU can run.
pub fn spin_until(deadline: Option<Instant>, ready: impl Fn() -> bool) -> bool {
    let mut end = Instant::now() + SPIN_FOR;
    if let Some(d) = deadline {
        end = end.min(d);
    }
    loop {
        // Several checks per clock read: the flag is a load, the clock a vDSO call.
        for _ in 0..16 {
            if ready() {
                return true;
            }
            std::hint::spin_loop();
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn starts_disabled_and_follows_the_length_of_waits() {
        let spin = AdaptiveSpin::default();
        let calls = AtomicUsize::new(0);
        let count = || {
            calls.fetch_add(1, Relaxed);
            false
        };
        assert!(!spin.spin(None, count), "disabled: no spin");
        assert_eq!(calls.load(Relaxed), 0);
        spin.note_sent();
        spin.record_wait(Duration::from_micros(80));
        assert_eq!(spin.enabled(), spinning_allowed());
        spin.record_wait(Duration::from_millis(5));
        assert!(!spin.enabled(), "a long wait turns it off");
    }

    #[test]
    fn only_a_socket_that_awaits_an_answer_spins() {
        let spin = AdaptiveSpin::default();
        spin.record_wait(Duration::ZERO);
        assert!(!spin.enabled(), "nothing sent: a stream's receiver");
        spin.note_sent();
        assert_eq!(spin.enabled(), spinning_allowed());
        spin.note_received();
        assert!(!spin.enabled(), "the answer came");
    }

    #[test]
    fn a_spin_ends_when_ready_or_at_the_deadline() {
        if !spinning_allowed() {
            return;
        }
        let spin = AdaptiveSpin::default();
        spin.note_sent();
        spin.record_wait(Duration::ZERO);
        let polls = AtomicUsize::new(0);
        assert!(spin.spin(None, || polls.fetch_add(1, Relaxed) == 10));
        assert_eq!(polls.load(Relaxed), 11);
        // A deadline already past: one round of checks, then give up.
        let past = Instant::now();
        polls.store(0, Relaxed);
        assert!(!spin.spin(Some(past), || {
            polls.fetch_add(1, Relaxed);
            false
        }));
        assert_eq!(polls.load(Relaxed), 16);
    }
}
