//! A connected byte stream: tcp or unix.

use mio::event::Source;
use mio::{Interest, Registry, Token};
use std::io::{self, Read, Write};

pub(crate) enum Stream {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
}

impl Stream {
    /// `Ok(true)` once a non-blocking connect has completed, `Ok(false)` while it is
    /// still in progress, `Err` if it failed.
    pub fn connect_result(&self) -> io::Result<bool> {
        let (err, peer) = match self {
            Stream::Tcp(s) => (s.take_error()?, s.peer_addr().map(drop)),
            Stream::Unix(s) => (s.take_error()?, s.peer_addr().map(drop)),
        };
        if let Some(e) = err {
            return Err(e);
        }
        match peer {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub fn fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
    }

    /// Reads straight into `buf`'s spare capacity, so the read buffer is never
    /// zero-filled first. Grows the buffer to `want` spare bytes only when little is
    /// left: small messages split off the buffer keep it shared, and growing it then
    /// means a new allocation.
    ///
    /// Returns the bytes read and whether the read came back short of the space it
    /// had: then the kernel's receive queue was empty when it returned, and with
    /// edge-triggered readiness the next arrival raises a new event, so the caller
    /// need not spend a read(2) on the EAGAIN that would follow.
    pub fn read_into(&self, buf: &mut bytes::BytesMut, want: usize) -> io::Result<(usize, bool)> {
        if buf.capacity() - buf.len() < want.min(8192) {
            buf.reserve(want);
        }
        let spare = buf.spare_capacity_mut();
        // SAFETY: read(2) writes at most `spare.len()` bytes into memory we own and hold
        // exclusively; nothing reads the uninitialised bytes, and `set_len` below covers
        // only the `n` bytes the kernel reported written.
        let n = unsafe { libc::read(self.fd(), spare.as_mut_ptr().cast(), spare.len()) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = n as usize;
        let drained = n < spare.len();
        // SAFETY: the kernel initialised exactly `n` bytes past the current length.
        unsafe { buf.set_len(buf.len() + n) };
        Ok((n, drained))
    }

    /// Small messages must not wait for Nagle: ZeroMQ batches on its own.
    pub fn tune(&self) {
        if let Stream::Tcp(s) = self {
            let _ = s.set_nodelay(true);
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    /// Without this, `Write`'s default would send only the first non-empty slice: one
    /// system call (and, with `TCP_NODELAY`, one segment) per header and per body.
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write_vectored(bufs),
            Stream::Unix(s) => s.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Source for Stream {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.register(r, t, i),
            Stream::Unix(s) => s.register(r, t, i),
        }
    }

    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.reregister(r, t, i),
            Stream::Unix(s) => s.reregister(r, t, i),
        }
    }

    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.deregister(r),
            Stream::Unix(s) => s.deregister(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::IoSlice;

    /// A header and a body queued apart must leave in one system call, as one write.
    #[test]
    fn write_vectored_takes_every_slice_in_one_call() {
        let (a, mut b) = mio::net::UnixStream::pair().unwrap();
        let mut stream = Stream::Unix(a);
        let header = [2u8, 0, 0, 0, 0, 0, 0, 0, 5];
        let body = b"hello";
        let n = stream
            .write_vectored(&[IoSlice::new(&header), IoSlice::new(body)])
            .unwrap();
        assert_eq!(n, header.len() + body.len());
        let mut got = [0u8; 14];
        b.read_exact(&mut got).unwrap();
        assert_eq!(&got[..9], &header);
        assert_eq!(&got[9..], body);
    }
}
