//! PUB/XPUB (filtering fan-out, subscriptions read from subscribers) and SUB/XSUB
//! (fair-queued receive, subscriptions sent upstream).
//!
//! Subscriptions travel through pipes as one-part messages: `\x01prefix` subscribes,
//! `\x00prefix` cancels. The ZMTP codec turns them into SUBSCRIBE/CANCEL commands for
//! peers that speak 3.1.

use super::subscriptions::Subscriptions;
use super::{flag_value, not_supported, FairQueue, Pattern, SendError};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::options::{OptionValue, SocketOption};
use crate::pipe::{PipeEnd, PipeId};
use bytes::{BufMut, Bytes, BytesMut};
use std::collections::VecDeque;

fn subscription_msg(subscribe: bool, prefix: &[u8]) -> Msg {
    let mut b = BytesMut::with_capacity(prefix.len() + 1);
    b.put_u8(subscribe as u8);
    b.put_slice(prefix);
    Msg::new(b.freeze())
}

struct Subscriber {
    pipe: PipeEnd,
    subs: Subscriptions,
}

pub struct XPub {
    peers: Vec<Subscriber>,
    /// Every peer's subscriptions together, to tell new ones from repeats.
    all: Subscriptions,
    /// XPUB hands subscriptions to the application; PUB keeps them to itself.
    is_xpub: bool,
    verbose: bool,
    for_app: VecDeque<Msg>,
}

impl XPub {
    pub fn new(is_xpub: bool) -> Self {
        XPub {
            peers: Vec::new(),
            all: Subscriptions::default(),
            is_xpub,
            verbose: false,
            for_app: VecDeque::new(),
        }
    }

    /// Reads whatever the subscribers sent since last time.
    fn read_subscriptions(&mut self) {
        for peer in &mut self.peers {
            while let Some(msg) = peer.pipe.rx.pop() {
                let data = msg.first();
                match data.first() {
                    Some(1) if msg.len() == 1 => {
                        let prefix = data.slice(1..);
                        peer.subs.add(prefix.clone());
                        let new = self.all.add(prefix);
                        if self.is_xpub && (new || self.verbose) {
                            self.for_app.push_back(msg);
                        }
                    }
                    Some(0) if msg.len() == 1 => {
                        if peer.subs.remove(&data[1..])
                            && self.all.remove(&data[1..])
                            && self.is_xpub
                        {
                            self.for_app.push_back(msg);
                        }
                    }
                    _ => {
                        if self.is_xpub {
                            self.for_app.push_back(msg);
                        }
                    }
                }
            }
        }
    }

    fn drop_peer(&mut self, id: PipeId) {
        let Some(i) = self.peers.iter().position(|p| p.pipe.id == id) else {
            return;
        };
        let gone = self.peers.remove(i);
        // Its subscriptions go too; an XPUB upstream hears of the ones nobody holds now.
        for (prefix, times) in gone.subs.counted() {
            for _ in 0..times {
                if self.all.remove(prefix) && self.is_xpub {
                    self.for_app.push_back(subscription_msg(false, prefix));
                }
            }
        }
    }
}

impl Pattern for XPub {
    fn attach(&mut self, pipe: PipeEnd, _peer_identity: Bytes) {
        self.peers.push(Subscriber {
            pipe,
            subs: Subscriptions::default(),
        });
    }

    fn detach(&mut self, id: PipeId) {
        self.drop_peer(id);
    }

    fn send(&mut self, msg: Msg) -> std::result::Result<(), SendError> {
        self.read_subscriptions();
        let topic = msg.first().clone();
        for peer in &self.peers {
            if peer.pipe.writable() && peer.subs.matches(&topic) {
                // At the mark a subscriber misses the message; a publisher never blocks.
                let _ = peer.pipe.tx.try_push(msg.clone());
            }
        }
        Ok(())
    }

    fn recv(&mut self) -> Result<Msg> {
        if !self.is_xpub {
            return Err(not_supported());
        }
        self.read_subscriptions();
        self.for_app.pop_front().ok_or_else(Error::again)
    }

    fn can_send(&mut self) -> bool {
        true
    }

    fn can_recv(&mut self) -> bool {
        if !self.is_xpub {
            return false;
        }
        self.read_subscriptions();
        !self.for_app.is_empty()
    }

    fn set_option(&mut self, opt: SocketOption, v: &OptionValue) -> Result<bool> {
        match opt {
            SocketOption::XpubVerbose if self.is_xpub => self.verbose = flag_value(v)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

pub struct XSub {
    fq: FairQueue,
    upstream: Vec<PipeEnd>,
    subs: Subscriptions,
    /// XSUB passes everything through; SUB drops what matches no subscription.
    is_xsub: bool,
}

impl XSub {
    pub fn new(is_xsub: bool) -> Self {
        XSub {
            fq: FairQueue::default(),
            upstream: Vec::new(),
            subs: Subscriptions::default(),
            is_xsub,
        }
    }

    /// Sends every subscription to a new (or reconnected) publisher, in byte order (the
    /// set's own) as libzmq does, so peers see the same sequence whichever library
    /// subscribes.
    fn send_all_subscriptions(&self, pipe: &PipeEnd) {
        for prefix in self.subs.prefixes() {
            pipe.tx.push(subscription_msg(true, prefix));
        }
    }

    fn send_upstream(&mut self, msg: Msg) {
        self.upstream.retain(|p| p.writable());
        for p in &self.upstream {
            // Subscriptions are never dropped at the mark (libzmq does the same).
            p.tx.push(msg.clone());
        }
    }

    fn subscribe(&mut self, prefix: &[u8]) {
        // Every subscribe goes upstream: the publisher counts them too.
        self.subs.add(Bytes::copy_from_slice(prefix));
        self.send_upstream(subscription_msg(true, prefix));
    }

    fn unsubscribe(&mut self, prefix: &[u8]) {
        if self.subs.remove(prefix) {
            self.send_upstream(subscription_msg(false, prefix));
        }
    }
}

impl Pattern for XSub {
    fn attach(&mut self, pipe: PipeEnd, _peer_identity: Bytes) {
        self.send_all_subscriptions(&pipe);
        self.upstream.push(pipe.clone());
        self.fq.attach(pipe);
    }

    fn detach(&mut self, id: PipeId) {
        self.upstream.retain(|p| p.id != id);
    }

    fn hiccup(&mut self, id: PipeId) {
        if let Some(p) = self.upstream.iter().find(|p| p.id == id) {
            self.send_all_subscriptions(p);
        }
    }

    fn send(&mut self, msg: Msg) -> std::result::Result<(), SendError> {
        if !self.is_xsub {
            return Err(SendError::Fail(not_supported()));
        }
        let data = msg.first();
        match data.first() {
            Some(1) if msg.len() == 1 => self.subscribe(&data[1..]),
            Some(0) if msg.len() == 1 => self.unsubscribe(&data[1..]),
            _ => self.send_upstream(msg),
        }
        Ok(())
    }

    fn recv(&mut self) -> Result<Msg> {
        while let Some((_, msg)) = self.fq.recv() {
            if self.is_xsub || self.subs.matches(msg.first()) {
                return Ok(msg);
            }
        }
        Err(Error::again())
    }

    fn can_send(&mut self) -> bool {
        self.is_xsub
    }

    fn can_recv(&mut self) -> bool {
        self.fq.has_input()
    }

    fn set_option(&mut self, opt: SocketOption, v: &OptionValue) -> Result<bool> {
        match opt {
            SocketOption::Subscribe if !self.is_xsub => self.subscribe(v.as_bytes()?),
            SocketOption::Unsubscribe if !self.is_xsub => self.unsubscribe(v.as_bytes()?),
            _ => return Ok(false),
        }
        Ok(true)
    }
}
