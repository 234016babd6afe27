//! One ZMTP connection's protocol state: greeting, NULL handshake, then traffic.
//!
//! Sans-IO: the caller reads from the socket into a `BytesMut`, hands it to
//! [`Session::receive`], writes out whatever the session appended to `out`, and acts on
//! the events. Nothing here blocks, reads a clock or touches a socket.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::command;
use super::frame::{self, FrameHeader, Header};
use super::greeting::{Greeting, PeerGreeting, MECHANISM_NULL};
use super::mechanism::{self, CurveCipher, Local, Mechanism};
use super::ProtocolError;
use crate::msg::Metadata;
use crate::security::zap::{ZapReply, ZapRequest};
use crate::security::SecurityOptions;
use crate::{Msg, SocketType};
use std::sync::Arc;

/// Message bodies up to this size are copied out of the read buffer rather than sliced.
const COPY_MAX: usize = 64;

/// The largest command accepted before the handshake completes (the peer's READY and its
/// metadata). Bounds what an unauthenticated peer can make us buffer.
pub const MAX_HANDSHAKE_COMMAND: u64 = 64 * 1024;

/// What a session needs to know about its socket.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub socket_type: SocketType,
    /// Our routing id, sent as the READY "Identity" property. Sent when non-empty, and
    /// always (possibly empty) by REQ, DEALER and ROUTER, as libzmq does.
    pub identity: Bytes,
    /// Largest message frame accepted, checked from the frame header before any of the
    /// body is buffered. `None`: no limit (libzmq's -1).
    pub maxmsgsize: Option<u64>,
    /// The greeting's as-server flag (NULL: false). PLAIN and CURVE servers set it
    /// whatever this says.
    pub as_server: bool,
    /// Mechanism, role, credentials and ZAP domain. The default is NULL without ZAP,
    /// which costs nothing.
    pub security: SecurityOptions,
    /// The peer's address as ZAP requests give it (IP for tcp, `:uid:gid:pid` for ipc).
    pub peer_address: Bytes,
}

impl SessionConfig {
    pub fn new(socket_type: SocketType) -> Self {
        SessionConfig {
            socket_type,
            identity: Bytes::new(),
            maxmsgsize: None,
            as_server: false,
            security: SecurityOptions::default(),
            peer_address: Bytes::new(),
        }
    }
}

/// Something the peer did that the owner of the session must act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    /// Handshake complete; peer is compatible. Emitted exactly once, before any other
    /// event.
    Ready {
        peer_type: SocketType,
        /// The peer's READY "Identity"; `None` when absent or empty (libzmq treats both
        /// alike).
        peer_identity: Option<Bytes>,
        /// 0 for a ZMTP 3.0 peer, 1 for 3.1 or later.
        peer_minor: u8,
    },
    /// One complete multipart message from the peer. On a publisher-type session
    /// (PUB/XPUB) a SUBSCRIBE command arrives as a one-part `\x01`+topic message and
    /// CANCEL as `\x00`+topic, the same form a 3.0 peer sends them in.
    Message(Msg),
    /// The peer sent PING; the PONG is already in `out`. The peer's TTL in milliseconds
    /// (0 = none): close the connection if nothing arrives within it.
    Ping { ttl_ms: u32 },
    /// The peer sent PONG.
    Pong,
}

#[derive(Clone, Debug)]
enum State {
    Greeting,
    /// Greeting done, our READY sent, waiting for the peer's READY.
    Handshake,
    Active,
    Failed(ProtocolError),
}

/// The protocol state of one connection.
#[derive(Debug)]
pub struct Session {
    cfg: SessionConfig,
    state: State,
    greeting: Greeting,
    peer_minor: Option<u8>,
    peer_type: Option<SocketType>,
    /// Frames of a message whose last frame has not arrived yet.
    partial: Option<Msg>,
    /// Turn `\x01`/`\x00` messages into SUBSCRIBE/CANCEL commands (we subscribe, the
    /// peer speaks 3.1).
    subscriptions_as_commands: bool,
    /// The length `input` must reach before `receive` can make progress.
    input_needed: usize,
    /// PLAIN, CURVE or NULL with ZAP, during the handshake. `None` for plain NULL.
    mech: Option<Box<dyn Mechanism>>,
    /// CURVE after the handshake: every frame travels boxed in a MESSAGE.
    cipher: Option<CurveCipher>,
    /// What the ZAP handler said about the peer.
    user_id: Bytes,
    zap_metadata: Bytes,
    /// Attached to every message received once a handshake with a mechanism (PLAIN,
    /// CURVE, NULL with ZAP) completed. Plain NULL sessions leave it `None`.
    meta: Option<Arc<Metadata>>,
}

impl Session {
    pub fn new(cfg: SessionConfig) -> Session {
        let sec = &cfg.security;
        let as_server =
            cfg.as_server || (sec.mechanism != crate::security::Mechanism::Null && sec.as_server);
        let greeting = Greeting::new(sec.mechanism.name().as_bytes(), as_server);
        Session {
            cfg,
            state: State::Greeting,
            greeting,
            peer_minor: None,
            peer_type: None,
            partial: None,
            subscriptions_as_commands: false,
            input_needed: 1,
            mech: None,
            cipher: None,
            user_id: Bytes::new(),
            zap_metadata: Bytes::new(),
            meta: None,
        }
    }

    pub fn config(&self) -> &SessionConfig {
        &self.cfg
    }

    /// Appends our first greeting bytes (the 10-octet signature) to `out`. Idempotent;
    /// `receive` calls it too if the caller did not.
    pub fn start(&mut self, out: &mut BytesMut) {
        self.greeting.start(out);
    }

    /// Consumes as many octets from `input` as it can and leaves an incomplete frame
    /// in it; appends what must be sent to `out` (greeting stages, READY, PONG, ERROR) and
    /// calls `on_event` for each event in order.
    ///
    /// On `Err` the caller flushes `out` (it may hold an ERROR command) and closes the
    /// connection; every later call returns the same error.
    pub fn receive(
        &mut self,
        input: &mut BytesMut,
        out: &mut BytesMut,
        on_event: &mut dyn FnMut(SessionEvent),
    ) -> Result<(), ProtocolError> {
        if let State::Failed(e) = &self.state {
            return Err(e.clone());
        }
        let result = self.receive_inner(input, out, on_event);
        self.settle(result)
    }

    /// Records a failure (final) and drops every key the session held.
    fn settle(&mut self, result: Result<(), ProtocolError>) -> Result<(), ProtocolError> {
        if let Err(e) = &result {
            self.state = State::Failed(e.clone());
            self.partial = None;
            self.input_needed = usize::MAX;
            self.mech = None;
            self.cipher = None;
        }
        result
    }

    /// A ZAP request the owner must send to the handler at
    /// [`crate::security::zap::ZAP_ENDPOINT`], once; ask after every `receive`.
    pub fn take_zap_request(&mut self) -> Option<ZapRequest> {
        self.mech.as_mut()?.take_zap_request()
    }

    /// Whether the handshake waits for a ZAP reply.
    pub fn awaiting_zap(&self) -> bool {
        self.mech.as_ref().is_some_and(|m| m.awaiting_zap())
    }

    /// Hands the ZAP handler's reply to the handshake; `None` when no handler is bound
    /// (CURVE and NULL then proceed, PLAIN fails, as in libzmq). Like `receive`, may
    /// append commands to `out`, emit `Ready`, or fail (after queueing an ERROR).
    pub fn zap_reply(
        &mut self,
        reply: Option<&ZapReply>,
        out: &mut BytesMut,
        on_event: &mut dyn FnMut(SessionEvent),
    ) -> Result<(), ProtocolError> {
        if let State::Failed(e) = &self.state {
            return Err(e.clone());
        }
        let local = Self::local(&self.cfg);
        let result = match self.mech.as_mut() {
            Some(m) => m.on_zap_reply(&local, reply, out),
            None => Ok(()),
        };
        let result = result.and_then(|()| self.check_established(out, on_event));
        self.settle(result)
    }

    /// The user id the ZAP handler gave the peer (empty without ZAP).
    pub fn user_id(&self) -> &Bytes {
        &self.user_id
    }

    /// The metadata the ZAP handler attached to the peer (ZMTP property encoding).
    pub fn zap_metadata(&self) -> &Bytes {
        &self.zap_metadata
    }

    /// Whether frames are encrypted (CURVE after the handshake): such a session must
    /// encode every message itself, through [`Session::encode_message`].
    #[inline]
    pub fn encrypts(&self) -> bool {
        self.cipher.is_some()
    }

    fn local(cfg: &SessionConfig) -> Local {
        Local {
            socket_type: cfg.socket_type,
            identity: cfg.identity.clone(),
            zap_domain: cfg.security.zap_domain.clone(),
            peer_address: cfg.peer_address.clone(),
        }
    }

    /// Completes the handshake if the mechanism is done.
    fn check_established(
        &mut self,
        out: &mut BytesMut,
        on_event: &mut dyn FnMut(SessionEvent),
    ) -> Result<(), ProtocolError> {
        let Some(done) = self.mech.as_mut().and_then(|m| m.established()) else {
            return Ok(());
        };
        self.mech = None;
        self.user_id = done.user_id;
        self.zap_metadata = done.zap_metadata;
        let tell_peer = done.cipher.is_none()
            && self.cfg.security.mechanism == crate::security::Mechanism::Null;
        self.cipher = done.cipher;
        self.meta = self.connection_metadata(&done.peer_metadata, done.zap_answered);
        self.on_ready(done.peer_metadata, out, on_event, tell_peer)
    }

    /// The properties messages from this peer carry, as libzmq assembles them: what
    /// the ZAP handler said (`User-Id` and its metadata) first, then the peer's own
    /// handshake metadata, then `Peer-Address`. Malformed metadata from the peer fails
    /// the handshake later, in `on_ready`; a handler's malformed metadata is left out.
    fn connection_metadata(
        &self,
        peer_metadata: &Bytes,
        zap_answered: bool,
    ) -> Option<Arc<Metadata>> {
        let named =
            |(name, value): (Bytes, Bytes)| (String::from_utf8_lossy(&name).into_owned(), value);
        let mut props = Vec::new();
        if zap_answered {
            props.push(("User-Id".to_string(), self.user_id.clone()));
            props.extend(
                command::parse_properties(&self.zap_metadata)
                    .unwrap_or_default()
                    .into_iter()
                    .map(named),
            );
        }
        props.extend(
            command::parse_properties(peer_metadata)
                .ok()?
                .into_iter()
                .map(named),
        );
        if !self.cfg.peer_address.is_empty() {
            props.push(("Peer-Address".to_string(), self.cfg.peer_address.clone()));
        }
        Some(Arc::new(Metadata::from_properties(props)))
    }

    /// The properties attached to messages received on this session, if any.
    pub fn metadata(&self) -> Option<&Arc<Metadata>> {
        self.meta.as_ref()
    }

    /// Whether the handshake completed (and has not failed since).
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Active)
    }

    /// Whether a protocol error ended this session.
    pub fn is_failed(&self) -> bool {
        matches!(self.state, State::Failed(_))
    }

    /// The peer's minor version (0 or 1) once its greeting has arrived.
    pub fn peer_minor(&self) -> Option<u8> {
        self.peer_minor
    }

    /// The peer's socket type once the handshake completed.
    pub fn peer_type(&self) -> Option<SocketType> {
        self.peer_type
    }

    /// After `receive` returned `Ok`: the length `input` must reach before another call
    /// can make progress (1 during the greeting, the header size, or a whole frame's
    /// header plus body). Always more than `input.len()` was on return. Can be huge (a
    /// peer announcing a big frame when there is no `maxmsgsize`): cap any reservation.
    pub fn input_needed(&self) -> usize {
        self.input_needed
    }

    /// Frames received of a message whose last frame has not arrived yet.
    pub fn partial_frames(&self) -> usize {
        self.partial.as_ref().map_or(0, Msg::len)
    }

    /// Appends one message to `out`: every part as a frame, MORE on all but the last,
    /// short or long size as needed.
    ///
    /// On a subscriber-type session (SUB/XSUB) whose peer speaks 3.1, a one-part message
    /// starting with `\x01` or `\x00` becomes a SUBSCRIBE or CANCEL command. Before the
    /// handshake completes the peer's version is unknown and such messages go in the 3.0
    /// form, which 3.1 publishers (libzmq included) also accept.
    #[inline]
    pub fn encode_message(&self, msg: &Msg, out: &mut BytesMut) {
        if let Some(c) = &self.cipher {
            return self.encode_sealed(c, msg, out);
        }
        if self.subscriptions_as_commands && msg.len() == 1 {
            let body = msg.first();
            match body.first() {
                Some(1) => return frame::encode_command(out, command::SUBSCRIBE, &body[1..]),
                Some(0) => return frame::encode_command(out, command::CANCEL, &body[1..]),
                _ => {}
            }
        }
        encode_message_frames(msg, out);
    }

    /// Appends a PING. `ttl_ms` is the TTL we ask the peer to apply, in milliseconds; the
    /// wire carries deciseconds, so it is divided by 100 (rounded down) and capped at
    /// 6553.5 s. `context` is cut to 16 octets.
    pub fn encode_ping(&self, out: &mut BytesMut, ttl_ms: u32, context: &[u8]) {
        let ttl_ds = (ttl_ms / 100).min(u32::from(u16::MAX)) as u16;
        self.send_command(out, |o| command::encode_ping(o, ttl_ds, context));
    }

    /// Appends a command we make ourselves (PING, PONG): boxed under CURVE.
    fn send_command(&self, out: &mut BytesMut, encode: impl FnOnce(&mut BytesMut)) {
        match &self.cipher {
            None => encode(out),
            Some(c) => {
                let mut plain = BytesMut::new();
                encode(&mut plain);
                c.seal_frames(&plain, out);
            }
        }
    }

    /// CURVE: every part in its own MESSAGE, MORE inside the box.
    fn encode_sealed(&self, c: &CurveCipher, msg: &Msg, out: &mut BytesMut) {
        if self.subscriptions_as_commands && msg.len() == 1 {
            let body = msg.first();
            let name = match body.first() {
                Some(1) => Some(command::SUBSCRIBE),
                Some(0) => Some(command::CANCEL),
                _ => None,
            };
            if let Some(name) = name {
                let mut plain = BytesMut::new();
                frame::encode_command(&mut plain, name, &body[1..]);
                return c.seal_frames(&plain, out);
            }
        }
        let last = msg.len() - 1;
        for (i, part) in msg.parts().enumerate() {
            c.seal(u8::from(i < last), part, out);
        }
    }

    fn receive_inner(
        &mut self,
        input: &mut BytesMut,
        out: &mut BytesMut,
        on_event: &mut dyn FnMut(SessionEvent),
    ) -> Result<(), ProtocolError> {
        if let State::Greeting = self.state {
            match self.greeting.receive(input, out)? {
                None => {
                    self.input_needed = 1;
                    return Ok(());
                }
                Some(peer) => self.greeting_done(&peer, out)?,
            }
        }
        loop {
            let h = match frame::parse_header(input)? {
                Header::Complete(h) => h,
                Header::Need(n) => {
                    self.input_needed = n;
                    return Ok(());
                }
            };
            self.check_header(&h)?;
            let total = h.total_len();
            if (input.len() as u64) < total {
                self.input_needed = usize::try_from(total).unwrap_or(usize::MAX);
                return Ok(());
            }
            input.advance(h.header_len);
            // Fits in usize: at most input.len().
            let size = h.size as usize;
            if let Some(c) = &mut self.cipher {
                if h.more() {
                    return Err(ProtocolError::MalformedCommand(
                        "MESSAGE frame with the MORE flag",
                    ));
                }
                let (more, is_command, body) = c.open(input.split_to(size))?;
                if is_command {
                    self.on_command(body, out, on_event)?;
                } else {
                    self.on_message_frame(body, more, on_event);
                }
                continue;
            }
            let body = if size == 0 {
                Bytes::new()
            } else if size <= COPY_MAX {
                // Small bodies get their own copy: a slice of the read buffer would
                // share its reference count between the I/O thread, which cuts the
                // slices, and the application thread, which drops them, and that one
                // cache line would bounce between the two for every message.
                let body = Bytes::copy_from_slice(&input[..size]);
                input.advance(size);
                body
            } else {
                input.split_to(size).freeze()
            };
            if h.is_command() {
                self.on_command(body, out, on_event)?;
            } else {
                self.on_message_frame(body, h.more(), on_event);
            }
        }
    }

    fn greeting_done(
        &mut self,
        peer: &PeerGreeting,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        let ours = self.cfg.security.mechanism.name().as_bytes();
        if peer.mechanism_name() != ours {
            return Err(ProtocolError::UnsupportedMechanism(
                String::from_utf8_lossy(peer.mechanism_name()).into_owned(),
            ));
        }
        self.peer_minor = Some(peer.effective_minor());
        if ours != MECHANISM_NULL || !self.cfg.security.zap_domain.is_empty() {
            let mut m = mechanism::for_options(&self.cfg.security)?
                .expect("a mechanism for anything but NULL without ZAP");
            m.start(&Self::local(&self.cfg), out)?;
            self.mech = Some(m);
            self.state = State::Handshake;
            return Ok(());
        }
        let st = self.cfg.socket_type;
        let send_identity = !self.cfg.identity.is_empty()
            || matches!(
                st,
                SocketType::Req | SocketType::Dealer | SocketType::Router
            );
        command::encode_ready(out, st, send_identity.then_some(&self.cfg.identity[..]));
        self.state = State::Handshake;
        Ok(())
    }

    /// Limits and sequencing that can be judged from the header alone.
    fn check_header(&self, h: &FrameHeader) -> Result<(), ProtocolError> {
        let limit = match (&self.state, h.is_command()) {
            (State::Handshake, false) => return Err(ProtocolError::UnexpectedMessage),
            (State::Handshake, true) => Some(MAX_HANDSHAKE_COMMAND),
            // Short commands (PING, PONG, small subscriptions) always fit; longer ones
            // obey maxmsgsize like messages do.
            (_, true) => self.cfg.maxmsgsize.map(|m| m.max(255)),
            (_, false) => self.cfg.maxmsgsize,
        };
        match limit {
            Some(limit) if h.size > limit => Err(ProtocolError::FrameTooLarge {
                size: h.size,
                limit,
            }),
            _ => Ok(()),
        }
    }

    fn on_message_frame(
        &mut self,
        body: Bytes,
        more: bool,
        on_event: &mut dyn FnMut(SessionEvent),
    ) {
        let mut msg = match (self.partial.take(), more) {
            (None, false) => Msg::new(body),
            (Some(mut m), false) => {
                m.push_back(body);
                m
            }
            (None, true) => {
                self.partial = Some(Msg::new(body));
                return;
            }
            (Some(mut m), true) => {
                m.push_back(body);
                self.partial = Some(m);
                return;
            }
        };
        if self.meta.is_some() {
            msg.set_metadata(self.meta.clone());
        }
        on_event(SessionEvent::Message(msg));
    }

    fn on_command(
        &mut self,
        body: Bytes,
        out: &mut BytesMut,
        on_event: &mut dyn FnMut(SessionEvent),
    ) -> Result<(), ProtocolError> {
        let handshaking = matches!(self.state, State::Handshake);
        if handshaking {
            if let Some(m) = self.mech.as_mut() {
                let local = Self::local(&self.cfg);
                m.on_command(&local, body, out)?;
                return self.check_established(out, on_event);
            }
        }
        let (name, data_at) = command::split(&body)?;
        match name {
            command::READY if handshaking => {
                self.on_ready(body.slice(data_at..), out, on_event, true)
            }
            command::ERROR => Err(ProtocolError::PeerError(command::parse_error(
                &body[data_at..],
            ))),
            _ if handshaking => Err(ProtocolError::UnexpectedCommand(command::display_name(
                name,
            ))),
            command::READY => Err(ProtocolError::UnexpectedCommand("READY".into())),
            command::PING => {
                let (ttl_ds, context) = command::parse_ping(&body[data_at..])?;
                self.send_command(out, |o| command::encode_pong(o, context));
                on_event(SessionEvent::Ping {
                    ttl_ms: u32::from(ttl_ds) * 100,
                });
                Ok(())
            }
            command::PONG => {
                on_event(SessionEvent::Pong);
                Ok(())
            }
            command::SUBSCRIBE | command::CANCEL => {
                if self.cfg.socket_type.is_publisher() {
                    let topic = &body[data_at..];
                    let mut m = BytesMut::with_capacity(1 + topic.len());
                    m.put_u8(u8::from(name == command::SUBSCRIBE));
                    m.put_slice(topic);
                    on_event(SessionEvent::Message(Msg::new(m.freeze())));
                }
                Ok(())
            }
            // Unknown commands are ignored (RFC 37 lets mechanisms and later versions
            // define their own).
            _ => Ok(()),
        }
    }

    fn on_ready(
        &mut self,
        data: Bytes,
        out: &mut BytesMut,
        on_event: &mut dyn FnMut(SessionEvent),
        tell_peer: bool,
    ) -> Result<(), ProtocolError> {
        let ours = self.cfg.socket_type;
        let checked = command::parse_ready(&data).and_then(|props| {
            let name = props.socket_type.ok_or(ProtocolError::MissingSocketType)?;
            let peer = SocketType::from_name(&name)
                .ok_or_else(|| ProtocolError::UnknownSocketType(command::display_name(&name)))?;
            if !ours.compatible_with(peer) {
                return Err(ProtocolError::IncompatibleSocketType { ours, peer });
            }
            Ok((peer, props.identity.filter(|id| !id.is_empty())))
        });
        let (peer_type, peer_identity) = match checked {
            Ok(v) => v,
            Err(e) => {
                // Tell the peer why before the caller closes (RFC 37 "Error Handling").
                // Not under CURVE/PLAIN, whose peers expect no ERROR at this point.
                if tell_peer {
                    command::encode_error(out, &e.to_string());
                }
                return Err(e);
            }
        };
        let peer_minor = self.peer_minor.unwrap_or(0);
        self.peer_type = Some(peer_type);
        self.subscriptions_as_commands = ours.is_subscriber() && peer_minor >= 1;
        self.state = State::Active;
        on_event(SessionEvent::Ready {
            peer_type,
            peer_identity,
            peer_minor,
        });
        Ok(())
    }
}

/// Appends every part of `msg` as a message frame (MORE on all but the last), with no
/// subscription conversion. The hot path: one reservation, headers written in place.
#[inline]
pub fn encode_message_frames(msg: &Msg, out: &mut BytesMut) {
    if msg.len() == 1 {
        frame::encode_frame(out, msg.first(), false);
        return;
    }
    let total: usize = msg
        .parts()
        .map(|p| frame::header_len(p.len()) + p.len())
        .sum();
    out.reserve(total);
    let last = msg.len() - 1;
    for (i, part) in msg.parts().enumerate() {
        let flags = if i < last { frame::FLAG_MORE } else { 0 };
        frame::put_header(out, flags, part.len());
        out.extend_from_slice(part);
    }
}
