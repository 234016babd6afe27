//! PUSH (load-balanced sends), PULL (fair-queued receives) and DEALER (both).

use super::{not_supported, FairQueue, LoadBalancer, Pattern, SendError};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId};
use bytes::Bytes;

#[derive(Default)]
pub struct Push {
    lb: LoadBalancer,
}

impl Pattern for Push {
    fn attach(&mut self, pipe: PipeEnd, _peer_identity: Bytes) {
        self.lb.attach(pipe);
    }
    fn detach(&mut self, id: PipeId) {
        self.lb.remove(id);
    }
    fn send(&mut self, msg: Msg) -> std::result::Result<(), SendError> {
        self.lb.send(msg).map(drop).map_err(SendError::Again)
    }
    fn recv(&mut self) -> Result<Msg> {
        Err(not_supported())
    }
    fn can_send(&mut self) -> bool {
        self.lb.can_send()
    }
    fn can_recv(&mut self) -> bool {
        false
    }
}

#[derive(Default)]
pub struct Pull {
    fq: FairQueue,
}

impl Pattern for Pull {
    fn attach(&mut self, pipe: PipeEnd, _peer_identity: Bytes) {
        self.fq.attach(pipe);
    }
    fn detach(&mut self, _id: PipeId) {
        // The fair queue drops the pipe once its last messages are read.
    }
    fn send(&mut self, _msg: Msg) -> std::result::Result<(), SendError> {
        Err(SendError::Fail(not_supported()))
    }
    fn recv(&mut self) -> Result<Msg> {
        self.fq.recv().map(|(_, m)| m).ok_or_else(Error::again)
    }
    fn can_send(&mut self) -> bool {
        false
    }
    fn can_recv(&mut self) -> bool {
        self.fq.has_input()
    }
}

#[derive(Default)]
pub struct Dealer {
    lb: LoadBalancer,
    fq: FairQueue,
}

impl Pattern for Dealer {
    fn attach(&mut self, pipe: PipeEnd, _peer_identity: Bytes) {
        self.lb.attach(pipe.clone());
        self.fq.attach(pipe);
    }
    fn detach(&mut self, id: PipeId) {
        self.lb.remove(id);
    }
    fn send(&mut self, msg: Msg) -> std::result::Result<(), SendError> {
        self.lb.send(msg).map(drop).map_err(SendError::Again)
    }
    fn recv(&mut self) -> Result<Msg> {
        self.fq.recv().map(|(_, m)| m).ok_or_else(Error::again)
    }
    fn can_send(&mut self) -> bool {
        self.lb.can_send()
    }
    fn can_recv(&mut self) -> bool {
        self.fq.has_input()
    }
}
