//! One ZMTP connection's protocol state: greeting, NULL handshake, then traffic.
//!
//! Sans-IO: the caller reads from the socket into a `BytesMut`, hands it to
//! [`Session::receive`], writes out whatever the session appended to `out`, and acts on
//! the events. Nothing here blocks, reads a clock or touches a socket.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::command;
use super::frame::{self, FrameHeader, Header};
use super::greeting::{Greeting, PeerGreeting, MECHANISM_NULL};
use super::ProtocolError;
use crate::{Msg, SocketType};

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
    /// The greeting's as-server flag (NULL: false).
    pub as_server: bool,
}

impl SessionConfig {
    pub fn new(socket_type: SocketType) -> Self {
        SessionConfig {
            socket_type,
            identity: Bytes::new(),
            maxmsgsize: None,
            as_server: false,
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
}

impl Session {
    pub fn new(cfg: SessionConfig) -> Session {
        let greeting = Greeting::new(MECHANISM_NULL, cfg.as_server);
        Session {
            cfg,
            state: State::Greeting,
            greeting,
            peer_minor: None,
            peer_type: None,
            partial: None,
            subscriptions_as_commands: false,
            input_needed: 1,
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
        if let Err(e) = &result {
            self.state = State::Failed(e.clone());
            self.partial = None;
            self.input_needed = usize::MAX;
        }
        result
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
        command::encode_ping(out, ttl_ds, context);
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
            let body = if size == 0 {
                Bytes::new()
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
        if peer.mechanism_name() != MECHANISM_NULL {
            return Err(ProtocolError::UnsupportedMechanism(
                String::from_utf8_lossy(peer.mechanism_name()).into_owned(),
            ));
        }
        self.peer_minor = Some(peer.effective_minor());
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
        let msg = match (self.partial.take(), more) {
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
        on_event(SessionEvent::Message(msg));
    }

    fn on_command(
        &mut self,
        body: Bytes,
        out: &mut BytesMut,
        on_event: &mut dyn FnMut(SessionEvent),
    ) -> Result<(), ProtocolError> {
        let (name, data_at) = command::split(&body)?;
        let handshaking = matches!(self.state, State::Handshake);
        match name {
            command::READY if handshaking => self.on_ready(body.slice(data_at..), out, on_event),
            command::ERROR => Err(ProtocolError::PeerError(command::parse_error(
                &body[data_at..],
            ))),
            _ if handshaking => Err(ProtocolError::UnexpectedCommand(command::display_name(
                name,
            ))),
            command::READY => Err(ProtocolError::UnexpectedCommand("READY".into())),
            command::PING => {
                let (ttl_ds, context) = command::parse_ping(&body[data_at..])?;
                command::encode_pong(out, context);
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
                command::encode_error(out, &e.to_string());
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
