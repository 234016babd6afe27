//! `ZMQ.__spin_for_input(sockets, timeout)` and `ZMQ.__note_input_wait(sockets, seconds)`:
//! the engine's adaptive spin before sleeping (see `Socket::spin_for_input` there), for
//! `Poller#poll` and `ZMQ::Loop`, which wait for several sockets at once. Without it a
//! poll-driven server would pay a sleep and a cross-CPU wake-up for every request that
//! a `recv`-driven one picks up while spinning.

use crate::socket::Socket;
use crate::wait;
use magnus::{function, Error, RArray, RModule, Ruby, TryConvert, Value};
use std::time::{Duration, Instant};

/// The engine sockets behind the live ZMQ::Socket objects in `sockets`.
fn engines(ruby: &Ruby, sockets: RArray) -> Result<Vec<zmq_engine::Socket>, Error> {
    let mut out = Vec::with_capacity(sockets.len());
    for value in sockets.into_iter() {
        let socket = Socket::receiver(ruby, &value)?;
        if socket.check_alive(ruby, value).is_ok() {
            out.push(socket.engine().clone());
        }
    }
    Ok(out)
}

/// Spins (GVL released) while one of `engines` would spin before a receive, until one
/// of them may have input (true) or the spin or `deadline` runs out (false: go to
/// sleep). Never under a Fiber scheduler: there the thread's other fibers must run
/// while this one waits. For `recv` (one socket) and the pollers (several).
pub fn spin_for_any_input(engines: &[&zmq_engine::Socket], deadline: Option<Instant>) -> bool {
    // Asked first, so that a wait that will not spin keeps the GVL.
    engines.iter().any(|e| e.input_spin_enabled())
        && !wait::under_fiber_scheduler()
        && wait::without_gvl(|| zmq_engine::Socket::spin_for_any_input(engines, deadline))
            .unwrap_or(false)
}

/// `ZMQ.__spin_for_input(sockets, timeout)`: [`spin_for_any_input`] over the live
/// sockets of a poll; `timeout` in seconds, nil for none.
fn spin_for_input(ruby: &Ruby, sockets: RArray, timeout: Value) -> Result<bool, Error> {
    let deadline = match Option::<f64>::try_convert(timeout)? {
        Some(s) if s.is_finite() && s >= 0.0 => Some(Instant::now() + Duration::from_secs_f64(s)),
        _ => None,
    };
    let engines = engines(ruby, sockets)?;
    let refs: Vec<&zmq_engine::Socket> = engines.iter().collect();
    Ok(spin_for_any_input(&refs, deadline))
}

/// A poll over `sockets` slept for `seconds` in all (spin included).
fn note_input_wait(ruby: &Ruby, sockets: RArray, seconds: f64) -> Result<(), Error> {
    let waited = Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX);
    for engine in engines(ruby, sockets)? {
        engine.note_input_wait(waited);
    }
    Ok(())
}

pub fn init(zmq: RModule) -> Result<(), Error> {
    zmq.define_module_function("__spin_for_input", function!(spin_for_input, 2))?;
    zmq.define_module_function("__note_input_wait", function!(note_input_wait, 2))
}
