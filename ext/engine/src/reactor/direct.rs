//! The direct lane: a socket's own thread writes a message straight to an idle
//! connection instead of queueing it for the I/O thread.
//!
//! A request-reply round trip normally crosses threads six times: application to I/O
//! thread, the network, I/O thread to application, on each side. When the connection
//! has nothing queued, waking the I/O thread only so that it can make one `send(2)` is
//! pure latency, so the sending thread makes that call itself and two of the six
//! hand-offs disappear.
//!
//! The rules that keep the byte stream in order:
//! - The I/O thread holds the lane's lock while it takes messages from the pipe and
//!   writes them, and leaves the lane open only when its output queue is empty and the
//!   connection is one whose messages are plain frames (handshake done, no CURVE box,
//!   not raw, not a subscriber whose messages may become commands).
//! - The socket's thread writes directly only when the pipe is empty with its reader
//!   parked (it found nothing to send) and it gets the lock without waiting. Bytes the
//!   kernel does not take stay in the lane as `pending`; the I/O thread sends them
//!   before anything else.
//! - A direct write disarms the lane until the connection delivers input again: a
//!   stream of sends with nothing coming back goes through the pipe, where the I/O
//!   thread batches many messages per system call. Request-reply traffic, where every
//!   send follows a receive, re-arms it each time.

use bytes::BytesMut;
use std::cell::RefCell;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

use super::out_queue::ZERO_COPY_MIN;
use crate::msg::Msg;
use crate::wire::encode_message_frames;

thread_local! {
    /// Encoding space for direct writes, reused by each sending thread.
    static SCRATCH: RefCell<BytesMut> = RefCell::new(BytesMut::with_capacity(ZERO_COPY_MIN));
}

/// What the I/O thread and the sending thread share, under the lane's lock.
#[derive(Debug)]
pub struct LaneState {
    /// The connection's descriptor; meaningful only while `open`.
    pub fd: RawFd,
    /// Direct writes are allowed (see the module rules).
    pub open: bool,
    /// Bytes of a direct write the kernel did not take; the I/O thread sends them first.
    pub pending: BytesMut,
    /// The process whose I/O thread owns the connection. A forked child shares the
    /// descriptor but must not write into its parent's byte stream.
    pub owner_pid: u32,
}

#[derive(Debug)]
pub struct DirectLane {
    state: Mutex<LaneState>,
    /// Input arrived since the last direct write.
    armed: AtomicBool,
}

impl Default for DirectLane {
    fn default() -> Self {
        DirectLane {
            state: Mutex::new(LaneState {
                fd: -1,
                open: false,
                pending: BytesMut::new(),
                owner_pid: 0,
            }),
            armed: AtomicBool::new(true),
        }
    }
}

/// What became of a message offered to the lane.
pub enum Offer {
    /// The kernel took all of it.
    Sent,
    /// Part of it was written; the rest waits in the lane, and the I/O thread must be
    /// woken to send it.
    PartlySent,
    /// Nothing was written: queue it as usual.
    Declined(Msg),
}

impl DirectLane {
    /// The I/O thread's hold on the lane, taken around every pipe-to-socket flush.
    pub fn lock(&self) -> MutexGuard<'_, LaneState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection delivered input: the next send may go direct again.
    pub fn arm(&self) {
        if !self.armed.load(Relaxed) {
            self.armed.store(true, Relaxed);
        }
    }

    /// Called by the pipe's writer when the pipe is empty and its reader parked.
    pub fn offer(&self, msg: Msg) -> Offer {
        if !self.armed.load(Relaxed) || msg.byte_len() >= ZERO_COPY_MIN {
            return Offer::Declined(msg);
        }
        let Ok(mut state) = self.state.try_lock() else {
            return Offer::Declined(msg);
        };
        if !state.open || state.owner_pid != std::process::id() {
            return Offer::Declined(msg);
        }
        self.armed.store(false, Relaxed);
        SCRATCH.with(|scratch| {
            let mut buf = scratch.borrow_mut();
            buf.clear();
            encode_message_frames(&msg, &mut buf);
            match send_nonblocking(state.fd, &buf) {
                Some(n) if n == buf.len() => Offer::Sent,
                Some(n) if n > 0 => {
                    // The rest goes out through the I/O thread, ahead of anything queued
                    // later; until then nothing else may be written directly.
                    state.open = false;
                    state.pending.extend_from_slice(&buf[n..]);
                    Offer::PartlySent
                }
                // EAGAIN or an error: the I/O thread finds out for itself.
                _ => {
                    state.open = false;
                    Offer::Declined(msg)
                }
            }
        })
    }
}

/// `send(2)` without blocking and without SIGPIPE; `None` on any error.
fn send_nonblocking(fd: RawFd, bytes: &[u8]) -> Option<usize> {
    // SAFETY: `bytes` is a live slice for the duration of the call and the kernel only
    // reads `bytes.len()` bytes from it. `fd` is the connection's socket, which the I/O
    // thread keeps open while the lane is open (it closes the lane under the same lock
    // before dropping the connection).
    let n = unsafe {
        libc::send(
            fd,
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
        )
    };
    usize::try_from(n).ok()
}
