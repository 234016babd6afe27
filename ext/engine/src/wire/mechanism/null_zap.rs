//! NULL with a ZAP domain: our READY waits for the ZAP handler's verdict (libzmq's
//! `null_mechanism_t` when `zap_domain` is set).

use bytes::{Bytes, BytesMut};

use super::zap_side::ZapExchange;
use super::{is_command, peer_error, unexpected, Established, Local, Mechanism};
use crate::security::zap::{ZapReply, ZapRequest};
use crate::wire::{command, ProtocolError};

#[derive(Debug, Default)]
pub struct NullZap {
    zap: ZapExchange,
    awaiting: bool,
    ready_sent: bool,
    peer_ready: Option<Bytes>,
    done: bool,
}

impl NullZap {
    pub fn new() -> Self {
        NullZap::default()
    }

    fn send_ready(&mut self, local: &Local, out: &mut BytesMut) {
        let meta = local.metadata();
        crate::wire::frame::encode_command(out, command::READY, &meta);
        self.ready_sent = true;
    }
}

impl Mechanism for NullZap {
    fn start(&mut self, local: &Local, _out: &mut BytesMut) -> Result<(), ProtocolError> {
        self.zap.ask(local.zap_request(b"NULL", Vec::new()));
        self.awaiting = true;
        Ok(())
    }

    fn on_command(
        &mut self,
        _local: &Local,
        body: Bytes,
        _out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        if self.peer_ready.is_some() {
            return Err(ProtocolError::UnexpectedCommand("after READY".into()));
        }
        if is_command(&body, b"READY") {
            self.peer_ready = Some(body.slice(6..));
            Ok(())
        } else if is_command(&body, b"ERROR") {
            Err(peer_error(&body))
        } else {
            Err(unexpected(&body))
        }
    }

    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        self.zap.take_request()
    }

    fn awaiting_zap(&self) -> bool {
        self.awaiting
    }

    fn on_zap_reply(
        &mut self,
        local: &Local,
        reply: Option<&ZapReply>,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        self.awaiting = false;
        if let Some(r) = reply {
            self.zap.accept(r, out)?;
        }
        self.send_ready(local, out);
        Ok(())
    }

    fn established(&mut self) -> Option<Established> {
        if self.done || !self.ready_sent {
            return None;
        }
        let peer_metadata = self.peer_ready.clone()?;
        self.done = true;
        Some(self.zap.established(peer_metadata, None))
    }
}
