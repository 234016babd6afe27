//! REQ and REP: the request-reply envelope and the strict alternation libzmq enforces
//! (EFSM on misuse).

use super::{flag_value, FairQueue, LoadBalancer, Pattern, SendError};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::options::{OptionValue, SocketOption};
use crate::pipe::{PipeEnd, PipeId};
use bytes::Bytes;
use std::collections::HashMap;

#[derive(Default)]
pub struct Req {
    lb: LoadBalancer,
    fq: FairQueue,
    /// The pipe the outstanding request went to; `Some` while a reply is awaited.
    reply_pipe: Option<PipeId>,
    relaxed: bool,
    correlate: bool,
}

impl Pattern for Req {
    fn attach(&mut self, pipe: PipeEnd, _peer_identity: Bytes) {
        self.lb.attach(pipe.clone());
        self.fq.attach(pipe);
    }

    fn detach(&mut self, id: PipeId) {
        self.lb.remove(id);
    }

    fn send(&mut self, mut msg: Msg) -> std::result::Result<(), SendError> {
        if self.reply_pipe.is_some() && !self.relaxed {
            return Err(SendError::Fail(Error::fsm()));
        }
        msg.push_front(Bytes::new());
        match self.lb.send(msg) {
            Ok(pipe) => {
                self.reply_pipe = Some(pipe);
                Ok(())
            }
            Err(mut back) => {
                back.pop_front();
                Err(SendError::Again(back))
            }
        }
    }

    fn recv(&mut self) -> Result<Msg> {
        let reply_pipe = self.reply_pipe.ok_or_else(Error::fsm)?;
        // Anything from another peer, or without the empty delimiter, is not our reply.
        while let Some((from, mut msg)) = self.fq.recv() {
            if from != reply_pipe || msg.len() < 2 || !msg.first().is_empty() {
                continue;
            }
            msg.pop_front();
            self.reply_pipe = None;
            return Ok(msg);
        }
        Err(Error::again())
    }

    fn can_send(&mut self) -> bool {
        (self.reply_pipe.is_none() || self.relaxed) && self.lb.can_send()
    }

    fn can_recv(&mut self) -> bool {
        self.reply_pipe.is_some_and(|p| self.fq.has_input_from(p))
    }

    fn set_option(&mut self, opt: SocketOption, v: &OptionValue) -> Result<bool> {
        match opt {
            SocketOption::ReqRelaxed => self.relaxed = flag_value(v)?,
            SocketOption::ReqCorrelate => self.correlate = flag_value(v)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn get_option(&self, opt: SocketOption) -> Option<OptionValue> {
        match opt {
            SocketOption::ReqRelaxed => Some(self.relaxed.into()),
            SocketOption::ReqCorrelate => Some(self.correlate.into()),
            _ => None,
        }
    }
}

#[derive(Default)]
pub struct Rep {
    fq: FairQueue,
    pipes: HashMap<PipeId, PipeEnd>,
    /// Set between a receive and the matching send: where the reply goes and the
    /// envelope (routing ids and delimiter) it carries back.
    pending_reply: Option<(PipeId, Vec<Bytes>)>,
}

impl Pattern for Rep {
    fn attach(&mut self, pipe: PipeEnd, _peer_identity: Bytes) {
        self.pipes.insert(pipe.id, pipe.clone());
        self.fq.attach(pipe);
    }

    fn detach(&mut self, id: PipeId) {
        self.pipes.remove(&id);
    }

    fn send(&mut self, msg: Msg) -> std::result::Result<(), SendError> {
        let (pipe_id, envelope) = self.pending_reply.take().ok_or_else(Error::fsm)?;
        let mut parts = envelope;
        parts.extend(msg.into_parts());
        // A peer that left, or is over its mark, loses its reply as with libzmq.
        if let Some(pipe) = self.pipes.get(&pipe_id).filter(|p| p.writable()) {
            let _ = pipe.tx.try_push(Msg::from_parts(parts));
        }
        Ok(())
    }

    fn recv(&mut self) -> Result<Msg> {
        if self.pending_reply.is_some() {
            return Err(Error::fsm());
        }
        while let Some((from, msg)) = self.fq.recv() {
            let meta = msg.metadata().cloned();
            let mut parts = msg.into_parts();
            let Some(delim) = parts.iter().position(|p| p.is_empty()) else {
                continue; // no envelope: malformed request
            };
            if delim + 1 == parts.len() {
                continue; // envelope without a body
            }
            let body = parts.split_off(delim + 1);
            self.pending_reply = Some((from, parts));
            // The request keeps the properties of the connection it came in on.
            let mut request = Msg::from_parts(body);
            request.set_metadata(meta);
            return Ok(request);
        }
        Err(Error::again())
    }

    fn can_send(&mut self) -> bool {
        self.pending_reply.is_some()
    }

    fn can_recv(&mut self) -> bool {
        self.pending_reply.is_none() && self.fq.has_input()
    }
}
