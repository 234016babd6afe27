//! Ruby binding of zmq-engine with the rbczmq API. One file per Ruby class:
//! `zmq.rs` (the ZMQ module functions), `context.rs` (ZMQ::Context), `socket.rs`
//! (ZMQ::Socket); `errors.rs` maps engine errors onto Ruby exceptions (ZMQ::Error and
//! SystemCallError) and `wait.rs` waits for readiness fds through Ruby's IO wait;
//! `poll_set.rs` and `poll_spin.rs` serve the pollers of lib/zmq/pollitem.rb.
//! The Ruby layer over these is in lib/zmq.rb and lib/zmq/*.rb.

mod context;
mod errors;
mod poll_set;
mod poll_spin;
mod security;
mod socket;
mod wait;
mod zmq;

use magnus::{Error, Ruby};

/// See Cargo.toml: messages cross threads, and mimalloc frees across threads cheaply.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let zmq = ruby.define_module("ZMQ")?;
    errors::define(ruby, zmq)?;
    zmq::init(ruby, zmq)?;
    context::init(ruby, zmq)?;
    socket::init(ruby, zmq)?;
    poll_set::init(zmq)?;
    poll_spin::init(zmq)?;
    security::init(ruby)?;
    Ok(())
}
