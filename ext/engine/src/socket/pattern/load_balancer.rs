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

    fn drop_dead(&mut self) {
        self.pipes.retain(|p| p.writable());
        if self.next >= self.pipes.len() {
            self.next = 0;
        }
    }

    /// Sends to the next pipe with room; returns the pipe used, or the message back when
    /// every pipe is full (or there is none).
    pub fn send(&mut self, msg: Msg) -> Result<PipeId, Msg> {
        self.drop_dead();
        let mut msg = msg;
        for _ in 0..self.pipes.len() {
            let pipe = &self.pipes[self.next];
            self.next = (self.next + 1) % self.pipes.len();
            match pipe.tx.try_push(msg) {
                Ok(()) => return Ok(pipe.id),
                Err(back) => msg = back,
            }
        }
        Err(msg)
    }

    pub fn can_send(&self) -> bool {
        self.pipes
            .iter()
            .any(|p| p.writable() && p.tx.check_write())
    }
}
