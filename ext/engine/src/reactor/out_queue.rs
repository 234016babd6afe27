//! A connection's outgoing bytes: a staging buffer for headers and small bodies, and
//! large bodies queued as they are (the message's own `Bytes`), written together with one
//! `writev`. Large messages are thus never copied on their way out.

use super::Stream;
use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};

/// Bodies at least this long go out without being copied into the staging buffer.
pub const ZERO_COPY_MIN: usize = 8 * 1024;
/// At most this many pieces per `writev`.
const MAX_IOV: usize = 64;

#[derive(Default)]
pub(crate) struct OutQueue {
    /// Bytes that follow every queued chunk.
    pub staging: BytesMut,
    chunks: VecDeque<Bytes>,
    chunk_bytes: usize,
}

impl OutQueue {
    pub fn with_capacity(n: usize) -> Self {
        OutQueue {
            staging: BytesMut::with_capacity(n),
            ..OutQueue::default()
        }
    }

    pub fn len(&self) -> usize {
        self.chunk_bytes + self.staging.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues a body after whatever is staged, without copying it.
    pub fn push_body(&mut self, body: Bytes) {
        if !self.staging.is_empty() {
            let staged = self.staging.split().freeze();
            self.chunk_bytes += staged.len();
            self.chunks.push_back(staged);
        }
        self.chunk_bytes += body.len();
        self.chunks.push_back(body);
    }

    /// Writes as much as the stream takes in one call; returns the byte count.
    pub fn write_to(&mut self, stream: &mut Stream) -> io::Result<usize> {
        if self.chunks.is_empty() {
            let n = stream.write(&self.staging)?;
            self.staging.advance(n);
            if self.staging.is_empty() {
                // Reuse the whole buffer from its start again.
                self.staging.clear();
            }
            return Ok(n);
        }
        let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(MAX_IOV);
        slices.extend(
            self.chunks
                .iter()
                .take(MAX_IOV - 1)
                .map(|c| IoSlice::new(c)),
        );
        if self.chunks.len() < MAX_IOV && !self.staging.is_empty() {
            slices.push(IoSlice::new(&self.staging));
        }
        let n = stream.write_vectored(&slices)?;
        self.consume(n);
        Ok(n)
    }

    fn consume(&mut self, mut n: usize) {
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                self.staging.advance(n);
                return;
            };
            let take = n.min(front.len());
            front.advance(take);
            self.chunk_bytes -= take;
            n -= take;
            if front.is_empty() {
                self.chunks.pop_front();
            }
        }
        if self.staging.is_empty() && self.chunks.is_empty() {
            self.staging.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consume_walks_chunks_then_staging_in_order() {
        let mut q = OutQueue::default();
        q.staging.extend_from_slice(b"ab");
        q.push_body(Bytes::from_static(b"cdef"));
        q.staging.extend_from_slice(b"gh");
        assert_eq!(q.len(), 8);
        q.consume(3);
        assert_eq!(q.chunks.front().unwrap(), &b"def"[..]);
        q.consume(4);
        assert_eq!(&q.staging[..], b"h");
        q.consume(1);
        assert!(q.is_empty());
    }
}
