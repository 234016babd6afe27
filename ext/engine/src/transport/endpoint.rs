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
        if let Some(ip) = interface_ip(host, ipv6) {
            return Ok(SocketAddr::new(ip, port));
        }
        resolve(host, port, ipv6)
            .map_err(|_| Error::new(libc::ENODEV))?
            .into_iter()
            .next()
            .ok_or_else(|| Error::new(libc::ENODEV))
    }

    /// Every address a host name resolves to, IPv4 first unless `ipv6` prefers both.
    pub fn connect_addrs(host: &str, port: u16, ipv6: bool) -> Result<Vec<SocketAddr>> {
        if host == "*" {
            return Err(Error::inval("cannot connect to *"));
        }
        // A name that does not resolve is an invalid endpoint, as libzmq says (EINVAL).
        resolve(host, port, ipv6)
            .ok()
            .filter(|addrs| !addrs.is_empty())
            .ok_or_else(|| Error::inval(format!("cannot resolve {host}")))
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
    let mut addrs: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
    if !ipv6 {
        let v4: Vec<_> = addrs.iter().copied().filter(SocketAddr::is_ipv4).collect();
        if !v4.is_empty() {
            addrs = v4;
        }
    }
    addrs.sort_by_key(|a| a.is_ipv6());
    Ok(addrs)
}

/// The address of the network interface called `name` (`eth0`), as libzmq binds
/// interface names: its first IPv4 address, or with `ipv6` on its first address of
/// either family (IPv6 preferred). `None` if no interface has that name.
fn interface_ip(name: &str, ipv6: bool) -> Option<IpAddr> {
    let mut found: Vec<IpAddr> = interface_addrs()
        .into_iter()
        .filter(|(n, _)| n == name)
        .map(|(_, ip)| ip)
        .collect();
    if ipv6 {
        found.sort_by_key(|ip| !ip.is_ipv6());
    } else {
        found.retain(IpAddr::is_ipv4);
    }
    found.into_iter().next()
}

/// Every (interface name, IP address) pair of this host, in the kernel's order.
fn interface_addrs() -> Vec<(String, IpAddr)> {
    let mut found = Vec::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list it allocates, which is read
    // below only while it lives and freed once with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return found;
    }
    let mut cur = list;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_addr is non-null and points to a sockaddr owned by the list.
        let ip = match i32::from(unsafe { (*ifa.ifa_addr).sa_family }) {
            libc::AF_INET => {
                // SAFETY: an AF_INET sockaddr is a sockaddr_in.
                let sin = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in) };
                IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)))
            }
            libc::AF_INET6 => {
                // SAFETY: an AF_INET6 sockaddr is a sockaddr_in6.
                let sin6 = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in6) };
                IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr))
            }
            _ => continue,
        };
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) };
        found.push((name.to_string_lossy().into_owned(), ip));
    }
    // SAFETY: `list` came from a successful getifaddrs and is freed exactly once.
    unsafe { libc::freeifaddrs(list) };
    found
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
    fn binds_interface_names_and_refuses_unknown_ones() {
        assert_eq!(
            interface_ip("lo", false),
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        assert_eq!(interface_ip("no-such-nic0", false), None);
        // Every interface with an IPv4 address binds by its name.
        let names: Vec<String> = interface_addrs()
            .into_iter()
            .filter(|(_, ip)| ip.is_ipv4())
            .map(|(n, _)| n)
            .collect();
        assert!(names.iter().any(|n| n == "lo"), "{names:?}");
        for name in names {
            let addr = Endpoint::bind_addr(&name, 0, false).unwrap();
            std::net::TcpListener::bind(addr).unwrap_or_else(|e| panic!("{name} {addr}: {e}"));
        }
        let err = Endpoint::bind_addr("no-such-nic0.invalid", 0, false).unwrap_err();
        assert_eq!(err.errno(), libc::ENODEV);
    }

    #[test]
    fn an_unresolvable_connect_is_einval() {
        let err = Endpoint::connect_addrs("no-such-host.invalid", 5000, false).unwrap_err();
        assert_eq!(err.errno(), libc::EINVAL);
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
