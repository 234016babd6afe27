//! The built-in proxy: shuttles messages between a frontend and a backend socket, copying
//! each to an optional capture socket, until the context is terminated or it is told to
//! stop.

use crate::error::{Error, Result};
use crate::poll::{poll, PollItem};
use crate::signal::Signal;
use crate::socket::{Socket, POLLIN};

/// How many messages one direction moves before the other gets a turn.
const BATCH: usize = 1000;

/// Runs until the context terminates (ETERM) or `stop` is raised (EINTR).
pub fn proxy(
    frontend: &Socket,
    backend: &Socket,
    capture: Option<&Socket>,
    stop: Option<&Signal>,
) -> Result<()> {
    let mut items = vec![
        PollItem::socket(frontend, POLLIN),
        PollItem::socket(backend, POLLIN),
    ];
    if let Some(s) = stop {
        items.push(PollItem::fd(s.fd(), POLLIN));
    }
    loop {
        // `poll` rewrites every item's `revents`.
        poll(&mut items, None)?;
        if items.get(2).is_some_and(|it| it.revents != 0) {
            return Err(Error::new(libc::EINTR));
        }
        if items[0].revents != 0 {
            shuttle(frontend, backend, capture)?;
        }
        if items[1].revents != 0 {
            shuttle(backend, frontend, capture)?;
        }
    }
}

fn shuttle(from: &Socket, to: &Socket, capture: Option<&Socket>) -> Result<()> {
    for _ in 0..BATCH {
        let msg = match from.recv(true) {
            Ok(m) => m,
            Err(e) if e.is_again() => return Ok(()),
            Err(e) => return Err(e),
        };
        if let Some(c) = capture {
            // A capture socket that cannot keep up misses messages; the proxy goes on.
            let _ = c.send(msg.clone(), true);
        }
        to.send(msg, false)?;
    }
    Ok(())
}
