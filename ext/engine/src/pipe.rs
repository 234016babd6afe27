//! Pipes: a pair of bounded one-way queues joining a socket to one peer (a network
//! connection, or another socket for inproc).
//!
//! Each queue has exactly one writer and one reader. The reader is woken only when the
//! queue goes from empty to non-empty, and a writer that hit the high-water mark is woken
//! only once the queue has drained to its low-water mark, so a busy pipe costs no
//! wake-ups at all.

use crate::msg::Msg;
use crate::reactor::direct::{DirectLane, Offer};
use crossbeam_queue::SegQueue;
use crossbeam_utils::CachePadded;
use std::sync::atomic::{
    AtomicBool, AtomicU64,
    Ordering::{Relaxed, SeqCst},
};
use std::sync::{Arc, OnceLock};

/// Something to wake: a socket's [`crate::signal::Signal`], or the I/O thread on behalf
/// of one connection.
pub trait Wake: Send + Sync {
    fn wake(&self);
}

impl Wake for crate::signal::Signal {
    fn wake(&self) {
        self.raise();
    }
}

/// One direction of a pipe.
///
/// (A fixed ring with an overflow queue was tried here: the reader cannot take from the
/// overflow without racing a writer that refills the ring, which reorders messages.)
pub struct Queue {
    items: SegQueue<Msg>,
    writer: CachePadded<WriterSide>,
    /// Written by the reader only, counted after each pop.
    popped: CachePadded<AtomicU64>,
    /// Set by the reader when it found the queue empty (it may go to sleep); the next
    /// push clears it and wakes the reader. While the reader keeps finding messages the
    /// writer only ever reads this line, so a busy pipe costs no wake-up at all.
    parked: CachePadded<AtomicBool>,
    /// 0 means unlimited.
    hwm: usize,
    writer_waiting: AtomicBool,
    /// The writer will push nothing more.
    closed: AtomicBool,
    /// The reader will pop nothing more: pushing is pointless.
    reader_gone: AtomicBool,
    reader: Arc<dyn Wake>,
    writer_wake: Arc<dyn Wake>,
    /// Socket-to-connection queues of network connections: lets the writer send to an
    /// idle connection itself (see `reactor::direct`).
    direct: OnceLock<Arc<DirectLane>>,
}

/// The writer's counters, on a cache line of their own.
struct WriterSide {
    /// Counted after each push.
    pushed: AtomicU64,
    /// The last `popped` the writer read: until the writer is this close to the mark
    /// it need not look at the reader's counter at all.
    popped_seen: AtomicU64,
}

impl Queue {
    pub fn new(hwm: usize, reader: Arc<dyn Wake>, writer: Arc<dyn Wake>) -> Queue {
        Queue {
            items: SegQueue::new(),
            writer: CachePadded::new(WriterSide {
                pushed: AtomicU64::new(0),
                popped_seen: AtomicU64::new(0),
            }),
            popped: CachePadded::new(AtomicU64::new(0)),
            // Nothing read yet: the first push wakes the reader.
            parked: CachePadded::new(AtomicBool::new(true)),
            hwm,
            writer_waiting: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            reader_gone: AtomicBool::new(false),
            reader,
            writer_wake: writer,
            direct: OnceLock::new(),
        }
    }

    /// The direct lane of this queue, made on first use (by the I/O thread, when the
    /// connection reading this queue is established).
    pub fn direct_lane(&self) -> &Arc<DirectLane> {
        self.direct.get_or_init(Arc::default)
    }

    /// At the high-water mark (the writer's view).
    fn full(&self) -> bool {
        if self.hwm == 0 {
            return false;
        }
        let pushed = self.writer.pushed.load(Relaxed);
        if pushed - self.writer.popped_seen.load(Relaxed) < self.hwm as u64 {
            return false;
        }
        let popped = self.popped.load(SeqCst);
        self.writer.popped_seen.store(popped, Relaxed);
        pushed.saturating_sub(popped) >= self.hwm as u64
    }

    /// Whether a push would succeed now. If not, the writer is woken when it would.
    pub fn check_write(&self) -> bool {
        if !self.full() {
            return true;
        }
        self.writer_waiting.store(true, SeqCst);
        // Re-check after announcing that we wait, so a drain in between is not missed.
        !self.full()
    }

    /// Pushes unless the queue is at its high-water mark; gives the message back if it is.
    pub fn try_push(&self, msg: Msg) -> Result<(), Msg> {
        if !self.check_write() {
            return Err(msg);
        }
        self.push(msg);
        Ok(())
    }

    /// Pushes regardless of the high-water mark (for the few messages libzmq never
    /// drops: subscriptions, and the I/O thread's bounded read batches).
    pub fn push(&self, msg: Msg) {
        // An empty queue whose reader is parked: the connection may be idle enough to
        // take the message from this thread directly.
        let msg = match self.direct.get() {
            Some(lane) if self.parked.load(SeqCst) => match lane.offer(msg) {
                Offer::Sent => return,
                // The reader must come and send the rest.
                Offer::PartlySent => return self.wake_parked_reader(),
                Offer::Declined(msg) => msg,
            },
            _ => msg,
        };
        self.items.push(msg);
        let pushed = self.writer.pushed.load(Relaxed);
        self.writer.pushed.store(pushed + 1, SeqCst);
        self.wake_parked_reader();
    }

    /// Wakes the reader if it went to sleep on an empty queue (once per sleep).
    fn wake_parked_reader(&self) {
        if self.parked.load(SeqCst) && self.parked.swap(false, SeqCst) {
            self.reader.wake();
        }
    }

    fn take(&self) -> Option<Msg> {
        self.items.pop()
    }

    pub fn pop(&self) -> Option<Msg> {
        let msg = match self.take() {
            Some(m) => m,
            None => {
                // Announce that we may sleep, then look once more: a push that did not
                // see the announcement is visible to this second look.
                self.parked.store(true, SeqCst);
                self.take()?
            }
        };
        let popped = self.popped.load(Relaxed) + 1;
        self.popped.store(popped, SeqCst);
        if self.writer_waiting.load(SeqCst) {
            let low_water = (self.hwm - self.hwm / 2) as u64;
            let left = self.writer.pushed.load(SeqCst).saturating_sub(popped);
            if left <= low_water && self.writer_waiting.swap(false, SeqCst) {
                self.writer_wake.wake();
            }
        }
        Some(msg)
    }

    /// Number of messages queued (may briefly miss one being pushed).
    pub fn len(&self) -> usize {
        let popped = self.popped.load(SeqCst);
        self.writer.pushed.load(SeqCst).saturating_sub(popped) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The reader's readiness check: whether a message is waiting. If none is, the
    /// next push wakes the reader, exactly as after a [`Queue::pop`] that found nothing.
    pub fn has_input(&self) -> bool {
        if !self.is_empty() {
            return true;
        }
        self.parked.store(true, SeqCst);
        !self.is_empty()
    }

    pub fn hwm(&self) -> usize {
        self.hwm
    }

    /// The writer is done; the reader drains what is left and then sees `is_finished`.
    pub fn close(&self) {
        if !self.closed.swap(true, SeqCst) {
            self.reader.wake();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }

    /// Closed and drained.
    pub fn is_finished(&self) -> bool {
        self.is_closed() && self.is_empty()
    }

    /// The reader is gone; the writer should stop using this queue.
    pub fn abandon(&self) {
        if !self.reader_gone.swap(true, SeqCst) {
            self.writer_wake.wake();
        }
    }

    pub fn is_abandoned(&self) -> bool {
        self.reader_gone.load(SeqCst)
    }
}

pub type PipeId = u64;

static NEXT_PIPE_ID: AtomicU64 = AtomicU64::new(1);

pub fn next_pipe_id() -> PipeId {
    NEXT_PIPE_ID.fetch_add(1, SeqCst)
}

/// One end of a pipe: what this side reads (`rx`) and writes (`tx`).
#[derive(Clone)]
pub struct PipeEnd {
    pub id: PipeId,
    pub rx: Arc<Queue>,
    pub tx: Arc<Queue>,
}

impl PipeEnd {
    /// Whether the peer can still take messages.
    pub fn writable(&self) -> bool {
        !self.tx.is_abandoned() && !self.tx.is_closed()
    }

    /// This side is done with the pipe: no more writes, and nothing more will be read.
    pub fn shut(&self) {
        self.tx.close();
        self.rx.abandon();
    }
}

/// Builds both ends of a pipe. `a_wake` wakes side A (reader of `b_to_a`, writer of
/// `a_to_b`), `b_wake` side B. HWMs are per direction (0: unlimited).
pub fn pipe_pair(
    a_wake: Arc<dyn Wake>,
    b_wake: Arc<dyn Wake>,
    a_to_b_hwm: usize,
    b_to_a_hwm: usize,
) -> (PipeEnd, PipeEnd) {
    pipe_pair_split(
        Waking::both(a_wake),
        Waking::both(b_wake),
        a_to_b_hwm,
        b_to_a_hwm,
    )
}

/// Whom to wake on one side of a pipe: when input arrives, and when room to send
/// appears. Sockets keep the two apart so a thread waiting to send and one waiting to
/// receive never clear each other's wake-ups.
#[derive(Clone)]
pub struct Waking {
    pub input: Arc<dyn Wake>,
    pub room: Arc<dyn Wake>,
}

impl Waking {
    pub fn both(w: Arc<dyn Wake>) -> Self {
        Waking {
            input: w.clone(),
            room: w,
        }
    }
}

/// [`pipe_pair`] with separate input and room wake-ups per side.
pub fn pipe_pair_split(
    a: Waking,
    b: Waking,
    a_to_b_hwm: usize,
    b_to_a_hwm: usize,
) -> (PipeEnd, PipeEnd) {
    let id = next_pipe_id();
    let a_to_b = Arc::new(Queue::new(a_to_b_hwm, b.input.clone(), a.room.clone()));
    let b_to_a = Arc::new(Queue::new(b_to_a_hwm, a.input, b.room));
    (
        PipeEnd {
            id,
            rx: b_to_a.clone(),
            tx: a_to_b.clone(),
        },
        PipeEnd {
            id,
            rx: a_to_b,
            tx: b_to_a,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[derive(Default)]
    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(&self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn reader_woken_only_on_empty_to_non_empty() {
        let (r, w) = (Arc::new(Counter::default()), Arc::new(Counter::default()));
        let q = Queue::new(0, r.clone(), w.clone());
        q.push(Msg::new("a"));
        q.push(Msg::new("b"));
        assert_eq!(r.0.load(SeqCst), 1);
        assert_eq!(q.pop().unwrap().first(), "a");
        assert_eq!(q.pop().unwrap().first(), "b");
        assert!(q.pop().is_none());
        q.push(Msg::new("c"));
        assert_eq!(r.0.load(SeqCst), 2);
        assert_eq!(w.0.load(SeqCst), 0);
    }

    #[test]
    fn hwm_refuses_then_wakes_writer_at_low_water() {
        let (r, w) = (Arc::new(Counter::default()), Arc::new(Counter::default()));
        let q = Queue::new(4, r, w.clone());
        for i in 0..4u8 {
            q.try_push(Msg::new(vec![i])).unwrap();
        }
        let back = q.try_push(Msg::new("x")).unwrap_err();
        assert_eq!(back.first(), "x");
        q.pop();
        assert_eq!(w.0.load(SeqCst), 0, "above the low-water mark");
        q.pop();
        assert_eq!(w.0.load(SeqCst), 1, "at the low-water mark");
        assert!(q.try_push(Msg::new("y")).is_ok());
    }

    /// A writer that fills past the mark with pushes that ignore it, against a reader
    /// on another thread: every message arrives, in order.
    #[test]
    fn concurrent_writer_and_reader_keep_order() {
        let (r, w) = (Arc::new(Counter::default()), Arc::new(Counter::default()));
        let q = Arc::new(Queue::new(10, r, w));
        let writer_q = q.clone();
        const N: u32 = 50_000;
        let writer = std::thread::spawn(move || {
            for i in 0..N {
                let m = Msg::new(i.to_be_bytes().to_vec());
                // Mostly blocked at the mark, now and then a burst that ignores it.
                if i % 64 < 8 {
                    writer_q.push(m);
                } else {
                    let mut m = m;
                    while let Err(back) = writer_q.try_push(m) {
                        m = back;
                        std::hint::spin_loop();
                    }
                }
            }
        });
        let mut next = 0u32;
        while next < N {
            if let Some(m) = q.pop() {
                assert_eq!(m.first()[..], next.to_be_bytes(), "out of order");
                next += 1;
            }
        }
        writer.join().unwrap();
        assert!(q.pop().is_none());
    }

    #[test]
    fn close_lets_reader_drain_then_finish() {
        let (r, w) = (Arc::new(Counter::default()), Arc::new(Counter::default()));
        let q = Queue::new(0, r.clone(), w);
        q.push(Msg::new("last"));
        q.close();
        assert!(!q.is_finished());
        assert_eq!(q.pop().unwrap().first(), "last");
        assert!(q.is_finished());
    }
}
