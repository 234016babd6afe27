//! A ZAP handler (RFC 27) that needs no application code: bind it in a context and every
//! PLAIN, CURVE (and NULL-with-domain) server socket of that context asks it about each
//! new peer. Modelled on czmq's `zauth` and pyzmq's `ThreadAuthenticator`:
//!
//! - `allow`/`deny` by IP address: with any address allowed, all others are refused;
//!   denied addresses are refused. Checked first, for every mechanism.
//! - PLAIN: username/password tables per ZAP domain (`"*"` for any domain); the user id
//!   is the username.
//! - CURVE: allowed client public keys per domain, or any key; the user id is the key in
//!   Z85.
//! - NULL: allowed unless the address checks refuse it.
//!
//! The handler runs on its own thread, answering on a ROUTER bound at
//! `inproc://zeromq.zap.01`; it stops when the `Authenticator` is dropped (or the
//! context terminates).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use bytes::Bytes;

use super::zap::{ZapReply, ZapRequest, ZAP_ENDPOINT};
use super::{CurvePublicKey, Secret};
use crate::error::Result;
use crate::{Context, Msg, Socket, SocketOption, SocketType};

/// How often the handler thread looks at its stop flag.
const POLL_MS: i64 = 50;

#[derive(Debug, Default)]
enum CurvePolicy {
    #[default]
    Any,
    Keys(HashSet<[u8; 32]>),
}

#[derive(Debug, Default)]
struct Policy {
    allow: HashSet<String>,
    deny: HashSet<String>,
    /// Domain -> username -> password.
    plain: HashMap<String, HashMap<Vec<u8>, Secret>>,
    curve: HashMap<String, CurvePolicy>,
}

fn domain_entry<'a, T>(map: &'a HashMap<String, T>, domain: &[u8]) -> Option<&'a T> {
    map.get(&*String::from_utf8_lossy(domain))
        .or_else(|| map.get("*"))
}

impl Policy {
    fn decide(&self, req: &ZapRequest) -> (u16, &'static str, Bytes) {
        let address = String::from_utf8_lossy(&req.address);
        if self.deny.contains(&*address) {
            return (400, "Address is denied", Bytes::new());
        }
        if !self.allow.is_empty() && !self.allow.contains(&*address) {
            return (400, "Address is not allowed", Bytes::new());
        }
        match &req.mechanism[..] {
            b"NULL" => (200, "OK", Bytes::new()),
            b"PLAIN" => {
                let [user, pass] = &req.credentials[..] else {
                    return (400, "Malformed PLAIN credentials", Bytes::new());
                };
                let ok = domain_entry(&self.plain, &req.domain)
                    .and_then(|t| t.get(&user[..]))
                    .is_some_and(|p| constant_time_eq(p.expose(), pass));
                if ok {
                    (200, "OK", user.clone())
                } else {
                    (400, "Invalid username or password", Bytes::new())
                }
            }
            b"CURVE" => {
                let [key] = &req.credentials[..] else {
                    return (400, "Malformed CURVE credentials", Bytes::new());
                };
                let Ok(key) = <[u8; 32]>::try_from(&key[..]) else {
                    return (400, "Malformed CURVE credentials", Bytes::new());
                };
                let ok = match domain_entry(&self.curve, &req.domain) {
                    Some(CurvePolicy::Any) => true,
                    Some(CurvePolicy::Keys(keys)) => keys.contains(&key),
                    None => false,
                };
                if ok {
                    let id = CurvePublicKey(key).to_z85();
                    (200, "OK", Bytes::from(id))
                } else {
                    (400, "Unknown public key", Bytes::new())
                }
            }
            _ => (400, "Unsupported mechanism", Bytes::new()),
        }
    }
}

/// Compares without stopping at the first difference (passwords).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A running ZAP handler for one context. See the module docs.
pub struct Authenticator {
    policy: Arc<Mutex<Policy>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Binds `inproc://zeromq.zap.01` in `ctx` (EADDRINUSE if another handler has it)
    /// and starts answering. With nothing configured, NULL peers pass and PLAIN and
    /// CURVE peers are refused, until `configure_plain`/`configure_curve` say otherwise.
    pub fn new(ctx: &Context) -> Result<Authenticator> {
        let socket = ctx.socket(SocketType::Router)?;
        socket.set_option(SocketOption::Linger, 0i64)?;
        socket.set_option(SocketOption::RcvTimeo, POLL_MS)?;
        socket.set_option(SocketOption::SndTimeo, POLL_MS)?;
        socket.bind(ZAP_ENDPOINT)?;
        let policy = Arc::new(Mutex::new(Policy::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (policy.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("zmq-rs-zap".into())
            .spawn(move || serve(socket, p, s))?;
        Ok(Authenticator {
            policy,
            stop,
            thread: Some(thread),
        })
    }

    fn policy(&self) -> std::sync::MutexGuard<'_, Policy> {
        self.policy.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Allows an IP address; once any is allowed, every other address is refused.
    pub fn allow(&self, address: &str) {
        self.policy().allow.insert(address.to_string());
    }

    /// Refuses an IP address.
    pub fn deny(&self, address: &str) {
        self.policy().deny.insert(address.to_string());
    }

    /// PLAIN usernames and passwords for a ZAP domain (`"*"`: any domain). Replaces
    /// what that domain had.
    pub fn configure_plain<U, P>(&self, domain: &str, passwords: impl IntoIterator<Item = (U, P)>)
    where
        U: AsRef<[u8]>,
        P: AsRef<[u8]>,
    {
        let table = passwords
            .into_iter()
            .map(|(u, p)| (u.as_ref().to_vec(), Secret::new(p.as_ref())))
            .collect();
        self.policy().plain.insert(domain.to_string(), table);
    }

    /// CURVE clients allowed in a domain (`"*"`: any domain), by public key. Replaces
    /// what that domain had.
    pub fn configure_curve(&self, domain: &str, keys: impl IntoIterator<Item = CurvePublicKey>) {
        let keys = keys.into_iter().map(|k| k.0).collect();
        self.policy()
            .curve
            .insert(domain.to_string(), CurvePolicy::Keys(keys));
    }

    /// Any CURVE client key is accepted in a domain (`"*"`: any domain): encryption
    /// without client authentication.
    pub fn configure_curve_any(&self, domain: &str) {
        self.policy()
            .curve
            .insert(domain.to_string(), CurvePolicy::Any);
    }

    /// Stops the handler and unbinds (also done on drop).
    pub fn stop(&mut self) {
        self.stop.store(true, SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Authenticator {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(socket: Socket, policy: Arc<Mutex<Policy>>, stop: Arc<AtomicBool>) {
    while !stop.load(SeqCst) {
        let msg = match socket.recv(false) {
            Ok(m) => m,
            Err(e) if e.is_again() => continue,
            Err(_) => break,
        };
        let frames: Vec<Bytes> = msg.into_parts();
        // Routing id, empty delimiter, then the request.
        if frames.len() < 3 || !frames[1].is_empty() {
            continue;
        }
        let reply = match ZapRequest::parse(&frames[2..]) {
            Some(req) => {
                let (status, text, user) = policy
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .decide(&req);
                ZapReply::new(req.request_id, status, text, user)
            }
            None if frames.len() >= 4 => ZapReply::new(
                frames[3].clone(),
                500,
                "Unsupported ZAP version",
                Bytes::new(),
            ),
            None => continue,
        };
        let mut out = Msg::new(frames[0].clone());
        out.push_back(Bytes::new());
        for f in reply.frames() {
            out.push_back(f);
        }
        let _ = socket.send(out, true);
    }
    socket.close_with_linger(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(mechanism: &'static [u8], address: &'static [u8], creds: &[&[u8]]) -> ZapRequest {
        ZapRequest {
            request_id: Bytes::from_static(b"1"),
            domain: Bytes::from_static(b"dom"),
            address: Bytes::from_static(address),
            identity: Bytes::new(),
            mechanism: Bytes::from_static(mechanism),
            credentials: creds.iter().map(|c| Bytes::copy_from_slice(c)).collect(),
        }
    }

    #[test]
    fn policy_decisions() {
        let mut p = Policy::default();
        assert_eq!(p.decide(&req(b"NULL", b"1.2.3.4", &[])).0, 200);
        assert_eq!(p.decide(&req(b"PLAIN", b"1.2.3.4", &[b"u", b"p"])).0, 400);
        p.plain.insert(
            "*".into(),
            [(b"u".to_vec(), Secret::new(b"p"))].into_iter().collect(),
        );
        let ok = p.decide(&req(b"PLAIN", b"1.2.3.4", &[b"u", b"p"]));
        assert_eq!((ok.0, &ok.2[..]), (200, &b"u"[..]));
        assert_eq!(p.decide(&req(b"PLAIN", b"1.2.3.4", &[b"u", b"q"])).0, 400);
        assert_eq!(p.decide(&req(b"PLAIN", b"1.2.3.4", &[b"u"])).0, 400);
        let key = [7u8; 32];
        assert_eq!(p.decide(&req(b"CURVE", b"1.2.3.4", &[&key])).0, 400);
        p.curve
            .insert("dom".into(), CurvePolicy::Keys([key].into()));
        assert_eq!(p.decide(&req(b"CURVE", b"1.2.3.4", &[&key])).0, 200);
        assert_eq!(p.decide(&req(b"CURVE", b"1.2.3.4", &[&[8u8; 32]])).0, 400);
        p.curve.insert("dom".into(), CurvePolicy::Any);
        assert_eq!(p.decide(&req(b"CURVE", b"1.2.3.4", &[&[8u8; 32]])).0, 200);
        p.deny.insert("1.2.3.4".into());
        assert_eq!(p.decide(&req(b"NULL", b"1.2.3.4", &[])).0, 400);
        p.allow.insert("5.6.7.8".into());
        assert_eq!(p.decide(&req(b"NULL", b"9.9.9.9", &[])).0, 400);
        assert_eq!(p.decide(&req(b"NULL", b"5.6.7.8", &[])).0, 200);
    }
}
