//! One network connection on the I/O thread: reads and decodes in batches into the
//! socket's pipe, encodes and writes in batches out of it, and keeps the timers of the
//! handshake, heartbeats and linger.

use super::direct::DirectLane;
use super::out_queue::{OutQueue, ZERO_COPY_MIN};
use super::{ConnConfig, LinkWake, Stream};
use crate::msg::Msg;
use crate::pipe::{pipe_pair, PipeEnd};
use crate::security::zap::{ZapReply, ZapRequest, ZAP_ENDPOINT};
use crate::socket::{Command, SocketInner};
use crate::wire::frame::{self, FLAG_MORE};
use crate::wire::{ProtocolError, Session, SessionConfig, SessionEvent};
use bytes::BytesMut;
use mio::{Interest, Registry, Token};
use std::io;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// Read buffer growth step of a connection whose reads come back short.
const READ_CHUNK: usize = 64 * 1024;
/// The largest growth step, reached while reads keep filling the space they are given:
/// a busy stream of larger messages then costs a quarter of the read(2) calls (and of
/// the window updates the kernel sends for them), and only busy connections hold
/// buffers this large. Small messages keep the smaller step: one read of them would
/// carry so many that the socket's queue overshoots its mark by far, and reading would
/// stop and start again on every batch.
const READ_CHUNK_MAX: usize = 4 * READ_CHUNK;
/// Encode at most this much before writing, so one busy pipe cannot hog memory.
const WRITE_BATCH: usize = 256 * 1024;
/// Read buffer growth step while large frames arrive.
const LARGE_READ: usize = 4 * READ_CHUNK;
/// Read at most this much per turn, so one busy peer cannot starve the others.
const READ_BUDGET: usize = 1024 * 1024;
/// A frame whose unread rest is longer than `LARGE_READ`, and whose whole length is at
/// most this, is read into a buffer of exactly its size (`Conn::make_room_for_frame`).
/// Longer ones grow their buffer as their bytes arrive, so that an announced length
/// alone never reserves much memory.
const EXACT_FRAME_MAX: usize = 16 * 1024 * 1024;
/// The read after such a frame: just enough for the next header and a little more, so
/// that little of the next frame has to be copied if it is as large.
const AFTER_EXACT_READ: usize = 8 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    Listener(usize),
    Dialer(usize),
    /// Its listener or dialer is gone; it only lingers.
    Orphan,
}

/// The pipe a connection starts with.
pub(crate) enum ConnEnd {
    /// Make a pipe when the handshake completes.
    Fresh(Arc<LinkWake>),
    /// A dialer's pipe, made at connect time; `true` if it served a connection before.
    Persistent(PipeEnd, Arc<LinkWake>, bool),
}

pub(crate) struct Conn {
    stream: Stream,
    /// For monitor events.
    endpoint: Arc<str>,
    pub origin: Origin,
    socket: Weak<SocketInner>,
    cfg: Arc<ConnConfig>,
    session: Session,
    inbuf: BytesMut,
    out: OutQueue,
    pipe: Option<PipeEnd>,
    persistent: bool,
    reconnect: bool,
    wake: Arc<LinkWake>,
    events: Vec<SessionEvent>,
    connected: bool,
    /// Edge-triggered readiness we have not used up yet.
    readable: bool,
    writable: bool,
    /// The peer's end-of-stream has been reported: read on until read(2) returns 0,
    /// even after a short read (the event announcing it will not come again).
    read_closed: bool,
    /// The socket's inbound queue is at its mark: stop reading until it drains.
    read_paused: bool,
    handshake_deadline: Option<Instant>,
    last_input: Instant,
    next_ping: Option<Instant>,
    peer_ttl: Option<Duration>,
    lingering: bool,
    linger_deadline: Option<Instant>,
    /// STREAM: raw bytes, no ZMTP at all.
    raw: bool,
    /// A raw connection still has to announce itself to its socket.
    raw_pending_attach: bool,
    /// The current read buffer growth step, between `READ_CHUNK` and `READ_CHUNK_MAX`.
    read_step: usize,
    /// Messages delivered from the current read.
    read_msgs: usize,
    /// The last read went into a buffer of exactly one frame's size.
    read_exact: bool,
    /// The pipe to the context's ZAP handler while a request is out.
    zap: Option<ZapLink>,
    /// Lets the socket's thread write to this connection while it is idle (see
    /// `direct.rs`); set once the handshake shows messages travel as plain frames.
    lane: Option<Arc<DirectLane>>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Before the descriptor closes: no direct write may use it from now on.
        self.close_lane();
    }
}

impl Conn {
    pub fn new(
        stream: Stream,
        endpoint: Arc<str>,
        origin: Origin,
        socket: Weak<SocketInner>,
        cfg: Arc<ConnConfig>,
        end: ConnEnd,
    ) -> Conn {
        stream.tune();
        let mut session = Session::new(SessionConfig {
            socket_type: cfg.kind,
            identity: cfg.identity.clone(),
            maxmsgsize: cfg.maxmsgsize,
            as_server: false,
            security: cfg.security.clone(),
            peer_address: peer_address(&stream),
        });
        let raw = cfg.raw;
        let mut out = OutQueue::with_capacity(READ_CHUNK);
        if !raw {
            session.start(&mut out.staging);
        }
        let (pipe, wake, persistent, reconnect) = match end {
            ConnEnd::Fresh(w) => (None, w, false, false),
            ConnEnd::Persistent(p, w, again) => (Some(p), w, true, again),
        };
        let now = Instant::now();
        Conn {
            connected: matches!(origin, Origin::Listener(_)),
            stream,
            endpoint,
            origin,
            socket,
            handshake_deadline: cfg.handshake_ivl.filter(|_| !cfg.raw).map(|d| now + d),
            cfg,
            session,
            inbuf: BytesMut::new(),
            out,
            pipe,
            persistent,
            reconnect,
            wake,
            events: Vec::new(),
            readable: false,
            read_closed: false,
            writable: false,
            read_paused: false,
            last_input: now,
            next_ping: None,
            peer_ttl: None,
            lingering: false,
            linger_deadline: None,
            raw,
            raw_pending_attach: raw,
            read_step: READ_CHUNK,
            read_msgs: 0,
            read_exact: false,
            zap: None,
            lane: None,
        }
    }

    /// Takes the direct lane back before this thread touches the output queue: no more
    /// direct writes, and the unsent rest of one goes first.
    fn close_lane(&mut self) {
        if let Some(lane) = &self.lane {
            let mut state = lane.lock();
            state.open = false;
            if !state.pending.is_empty() {
                self.out.staging.extend_from_slice(&state.pending);
                state.pending.clear();
            }
        }
    }

    /// Opens the direct lane again if nothing waits to be written.
    fn reopen_lane(&mut self) {
        if let Some(lane) = &self.lane {
            let mut state = lane.lock();
            state.open = self.out.is_empty() && state.pending.is_empty() && !self.lingering;
            state.fd = self.stream.fd();
        }
    }

    pub fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        registry.register(
            &mut self.stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        )
    }

    pub fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.stream);
    }

    pub fn note_readiness(&mut self, readable: bool, writable: bool, read_closed: bool) {
        self.readable |= readable;
        self.writable |= writable;
        self.read_closed |= read_closed;
    }

    pub fn clear_wake_flag(&self) {
        self.wake.queued.store(false, SeqCst);
    }

    /// The id this connection's pipe wakes the I/O thread with (its dialer's, for a
    /// dialer's connection).
    pub fn wake_id(&self) -> usize {
        self.wake.id
    }

    fn emit(&self, event: u32, value: u32) {
        if let Some(s) = self.socket.upgrade() {
            s.emit(event, value, &self.endpoint);
        }
    }

    /// Tells the monitor an established connection went away.
    pub fn report_disconnect(&self) {
        if self.connected {
            self.emit(crate::monitor::EVENT_DISCONNECTED, self.stream.fd() as u32);
        }
    }

    /// Whether the socket queued messages this connection has not sent yet.
    pub fn has_queued(&self) -> bool {
        self.pipe.as_ref().is_some_and(|p| !p.rx.is_empty())
            || !self.out.is_empty()
            || self
                .lane
                .as_ref()
                .is_some_and(|l| !l.lock().pending.is_empty())
    }

    pub fn was_ready(&self) -> bool {
        self.session.is_ready()
    }

    /// Gives a dialer's pipe back for the next connection.
    pub fn take_persistent_pipe(&mut self) -> Option<PipeEnd> {
        if self.persistent {
            self.pipe.take()
        } else {
            self.abandon_pipe();
            None
        }
    }

    /// The connection is gone for good: the socket forgets the peer.
    pub fn abandon_pipe(&self) {
        if let Some(p) = &self.pipe {
            p.shut();
            if let Some(s) = self.socket.upgrade() {
                s.post(Command::Detach(p.id));
            }
        }
    }

    /// Starts lingering. Returns false if there is nothing to deliver.
    pub fn start_linger(&mut self, linger: Option<Duration>) -> bool {
        self.lingering = true;
        if linger == Some(Duration::ZERO) || self.pipe.is_none() {
            return false;
        }
        self.linger_deadline = linger.map(|l| Instant::now() + l);
        if let (false, Some(p), Some(s)) = (self.persistent, &self.pipe, self.socket.upgrade()) {
            // The socket drops its end; we deliver what it had queued.
            s.post(Command::Detach(p.id));
        }
        true
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        let heartbeat = self
            .cfg
            .heartbeat_ivl
            .filter(|_| self.session.is_ready())
            .map(|ivl| self.last_input + ivl + self.cfg.heartbeat_timeout.unwrap_or(ivl));
        let ttl = self.peer_ttl.map(|t| self.last_input + t);
        [
            self.handshake_deadline,
            self.linger_deadline,
            self.next_ping,
            heartbeat,
            ttl,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs due timers; returns false if the connection must close.
    pub fn on_timer(&mut self, now: Instant) -> bool {
        // A PING may be queued below; `drive` runs next and reopens the lane.
        self.close_lane();
        if self.handshake_deadline.is_some_and(|d| d <= now) && !self.session.is_ready() {
            return false;
        }
        if self.linger_deadline.is_some_and(|d| d <= now) {
            return false;
        }
        if let Some(ivl) = self.cfg.heartbeat_ivl.filter(|_| self.session.is_ready()) {
            let timeout = self.cfg.heartbeat_timeout.unwrap_or(ivl);
            if self.last_input + ivl + timeout <= now {
                return false;
            }
            if self.next_ping.is_some_and(|t| t <= now) {
                if self.session.peer_minor() == Some(1) {
                    self.session
                        .encode_ping(&mut self.out.staging, self.cfg.heartbeat_ttl_ms, b"");
                }
                self.next_ping = Some(now + ivl);
            }
        }
        if self.peer_ttl.is_some_and(|t| self.last_input + t <= now) {
            return false;
        }
        true
    }

    /// Does all the reading and writing it can. Returns false when the connection is
    /// finished (peer gone, protocol error, lingering done). `on_connected` runs when a
    /// handshake completes.
    pub fn drive(&mut self, on_connected: &mut dyn FnMut()) -> bool {
        self.close_lane();
        let alive = self.drive_queued(on_connected);
        if alive {
            self.reopen_lane();
        }
        alive
    }

    fn drive_queued(&mut self, on_connected: &mut dyn FnMut()) -> bool {
        if !self.connected {
            match self.stream.connect_result() {
                Ok(true) => {
                    self.connected = true;
                    self.emit(crate::monitor::EVENT_CONNECTED, self.stream.fd() as u32);
                }
                Ok(false) => return true,
                Err(_) => return false,
            }
        }
        if self.raw_pending_attach {
            self.raw_pending_attach = false;
            if !self.on_ready(bytes::Bytes::new()) {
                return false;
            }
            on_connected();
        }
        if self.zap.is_some() && !self.zap_step(on_connected) {
            return false;
        }
        let mut alive = self.read_all(on_connected);
        if self.flush().is_err() {
            return false;
        }
        // The socket closed its end (close, linger, a refused PAIR peer, a STREAM
        // close request): finish once what it queued has gone out. Never sooner: the
        // socket closes its pipe right after asking us to linger, and a connection
        // driven in between must not drop what was queued (the linger deadline, if any,
        // arrives with that request).
        let socket_done = match &self.pipe {
            Some(p) => p.rx.is_finished(),
            None => self.lingering,
        };
        if alive && socket_done && self.out.is_empty() {
            alive = false;
        }
        alive
    }

    fn read_all(&mut self, on_connected: &mut dyn FnMut()) -> bool {
        if self.read_paused {
            let resumed = self.pipe.as_ref().is_none_or(|p| p.tx.check_write());
            if !resumed {
                return true;
            }
            self.read_paused = false;
        }
        let mut budget = READ_BUDGET;
        while self.readable && budget > 0 {
            let frame_len = self.session.input_needed();
            let needed = frame_len.saturating_sub(self.inbuf.len());
            let exact = needed > LARGE_READ && frame_len <= EXACT_FRAME_MAX;
            let want = if exact {
                self.make_room_for_frame(needed);
                needed
            } else if self.read_exact {
                AFTER_EXACT_READ
            } else if needed > self.read_step {
                // A large frame is on its way: make room for many such frames at once, so
                // the unfinished one at the end of a buffer is moved to a new buffer once
                // per many frames rather than once per frame.
                LARGE_READ
            } else {
                self.read_step
            };
            self.read_exact = exact;
            match self.stream.read_into(&mut self.inbuf, want) {
                Ok((0, _)) => return false,
                Ok((n, drained)) => {
                    budget = budget.saturating_sub(n);
                    if drained && !self.read_closed {
                        self.readable = false;
                    }
                    self.last_input = Instant::now();
                    self.read_msgs = 0;
                    if !self.decode(on_connected) {
                        return false;
                    }
                    self.adapt_read_step(n, drained);
                    if self.read_paused {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.readable = false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        if budget == 0 {
            // More may be waiting: come back after the others had their turn.
            crate::pipe::Wake::wake(&*self.wake);
        }
        true
    }

    /// Gives the read buffer room for exactly the `needed` bytes that complete the frame
    /// in it, so that the frame's body is read in place and the read stops at its end:
    /// no growth by doubling, which would copy a large body several times over. Only
    /// the part read before is copied (at most `AFTER_EXACT_READ` once a stream of large
    /// frames is under way), as libzmq's decoder does.
    fn make_room_for_frame(&mut self, needed: usize) {
        if self.inbuf.capacity() - self.inbuf.len() < needed {
            let mut exact = BytesMut::with_capacity(self.inbuf.len() + needed);
            exact.extend_from_slice(&self.inbuf);
            self.inbuf = exact;
        }
    }

    fn adapt_read_step(&mut self, n: usize, drained: bool) {
        let hwm = self.pipe.as_ref().map_or(0, |p| p.tx.hwm());
        self.read_step = next_read_step(self.read_step, n, drained, self.read_msgs, hwm);
    }

    /// Feeds the read buffer to the session and acts on its events.
    fn decode(&mut self, on_connected: &mut dyn FnMut()) -> bool {
        if self.raw {
            let chunk = self.inbuf.split().freeze();
            self.deliver(Msg::new(chunk));
            self.pause_if_full();
            return true;
        }
        let mut events = std::mem::take(&mut self.events);
        let mut result = self
            .session
            .receive(&mut self.inbuf, &mut self.out.staging, &mut |ev| {
                events.push(ev)
            });
        if result.is_ok() {
            result = self.pump_zap(&mut events);
        }
        self.act(events, result, on_connected)
    }

    /// A ZAP reply may have arrived: hand it to the session and act on what follows.
    fn zap_step(&mut self, on_connected: &mut dyn FnMut()) -> bool {
        let mut events = std::mem::take(&mut self.events);
        let result = self.pump_zap(&mut events);
        self.act(events, result, on_connected)
    }

    /// Sends the session's ZAP request, or hands it the reply once there is one.
    fn pump_zap(&mut self, events: &mut Vec<SessionEvent>) -> Result<(), ProtocolError> {
        let out = &mut self.out.staging;
        if let Some(request) = self.session.take_zap_request() {
            self.zap = ZapLink::open(&self.socket, &self.wake, &request);
            if self.zap.is_none() {
                // No handler bound: the mechanism decides (libzmq's rules).
                return self.session.zap_reply(None, out, &mut |ev| events.push(ev));
            }
        }
        if self.session.awaiting_zap() {
            if let Some(msg) = self.zap.as_ref().and_then(|z| z.pipe.rx.pop()) {
                self.zap = None;
                let reply = ZapReply::parse(&msg).map_err(ProtocolError::ZapReply)?;
                return self
                    .session
                    .zap_reply(Some(&reply), out, &mut |ev| events.push(ev));
            }
        }
        Ok(())
    }

    /// Acts on session events and on the outcome of the call that produced them.
    fn act(
        &mut self,
        mut events: Vec<SessionEvent>,
        result: Result<(), ProtocolError>,
        on_connected: &mut dyn FnMut(),
    ) -> bool {
        let mut ok = true;
        for ev in events.drain(..) {
            match ev {
                SessionEvent::Ready { peer_identity, .. } => {
                    if !self.on_ready(peer_identity.unwrap_or_default()) {
                        ok = false;
                    }
                    on_connected();
                }
                SessionEvent::Message(msg) => self.deliver(msg),
                SessionEvent::Ping { ttl_ms } => {
                    self.peer_ttl = (ttl_ms > 0).then(|| Duration::from_millis(ttl_ms as u64));
                }
                SessionEvent::Pong => {}
            }
        }
        self.events = events;
        self.pause_if_full();
        if let Err(e) = &result {
            if let Some(status) = e.auth_status() {
                self.emit(crate::monitor::EVENT_HANDSHAKE_FAILED_AUTH, status.into());
            } else if matches!(
                e,
                ProtocolError::NoZapHandler | ProtocolError::Misconfigured(_)
            ) {
                self.emit(
                    crate::monitor::EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                    libc::EFAULT as u32,
                );
            } else if !self.session.is_ready() {
                let code = e.monitor_code().unwrap_or(0);
                self.emit(crate::monitor::EVENT_HANDSHAKE_FAILED_PROTOCOL, code);
            }
        }
        if result.is_err() {
            // The session may have queued an ERROR command for the peer: try to send it.
            let _ = self.flush();
            return false;
        }
        ok
    }

    /// Stops reading while the socket's inbound queue is at its mark.
    fn pause_if_full(&mut self) {
        if let Some(p) = &self.pipe {
            if p.tx.hwm() != 0 && p.tx.len() >= p.tx.hwm() && !p.tx.check_write() {
                self.read_paused = true;
            }
        }
    }

    fn on_ready(&mut self, peer_identity: bytes::Bytes) -> bool {
        self.handshake_deadline = None;
        if !self.raw {
            self.emit(crate::monitor::EVENT_HANDSHAKE_SUCCEEDED, 0);
        }
        if let Some(ivl) = self.cfg.heartbeat_ivl {
            self.next_ping = Some(Instant::now() + ivl);
        }
        let Some(socket) = self.socket.upgrade() else {
            return false;
        };
        match &self.pipe {
            Some(p) => {
                if self.reconnect {
                    socket.post(Command::Hiccup(p.id));
                }
            }
            None => {
                let (socket_end, io_end) = crate::pipe::pipe_pair_split(
                    socket.waking(),
                    crate::pipe::Waking::both(self.wake.clone()),
                    self.cfg.sndhwm,
                    self.cfg.rcvhwm,
                );
                self.pipe = Some(io_end);
                socket.post(Command::Attach {
                    pipe: socket_end,
                    identity: peer_identity,
                });
            }
        }
        // Direct writes only where a message is its plain frames: not raw bytes, not
        // CURVE boxes, not a subscriber's messages (which may become commands).
        if !self.raw && !self.cfg.kind.is_subscriber() && !self.session.encrypts() {
            self.lane = self.pipe.as_ref().map(|p| p.rx.direct_lane().clone());
            if let Some(lane) = &self.lane {
                lane.lock().owner_pid = std::process::id();
            }
        }
        true
    }

    fn deliver(&mut self, msg: Msg) {
        self.read_msgs += 1;
        if let Some(lane) = &self.lane {
            lane.arm();
        }
        if let Some(p) = &self.pipe {
            if !p.tx.is_abandoned() {
                // Reading pauses at the mark, so this overshoots it by one read batch.
                p.tx.push(msg);
            }
        }
    }

    /// Encodes queued messages and writes until the kernel takes no more.
    fn flush(&mut self) -> io::Result<()> {
        loop {
            if let (true, Some(p)) = (self.session.is_ready() || self.raw, &self.pipe) {
                while self.out.len() < WRITE_BATCH {
                    let Some(m) = p.rx.pop() else { break };
                    encode(&mut self.out, &mut self.session, &self.cfg, self.raw, &m);
                }
            }
            if self.out.is_empty() || !self.writable || !self.connected {
                return Ok(());
            }
            match self.out.write_to(&mut self.stream) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.writable = false;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// The read step after a read of `n` bytes that carried `msgs` messages into a queue
/// whose mark is `hwm` (0: none). It doubles while reads fill at least half a step, the
/// kernel still had more, and a read's messages fill at most a quarter of the queue; it
/// halves once reads come back with less than an eighth of a step.
fn next_read_step(step: usize, n: usize, drained: bool, msgs: usize, hwm: usize) -> usize {
    let few_messages = hwm == 0 || msgs * 4 <= hwm;
    if !drained && n >= step / 2 && few_messages {
        (step * 2).min(READ_CHUNK_MAX)
    } else if drained && n < step / 8 {
        (step / 2).max(READ_CHUNK)
    } else {
        step
    }
}

/// Queues one message for the wire; large bodies are queued, not copied. A free
/// function, so `Conn::flush` can call it while it borrows the pipe.
fn encode(out: &mut OutQueue, session: &mut Session, cfg: &ConnConfig, raw: bool, m: &Msg) {
    if raw {
        for part in m.parts() {
            if part.len() >= ZERO_COPY_MIN {
                out.push_body(part.clone());
            } else {
                out.staging.extend_from_slice(part);
            }
        }
    } else if m.byte_len() < ZERO_COPY_MIN || cfg.kind.is_subscriber() || session.encrypts() {
        // Small messages, and subscribers' (which may become commands), are encoded
        // by the session.
        session.encode_message(m, &mut out.staging);
    } else {
        let last = m.len() - 1;
        for (i, part) in m.parts().enumerate() {
            let more = if i < last { FLAG_MORE } else { 0 };
            frame::put_header(&mut out.staging, more, part.len());
            if part.len() >= ZERO_COPY_MIN {
                out.push_body(part.clone());
            } else {
                out.staging.extend_from_slice(part);
            }
        }
    }
}

/// The peer's address as libzmq puts it in ZAP requests: the IP for tcp,
/// `:uid:gid:pid` for ipc.
fn peer_address(stream: &Stream) -> bytes::Bytes {
    let text = match stream {
        Stream::Tcp(s) => s
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
        Stream::Unix(_) => {
            let mut cred = libc::ucred {
                pid: 0,
                uid: 0,
                gid: 0,
            };
            let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
            // SAFETY: a valid fd, and a buffer of the size we pass.
            let rc = unsafe {
                libc::getsockopt(
                    stream.fd(),
                    libc::SOL_SOCKET,
                    libc::SO_PEERCRED,
                    (&mut cred as *mut libc::ucred).cast(),
                    &mut len,
                )
            };
            if rc == 0 {
                format!(":{}:{}:{}", cred.uid, cred.gid, cred.pid)
            } else {
                String::new()
            }
        }
    };
    bytes::Bytes::from(text)
}

/// A connection's pipe to the ZAP handler (a socket bound at `inproc://zeromq.zap.01`
/// in the same context), for one request and its reply. Dropping it detaches the pipe
/// from the handler.
struct ZapLink {
    pipe: PipeEnd,
    handler: Weak<SocketInner>,
}

impl ZapLink {
    /// Sends `request` to the handler; `None` if no handler is bound.
    fn open(
        socket: &Weak<SocketInner>,
        wake: &Arc<LinkWake>,
        request: &ZapRequest,
    ) -> Option<ZapLink> {
        let name = ZAP_ENDPOINT.strip_prefix("inproc://")?;
        let handler = socket.upgrade()?.ctx.inproc.bound_socket(name)?;
        // No high-water marks on the ZAP pipe, as in libzmq.
        let (ours, theirs) = pipe_pair(wake.clone(), handler.signal.clone(), 0, 0);
        ours.tx.push(request.to_msg());
        handler.post(Command::Attach {
            pipe: theirs,
            identity: bytes::Bytes::new(),
        });
        Some(ZapLink {
            pipe: ours,
            handler: Arc::downgrade(&handler),
        })
    }
}

impl Drop for ZapLink {
    fn drop(&mut self) {
        self.pipe.shut();
        if let Some(h) = self.handler.upgrade() {
            h.post(Command::Detach(self.pipe.id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_step_grows_on_full_reads_of_few_messages_up_to_its_cap() {
        let mut step = READ_CHUNK;
        // 1 KiB messages, rcvhwm 1000: a full step carries 64, then 128, then 256.
        for _ in 0..4 {
            step = next_read_step(step, step, false, step / 1024, 1000);
        }
        assert_eq!(step, READ_CHUNK_MAX);
    }

    #[test]
    fn read_step_stays_while_a_read_carries_many_messages() {
        // 128 B messages: a 64 KiB read carries 512, more than a quarter of the queue.
        assert_eq!(
            next_read_step(READ_CHUNK, READ_CHUNK, false, 512, 1000),
            READ_CHUNK
        );
        // Without a mark, nothing holds it back.
        assert_eq!(
            next_read_step(READ_CHUNK, READ_CHUNK, false, 512, 0),
            2 * READ_CHUNK
        );
    }

    #[test]
    fn read_step_holds_on_short_or_middling_reads_and_shrinks_on_small_ones() {
        // The kernel had no more: no reason to grow.
        assert_eq!(
            next_read_step(READ_CHUNK, READ_CHUNK / 2, true, 1, 1000),
            READ_CHUNK
        );
        // A read that used under half of a step's room.
        assert_eq!(
            next_read_step(READ_CHUNK_MAX, READ_CHUNK, false, 1, 1000),
            READ_CHUNK_MAX
        );
        // Small drained reads walk it back down, never below the base step.
        let mut step = READ_CHUNK_MAX;
        for _ in 0..4 {
            step = next_read_step(step, 100, true, 1, 1000);
        }
        assert_eq!(step, READ_CHUNK);
    }
}
