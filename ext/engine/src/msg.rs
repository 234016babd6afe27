//! Messages: one or more frames that travel as a unit.
//!
//! Pipes carry whole multipart messages, so a pattern routes a message atomically and
//! never sees half of one. A single-part message (the common case) holds its frame inline
//! and allocates nothing beyond the payload itself.

use bytes::{Bytes, BytesMut};
use std::cell::RefCell;
use std::sync::Arc;

/// Payloads up to this size are carved out of a per-thread chunk instead of getting an
/// allocation of their own.
const SMALL_PAYLOAD: usize = 2048;
/// Size of those per-thread chunks.
const CHUNK: usize = 64 * 1024;

thread_local! {
    static CHUNK_BUF: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// Copies borrowed bytes into a new message part.
///
/// Small payloads share a per-thread chunk (one allocation per many messages, and a
/// clone is a reference count), the way libzmq keeps small messages out of malloc; a
/// chunk is freed when the last part cut from it is dropped. Larger ones get their own
/// buffer.
pub fn copy_bytes(data: &[u8]) -> Bytes {
    if data.is_empty() {
        return Bytes::new();
    }
    if data.len() > SMALL_PAYLOAD {
        return Bytes::copy_from_slice(data);
    }
    CHUNK_BUF.with(|chunk| {
        let mut chunk = chunk.borrow_mut();
        if chunk.capacity() - chunk.len() < data.len() {
            *chunk = BytesMut::with_capacity(CHUNK);
        }
        chunk.extend_from_slice(data);
        chunk.split().freeze()
    })
}

/// The properties of the connection a message came in on, as libzmq's
/// `zmq_msg_gets` reports them: the peer's handshake metadata (`Socket-Type`,
/// `Identity`, any others it sent), what the ZAP handler said (`User-Id` and its
/// metadata) and `Peer-Address`. Shared by every message of one connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    properties: Vec<(String, Bytes)>,
}

impl Metadata {
    /// Later properties do not replace earlier ones of the same name: the first wins,
    /// so the caller adds the most authoritative source first.
    pub fn from_properties(props: impl IntoIterator<Item = (String, Bytes)>) -> Metadata {
        let mut properties: Vec<(String, Bytes)> = Vec::new();
        for (name, value) in props {
            if !properties
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(&name))
            {
                properties.push((name, value));
            }
        }
        Metadata { properties }
    }

    /// A property's value; names compare without regard to ASCII case, as ZMTP's do.
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.properties
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every property, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Bytes)> + '_ {
        self.properties.iter().map(|(n, v)| (n.as_str(), v))
    }
}

/// A multipart message. It always has at least one part (possibly empty).
///
/// Equality compares the parts only, not the connection metadata a received message
/// carries.
#[derive(Clone, Debug, Default)]
pub struct Msg {
    first: Bytes,
    rest: Vec<Bytes>,
    /// Set on messages received over a connection whose handshake involved a security
    /// mechanism or ZAP; `None` otherwise (no per-message cost on plain connections).
    meta: Option<Arc<Metadata>>,
}

impl PartialEq for Msg {
    fn eq(&self, other: &Msg) -> bool {
        self.first == other.first && self.rest == other.rest
    }
}

impl Eq for Msg {}

impl Msg {
    /// A one-part message.
    pub fn new(part: impl Into<Bytes>) -> Self {
        Msg {
            first: part.into(),
            rest: Vec::new(),
            meta: None,
        }
    }

    /// A message from its parts; an empty iterator gives one empty part.
    pub fn from_parts<I, B>(parts: I) -> Self
    where
        I: IntoIterator<Item = B>,
        B: Into<Bytes>,
    {
        let mut it = parts.into_iter();
        let first = it.next().map(Into::into).unwrap_or_default();
        Msg {
            first,
            rest: it.map(Into::into).collect(),
            meta: None,
        }
    }

    pub fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// Never true: a message has at least one part. Present for clippy's sake.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Total payload bytes over all parts.
    pub fn byte_len(&self) -> usize {
        self.first.len() + self.rest.iter().map(Bytes::len).sum::<usize>()
    }

    pub fn first(&self) -> &Bytes {
        &self.first
    }

    pub fn last(&self) -> &Bytes {
        self.rest.last().unwrap_or(&self.first)
    }

    pub fn get(&self, i: usize) -> Option<&Bytes> {
        if i == 0 {
            Some(&self.first)
        } else {
            self.rest.get(i - 1)
        }
    }

    pub fn parts(&self) -> impl DoubleEndedIterator<Item = &Bytes> + '_ {
        std::iter::once(&self.first).chain(self.rest.iter())
    }

    /// Appends a part at the end.
    pub fn push_back(&mut self, part: impl Into<Bytes>) {
        self.rest.push(part.into());
    }

    /// Puts a part in front (routing ids, envelope delimiters).
    pub fn push_front(&mut self, part: impl Into<Bytes>) {
        let old = std::mem::replace(&mut self.first, part.into());
        self.rest.insert(0, old);
    }

    /// Removes and returns the first part; `None` if it is the only one.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        if self.rest.is_empty() {
            return None;
        }
        let next = self.rest.remove(0);
        Some(std::mem::replace(&mut self.first, next))
    }

    /// The properties of the connection this message came in on, if it has any.
    pub fn metadata(&self) -> Option<&Arc<Metadata>> {
        self.meta.as_ref()
    }

    pub fn set_metadata(&mut self, meta: Option<Arc<Metadata>>) {
        self.meta = meta;
    }

    /// The first part and the others, without gathering them into one vector (a
    /// single-part message allocates nothing here).
    pub fn into_first_and_rest(self) -> (Bytes, Vec<Bytes>) {
        (self.first, self.rest)
    }

    pub fn into_parts(self) -> Vec<Bytes> {
        let mut v = Vec::with_capacity(1 + self.rest.len());
        v.push(self.first);
        v.extend(self.rest);
        v
    }
}

impl From<Bytes> for Msg {
    fn from(b: Bytes) -> Self {
        Msg::new(b)
    }
}

impl From<&'static str> for Msg {
    fn from(s: &'static str) -> Self {
        Msg::new(Bytes::from_static(s.as_bytes()))
    }
}

impl From<Vec<u8>> for Msg {
    fn from(v: Vec<u8>) -> Self {
        Msg::new(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_in_order_and_envelope_ops() {
        let mut m = Msg::from_parts(["b", "c"]);
        m.push_front(Bytes::from_static(b"a"));
        assert_eq!(m.len(), 3);
        assert_eq!(
            m.parts().map(|p| &p[..]).collect::<Vec<_>>(),
            [b"a", b"b", b"c"]
        );
        assert_eq!(m.pop_front().unwrap(), "a");
        assert_eq!(m.first(), "b");
        assert_eq!(m.last(), "c");
        assert_eq!(m.byte_len(), 2);
    }

    #[test]
    fn copy_bytes_gives_independent_parts_across_chunks() {
        let parts: Vec<Bytes> = (0..5000u32).map(|i| copy_bytes(&i.to_be_bytes())).collect();
        for (i, p) in parts.iter().enumerate() {
            assert_eq!(&p[..], &(i as u32).to_be_bytes());
        }
        let big = vec![7u8; SMALL_PAYLOAD + 1];
        assert_eq!(copy_bytes(&big), big);
        assert!(copy_bytes(b"").is_empty());
    }

    #[test]
    fn metadata_lookup_ignores_case_and_equality_ignores_metadata() {
        let meta = Metadata::from_properties([
            ("User-Id".to_string(), Bytes::from_static(b"admin")),
            ("user-id".to_string(), Bytes::from_static(b"shadowed")),
            ("Peer-Address".to_string(), Bytes::from_static(b"127.0.0.1")),
        ]);
        assert_eq!(meta.get("USER-ID").unwrap(), "admin");
        assert_eq!(meta.get("peer-address").unwrap(), "127.0.0.1");
        assert_eq!(meta.get("Socket-Type"), None);
        assert_eq!(meta.iter().count(), 2);
        let mut m = Msg::new("x");
        m.set_metadata(Some(Arc::new(meta)));
        m.push_front(Bytes::from_static(b"id"));
        assert_eq!(m.metadata().unwrap().get("User-Id").unwrap(), "admin");
        assert_eq!(m, Msg::from_parts(["id", "x"]));
    }

    #[test]
    fn single_part_never_pops_its_last_part() {
        let mut m = Msg::new("x");
        assert_eq!(m.pop_front(), None);
        assert_eq!(Msg::from_parts(Vec::<Bytes>::new()).first(), "");
    }
}
