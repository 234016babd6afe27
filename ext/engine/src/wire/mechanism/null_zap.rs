//! NULL with a ZAP domain: our READY waits for the ZAP handler's verdict (libzmq's
//! `null_mechanism_t` when `zap_domain` is set).

use bytes::{Bytes, BytesMut};

use super::{peer_error, zap_verdict, Established, Local, Mechanism};
use crate::security::zap::{ZapReply, ZapRequest};
use crate::wire::{command, ProtocolError};

#[derive(Debug, Default)]
pub struct NullZap {
    request: Option<ZapRequest>,
    awaiting: bool,
    ready_sent: bool,
    peer_ready: Option<Bytes>,
    user_id: Bytes,
    zap_metadata: Bytes,
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
        self.request = Some(local.zap_request(b"NULL", Vec::new()));
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
        if super::is_command(&body, b"READY") {
            self.peer_ready = Some(body.slice(6..));
            Ok(())
        } else if super::is_command(&body, b"ERROR") {
            Err(peer_error(&body))
        } else {
            let (name, _) = command::split(&body)?;
            Err(ProtocolError::UnexpectedCommand(command::display_name(
                name,
            )))
        }
    }

    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        self.request.take()
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
            zap_verdict(r, out)?;
            self.user_id = r.user_id.clone();
            self.zap_metadata = r.metadata.clone();
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
        Some(Established {
            peer_metadata,
            cipher: None,
            user_id: self.user_id.clone(),
            zap_metadata: self.zap_metadata.clone(),
        })
    }
}
