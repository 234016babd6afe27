//! Wake-up signals.
//!
//! A [`Signal`] is an eventfd that an application thread (or Ruby, or a poller) waits on.
//! It is raised when something a waiter may want happened (a message arrived, room to
//! send appeared) and cleared by a waiter just before it re-checks, so a raise between the
//! clear and the check is never lost. Waiting never consumes the signal: several threads
//! may wait on one socket and all of them wake.
//!
//! The `armed` flag keeps a burst of raises to a single `write(2)`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Signal {
    fd: OwnedFd,
    armed: AtomicBool,
}

impl Signal {
    pub fn new() -> io::Result<Signal> {
        // SAFETY: eventfd has no memory-safety preconditions; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Signal {
            // SAFETY: `fd` is a fresh descriptor that nothing else owns.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            armed: AtomicBool::new(false),
        })
    }

    /// Makes the fd readable (if it is not already).
    pub fn raise(&self) {
        if !self.armed.swap(true, Ordering::SeqCst) {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a live u64 to our own eventfd. A full counter
            // (EAGAIN) still leaves the fd readable, which is all we need.
            unsafe { libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
        }
    }

    /// Makes the fd unreadable. Call before re-checking the condition you wait for.
    pub fn clear(&self) {
        // Drain first, then disarm. The other order loses wake-ups for good: a raise
        // between the two would find `armed` false, write, and have its write drained,
        // leaving `armed` true with an unreadable fd, so no later raise would write.
        // In this order a raise in between is swallowed, but it was for a change made
        // before it, which the caller's re-check sees; a raise after the disarm writes.
        // A raise that armed before the drain but writes after it leaves the fd readable
        // with `armed` false: a spurious wake-up, never a lost one.
        self.drain();
        self.armed.store(false, Ordering::SeqCst);
    }

    fn drain(&self) {
        let mut buf: u64 = 0;
        // SAFETY: reads at most 8 bytes into a live u64 from our own non-blocking eventfd.
        unsafe { libc::read(self.fd.as_raw_fd(), (&mut buf as *mut u64).cast(), 8) };
    }

    /// Raised and not cleared since: a cheap look, for spinning on.
    pub fn is_raised(&self) -> bool {
        self.armed.load(Ordering::SeqCst)
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Waits until raised or until `deadline` passes; returns false on time-out.
    pub fn wait_until(&self, deadline: Option<Instant>) -> bool {
        poll_fd(self.fd(), deadline)
    }

    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        self.wait_until(timeout.map(|t| Instant::now() + t))
    }
}

/// Blocks until `fd` is readable or `deadline` passes (`None`: for ever).
pub fn poll_fd(fd: RawFd, deadline: Option<Instant>) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        let timeout_ms = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                // Round up so that we never wake a hair early and spin.
                left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
            }
        };
        // SAFETY: one valid pollfd, count 1.
        let rc = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        if rc > 0 {
            return true;
        }
        if rc == 0 {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            continue;
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn raise_then_wait_returns_at_once_and_clear_resets() {
        let s = Signal::new().unwrap();
        assert!(!s.wait(Some(Duration::ZERO)));
        s.raise();
        s.raise();
        assert!(s.wait(Some(Duration::ZERO)));
        assert!(s.wait(Some(Duration::ZERO)), "waiting does not consume");
        s.clear();
        assert!(!s.wait(Some(Duration::ZERO)));
    }

    /// The interleaving that once lost wake-ups for good, step by step: a raise lands
    /// between a clear's disarm and its drain. Whatever happens, a raise after the clear
    /// must leave the fd readable.
    #[test]
    fn a_raise_inside_a_clear_does_not_silence_later_raises() {
        let s = Signal::new().unwrap();
        s.raise();
        // clear() = drain, then disarm; put a raise between the two.
        s.drain();
        s.raise();
        s.armed.store(false, Ordering::SeqCst);
        s.raise();
        assert!(s.wait(Some(Duration::ZERO)));
        // The same with the raise after the disarm.
        s.clear();
        s.raise();
        assert!(s.wait(Some(Duration::ZERO)));
    }

    #[test]
    fn raise_from_another_thread_wakes_a_waiter() {
        let s = Arc::new(Signal::new().unwrap());
        let s2 = s.clone();
        let t = std::thread::spawn(move || s2.wait(Some(Duration::from_secs(10))));
        s.raise();
        assert!(t.join().unwrap());
    }
}
