//! Fair queueing: receive from many pipes in turn, one whole message at a time.

use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId};

#[derive(Default)]
pub struct FairQueue {
    pipes: Vec<PipeEnd>,
    /// Where the next receive starts, so no peer can starve the others.
    next: usize,
}

impl FairQueue {
    pub fn attach(&mut self, pipe: PipeEnd) {
        self.pipes.push(pipe);
    }

    /// The next message and the pipe it came from. Pipes whose peer is gone are read to
    /// the end, then dropped.
    pub fn recv(&mut self) -> Option<(PipeId, Msg)> {
        let mut tried = 0;
        while tried < self.pipes.len() {
            if self.next >= self.pipes.len() {
                self.next = 0;
            }
            let pipe = &self.pipes[self.next];
            if let Some(msg) = pipe.rx.pop() {
                let id = pipe.id;
                self.next += 1;
                return Some((id, msg));
            }
            if pipe.rx.is_finished() {
                self.pipes.remove(self.next);
                continue;
            }
            self.next += 1;
            tried += 1;
        }
        None
    }

    pub fn has_input(&self) -> bool {
        // When this says no, every pipe was asked, so each wakes us when it fills.
        self.pipes.iter().any(|p| p.rx.has_input())
    }

    pub fn has_input_from(&self, id: PipeId) -> bool {
        self.pipes.iter().any(|p| p.id == id && p.rx.has_input())
    }
}
