//! The application-facing socket: send/receive with flags and time-outs, options,
//! bind/connect, and a readiness fd.
//!
//! A socket is a mutex around its pattern and pipes, plus a mailbox through which the I/O
//! thread and inproc peers hand it new pipes and news of departed peers. Everything is
//! safe to use from any thread; a blocked call waits on the socket's [`Signal`] without
//! holding the lock, so other threads can use the socket meanwhile.

pub mod pattern;
mod spin;

use crate::context::ContextInner;
use crate::error::{Error, Result};
use crate::msg::{Metadata, Msg};
use crate::options::{OptionValue, Options, SocketOption};
use crate::pipe::{PipeEnd, PipeId};
use crate::signal::Signal;
use crate::socket_type::SocketType;
use crate::transport::{self, Endpoint};
use bytes::Bytes;
use crossbeam_queue::SegQueue;
use pattern::{Pattern, SendError};
use std::collections::{HashMap, VecDeque};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

/// Which way a blocked call waits.
#[derive(Clone, Copy)]
enum Direction {
    In,
    Out,
}

/// Readiness bits, as in `ZMQ_EVENTS`.
pub const POLLIN: u32 = 1;
pub const POLLOUT: u32 = 2;

/// What other threads tell a socket.
pub(crate) enum Command {
    /// A new peer: its pipe and the routing id it announced.
    Attach { pipe: PipeEnd, identity: Bytes },
    /// A new inproc peer, which we tell directly when we close.
    AttachInproc {
        pipe: PipeEnd,
        identity: Bytes,
        peer: Weak<SocketInner>,
    },
    /// The peer behind a pipe is gone for good.
    Detach(PipeId),
    /// The peer behind a persistent (connect-side) pipe reconnected.
    Hiccup(PipeId),
}

/// How a socket reached one of its endpoints, so unbind/disconnect can undo it.
pub(crate) enum EndpointLink {
    Inproc {
        name: String,
        pipes: Vec<PipeId>,
    },
    /// `file`: an ipc listener's socket file, removed when this endpoint goes.
    Listener {
        id: usize,
        file: Option<transport::ipc::SocketFile>,
    },
    /// `pipe` is the pipe made at connect time, if any.
    Dialer {
        id: usize,
        pipe: Option<PipeId>,
    },
}

pub(crate) struct EndpointEntry {
    /// As the user gave it (connect) or as resolved (bind).
    pub text: String,
    /// For binds with wildcards: what the user typed, which unbind also accepts.
    pub requested: String,
    pub bound: bool,
    pub link: EndpointLink,
}

pub(crate) struct Core {
    pub options: Options,
    pattern: Box<dyn Pattern>,
    pipes: HashMap<PipeId, PipeEnd>,
    /// inproc peers, told directly when we close.
    inproc_peers: HashMap<PipeId, Weak<SocketInner>>,
    pub endpoints: Vec<EndpointEntry>,
    pub last_endpoint: String,
    /// Parts sent with MORE, waiting for the final part.
    partial_out: Option<Msg>,
    /// The rest of a message whose first parts were received.
    partial_in: VecDeque<Bytes>,
    /// The connection metadata of the message `partial_in` came from.
    partial_meta: Option<Arc<Metadata>>,
    rcvmore: bool,
}

/// What an inproc peer needs to know of us without taking our lock.
#[derive(Clone, Default)]
pub(crate) struct PeerView {
    pub identity: Bytes,
    pub sndhwm: i32,
    pub rcvhwm: i32,
}

pub(crate) struct SocketInner {
    pub kind: SocketType,
    peer_view: Mutex<PeerView>,
    pub ctx: Arc<ContextInner>,
    /// Raised when input may be ready (and on any change of peers or state).
    pub signal: Arc<Signal>,
    /// Raised when room to send may have appeared (and on any change of peers or state).
    pub out_signal: Arc<Signal>,
    /// Whether a wait for input spins before it sleeps.
    input_spin: spin::AdaptiveSpin,
    mailbox: SegQueue<Command>,
    has_mail: AtomicBool,
    core: Mutex<Core>,
    closed: AtomicBool,
    pub(crate) monitor: Mutex<Option<crate::monitor::Monitor>>,
}

/// A ZeroMQ socket. Clones are handles to the same socket.
#[derive(Clone)]
pub struct Socket {
    pub(crate) inner: Arc<SocketInner>,
}

impl SocketInner {
    pub(crate) fn post(&self, cmd: Command) {
        self.mailbox.push(cmd);
        self.has_mail.store(true, SeqCst);
        self.raise_all();
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Core> {
        let mut core = self.core.lock().unwrap_or_else(|e| e.into_inner());
        // A plain load first: the swap is a write to a shared line, so only do it when
        // there is mail.
        if self.has_mail.load(SeqCst) && self.has_mail.swap(false, SeqCst) {
            while let Some(cmd) = self.mailbox.pop() {
                core.apply(cmd);
            }
        }
        core
    }

    /// Wakes every waiter, whatever it waits for.
    pub(crate) fn raise_all(&self) {
        self.signal.raise();
        self.out_signal.raise();
    }

    /// How this socket's side of a pipe is woken.
    pub(crate) fn waking(&self) -> crate::pipe::Waking {
        crate::pipe::Waking {
            input: self.signal.clone(),
            room: self.out_signal.clone(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }

    pub(crate) fn peer_view(&self) -> PeerView {
        self.peer_view
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Core {
    fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::Attach { pipe, identity } => self.attach(pipe, identity),
            Command::AttachInproc {
                pipe,
                identity,
                peer,
            } => self.attach_inproc(pipe, identity, peer),
            Command::Detach(id) => {
                self.pipes.remove(&id);
                self.inproc_peers.remove(&id);
                self.pattern.detach(id);
            }
            Command::Hiccup(id) => self.pattern.hiccup(id),
        }
    }

    pub(crate) fn attach(&mut self, pipe: PipeEnd, identity: Bytes) {
        self.pipes.insert(pipe.id, pipe.clone());
        self.pattern.attach(pipe, identity);
    }

    pub(crate) fn attach_inproc(
        &mut self,
        pipe: PipeEnd,
        identity: Bytes,
        peer: Weak<SocketInner>,
    ) {
        self.inproc_peers.insert(pipe.id, peer);
        self.attach(pipe, identity);
    }

    /// Stops using a pipe but lets the I/O thread deliver what is queued in it.
    pub(crate) fn close_pipe_for_linger(&mut self, id: PipeId) {
        if let Some(p) = self.pipes.remove(&id) {
            p.tx.close();
            p.rx.abandon();
        }
        self.pattern.detach(id);
    }

    /// Cuts one pipe from our side and tells an inproc peer.
    pub(crate) fn cut_pipe(&mut self, id: PipeId) {
        if let Some(p) = self.pipes.remove(&id) {
            p.shut();
        }
        if let Some(peer) = self.inproc_peers.remove(&id).and_then(|w| w.upgrade()) {
            peer.post(Command::Detach(id));
        }
        self.pattern.detach(id);
    }

    fn recv_part(&mut self) -> Result<(Bytes, bool)> {
        let part = if self.partial_in.is_empty() {
            let msg = self.pattern.recv()?;
            self.partial_meta = msg.metadata().cloned();
            let (first, rest) = msg.into_first_and_rest();
            self.partial_in.extend(rest);
            first
        } else {
            self.partial_in.pop_front().unwrap_or_default()
        };
        self.rcvmore = !self.partial_in.is_empty();
        Ok((part, self.rcvmore))
    }

    fn recv_msg(&mut self) -> Result<Msg> {
        let msg = if self.partial_in.is_empty() {
            self.pattern.recv()?
        } else {
            let mut rest = Msg::from_parts(self.partial_in.drain(..));
            rest.set_metadata(self.partial_meta.take());
            rest
        };
        self.rcvmore = false;
        Ok(msg)
    }

    fn send_msg(&mut self, msg: Msg) -> std::result::Result<(), SendError> {
        let msg = match self.partial_out.take() {
            None => msg,
            Some(mut head) => {
                let first_new = head.len();
                for p in msg.into_parts() {
                    head.push_back(p);
                }
                return self.pattern.send(head).map_err(|e| match e {
                    // Give the new parts back; the earlier ones stay pending.
                    SendError::Again(full) => {
                        let mut parts = full.into_parts();
                        let tail = parts.split_off(first_new);
                        self.partial_out = Some(Msg::from_parts(parts));
                        SendError::Again(Msg::from_parts(tail))
                    }
                    fail => fail,
                });
            }
        };
        self.pattern.send(msg)
    }

    fn events(&mut self) -> u32 {
        let mut ev = 0;
        if !self.partial_in.is_empty() || self.pattern.can_recv() {
            ev |= POLLIN;
        }
        if self.pattern.can_send() {
            ev |= POLLOUT;
        }
        ev
    }
}

impl Socket {
    pub(crate) fn new(ctx: Arc<ContextInner>, kind: SocketType) -> Result<Socket> {
        let signal = Arc::new(Signal::new()?);
        let out_signal = Arc::new(Signal::new()?);
        Ok(Socket {
            inner: Arc::new(SocketInner {
                kind,
                peer_view: Mutex::new(PeerView {
                    identity: Bytes::new(),
                    sndhwm: 1000,
                    rcvhwm: 1000,
                }),
                ctx,
                signal,
                out_signal,
                input_spin: spin::AdaptiveSpin::default(),
                mailbox: SegQueue::new(),
                has_mail: AtomicBool::new(false),
                core: Mutex::new(Core {
                    options: Options::default(),
                    pattern: pattern::new_pattern(kind),
                    pipes: HashMap::new(),
                    inproc_peers: HashMap::new(),
                    endpoints: Vec::new(),
                    last_endpoint: String::new(),
                    partial_out: None,
                    partial_in: VecDeque::new(),
                    partial_meta: None,
                    rcvmore: false,
                }),
                closed: AtomicBool::new(false),
                monitor: Mutex::new(None),
            }),
        })
    }

    pub fn kind(&self) -> SocketType {
        self.inner.kind
    }

    /// The fd that is readable while the socket may have input (check
    /// [`Socket::events`]: it can also be a change of peers). Stays valid until the
    /// socket is dropped.
    pub fn fd(&self) -> RawFd {
        self.inner.signal.fd()
    }

    /// Whether a wait for input would spin first (see [`Socket::spin_for_input`]). A
    /// caller that must give something up to spin (Ruby's GVL) asks this first.
    pub fn input_spin_enabled(&self) -> bool {
        self.inner.input_spin.enabled()
    }

    /// Before sleeping on [`Socket::fd`] after a receive found nothing: spins briefly
    /// if the socket awaits an answer and its recent waits were short (see `spin.rs`),
    /// and says whether input may now be ready (try the receive again) or the caller
    /// should sleep. Never blocks past `deadline`.
    pub fn spin_for_input(&self, deadline: Option<Instant>) -> bool {
        let signal = &self.inner.signal;
        self.inner.input_spin.spin(deadline, || signal.is_raised())
    }

    /// [`Socket::spin_for_input`] for a poll over several sockets: spins while any of
    /// them would spin, until one of them may have input.
    pub fn spin_for_any_input(sockets: &[&Socket], deadline: Option<Instant>) -> bool {
        sockets.iter().any(|s| s.input_spin_enabled())
            && spin::spin_until(deadline, || {
                sockets.iter().any(|s| s.inner.signal.is_raised())
            })
    }

    /// Tells the spinning policy how long a wait for input took in all (spin included)
    /// once it slept; short waits keep spinning on.
    pub fn note_input_wait(&self, waited: std::time::Duration) {
        self.inner.input_spin.record_wait(waited);
    }

    /// The fd that is readable while the socket may have room to send.
    pub fn out_fd(&self) -> RawFd {
        self.inner.out_signal.fd()
    }

    fn signal_for(&self, dir: Direction) -> &Signal {
        match dir {
            Direction::In => &self.inner.signal,
            Direction::Out => &self.inner.out_signal,
        }
    }

    fn check_usable(&self) -> Result<()> {
        // Termination first: it closes every socket, and a call it interrupts (or one
        // made after it) must see ETERM, as with libzmq, not the ENOTSOCK of a socket
        // the application closed itself.
        if self.inner.ctx.is_terminated() {
            return Err(Error::term());
        }
        if self.inner.is_closed() {
            return Err(Error::new(libc::ENOTSOCK));
        }
        Ok(())
    }

    /// Runs `op` once; if it would block, clears the signal of its direction and runs
    /// it again, so that a caller who then waits on that fd cannot miss the change it
    /// waits for.
    fn attempt<T>(&self, dir: Direction, op: &mut dyn FnMut(&mut Core) -> Result<T>) -> Result<T> {
        self.check_usable()?;
        let first = op(&mut self.inner.lock());
        match first {
            Err(e) if e.is_again() => {
                self.signal_for(dir).clear();
                self.check_usable()?;
                op(&mut self.inner.lock())
            }
            other => other,
        }
    }

    /// Repeats `attempt` until it succeeds, fails for real, or the deadline passes.
    fn blocking<T>(
        &self,
        dontwait: bool,
        dir: Direction,
        op: &mut dyn FnMut(&mut Core) -> Result<T>,
    ) -> Result<T> {
        let mut deadline: Option<Option<Instant>> = None;
        loop {
            match self.attempt(dir, op) {
                Err(e) if e.is_again() && !dontwait => {
                    let d = *deadline.get_or_insert_with(|| {
                        let options = &self.inner.lock().options;
                        match dir {
                            Direction::In => options.rcvtimeo(),
                            Direction::Out => options.sndtimeo(),
                        }
                        .map(|t| Instant::now() + t)
                    });
                    if let Direction::In = dir {
                        let started = Instant::now();
                        if self.spin_for_input(d) {
                            continue;
                        }
                        let woken = self.signal_for(dir).wait_until(d);
                        self.note_input_wait(started.elapsed());
                        if !woken {
                            return Err(Error::again());
                        }
                    } else if !self.signal_for(dir).wait_until(d) {
                        return Err(Error::again());
                    }
                }
                Ok(done) => {
                    match dir {
                        Direction::In => self.inner.input_spin.note_received(),
                        Direction::Out => self.inner.input_spin.note_sent(),
                    }
                    return Ok(done);
                }
                other => return other,
            }
        }
    }

    /// Sends a whole message (completing any parts sent with `more`).
    pub fn send(&self, msg: Msg, dontwait: bool) -> Result<()> {
        let mut pending = Some(msg);
        self.blocking(dontwait, Direction::Out, &mut |core| {
            let msg = pending.take().expect("message present until sent");
            match core.send_msg(msg) {
                Ok(()) => Ok(()),
                Err(SendError::Again(back)) => {
                    pending = Some(back);
                    Err(Error::again())
                }
                Err(SendError::Fail(e)) => Err(e),
            }
        })
    }

    /// Sends one part; with `more` it is held until the final part arrives.
    pub fn send_part(&self, part: Bytes, more: bool, dontwait: bool) -> Result<()> {
        if more {
            self.check_usable()?;
            let mut core = self.inner.lock();
            match &mut core.partial_out {
                Some(m) => m.push_back(part),
                None => core.partial_out = Some(Msg::new(part)),
            }
            return Ok(());
        }
        self.send(Msg::new(part), dontwait)
    }

    /// Tries once, without waiting, to send `part` as the final part of a message.
    /// `Ok(None)`: sent. `Ok(Some(part))`: not now (EAGAIN), and here is the part back
    /// for the next try, so a caller that waits need not keep a copy of its own.
    pub fn try_send_final_part(&self, part: Bytes) -> Result<Option<Bytes>> {
        let mut pending = Some(part);
        let outcome = self.blocking(true, Direction::Out, &mut |core| {
            let part = pending.take().expect("part present until sent");
            match core.send_msg(Msg::new(part)) {
                Ok(()) => Ok(()),
                Err(SendError::Again(msg)) => {
                    pending = msg.into_parts().pop();
                    Err(Error::again())
                }
                Err(SendError::Fail(e)) => Err(e),
            }
        });
        match outcome {
            Ok(()) => Ok(None),
            Err(e) if e.is_again() => Ok(pending),
            Err(e) => Err(e),
        }
    }

    /// Receives a whole message.
    pub fn recv(&self, dontwait: bool) -> Result<Msg> {
        self.blocking(dontwait, Direction::In, &mut |core| core.recv_msg())
    }

    /// Receives one part and whether more parts follow.
    pub fn recv_part(&self, dontwait: bool) -> Result<(Bytes, bool)> {
        self.blocking(dontwait, Direction::In, &mut |core| core.recv_part())
    }

    /// [`Socket::recv_part`], plus the metadata of the connection the part's message
    /// came in on (see [`Msg::metadata`]).
    pub fn recv_part_with_metadata(
        &self,
        dontwait: bool,
    ) -> Result<(Bytes, bool, Option<Arc<Metadata>>)> {
        self.blocking(dontwait, Direction::In, &mut |core| {
            let (part, more) = core.recv_part()?;
            Ok((part, more, core.partial_meta.clone()))
        })
    }

    /// `POLLIN`/`POLLOUT` bits for what can be done now without blocking.
    pub fn events(&self) -> u32 {
        if self.inner.is_closed() {
            return 0;
        }
        self.inner.lock().events()
    }

    /// Like [`Socket::events`], but also clears the readiness fd when nothing in `mask`
    /// is ready, so a following wait on the fd sleeps until something changes.
    pub fn events_or_arm(&self, mask: u32) -> u32 {
        let ev = self.events();
        if ev & mask != 0 || self.inner.is_closed() {
            return ev;
        }
        if mask & POLLIN != 0 {
            self.inner.signal.clear();
        }
        if mask & POLLOUT != 0 {
            self.inner.out_signal.clear();
        }
        self.events()
    }

    pub fn rcvmore(&self) -> bool {
        self.inner.lock().rcvmore
    }

    pub fn set_option(&self, opt: SocketOption, value: impl Into<OptionValue>) -> Result<()> {
        self.check_usable()?;
        let value = value.into();
        let mut core = self.inner.lock();
        if opt == SocketOption::Subscribe || opt == SocketOption::Unsubscribe {
            if self.inner.kind != SocketType::Sub {
                return Err(Error::inval("subscriptions are set on SUB sockets"));
            }
        } else if core.options.set(opt, &value)? {
            *self
                .inner
                .peer_view
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = PeerView {
                identity: core.options.identity.clone(),
                sndhwm: core.options.sndhwm,
                rcvhwm: core.options.rcvhwm,
            };
            return Ok(());
        }
        if core.pattern.set_option(opt, &value)? {
            if opt == SocketOption::RouterRaw {
                core.options.raw = value.as_int()? == 1;
            }
            return Ok(());
        }
        Err(Error::inval(format!(
            "{opt:?} does not apply to a {} socket",
            self.inner.kind
        )))
    }

    pub fn get_option(&self, opt: SocketOption) -> Result<OptionValue> {
        self.check_usable()?;
        let mut core = self.inner.lock();
        match opt {
            SocketOption::Type => return Ok(OptionValue::Int(self.inner.kind.number() as i64)),
            SocketOption::RcvMore => return Ok(core.rcvmore.into()),
            SocketOption::Events => return Ok(OptionValue::Int(core.events() as i64)),
            SocketOption::LastEndpoint => {
                return Ok(OptionValue::Bytes(Bytes::from(core.last_endpoint.clone())))
            }
            _ => {}
        }
        if let Some(v) = core.options.get(opt) {
            return Ok(v);
        }
        core.pattern
            .get_option(opt)
            .ok_or_else(|| Error::inval(format!("{opt:?} cannot be read")))
    }

    /// Binds to an endpoint; returns it with wildcards resolved
    /// (`tcp://127.0.0.1:*` comes back as `tcp://127.0.0.1:49153`).
    pub fn bind(&self, endpoint: &str) -> Result<String> {
        self.check_usable()?;
        let ep = Endpoint::parse(endpoint)?;
        let resolved = transport::bind(&self.inner, &ep, endpoint)?;
        Ok(resolved)
    }

    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.check_usable()?;
        let ep = Endpoint::parse(endpoint)?;
        transport::connect(&self.inner, &ep, endpoint)
    }

    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.check_usable()?;
        Endpoint::parse(endpoint)?;
        transport::remove_endpoint(&self.inner, endpoint, true)
    }

    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.check_usable()?;
        Endpoint::parse(endpoint)?;
        transport::remove_endpoint(&self.inner, endpoint, false)
    }

    pub fn last_endpoint(&self) -> String {
        self.inner.lock().last_endpoint.clone()
    }

    /// Every endpoint currently bound or connected, in order.
    pub fn endpoints(&self) -> Vec<String> {
        self.inner
            .lock()
            .endpoints
            .iter()
            .map(|e| e.text.clone())
            .collect()
    }

    /// Closes the socket. Queued outgoing messages are still delivered for up to the
    /// linger time (`linger` option) by the I/O thread. Idempotent.
    pub fn close(&self) {
        close_socket(&self.inner);
    }

    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Sets linger and closes (what most bindings want in one step).
    pub fn close_with_linger(&self, linger_ms: i32) {
        if !self.inner.is_closed() {
            self.inner.lock().options.linger = linger_ms.max(-1);
        }
        self.close();
    }
}

pub(crate) fn close_socket(inner: &Arc<SocketInner>) {
    if inner.closed.swap(true, SeqCst) {
        return;
    }
    let mut core = inner.lock();
    let linger = core.options.linger;
    transport::close_all(inner, &mut core, linger);
    match inner.ctx.reactor_if_started() {
        // After the I/O thread has reported closing the endpoints.
        Ok(r) => r.stop_monitor(Arc::downgrade(inner)),
        Err(_) => inner.stop_monitor(),
    }
    let ids: Vec<PipeId> = core.pipes.keys().copied().collect();
    for id in ids {
        if let Some(p) = core.pipes.get(&id) {
            // Delivery of what is queued is left to the peer (inproc) or the I/O thread.
            p.tx.close();
            p.rx.abandon();
        }
        if let Some(peer) = core.inproc_peers.remove(&id).and_then(|w| w.upgrade()) {
            peer.post(Command::Detach(id));
        }
    }
    core.pipes.clear();
    core.partial_in.clear();
    core.partial_meta = None;
    core.partial_out = None;
    drop(core);
    // Wake anyone blocked on this socket so they see it closed.
    inner.raise_all();
}

impl Drop for SocketInner {
    fn drop(&mut self) {
        self.stop_monitor();
        // A socket dropped without close still hands its queued messages to the I/O
        // thread; by then there is no Arc left, so close what we can directly.
        if !self.closed.load(SeqCst) {
            let core = self.core.get_mut().unwrap_or_else(|e| e.into_inner());
            for p in core.pipes.values() {
                p.tx.close();
                p.rx.abandon();
            }
            for e in &core.endpoints {
                if let EndpointLink::Listener {
                    file: Some(file), ..
                } = &e.link
                {
                    file.remove();
                }
            }
        }
    }
}
