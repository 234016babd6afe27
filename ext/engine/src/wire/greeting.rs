//! The 64-octet greeting, sent in stages the way libzmq sends it:
//!
//! 1. on connect: the 10-octet signature (`FF`, 8 padding octets, `7F`);
//! 2. once the peer's signature has arrived: our major version (`03`);
//! 3. once the peer's major version has arrived (and is 3 or more): the rest — minor
//!    version, mechanism, as-server, filler.
//!
//! We never wait for the peer's whole greeting before sending our first bytes, and a peer
//! that sends its whole greeting at once works just as well. The peer's greeting is
//! copied into a fixed 64-octet buffer, so nothing here grows with hostile input.

use bytes::{Buf, BufMut, BytesMut};

use super::ProtocolError;

pub const GREETING_LEN: usize = 64;
pub const SIGNATURE_LEN: usize = 10;
const MAJOR_POS: usize = 10;
const MINOR_POS: usize = 11;
const MECHANISM_POS: usize = 12;
const MECHANISM_LEN: usize = 20;
const AS_SERVER_POS: usize = 32;

/// The major version we speak.
pub const OUR_MAJOR: u8 = 3;
/// The minor version we announce.
pub const OUR_MINOR: u8 = 1;
/// The only security mechanism implemented so far.
pub const MECHANISM_NULL: &[u8] = b"NULL";

/// What we learned from the peer's complete greeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerGreeting {
    pub major: u8,
    pub minor: u8,
    /// Mechanism name, NUL-padded to 20 octets as on the wire.
    pub mechanism: [u8; MECHANISM_LEN],
    pub as_server: bool,
}

impl PeerGreeting {
    /// The mechanism name without its NUL padding.
    pub fn mechanism_name(&self) -> &[u8] {
        let end = self
            .mechanism
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(MECHANISM_LEN);
        &self.mechanism[..end]
    }

    /// The minor version we use with this peer: 0 for a 3.0 peer, 1 for 3.1 or anything
    /// later (a higher version must be accepted and spoken to in our own protocol).
    pub fn effective_minor(&self) -> u8 {
        if self.major == OUR_MAJOR && self.minor == 0 {
            0
        } else {
            OUR_MINOR
        }
    }
}

/// How much of our own greeting has been sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Sent {
    Nothing,
    Signature,
    Major,
    All,
}

/// Both directions of the greeting exchange.
#[derive(Clone, Debug)]
pub struct Greeting {
    recv: [u8; GREETING_LEN],
    received: usize,
    sent: Sent,
    mechanism: [u8; MECHANISM_LEN],
    as_server: bool,
}

impl Greeting {
    /// `mechanism` is our mechanism name (at most 20 octets).
    pub fn new(mechanism: &[u8], as_server: bool) -> Self {
        let mut mech = [0u8; MECHANISM_LEN];
        let n = mechanism.len().min(MECHANISM_LEN);
        mech[..n].copy_from_slice(&mechanism[..n]);
        Greeting {
            recv: [0; GREETING_LEN],
            received: 0,
            sent: Sent::Nothing,
            mechanism: mech,
            as_server,
        }
    }

    /// Appends the signature, once.
    pub fn start(&mut self, out: &mut BytesMut) {
        if self.sent == Sent::Nothing {
            out.put_slice(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F]);
            self.sent = Sent::Signature;
        }
    }

    /// Octets of the peer's greeting received so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// Takes greeting octets from `input` (never more than the greeting's 64), appends
    /// the next stages of ours to `out` as the peer's progress allows, and returns the
    /// peer's greeting once it is complete. Octets after the greeting stay in `input`.
    pub fn receive(
        &mut self,
        input: &mut BytesMut,
        out: &mut BytesMut,
    ) -> Result<Option<PeerGreeting>, ProtocolError> {
        self.start(out);
        let n = input.len().min(GREETING_LEN - self.received);
        self.recv[self.received..self.received + n].copy_from_slice(&input[..n]);
        input.advance(n);
        self.received += n;
        let got = self.received;

        if got >= 1 && self.recv[0] != 0xFF {
            return Err(ProtocolError::BadSignature);
        }
        if got < SIGNATURE_LEN {
            return Ok(None);
        }
        if self.recv[SIGNATURE_LEN - 1] & 1 == 0 {
            return Err(ProtocolError::BadSignature);
        }
        if self.sent < Sent::Major {
            out.put_u8(OUR_MAJOR);
            self.sent = Sent::Major;
        }
        if got <= MAJOR_POS {
            return Ok(None);
        }
        let major = self.recv[MAJOR_POS];
        if major < OUR_MAJOR {
            return Err(ProtocolError::UnsupportedVersion { major });
        }
        if self.sent < Sent::All {
            out.reserve(GREETING_LEN - MINOR_POS);
            out.put_u8(OUR_MINOR);
            out.put_slice(&self.mechanism);
            out.put_u8(u8::from(self.as_server));
            out.put_bytes(0, GREETING_LEN - AS_SERVER_POS - 1);
            self.sent = Sent::All;
        }
        if got < GREETING_LEN {
            return Ok(None);
        }
        let mut mechanism = [0u8; MECHANISM_LEN];
        mechanism.copy_from_slice(&self.recv[MECHANISM_POS..MECHANISM_POS + MECHANISM_LEN]);
        Ok(Some(PeerGreeting {
            major,
            minor: self.recv[MINOR_POS],
            mechanism,
            as_server: self.recv[AS_SERVER_POS] & 1 != 0,
        }))
    }
}

/// A complete greeting as we would send it, for tests and for peers that want the
/// one-shot form.
pub fn full_greeting(major: u8, minor: u8, mechanism: &[u8], as_server: bool) -> [u8; 64] {
    let mut g = [0u8; GREETING_LEN];
    g[0] = 0xFF;
    g[SIGNATURE_LEN - 1] = 0x7F;
    g[MAJOR_POS] = major;
    g[MINOR_POS] = minor;
    let n = mechanism.len().min(MECHANISM_LEN);
    g[MECHANISM_POS..MECHANISM_POS + n].copy_from_slice(&mechanism[..n]);
    g[AS_SERVER_POS] = u8::from(as_server);
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(
        g: &mut Greeting,
        bytes: &[u8],
        out: &mut BytesMut,
    ) -> Result<Option<PeerGreeting>, ProtocolError> {
        let mut input = BytesMut::from(bytes);
        let r = g.receive(&mut input, out);
        if r.is_ok() {
            assert!(input.is_empty() || g.received() == GREETING_LEN);
        }
        r
    }

    #[test]
    fn staged_like_libzmq() {
        let mut g = Greeting::new(MECHANISM_NULL, false);
        let mut out = BytesMut::new();
        g.start(&mut out);
        g.start(&mut out);
        assert_eq!(&out[..], &[0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F]);
        out.clear();

        let peer = full_greeting(3, 1, b"NULL", false);
        // Part of the signature: nothing more to send yet.
        assert_eq!(feed(&mut g, &peer[..9], &mut out), Ok(None));
        assert!(out.is_empty());
        // Signature complete: the major version goes out.
        assert_eq!(feed(&mut g, &peer[9..10], &mut out), Ok(None));
        assert_eq!(&out[..], &[3]);
        out.clear();
        // Peer's major version: the rest of the greeting goes out.
        assert_eq!(feed(&mut g, &peer[10..11], &mut out), Ok(None));
        assert_eq!(out.len(), 53);
        assert_eq!(out[0], 1);
        assert_eq!(&out[1..5], b"NULL");
        assert!(out[5..].iter().all(|&b| b == 0));
        out.clear();
        // The rest of the peer's greeting.
        assert_eq!(feed(&mut g, &peer[11..63], &mut out), Ok(None));
        let pg = feed(&mut g, &peer[63..], &mut out).unwrap().unwrap();
        assert!(out.is_empty());
        assert_eq!((pg.major, pg.minor, pg.as_server), (3, 1, false));
        assert_eq!(pg.mechanism_name(), b"NULL");
        assert_eq!(pg.effective_minor(), 1);
    }

    #[test]
    fn whole_greeting_at_once_and_leftovers_stay() {
        let mut g = Greeting::new(MECHANISM_NULL, false);
        let mut out = BytesMut::new();
        let mut input = BytesMut::from(&full_greeting(3, 0, b"NULL", false)[..]);
        input.extend_from_slice(b"\x04\x05");
        let pg = g.receive(&mut input, &mut out).unwrap().unwrap();
        assert_eq!(pg.effective_minor(), 0);
        assert_eq!(&input[..], b"\x04\x05");
        assert_eq!(&out[..], &full_greeting(3, 1, b"NULL", false)[..]);
    }

    #[test]
    fn padding_is_not_validated_and_higher_versions_accepted() {
        let mut g = Greeting::new(MECHANISM_NULL, false);
        let mut out = BytesMut::new();
        let mut peer = full_greeting(4, 7, b"NULL", false);
        peer[1..9].copy_from_slice(b"garbage!");
        peer[9] = 0xFF;
        let pg = feed(&mut g, &peer, &mut out).unwrap().unwrap();
        assert_eq!(pg.effective_minor(), 1);
    }

    #[test]
    fn rejects_non_zmtp_and_old_versions() {
        let mut out = BytesMut::new();
        // ZMTP 1.0: a short identity frame. Rejected on its first octet.
        let mut g = Greeting::new(MECHANISM_NULL, false);
        assert_eq!(
            feed(&mut g, b"\x01", &mut out),
            Err(ProtocolError::BadSignature)
        );
        // ZMTP 1.0 long identity frame: the 10th octet's low bit is clear.
        let mut g = Greeting::new(MECHANISM_NULL, false);
        assert_eq!(
            feed(&mut g, &[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0], &mut out),
            Err(ProtocolError::BadSignature)
        );
        // ZMTP 2.0: revision 1.
        for major in [1, 2] {
            let mut g = Greeting::new(MECHANISM_NULL, false);
            out.clear();
            assert_eq!(
                feed(
                    &mut g,
                    &[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, major],
                    &mut out
                ),
                Err(ProtocolError::UnsupportedVersion { major })
            );
            // We sent our signature and major version, but not the rest.
            assert_eq!(out.len(), 11);
        }
    }
}
