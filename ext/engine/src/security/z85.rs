//! Z85 (RFC 32): binary to printable text, four octets to five characters.
//!
//! The input of [`encode`] must be a multiple of 4 octets long and the input of
//! [`decode`] a multiple of 5 characters, as the RFC requires (CURVE keys are 32 octets,
//! 40 characters).

use std::fmt;

const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Why a Z85 conversion was refused. Carries no part of the input (it may be a key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Z85Error {
    /// Binary input not a multiple of 4 octets, or text not a multiple of 5 characters.
    BadLength,
    /// A character outside the Z85 alphabet.
    BadCharacter,
    /// A 5-character group whose value does not fit in 32 bits.
    Overflow,
}

impl fmt::Display for Z85Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Z85Error::BadLength => "Z85 length is not a multiple of 4 (binary) or 5 (text)",
            Z85Error::BadCharacter => "character outside the Z85 alphabet",
            Z85Error::Overflow => "Z85 group exceeds 32 bits",
        })
    }
}

impl std::error::Error for Z85Error {}

fn digit(c: u8) -> Option<u32> {
    // The alphabet is short: a linear search keeps this obviously correct.
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Encodes `data` (a multiple of 4 octets) as Z85 text.
pub fn encode(data: &[u8]) -> Result<String, Z85Error> {
    if !data.len().is_multiple_of(4) {
        return Err(Z85Error::BadLength);
    }
    let mut out = String::with_capacity(data.len() / 4 * 5);
    for chunk in data.chunks_exact(4) {
        let mut value = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let mut group = [0u8; 5];
        for slot in group.iter_mut().rev() {
            *slot = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        // Every alphabet character is ASCII.
        out.extend(group.iter().map(|&b| b as char));
    }
    Ok(out)
}

/// Decodes Z85 text (a multiple of 5 characters).
pub fn decode(text: &str) -> Result<Vec<u8>, Z85Error> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(5) {
        return Err(Z85Error::BadLength);
    }
    let mut out = Vec::with_capacity(text.len() / 5 * 4);
    for group in text.chunks_exact(5) {
        let mut value: u64 = 0;
        for &c in group {
            value = value * 85 + u64::from(digit(c).ok_or(Z85Error::BadCharacter)?);
        }
        let value = u32::try_from(value).map_err(|_| Z85Error::Overflow)?;
        out.extend_from_slice(&value.to_be_bytes());
    }
    Ok(out)
}

/// Decodes exactly 32 octets (a CURVE key) from 40 characters.
pub fn decode_key(text: &str) -> Result<[u8; 32], Z85Error> {
    if text.len() != 40 {
        return Err(Z85Error::BadLength);
    }
    let v = zeroize::Zeroizing::new(decode(text)?);
    let mut key = [0u8; 32];
    key.copy_from_slice(&v);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_32_test_vector() {
        let data = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        assert_eq!(encode(&data).unwrap(), "HelloWorld");
        assert_eq!(decode("HelloWorld").unwrap(), data);
    }

    #[test]
    fn round_trips_and_errors() {
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(decode(&encode(&all).unwrap()).unwrap(), all);
        assert_eq!(encode(&[0xFF; 4]).unwrap(), "%nSc0");
        assert_eq!(encode(&[0; 4]).unwrap(), "00000");
        assert_eq!(encode(&[1, 2, 3]), Err(Z85Error::BadLength));
        assert_eq!(decode("abcd"), Err(Z85Error::BadLength));
        assert_eq!(decode("abc d"), Err(Z85Error::BadCharacter));
        assert_eq!(decode("abc\"d"), Err(Z85Error::BadCharacter));
        // 85^5 - 1 > 2^32 - 1: the largest group overflows.
        assert_eq!(decode("#####"), Err(Z85Error::Overflow));
        assert_eq!(decode("%nSc1"), Err(Z85Error::Overflow));
        assert_eq!(decode_key("HelloWorld"), Err(Z85Error::BadLength));
    }
}
