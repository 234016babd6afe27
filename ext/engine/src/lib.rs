//! zmq-engine: ZeroMQ in pure Rust.
//!
//! A [`Context`] makes [`Socket`]s of every classic type; sockets talk ZMTP 3.1 over tcp
//! and ipc to any ZeroMQ peer (libzmq included), or join each other directly over inproc.

mod context;
pub mod error;
pub mod monitor;
pub mod msg;
pub mod options;
mod pipe;
pub mod poll;
pub mod proxy;
mod reactor;
pub mod security;
pub mod signal;
mod socket;
pub mod socket_type;
mod transport;
pub mod wire;

pub use context::Context;
pub use error::{Error, Result};
pub use msg::Msg;
pub use options::{OptionValue, SocketOption};
pub use poll::{poll, PollItem, PollTarget};
pub use proxy::proxy;
pub use socket::{Socket, POLLIN, POLLOUT};
pub use socket_type::SocketType;
pub use transport::Endpoint;
