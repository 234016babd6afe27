//! Transports: endpoint parsing, and bind/connect/unbind/disconnect for tcp, ipc and
//! inproc. Network listeners and dialers are handed to the I/O thread; inproc is joined
//! here directly.

mod endpoint;
pub(crate) mod inproc;
pub(crate) mod ipc;
pub(crate) mod tcp;

pub use endpoint::Endpoint;

use crate::error::{Error, Result};
use crate::monitor::{EVENT_BIND_FAILED, EVENT_LISTENING};
use crate::reactor::{ConnConfig, DialTarget, Listener};
use crate::socket::{Core, EndpointEntry, EndpointLink, SocketInner};
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn bind(me: &Arc<SocketInner>, ep: &Endpoint, text: &str) -> Result<String> {
    let mut core = me.lock();
    let (resolved, link) = match ep {
        Endpoint::Inproc(name) => {
            me.ctx.inproc.bind(name, me, &mut core)?;
            (
                text.to_string(),
                EndpointLink::Inproc {
                    name: name.clone(),
                    pipes: Vec::new(),
                },
            )
        }
        Endpoint::Tcp { .. } | Endpoint::Ipc(_) => {
            let reactor = me.ctx.reactor()?;
            let buffers = tcp::BufferSizes::from_options(core.options.sndbuf, core.options.rcvbuf);
            let (resolved, listener, file) = match open_listener(ep, core.options.ipv6, buffers) {
                Ok(opened) => opened,
                Err(e) => {
                    me.emit(EVENT_BIND_FAILED, e.errno() as u32, text);
                    return Err(e);
                }
            };
            me.emit(EVENT_LISTENING, listener.fd() as u32, &resolved);
            let cfg = ConnConfig::new(me.kind, &core.options);
            let id = reactor.add_listener(&resolved, listener, Arc::downgrade(me), cfg);
            (resolved, EndpointLink::Listener { id, file })
        }
    };
    core.last_endpoint = resolved.clone();
    core.endpoints.push(EndpointEntry {
        text: resolved.clone(),
        requested: text.to_string(),
        bound: true,
        link,
    });
    Ok(resolved)
}

/// Binds a tcp or ipc listener; returns it with its endpoint, wildcards resolved, and
/// for ipc the socket file to remove when the endpoint goes.
fn open_listener(
    ep: &Endpoint,
    ipv6: bool,
    buffers: tcp::BufferSizes,
) -> Result<(String, Listener, Option<ipc::SocketFile>)> {
    match ep {
        Endpoint::Tcp { host, port } => {
            let addr = Endpoint::bind_addr(host, *port, ipv6)?;
            let std_listener = tcp::listen(addr, buffers)?;
            let local = std_listener.local_addr()?;
            let listener = Listener::Tcp(mio::net::TcpListener::from_std(std_listener));
            Ok((endpoint::tcp_text(&local), listener, None))
        }
        Endpoint::Ipc(path) => {
            let (file, std_listener) = ipc::bind(path)?;
            let text = format!("ipc://{}", file.path.display());
            let listener = Listener::Unix(mio::net::UnixListener::from_std(std_listener));
            Ok((text, listener, Some(file)))
        }
        Endpoint::Inproc(_) => Err(Error::inval("inproc has no listener")),
    }
}

pub(crate) fn connect(me: &Arc<SocketInner>, ep: &Endpoint, text: &str) -> Result<()> {
    let mut core = me.lock();
    let link = match ep {
        Endpoint::Inproc(name) => {
            let pipe = me.ctx.inproc.connect(name, me, &mut core)?;
            EndpointLink::Inproc {
                name: name.clone(),
                pipes: vec![pipe],
            }
        }
        Endpoint::Tcp { host, port } => {
            let reactor = me.ctx.reactor()?;
            if *port == 0 {
                return Err(Error::inval("cannot connect to port 0 or *"));
            }
            let addrs = Endpoint::connect_addrs(host, *port, core.options.ipv6)?;
            dial(me, &mut core, &reactor, text, DialTarget::Tcp(addrs))
        }
        Endpoint::Ipc(path) => {
            let reactor = me.ctx.reactor()?;
            dial(
                me,
                &mut core,
                &reactor,
                text,
                DialTarget::Unix(path.clone()),
            )
        }
    };
    core.last_endpoint = text.to_string();
    core.endpoints.push(EndpointEntry {
        text: text.to_string(),
        requested: text.to_string(),
        bound: false,
        link,
    });
    Ok(())
}

fn dial(
    me: &Arc<SocketInner>,
    core: &mut Core,
    reactor: &Arc<crate::reactor::Reactor>,
    text: &str,
    target: DialTarget,
) -> EndpointLink {
    let cfg = ConnConfig::new(me.kind, &core.options);
    // Sockets that route by peer identity learn it only from the handshake, so their
    // pipe is made then; the others get a pipe at once, so sends queue while connecting.
    let early_pipe = !cfg.immediate
        && !matches!(
            me.kind,
            crate::SocketType::Router | crate::SocketType::Stream
        );
    let (id, pipe) = reactor.add_dialer(
        text,
        target,
        Arc::downgrade(me),
        cfg,
        me.waking(),
        early_pipe,
    );
    let pipe_id = pipe.as_ref().map(|p| p.id);
    if let Some(p) = pipe {
        core.attach(p, bytes::Bytes::new());
    }
    EndpointLink::Dialer { id, pipe: pipe_id }
}

fn linger_of(core: &Core) -> Option<Duration> {
    crate::options::millis(core.options.linger)
}

/// Undoes binds (`bound`) or connects matching `text`; ENOENT if there is none.
pub(crate) fn remove_endpoint(me: &Arc<SocketInner>, text: &str, bound: bool) -> Result<()> {
    let mut core = me.lock();
    let (matching, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut core.endpoints)
        .into_iter()
        .partition(|e| e.bound == bound && (e.text == text || e.requested == text));
    core.endpoints = kept;
    if matching.is_empty() {
        return Err(Error::new(libc::ENOENT));
    }
    let linger = linger_of(&core);
    for e in matching {
        undo(me, &mut core, e.link, linger);
    }
    Ok(())
}

fn undo(me: &Arc<SocketInner>, core: &mut Core, link: EndpointLink, linger: Option<Duration>) {
    match link {
        EndpointLink::Inproc { name, pipes } => {
            if pipes.is_empty() {
                me.ctx.inproc.unbind(&name, me);
            } else {
                me.ctx.inproc.drop_pending(&pipes);
                for id in pipes {
                    core.cut_pipe(id);
                }
            }
        }
        EndpointLink::Listener { id, file } => {
            if let Some(file) = file {
                file.remove();
            }
            if let Ok(r) = me.ctx.reactor() {
                r.remove(id, linger);
            }
        }
        EndpointLink::Dialer { id, pipe } => {
            if let Some(p) = pipe {
                core.close_pipe_for_linger(p);
            }
            if let Ok(r) = me.ctx.reactor() {
                r.remove(id, linger);
            }
        }
    }
}

/// On close: stop every listener and dialer; their connections linger.
pub(crate) fn close_all(me: &Arc<SocketInner>, core: &mut Core, linger_ms: i32) {
    let linger = crate::options::millis(linger_ms);
    for e in std::mem::take(&mut core.endpoints) {
        match e.link {
            EndpointLink::Inproc { name, pipes } => {
                if pipes.is_empty() {
                    me.ctx.inproc.unbind(&name, me);
                } else {
                    me.ctx.inproc.drop_pending(&pipes);
                }
            }
            EndpointLink::Listener { id, file } => {
                if let Some(file) = file {
                    file.remove();
                }
                if let Ok(r) = me.ctx.reactor_if_started() {
                    r.remove(id, linger);
                }
            }
            EndpointLink::Dialer { id, .. } => {
                if let Ok(r) = me.ctx.reactor_if_started() {
                    r.remove(id, linger);
                }
            }
        }
    }
}
