//! PAIR: exactly one peer; later peers are refused while the first is attached.

use super::{Pattern, SendError};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId};
use bytes::Bytes;

#[derive(Default)]
pub struct Pair {
    peer: Option<PipeEnd>,
}

impl Pattern for Pair {
    fn attach(&mut self, pipe: PipeEnd, _peer_identity: Bytes) {
        match &self.peer {
            Some(p) if !p.rx.is_finished() && p.writable() => pipe.shut(),
            _ => self.peer = Some(pipe),
        }
    }

    fn detach(&mut self, id: PipeId) {
        // Keep a departed peer until its last messages are read.
        if let Some(p) = &self.peer {
            if p.id == id && p.rx.is_empty() {
                self.peer = None;
            }
        }
    }

    fn send(&mut self, msg: Msg) -> std::result::Result<(), SendError> {
        match &self.peer {
            Some(p) if p.writable() => p.tx.try_push(msg).map_err(SendError::Again),
            _ => Err(SendError::Again(msg)),
        }
    }

    fn recv(&mut self) -> Result<Msg> {
        let p = self.peer.as_ref().ok_or_else(Error::again)?;
        if let Some(m) = p.rx.pop() {
            return Ok(m);
        }
        if p.rx.is_finished() {
            self.peer = None;
        }
        Err(Error::again())
    }

    fn can_send(&mut self) -> bool {
        self.peer
            .as_ref()
            .is_some_and(|p| p.writable() && p.tx.check_write())
    }

    fn can_recv(&mut self) -> bool {
        self.peer.as_ref().is_some_and(|p| p.rx.has_input())
    }
}
