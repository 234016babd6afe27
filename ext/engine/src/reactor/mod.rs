//! The I/O thread: one `mio::Poll` driving every listener, dialer and connection of a
//! context.
//!
//! Sockets talk to it through a command queue; pipes wake it through [`LinkWake`], which
//! queues the id of the link (connection or dialer) whose pipe changed and touches the
//! mio waker only if the thread is actually asleep in `poll`.

mod connection;
pub(crate) mod direct;
mod out_queue;
mod stream;

use crate::error::Result;
use crate::monitor::*;
use crate::options::Options;
use crate::pipe::{PipeEnd, Wake};
use crate::socket::SocketInner;
use crate::socket_type::SocketType;
use bytes::Bytes;
use connection::{Conn, ConnEnd, Origin};
use crossbeam_queue::SegQueue;
use mio::{Events, Interest, Poll, Token, Waker};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
pub(crate) use stream::Stream;

const WAKER: Token = Token(0);

/// What a connection needs to know of its socket's options, copied at bind/connect time
/// as libzmq does.
#[derive(Clone, Debug)]
pub(crate) struct ConnConfig {
    pub kind: SocketType,
    pub identity: Bytes,
    pub sndhwm: usize,
    pub rcvhwm: usize,
    pub maxmsgsize: Option<u64>,
    pub heartbeat_ivl: Option<Duration>,
    pub heartbeat_ttl_ms: u32,
    pub heartbeat_timeout: Option<Duration>,
    pub handshake_ivl: Option<Duration>,
    pub reconnect_ivl: Option<Duration>,
    pub reconnect_ivl_max: Duration,
    pub immediate: bool,
    /// Raw bytes, no ZMTP (STREAM, or ROUTER with ROUTER_RAW).
    pub raw: bool,
    /// Mechanism, credentials, ZAP domain.
    pub security: crate::security::SecurityOptions,
    /// SO_SNDBUF / SO_RCVBUF for tcp connections this socket dials.
    pub buffers: crate::transport::tcp::BufferSizes,
}

fn positive_ms(ms: i32) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms as u64))
}

impl ConnConfig {
    pub fn new(kind: SocketType, o: &Options) -> Self {
        ConnConfig {
            kind,
            identity: o.identity.clone(),
            sndhwm: o.sndhwm.max(0) as usize,
            rcvhwm: o.rcvhwm.max(0) as usize,
            maxmsgsize: o.maxmsgsize(),
            heartbeat_ivl: positive_ms(o.heartbeat_ivl),
            heartbeat_ttl_ms: o.heartbeat_ttl.max(0) as u32,
            heartbeat_timeout: positive_ms(o.heartbeat_timeout_ms()),
            handshake_ivl: positive_ms(o.handshake_ivl),
            // -1 turns reconnection off, as in libzmq.
            reconnect_ivl: (o.reconnect_ivl >= 0)
                .then(|| Duration::from_millis(o.reconnect_ivl.max(1) as u64)),
            reconnect_ivl_max: Duration::from_millis(o.reconnect_ivl_max.max(0) as u64),
            immediate: o.immediate,
            raw: kind == SocketType::Stream || o.raw,
            security: o.security.clone(),
            buffers: crate::transport::tcp::BufferSizes::from_options(o.sndbuf, o.rcvbuf),
        }
    }
}

pub(crate) enum Listener {
    Tcp(mio::net::TcpListener),
    /// Its socket file belongs to the endpoint (see `transport::ipc::SocketFile`).
    Unix(mio::net::UnixListener),
}

impl Listener {
    pub fn fd(&self) -> std::os::fd::RawFd {
        match self {
            Listener::Tcp(t) => t.as_raw_fd(),
            Listener::Unix(u) => u.as_raw_fd(),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum DialTarget {
    Tcp(Vec<SocketAddr>),
    Unix(PathBuf),
}

enum Cmd {
    AddListener {
        id: usize,
        endpoint: Arc<str>,
        listener: Listener,
        socket: Weak<SocketInner>,
        cfg: Arc<ConnConfig>,
    },
    AddDialer {
        id: usize,
        endpoint: Arc<str>,
        target: DialTarget,
        socket: Weak<SocketInner>,
        cfg: Arc<ConnConfig>,
        pipe: Option<PipeEnd>,
        wake: Arc<LinkWake>,
    },
    Remove {
        id: usize,
        linger: Option<Duration>,
    },
    /// The socket closed: end its monitor after the events its endpoints' removal
    /// produced (queued before this command).
    StopMonitor(Weak<SocketInner>),
    Shutdown,
}

struct Shared {
    waker: Waker,
    commands: SegQueue<Cmd>,
    /// Links whose pipes have something for the I/O thread.
    ready: SegQueue<usize>,
    /// True while the thread is (about to be) blocked in `poll`.
    polling: AtomicBool,
    next_id: AtomicUsize,
}

impl Shared {
    fn nudge(&self) {
        if self.polling.swap(false, SeqCst) {
            let _ = self.waker.wake();
        }
    }
}

/// Wakes the I/O thread on behalf of one link.
pub(crate) struct LinkWake {
    shared: Arc<Shared>,
    id: usize,
    queued: AtomicBool,
}

impl Wake for LinkWake {
    fn wake(&self) {
        if !self.queued.swap(true, SeqCst) {
            self.shared.ready.push(self.id);
            self.shared.nudge();
        }
    }
}

pub(crate) struct Reactor {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The process that started the thread: a forked child has no such thread.
    pid: u32,
}

impl Reactor {
    pub fn start() -> Result<Arc<Reactor>> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let shared = Arc::new(Shared {
            waker,
            commands: SegQueue::new(),
            ready: SegQueue::new(),
            polling: AtomicBool::new(false),
            next_id: AtomicUsize::new(1),
        });
        let loop_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("zmq-rs-io".into())
            .spawn(move || IoLoop::new(poll, loop_shared).run())?;
        Ok(Arc::new(Reactor {
            shared,
            thread: Mutex::new(Some(thread)),
            pid: std::process::id(),
        }))
    }

    fn next_id(&self) -> usize {
        self.shared.next_id.fetch_add(1, SeqCst)
    }

    fn submit(&self, cmd: Cmd) {
        if std::process::id() != self.pid {
            // A forked child: the I/O thread stayed in the parent, whose descriptors
            // this copy must not touch.
            return;
        }
        self.shared.commands.push(cmd);
        self.shared.nudge();
    }

    pub fn add_listener(
        &self,
        endpoint: &str,
        listener: Listener,
        socket: Weak<SocketInner>,
        cfg: ConnConfig,
    ) -> usize {
        let id = self.next_id();
        self.submit(Cmd::AddListener {
            id,
            endpoint: endpoint.into(),
            listener,
            socket,
            cfg: Arc::new(cfg),
        });
        id
    }

    /// Starts connecting. With `early_pipe`, the pipe is made now and its socket end
    /// returned, so messages queue while the connection is being made; it survives
    /// reconnects.
    pub fn add_dialer(
        &self,
        endpoint: &str,
        target: DialTarget,
        socket: Weak<SocketInner>,
        cfg: ConnConfig,
        socket_waking: crate::pipe::Waking,
        early_pipe: bool,
    ) -> (usize, Option<PipeEnd>) {
        let id = self.next_id();
        let wake = Arc::new(LinkWake {
            shared: self.shared.clone(),
            id,
            queued: AtomicBool::new(false),
        });
        let (socket_end, io_end) = if early_pipe {
            let (s, i) = crate::pipe::pipe_pair_split(
                socket_waking,
                crate::pipe::Waking::both(wake.clone()),
                cfg.sndhwm,
                cfg.rcvhwm,
            );
            (Some(s), Some(i))
        } else {
            (None, None)
        };
        self.submit(Cmd::AddDialer {
            id,
            endpoint: endpoint.into(),
            target,
            socket,
            cfg: Arc::new(cfg),
            pipe: io_end,
            wake,
        });
        (id, socket_end)
    }

    /// Stops a listener or dialer; its connections deliver what is queued for up to
    /// `linger` (`None`: no limit).
    pub fn remove(&self, id: usize, linger: Option<Duration>) {
        self.submit(Cmd::Remove { id, linger });
    }

    /// Stops a closed socket's monitor once the I/O thread has reported the closing of
    /// its endpoints.
    pub fn stop_monitor(&self, socket: Weak<SocketInner>) {
        self.submit(Cmd::StopMonitor(socket));
    }

    /// Ends the thread once every connection has finished lingering.
    pub fn shutdown_and_join(&self) {
        if std::process::id() != self.pid {
            return;
        }
        self.submit(Cmd::Shutdown);
        let handle = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = handle {
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }
}

struct ListenerEntry {
    endpoint: Arc<str>,
    listener: Listener,
    socket: Weak<SocketInner>,
    cfg: Arc<ConnConfig>,
}

struct DialerEntry {
    endpoint: Arc<str>,
    target: DialTarget,
    socket: Weak<SocketInner>,
    cfg: Arc<ConnConfig>,
    /// The persistent pipe while no connection holds it.
    pipe: Option<PipeEnd>,
    wake: Arc<LinkWake>,
    /// The connection (or connection attempt) in progress.
    conn: Option<usize>,
    next_attempt: Option<Instant>,
    backoff: Duration,
    /// Which of the resolved addresses to try next.
    addr_index: usize,
    /// A pipe was attached before: a new connection is a reconnect.
    had_connection: bool,
    /// Set once its socket closed with messages still queued and no connection to
    /// take them: it keeps (re)connecting until they are delivered or this deadline
    /// (`None`: no limit) passes, as libzmq's linger does.
    lingering: Option<Option<Instant>>,
}

struct IoLoop {
    poll: Poll,
    shared: Arc<Shared>,
    listeners: HashMap<usize, ListenerEntry>,
    dialers: HashMap<usize, DialerEntry>,
    conns: HashMap<usize, Conn>,
    shutting_down: bool,
}

impl IoLoop {
    fn new(poll: Poll, shared: Arc<Shared>) -> Self {
        IoLoop {
            poll,
            shared,
            listeners: HashMap::new(),
            dialers: HashMap::new(),
            conns: HashMap::new(),
            shutting_down: false,
        }
    }

    fn run(mut self) {
        let mut events = Events::with_capacity(256);
        loop {
            self.shared.polling.store(true, SeqCst);
            let timeout = if !self.shared.commands.is_empty() || !self.shared.ready.is_empty() {
                Some(Duration::ZERO)
            } else {
                self.next_deadline()
                    .map(|d| d.saturating_duration_since(Instant::now()))
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    break;
                }
            }
            self.shared.polling.store(false, SeqCst);
            self.run_commands();
            for ev in events.iter() {
                match ev.token() {
                    WAKER => {}
                    Token(id) => self.on_event(
                        id,
                        ev.is_readable() || ev.is_read_closed(),
                        ev.is_writable() || ev.is_error(),
                        ev.is_read_closed(),
                    ),
                }
            }
            // Only what was queued before this turn: a link that re-queues itself
            // must not starve commands, timers and the other links.
            for _ in 0..self.shared.ready.len() {
                match self.shared.ready.pop() {
                    Some(id) => self.on_pipe_activity(id),
                    None => break,
                }
            }
            self.run_timers();
            if self.shutting_down && self.conns.is_empty() && self.dialers.is_empty() {
                break;
            }
        }
        // Whatever is left (an error in poll) is dropped with its pipes shut.
        for (_, c) in self.conns.drain() {
            c.abandon_pipe();
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let conns = self.conns.values().filter_map(Conn::next_deadline);
        let dialers = self
            .dialers
            .values()
            .flat_map(|d| [d.next_attempt, d.lingering.flatten()])
            .flatten();
        conns.chain(dialers).min()
    }

    fn run_commands(&mut self) {
        while let Some(cmd) = self.shared.commands.pop() {
            match cmd {
                Cmd::AddListener {
                    id,
                    endpoint,
                    mut listener,
                    socket,
                    cfg,
                } => {
                    let reg = match &mut listener {
                        Listener::Tcp(l) => {
                            self.poll
                                .registry()
                                .register(l, Token(id), Interest::READABLE)
                        }
                        Listener::Unix(l) => {
                            self.poll
                                .registry()
                                .register(l, Token(id), Interest::READABLE)
                        }
                    };
                    if reg.is_ok() {
                        self.listeners.insert(
                            id,
                            ListenerEntry {
                                endpoint,
                                listener,
                                socket,
                                cfg,
                            },
                        );
                        self.accept(id);
                    }
                }
                Cmd::AddDialer {
                    id,
                    endpoint,
                    target,
                    socket,
                    cfg,
                    pipe,
                    wake,
                } => {
                    self.dialers.insert(
                        id,
                        DialerEntry {
                            endpoint,
                            target,
                            socket,
                            backoff: cfg.reconnect_ivl.unwrap_or(Duration::from_millis(100)),
                            cfg,
                            pipe,
                            wake,
                            conn: None,
                            next_attempt: None,
                            addr_index: 0,
                            had_connection: false,
                            lingering: None,
                        },
                    );
                    // The socket may already have woken this link before it existed here:
                    // that wake found nothing to do, so let the next one through. What it
                    // queued goes out once the connection is up.
                    if let Some(d) = self.dialers.get(&id) {
                        d.wake.queued.store(false, SeqCst);
                    }
                    self.dial(id);
                }
                Cmd::Remove { id, linger } => self.remove(id, linger),
                Cmd::StopMonitor(socket) => {
                    if let Some(s) = socket.upgrade() {
                        s.stop_monitor();
                    }
                }
                Cmd::Shutdown => {
                    self.shutting_down = true;
                    // Dialers already lingering keep their own deadline.
                    let ids: Vec<usize> = self
                        .listeners
                        .keys()
                        .copied()
                        .chain(
                            self.dialers
                                .iter()
                                .filter(|(_, d)| d.lingering.is_none())
                                .map(|(k, _)| *k),
                        )
                        .collect();
                    for id in ids {
                        self.remove(id, Some(Duration::ZERO));
                    }
                    // Connections already lingering keep their deadline.
                }
            }
        }
    }

    fn remove(&mut self, id: usize, linger: Option<Duration>) {
        if let Some(mut l) = self.listeners.remove(&id) {
            if let Some(s) = l.socket.upgrade() {
                s.emit(EVENT_CLOSED, l.listener.fd() as u32, &l.endpoint);
            }
            match &mut l.listener {
                Listener::Tcp(t) => {
                    let _ = self.poll.registry().deregister(t);
                }
                Listener::Unix(u) => {
                    let _ = self.poll.registry().deregister(u);
                }
            }
            let owned: Vec<usize> = self
                .conns
                .iter()
                .filter(|(_, c)| c.origin == Origin::Listener(id))
                .map(|(k, _)| *k)
                .collect();
            for c in owned {
                self.linger_conn(c, linger);
            }
        }
        if let Some(d) = self.dialers.get_mut(&id) {
            if d.lingering.is_some() {
                return; // already lingering on its own deadline
            }
            // Messages queued with no established connection to carry them: keep
            // connecting for the linger time, as libzmq does.
            let established = d
                .conn
                .and_then(|c| self.conns.get(&c))
                .is_some_and(Conn::was_ready);
            let queued = d.pipe.as_ref().is_some_and(|p| !p.rx.is_empty())
                || d.conn
                    .and_then(|c| self.conns.get(&c))
                    .is_some_and(Conn::has_queued);
            if linger != Some(Duration::ZERO) && !established && queued {
                d.lingering = Some(linger.map(|l| Instant::now() + l));
                // A connection under way delivers, then ends, like any lingering one.
                if let Some(conn) = d.conn.and_then(|c| self.conns.get_mut(&c)) {
                    conn.start_linger(linger);
                }
                return;
            }
        }
        if let Some(d) = self.dialers.remove(&id) {
            if let Some(p) = d.pipe {
                p.shut();
            }
            if let Some(c) = d.conn {
                self.linger_conn(c, linger);
            }
        }
    }

    /// Ends a lingering dialer: what it still holds is dropped.
    fn drop_dialer(&mut self, id: usize) {
        let Some(d) = self.dialers.remove(&id) else {
            return;
        };
        if let Some(p) = d.pipe {
            p.shut();
        }
        if let Some(c) = d.conn {
            if let Some(conn) = self.conns.get_mut(&c) {
                conn.origin = Origin::Orphan;
            }
            self.close_conn(c);
        }
    }

    fn linger_conn(&mut self, id: usize, linger: Option<Duration>) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.origin = Origin::Orphan;
        if !conn.start_linger(linger) {
            self.close_conn(id);
        } else {
            self.drive(id);
        }
    }

    fn accept(&mut self, id: usize) {
        loop {
            let Some(entry) = self.listeners.get_mut(&id) else {
                return;
            };
            if entry.socket.strong_count() == 0 {
                self.remove(id, Some(Duration::ZERO));
                return;
            }
            let accepted = match &entry.listener {
                Listener::Tcp(l) => l.accept().map(|(s, _)| Stream::Tcp(s)),
                Listener::Unix(l) => l.accept().map(|(s, _)| Stream::Unix(s)),
            };
            match accepted {
                Ok(stream) => {
                    let (socket, cfg) = (entry.socket.clone(), entry.cfg.clone());
                    let endpoint = entry.endpoint.clone();
                    if let Some(s) = socket.upgrade() {
                        s.emit(EVENT_ACCEPTED, stream.fd() as u32, &endpoint);
                    }
                    let cid = self.shared.next_id.fetch_add(1, SeqCst);
                    let wake = Arc::new(LinkWake {
                        shared: self.shared.clone(),
                        id: cid,
                        queued: AtomicBool::new(false),
                    });
                    let conn = Conn::new(
                        stream,
                        endpoint,
                        Origin::Listener(id),
                        socket,
                        cfg,
                        ConnEnd::Fresh(wake),
                    );
                    self.register_conn(cid, conn);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // Out of fds or a connection reset before accept: try again on the next
                // readiness event rather than spin.
                Err(_) => return,
            }
        }
    }

    fn register_conn(&mut self, cid: usize, mut conn: Conn) {
        if conn.register(self.poll.registry(), Token(cid)).is_err() {
            conn.abandon_pipe();
            return;
        }
        self.conns.insert(cid, conn);
        self.drive(cid);
    }

    fn dial(&mut self, id: usize) {
        let Some(d) = self.dialers.get_mut(&id) else {
            return;
        };
        d.next_attempt = None;
        if d.socket.strong_count() == 0 && d.lingering.is_none() {
            self.remove(id, Some(Duration::ZERO));
            return;
        }
        let stream = match &d.target {
            DialTarget::Tcp(addrs) => {
                let addr = addrs[d.addr_index % addrs.len()];
                d.addr_index += 1;
                crate::transport::tcp::connect(addr, d.cfg.buffers).map(Stream::Tcp)
            }
            DialTarget::Unix(path) => mio::net::UnixStream::connect(path).map(Stream::Unix),
        };
        match stream {
            Ok(stream) => {
                let cid = self.shared.next_id.fetch_add(1, SeqCst);
                let end = match d.pipe.take() {
                    Some(p) => ConnEnd::Persistent(p, d.wake.clone(), d.had_connection),
                    None => ConnEnd::Fresh(d.wake.clone()),
                };
                d.conn = Some(cid);
                if let Some(s) = d.socket.upgrade() {
                    s.emit(EVENT_CONNECT_DELAYED, libc::EINPROGRESS as u32, &d.endpoint);
                }
                let mut conn = Conn::new(
                    stream,
                    d.endpoint.clone(),
                    Origin::Dialer(id),
                    d.socket.clone(),
                    d.cfg.clone(),
                    end,
                );
                if let Some(deadline) = d.lingering {
                    conn.start_linger(
                        deadline.map(|t| t.saturating_duration_since(Instant::now())),
                    );
                }
                self.register_conn(cid, conn);
            }
            Err(_) => self.schedule_redial(id),
        }
    }

    fn schedule_redial(&mut self, id: usize) {
        let Some(d) = self.dialers.get_mut(&id) else {
            return;
        };
        d.conn = None;
        match d.cfg.reconnect_ivl {
            None => {
                // Reconnection is off: the endpoint is done.
                if let Some(p) = d.pipe.take() {
                    p.shut();
                }
            }
            Some(base) => {
                d.next_attempt = Some(Instant::now() + d.backoff);
                if let Some(s) = d.socket.upgrade() {
                    s.emit(
                        EVENT_CONNECT_RETRIED,
                        d.backoff.as_millis() as u32,
                        &d.endpoint,
                    );
                }
                if d.cfg.reconnect_ivl_max > base {
                    d.backoff = (d.backoff * 2).min(d.cfg.reconnect_ivl_max);
                }
            }
        }
    }

    fn on_event(&mut self, id: usize, readable: bool, writable: bool, read_closed: bool) {
        if self.listeners.contains_key(&id) {
            self.accept(id);
        } else if let Some(c) = self.conns.get_mut(&id) {
            c.note_readiness(readable, writable, read_closed);
            self.drive(id);
        }
    }

    /// A pipe woke us: `id` is a connection, or a dialer whose connection does the work.
    fn on_pipe_activity(&mut self, id: usize) {
        let target = if let Some(d) = self.dialers.get(&id) {
            d.wake.queued.store(false, SeqCst);
            match d.conn {
                Some(c) => c,
                None => {
                    // Not connected: the socket closed the pipe, or just queued messages.
                    if d.pipe.as_ref().is_some_and(|p| p.rx.is_finished()) {
                        self.remove(id, Some(Duration::ZERO));
                    }
                    return;
                }
            }
        } else if self.conns.contains_key(&id) {
            id
        } else {
            // A connection that outlived its dialer (it lingers after close or
            // disconnect) still wakes under the dialer's id.
            match self.conns.iter().find(|(_, c)| c.wake_id() == id) {
                Some((&cid, _)) => cid,
                None => return,
            }
        };
        if let Some(c) = self.conns.get_mut(&target) {
            c.clear_wake_flag();
            self.drive(target);
        }
    }

    /// Lets a connection do all the work it can; closes it if it is finished.
    fn drive(&mut self, id: usize) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let mut reconnected = false;
        let alive = conn.drive(&mut || reconnected = true);
        if reconnected {
            if let Origin::Dialer(d) = conn.origin {
                if let Some(d) = self.dialers.get_mut(&d) {
                    d.backoff = d.cfg.reconnect_ivl.unwrap_or(d.backoff);
                    d.had_connection = true;
                }
            }
        }
        if !alive {
            self.close_conn(id);
        }
    }

    fn close_conn(&mut self, id: usize) {
        let Some(mut conn) = self.conns.remove(&id) else {
            return;
        };
        conn.report_disconnect();
        conn.deregister(self.poll.registry());
        match conn.origin {
            Origin::Dialer(did) if self.dialers.contains_key(&did) => {
                let pipe = conn.take_persistent_pipe();
                let mut delivered = false;
                if let Some(d) = self.dialers.get_mut(&did) {
                    d.conn = None;
                    delivered =
                        d.lingering.is_some() && pipe.as_ref().is_none_or(|p| p.rx.is_finished());
                    d.pipe = pipe;
                }
                if delivered {
                    self.drop_dialer(did);
                } else {
                    self.schedule_redial(did);
                }
            }
            _ => conn.abandon_pipe(),
        }
    }

    fn run_timers(&mut self) {
        let now = Instant::now();
        let (mut due_dialers, mut expired) = (Vec::new(), Vec::new());
        for (&id, d) in &self.dialers {
            if d.next_attempt.is_some_and(|t| t <= now) {
                due_dialers.push(id);
            }
            if d.lingering.flatten().is_some_and(|t| t <= now) {
                expired.push(id);
            }
        }
        for id in due_dialers {
            self.dial(id);
        }
        for id in expired {
            self.drop_dialer(id);
        }
        let due_conns: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, c)| c.next_deadline().is_some_and(|t| t <= now))
            .map(|(k, _)| *k)
            .collect();
        for id in due_conns {
            let alive = self.conns.get_mut(&id).is_some_and(|c| c.on_timer(now));
            if alive {
                self.drive(id);
            } else {
                self.close_conn(id);
            }
        }
    }
}
