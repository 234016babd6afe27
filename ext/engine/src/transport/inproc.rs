//! inproc: two sockets of one context joined directly by a pipe pair, with no codec and
//! no I/O thread. Connecting before the bind is allowed: the connecter's end is usable at
//! once and the binder picks up its end when it binds.

use crate::error::{Error, Result};
use crate::pipe::{pipe_pair_split, PipeEnd, PipeId, Wake, Waking};
use crate::socket::{Command, Core, SocketInner};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// Wakes a socket that is not known yet (the binder of a pending connect).
#[derive(Default)]
struct LateWake {
    target: OnceLock<Arc<dyn Wake>>,
}

impl Wake for LateWake {
    fn wake(&self) {
        if let Some(t) = self.target.get() {
            t.wake();
        }
    }
}

struct Pending {
    binder_end: PipeEnd,
    binder_input: Arc<LateWake>,
    binder_room: Arc<LateWake>,
    connecter: Weak<SocketInner>,
    connecter_identity: Bytes,
}

#[derive(Default)]
struct Registry {
    bound: HashMap<String, Weak<SocketInner>>,
    pending: HashMap<String, Vec<Pending>>,
}

impl Registry {
    /// The socket bound at `name`, if it is still open.
    fn live_binder(&self, name: &str) -> Option<Arc<SocketInner>> {
        self.bound
            .get(name)
            .and_then(Weak::upgrade)
            .filter(|s| !s.is_closed())
    }
}

#[derive(Default)]
pub(crate) struct InprocRegistry {
    inner: Mutex<Registry>,
}

/// inproc pipes hold the sender's and the receiver's marks together, as libzmq does.
fn joined_hwm(snd: i32, rcv: i32) -> usize {
    if snd <= 0 || rcv <= 0 {
        0
    } else {
        (snd as usize).saturating_add(rcv as usize)
    }
}

impl InprocRegistry {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn bind(&self, name: &str, me: &Arc<SocketInner>, core: &mut Core) -> Result<()> {
        let mut reg = self.registry();
        if reg.live_binder(name).is_some() {
            return Err(Error::new(libc::EADDRINUSE));
        }
        reg.bound.insert(name.to_string(), Arc::downgrade(me));
        for p in reg.pending.remove(name).unwrap_or_default() {
            if p.connecter.strong_count() == 0 {
                continue;
            }
            let _ = p.binder_input.target.set(me.signal.clone());
            let _ = p.binder_room.target.set(me.out_signal.clone());
            me.raise_all();
            core.attach_inproc(p.binder_end, p.connecter_identity, p.connecter);
        }
        Ok(())
    }

    pub fn unbind(&self, name: &str, me: &Arc<SocketInner>) {
        let mut reg = self.registry();
        if reg
            .bound
            .get(name)
            .is_some_and(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(me)))
        {
            reg.bound.remove(name);
        }
    }

    /// Connects; returns the id of the new pipe.
    pub fn connect(&self, name: &str, me: &Arc<SocketInner>, core: &mut Core) -> Result<PipeId> {
        let mut reg = self.registry();
        let my_identity = core.options.identity.clone();
        match reg.live_binder(name) {
            Some(peer) => {
                let view = peer.peer_view();
                let (mine, theirs) = pipe_pair_split(
                    me.waking(),
                    peer.waking(),
                    joined_hwm(core.options.sndhwm, view.rcvhwm),
                    joined_hwm(view.sndhwm, core.options.rcvhwm),
                );
                let id = mine.id;
                core.attach_inproc(mine, view.identity.clone(), Arc::downgrade(&peer));
                peer.post_inproc_attach(theirs, my_identity, Arc::downgrade(me));
                Ok(id)
            }
            None => {
                let late_input = Arc::new(LateWake::default());
                let late_room = Arc::new(LateWake::default());
                let binder = Waking {
                    input: late_input.clone(),
                    room: late_room.clone(),
                };
                let hwm_out = joined_hwm(core.options.sndhwm, 1000);
                let hwm_in = joined_hwm(1000, core.options.rcvhwm);
                let (mine, theirs) = pipe_pair_split(me.waking(), binder, hwm_out, hwm_in);
                let id = mine.id;
                // The binder's identity is not known yet: a ROUTER connecter generates one.
                core.attach(mine, Bytes::new());
                reg.pending
                    .entry(name.to_string())
                    .or_default()
                    .push(Pending {
                        binder_end: theirs,
                        binder_input: late_input,
                        binder_room: late_room,
                        connecter: Arc::downgrade(me),
                        connecter_identity: my_identity,
                    });
                Ok(id)
            }
        }
    }

    /// The live socket bound at `name`, if any (how a connection finds the ZAP handler).
    pub fn bound_socket(&self, name: &str) -> Option<Arc<SocketInner>> {
        self.registry().live_binder(name)
    }

    /// Forgets pending connects from a socket that disconnected or closed.
    pub fn drop_pending(&self, pipes: &[PipeId]) {
        let mut reg = self.registry();
        for list in reg.pending.values_mut() {
            list.retain(|p| !pipes.contains(&p.binder_end.id));
        }
    }
}

impl SocketInner {
    fn post_inproc_attach(&self, pipe: PipeEnd, identity: Bytes, peer: Weak<SocketInner>) {
        self.post(Command::AttachInproc {
            pipe,
            identity,
            peer,
        });
    }
}
