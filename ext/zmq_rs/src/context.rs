//! `ZMQ::Context` (rbczmq-api.md section 2.1). The per-process registry, `new` and
//! `destroy`'s bookkeeping live in lib/zmq/context.rb; this file owns the engine context,
//! the list of sockets to close on destroy, and the checks every C method makes.

use crate::errors::{check_int, zmq_error};
use crate::socket::{self, SockShared};
use crate::wait;
use magnus::{
    function, method, prelude::*, rb_sys::AsRawValue, typed_data::Obj, Error, RModule, Ruby,
    Symbol, Value,
};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering::SeqCst};
use std::sync::{Arc, Mutex, Weak};
use zmq_engine::SocketType;

/// What sockets share with their context.
pub struct CtxShared {
    pub engine: zmq_engine::Context,
    /// The process that made the context; after a fork the child must leave it alone.
    pub pid: u32,
    pub destroyed: AtomicBool,
    /// Applied to each socket when it is closed (rbczmq's default is 1 ms).
    pub linger: AtomicI32,
    sockets: Mutex<Vec<Weak<SockShared>>>,
}

impl CtxShared {
    /// True in the process that made the context (false in a forked child).
    pub fn in_owner_process(&self) -> bool {
        self.pid == std::process::id()
    }

    fn sockets(&self) -> std::sync::MutexGuard<'_, Vec<Weak<SockShared>>> {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes every socket of this context (with the context's linger) and marks their
    /// Ruby objects destroyed.
    fn close_sockets(&self) {
        let linger = self.linger.load(SeqCst);
        let sockets: Vec<_> = self
            .sockets()
            .drain(..)
            .filter_map(|w| w.upgrade())
            .collect();
        for s in sockets {
            s.close(linger);
        }
    }
}

#[magnus::wrap(class = "ZMQ::Context", size)]
pub struct Context {
    shared: Arc<CtxShared>,
    /// "FILE:LINE" of the `ZMQ::Context.new` call, for the single-context error.
    created_at: String,
}

impl Context {
    /// `ZMQ::Context.__alloc(created_at)`: a fresh context (lib/zmq/context.rb's `new`
    /// does the registry work around it).
    fn alloc(created_at: String) -> Context {
        Context {
            shared: Arc::new(CtxShared {
                engine: zmq_engine::Context::new(),
                pid: std::process::id(),
                destroyed: AtomicBool::new(false),
                linger: AtomicI32::new(1),
                sockets: Mutex::new(Vec::new()),
            }),
            created_at,
        }
    }

    fn created_at(&self) -> String {
        self.created_at.clone()
    }

    /// The checks every C method of rbczmq's Context makes: not destroyed, same process.
    pub(crate) fn check(ruby: &Ruby, rb_self: &Obj<Context>) -> Result<(), Error> {
        if rb_self.shared.destroyed.load(SeqCst) {
            return Err(zmq_error(
                ruby,
                format!(
                    "ZMQ::Context instance {:#018x} has been destroyed by the ZMQ framework",
                    rb_self.as_value().as_raw()
                ),
            ));
        }
        if !rb_self.shared.in_owner_process() {
            return Err(zmq_error(
                ruby,
                "ZMQ::Context instance belongs to another process. Create a new context for this process!",
            ));
        }
        Ok(())
    }

    /// The shared state (security.rs starts an Authenticator on its engine context).
    pub(crate) fn shared(&self) -> &Arc<CtxShared> {
        &self.shared
    }

    fn is_destroyed(&self) -> bool {
        self.shared.destroyed.load(SeqCst)
    }

    /// `iothreads=(n)`: takes effect before the first tcp/ipc socket starts the I/O thread.
    fn set_iothreads(ruby: &Ruby, rb_self: Obj<Context>, n: Value) -> Result<(), Error> {
        Self::check(ruby, &rb_self)?;
        let n = check_int(ruby, n)?;
        if n < 0 {
            return Err(zmq_error(
                ruby,
                "negative I/O threads count is not supported.",
            ));
        }
        rb_self.shared.engine.set_io_threads(n as usize);
        Ok(())
    }

    /// `linger=(ms)`: the linger every socket of this context gets when it is closed.
    fn set_linger(ruby: &Ruby, rb_self: Obj<Context>, ms: Value) -> Result<(), Error> {
        Self::check(ruby, &rb_self)?;
        let ms = check_int(ruby, ms)?;
        if ms < 0 {
            return Err(zmq_error(
                ruby,
                "negative linger / timeout values is not supported.",
            ));
        }
        rb_self
            .shared
            .linger
            .store(ms.min(i32::MAX as i64) as i32, SeqCst);
        Ok(())
    }

    /// `socket(type)`: Integer or Symbol (looked up with `ZMQ.const_get`).
    fn socket(ruby: &Ruby, rb_self: Obj<Context>, kind: Value) -> Result<Value, Error> {
        Self::check(ruby, &rb_self)?;
        let number = if let Some(i) = magnus::Integer::from_value(kind) {
            i.to_i64()?
        } else if let Some(sym) = Symbol::from_value(kind) {
            let zmq: RModule = ruby.class_object().const_get("ZMQ")?;
            let v: Value = zmq.const_get(sym)?;
            check_int(ruby, v)?
        } else {
            let text: String = kind.funcall("to_s", ())?;
            return Err(Error::new(
                ruby.exception_type_error(),
                format!("wrong socket type {text} (expected Fixnum or Symbol)"),
            ));
        };
        let kind = SocketType::from_number(number)
            .map_err(|_| zmq_error(ruby, format!("ZMQ socket type {number} not supported!")))?;
        let engine = match rb_self.shared.engine.socket(kind) {
            Ok(s) => s,
            Err(e) => return Err(crate::errors::syscall_error(ruby, e.errno())),
        };
        if matches!(kind, SocketType::Stream | SocketType::Router) {
            // rbczmq's libzmq 4.0 announces no raw peer's connect or disconnect: a raw
            // server's first message is the peer's first bytes (`stream_notify = true`
            // gives libzmq 4.2's empty notices).
            if let Err(e) = engine.set_option(zmq_engine::SocketOption::StreamNotify, 0i64) {
                return Err(crate::errors::syscall_error(ruby, e.errno()));
            }
        }
        let shared = Arc::new(SockShared::new(engine));
        {
            let mut list = rb_self.shared.sockets();
            list.retain(|w| w.upgrade().is_some_and(|s| !s.is_destroyed()));
            list.push(Arc::downgrade(&shared));
        }
        socket::wrap(
            ruby,
            shared,
            rb_self.shared.clone(),
            rb_self.as_value(),
            kind,
        )
    }

    /// `__destroy`: closes the sockets, then terminates the engine context on a helper
    /// thread (it may wait up to the linger) while this thread waits interruptibly.
    fn destroy(ruby: &Ruby, rb_self: Obj<Context>) -> Result<(), Error> {
        Self::check(ruby, &rb_self)?;
        if rb_self.shared.destroyed.swap(true, SeqCst) {
            return Ok(());
        }
        // Calls blocked in other threads must see ETERM, not the "socket closed" the
        // closing below would otherwise give them first.
        rb_self.shared.engine.interrupt();
        rb_self.shared.close_sockets();
        let (done_rx, done_tx) = UnixStream::pair().map_err(|e| {
            crate::errors::syscall_error(ruby, e.raw_os_error().unwrap_or(libc::EIO))
        })?;
        let shared = rb_self.shared.clone();
        std::thread::Builder::new()
            .name("zmq-rs-term".into())
            .spawn(move || {
                shared.engine.terminate();
                drop(done_tx); // EOF on done_rx: the wait below ends
            })
            .map_err(|e| {
                crate::errors::syscall_error(ruby, e.raw_os_error().unwrap_or(libc::EAGAIN))
            })?;
        let io = wait::io_for_fd(ruby, done_rx.as_raw_fd())?;
        while !wait::readable(ruby, io, None)? {}
        drop(done_rx);
        Ok(())
    }
}

impl Drop for Context {
    /// A context collected without `destroy` (at the latest at VM shutdown) is destroyed
    /// like `destroy` does, without touching Ruby. In a forked child the engine state
    /// belongs to the parent (its I/O thread does not exist here), so it is left alone.
    fn drop(&mut self) {
        if !self.shared.in_owner_process() {
            std::mem::forget(self.shared.clone());
            return;
        }
        if !self.shared.destroyed.swap(true, SeqCst) {
            self.shared.close_sockets();
            self.shared.engine.terminate();
        }
    }
}

pub fn init(ruby: &Ruby, zmq: RModule) -> Result<(), Error> {
    let class = zmq.define_class("Context", ruby.class_object())?;
    class.undef_default_alloc_func();
    class.define_singleton_method("__alloc", function!(Context::alloc, 1))?;
    class.define_method("__created_at", method!(Context::created_at, 0))?;
    class.define_method("__destroyed?", method!(Context::is_destroyed, 0))?;
    class.define_method("__destroy", method!(Context::destroy, 0))?;
    class.define_method("iothreads=", method!(Context::set_iothreads, 1))?;
    class.define_method("linger=", method!(Context::set_linger, 1))?;
    class.define_method("socket", method!(Context::socket, 1))?;
    Ok(())
}
