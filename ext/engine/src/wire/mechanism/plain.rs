//! PLAIN (RFC 24): a username and password in clear, checked by the server's ZAP handler.
//!
//! ```text
//! C: HELLO username password      S: WELCOME      (after ZAP said 200)
//! C: INITIATE metadata            S: READY metadata
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use super::zap_side::{no_zap, ZapExchange};
use super::{is_command, peer_error, unexpected, Established, Local, Mechanism};
use crate::security::zap::{ZapReply, ZapRequest};
use crate::security::Secret;
use crate::wire::frame::encode_command;
use crate::wire::{command, ProtocolError};

/// libzmq's PLAIN writes its ERROR command name as the C string `"\x05ERROR"`, which C
/// reads as the octet 0x5E followed by `RROR` (a hex escape takes every hex digit that
/// follows). Its PLAIN clients expect exactly that, and so its PLAIN servers send it.
const LIBZMQ_PLAIN_ERROR: &[u8] = b"\x5eRROR";

/// The reason of a libzmq PLAIN ERROR (length octet after the 5-octet name).
fn libzmq_plain_error(body: &[u8]) -> ProtocolError {
    match body.get(5) {
        Some(&len) if body.len() - 6 >= usize::from(len) => ProtocolError::PeerError(
            String::from_utf8_lossy(&body[6..6 + usize::from(len)]).into_owned(),
        ),
        _ => ProtocolError::MalformedCommand("ERROR reason truncated"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientState {
    Start,
    WaitWelcome,
    WaitReady,
    Done,
}

/// The PLAIN client. `Debug` shows no password.
#[derive(Debug)]
pub struct PlainClient {
    username: Bytes,
    password: Secret,
    state: ClientState,
    peer_metadata: Option<Bytes>,
}

impl PlainClient {
    pub fn new(username: Bytes, password: Secret) -> Self {
        PlainClient {
            username,
            password,
            state: ClientState::Start,
            peer_metadata: None,
        }
    }
}

impl Mechanism for PlainClient {
    fn start(&mut self, _local: &Local, out: &mut BytesMut) -> Result<(), ProtocolError> {
        let user = &self.username[..self.username.len().min(255)];
        let pass = &self.password.expose()[..self.password.expose().len().min(255)];
        let mut data = zeroize::Zeroizing::new(Vec::with_capacity(2 + user.len() + pass.len()));
        data.put_u8(user.len() as u8);
        data.put_slice(user);
        data.put_u8(pass.len() as u8);
        data.put_slice(pass);
        encode_command(out, b"HELLO", &data);
        self.state = ClientState::WaitWelcome;
        Ok(())
    }

    fn on_command(
        &mut self,
        local: &Local,
        body: Bytes,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        match self.state {
            ClientState::WaitWelcome if is_command(&body, b"WELCOME") => {
                if body.len() != 8 {
                    return Err(ProtocolError::MalformedCommand("WELCOME with data"));
                }
                encode_command(out, b"INITIATE", &local.metadata());
                self.state = ClientState::WaitReady;
                Ok(())
            }
            ClientState::WaitReady if is_command(&body, b"READY") => {
                let meta = body.slice(6..);
                command::parse_ready(&meta)?;
                self.peer_metadata = Some(meta);
                self.state = ClientState::Done;
                Ok(())
            }
            ClientState::WaitWelcome | ClientState::WaitReady if is_command(&body, b"ERROR") => {
                Err(peer_error(&body))
            }
            ClientState::WaitWelcome | ClientState::WaitReady
                if body.starts_with(LIBZMQ_PLAIN_ERROR) =>
            {
                Err(libzmq_plain_error(&body))
            }
            _ => Err(unexpected(&body)),
        }
    }

    no_zap!();

    fn established(&mut self) -> Option<Established> {
        Some(Established::without_zap(self.peer_metadata.take()?, None))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServerState {
    WaitHello,
    WaitZap,
    WaitInitiate,
    Done,
}

/// The PLAIN server: every client is checked by the ZAP handler; without one, refused.
#[derive(Debug)]
pub struct PlainServer {
    state: ServerState,
    zap: ZapExchange,
    peer_metadata: Option<Bytes>,
}

impl PlainServer {
    pub fn new() -> Self {
        PlainServer {
            state: ServerState::WaitHello,
            zap: ZapExchange::default(),
            peer_metadata: None,
        }
    }

    fn on_hello(&mut self, local: &Local, body: &Bytes) -> Result<(), ProtocolError> {
        // "\x05HELLO" [len] username [len] password, nothing after.
        let data = &body[6..];
        let Some((&ulen, rest)) = data.split_first() else {
            return Err(ProtocolError::MalformedCommand("HELLO without a username"));
        };
        let ulen = usize::from(ulen);
        if rest.len() < ulen {
            return Err(ProtocolError::MalformedCommand("HELLO username truncated"));
        }
        let Some((&plen, pass)) = rest[ulen..].split_first() else {
            return Err(ProtocolError::MalformedCommand("HELLO without a password"));
        };
        if pass.len() != usize::from(plen) {
            return Err(ProtocolError::MalformedCommand(
                "HELLO password truncated or followed by garbage",
            ));
        }
        let user_at = 6 + 1;
        let pass_at = user_at + ulen + 1;
        self.zap.ask(local.zap_request(
            b"PLAIN",
            vec![
                body.slice(user_at..user_at + ulen),
                body.slice(pass_at..pass_at + usize::from(plen)),
            ],
        ));
        self.state = ServerState::WaitZap;
        Ok(())
    }
}

impl Mechanism for PlainServer {
    fn start(&mut self, _local: &Local, _out: &mut BytesMut) -> Result<(), ProtocolError> {
        Ok(())
    }

    fn on_command(
        &mut self,
        local: &Local,
        body: Bytes,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        match self.state {
            ServerState::WaitHello if is_command(&body, b"HELLO") => self.on_hello(local, &body),
            ServerState::WaitInitiate if is_command(&body, b"INITIATE") => {
                let meta = body.slice(9..);
                command::parse_ready(&meta)
                    .map_err(|_| ProtocolError::MalformedCommand("INITIATE metadata"))?;
                encode_command(out, b"READY", &local.metadata());
                self.peer_metadata = Some(meta);
                self.state = ServerState::Done;
                Ok(())
            }
            _ => Err(unexpected(&body)),
        }
    }

    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        self.zap.take_request()
    }

    fn awaiting_zap(&self) -> bool {
        self.state == ServerState::WaitZap
    }

    fn on_zap_reply(
        &mut self,
        _local: &Local,
        reply: Option<&ZapReply>,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        if self.state != ServerState::WaitZap {
            return Ok(());
        }
        let Some(reply) = reply else {
            return Err(ProtocolError::NoZapHandler);
        };
        if !matches!(reply.status, 200 | 300) {
            // The ERROR as libzmq's PLAIN server writes it, so libzmq clients report
            // the refusal as an authentication failure.
            out.put_slice(&[crate::wire::frame::FLAG_COMMAND, 9]);
            out.put_slice(LIBZMQ_PLAIN_ERROR);
            out.put_u8(3);
            out.put_slice(reply.status.to_string().as_bytes());
        }
        self.zap.accept(reply, &mut BytesMut::new())?;
        encode_command(out, b"WELCOME", b"");
        self.state = ServerState::WaitInitiate;
        Ok(())
    }

    fn established(&mut self) -> Option<Established> {
        Some(self.zap.established(self.peer_metadata.take()?, None))
    }
}
