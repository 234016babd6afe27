//! The socket types, their numbers and names (as libzmq and the ZMTP `Socket-Type`
//! property spell them), and which types may talk to each other.

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketType {
    Pair,
    Pub,
    Sub,
    Req,
    Rep,
    Dealer,
    Router,
    Pull,
    Push,
    XPub,
    XSub,
    Stream,
}

impl SocketType {
    pub const ALL: [SocketType; 12] = [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pull,
        SocketType::Push,
        SocketType::XPub,
        SocketType::XSub,
        SocketType::Stream,
    ];

    /// libzmq's numeric value (`ZMQ_PAIR` = 0 ... `ZMQ_STREAM` = 11).
    pub fn number(self) -> i32 {
        self as i32
    }

    pub fn from_number(n: i64) -> Result<Self> {
        usize::try_from(n)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or_else(|| Error::inval(format!("socket type {n} not supported")))
    }

    /// The name used on the wire and in messages ("PUB", "XSUB"...).
    pub fn name(self) -> &'static str {
        match self {
            SocketType::Pair => "PAIR",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Pull => "PULL",
            SocketType::Push => "PUSH",
            SocketType::XPub => "XPUB",
            SocketType::XSub => "XSUB",
            SocketType::Stream => "STREAM",
        }
    }

    pub fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name().as_bytes() == name)
    }

    /// Whether a peer of type `peer` may connect to us (RFC 37's compatibility table).
    pub fn compatible_with(self, peer: SocketType) -> bool {
        use SocketType::*;
        matches!(
            (self, peer),
            (Pair, Pair)
                | (Pub, Sub | XSub)
                | (XPub, Sub | XSub)
                | (Sub, Pub | XPub)
                | (XSub, Pub | XPub)
                | (Req, Rep | Router)
                | (Rep, Req | Dealer)
                | (Dealer, Rep | Dealer | Router)
                | (Router, Req | Dealer | Router)
                | (Pull, Push)
                | (Push, Pull)
        )
    }

    /// Subscribers turn `\x01topic`/`\x00topic` messages into SUBSCRIBE/CANCEL commands
    /// when the peer speaks ZMTP 3.1.
    pub fn is_subscriber(self) -> bool {
        matches!(self, SocketType::Sub | SocketType::XSub)
    }

    /// Publishers read subscriptions from their peers.
    pub fn is_publisher(self) -> bool {
        matches!(self, SocketType::Pub | SocketType::XPub)
    }
}

impl std::fmt::Display for SocketType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_round_trip() {
        for t in SocketType::ALL {
            assert_eq!(SocketType::from_number(t.number() as i64).unwrap(), t);
            assert_eq!(SocketType::from_name(t.name().as_bytes()), Some(t));
        }
        assert!(SocketType::from_number(12).is_err());
        assert!(SocketType::from_number(-1).is_err());
    }

    #[test]
    fn compatibility_is_symmetric() {
        for a in SocketType::ALL {
            for b in SocketType::ALL {
                assert_eq!(a.compatible_with(b), b.compatible_with(a), "{a} {b}");
            }
        }
        assert!(!SocketType::Req.compatible_with(SocketType::Req));
        assert!(SocketType::Dealer.compatible_with(SocketType::Router));
    }
}
