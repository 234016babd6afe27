//! CURVE (RFC 25 over ZMTP, RFC 26 CurveZMQ): the HELLO/WELCOME/INITIATE/READY
//! handshake, then every frame boxed in a MESSAGE command.
//!
//! Wire layouts (offsets in the command body, which starts with the name's length):
//!
//! ```text
//! HELLO    200: name 0..6, version 6..8 (1.0), padding 8..80, C' 80..112,
//!               short nonce 112..120, Box[64 zeros](C'->S) 120..200
//! WELCOME  168: name 0..8, long nonce 8..24, Box[S' + cookie](S->C') 24..168
//! INITIATE 257+: name 0..9, cookie 9..105 (nonce 16 + secretbox 80), short nonce
//!               105..113, Box[C + vouch + metadata](C'->S') 113..
//! READY    30+: name 0..6, short nonce 6..14, Box[metadata](S'->C') 14..
//! MESSAGE  33+: name 0..8, short nonce 8..16, Box[flags + payload] 16..
//! ```
//!
//! Short nonces are per-direction counters starting at 1 (HELLO, INITIATE and then
//! MESSAGEs for the client; READY and then MESSAGEs for the server); a receiver refuses
//! any nonce not above the last one it accepted. Long nonces are 16 random octets.

use std::cell::Cell;
use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use super::zap_side::{no_zap, ZapExchange};
use super::{is_command, peer_error, unexpected, Established, Local, Mechanism};
use crate::security::zap::{ZapReply, ZapRequest};
use crate::security::{
    nonce, random_bytes, BoxKey, CurvePublicKey, CurveSecretKey, KEY_LEN, MAC_LEN, NONCE_LEN,
};
use crate::wire::frame::{self, encode_command};
use crate::wire::{command, ProtocolError};

const HELLO_PREFIX: &[u8; 16] = b"CurveZMQHELLO---";
const INITIATE_PREFIX: &[u8; 16] = b"CurveZMQINITIATE";
const READY_PREFIX: &[u8; 16] = b"CurveZMQREADY---";
const MESSAGE_FROM_CLIENT: &[u8; 16] = b"CurveZMQMESSAGEC";
const MESSAGE_FROM_SERVER: &[u8; 16] = b"CurveZMQMESSAGES";
const MESSAGE_NAME: &[u8] = b"\x07MESSAGE";
/// Name, short nonce.
const MESSAGE_HEADER: usize = 8 + 8;
/// Flags inside a MESSAGE box (libzmq's message flags: MORE, COMMAND).
const INNER_MORE: u8 = 1;
const INNER_COMMAND: u8 = 2;

fn short_nonce(body: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&body[at..at + 8]);
    u64::from_be_bytes(b)
}

fn key_at(data: &[u8], at: usize) -> [u8; KEY_LEN] {
    let mut k = [0u8; KEY_LEN];
    k.copy_from_slice(&data[at..at + KEY_LEN]);
    k
}

fn box_key(their: &[u8; KEY_LEN], ours: &CurveSecretKey) -> Result<BoxKey, ProtocolError> {
    BoxKey::new(their, ours).ok_or(ProtocolError::Crypto("unusable peer key"))
}

/// Encrypts and decrypts MESSAGE commands once the handshake is done. Each direction
/// has its own nonce prefix and counter, so a nonce is never used twice with the key.
pub struct CurveCipher {
    key: BoxKey,
    send_prefix: &'static [u8; 16],
    recv_prefix: &'static [u8; 16],
    /// The next short nonce we send (a `Cell` so encoding works through `&self`).
    send_nonce: Cell<u64>,
    /// The last short nonce the peer used: the next must be larger.
    peer_nonce: u64,
}

impl fmt::Debug for CurveCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveCipher")
            .field("send_nonce", &self.send_nonce.get())
            .field("peer_nonce", &self.peer_nonce)
            .finish_non_exhaustive()
    }
}

impl CurveCipher {
    fn next_nonce(&self) -> Option<u64> {
        let n = self.send_nonce.get();
        // RFC 26: never more than 2^64-1 commands; a counter that would wrap stops.
        self.send_nonce.set(n.checked_add(1)?);
        Some(n)
    }

    /// Appends one MESSAGE command (sent as a plain frame, as libzmq does) boxing
    /// `inner_flags` and `payload`. `payload` is copied once, into `out`, and encrypted
    /// there.
    pub fn seal(&self, inner_flags: u8, payload: &[u8], out: &mut BytesMut) {
        let Some(n) = self.next_nonce() else {
            return;
        };
        let body_len = MESSAGE_HEADER + MAC_LEN + 1 + payload.len();
        out.reserve(frame::header_len(body_len) + body_len);
        frame::put_header(out, 0, body_len);
        out.put_slice(MESSAGE_NAME);
        out.put_slice(&n.to_be_bytes());
        let box_at = out.len();
        out.put_bytes(0, MAC_LEN);
        out.put_u8(inner_flags);
        out.put_slice(payload);
        let full = nonce(self.send_prefix, &n.to_be_bytes());
        self.key.seal_in_place(&full, &mut out[box_at..]);
    }

    /// Boxes every frame of `plain` (frames we encoded ourselves: commands such as PING,
    /// PONG, SUBSCRIBE) into MESSAGE commands.
    pub fn seal_frames(&self, mut plain: &[u8], out: &mut BytesMut) {
        while let Ok(frame::Header::Complete(h)) = frame::parse_header(plain) {
            let end = h.header_len + h.size as usize;
            let mut flags = 0;
            if h.more() {
                flags |= INNER_MORE;
            }
            if h.is_command() {
                flags |= INNER_COMMAND;
            }
            self.seal(flags, &plain[h.header_len..end], out);
            plain = &plain[end..];
        }
    }

    /// Opens one MESSAGE command in place. Returns the inner flags (MORE, COMMAND) and
    /// the payload, a slice of the same buffer.
    pub fn open(&mut self, mut body: BytesMut) -> Result<(bool, bool, Bytes), ProtocolError> {
        if !body.starts_with(MESSAGE_NAME) {
            return Err(unexpected(&body));
        }
        if body.len() < MESSAGE_HEADER + MAC_LEN + 1 {
            return Err(ProtocolError::MalformedCommand("MESSAGE too short"));
        }
        let n = short_nonce(&body, 8);
        if n <= self.peer_nonce {
            return Err(ProtocolError::InvalidSequence);
        }
        let full = nonce(self.recv_prefix, &body[8..16]);
        self.key
            .open_in_place(&full, &mut body[MESSAGE_HEADER..])
            .map_err(|_| ProtocolError::Crypto("MESSAGE box does not open"))?;
        self.peer_nonce = n;
        let flags = body[MESSAGE_HEADER + MAC_LEN];
        let payload = body.split_off(MESSAGE_HEADER + MAC_LEN + 1).freeze();
        Ok((flags & INNER_MORE != 0, flags & INNER_COMMAND != 0, payload))
    }
}

// ---------------------------------------------------------------------------------
// Client

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientState {
    Start,
    WaitWelcome,
    WaitReady,
    Done,
}

pub struct CurveClient {
    public: CurvePublicKey,
    secret: CurveSecretKey,
    server: CurvePublicKey,
    /// Our transient key pair (C', c').
    cn_secret: CurveSecretKey,
    cn_public: CurvePublicKey,
    /// Box key (S', c') once WELCOME arrived.
    precom: Option<BoxKey>,
    state: ClientState,
    next_nonce: u64,
    done: Option<(Bytes, u64)>,
}

impl fmt::Debug for CurveClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveClient")
            .field("public", &self.public)
            .field("server", &self.server)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl CurveClient {
    pub fn new(public: CurvePublicKey, secret: CurveSecretKey, server: CurvePublicKey) -> Self {
        let cn_secret = CurveSecretKey::generate();
        CurveClient {
            public,
            secret,
            server,
            cn_public: cn_secret.public_key(),
            cn_secret,
            precom: None,
            state: ClientState::Start,
            next_nonce: 1,
            done: None,
        }
    }

    fn take_nonce(&mut self) -> u64 {
        let n = self.next_nonce;
        self.next_nonce += 1;
        n
    }

    fn on_welcome(
        &mut self,
        local: &Local,
        body: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        if body.len() != 168 {
            return Err(ProtocolError::MalformedCommand("WELCOME is not 168 bytes"));
        }
        let welcome_key = box_key(&self.server.0, &self.cn_secret)?;
        let plain = welcome_key
            .open(&nonce(b"WELCOME-", &body[8..24]), &body[24..168])
            .map_err(|_| ProtocolError::Crypto("WELCOME box does not open"))?;
        let server_transient = key_at(&plain, 0);
        let cookie = &plain[32..128];
        let precom = box_key(&server_transient, &self.cn_secret)?;

        // Vouch: Box[C' + S](C->S'), long random nonce.
        let mut vouch_nonce = [0u8; 16];
        random_bytes(&mut vouch_nonce);
        let mut vouch_plain = [0u8; 64];
        vouch_plain[..32].copy_from_slice(&self.cn_public.0);
        vouch_plain[32..].copy_from_slice(&self.server.0);
        let vouch = box_key(&server_transient, &self.secret)?
            .seal(&nonce(b"VOUCH---", &vouch_nonce), &vouch_plain);

        // INITIATE box: Box[C + vouch nonce + vouch + metadata](C'->S').
        let metadata = local.metadata();
        let mut initiate_plain =
            zeroize::Zeroizing::new(Vec::with_capacity(32 + 16 + vouch.len() + metadata.len()));
        initiate_plain.extend_from_slice(&self.public.0);
        initiate_plain.extend_from_slice(&vouch_nonce);
        initiate_plain.extend_from_slice(&vouch);
        initiate_plain.extend_from_slice(&metadata);
        let n = self.take_nonce();
        let boxed = precom.seal(&nonce(INITIATE_PREFIX, &n.to_be_bytes()), &initiate_plain);

        let mut data = Vec::with_capacity(96 + 8 + boxed.len());
        data.extend_from_slice(cookie);
        data.extend_from_slice(&n.to_be_bytes());
        data.extend_from_slice(&boxed);
        encode_command(out, b"INITIATE", &data);
        self.precom = Some(precom);
        self.state = ClientState::WaitReady;
        Ok(())
    }

    fn on_ready(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        if body.len() < 30 {
            return Err(ProtocolError::MalformedCommand("READY too short"));
        }
        let precom = self
            .precom
            .as_ref()
            .ok_or(ProtocolError::Crypto("no keys"))?;
        let n = short_nonce(body, 6);
        let meta = precom
            .open(&nonce(READY_PREFIX, &body[6..14]), &body[14..])
            .map_err(|_| ProtocolError::Crypto("READY box does not open"))?;
        let meta = Bytes::copy_from_slice(&meta);
        command::parse_ready(&meta)?;
        self.done = Some((meta, n));
        self.state = ClientState::Done;
        Ok(())
    }
}

impl Mechanism for CurveClient {
    fn start(&mut self, _local: &Local, out: &mut BytesMut) -> Result<(), ProtocolError> {
        let n = self.take_nonce();
        let signature = box_key(&self.server.0, &self.cn_secret)?
            .seal(&nonce(HELLO_PREFIX, &n.to_be_bytes()), &[0u8; 64]);
        let mut data = Vec::with_capacity(194);
        data.extend_from_slice(&[1, 0]);
        data.extend_from_slice(&[0u8; 72]);
        data.extend_from_slice(&self.cn_public.0);
        data.extend_from_slice(&n.to_be_bytes());
        data.extend_from_slice(&signature);
        encode_command(out, b"HELLO", &data);
        self.state = ClientState::WaitWelcome;
        Ok(())
    }

    fn on_command(
        &mut self,
        local: &Local,
        body: Bytes,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        match self.state {
            ClientState::WaitWelcome if is_command(&body, b"WELCOME") => {
                self.on_welcome(local, &body, out)
            }
            ClientState::WaitReady if is_command(&body, b"READY") => self.on_ready(&body),
            ClientState::WaitWelcome | ClientState::WaitReady if is_command(&body, b"ERROR") => {
                Err(peer_error(&body))
            }
            _ => Err(unexpected(&body)),
        }
    }

    no_zap!();

    fn established(&mut self) -> Option<Established> {
        let (peer_metadata, peer_nonce) = self.done.take()?;
        let cipher = CurveCipher {
            key: self.precom.take()?,
            send_prefix: MESSAGE_FROM_CLIENT,
            recv_prefix: MESSAGE_FROM_SERVER,
            send_nonce: Cell::new(self.next_nonce),
            peer_nonce,
        };
        Some(Established::without_zap(peer_metadata, Some(cipher)))
    }
}

// ---------------------------------------------------------------------------------
// Server

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServerState {
    WaitHello,
    WaitInitiate,
    WaitZap,
    Done,
}

pub struct CurveServer {
    secret: CurveSecretKey,
    public: CurvePublicKey,
    /// The client's transient public key C'.
    client_transient: [u8; KEY_LEN],
    /// Our transient key pair (S', s'), made for this connection.
    cn_secret: CurveSecretKey,
    cn_public: CurvePublicKey,
    /// The cookie key, wiped once INITIATE came back (or with the mechanism).
    cookie_key: Option<zeroize::Zeroizing<[u8; KEY_LEN]>>,
    precom: Option<BoxKey>,
    peer_nonce: u64,
    state: ServerState,
    zap: ZapExchange,
    peer_metadata: Option<Bytes>,
    ready_out: bool,
}

impl fmt::Debug for CurveServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveServer")
            .field("public", &self.public)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl CurveServer {
    pub fn new(secret: CurveSecretKey) -> Self {
        let cn_secret = CurveSecretKey::generate();
        CurveServer {
            public: secret.public_key(),
            secret,
            client_transient: [0; KEY_LEN],
            cn_public: cn_secret.public_key(),
            cn_secret,
            cookie_key: None,
            precom: None,
            peer_nonce: 0,
            state: ServerState::WaitHello,
            zap: ZapExchange::default(),
            peer_metadata: None,
            ready_out: false,
        }
    }

    fn on_hello(&mut self, body: &[u8], out: &mut BytesMut) -> Result<(), ProtocolError> {
        if body.len() != 200 {
            return Err(ProtocolError::MalformedCommand("HELLO is not 200 bytes"));
        }
        if body[6..8] != [1, 0] {
            return Err(ProtocolError::MalformedCommand("HELLO version is not 1.0"));
        }
        self.client_transient = key_at(body, 80);
        let hello_key = box_key(&self.client_transient, &self.secret)?;
        let signature = hello_key
            .open(&nonce(HELLO_PREFIX, &body[112..120]), &body[120..200])
            .map_err(|_| ProtocolError::Crypto("HELLO box does not open"))?;
        if signature.iter().any(|&b| b != 0) {
            return Err(ProtocolError::Crypto("HELLO signature is not zeros"));
        }
        self.peer_nonce = short_nonce(body, 112);

        // Cookie: secretbox[C' + s'](K) under a key only this connection knows.
        let mut cookie_key = zeroize::Zeroizing::new([0u8; KEY_LEN]);
        random_bytes(&mut cookie_key[..]);
        let mut cookie_nonce = [0u8; 16];
        random_bytes(&mut cookie_nonce);
        let mut cookie_plain = zeroize::Zeroizing::new([0u8; 64]);
        cookie_plain[..32].copy_from_slice(&self.client_transient);
        cookie_plain[32..].copy_from_slice(self.cn_secret.expose_bytes());
        let cookie = BoxKey::secretbox(&cookie_key)
            .seal(&nonce(b"COOKIE--", &cookie_nonce), &cookie_plain[..]);

        // WELCOME box: Box[S' + cookie](S->C'), long random nonce.
        let mut welcome_plain = [0u8; 128];
        welcome_plain[..32].copy_from_slice(&self.cn_public.0);
        welcome_plain[32..48].copy_from_slice(&cookie_nonce);
        welcome_plain[48..].copy_from_slice(&cookie);
        let mut welcome_nonce = [0u8; 16];
        random_bytes(&mut welcome_nonce);
        let boxed = hello_key.seal(&nonce(b"WELCOME-", &welcome_nonce), &welcome_plain);
        let mut data = Vec::with_capacity(160);
        data.extend_from_slice(&welcome_nonce);
        data.extend_from_slice(&boxed);
        encode_command(out, b"WELCOME", &data);
        self.cookie_key = Some(cookie_key);
        self.state = ServerState::WaitInitiate;
        Ok(())
    }

    fn on_initiate(&mut self, local: &Local, body: &Bytes) -> Result<(), ProtocolError> {
        if body.len() < 257 {
            return Err(ProtocolError::MalformedCommand("INITIATE too short"));
        }
        let cookie_key = self
            .cookie_key
            .take()
            .ok_or(ProtocolError::Crypto("no cookie key"))?;
        let cookie = BoxKey::secretbox(&cookie_key)
            .open(&nonce(b"COOKIE--", &body[9..25]), &body[25..105])
            .map_err(|_| ProtocolError::Crypto("INITIATE cookie does not open"))?;
        if cookie[..32] != self.client_transient
            || cookie[32..] != self.cn_secret.expose_bytes()[..]
        {
            return Err(ProtocolError::Crypto("INITIATE cookie does not match"));
        }
        let n = short_nonce(body, 105);
        if n <= self.peer_nonce {
            return Err(ProtocolError::InvalidSequence);
        }
        let precom = box_key(&self.client_transient, &self.cn_secret)?;
        let plain = precom
            .open(&nonce(INITIATE_PREFIX, &body[105..113]), &body[113..])
            .map_err(|_| ProtocolError::Crypto("INITIATE box does not open"))?;
        // C (32), vouch nonce (16), vouch box (80), metadata.
        let client_key = key_at(&plain, 0);
        let vouch = box_key(&client_key, &self.cn_secret)?
            .open(&nonce(b"VOUCH---", &plain[32..48]), &plain[48..128])
            .map_err(|_| ProtocolError::Crypto("INITIATE vouch does not open"))?;
        if vouch[..32] != self.client_transient || vouch[32..] != self.public.0 {
            return Err(ProtocolError::KeyExchange);
        }
        let meta = Bytes::copy_from_slice(&plain[128..]);
        command::parse_ready(&meta)?;
        self.peer_nonce = n;
        self.precom = Some(precom);
        self.peer_metadata = Some(meta);
        self.zap
            .ask(local.zap_request(b"CURVE", vec![Bytes::copy_from_slice(&client_key)]));
        self.state = ServerState::WaitZap;
        Ok(())
    }

    fn send_ready(&mut self, local: &Local, out: &mut BytesMut) -> Result<(), ProtocolError> {
        let precom = self
            .precom
            .as_ref()
            .ok_or(ProtocolError::Crypto("no keys"))?;
        // Our first short nonce.
        let n: u64 = 1;
        let boxed = precom.seal(&nonce(READY_PREFIX, &n.to_be_bytes()), &local.metadata());
        let mut data = Vec::with_capacity(8 + boxed.len());
        data.extend_from_slice(&n.to_be_bytes());
        data.extend_from_slice(&boxed);
        encode_command(out, b"READY", &data);
        self.ready_out = true;
        self.state = ServerState::Done;
        Ok(())
    }
}

impl Mechanism for CurveServer {
    fn start(&mut self, _local: &Local, _out: &mut BytesMut) -> Result<(), ProtocolError> {
        Ok(())
    }

    fn on_command(
        &mut self,
        local: &Local,
        body: Bytes,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        match self.state {
            ServerState::WaitHello if is_command(&body, b"HELLO") => self.on_hello(&body, out),
            ServerState::WaitInitiate if is_command(&body, b"INITIATE") => {
                self.on_initiate(local, &body)
            }
            _ => Err(unexpected(&body)),
        }
    }

    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        self.zap.take_request()
    }

    fn awaiting_zap(&self) -> bool {
        self.state == ServerState::WaitZap
    }

    fn on_zap_reply(
        &mut self,
        local: &Local,
        reply: Option<&ZapReply>,
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        if self.state != ServerState::WaitZap {
            return Ok(());
        }
        // No handler: libzmq lets CURVE proceed (encryption without authentication).
        if let Some(reply) = reply {
            self.zap.accept(reply, out)?;
        }
        self.send_ready(local, out)
    }

    fn established(&mut self) -> Option<Established> {
        if !self.ready_out {
            return None;
        }
        let peer_metadata = self.peer_metadata.take()?;
        let cipher = CurveCipher {
            key: self.precom.take()?,
            send_prefix: MESSAGE_FROM_SERVER,
            recv_prefix: MESSAGE_FROM_CLIENT,
            // READY used 1.
            send_nonce: Cell::new(2),
            peer_nonce: self.peer_nonce,
        };
        Some(self.zap.established(peer_metadata, Some(cipher)))
    }
}

const _: () = assert!(NONCE_LEN == 24);
