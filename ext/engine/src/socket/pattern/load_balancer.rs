//! Load balancing: send each message to the next peer that has room.

use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId};

#[derive(Default)]
pub struct LoadBalancer {
    pipes: Vec<PipeEnd>,
    next: usize,
}

impl LoadBalancer {
    pub fn attach(&mut self, pipe: PipeEnd) {
        self.pipes.push(pipe);
    }

    pub fn remove(&mut self, id: PipeId) {
        if let Some(i) = self.pipes.iter().position(|p| p.id == id) {
            self.pipes.remove(i);
            if self.next > i {
                self.next -= 1;
            }
        }
    }

    /// Sends to the next pipe with room; returns the pipe used, or the message back when
    /// every pipe is full (or there is none). Pipes whose peer is gone are dropped on
    /// the way.
    pub fn send(&mut self, msg: Msg) -> Result<PipeId, Msg> {
        let mut msg = msg;
        let mut tried = 0;
        while tried < self.pipes.len() {
            if self.next >= self.pipes.len() {
                self.next = 0;
            }
            let pipe = &self.pipes[self.next];
            if !pipe.writable() {
                self.pipes.remove(self.next);
                continue;
            }
            let id = pipe.id;
            match pipe.tx.try_push(msg) {
                Ok(()) => {
                    self.next += 1;
                    return Ok(id);
                }
                Err(back) => msg = back,
            }
            self.next += 1;
            tried += 1;
        }
        Err(msg)
    }

    pub fn can_send(&self) -> bool {
        self.pipes
            .iter()
            .any(|p| p.writable() && p.tx.check_write())
    }
}
