//! Socket options: their values, libzmq 4.3's defaults and validation.

use crate::error::{Error, Result};
use bytes::Bytes;
use std::time::Duration;

/// Every option the engine understands, for `Socket::set_option`/`get_option`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketOption {
    SndHwm,
    RcvHwm,
    Affinity,
    /// The routing id we announce to peers (`ZMQ_IDENTITY` / `ZMQ_ROUTING_ID`).
    Identity,
    Subscribe,
    Unsubscribe,
    Rate,
    RecoveryIvl,
    SndBuf,
    RcvBuf,
    Linger,
    ReconnectIvl,
    ReconnectIvlMax,
    Backlog,
    MaxMsgSize,
    MulticastHops,
    RcvTimeo,
    SndTimeo,
    Ipv4Only,
    Ipv6,
    Immediate,
    RouterMandatory,
    RouterRaw,
    RouterHandover,
    /// STREAM (and raw ROUTER): an empty message from a peer announces its connect and
    /// its disconnect (`ZMQ_STREAM_NOTIFY`; on by default, as in libzmq 4.2 and later).
    StreamNotify,
    XpubVerbose,
    ProbeRouter,
    ReqCorrelate,
    ReqRelaxed,
    Conflate,
    TcpKeepalive,
    HeartbeatIvl,
    HeartbeatTtl,
    HeartbeatTimeout,
    HandshakeIvl,
    /// 1: PLAIN server (ZAP checks passwords). See [`crate::security::SecurityOptions`].
    PlainServer,
    /// Makes the socket a PLAIN client.
    PlainUsername,
    PlainPassword,
    /// 1: CURVE server (needs `CurveSecretkey`).
    CurveServer,
    /// 32 bytes or 40 Z85 characters.
    CurvePublickey,
    CurveSecretkey,
    /// The server's public key: makes the socket a CURVE client.
    CurveServerkey,
    /// RFC 27 domain for ZAP requests; with NULL it turns ZAP on.
    ZapDomain,
    /// Read only.
    Type,
    /// Read only.
    RcvMore,
    /// Read only: POLLIN/POLLOUT bits.
    Events,
    /// Read only.
    LastEndpoint,
}

/// An option value. Integers cover booleans (0/1) as libzmq does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionValue {
    Int(i64),
    Bytes(Bytes),
}

impl OptionValue {
    pub fn as_int(&self) -> Result<i64> {
        match self {
            OptionValue::Int(i) => Ok(*i),
            OptionValue::Bytes(_) => Err(Error::inval("option expects an integer")),
        }
    }
    pub fn as_bytes(&self) -> Result<&Bytes> {
        match self {
            OptionValue::Bytes(b) => Ok(b),
            OptionValue::Int(_) => Err(Error::inval("option expects a byte string")),
        }
    }
}

impl From<i64> for OptionValue {
    fn from(v: i64) -> Self {
        OptionValue::Int(v)
    }
}
impl From<bool> for OptionValue {
    fn from(v: bool) -> Self {
        OptionValue::Int(v as i64)
    }
}
impl From<&str> for OptionValue {
    fn from(v: &str) -> Self {
        OptionValue::Bytes(Bytes::copy_from_slice(v.as_bytes()))
    }
}
impl From<&[u8]> for OptionValue {
    fn from(v: &[u8]) -> Self {
        OptionValue::Bytes(Bytes::copy_from_slice(v))
    }
}

/// The plain-value options of one socket. Pattern-specific ones (subscriptions,
/// router/xpub flags) live in the pattern.
#[derive(Clone, Debug)]
pub struct Options {
    pub sndhwm: i32,
    pub rcvhwm: i32,
    pub affinity: u64,
    pub identity: Bytes,
    pub rate: i32,
    pub recovery_ivl: i32,
    pub sndbuf: i32,
    pub rcvbuf: i32,
    /// Milliseconds; -1 waits for ever.
    pub linger: i32,
    pub reconnect_ivl: i32,
    pub reconnect_ivl_max: i32,
    pub backlog: i32,
    pub maxmsgsize: i64,
    pub multicast_hops: i32,
    pub rcvtimeo: i32,
    pub sndtimeo: i32,
    pub ipv6: bool,
    pub immediate: bool,
    pub conflate: bool,
    pub tcp_keepalive: i32,
    pub heartbeat_ivl: i32,
    pub heartbeat_ttl: i32,
    /// -1: same as heartbeat_ivl.
    pub heartbeat_timeout: i32,
    pub handshake_ivl: i32,
    /// ROUTER_RAW: connections carry raw bytes, no ZMTP (set through the pattern).
    pub raw: bool,
    /// PLAIN/CURVE/ZAP settings (secrets redacted in `Debug`).
    pub security: crate::security::SecurityOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sndhwm: 1000,
            rcvhwm: 1000,
            affinity: 0,
            identity: Bytes::new(),
            rate: 100,
            recovery_ivl: 10_000,
            sndbuf: -1,
            rcvbuf: -1,
            linger: -1,
            reconnect_ivl: 100,
            reconnect_ivl_max: 0,
            backlog: 100,
            maxmsgsize: -1,
            multicast_hops: 1,
            rcvtimeo: -1,
            sndtimeo: -1,
            ipv6: false,
            immediate: false,
            conflate: false,
            tcp_keepalive: -1,
            heartbeat_ivl: 0,
            heartbeat_ttl: 0,
            heartbeat_timeout: -1,
            handshake_ivl: 30_000,
            raw: false,
            security: Default::default(),
        }
    }
}

fn int_in(v: &OptionValue, min: i64, max: i64) -> Result<i64> {
    let i = v.as_int()?;
    if i < min || i > max {
        return Err(Error::inval(format!(
            "value {i} out of range {min}..={max}"
        )));
    }
    Ok(i)
}

fn non_negative_i32(v: &OptionValue) -> Result<i32> {
    Ok(int_in(v, 0, i32::MAX as i64)? as i32)
}

fn from_minus_one_i32(v: &OptionValue) -> Result<i32> {
    Ok(int_in(v, -1, i32::MAX as i64)? as i32)
}

fn flag(v: &OptionValue) -> Result<bool> {
    Ok(int_in(v, 0, 1)? == 1)
}

impl Options {
    /// Sets a plain option. Returns `Ok(false)` if the option is not a plain one (the
    /// socket then asks its pattern).
    pub fn set(&mut self, opt: SocketOption, v: &OptionValue) -> Result<bool> {
        use SocketOption::*;
        match opt {
            SndHwm => self.sndhwm = non_negative_i32(v)?,
            RcvHwm => self.rcvhwm = non_negative_i32(v)?,
            Affinity => self.affinity = int_in(v, 0, i64::MAX)? as u64,
            Identity => {
                let id = v.as_bytes()?;
                if id.is_empty() || id.len() > 255 {
                    return Err(Error::inval("identity must be 1 to 255 bytes"));
                }
                if id[0] == 0 {
                    return Err(Error::inval("identity may not start with a zero byte"));
                }
                self.identity = id.clone();
            }
            Rate => self.rate = int_in(v, 1, i32::MAX as i64)? as i32,
            RecoveryIvl => self.recovery_ivl = non_negative_i32(v)?,
            SndBuf => self.sndbuf = from_minus_one_i32(v)?,
            RcvBuf => self.rcvbuf = from_minus_one_i32(v)?,
            Linger => self.linger = from_minus_one_i32(v)?,
            ReconnectIvl => self.reconnect_ivl = from_minus_one_i32(v)?,
            ReconnectIvlMax => self.reconnect_ivl_max = non_negative_i32(v)?,
            Backlog => self.backlog = non_negative_i32(v)?,
            MaxMsgSize => self.maxmsgsize = int_in(v, -1, i64::MAX)?,
            MulticastHops => self.multicast_hops = int_in(v, 1, i32::MAX as i64)? as i32,
            RcvTimeo => self.rcvtimeo = from_minus_one_i32(v)?,
            SndTimeo => self.sndtimeo = from_minus_one_i32(v)?,
            Ipv6 => self.ipv6 = flag(v)?,
            Ipv4Only => self.ipv6 = !flag(v)?,
            Immediate => self.immediate = flag(v)?,
            Conflate => self.conflate = flag(v)?,
            TcpKeepalive => self.tcp_keepalive = int_in(v, -1, 1)? as i32,
            HeartbeatIvl => self.heartbeat_ivl = non_negative_i32(v)?,
            HeartbeatTtl => {
                // Sent on the wire in deciseconds in a 16-bit field.
                self.heartbeat_ttl = int_in(v, 0, 6_553_599)? as i32;
            }
            HeartbeatTimeout => self.heartbeat_timeout = from_minus_one_i32(v)?,
            HandshakeIvl => self.handshake_ivl = non_negative_i32(v)?,
            _ => return self.security.set(opt, v),
        }
        Ok(true)
    }

    /// Reads a plain option; `None` if it is not one.
    pub fn get(&self, opt: SocketOption) -> Option<OptionValue> {
        use SocketOption::*;
        let i = |v: i64| Some(OptionValue::Int(v));
        match opt {
            SndHwm => i(self.sndhwm as i64),
            RcvHwm => i(self.rcvhwm as i64),
            Affinity => i(self.affinity as i64),
            Identity => Some(OptionValue::Bytes(self.identity.clone())),
            Rate => i(self.rate as i64),
            RecoveryIvl => i(self.recovery_ivl as i64),
            SndBuf => i(self.sndbuf as i64),
            RcvBuf => i(self.rcvbuf as i64),
            Linger => i(self.linger as i64),
            ReconnectIvl => i(self.reconnect_ivl as i64),
            ReconnectIvlMax => i(self.reconnect_ivl_max as i64),
            Backlog => i(self.backlog as i64),
            MaxMsgSize => i(self.maxmsgsize),
            MulticastHops => i(self.multicast_hops as i64),
            RcvTimeo => i(self.rcvtimeo as i64),
            SndTimeo => i(self.sndtimeo as i64),
            Ipv6 => i(self.ipv6 as i64),
            Ipv4Only => i(!self.ipv6 as i64),
            Immediate => i(self.immediate as i64),
            Conflate => i(self.conflate as i64),
            TcpKeepalive => i(self.tcp_keepalive as i64),
            HeartbeatIvl => i(self.heartbeat_ivl as i64),
            HeartbeatTtl => i(self.heartbeat_ttl as i64),
            HeartbeatTimeout => i(self.heartbeat_timeout as i64),
            HandshakeIvl => i(self.handshake_ivl as i64),
            _ => self.security.get(opt),
        }
    }

    /// `None` means no limit.
    pub fn maxmsgsize(&self) -> Option<u64> {
        (self.maxmsgsize >= 0).then_some(self.maxmsgsize as u64)
    }

    pub fn rcvtimeo(&self) -> Option<Duration> {
        millis(self.rcvtimeo)
    }

    pub fn sndtimeo(&self) -> Option<Duration> {
        millis(self.sndtimeo)
    }

    pub fn heartbeat_timeout_ms(&self) -> i32 {
        if self.heartbeat_timeout < 0 {
            self.heartbeat_ivl
        } else {
            self.heartbeat_timeout
        }
    }
}

/// A timeout option in ms, where -1 means "wait for ever".
pub fn millis(ms: i32) -> Option<Duration> {
    (ms >= 0).then(|| Duration::from_millis(ms as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_libzmq() {
        let o = Options::default();
        assert_eq!(o.get(SocketOption::SndHwm), Some(OptionValue::Int(1000)));
        assert_eq!(o.get(SocketOption::Linger), Some(OptionValue::Int(-1)));
        assert_eq!(o.get(SocketOption::Ipv4Only), Some(OptionValue::Int(1)));
        assert_eq!(o.get(SocketOption::MaxMsgSize), Some(OptionValue::Int(-1)));
        assert_eq!(o.get(SocketOption::Subscribe), None);
    }

    #[test]
    fn validation_rejects_bad_values() {
        let mut o = Options::default();
        assert!(o.set(SocketOption::SndHwm, &OptionValue::Int(-1)).is_err());
        assert!(o.set(SocketOption::Linger, &OptionValue::Int(-2)).is_err());
        assert!(o.set(SocketOption::Identity, &"".into()).is_err());
        assert!(o.set(SocketOption::Identity, &OptionValue::Int(1)).is_err());
        assert!(o.set(SocketOption::Ipv6, &OptionValue::Int(2)).is_err());
        assert!(o.set(SocketOption::Identity, &"peer".into()).unwrap());
        assert_eq!(o.identity, "peer");
        assert!(!o.set(SocketOption::Subscribe, &"x".into()).unwrap());
    }
}
