//! A counted set of subscription prefixes.

use bytes::Bytes;
use std::collections::BTreeMap;

/// Kept in byte order: libzmq walks its subscription trie in that order, so an XPUB
/// reports a departed subscriber's prefixes (and re-sends them on reconnect) in it too.
#[derive(Default, Clone, Debug)]
pub struct Subscriptions {
    counts: BTreeMap<Bytes, usize>,
}

impl Subscriptions {
    /// Returns true if the prefix was not subscribed before.
    pub fn add(&mut self, prefix: Bytes) -> bool {
        let n = self.counts.entry(prefix).or_insert(0);
        *n += 1;
        *n == 1
    }

    /// Returns true if this removed the last subscription to the prefix.
    pub fn remove(&mut self, prefix: &[u8]) -> bool {
        match self.counts.get_mut(prefix) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                self.counts.remove(prefix);
                true
            }
            None => false,
        }
    }

    pub fn matches(&self, data: &[u8]) -> bool {
        self.counts.keys().any(|p| data.starts_with(p))
    }

    pub fn prefixes(&self) -> impl Iterator<Item = &Bytes> {
        self.counts.keys()
    }

    /// Each prefix with the number of times it was subscribed.
    pub fn counted(&self) -> impl Iterator<Item = (&Bytes, usize)> {
        self.counts.iter().map(|(p, n)| (p, *n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_come_in_byte_order() {
        let mut s = Subscriptions::default();
        for p in ["m", "b", "zz", "a", "ab", ""] {
            s.add(Bytes::from(p));
        }
        let order: Vec<&[u8]> = s.prefixes().map(|p| &p[..]).collect();
        assert_eq!(order, [&b""[..], b"a", b"ab", b"b", b"m", b"zz"]);
    }

    #[test]
    fn counts_and_prefix_matching() {
        let mut s = Subscriptions::default();
        assert!(s.add(Bytes::from_static(b"ab")));
        assert!(!s.add(Bytes::from_static(b"ab")));
        assert!(s.matches(b"abc"));
        assert!(!s.matches(b"a"));
        assert!(!s.remove(b"ab"));
        assert!(s.remove(b"ab"));
        assert!(!s.matches(b"abc"));
        assert!(s.add(Bytes::new()));
        assert!(s.matches(b""));
    }
}
