//! Socket monitoring (`zmq_socket_monitor`): connection events sent as two-part messages
//! (`u16` event + `u32` value, little-endian; then the endpoint) from an inproc PAIR
//! socket the monitored socket binds, in libzmq's format.

use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::socket::{Socket, SocketInner};
use crate::socket_type::SocketType;
use crate::transport::Endpoint;
use bytes::{BufMut, Bytes, BytesMut};

pub const EVENT_CONNECTED: u32 = 1;
pub const EVENT_CONNECT_DELAYED: u32 = 2;
pub const EVENT_CONNECT_RETRIED: u32 = 4;
pub const EVENT_LISTENING: u32 = 8;
pub const EVENT_BIND_FAILED: u32 = 16;
pub const EVENT_ACCEPTED: u32 = 32;
pub const EVENT_ACCEPT_FAILED: u32 = 64;
pub const EVENT_CLOSED: u32 = 128;
pub const EVENT_CLOSE_FAILED: u32 = 256;
pub const EVENT_DISCONNECTED: u32 = 512;
pub const EVENT_MONITOR_STOPPED: u32 = 1024;
pub const EVENT_HANDSHAKE_FAILED_NO_DETAIL: u32 = 2048;
pub const EVENT_HANDSHAKE_SUCCEEDED: u32 = 4096;
pub const EVENT_HANDSHAKE_FAILED_PROTOCOL: u32 = 8192;
pub const EVENT_HANDSHAKE_FAILED_AUTH: u32 = 16384;
pub const EVENT_ALL: u32 = 0xFFFF;

/// The monitor attached to a socket: where events go and which ones.
pub(crate) struct Monitor {
    pair: Socket,
    mask: u32,
}

fn event_msg(event: u32, value: u32, endpoint: &str) -> Msg {
    let mut head = BytesMut::with_capacity(6);
    head.put_u16_le(event as u16);
    head.put_u32_le(value);
    Msg::from_parts([head.freeze(), Bytes::copy_from_slice(endpoint.as_bytes())])
}

impl Monitor {
    /// Says the monitoring is over (if asked for) and closes the event socket; what it
    /// queued still reaches the reader.
    pub(crate) fn stop(self) {
        if self.mask & EVENT_MONITOR_STOPPED != 0 {
            let _ = self
                .pair
                .send(event_msg(EVENT_MONITOR_STOPPED, 0, ""), true);
        }
        self.pair.close_with_linger(0);
    }
}

impl SocketInner {
    /// Ends monitoring (MONITOR_STOPPED is the last event).
    pub(crate) fn stop_monitor(&self) {
        let monitor = self
            .monitor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(m) = monitor {
            m.stop();
        }
    }

    /// Reports an event if a monitor wants it. Never blocks: a monitor that does not
    /// keep up misses events.
    pub(crate) fn emit(&self, event: u32, value: u32, endpoint: &str) {
        let guard = self.monitor.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = guard.as_ref().filter(|m| m.mask & event != 0) {
            let _ = m.pair.send(event_msg(event, value, endpoint), true);
        }
    }
}

impl Socket {
    /// Starts sending this socket's events in `mask` to a PAIR socket bound at
    /// `endpoint` (inproc only, as libzmq). `None` stops monitoring.
    pub fn monitor(&self, endpoint: Option<&str>, mask: u32) -> Result<()> {
        self.inner.stop_monitor();
        let Some(endpoint) = endpoint else {
            return Ok(());
        };
        if !matches!(Endpoint::parse(endpoint)?, Endpoint::Inproc(_)) {
            return Err(Error::new(libc::EPROTONOSUPPORT));
        }
        let ctx = crate::Context::from_inner(self.inner.ctx.clone());
        let pair = ctx.socket(SocketType::Pair)?;
        pair.bind(endpoint)?;
        *self.inner.monitor.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Monitor { pair, mask });
        Ok(())
    }
}
