//! CURVE keys (32-octet Curve25519 keys, shown as 40 Z85 characters) and the NaCl box
//! primitives CURVE is built from.
//!
//! The crypto itself comes from vetted crates: X25519 from `x25519-dalek`, HSalsa20 and
//! XSalsa20Poly1305 from `crypto_secretbox`. Composed here exactly as NaCl's `crypto_box`
//! (`beforenm` = HSalsa20 of the X25519 shared secret) so boxes are byte-compatible with
//! libsodium's, which libzmq uses. Secret keys and derived box keys are wiped on drop and
//! never printed.

use std::fmt;

use crypto_secretbox::aead::generic_array::GenericArray;
use crypto_secretbox::{AeadInPlace, Kdf, KeyInit, XSalsa20Poly1305};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use super::z85;
use crate::error::{Error, Result};

/// Length of every CURVE key.
pub const KEY_LEN: usize = 32;
/// Length of a NaCl box authenticator (the box is this much longer than its content).
pub const MAC_LEN: usize = 16;
/// Length of a NaCl nonce.
pub const NONCE_LEN: usize = 24;

/// A CURVE public key. Printed as Z85.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurvePublicKey(pub [u8; KEY_LEN]);

impl CurvePublicKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        CurvePublicKey(bytes)
    }

    /// From 32 raw octets, 40 Z85 characters, or 41 (Z85 plus a NUL), as libzmq's
    /// `ZMQ_CURVE_*KEY` options accept.
    pub fn parse(raw: &[u8]) -> Result<Self> {
        parse_key(raw).map(|k| CurvePublicKey(*k))
    }

    pub fn from_z85(text: &str) -> Result<Self> {
        Self::parse(text.as_bytes())
    }

    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    pub fn to_z85(&self) -> String {
        z85::encode(&self.0).expect("32 is a multiple of 4")
    }
}

impl fmt::Debug for CurvePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurvePublicKey({})", self.to_z85())
    }
}

impl fmt::Display for CurvePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_z85())
    }
}

/// A CURVE secret key: wiped when dropped, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct CurveSecretKey(Zeroizing<[u8; KEY_LEN]>);

impl CurveSecretKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        CurveSecretKey(Zeroizing::new(bytes))
    }

    /// From 32 raw octets, 40 Z85 characters, or 41 (Z85 plus a NUL).
    pub fn parse(raw: &[u8]) -> Result<Self> {
        parse_key(raw).map(CurveSecretKey)
    }

    pub fn from_z85(text: &str) -> Result<Self> {
        Self::parse(text.as_bytes())
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        OsRng.fill_bytes(&mut k[..]);
        CurveSecretKey(k)
    }

    /// The matching public key (`zmq_curve_public`).
    pub fn public_key(&self) -> CurvePublicKey {
        let s = x25519_dalek::StaticSecret::from(*self.0);
        CurvePublicKey(x25519_dalek::PublicKey::from(&s).to_bytes())
    }

    /// The raw key. Handle with care.
    pub fn expose_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The key as Z85 text, in a string that is wiped when dropped.
    pub fn expose_z85(&self) -> Zeroizing<String> {
        Zeroizing::new(z85::encode(&self.0[..]).expect("32 is a multiple of 4"))
    }
}

impl fmt::Debug for CurveSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CurveSecretKey(<redacted>)")
    }
}

/// A CURVE key pair.
#[derive(Clone, Debug)]
pub struct CurveKeypair {
    pub public: CurvePublicKey,
    pub secret: CurveSecretKey,
}

impl CurveKeypair {
    pub fn generate() -> Self {
        let secret = CurveSecretKey::generate();
        CurveKeypair {
            public: secret.public_key(),
            secret,
        }
    }
}

/// A new random key pair (`zmq_curve_keypair`).
pub fn curve_keypair() -> CurveKeypair {
    CurveKeypair::generate()
}

/// The Z85 public key of a Z85 secret key (`zmq_curve_public`).
pub fn curve_public(secret_z85: &str) -> Result<String> {
    Ok(CurveSecretKey::from_z85(secret_z85)?.public_key().to_z85())
}

fn parse_key(raw: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let text = match raw.len() {
        KEY_LEN => {
            let mut k = Zeroizing::new([0u8; KEY_LEN]);
            k.copy_from_slice(raw);
            return Ok(k);
        }
        40 => raw,
        41 if raw[40] == 0 => &raw[..40],
        _ => return Err(Error::inval("a CURVE key is 32 bytes or 40 Z85 characters")),
    };
    let text = std::str::from_utf8(text).map_err(|_| Error::inval("CURVE key is not valid Z85"))?;
    z85::decode_key(text)
        .map(Zeroizing::new)
        .map_err(|e| Error::inval(format!("CURVE key: {e}")))
}

/// Fills `buf` from the operating system's generator.
pub(crate) fn random_bytes(buf: &mut [u8]) {
    OsRng.fill_bytes(buf);
}

/// A precomputed NaCl box key (`crypto_box_beforenm`), or a secretbox key: the cipher
/// holds the derived key and wipes it on drop.
pub(crate) struct BoxKey(XSalsa20Poly1305);

/// A box failed to open (wrong key, tampered, truncated). Says nothing more on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OpenError;

impl BoxKey {
    /// `crypto_box_beforenm(their_public, our_secret)`. `None` when the peer's key is a
    /// low-order point (an all-zero shared secret), which libsodium refuses too.
    pub fn new(their_public: &[u8; KEY_LEN], our_secret: &CurveSecretKey) -> Option<BoxKey> {
        let secret = x25519_dalek::StaticSecret::from(*our_secret.0);
        let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(*their_public));
        if !shared.was_contributory() {
            return None;
        }
        let key = Zeroizing::new(<XSalsa20Poly1305 as Kdf>::kdf(
            GenericArray::from_slice(shared.as_bytes()),
            &GenericArray::default(),
        ));
        Some(BoxKey(XSalsa20Poly1305::new(&key)))
    }

    /// A secretbox key (the CURVE server's cookie key).
    pub fn secretbox(key: &[u8; KEY_LEN]) -> BoxKey {
        BoxKey(XSalsa20Poly1305::new(GenericArray::from_slice(key)))
    }

    /// Encrypts `buf[MAC_LEN..]` in place and writes the authenticator into
    /// `buf[..MAC_LEN]`: NaCl's wire layout (MAC, then ciphertext).
    pub fn seal_in_place(&self, nonce: &[u8; NONCE_LEN], buf: &mut [u8]) {
        let (mac, body) = buf.split_at_mut(MAC_LEN);
        let tag = self
            .0
            .encrypt_in_place_detached(GenericArray::from_slice(nonce), b"", body)
            .expect("XSalsa20Poly1305 encrypts any length a message can have");
        mac.copy_from_slice(&tag);
    }

    /// Boxes `plain`: returns MAC + ciphertext.
    pub fn seal(&self, nonce: &[u8; NONCE_LEN], plain: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; MAC_LEN + plain.len()];
        out[MAC_LEN..].copy_from_slice(plain);
        self.seal_in_place(nonce, &mut out);
        out
    }

    /// Opens a box in place: `buf` is MAC + ciphertext; on success `buf[MAC_LEN..]` holds
    /// the plaintext. On failure the buffer's content is unspecified.
    pub fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        buf: &mut [u8],
    ) -> std::result::Result<(), OpenError> {
        if buf.len() < MAC_LEN {
            return Err(OpenError);
        }
        let (mac, body) = buf.split_at_mut(MAC_LEN);
        let tag = *GenericArray::from_slice(mac);
        self.0
            .decrypt_in_place_detached(GenericArray::from_slice(nonce), b"", body, &tag)
            .map_err(|_| OpenError)
    }

    /// Opens a box (MAC + ciphertext) into a buffer that is wiped when dropped.
    pub fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        boxed: &[u8],
    ) -> std::result::Result<Zeroizing<Vec<u8>>, OpenError> {
        let mut buf = Zeroizing::new(boxed.to_vec());
        self.open_in_place(nonce, &mut buf)?;
        buf.drain(..MAC_LEN);
        Ok(buf)
    }
}

/// Builds a 24-octet nonce from a prefix and its variable part.
pub(crate) fn nonce(prefix: &[u8], tail: &[u8]) -> [u8; NONCE_LEN] {
    debug_assert_eq!(prefix.len() + tail.len(), NONCE_LEN);
    let mut n = [0u8; NONCE_LEN];
    n[..prefix.len()].copy_from_slice(prefix);
    n[prefix.len()..].copy_from_slice(tail);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypair_and_z85() {
        let kp = curve_keypair();
        assert_eq!(kp.secret.public_key(), kp.public);
        let z = kp.public.to_z85();
        assert_eq!(z.len(), 40);
        assert_eq!(CurvePublicKey::from_z85(&z).unwrap(), kp.public);
        let mut with_nul = z.clone().into_bytes();
        with_nul.push(0);
        assert_eq!(CurvePublicKey::parse(&with_nul).unwrap(), kp.public);
        assert_eq!(
            curve_public(&kp.secret.expose_z85()).unwrap(),
            kp.public.to_z85()
        );
        assert!(CurvePublicKey::parse(b"short").is_err());
        assert_eq!(format!("{:?}", kp.secret), "CurveSecretKey(<redacted>)");
        assert!(!format!("{kp:?}").contains(&*kp.secret.expose_z85()));
    }

    #[test]
    fn libzmq_test_vector_public_from_secret() {
        // The keys from libzmq's own test suite (test_security_curve).
        let secret = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
        assert_eq!(
            curve_public(secret).unwrap(),
            "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
        );
    }

    #[test]
    fn box_round_trip_both_directions_and_tamper() {
        let a = curve_keypair();
        let b = curve_keypair();
        let ab = BoxKey::new(&b.public.0, &a.secret).unwrap();
        let ba = BoxKey::new(&a.public.0, &b.secret).unwrap();
        let n = nonce(b"CurveZMQMESSAGEC", &7u64.to_be_bytes());
        let boxed = ab.seal(&n, b"hello");
        assert_eq!(boxed.len(), MAC_LEN + 5);
        assert_eq!(&ba.open(&n, &boxed).unwrap()[..], b"hello");
        for i in 0..boxed.len() {
            let mut t = boxed.clone();
            t[i] ^= 1;
            assert_eq!(ba.open(&n, &t).map(|_| ()), Err(OpenError));
        }
        let other = nonce(b"CurveZMQMESSAGEC", &8u64.to_be_bytes());
        assert!(ba.open(&other, &boxed).is_err());
        assert!(ba.open(&n, &boxed[..10]).is_err());
        // A low-order public key is refused.
        assert!(BoxKey::new(&[0u8; 32], &a.secret).is_none());
    }
}
