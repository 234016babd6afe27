//! `ZMQ::Socket` (rbczmq-api.md sections 2.2, 3 and 4): lifecycle and state, bind/connect,
//! send/recv, options. The subclasses and the Ruby-level sugar (bind/connect with the SRV
//! step, `to_s`, the unsupported-API stubs, frames and messages) are in lib/zmq/socket*.
//!
//! Blocking calls never hold the GVL: they try the operation without waiting, and when
//! it would block they wait for the socket's readiness fd through Ruby's IO wait (see
//! wait.rs), then try again, until it succeeds or the rcvtimeo/sndtimeo deadline passes.

use crate::context::CtxShared;
use crate::errors::{self, check_int, check_string, cstr_bytes, rule, set_errno, zmq_error};
use crate::wait;
use bytes::Bytes;
use magnus::{
    gc, method, prelude::*, rb_sys::AsRawValue, typed_data::Obj, value::Opaque, DataTypeFunctions,
    Error, RArray, RClass, RHash, RModule, RString, Ruby, Symbol, TypedData, Value,
};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering::SeqCst};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use zmq_engine::msg::Metadata;
use zmq_engine::{OptionValue, SocketOption, SocketType, POLLIN, POLLOUT};

pub const PENDING: i32 = 1;
pub const BOUND: i32 = 2;
pub const CONNECTED: i32 = 4;
pub const DISCONNECTED: i32 = 8;

/// Ruby class names of the socket types, indexed by type number.
const CLASS_NAMES: [&str; 12] = [
    "Pair", "Pub", "Sub", "Req", "Rep", "Dealer", "Router", "Pull", "Push", "XPub", "XSub",
    "Stream",
];

/// The engine socket plus the "destroyed" mark its context can set from `destroy`.
pub struct SockShared {
    engine: zmq_engine::Socket,
    destroyed: AtomicBool,
}

impl SockShared {
    pub fn new(engine: zmq_engine::Socket) -> Self {
        SockShared {
            engine,
            destroyed: AtomicBool::new(false),
        }
    }

    pub fn is_destroyed(&self) -> bool {
        self.destroyed.load(SeqCst)
    }

    /// Marks destroyed and closes with `linger` ms. Idempotent across socket, context
    /// and GC.
    pub fn close(&self, linger: i32) {
        if !self.destroyed.swap(true, SeqCst) {
            self.engine.close_with_linger(linger);
        }
    }
}

#[derive(TypedData)]
#[magnus(class = "ZMQ::Socket", mark, size)]
pub struct Socket {
    shared: Arc<SockShared>,
    ctx: Arc<CtxShared>,
    /// The `ZMQ::Context` object, kept alive by the socket.
    context: Opaque<Value>,
    /// The `endpoints` Array (always the same object).
    endpoints: Opaque<RArray>,
    /// `IO.for_fd(input readiness fd)`, made on first wait.
    io: OnceLock<Opaque<Value>>,
    /// `IO.for_fd(room-to-send readiness fd)`, made on first blocked send.
    out_io: OnceLock<Opaque<Value>>,
    state: AtomicI32,
    verbose: AtomicBool,
    kind: SocketType,
    /// A view of another object's engine socket (`Beacon#pipe`): its `close` and GC only
    /// mark this object destroyed and never close the engine socket.
    detached: bool,
}

impl DataTypeFunctions for Socket {
    fn mark(&self, marker: &gc::Marker) {
        marker.mark(self.context);
        marker.mark(self.endpoints);
        for io in [self.io.get(), self.out_io.get()].into_iter().flatten() {
            marker.mark(*io);
        }
    }
}

impl Drop for Socket {
    /// A socket collected without `close` is closed with its context's linger. The
    /// engine's close takes only short internal locks and never calls Ruby. In a forked
    /// child the engine state belongs to the parent and is left alone.
    fn drop(&mut self) {
        if !self.ctx.in_owner_process() {
            std::mem::forget(self.shared.clone());
            return;
        }
        if self.detached {
            self.shared.destroyed.store(true, SeqCst);
            return;
        }
        self.shared.close(self.ctx.linger.load(SeqCst));
    }
}

/// Wraps a new engine socket in the Ruby subclass for its type, in PENDING state.
pub fn wrap(
    ruby: &Ruby,
    shared: Arc<SockShared>,
    ctx: Arc<CtxShared>,
    context: Value,
    kind: SocketType,
) -> Result<Value, Error> {
    let base = Socket::class(ruby);
    let class: RClass = base.const_get(CLASS_NAMES[kind.number() as usize])?;
    let sock = Socket {
        shared,
        ctx,
        context: context.into(),
        endpoints: ruby.ary_new().into(),
        io: OnceLock::new(),
        out_io: OnceLock::new(),
        state: AtomicI32::new(PENDING),
        verbose: AtomicBool::new(false),
        kind,
        detached: false,
    };
    Ok(ruby.obj_wrap_as(sock, class).as_value())
}

/// How an option is read and written from Ruby.
#[derive(Clone, Copy, PartialEq)]
enum OptKind {
    Int,
    Bool,
}

/// The Ruby-visible options (lib/zmq/socket.rb defines the accessors over these).
fn option_named(name: &str) -> Option<(SocketOption, OptKind)> {
    use OptKind::*;
    use SocketOption as O;
    Some(match name {
        "sndhwm" => (O::SndHwm, Int),
        "rcvhwm" => (O::RcvHwm, Int),
        "affinity" => (O::Affinity, Int),
        "rate" => (O::Rate, Int),
        "recovery_ivl" => (O::RecoveryIvl, Int),
        "maxmsgsize" => (O::MaxMsgSize, Int),
        "multicast_hops" => (O::MulticastHops, Int),
        "sndbuf" => (O::SndBuf, Int),
        "rcvbuf" => (O::RcvBuf, Int),
        "linger" => (O::Linger, Int),
        "backlog" => (O::Backlog, Int),
        "reconnect_ivl" => (O::ReconnectIvl, Int),
        "reconnect_ivl_max" => (O::ReconnectIvlMax, Int),
        "rcvtimeo" => (O::RcvTimeo, Int),
        "sndtimeo" => (O::SndTimeo, Int),
        "ipv4only" => (O::Ipv4Only, Bool),
        "delay_attach_on_connect" => (O::Immediate, Bool),
        "router_mandatory" => (O::RouterMandatory, Bool),
        "router_raw" => (O::RouterRaw, Bool),
        "stream_notify" => (O::StreamNotify, Bool),
        "xpub_verbose" => (O::XpubVerbose, Bool),
        _ => return None,
    })
}

fn int_of(v: OptionValue) -> i64 {
    match v {
        OptionValue::Int(i) => i,
        OptionValue::Bytes(_) => 0,
    }
}

impl Socket {
    pub(crate) fn engine(&self) -> &zmq_engine::Socket {
        &self.shared.engine
    }

    /// ZMQ::Error unless the socket is alive.
    pub(crate) fn alive(ruby: &Ruby, rb_self: &Obj<Socket>) -> Result<(), Error> {
        rb_self.check_alive(ruby, rb_self.as_value())
    }

    /// [`Socket::alive`] for a socket reached through its Ruby object `value`.
    pub(crate) fn check_alive(&self, ruby: &Ruby, value: Value) -> Result<(), Error> {
        if self.shared.is_destroyed() || (self.detached && self.engine().is_closed()) {
            return Err(zmq_error(
                ruby,
                format!(
                    "ZMQ::Socket instance {:#018x} has been destroyed by the ZMQ framework",
                    value.as_raw()
                ),
            ));
        }
        Ok(())
    }

    fn bound_or_connected(&self) -> bool {
        matches!(self.state.load(SeqCst), BOUND | CONNECTED)
    }

    /// Checks for the send and receive families: alive, then bound or connected (else
    /// "can only `verb` on a bound or connected socket!").
    fn can_use(&self, ruby: &Ruby, value: Value, verb: &str) -> Result<(), Error> {
        self.check_alive(ruby, value)?;
        if !self.bound_or_connected() {
            return Err(zmq_error(
                ruby,
                format!("can only {verb} on a bound or connected socket!"),
            ));
        }
        Ok(())
    }

    fn can_send(&self, ruby: &Ruby, value: Value) -> Result<(), Error> {
        self.can_use(ruby, value, "send")
    }

    fn can_recv(&self, ruby: &Ruby, value: Value) -> Result<(), Error> {
        self.can_use(ruby, value, "receive")
    }

    /// The Socket inside `value`: the receiver of a send or receive call, or a socket
    /// handed to a poll.
    ///
    /// Those per-message paths take a plain `Value` and come here instead of taking an
    /// `Obj<Socket>`, because magnus checks an `Obj` argument's type with
    /// `rb_check_typeddata` under `rb_protect` (it raises on a mismatch): about 20 ns on
    /// every call, a tenth of a small `recv`. `rb_typeddata_is_kind_of` asks the same
    /// question without raising.
    pub(crate) fn receiver<'v>(ruby: &Ruby, value: &'v Value) -> Result<&'v Socket, Error> {
        let data_type: *const rb_sys::rb_data_type_t =
            (<Socket as TypedData>::data_type() as *const magnus::DataType).cast();
        let raw = value.as_raw();
        // SAFETY: `DataType` is `repr(transparent)` over `rb_data_type_t`, so the cast
        // above points at the type Ruby tagged our objects with; the call only reads
        // the object's header and never raises.
        if unsafe { rb_sys::rb_typeddata_is_kind_of(raw, data_type) } == 0 {
            return Err(Error::new(
                ruby.exception_type_error(),
                "no implicit conversion into ZMQ::Socket",
            ));
        }
        // SAFETY: an object of Socket's data type wraps a Socket, which lives as long as
        // the object; the object is this method call's receiver, alive (and referenced
        // from the stack) for as long as the borrow of `value` lasts.
        Ok(unsafe { &*rb_sys::RTYPEDDATA_GET_DATA(raw).cast::<Socket>() })
    }

    fn endpoints_ary(&self, ruby: &Ruby) -> RArray {
        ruby.get_inner(self.endpoints)
    }

    /// The IO over the input readiness fd (made once).
    fn io(&self, ruby: &Ruby) -> Result<Value, Error> {
        Self::io_over(ruby, &self.io, self.engine().fd())
    }

    /// The IO over the room-to-send readiness fd (made once).
    fn out_io(&self, ruby: &Ruby) -> Result<Value, Error> {
        Self::io_over(ruby, &self.out_io, self.engine().out_fd())
    }

    fn io_over(ruby: &Ruby, slot: &OnceLock<Opaque<Value>>, fd: i32) -> Result<Value, Error> {
        if let Some(io) = slot.get() {
            return Ok(ruby.get_inner(*io));
        }
        let io = wait::io_for_fd(ruby, fd)?;
        let _ = slot.set(io.into());
        Ok(ruby.get_inner(*slot.get().expect("set just above")))
    }

    fn log(&self, what: impl std::fmt::Display) {
        if self.verbose.load(SeqCst) {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "I: {} socket: {what}", self.kind);
            let _ = out.flush();
        }
    }

    /// Runs `op` (which must not wait) until it stops reporting EAGAIN, waiting for the
    /// readiness fd in between, up to the `timeout` option's deadline. The engine clears
    /// the fd before its final re-check on EAGAIN, so a wake-up cannot be missed.
    fn blocking<T>(
        &self,
        ruby: &Ruby,
        timeout: SocketOption,
        mut op: impl FnMut() -> zmq_engine::Result<T>,
    ) -> Result<zmq_engine::Result<T>, Error> {
        let mut deadline: Option<Option<Instant>> = None;
        loop {
            match op() {
                Err(e) if e.is_again() => {}
                done => return Ok(done),
            }
            let d = *deadline.get_or_insert_with(|| {
                let ms = self.engine().get_option(timeout).map(int_of).unwrap_or(-1);
                wait::deadline_after(ms)
            });
            if d.is_some_and(|d| Instant::now() >= d) {
                return Ok(Err(zmq_engine::Error::again()));
            }
            if timeout == SocketOption::SndTimeo {
                // Senders and receivers wait on separate fds, so neither clears the
                // other's wake-up.
                wait::readable(ruby, self.out_io(ruby)?, d)?;
                continue;
            }
            let started = Instant::now();
            if crate::poll_spin::spin_for_any_input(&[self.engine()], d) {
                continue;
            }
            wait::readable(ruby, self.io(ruby)?, d)?;
            self.engine().note_input_wait(started.elapsed());
        }
    }

    // ----- lifecycle -----------------------------------------------------------------

    fn close(ruby: &Ruby, rb_self: Obj<Socket>) -> Result<(), Error> {
        Self::alive(ruby, &rb_self)?;
        rb_self.state.store(DISCONNECTED, SeqCst);
        if rb_self.detached {
            rb_self.shared.destroyed.store(true, SeqCst);
        } else {
            rb_self.shared.close(rb_self.ctx.linger.load(SeqCst));
        }
        Ok(())
    }

    fn state(ruby: &Ruby, rb_self: Obj<Socket>) -> Result<i32, Error> {
        Self::alive(ruby, &rb_self)?;
        Ok(rb_self.state.load(SeqCst))
    }

    fn is_destroyed(&self) -> bool {
        self.shared.is_destroyed()
    }

    fn context(ruby: &Ruby, rb_self: Obj<Socket>) -> Value {
        ruby.get_inner(rb_self.context)
    }

    fn endpoints(ruby: &Ruby, rb_self: Obj<Socket>) -> Result<RArray, Error> {
        Self::alive(ruby, &rb_self)?;
        Ok(rb_self.endpoints_ary(ruby))
    }

    fn last_endpoint(ruby: &Ruby, rb_self: Obj<Socket>) -> Result<RString, Error> {
        Self::alive(ruby, &rb_self)?;
        Ok(ruby.str_from_slice(rb_self.engine().last_endpoint().as_bytes()))
    }

    /// `fd`/`to_i`: -1 unless bound or connected.
    fn fd(ruby: &Ruby, rb_self: Obj<Socket>) -> Result<i64, Error> {
        Self::alive(ruby, &rb_self)?;
        if !rb_self.bound_or_connected() {
            return Ok(-1);
        }
        Ok(rb_self.engine().fd() as i64)
    }

    fn events(ruby: &Ruby, rb_self: Obj<Socket>) -> Result<u32, Error> {
        Self::alive(ruby, &rb_self)?;
        Ok(rb_self.engine().events())
    }

    fn rcvmore(ruby: &Ruby, rb_self: Obj<Socket>) -> Result<bool, Error> {
        Self::alive(ruby, &rb_self)?;
        Ok(rb_self.engine().rcvmore())
    }

    fn set_verbose(ruby: &Ruby, rb_self: Obj<Socket>, v: Value) -> Result<(), Error> {
        Self::alive(ruby, &rb_self)?;
        let on = v.is_kind_of(ruby.class_true_class());
        rb_self.verbose.store(on, SeqCst);
        Ok(())
    }

    /// `__io`: the IO over the readiness fd (for `ZMQ.proxy` and pollers).
    fn io_method(ruby: &Ruby, rb_self: Obj<Socket>) -> Result<Value, Error> {
        Self::alive(ruby, &rb_self)?;
        rb_self.io(ruby)
    }

    /// `__arm_in`: true if input is ready now; otherwise clears the readiness fd (and
    /// re-checks), so a following wait on `__io` wakes when input may have arrived.
    fn arm_in(ruby: &Ruby, rb_self: Obj<Socket>) -> Result<bool, Error> {
        Self::alive(ruby, &rb_self)?;
        Ok(rb_self.engine().events_or_arm(POLLIN) & POLLIN != 0)
    }

    /// `__out_io`: the IO over the room-to-send readiness fd (for pollers waiting for
    /// POLLOUT).
    fn out_io_method(ruby: &Ruby, rb_self: Obj<Socket>) -> Result<Value, Error> {
        Self::alive(ruby, &rb_self)?;
        rb_self.out_io(ruby)
    }

    /// `__arm_out`: true if there is room to send now; otherwise clears the room-to-send
    /// fd (and re-checks), so a following wait on `__out_io` wakes when room may appear.
    fn arm_out(ruby: &Ruby, rb_self: Obj<Socket>) -> Result<bool, Error> {
        Self::alive(ruby, &rb_self)?;
        Ok(rb_self.engine().events_or_arm(POLLOUT) & POLLOUT != 0)
    }

    /// `poll(timeout_ms)`: true if input arrives within the time (negative: for ever).
    fn poll(ruby: &Ruby, rb_self: Obj<Socket>, timeout: Value) -> Result<bool, Error> {
        Self::alive(ruby, &rb_self)?;
        let ms = check_int(ruby, timeout)?;
        let deadline = wait::deadline_after(ms);
        loop {
            if rb_self.engine().events_or_arm(POLLIN) & POLLIN != 0 {
                return Ok(true);
            }
            if rb_self.shared.is_destroyed() || deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
            let io = rb_self.io(ruby)?;
            wait::readable(ruby, io, deadline)?;
        }
    }

    // ----- bind / connect ------------------------------------------------------------

    /// `real_bind(uri)`: the port (see `bind_port`), or false on EAGAIN.
    fn real_bind(ruby: &Ruby, rb_self: Obj<Socket>, uri: Value) -> Result<Value, Error> {
        Self::alive(ruby, &rb_self)?;
        let uri = check_string(ruby, uri)?;
        let text = endpoint_text(ruby, uri)?;
        set_errno(0);
        let Some(resolved) = rule(ruby, rb_self.engine().bind(&text))? else {
            return Ok(ruby.qfalse().as_value());
        };
        rb_self.log(format_args!("bound to {resolved}"));
        rb_self
            .endpoints_ary(ruby)
            .push(ruby.str_from_slice(resolved.as_bytes()))?;
        rb_self.state.store(BOUND, SeqCst);
        Ok(ruby
            .integer_from_i64(bind_port(&text, &resolved))
            .as_value())
    }

    /// `real_connect(uri)`: true, or false on EAGAIN.
    fn real_connect(ruby: &Ruby, rb_self: Obj<Socket>, uri: Value) -> Result<bool, Error> {
        Self::alive(ruby, &rb_self)?;
        let uri = check_string(ruby, uri)?;
        let text = endpoint_text(ruby, uri)?;
        set_errno(0);
        if rule(ruby, rb_self.engine().connect(&text))?.is_none() {
            return Ok(false);
        }
        rb_self.log(format_args!("connected to {text}"));
        rb_self
            .endpoints_ary(ruby)
            .push(ruby.str_from_slice(text.as_bytes()))?;
        rb_self.state.store(CONNECTED, SeqCst);
        Ok(true)
    }

    fn disconnect(ruby: &Ruby, rb_self: Obj<Socket>, uri: Value) -> Result<bool, Error> {
        Self::remove_endpoint(ruby, rb_self, uri, false)
    }

    fn unbind(ruby: &Ruby, rb_self: Obj<Socket>, uri: Value) -> Result<bool, Error> {
        Self::remove_endpoint(ruby, rb_self, uri, true)
    }

    fn remove_endpoint(
        ruby: &Ruby,
        rb_self: Obj<Socket>,
        uri: Value,
        bound: bool,
    ) -> Result<bool, Error> {
        Self::alive(ruby, &rb_self)?;
        let uri = check_string(ruby, uri)?;
        let text = endpoint_text(ruby, uri)?;
        set_errno(0);
        let r = if bound {
            rb_self.engine().unbind(&text)
        } else {
            rb_self.engine().disconnect(&text)
        };
        if rule(ruby, r)?.is_none() {
            return Ok(false);
        }
        let endpoints = rb_self.endpoints_ary(ruby);
        let _: Value = endpoints.funcall("delete", (uri,))?;
        if endpoints.is_empty() {
            rb_self.state.store(DISCONNECTED, SeqCst);
        }
        Ok(true)
    }

    // ----- send / recv ---------------------------------------------------------------

    /// Sends one part (held until the last part when `more`); true, false on EAGAIN.
    fn send_bytes(
        ruby: &Ruby,
        this: &Socket,
        data: Bytes,
        more: bool,
        dontwait: bool,
    ) -> Result<bool, Error> {
        set_errno(0);
        let len = data.len();
        let engine = this.engine();
        // A `more` part is only queued (it never reports EAGAIN), so only a final part
        // needs the retry loop; the engine hands the part back on each EAGAIN.
        let r = if dontwait || more {
            engine.send_part(data, more, true)
        } else {
            let mut pending = Some(data);
            this.blocking(ruby, SocketOption::SndTimeo, || {
                let part = pending.take().expect("part present until sent");
                match engine.try_send_final_part(part) {
                    Ok(None) => Ok(()),
                    Ok(Some(back)) => {
                        pending = Some(back);
                        Err(zmq_engine::Error::again())
                    }
                    Err(e) => Err(e),
                }
            })?
        };
        let sent = rule(ruby, r)?.is_some();
        if sent {
            this.log(format_args!(
                "sent {len} bytes{}",
                if more { " (more)" } else { "" }
            ));
        }
        Ok(sent)
    }

    fn string_arg(v: Value) -> Result<Bytes, Error> {
        // `to_str` coercion, as StringValue does: Frames and other String-likes work.
        let s = RString::try_convert(v)?;
        // SAFETY: the borrowed bytes are copied at once, with no Ruby call (and so no GC
        // or string mutation) in between.
        Ok(zmq_engine::msg::copy_bytes(unsafe { s.as_slice() }))
    }

    fn send(ruby: &Ruby, rb_self: Value, data: Value) -> Result<bool, Error> {
        let this = Self::receiver(ruby, &rb_self)?;
        this.can_send(ruby, rb_self)?;
        let data = Self::string_arg(data)?;
        Self::send_bytes(ruby, this, data, false, false)
    }

    fn sendm(ruby: &Ruby, rb_self: Value, data: Value) -> Result<bool, Error> {
        let this = Self::receiver(ruby, &rb_self)?;
        this.can_send(ruby, rb_self)?;
        let data = Self::string_arg(data)?;
        Self::send_bytes(ruby, this, data, true, false)
    }

    /// `__send_part(data, more, dontwait)`: for `send_frame`/`send_message`.
    fn send_part(
        ruby: &Ruby,
        rb_self: Value,
        data: Value,
        more: bool,
        dontwait: bool,
    ) -> Result<bool, Error> {
        let this = Self::receiver(ruby, &rb_self)?;
        this.can_send(ruby, rb_self)?;
        let data = Self::string_arg(data)?;
        Self::send_bytes(ruby, this, data, more, dontwait)
    }

    /// One part, received through `op` (an engine receive that never waits itself) and
    /// waited for unless `dontwait`: the String, whether more parts follow, and whatever
    /// else `op` returns. `None` on any engine error (rbczmq's recv returns nil), whose
    /// errno `ZMQ.errno` then reports.
    fn receive<T>(
        ruby: &Ruby,
        this: &Socket,
        dontwait: bool,
        mut op: impl FnMut(&zmq_engine::Socket) -> zmq_engine::Result<(Bytes, bool, T)>,
    ) -> Result<Option<(RString, bool, T)>, Error> {
        set_errno(0);
        let engine = this.engine();
        let r = if dontwait {
            op(engine)
        } else {
            this.blocking(ruby, SocketOption::RcvTimeo, || op(engine))?
        };
        match r {
            Ok((part, more, extra)) => {
                this.log(format_args!(
                    "received {} bytes{}",
                    part.len(),
                    if more { " (more)" } else { "" }
                ));
                Ok(Some((ruby.str_from_slice(&part), more, extra)))
            }
            Err(e) => {
                set_errno(e.errno());
                Ok(None)
            }
        }
    }

    /// `recv` and `recv_nonblock`, the calls every receive loop makes: unlike
    /// `__recv_part` they leave the connection's metadata alone.
    fn recv_data(ruby: &Ruby, rb_self: Value, dontwait: bool) -> Result<Option<RString>, Error> {
        let this = Self::receiver(ruby, &rb_self)?;
        this.can_recv(ruby, rb_self)?;
        let part = Self::receive(ruby, this, dontwait, |engine| {
            engine.recv_part(true).map(|(part, more)| (part, more, ()))
        })?;
        Ok(part.map(|(data, _, ())| data))
    }

    fn recv(ruby: &Ruby, rb_self: Value) -> Result<Option<RString>, Error> {
        Self::recv_data(ruby, rb_self, false)
    }

    fn recv_nonblock(ruby: &Ruby, rb_self: Value) -> Result<Option<RString>, Error> {
        Self::recv_data(ruby, rb_self, true)
    }

    /// `__recv_part(dontwait)`: `[data, more, properties]` or nil, for `recv_frame` and
    /// `recv_message`. `properties` is a frozen Hash of the connection's metadata
    /// (name => value), or nil when the connection has none (plain NULL).
    fn recv_part(
        ruby: &Ruby,
        rb_self: Value,
        dontwait: bool,
    ) -> Result<Option<(RString, bool, Option<RHash>)>, Error> {
        let this = Self::receiver(ruby, &rb_self)?;
        this.can_recv(ruby, rb_self)?;
        let Some((data, more, meta)) = Self::receive(ruby, this, dontwait, |engine| {
            engine.recv_part_with_metadata(true)
        })?
        else {
            return Ok(None);
        };
        let properties = match meta {
            None => None,
            Some(meta) => Some(properties_hash(ruby, &meta)?),
        };
        Ok(Some((data, more, properties)))
    }

    // ----- monitor -------------------------------------------------------------------

    /// `__monitor(endpoint, events)`: sends this socket's events in the `events` mask
    /// (plus MONITOR_STOPPED, which ends the reader) to a PAIR bound at the inproc
    /// `endpoint`; true, or false when the engine refuses (e.g. not inproc), as
    /// zmq_socket_monitor. `__monitor(nil, 0)` stops monitoring, also on a closed socket.
    /// lib/zmq/monitor.rb runs the reader thread.
    fn monitor(
        ruby: &Ruby,
        rb_self: Obj<Socket>,
        endpoint: Value,
        events: Value,
    ) -> Result<bool, Error> {
        if endpoint.is_nil() {
            return Ok(rb_self.engine().monitor(None, 0).is_ok());
        }
        Self::alive(ruby, &rb_self)?;
        let endpoint = endpoint_text(ruby, check_string(ruby, endpoint)?)?;
        let mask = check_int(ruby, events)? as u32 | zmq_engine::monitor::EVENT_MONITOR_STOPPED;
        set_errno(0);
        match rb_self.engine().monitor(Some(&endpoint), mask) {
            Ok(()) => Ok(true),
            Err(e) => {
                set_errno(e.errno());
                Ok(false)
            }
        }
    }

    /// `__detached_view`: a new object of the same class over the same engine socket,
    /// BOUND, with no context object; its `close` and GC only mark it destroyed
    /// (`Beacon#pipe`).
    fn detached_view(ruby: &Ruby, rb_self: Obj<Socket>) -> Result<Value, Error> {
        Self::alive(ruby, &rb_self)?;
        let view = Socket {
            shared: Arc::new(SockShared::new(rb_self.engine().clone())),
            ctx: rb_self.ctx.clone(),
            context: ruby.qnil().as_value().into(),
            endpoints: ruby.ary_new().into(),
            io: OnceLock::new(),
            out_io: OnceLock::new(),
            state: AtomicI32::new(BOUND),
            verbose: AtomicBool::new(false),
            kind: rb_self.kind,
            detached: true,
        };
        Ok(ruby.obj_wrap_as(view, rb_self.class()).as_value())
    }

    // ----- options -------------------------------------------------------------------

    fn option(ruby: &Ruby, name: Symbol) -> Result<(SocketOption, OptKind), Error> {
        let name = name.name()?;
        option_named(&name).ok_or_else(|| {
            Error::new(
                ruby.exception_arg_error(),
                format!("unknown socket option {name}"),
            )
        })
    }

    /// `__getopt(name)`: Integer, or true/false for boolean options.
    fn getopt(ruby: &Ruby, rb_self: Obj<Socket>, name: Symbol) -> Result<Value, Error> {
        Self::alive(ruby, &rb_self)?;
        let (opt, kind) = Self::option(ruby, name)?;
        if opt == SocketOption::Linger {
            // rbczmq reports -1: the linger used is always the context's, set at close.
            return Ok(ruby.integer_from_i64(-1).as_value());
        }
        let value = match rule(ruby, rb_self.engine().get_option(opt))? {
            Some(v) => int_of(v),
            None => return Ok(ruby.qfalse().as_value()),
        };
        Ok(match (kind, opt) {
            (OptKind::Bool, _) => ruby.into_value(value != 0),
            // libzmq 4.0 (which rbczmq bundles) reports the "OS default" buffer size as 0.
            (_, SocketOption::SndBuf | SocketOption::RcvBuf) if value < 0 => {
                ruby.integer_from_i64(0).as_value()
            }
            _ => ruby.integer_from_i64(value).as_value(),
        })
    }

    /// `__setopt(name, value)`: Integer options need an Integer, boolean ones exactly
    /// true or false; values the engine refuses raise `Errno::EINVAL`.
    fn setopt(ruby: &Ruby, rb_self: Obj<Socket>, name: Symbol, v: Value) -> Result<(), Error> {
        Self::alive(ruby, &rb_self)?;
        let (opt, kind) = Self::option(ruby, name)?;
        let value = match kind {
            OptKind::Int => OptionValue::Int(check_int(ruby, v)?),
            OptKind::Bool => {
                if v.is_kind_of(ruby.class_true_class()) {
                    OptionValue::Int(1)
                } else if v.is_kind_of(ruby.class_false_class()) {
                    OptionValue::Int(0)
                } else {
                    let text: String = v.funcall("to_s", ())?;
                    return Err(Error::new(
                        ruby.exception_type_error(),
                        format!("wrong argument {text} (expected true or false)"),
                    ));
                }
            }
        };
        rule(ruby, rb_self.engine().set_option(opt, value))?;
        Ok(())
    }

    fn option_refused(ruby: &Ruby, kind: SocketType) -> Error {
        zmq_error(
            ruby,
            format!("Socket option not supported on a {kind} socket!"),
        )
    }

    /// `identity=`: 1..255 bytes, no NUL; REQ, REP, DEALER, ROUTER and STREAM only.
    fn set_identity(ruby: &Ruby, rb_self: Obj<Socket>, v: Value) -> Result<(), Error> {
        Self::alive(ruby, &rb_self)?;
        let id = cstr_bytes(ruby, check_string(ruby, v)?)?;
        if id.is_empty() {
            return Err(zmq_error(ruby, "socket identity cannot be empty."));
        }
        if id.len() > 255 {
            return Err(zmq_error(ruby, "maximum socket identity is 255 chars."));
        }
        use SocketType::*;
        if !matches!(rb_self.kind, Req | Rep | Dealer | Router | Stream) {
            return Err(Self::option_refused(ruby, rb_self.kind));
        }
        rule(
            ruby,
            rb_self
                .engine()
                .set_option(SocketOption::Identity, OptionValue::Bytes(id)),
        )?;
        Ok(())
    }

    fn subscription(
        ruby: &Ruby,
        rb_self: Obj<Socket>,
        v: Value,
        opt: SocketOption,
    ) -> Result<(), Error> {
        Self::alive(ruby, &rb_self)?;
        if rb_self.kind != SocketType::Sub {
            return Err(Self::option_refused(ruby, rb_self.kind));
        }
        let topic = cstr_bytes(ruby, check_string(ruby, v)?)?;
        rule(
            ruby,
            rb_self.engine().set_option(opt, OptionValue::Bytes(topic)),
        )?;
        Ok(())
    }

    fn subscribe(ruby: &Ruby, rb_self: Obj<Socket>, v: Value) -> Result<(), Error> {
        Self::subscription(ruby, rb_self, v, SocketOption::Subscribe)
    }

    fn unsubscribe(ruby: &Ruby, rb_self: Obj<Socket>, v: Value) -> Result<(), Error> {
        Self::subscription(ruby, rb_self, v, SocketOption::Unsubscribe)
    }
}

/// A connection's metadata as a frozen Hash of frozen binary Strings.
fn properties_hash(ruby: &Ruby, meta: &Metadata) -> Result<RHash, Error> {
    let hash = ruby.hash_new();
    for (name, value) in meta.iter() {
        let value = ruby.str_from_slice(value);
        value.freeze();
        // Hash#[]= freezes a String key itself.
        hash.aset(ruby.str_new(name), value)?;
    }
    hash.freeze();
    Ok(hash)
}

/// The text of an endpoint argument; invalid UTF-8 cannot name an endpoint (EINVAL).
fn endpoint_text(ruby: &Ruby, uri: RString) -> Result<String, Error> {
    String::from_utf8(uri.to_bytes().to_vec()).map_err(|_| {
        set_errno(libc::EINVAL);
        errors::syscall_error(ruby, libc::EINVAL)
    })
}

/// rbczmq's bind return value: the real port for a `:*` ending, otherwise the number
/// after the last `:` as C's `atoi` reads it (0 for inproc/ipc and for `:0`).
fn bind_port(requested: &str, resolved: &str) -> i64 {
    let text = if requested.ends_with(":*") {
        resolved
    } else {
        requested
    };
    let tail = text.rsplit_once(':').map_or("", |(_, t)| t);
    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// `ZMQ.__proxy(frontend, backend, capture)`: runs the engine's proxy on a helper thread
/// (no GVL involved) while this thread waits for it through Ruby's IO wait, so Ctrl-C,
/// `Thread#raise` and `Timeout` interrupt it. Returns -1 once the context is terminated
/// or a socket closed, as zmq_proxy does.
fn proxy(
    ruby: &Ruby,
    frontend: Obj<Socket>,
    backend: Obj<Socket>,
    capture: Option<Obj<Socket>>,
) -> Result<i64, Error> {
    Socket::alive(ruby, &frontend)?;
    Socket::alive(ruby, &backend)?;
    if let Some(c) = &capture {
        Socket::alive(ruby, c)?;
    }
    let os_error =
        |e: std::io::Error| errors::syscall_error(ruby, e.raw_os_error().unwrap_or(libc::EIO));
    let stop = Arc::new(zmq_engine::signal::Signal::new().map_err(os_error)?);
    let (done_rx, done_tx) = std::os::unix::net::UnixStream::pair().map_err(os_error)?;
    let (f, b) = (frontend.engine().clone(), backend.engine().clone());
    let c = capture.as_ref().map(|c| c.engine().clone());
    let stop_for_proxy = stop.clone();
    std::thread::Builder::new()
        .name("zmq-rs-proxy".into())
        .spawn(move || {
            let result = zmq_engine::proxy(&f, &b, c.as_ref(), Some(&stop_for_proxy));
            drop(done_tx); // EOF on done_rx: the proxy is over
            result
        })
        .map_err(os_error)?;
    let io = wait::io_for_fd(ruby, std::os::fd::AsRawFd::as_raw_fd(&done_rx))?;
    loop {
        match wait::readable(ruby, io, None) {
            Ok(true) => return Ok(-1),
            Ok(false) => {}
            Err(interrupt) => {
                // Stop the proxy and give it a moment to finish its current message, so
                // the sockets are free again when the exception reaches the caller.
                stop.raise();
                let _ = wait::readable(ruby, io, wait::deadline_after(100));
                return Err(interrupt);
            }
        }
    }
}

pub fn init(ruby: &Ruby, zmq: RModule) -> Result<(), Error> {
    let class = zmq.define_class("Socket", ruby.class_object())?;
    class.undef_default_alloc_func();
    class.const_set("PENDING", PENDING)?;
    class.const_set("BOUND", BOUND)?;
    class.const_set("CONNECTED", CONNECTED)?;
    class.const_set("DISCONNECTED", DISCONNECTED)?;

    class.define_method("close", method!(Socket::close, 0))?;
    class.define_method("state", method!(Socket::state, 0))?;
    class.define_method("__destroyed?", method!(Socket::is_destroyed, 0))?;
    class.define_method("__context", method!(Socket::context, 0))?;
    class.define_method("endpoints", method!(Socket::endpoints, 0))?;
    class.define_method("last_endpoint", method!(Socket::last_endpoint, 0))?;
    class.define_method("fd", method!(Socket::fd, 0))?;
    class.define_method("to_i", method!(Socket::fd, 0))?;
    class.define_method("events", method!(Socket::events, 0))?;
    class.define_method("rcvmore?", method!(Socket::rcvmore, 0))?;
    class.define_method("verbose=", method!(Socket::set_verbose, 1))?;
    class.define_method("poll", method!(Socket::poll, 1))?;
    class.define_method("__io", method!(Socket::io_method, 0))?;
    class.define_method("__arm_in", method!(Socket::arm_in, 0))?;
    class.define_method("__out_io", method!(Socket::out_io_method, 0))?;
    class.define_method("__arm_out", method!(Socket::arm_out, 0))?;

    class.define_method("real_bind", method!(Socket::real_bind, 1))?;
    class.define_method("real_connect", method!(Socket::real_connect, 1))?;
    class.define_method("disconnect", method!(Socket::disconnect, 1))?;
    class.define_method("unbind", method!(Socket::unbind, 1))?;

    class.define_method("send", method!(Socket::send, 1))?;
    class.define_method("sendm", method!(Socket::sendm, 1))?;
    class.define_method("__send_part", method!(Socket::send_part, 3))?;
    class.define_method("recv", method!(Socket::recv, 0))?;
    class.define_method("recv_nonblock", method!(Socket::recv_nonblock, 0))?;
    class.define_method("__recv_part", method!(Socket::recv_part, 1))?;

    class.define_method("__getopt", method!(Socket::getopt, 1))?;
    class.define_method("__setopt", method!(Socket::setopt, 2))?;
    class.define_method("identity=", method!(Socket::set_identity, 1))?;
    class.define_method("subscribe", method!(Socket::subscribe, 1))?;
    class.define_method("unsubscribe", method!(Socket::unsubscribe, 1))?;
    class.define_method("__monitor", method!(Socket::monitor, 2))?;
    class.define_method("__detached_view", method!(Socket::detached_view, 0))?;

    zmq.define_singleton_method("__proxy", magnus::function!(proxy, 3))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::bind_port;

    #[test]
    fn bind_port_follows_rbczmq() {
        assert_eq!(bind_port("tcp://*:*", "tcp://0.0.0.0:49152"), 49152);
        assert_eq!(
            bind_port("tcp://127.0.0.1:5555", "tcp://127.0.0.1:5555"),
            5555
        );
        assert_eq!(bind_port("tcp://127.0.0.1:0", "tcp://127.0.0.1:40000"), 0);
        assert_eq!(bind_port("inproc://a", "inproc://a"), 0);
        assert_eq!(bind_port("ipc:///tmp/x", "ipc:///tmp/x"), 0);
        assert_eq!(bind_port("inproc://a:12", "inproc://a:12"), 12);
    }
}
