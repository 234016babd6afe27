//! zmq-engine: ZeroMQ in pure Rust.

pub mod error;
pub mod msg;
pub mod socket_type;
pub mod wire;

pub use error::{Error, Result};
pub use msg::Msg;
pub use socket_type::SocketType;
