//! tcp sockets made with the `sndbuf`/`rcvbuf` options applied before they listen or
//! connect: the kernel sizes the receive window (and its scale, fixed at the handshake)
//! from the buffer as it is then, so setting it on an established connection can leave a
//! window the buffer no longer backs. Accepted connections inherit the listener's sizes.

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io;
use std::net::SocketAddr;

/// Kernel buffer sizes for a socket's connections; `None` keeps the system's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BufferSizes {
    pub sndbuf: Option<usize>,
    pub rcvbuf: Option<usize>,
}

impl BufferSizes {
    /// From the option values (-1 or 0: the system's).
    pub fn from_options(sndbuf: i32, rcvbuf: i32) -> BufferSizes {
        let size = |v: i32| usize::try_from(v).ok().filter(|&n| n > 0);
        BufferSizes {
            sndbuf: size(sndbuf),
            rcvbuf: size(rcvbuf),
        }
    }

    fn apply(&self, socket: &Socket) -> io::Result<()> {
        if let Some(n) = self.sndbuf {
            socket.set_send_buffer_size(n)?;
        }
        if let Some(n) = self.rcvbuf {
            socket.set_recv_buffer_size(n)?;
        }
        Ok(())
    }
}

/// How many connections may wait to be accepted (what std's `TcpListener::bind` uses).
const BACKLOG: i32 = 128;

fn new_socket(addr: &SocketAddr, buffers: BufferSizes) -> io::Result<Socket> {
    let socket = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_nonblocking(true)?;
    buffers.apply(&socket)?;
    Ok(socket)
}

/// A non-blocking listener bound to `addr`.
pub fn listen(addr: SocketAddr, buffers: BufferSizes) -> io::Result<std::net::TcpListener> {
    let socket = new_socket(&addr, buffers)?;
    socket.set_reuse_address(true)?;
    socket.bind(&SockAddr::from(addr))?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// Starts a non-blocking connect to `addr`; the I/O thread learns the outcome when the
/// stream becomes writable.
pub fn connect(addr: SocketAddr, buffers: BufferSizes) -> io::Result<mio::net::TcpStream> {
    let socket = new_socket(&addr, buffers)?;
    match socket.connect(&SockAddr::from(addr)) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(mio::net::TcpStream::from_std(socket.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_sizes_reach_listeners_and_dialed_streams() {
        let buffers = BufferSizes::from_options(32 * 1024, 48 * 1024);
        let listener = listen("127.0.0.1:0".parse().unwrap(), buffers).unwrap();
        let of = |s: &Socket| (s.send_buffer_size().unwrap(), s.recv_buffer_size().unwrap());
        let listening = Socket::from(listener.try_clone().unwrap());
        // Linux doubles the value asked for (room for its bookkeeping).
        let (snd, rcv) = of(&listening);
        assert!((32 * 1024..=64 * 1024).contains(&snd), "sndbuf {snd}");
        assert!((48 * 1024..=96 * 1024).contains(&rcv), "rcvbuf {rcv}");

        let stream = connect(listener.local_addr().unwrap(), buffers).unwrap();
        let dialed = Socket::from(std::net::TcpStream::from(stream));
        assert_eq!(of(&dialed), (snd, rcv));

        let unset = BufferSizes::from_options(-1, 0);
        assert_eq!(unset, BufferSizes::default());
    }
}
