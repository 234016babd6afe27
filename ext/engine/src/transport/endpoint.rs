//! Endpoint strings: `tcp://host:port`, `ipc://path`, `inproc://name`.

use crate::error::{Error, Result};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `host` is `*`, an address literal (IPv6 without brackets) or a host name.
    /// `port` 0 means "any free port" (`*` or `0`).
    Tcp {
        host: String,
        port: u16,
    },
    Ipc(PathBuf),
    Inproc(String),
}

impl Endpoint {
    pub fn parse(text: &str) -> Result<Endpoint> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| Error::inval(format!("malformed endpoint {text:?}")))?;
        match scheme {
            "tcp" => parse_tcp(rest),
            "ipc" if !rest.is_empty() => Ok(Endpoint::Ipc(PathBuf::from(rest))),
            "inproc" if !rest.is_empty() => Ok(Endpoint::Inproc(rest.to_string())),
            "ipc" | "inproc" => Err(Error::inval("endpoint has no address")),
            "pgm" | "epgm" | "norm" | "udp" | "tipc" | "vmci" | "ws" | "wss" | "" => {
                Err(Error::new(libc::EPROTONOSUPPORT))
            }
            _ => Err(Error::new(libc::EPROTONOSUPPORT)),
        }
    }

    /// Addresses to bind to. `*` is every IPv4 interface, or every interface when
    /// `ipv6` is on (as libzmq does).
    pub fn bind_addr(host: &str, port: u16, ipv6: bool) -> Result<SocketAddr> {
        if host == "*" {
            let ip = if ipv6 {
                IpAddr::V6(Ipv6Addr::UNSPECIFIED)
            } else {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            };
            return Ok(SocketAddr::new(ip, port));
        }
        resolve(host, port, ipv6)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::new(libc::ENODEV))
    }

    /// Every address a host name resolves to, IPv4 first unless `ipv6` prefers both.
    pub fn connect_addrs(host: &str, port: u16, ipv6: bool) -> Result<Vec<SocketAddr>> {
        if host == "*" {
            return Err(Error::inval("cannot connect to *"));
        }
        let addrs = resolve(host, port, ipv6)?;
        if addrs.is_empty() {
            return Err(Error::inval(format!("cannot resolve {host}")));
        }
        Ok(addrs)
    }
}

fn resolve(host: &str, port: u16, ipv6: bool) -> Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        if ip.is_ipv6() && !ipv6 {
            // libzmq refuses IPv6 literals unless the IPV6 option is on; we accept them,
            // since asking for one is unambiguous.
        }
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    if host == "lo" {
        return Ok(vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)]);
    }
    let mut addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| Error::new(libc::ENODEV))?
        .collect();
    if !ipv6 {
        let v4: Vec<_> = addrs.iter().copied().filter(SocketAddr::is_ipv4).collect();
        if !v4.is_empty() {
            addrs = v4;
        }
    }
    addrs.sort_by_key(|a| a.is_ipv6());
    Ok(addrs)
}

fn parse_tcp(rest: &str) -> Result<Endpoint> {
    let bad = || Error::inval(format!("malformed tcp endpoint tcp://{rest}"));
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() || host.contains(['/', ' ']) {
        return Err(bad());
    }
    let port = match port {
        "*" => 0,
        p => p.parse::<u16>().map_err(|_| bad())?,
    };
    Ok(Endpoint::Tcp {
        host: host.to_string(),
        port,
    })
}

/// How a resolved tcp address is written back in `last_endpoint`.
pub fn tcp_text(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("tcp://{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("tcp://[{}]:{}", a.ip(), a.port()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            Endpoint::parse("tcp://*:5555").unwrap(),
            Endpoint::Tcp {
                host: "*".into(),
                port: 5555
            }
        );
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:*").unwrap(),
            Endpoint::Tcp {
                host: "127.0.0.1".into(),
                port: 0
            }
        );
        assert_eq!(
            Endpoint::parse("tcp://[::1]:7").unwrap(),
            Endpoint::Tcp {
                host: "::1".into(),
                port: 7
            }
        );
        assert_eq!(
            Endpoint::parse("ipc:///tmp/x").unwrap(),
            Endpoint::Ipc("/tmp/x".into())
        );
        assert_eq!(
            Endpoint::parse("inproc://a").unwrap(),
            Endpoint::Inproc("a".into())
        );
    }

    #[test]
    fn rejects_bad_ones_with_libzmq_errnos() {
        for bad in [
            "bad uri",
            "tcp://nohost",
            "tcp://:5",
            "tcp://h:99999",
            "inproc://",
        ] {
            assert_eq!(
                Endpoint::parse(bad).unwrap_err().errno(),
                libc::EINVAL,
                "{bad}"
            );
        }
        assert_eq!(
            Endpoint::parse("foo://x").unwrap_err().errno(),
            libc::EPROTONOSUPPORT
        );
    }

    #[test]
    fn resolves_localhost_and_wildcard() {
        let a = Endpoint::bind_addr("localhost", 0, false).unwrap();
        assert!(a.ip().is_loopback());
        assert_eq!(
            tcp_text(&Endpoint::bind_addr("*", 9, false).unwrap()),
            "tcp://0.0.0.0:9"
        );
    }
}
