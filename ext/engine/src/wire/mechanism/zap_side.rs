//! What a mechanism does about ZAP: a server asks the handler and keeps its verdict
//! ([`ZapExchange`]); a client never asks ([`no_zap!`]).

use bytes::{Bytes, BytesMut};

use super::{CurveCipher, Established};
use crate::security::zap::{ZapReply, ZapRequest};
use crate::wire::ProtocolError;

/// The `Mechanism` ZAP methods of a side that never asks ZAP (a client): no request, never
/// waiting, a reply ignored. Spelled out in each impl, so no mechanism skips ZAP by
/// default.
macro_rules! no_zap {
    () => {
        fn take_zap_request(&mut self) -> Option<$crate::security::zap::ZapRequest> {
            None
        }

        fn awaiting_zap(&self) -> bool {
            false
        }

        fn on_zap_reply(
            &mut self,
            _local: &$crate::wire::mechanism::Local,
            _reply: Option<&$crate::security::zap::ZapReply>,
            _out: &mut bytes::BytesMut,
        ) -> Result<(), $crate::wire::ProtocolError> {
            Ok(())
        }
    };
}
pub(super) use no_zap;

/// A server's ZAP exchange: the request waiting to be delivered, then what the handler
/// said about the peer (empty until a 200 came, and without a handler).
#[derive(Debug, Default)]
pub(super) struct ZapExchange {
    request: Option<ZapRequest>,
    user_id: Bytes,
    zap_metadata: Bytes,
    /// A handler let the peer in (and gave `user_id`, possibly empty).
    answered: bool,
}

impl ZapExchange {
    /// Holds `request` until the owner takes it.
    pub(super) fn ask(&mut self, request: ZapRequest) {
        self.request = Some(request);
    }

    pub(super) fn take_request(&mut self) -> Option<ZapRequest> {
        self.request.take()
    }

    /// Applies the handler's verdict ([`zap_verdict`]) and, when it lets the peer in,
    /// keeps the user id and metadata it gave.
    pub(super) fn accept(
        &mut self,
        reply: &ZapReply,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        zap_verdict(reply, out)?;
        self.user_id = reply.user_id.clone();
        self.zap_metadata = reply.metadata.clone();
        self.answered = true;
        Ok(())
    }

    /// The handshake's outcome, with what the handler said.
    pub(super) fn established(
        &self,
        peer_metadata: Bytes,
        cipher: Option<CurveCipher>,
    ) -> Established {
        Established {
            peer_metadata,
            cipher,
            user_id: self.user_id.clone(),
            zap_metadata: self.zap_metadata.clone(),
            zap_answered: self.answered,
        }
    }
}

/// What a server does with the ZAP verdict: `Ok(())` to proceed; an error (after an
/// ERROR command where libzmq sends one) otherwise.
fn zap_verdict(reply: &ZapReply, out: &mut BytesMut) -> Result<(), ProtocolError> {
    match reply.status {
        200 => Ok(()),
        // Temporary failure: closed without ERROR, so the client may retry.
        300 => Err(ProtocolError::AuthFailed { status: 300 }),
        status => {
            put_status_error(out, status);
            Err(ProtocolError::AuthFailed { status })
        }
    }
}

/// Appends an ERROR command carrying a ZAP status code.
fn put_status_error(out: &mut BytesMut, status: u16) {
    crate::wire::command::encode_error(out, &status.to_string());
}
