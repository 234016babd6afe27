//! `ZMQ.__poll_set(read_fds, write_fds)`: one descriptor that becomes readable when any
//! of many is ready (an epoll instance, level-triggered).
//!
//! Under a Fiber scheduler, Ruby 3.1's `IO.select` blocks the whole thread: it has no
//! scheduler hook, while `IO#wait_readable` has one (`io_wait`). A poller that waits on
//! many sockets and IOs there waits for this single descriptor instead, so the
//! scheduler keeps running the thread's other fibers.

use magnus::{function, Error, RModule, Ruby};
use std::os::fd::RawFd;

fn register(epoll: RawFd, fd: RawFd, events: u32) -> std::io::Result<()> {
    let mut event = libc::epoll_event {
        events,
        u64: fd as u64,
    };
    // SAFETY: `event` is a live, initialised epoll_event that the kernel only reads;
    // `epoll` is the instance made by `poll_set` and still open.
    let mut rc = unsafe { libc::epoll_ctl(epoll, libc::EPOLL_CTL_ADD, fd, &mut event) };
    if rc != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EEXIST) {
        // The same descriptor for reading and writing: widen its registration.
        event.events |= libc::EPOLLIN as u32 | libc::EPOLLOUT as u32;
        // SAFETY: as above.
        rc = unsafe { libc::epoll_ctl(epoll, libc::EPOLL_CTL_MOD, fd, &mut event) };
    }
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Returns the epoll descriptor; the caller owns it (`IO.for_fd(fd, autoclose: true)`).
fn poll_set(ruby: &Ruby, reads: Vec<i32>, writes: Vec<i32>) -> Result<i32, Error> {
    // SAFETY: plain system call with a constant flag; the result is checked.
    let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if epoll < 0 {
        let e = std::io::Error::last_os_error();
        return Err(Error::new(
            ruby.exception_system_call_error(),
            e.to_string(),
        ));
    }
    let all = reads
        .iter()
        .map(|&fd| (fd, libc::EPOLLIN as u32))
        .chain(writes.iter().map(|&fd| (fd, libc::EPOLLOUT as u32)));
    for (fd, events) in all {
        if let Err(e) = register(epoll, fd, events) {
            // SAFETY: `epoll` was opened above and is not used after this.
            unsafe { libc::close(epoll) };
            return Err(Error::new(
                ruby.exception_arg_error(),
                format!("cannot wait on descriptor {fd}: {e}"),
            ));
        }
    }
    Ok(epoll)
}

pub fn init(zmq: RModule) -> Result<(), Error> {
    zmq.define_module_function("__poll_set", function!(poll_set, 2))
}
