//! Waiting on many sockets and plain fds at once (`zmq_poll`).
//!
//! Readiness of a socket is its `events()`; its fd only says "look again". So the poll
//! first checks every socket, and only when none is ready clears their signals, checks
//! once more and sleeps in poll(2) on all fds together.

use crate::error::{Error, Result};
use crate::socket::{Socket, POLLIN, POLLOUT};
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// What to wait for: a socket's events, or a plain fd's poll(2) events.
pub enum PollTarget<'a> {
    Socket(&'a Socket),
    Fd(RawFd),
}

pub struct PollItem<'a> {
    pub target: PollTarget<'a>,
    /// POLLIN | POLLOUT (| POLLERR for fds).
    pub events: u32,
    /// Filled in by [`poll`].
    pub revents: u32,
}

impl<'a> PollItem<'a> {
    pub fn socket(s: &'a Socket, events: u32) -> Self {
        PollItem {
            target: PollTarget::Socket(s),
            events,
            revents: 0,
        }
    }

    pub fn fd(fd: RawFd, events: u32) -> Self {
        PollItem {
            target: PollTarget::Fd(fd),
            events,
            revents: 0,
        }
    }
}

fn to_poll_bits(ev: u32) -> i16 {
    let mut b = 0;
    if ev & POLLIN != 0 {
        b |= libc::POLLIN;
    }
    if ev & POLLOUT != 0 {
        b |= libc::POLLOUT;
    }
    b
}

fn from_poll_bits(b: i16) -> u32 {
    let mut ev = 0;
    if b & (libc::POLLIN | libc::POLLHUP) != 0 {
        ev |= POLLIN;
    }
    if b & libc::POLLOUT != 0 {
        ev |= POLLOUT;
    }
    if b & (libc::POLLERR | libc::POLLNVAL) != 0 {
        ev |= 4;
    }
    ev
}

/// Fills `revents` and returns how many items are ready, waiting up to `timeout`
/// (`None`: for ever; zero: just look). ETERM if a socket's context was terminated.
pub fn poll(items: &mut [PollItem<'_>], timeout: Option<Duration>) -> Result<usize> {
    let deadline = timeout.map(|t| Instant::now() + t);
    // One pollfd per raw fd; per socket, its input fd and, if it waits to send, its
    // room fd. `first_fd[i]` is where item `i`'s pollfds start.
    let mut fds: Vec<libc::pollfd> = Vec::with_capacity(items.len());
    let mut first_fd: Vec<usize> = Vec::with_capacity(items.len());
    for it in items.iter() {
        first_fd.push(fds.len());
        let pfd = |fd, events| libc::pollfd {
            fd,
            events,
            revents: 0,
        };
        match it.target {
            PollTarget::Socket(s) => {
                fds.push(pfd(s.fd(), libc::POLLIN));
                if it.events & POLLOUT != 0 {
                    fds.push(pfd(s.out_fd(), libc::POLLIN));
                }
            }
            PollTarget::Fd(fd) => fds.push(pfd(fd, to_poll_bits(it.events))),
        }
    }
    let mut armed = false;
    loop {
        let mut ready = 0;
        for (i, it) in items.iter_mut().enumerate() {
            it.revents = match it.target {
                PollTarget::Socket(s) => {
                    if s.inner.ctx.is_terminated() {
                        return Err(Error::term());
                    }
                    if armed {
                        s.events_or_arm(it.events) & it.events
                    } else {
                        s.events() & it.events
                    }
                }
                PollTarget::Fd(_) => from_poll_bits(fds[first_fd[i]].revents) & (it.events | 4),
            };
            if it.revents != 0 {
                ready += 1;
            }
        }
        let expired = deadline.is_some_and(|d| Instant::now() >= d);
        if ready > 0 || expired || items.is_empty() && timeout.is_some() {
            return Ok(ready);
        }
        if !armed {
            // Nothing ready: clear the sockets' signals and look once more before
            // sleeping, so a change in between is not missed.
            armed = true;
            continue;
        }
        let wait_ms = match deadline {
            None => -1,
            Some(d) => d
                .saturating_duration_since(Instant::now())
                .as_micros()
                .div_ceil(1000)
                .min(i32::MAX as u128) as i32,
        };
        for p in fds.iter_mut() {
            p.revents = 0;
        }
        // SAFETY: `fds` is a live, correctly sized array of pollfd.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait_ms) };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e.into());
            }
            return Err(Error::new(libc::EINTR));
        }
        armed = false;
    }
}
