//! Security: the PLAIN/CURVE/ZAP socket options on `ZMQ::Socket`, the CURVE key and Z85
//! functions of the `ZMQ` module, and `ZMQ::Auth`'s native half (the engine's
//! `Authenticator`, a ZAP handler on its own thread). rbczmq never had any of this; the
//! names follow libzmq's options and the czmq/cztop/pyzmq conventions. The Ruby half
//! (`ZMQ::Cert`, `ZMQ::Auth`'s argument handling, certificate directories and password
//! files) is in lib/zmq/security.rb, cert.rb and auth.rb.
//!
//! Secrets (passwords, CURVE secret keys) never appear in an error message: errors about
//! a key name the key and describe what is wrong with it (its length, its encoding), not
//! its content.

use crate::context::{Context, CtxShared};
use crate::errors::{check_string, check_type_error, class_name, rule, zmq_error};
use crate::socket::Socket;
use bytes::{Bytes, BytesMut};
use magnus::{
    function, method, prelude::*, typed_data::Obj, Error, RArray, RModule, RString, Ruby, Value,
};
use std::sync::{Arc, Mutex};
use zmq_engine::security::{z85, Authenticator, CurvePublicKey, CurveSecretKey, KEY_LEN};
use zmq_engine::{OptionValue, SocketOption};

/// Longest PLAIN username, password and ZAP domain (one length octet on the wire).
const MAX_SHORT: usize = 255;

fn arg_error(ruby: &Ruby, msg: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ruby.exception_arg_error(), msg)
}

/// A String argument's bytes, copied into a buffer the caller can wipe.
fn string_bytes(ruby: &Ruby, v: Value) -> Result<BytesMut, Error> {
    let s = check_string(ruby, v)?;
    // SAFETY: the slice is copied at once; no Ruby code runs while it is borrowed.
    Ok(BytesMut::from(unsafe { s.as_slice() }))
}

/// Wipes a buffer handed to the engine, once the engine has let go of it.
fn wipe(b: Bytes) {
    if let Ok(mut m) = b.try_into_mut() {
        m.iter_mut().for_each(|x| *x = 0);
    }
}

/// Which key an argument is, for error messages.
#[derive(Clone, Copy)]
enum KeyRole {
    Public,
    Secret,
    Server,
}

impl KeyRole {
    fn name(self) -> &'static str {
        match self {
            KeyRole::Public => "CURVE public key",
            KeyRole::Secret => "CURVE secret key",
            KeyRole::Server => "CURVE server key",
        }
    }
}

/// Checks a CURVE key argument (32 raw bytes, or 40 Z85 characters, optionally followed
/// by a NUL as libzmq allows) and returns it as 32 raw bytes in a buffer the caller wipes.
/// Errors say what is wrong without showing the key.
fn key_arg(ruby: &Ruby, v: Value, role: KeyRole) -> Result<BytesMut, Error> {
    if RString::from_value(v).is_none() {
        return Err(check_type_error(ruby, v, "String"));
    }
    let mut raw = string_bytes(ruby, v)?;
    let result = decode_key(&raw, role);
    raw.iter_mut().for_each(|x| *x = 0);
    result.map_err(|msg| arg_error(ruby, msg))
}

fn decode_key(raw: &[u8], role: KeyRole) -> Result<BytesMut, String> {
    let text = match raw.len() {
        KEY_LEN => return Ok(BytesMut::from(raw)),
        40 => raw,
        41 if raw[40] == 0 => &raw[..40],
        n => {
            return Err(format!(
                "{} must be 40 Z85 characters or 32 bytes (got {n} bytes)",
                role.name()
            ))
        }
    };
    let bad = || format!("{} is not valid Z85", role.name());
    let text = std::str::from_utf8(text).map_err(|_| bad())?;
    // Decoded into a wiped buffer (CurveSecretKey); the Z85 error kind names the fault.
    match CurveSecretKey::from_z85(text) {
        Ok(k) => Ok(BytesMut::from(&k.expose_bytes()[..])),
        Err(_) => match z85::decode(text) {
            Err(e) => Err(format!("{} is not valid Z85 ({e})", role.name())),
            Ok(_) => Err(bad()),
        },
    }
}

/// Z85 of a 32-byte key option, or nil when the key is unset (all zero).
fn key_value(ruby: &Ruby, v: OptionValue) -> Result<Option<RString>, Error> {
    let OptionValue::Bytes(b) = v else {
        return Ok(None);
    };
    if b.len() != KEY_LEN || b.iter().all(|&x| x == 0) {
        wipe(b);
        return Ok(None);
    }
    let text = z85::encode(&b).map_err(|e| zmq_error(ruby, e.to_string()))?;
    wipe(b);
    let s = ruby.str_new(&text);
    zeroize_string(text);
    Ok(Some(s))
}

fn zeroize_string(s: String) {
    let mut v = s.into_bytes();
    v.iter_mut().for_each(|x| *x = 0);
}

// ----- ZMQ::Socket options -------------------------------------------------------------

fn engine_set(
    ruby: &Ruby,
    sock: &Obj<Socket>,
    opt: SocketOption,
    value: Bytes,
) -> Result<(), Error> {
    let r = sock
        .engine()
        .set_option(opt, OptionValue::Bytes(value.clone()));
    wipe(value);
    rule(ruby, r)?;
    Ok(())
}

fn engine_get(ruby: &Ruby, sock: &Obj<Socket>, opt: SocketOption) -> Result<OptionValue, Error> {
    Socket::alive(ruby, sock)?;
    match rule(ruby, sock.engine().get_option(opt))? {
        Some(v) => Ok(v),
        None => Err(zmq_error(ruby, "option not available")),
    }
}

/// `true`/`false` exactly, as the gem's other boolean options.
fn bool_arg(ruby: &Ruby, v: Value) -> Result<bool, Error> {
    if v.is_kind_of(ruby.class_true_class()) {
        Ok(true)
    } else if v.is_kind_of(ruby.class_false_class()) {
        Ok(false)
    } else {
        Err(Error::new(
            ruby.exception_type_error(),
            format!(
                "wrong argument type {} (expected true or false)",
                class_name(v)
            ),
        ))
    }
}

fn set_flag(ruby: &Ruby, sock: Obj<Socket>, opt: SocketOption, v: Value) -> Result<(), Error> {
    Socket::alive(ruby, &sock)?;
    let on = bool_arg(ruby, v)?;
    rule(ruby, sock.engine().set_option(opt, on))?;
    Ok(())
}

fn get_flag(ruby: &Ruby, sock: Obj<Socket>, opt: SocketOption) -> Result<bool, Error> {
    Ok(matches!(engine_get(ruby, &sock, opt)?, OptionValue::Int(1)))
}

/// A short byte-string option (username, password, domain): String, at most 255 bytes.
fn set_short(
    ruby: &Ruby,
    sock: Obj<Socket>,
    opt: SocketOption,
    what: &'static str,
    v: Value,
) -> Result<(), Error> {
    Socket::alive(ruby, &sock)?;
    let mut b = string_bytes(ruby, v)?;
    if b.len() > MAX_SHORT {
        let n = b.len();
        b.iter_mut().for_each(|x| *x = 0);
        return Err(arg_error(
            ruby,
            format!("{what} is at most {MAX_SHORT} bytes (got {n})"),
        ));
    }
    engine_set(ruby, &sock, opt, b.freeze())
}

fn get_short(ruby: &Ruby, sock: Obj<Socket>, opt: SocketOption) -> Result<RString, Error> {
    match engine_get(ruby, &sock, opt)? {
        OptionValue::Bytes(b) => {
            let s = ruby.str_from_slice(&b);
            wipe(b);
            Ok(s)
        }
        OptionValue::Int(_) => Ok(ruby.str_new("")),
    }
}

fn set_key(
    ruby: &Ruby,
    sock: Obj<Socket>,
    opt: SocketOption,
    role: KeyRole,
    v: Value,
) -> Result<(), Error> {
    Socket::alive(ruby, &sock)?;
    let key = key_arg(ruby, v, role)?;
    engine_set(ruby, &sock, opt, key.freeze())
}

fn get_key(ruby: &Ruby, sock: Obj<Socket>, opt: SocketOption) -> Result<Option<RString>, Error> {
    key_value(ruby, engine_get(ruby, &sock, opt)?)
}

macro_rules! socket_methods {
    ($($set:ident, $get:ident, $kind:ident, $opt:ident $(, $extra:expr)?;)*) => {
        $(
            fn $set(ruby: &Ruby, sock: Obj<Socket>, v: Value) -> Result<(), Error> {
                socket_methods!(@set $kind, ruby, sock, SocketOption::$opt, v $(, $extra)?)
            }
            fn $get(ruby: &Ruby, sock: Obj<Socket>) -> Result<socket_methods!(@ret $kind), Error> {
                socket_methods!(@get $kind, ruby, sock, SocketOption::$opt)
            }
        )*
    };
    (@set flag, $r:ident, $s:ident, $o:expr, $v:ident) => { set_flag($r, $s, $o, $v) };
    (@set short, $r:ident, $s:ident, $o:expr, $v:ident, $what:expr) => { set_short($r, $s, $o, $what, $v) };
    (@set key, $r:ident, $s:ident, $o:expr, $v:ident, $role:expr) => { set_key($r, $s, $o, $role, $v) };
    (@get flag, $r:ident, $s:ident, $o:expr) => { get_flag($r, $s, $o) };
    (@get short, $r:ident, $s:ident, $o:expr) => { get_short($r, $s, $o) };
    (@get key, $r:ident, $s:ident, $o:expr) => { get_key($r, $s, $o) };
    (@ret flag) => { bool };
    (@ret short) => { RString };
    (@ret key) => { Option<RString> };
}

socket_methods! {
    set_plain_server, plain_server, flag, PlainServer;
    set_plain_username, plain_username, short, PlainUsername, "PLAIN username";
    set_plain_password, plain_password, short, PlainPassword, "PLAIN password";
    set_curve_server, curve_server, flag, CurveServer;
    set_curve_publickey, curve_publickey, key, CurvePublickey, KeyRole::Public;
    set_curve_secretkey, curve_secretkey, key, CurveSecretkey, KeyRole::Secret;
    set_curve_serverkey, curve_serverkey, key, CurveServerkey, KeyRole::Server;
    set_zap_domain, zap_domain, short, ZapDomain, "ZAP domain";
}

// ----- ZMQ module functions --------------------------------------------------------------

/// `ZMQ.curve_keypair`: `[public_z85, secret_z85]`, fresh from the OS's generator.
fn curve_keypair(ruby: &Ruby) -> RArray {
    let kp = zmq_engine::security::curve_keypair();
    let secret = kp.secret.expose_z85();
    ruby.ary_from_iter([ruby.str_new(&kp.public.to_z85()), ruby.str_new(&secret)])
}

/// `ZMQ.curve_public(secret)`: the Z85 public key of a secret key (Z85 or 32 bytes).
fn curve_public(ruby: &Ruby, secret: Value) -> Result<RString, Error> {
    let raw = key_arg(ruby, secret, KeyRole::Secret)?;
    let mut bytes = [0u8; KEY_LEN];
    bytes.copy_from_slice(&raw);
    let mut raw = raw;
    raw.iter_mut().for_each(|x| *x = 0);
    let key = CurveSecretKey::from_bytes(bytes);
    bytes.iter_mut().for_each(|x| *x = 0);
    Ok(ruby.str_new(&key.public_key().to_z85()))
}

/// `ZMQ.z85_encode(binary)`: Z85 text (the length must be a multiple of 4).
fn z85_encode(ruby: &Ruby, data: Value) -> Result<RString, Error> {
    let mut b = string_bytes(ruby, data)?;
    let r = z85::encode(&b);
    b.iter_mut().for_each(|x| *x = 0);
    match r {
        Ok(text) => {
            let s = ruby.str_new(&text);
            zeroize_string(text);
            Ok(s)
        }
        Err(_) => Err(arg_error(
            ruby,
            format!("Z85 encodes a multiple of 4 bytes (got {} bytes)", b.len()),
        )),
    }
}

/// `ZMQ.z85_decode(text)`: the binary String (the length must be a multiple of 5).
fn z85_decode(ruby: &Ruby, text: Value) -> Result<RString, Error> {
    let mut b = string_bytes(ruby, text)?;
    let n = b.len();
    let r = match std::str::from_utf8(&b) {
        Ok(t) => z85::decode(t),
        Err(_) => Err(z85::Z85Error::BadCharacter),
    };
    b.iter_mut().for_each(|x| *x = 0);
    match r {
        Ok(mut bin) => {
            let s = ruby.str_from_slice(&bin);
            bin.iter_mut().for_each(|x| *x = 0);
            Ok(s)
        }
        Err(z85::Z85Error::BadLength) => Err(arg_error(
            ruby,
            format!("Z85 text is a multiple of 5 characters (got {n})"),
        )),
        Err(e) => Err(arg_error(ruby, format!("invalid Z85 text ({e})"))),
    }
}

// ----- ZMQ::Auth -------------------------------------------------------------------------

/// The native half of `ZMQ::Auth` (`ZMQ::Auth::ZapHandler`): the running engine Authenticator (None once stopped).
#[magnus::wrap(class = "ZMQ::Auth::ZapHandler", free_immediately, size)]
struct Auth {
    auth: Mutex<Option<Authenticator>>,
    ctx: Arc<CtxShared>,
}

impl Drop for Auth {
    /// An authenticator collected without `stop` stops (its thread ends within 50 ms). In
    /// a forked child the thread does not exist; the engine state is left alone.
    fn drop(&mut self) {
        let auth = self
            .auth
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(a) = auth {
            if self.ctx.in_owner_process() {
                drop(a);
            } else {
                std::mem::forget(a);
            }
        }
    }
}

impl Auth {
    /// `ZMQ::Auth::ZapHandler.__start(context)`: binds the context's ZAP endpoint and starts answering.
    fn start(ruby: &Ruby, context: Obj<Context>) -> Result<Auth, Error> {
        Context::check(ruby, &context)?;
        let ctx = context.shared().clone();
        match Authenticator::new(&ctx.engine) {
            Ok(a) => Ok(Auth {
                auth: Mutex::new(Some(a)),
                ctx,
            }),
            Err(e) if e.errno() == libc::EADDRINUSE => Err(zmq_error(
                ruby,
                "this context already has a ZAP handler (one ZMQ::Auth per context)",
            )),
            Err(e) => Err(crate::errors::syscall_error(ruby, e.errno())),
        }
    }

    fn with<T>(&self, ruby: &Ruby, f: impl FnOnce(&Authenticator) -> T) -> Result<T, Error> {
        let guard = self.auth.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(a) if !self.ctx.destroyed.load(std::sync::atomic::Ordering::SeqCst) => Ok(f(a)),
            Some(_) => Err(zmq_error(ruby, "the authenticator's context was destroyed")),
            None => Err(zmq_error(ruby, "the authenticator was stopped")),
        }
    }

    fn text(ruby: &Ruby, v: Value, what: &str) -> Result<String, Error> {
        let s = check_string(ruby, v)?;
        String::from_utf8(s.to_bytes().to_vec())
            .map_err(|_| arg_error(ruby, format!("{what} must be valid UTF-8")))
    }

    fn allow(ruby: &Ruby, rb_self: &Self, address: Value) -> Result<(), Error> {
        let address = Self::text(ruby, address, "an address")?;
        rb_self.with(ruby, |a| a.allow(&address))
    }

    fn deny(ruby: &Ruby, rb_self: &Self, address: Value) -> Result<(), Error> {
        let address = Self::text(ruby, address, "an address")?;
        rb_self.with(ruby, |a| a.deny(&address))
    }

    /// `__plain(domain, [[user, password], ...])`.
    fn plain(ruby: &Ruby, rb_self: &Self, domain: Value, pairs: RArray) -> Result<(), Error> {
        let domain = Self::text(ruby, domain, "the ZAP domain")?;
        let mut table: Vec<(BytesMut, BytesMut)> = Vec::with_capacity(pairs.len());
        for pair in pairs.into_iter() {
            let pair = RArray::from_value(pair)
                .filter(|p| p.len() == 2)
                .ok_or_else(|| {
                    arg_error(ruby, "PLAIN credentials are [username, password] pairs")
                })?;
            let user = string_bytes(ruby, pair.entry(0)?)?;
            let pass = string_bytes(ruby, pair.entry(1)?)?;
            if user.len() > MAX_SHORT || pass.len() > MAX_SHORT {
                return Err(arg_error(
                    ruby,
                    format!("PLAIN usernames and passwords are at most {MAX_SHORT} bytes"),
                ));
            }
            table.push((user, pass));
        }
        let r = rb_self.with(ruby, |a| {
            a.configure_plain(&domain, table.iter().map(|(u, p)| (&u[..], &p[..])))
        });
        for (_, p) in table.iter_mut() {
            p.iter_mut().for_each(|x| *x = 0);
        }
        r
    }

    /// `__curve(domain, [public_key, ...])`.
    fn curve(ruby: &Ruby, rb_self: &Self, domain: Value, keys: RArray) -> Result<(), Error> {
        let domain = Self::text(ruby, domain, "the ZAP domain")?;
        let mut list = Vec::with_capacity(keys.len());
        for k in keys.into_iter() {
            let raw = key_arg(ruby, k, KeyRole::Public)?;
            let mut bytes = [0u8; KEY_LEN];
            bytes.copy_from_slice(&raw);
            list.push(CurvePublicKey::from_bytes(bytes));
        }
        rb_self.with(ruby, |a| a.configure_curve(&domain, list))
    }

    fn curve_any(ruby: &Ruby, rb_self: &Self, domain: Value) -> Result<(), Error> {
        let domain = Self::text(ruby, domain, "the ZAP domain")?;
        rb_self.with(ruby, |a| a.configure_curve_any(&domain))
    }

    /// `stop`: ends the handler thread and frees the ZAP endpoint; idempotent.
    fn stop(&self) {
        let auth = self.auth.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(auth);
    }

    fn is_running(&self) -> bool {
        self.auth
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

pub fn init(ruby: &Ruby) -> Result<(), Error> {
    let zmq: RModule = ruby.define_module("ZMQ")?;
    zmq.define_module_function("curve_keypair", function!(curve_keypair, 0))?;
    zmq.define_module_function("curve_public", function!(curve_public, 1))?;
    zmq.define_module_function("z85_encode", function!(z85_encode, 1))?;
    zmq.define_module_function("z85_decode", function!(z85_decode, 1))?;

    let socket = zmq.define_class("Socket", ruby.class_object())?;
    socket.define_method("plain_server=", method!(set_plain_server, 1))?;
    socket.define_method("plain_server?", method!(plain_server, 0))?;
    socket.define_method("plain_username=", method!(set_plain_username, 1))?;
    socket.define_method("plain_username", method!(plain_username, 0))?;
    socket.define_method("plain_password=", method!(set_plain_password, 1))?;
    socket.define_method("plain_password", method!(plain_password, 0))?;
    socket.define_method("curve_server=", method!(set_curve_server, 1))?;
    socket.define_method("curve_server?", method!(curve_server, 0))?;
    socket.define_method("curve_publickey=", method!(set_curve_publickey, 1))?;
    socket.define_method("curve_publickey", method!(curve_publickey, 0))?;
    socket.define_method("curve_secretkey=", method!(set_curve_secretkey, 1))?;
    socket.define_method("curve_secretkey", method!(curve_secretkey, 0))?;
    socket.define_method("curve_serverkey=", method!(set_curve_serverkey, 1))?;
    socket.define_method("curve_serverkey", method!(curve_serverkey, 0))?;
    socket.define_method("zap_domain=", method!(set_zap_domain, 1))?;
    socket.define_method("zap_domain", method!(zap_domain, 0))?;

    let auth = zmq
        .define_class("Auth", ruby.class_object())?
        .define_class("ZapHandler", ruby.class_object())?;
    auth.undef_default_alloc_func();
    auth.define_singleton_method("__start", function!(Auth::start, 1))?;
    auth.define_method("__allow", method!(Auth::allow, 1))?;
    auth.define_method("__deny", method!(Auth::deny, 1))?;
    auth.define_method("__plain", method!(Auth::plain, 2))?;
    auth.define_method("__curve", method!(Auth::curve, 2))?;
    auth.define_method("__curve_any", method!(Auth::curve_any, 1))?;
    auth.define_method("__stop", method!(Auth::stop, 0))?;
    auth.define_method("__running?", method!(Auth::is_running, 0))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{decode_key, KeyRole};

    #[test]
    fn key_errors_never_show_the_key() {
        let kp = zmq_engine::security::curve_keypair();
        let z = kp.secret.expose_z85();
        assert_eq!(
            &decode_key(z.as_bytes(), KeyRole::Secret).unwrap()[..],
            kp.secret.expose_bytes()
        );
        let mut bad = z.as_bytes().to_vec();
        bad[3] = b' ';
        let e = decode_key(&bad, KeyRole::Secret).unwrap_err();
        assert!(e.contains("not valid Z85"), "{e}");
        assert!(!e.contains(&z[..10]));
        let e = decode_key(&z.as_bytes()[..39], KeyRole::Public).unwrap_err();
        assert_eq!(
            e,
            "CURVE public key must be 40 Z85 characters or 32 bytes (got 39 bytes)"
        );
        assert_eq!(decode_key(&[7u8; 32], KeyRole::Server).unwrap().len(), 32);
    }
}
