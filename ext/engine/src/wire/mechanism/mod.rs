//! Security mechanisms (sans-IO): the handshake commands of PLAIN (RFC 24) and CURVE
//! (RFC 25/26), NULL with a ZAP domain, and CURVE's MESSAGE encryption afterwards.
//!
//! A [`Mechanism`] takes the peer's handshake commands and appends its own to `out`. A
//! server mechanism may stop to ask the ZAP handler: the session's owner takes the
//! request ([`Mechanism::take_zap_request`]), delivers it, and hands back the reply (or
//! `None` when no handler is bound). Once the handshake is done, [`Mechanism::established`]
//! gives the peer's metadata and, for CURVE, the [`CurveCipher`] that boxes every later
//! frame. The plain NULL mechanism is not here: the session handles it inline, so
//! unsecured connections pay nothing for this module.

mod curve;
mod null_zap;
mod plain;
mod zap_side;

use bytes::{BufMut, Bytes, BytesMut};

pub use curve::CurveCipher;

use super::{command, ProtocolError};
use crate::security::zap::{ZapReply, ZapRequest, REQUEST_ID};
use crate::security::{Mechanism as Kind, SecurityOptions};
use crate::SocketType;

/// What a mechanism knows about our side of the connection.
#[derive(Clone, Debug)]
pub struct Local {
    pub socket_type: SocketType,
    pub identity: Bytes,
    pub zap_domain: Bytes,
    /// The peer's address for ZAP requests.
    pub peer_address: Bytes,
}

impl Local {
    /// Our metadata (Socket-Type, and Identity under the same rule as NULL's READY).
    pub fn metadata(&self) -> Vec<u8> {
        let mut m = BytesMut::new();
        let name = self.socket_type.name().as_bytes();
        put_property(&mut m, "Socket-Type", name);
        let send_identity = !self.identity.is_empty()
            || matches!(
                self.socket_type,
                SocketType::Req | SocketType::Dealer | SocketType::Router
            );
        if send_identity {
            put_property(&mut m, "Identity", &self.identity);
        }
        m.to_vec()
    }

    /// A ZAP request from this connection.
    pub fn zap_request(&self, mechanism: &'static [u8], credentials: Vec<Bytes>) -> ZapRequest {
        ZapRequest {
            request_id: Bytes::from_static(REQUEST_ID),
            domain: self.zap_domain.clone(),
            address: self.peer_address.clone(),
            identity: self.identity.clone(),
            mechanism: Bytes::from_static(mechanism),
            credentials,
        }
    }
}

fn put_property(out: &mut BytesMut, name: &str, value: &[u8]) {
    out.put_u8(name.len() as u8);
    out.put_slice(name.as_bytes());
    out.put_u32(value.len() as u32);
    out.put_slice(value);
}

/// The result of a completed handshake.
pub struct Established {
    /// The peer's metadata properties (READY/INITIATE encoding).
    pub peer_metadata: Bytes,
    /// CURVE: boxes every frame from now on.
    pub cipher: Option<CurveCipher>,
    /// What the ZAP handler said about the peer (empty without ZAP).
    pub user_id: Bytes,
    pub zap_metadata: Bytes,
    /// A ZAP handler let the peer in: `user_id` is its answer, even when empty.
    pub zap_answered: bool,
}

impl Established {
    /// The outcome of a handshake no ZAP handler had a say in (a client's).
    fn without_zap(peer_metadata: Bytes, cipher: Option<CurveCipher>) -> Self {
        Established {
            peer_metadata,
            cipher,
            user_id: Bytes::new(),
            zap_metadata: Bytes::new(),
            zap_answered: false,
        }
    }
}

/// One side of a security handshake.
pub trait Mechanism: Send + std::fmt::Debug {
    /// The greeting is done: append our first commands, if we speak first.
    fn start(&mut self, local: &Local, out: &mut BytesMut) -> Result<(), ProtocolError>;
    /// A command frame from the peer during the handshake (`body` starts with the
    /// command name's length octet).
    fn on_command(
        &mut self,
        local: &Local,
        body: Bytes,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError>;
    /// A ZAP request the owner must deliver, once.
    fn take_zap_request(&mut self) -> Option<ZapRequest>;
    /// Whether a ZAP request is out and its reply awaited.
    fn awaiting_zap(&self) -> bool;
    /// The ZAP handler's reply; `None` when no handler is bound.
    fn on_zap_reply(
        &mut self,
        local: &Local,
        reply: Option<&ZapReply>,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError>;
    /// The outcome, once the handshake is complete (then taken once).
    fn established(&mut self) -> Option<Established>;
}

/// The mechanism for these options, or `None` for plain NULL without ZAP (handled by the
/// session itself). `Err` when the options are unusable.
pub fn for_options(sec: &SecurityOptions) -> Result<Option<Box<dyn Mechanism>>, ProtocolError> {
    Ok(Some(match (sec.mechanism, sec.as_server) {
        (Kind::Null, _) if sec.zap_domain.is_empty() => return Ok(None),
        (Kind::Null, _) => Box::new(null_zap::NullZap::new()),
        (Kind::Plain, false) => Box::new(plain::PlainClient::new(
            sec.plain_username.clone(),
            sec.plain_password.clone(),
        )),
        (Kind::Plain, true) => Box::new(plain::PlainServer::new()),
        (Kind::Curve, false) => {
            let (Some(public), Some(secret), Some(server)) =
                (sec.curve_public, sec.curve_secret.clone(), sec.curve_server)
            else {
                return Err(ProtocolError::Misconfigured(
                    "a CURVE client needs its public and secret keys and the server key",
                ));
            };
            Box::new(curve::CurveClient::new(public, secret, server))
        }
        (Kind::Curve, true) => {
            let Some(secret) = sec.curve_secret.clone() else {
                return Err(ProtocolError::Misconfigured(
                    "a CURVE server needs its secret key",
                ));
            };
            Box::new(curve::CurveServer::new(secret))
        }
    }))
}

/// Splits an ERROR command's reason out (`body` is the whole command), with libzmq's
/// checks, and turns it into the error the handshake ends with.
fn peer_error(body: &[u8]) -> ProtocolError {
    // "\x05ERROR" then a length-prefixed reason.
    match body.get(6) {
        None => ProtocolError::MalformedCommand("ERROR without a reason length"),
        Some(&len) if body.len() - 7 < usize::from(len) => {
            ProtocolError::MalformedCommand("ERROR reason truncated")
        }
        Some(&len) => ProtocolError::PeerError(
            String::from_utf8_lossy(&body[7..7 + usize::from(len)]).into_owned(),
        ),
    }
}

/// The error for a command that has no place here (or the command's own framing error).
fn unexpected(body: &[u8]) -> ProtocolError {
    match command::split(body) {
        Ok((name, _)) => ProtocolError::UnexpectedCommand(command::display_name(name)),
        Err(e) => e,
    }
}

/// A command's name is `name` (with its length octet in front).
fn is_command(body: &[u8], name: &[u8]) -> bool {
    body.len() > name.len() && usize::from(body[0]) == name.len() && &body[1..=name.len()] == name
}

#[cfg(test)]
mod tests;
