//! Security for ZMTP connections: the socket options of PLAIN (RFC 24) and CURVE
//! (RFC 25/26), CURVE keys and Z85 (RFC 32), ZAP (RFC 27) messages and a ready-made ZAP
//! handler, the [`Authenticator`].
//!
//! The handshakes themselves are sans-IO, in [`crate::wire::mechanism`].
//!
//! # Using it from an application (or a binding)
//!
//! ```no_run
//! use zmq_engine::security::{curve_keypair, Authenticator};
//! use zmq_engine::{Context, SocketOption, SocketType};
//!
//! let ctx = Context::new();
//! let server_keys = curve_keypair();
//! let client_keys = curve_keypair();
//!
//! // Optional: without a ZAP handler CURVE servers accept any client key (libzmq's rule).
//! let auth = Authenticator::new(&ctx).unwrap();
//! auth.configure_curve("*", [client_keys.public]);
//!
//! let server = ctx.socket(SocketType::Rep).unwrap();
//! server.set_option(SocketOption::CurveServer, true).unwrap();
//! server.set_option(SocketOption::CurveSecretkey, &server_keys.secret.expose_z85()[..]).unwrap();
//! server.bind("tcp://127.0.0.1:*").unwrap();
//!
//! let client = ctx.socket(SocketType::Req).unwrap();
//! client.set_option(SocketOption::CurveServerkey, &server_keys.public.to_z85()[..]).unwrap();
//! client.set_option(SocketOption::CurvePublickey, &client_keys.public.to_z85()[..]).unwrap();
//! client.set_option(SocketOption::CurveSecretkey, &client_keys.secret.expose_z85()[..]).unwrap();
//! ```

mod auth;
mod keys;
pub mod z85;
pub mod zap;

use std::fmt;

use bytes::Bytes;
use zeroize::Zeroizing;

pub use auth::Authenticator;
pub use keys::{
    curve_keypair, curve_public, CurveKeypair, CurvePublicKey, CurveSecretKey, KEY_LEN,
};
pub(crate) use keys::{nonce, random_bytes, BoxKey, MAC_LEN, NONCE_LEN};

use crate::error::{Error, Result};
use crate::options::{OptionValue, SocketOption};

/// The security mechanism a socket uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mechanism {
    #[default]
    Null,
    Plain,
    Curve,
}

impl Mechanism {
    /// The name in the greeting.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Null => "NULL",
            Mechanism::Plain => "PLAIN",
            Mechanism::Curve => "CURVE",
        }
    }
}

/// A password: wiped when dropped, never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    pub fn new(bytes: &[u8]) -> Self {
        Secret(Zeroizing::new(bytes.to_vec()))
    }
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The security options of one socket, with libzmq 4.3's rules for how setting one
/// changes the mechanism and role. `Debug` never shows the password or secret key.
#[derive(Clone, Debug, Default)]
pub struct SecurityOptions {
    pub mechanism: Mechanism,
    /// The PLAIN or CURVE server role (the greeting's as-server flag).
    pub as_server: bool,
    pub plain_username: Bytes,
    pub plain_password: Secret,
    pub curve_public: Option<CurvePublicKey>,
    pub curve_secret: Option<CurveSecretKey>,
    pub curve_server: Option<CurvePublicKey>,
    /// RFC 27 domain; a NULL socket with a domain consults ZAP too.
    pub zap_domain: Bytes,
}

fn flag(v: &OptionValue) -> Result<bool> {
    match v.as_int()? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(Error::inval(format!("value {other} out of range 0..=1"))),
    }
}

impl SecurityOptions {
    /// Sets one of the security options; `Ok(false)` if `opt` is not one.
    pub fn set(&mut self, opt: SocketOption, v: &OptionValue) -> Result<bool> {
        use SocketOption::*;
        match opt {
            PlainServer => {
                self.as_server = flag(v)?;
                self.mechanism = if self.as_server {
                    Mechanism::Plain
                } else {
                    Mechanism::Null
                };
            }
            PlainUsername | PlainPassword => {
                let b = v.as_bytes()?;
                if b.len() > 255 {
                    return Err(Error::inval("PLAIN username/password is at most 255 bytes"));
                }
                if b.is_empty() {
                    // libzmq: an empty value switches back to NULL.
                    self.mechanism = Mechanism::Null;
                } else {
                    if opt == PlainUsername {
                        self.plain_username = b.clone();
                    } else {
                        self.plain_password = Secret::new(b);
                    }
                    self.as_server = false;
                    self.mechanism = Mechanism::Plain;
                }
            }
            CurveServer => {
                self.as_server = flag(v)?;
                self.mechanism = if self.as_server {
                    Mechanism::Curve
                } else {
                    Mechanism::Null
                };
            }
            CurvePublickey => {
                self.curve_public = Some(CurvePublicKey::parse(v.as_bytes()?)?);
                self.mechanism = Mechanism::Curve;
            }
            CurveSecretkey => {
                self.curve_secret = Some(CurveSecretKey::parse(v.as_bytes()?)?);
                self.mechanism = Mechanism::Curve;
            }
            CurveServerkey => {
                self.curve_server = Some(CurvePublicKey::parse(v.as_bytes()?)?);
                self.mechanism = Mechanism::Curve;
                self.as_server = false;
            }
            ZapDomain => {
                let b = v.as_bytes()?;
                if b.len() > 255 {
                    return Err(Error::inval("ZAP domain is at most 255 bytes"));
                }
                self.zap_domain = b.clone();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Reads one of the security options; `None` if `opt` is not one. Keys come back as
    /// 32 raw bytes (Z85-encode them for display).
    pub fn get(&self, opt: SocketOption) -> Option<OptionValue> {
        use SocketOption::*;
        let key = |k: Option<[u8; KEY_LEN]>| {
            OptionValue::Bytes(Bytes::copy_from_slice(&k.unwrap_or([0; KEY_LEN])))
        };
        Some(match opt {
            PlainServer => {
                OptionValue::Int((self.mechanism == Mechanism::Plain && self.as_server).into())
            }
            CurveServer => {
                OptionValue::Int((self.mechanism == Mechanism::Curve && self.as_server).into())
            }
            PlainUsername => OptionValue::Bytes(self.plain_username.clone()),
            PlainPassword => {
                OptionValue::Bytes(Bytes::copy_from_slice(self.plain_password.expose()))
            }
            CurvePublickey => key(self.curve_public.map(|k| k.0)),
            CurveSecretkey => key(self.curve_secret.as_ref().map(|k| *k.expose_bytes())),
            CurveServerkey => key(self.curve_server.map(|k| k.0)),
            ZapDomain => OptionValue::Bytes(self.zap_domain.clone()),
            _ => return None,
        })
    }

    /// Whether connections need the ZAP handler (libzmq's `zap_enabled`): any mechanism
    /// but NULL, or NULL with a domain.
    pub fn zap_enabled(&self) -> bool {
        self.mechanism != Mechanism::Null || !self.zap_domain.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_rules_follow_libzmq() {
        let mut o = SecurityOptions::default();
        assert!(o.set(SocketOption::PlainServer, &1.into()).unwrap());
        assert_eq!((o.mechanism, o.as_server), (Mechanism::Plain, true));
        o.set(SocketOption::PlainUsername, &"admin".into()).unwrap();
        assert_eq!((o.mechanism, o.as_server), (Mechanism::Plain, false));
        o.set(SocketOption::PlainPassword, &"s3cret".into())
            .unwrap();
        assert!(!format!("{o:?}").contains("s3cret"));
        o.set(SocketOption::PlainUsername, &"".into()).unwrap();
        assert_eq!(o.mechanism, Mechanism::Null);

        let kp = curve_keypair();
        let mut o = SecurityOptions::default();
        o.set(SocketOption::CurveServer, &1.into()).unwrap();
        o.set(
            SocketOption::CurveSecretkey,
            &(&kp.secret.expose_z85()[..]).into(),
        )
        .unwrap();
        assert_eq!((o.mechanism, o.as_server), (Mechanism::Curve, true));
        assert!(!format!("{o:?}").contains(&*kp.secret.expose_z85()));
        assert_eq!(
            o.get(SocketOption::CurveSecretkey),
            Some(OptionValue::Bytes(Bytes::copy_from_slice(
                kp.secret.expose_bytes()
            )))
        );
        o.set(
            SocketOption::CurveServerkey,
            &kp.public.as_bytes()[..].into(),
        )
        .unwrap();
        assert!(!o.as_server);
        assert!(o.set(SocketOption::CurvePublickey, &"bad".into()).is_err());
        assert!(o.set(SocketOption::CurveServer, &2.into()).is_err());
        assert!(!o.set(SocketOption::Linger, &1.into()).unwrap());
        assert!(o.zap_enabled());
        assert!(!SecurityOptions::default().zap_enabled());
    }
}
