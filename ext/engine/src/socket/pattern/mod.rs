//! Socket patterns: one file per socket type behind the [`Pattern`] trait. A pattern
//! decides which pipe a message goes to and which pipe the next one comes from; the
//! socket around it handles blocking, options and lifecycle.

mod fair_queue;
mod load_balancer;
mod pair;
mod pubsub;
mod push_pull;
mod req_rep;
mod router;
mod subscriptions;

pub use fair_queue::FairQueue;
pub use load_balancer::LoadBalancer;

use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::options::{OptionValue, SocketOption};
use crate::pipe::{PipeEnd, PipeId};
use crate::socket_type::SocketType;
use bytes::Bytes;

/// Why a send did not happen.
pub enum SendError {
    /// No room now; the message comes back to be retried or reported as EAGAIN.
    Again(Msg),
    Fail(Error),
}

impl From<Error> for SendError {
    fn from(e: Error) -> Self {
        SendError::Fail(e)
    }
}

pub trait Pattern: Send {
    /// A peer arrived. `peer_identity` is the routing id it announced (may be empty).
    fn attach(&mut self, pipe: PipeEnd, peer_identity: Bytes);
    /// The peer is gone for good.
    fn detach(&mut self, id: PipeId);
    /// The peer behind a pipe reconnected (subscribers re-send their subscriptions).
    fn hiccup(&mut self, _id: PipeId) {}
    fn send(&mut self, msg: Msg) -> std::result::Result<(), SendError>;
    /// Err(EAGAIN) when nothing is waiting.
    fn recv(&mut self) -> Result<Msg>;
    fn can_send(&mut self) -> bool;
    fn can_recv(&mut self) -> bool;
    /// Pattern-specific options; `Ok(false)` if the option is not one of them.
    fn set_option(&mut self, _opt: SocketOption, _value: &OptionValue) -> Result<bool> {
        Ok(false)
    }
    fn get_option(&self, _opt: SocketOption) -> Option<OptionValue> {
        None
    }
}

pub fn new_pattern(kind: SocketType) -> Box<dyn Pattern> {
    match kind {
        SocketType::Pair => Box::new(pair::Pair::default()),
        SocketType::Push => Box::new(push_pull::Push::default()),
        SocketType::Pull => Box::new(push_pull::Pull::default()),
        SocketType::Dealer => Box::new(push_pull::Dealer::default()),
        SocketType::Req => Box::new(req_rep::Req::default()),
        SocketType::Rep => Box::new(req_rep::Rep::default()),
        SocketType::Router => Box::new(router::Router::default()),
        SocketType::Pub => Box::new(pubsub::XPub::new(false)),
        SocketType::XPub => Box::new(pubsub::XPub::new(true)),
        SocketType::Sub => Box::new(pubsub::XSub::new(false)),
        SocketType::XSub => Box::new(pubsub::XSub::new(true)),
        SocketType::Stream => Box::new(router::Router::stream()),
    }
}

pub(crate) fn not_supported() -> Error {
    Error::new(libc::ENOTSUP)
}

pub(crate) fn flag_value(v: &OptionValue) -> Result<bool> {
    match v.as_int()? {
        0 => Ok(false),
        1 => Ok(true),
        n => Err(Error::inval(format!("expected 0 or 1, got {n}"))),
    }
}
