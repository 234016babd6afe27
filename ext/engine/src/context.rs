//! The context: owns the I/O thread (started on first need), the inproc registry and the
//! list of live sockets, and terminates them all together.

use crate::error::{Error, Result};
use crate::reactor::Reactor;
use crate::socket::{self, Socket, SocketInner};
use crate::socket_type::SocketType;
use crate::transport::inproc::InprocRegistry;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, Weak};

pub(crate) struct ContextInner {
    io_threads: AtomicUsize,
    reactor: Mutex<Option<Arc<Reactor>>>,
    pub inproc: InprocRegistry,
    sockets: Mutex<Vec<Weak<SocketInner>>>,
    terminated: AtomicBool,
    /// The sockets are closed and the I/O thread is (being) stopped.
    torn_down: AtomicBool,
}

impl ContextInner {
    pub fn is_terminated(&self) -> bool {
        self.terminated.load(SeqCst)
    }

    /// The I/O thread, started on first use. EMTHREAD with zero I/O threads.
    pub fn reactor(&self) -> Result<Arc<Reactor>> {
        let mut slot = self.reactor.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = &*slot {
            return Ok(r.clone());
        }
        if self.io_threads.load(SeqCst) == 0 {
            return Err(Error::new(crate::error::EMTHREAD));
        }
        let r = Reactor::start()?;
        *slot = Some(r.clone());
        Ok(r)
    }

    /// The I/O thread if it runs; never starts it.
    pub fn reactor_if_started(&self) -> Result<Arc<Reactor>> {
        self.reactor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| Error::new(crate::error::EMTHREAD))
    }
}

/// A ZeroMQ context. Clones share it.
#[derive(Clone)]
pub struct Context {
    inner: Arc<ContextInner>,
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

impl Context {
    pub fn new() -> Context {
        Context {
            inner: Arc::new(ContextInner {
                io_threads: AtomicUsize::new(1),
                reactor: Mutex::new(None),
                inproc: InprocRegistry::default(),
                sockets: Mutex::new(Vec::new()),
                terminated: AtomicBool::new(false),
                torn_down: AtomicBool::new(false),
            }),
        }
    }

    pub(crate) fn from_inner(inner: Arc<ContextInner>) -> Context {
        Context { inner }
    }

    /// Number of I/O threads. 0 allows inproc only. Network I/O runs on one thread,
    /// which keeps up with several cores' worth of application threads.
    pub fn set_io_threads(&self, n: usize) {
        self.inner.io_threads.store(n, SeqCst);
    }

    pub fn io_threads(&self) -> usize {
        self.inner.io_threads.load(SeqCst)
    }

    pub fn socket(&self, kind: SocketType) -> Result<Socket> {
        if self.inner.is_terminated() {
            return Err(Error::term());
        }
        let s = Socket::new(self.inner.clone(), kind)?;
        let mut list = self.inner.sockets.lock().unwrap_or_else(|e| e.into_inner());
        list.retain(|w| w.strong_count() > 0);
        list.push(Arc::downgrade(&s.inner));
        Ok(s)
    }

    pub fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }

    /// The first half of [`Context::terminate`]: from now on every call on the
    /// context's sockets fails with ETERM, and calls blocked in other threads wake up
    /// with it. Sockets stay open, so a binding can close them its own way (with its
    /// linger) before terminating.
    pub fn interrupt(&self) {
        self.inner.terminated.store(true, SeqCst);
        let sockets = self.inner.sockets.lock().unwrap_or_else(|e| e.into_inner());
        for s in sockets.iter().filter_map(Weak::upgrade) {
            s.raise_all();
        }
    }

    /// Terminates: every blocked call returns ETERM, every socket is closed, and the I/O
    /// thread ends once lingering messages are delivered (or their linger ran out).
    pub fn terminate(&self) {
        self.inner.terminated.store(true, SeqCst);
        if self.inner.torn_down.swap(true, SeqCst) {
            return;
        }
        let sockets: Vec<_> = self
            .inner
            .sockets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .filter_map(|w| w.upgrade())
            .collect();
        for s in &sockets {
            s.raise_all();
            socket::close_socket(s);
        }
        let reactor = self
            .inner
            .reactor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(r) = reactor {
            r.shutdown_and_join();
        }
    }
}
