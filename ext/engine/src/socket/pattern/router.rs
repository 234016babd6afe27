//! ROUTER: every message is prefixed with the routing id of the peer it came from, and
//! routed by the routing id it starts with. STREAM reuses it for raw TCP peers.

use super::{flag_value, FairQueue, Pattern, SendError};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::options::{OptionValue, SocketOption};
use crate::pipe::{PipeEnd, PipeId};
use bytes::Bytes;
use std::collections::HashMap;

pub struct Router {
    fq: FairQueue,
    by_identity: HashMap<Bytes, PipeEnd>,
    identity_of: HashMap<PipeId, Bytes>,
    /// Detached pipes whose `identity_of` entry stays until their last messages are
    /// read (the next time receiving finds nothing).
    detached: Vec<PipeId>,
    next_generated: u32,
    mandatory: bool,
    handover: bool,
    /// STREAM: peers are raw byte streams.
    stream: bool,
    /// With `stream`: connects and disconnects show up as an empty message from that
    /// peer.
    notify: bool,
    /// Peers this socket hung up on itself (an empty frame to a STREAM peer): their
    /// disconnect is not announced back, as in libzmq.
    closed_by_us: std::collections::HashSet<PipeId>,
    notices: std::collections::VecDeque<Msg>,
}

impl Default for Router {
    fn default() -> Self {
        Router {
            fq: FairQueue::default(),
            by_identity: HashMap::new(),
            identity_of: HashMap::new(),
            detached: Vec::new(),
            // libzmq starts from a random number so ids differ between runs.
            next_generated: std::process::id().wrapping_mul(2_654_435_761),
            mandatory: false,
            handover: false,
            stream: false,
            notify: true,
            closed_by_us: Default::default(),
            notices: Default::default(),
        }
    }
}

impl Router {
    pub fn stream() -> Self {
        Router {
            stream: true,
            ..Router::default()
        }
    }

    /// A 5-byte routing id starting with a zero byte, as libzmq generates them.
    fn generate_identity(&mut self) -> Bytes {
        loop {
            self.next_generated = self.next_generated.wrapping_add(1);
            let mut id = vec![0u8];
            id.extend_from_slice(&self.next_generated.to_be_bytes());
            let id = Bytes::from(id);
            if !self.by_identity.contains_key(&id) {
                return id;
            }
        }
    }

    fn forget(&mut self, id: PipeId) {
        if let Some(identity) = self.identity_of.get(&id) {
            if self.by_identity.get(identity).is_some_and(|p| p.id == id) {
                self.by_identity.remove(identity);
            }
        }
        self.detached.push(id);
    }
}

impl Pattern for Router {
    fn attach(&mut self, pipe: PipeEnd, peer_identity: Bytes) {
        let identity = if peer_identity.is_empty() || self.stream {
            self.generate_identity()
        } else if let Some(old) = self.by_identity.get(&peer_identity) {
            if !self.handover {
                // The id is taken: refuse the newcomer, as libzmq does.
                pipe.shut();
                return;
            }
            let old_id = old.id;
            let fresh = self.generate_identity();
            if let Some(old) = self.by_identity.remove(&peer_identity) {
                self.by_identity.insert(fresh.clone(), old);
            }
            self.identity_of.insert(old_id, fresh);
            peer_identity
        } else {
            peer_identity
        };
        if self.stream && self.notify {
            self.notices
                .push_back(Msg::from_parts([identity.clone(), Bytes::new()]));
        }
        self.identity_of.insert(pipe.id, identity.clone());
        self.by_identity.insert(identity, pipe.clone());
        self.fq.attach(pipe);
    }

    fn detach(&mut self, id: PipeId) {
        let closed_by_us = self.closed_by_us.remove(&id);
        if self.stream && self.notify && !closed_by_us {
            if let Some(identity) = self.identity_of.get(&id) {
                self.notices
                    .push_back(Msg::from_parts([identity.clone(), Bytes::new()]));
            }
        }
        self.forget(id);
    }

    fn send(&mut self, mut msg: Msg) -> std::result::Result<(), SendError> {
        let Some(identity) = msg.pop_front() else {
            // Only a routing id and nothing to carry: nothing to send.
            return Ok(());
        };
        let Some(pipe) = self.by_identity.get(&identity).filter(|p| p.writable()) else {
            return if self.mandatory {
                Err(SendError::Fail(Error::new(libc::EHOSTUNREACH)))
            } else {
                Ok(())
            };
        };
        if self.stream && msg.len() == 1 && msg.first().is_empty() {
            // An empty frame to a STREAM peer closes the connection.
            self.closed_by_us.insert(pipe.id);
            pipe.shut();
            return Ok(());
        }
        match pipe.tx.try_push(msg) {
            Ok(()) => Ok(()),
            Err(mut back) if self.mandatory => {
                back.push_front(identity);
                Err(SendError::Again(back))
            }
            Err(_) => Ok(()), // over the mark: dropped, as libzmq does
        }
    }

    fn recv(&mut self) -> Result<Msg> {
        if let Some(n) = self.notices.pop_front() {
            return Ok(n);
        }
        while let Some((from, mut msg)) = self.fq.recv() {
            if let Some(identity) = self.identity_of.get(&from) {
                msg.push_front(identity.clone());
                return Ok(msg);
            }
        }
        // Every pipe is drained: detached ones can now be forgotten for good.
        for id in self.detached.drain(..) {
            self.identity_of.remove(&id);
        }
        Err(Error::again())
    }

    fn can_send(&mut self) -> bool {
        true
    }

    fn can_recv(&mut self) -> bool {
        !self.notices.is_empty() || self.fq.has_input()
    }

    fn set_option(&mut self, opt: SocketOption, v: &OptionValue) -> Result<bool> {
        match opt {
            SocketOption::RouterMandatory => self.mandatory = flag_value(v)?,
            SocketOption::RouterHandover => self.handover = flag_value(v)?,
            // A raw ROUTER talks to plain TCP peers exactly as a STREAM socket does.
            SocketOption::RouterRaw => self.stream = flag_value(v)?,
            SocketOption::StreamNotify => self.notify = flag_value(v)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn get_option(&self, opt: SocketOption) -> Option<OptionValue> {
        match opt {
            SocketOption::RouterMandatory => Some(self.mandatory.into()),
            SocketOption::RouterHandover => Some(self.handover.into()),
            SocketOption::StreamNotify => Some(self.notify.into()),
            _ => None,
        }
    }
}
