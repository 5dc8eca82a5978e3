//! Who the client of a request is. The TCP peer, unless that peer is a proxy the operator
//! trusts (`TRUSTED_PROXIES`): then the chain the proxies reported (`Forwarded`, else
//! `X-Forwarded-For`) is walked right to left through trusted hops only, and the first
//! untrusted address is the client (the left-most, when every hop is trusted). The server
//! computes it once per request and attaches it as [`ClientAddress`]; sessions, audit events
//! and per-IP limits all read that. [`limit_key`] is what a per-IP limit counts under: an
//! IPv4 address, or an IPv6 client's /64 network (one subscriber usually holds a whole /64).
//!
//! It must never believe a forwarding header from a peer outside `TRUSTED_PROXIES`, and does
//! no I/O.

mod forwarded;

use std::net::{IpAddr, Ipv6Addr};

use http::HeaderMap;

use forwarded::Hop;

/// The client's IP address, as the edge of the server determined it (a request extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddress(pub IpAddr);

/// The proxies whose forwarding headers are believed (`TRUSTED_PROXIES`); empty by default,
/// which ignores forwarding headers entirely.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    /// A comma-separated list of CIDR blocks (`10.0.0.0/8, 2001:db8::/32`); a bare address
    /// is a block of one.
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| format!("{entry:?} is not an IP address or CIDR block"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that arrived from `peer` with `headers`.
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let hops = forwarded::forwarded_hops(headers)
            .or_else(|| forwarded::x_forwarded_for_hops(headers))
            .unwrap_or_default();
        self.walk(peer, &hops)
    }

    /// From the nearest hop leftwards, while the address reached so far is trusted; an
    /// opaque hop stops the walk at the address reached.
    fn walk(&self, peer: IpAddr, hops: &[Hop]) -> IpAddr {
        let mut client = peer;
        for hop in hops.iter().rev() {
            if !self.contains(client) {
                break;
            }
            match hop {
                Hop::Address(ip) => client = *ip,
                Hop::Opaque => break,
            }
        }
        client
    }
}

/// The network a per-IP limit counts `ip` under: the address itself for IPv4, the /64 for
/// IPv6 (IPv4-mapped IPv6 counts as IPv4).
pub fn limit_network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// The key a per-IP limit counts `ip` under: an IPv4 address as it is, an IPv6 address as
/// its /64 network (`2001:db8:1:2::/64`). Text that is not an IP address is returned as is.
pub fn limit_key(ip: &str) -> String {
    match ip.parse::<IpAddr>().map(limit_network) {
        Ok(IpAddr::V6(network)) => format!("{network}/64"),
        Ok(v4) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn trusting(raw: &str) -> TrustedProxies {
        TrustedProxies::parse(raw).unwrap()
    }

    fn xff(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn cidr_lists_parse_and_bad_entries_are_named() {
        let proxies = trusting(" 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,");
        assert!(proxies.contains(ip("10.200.0.1")));
        assert!(proxies.contains(ip("192.0.2.7")));
        assert!(!proxies.contains(ip("192.0.2.8")));
        assert!(proxies.contains(ip("2001:db8:ffff::1")));
        assert!(proxies.contains(ip("::ffff:10.1.1.1")), "IPv4-mapped");
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        let err = TrustedProxies::parse("10.0.0.0/8, 10.0.0.0/33").unwrap_err();
        assert!(err.contains("10.0.0.0/33"), "{err}");
        assert!(TrustedProxies::parse("proxy.internal").is_err());
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let proxies = trusting("10.0.0.0/8");
        let client = proxies.client_of(ip("203.0.113.9"), &xff("198.51.100.1"));
        assert_eq!(client, ip("203.0.113.9"));
        let nobody = TrustedProxies::default();
        assert_eq!(
            nobody.client_of(ip("10.0.0.1"), &xff("198.51.100.1")),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn the_walk_stops_at_the_first_untrusted_hop_from_the_right() {
        let proxies = trusting("10.0.0.0/8");
        let peer = ip("10.0.0.1");
        for (chain, client) in [
            // A client's own spoofed entry left of the real one is never reached.
            ("6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
            ("198.51.100.1", "198.51.100.1"),
            // Every hop trusted: the left-most.
            ("10.0.0.3, 10.0.0.2", "10.0.0.3"),
            // An untrusted hop in the middle is the client, even if trusted ones precede it.
            ("10.0.0.3, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
            // Unreadable entries stop the walk at the address reached.
            ("198.51.100.1, unknown, 10.0.0.2", "10.0.0.2"),
            ("garbage", "10.0.0.1"),
            ("", "10.0.0.1"),
        ] {
            assert_eq!(proxies.client_of(peer, &xff(chain)), ip(client), "{chain}");
        }
        assert_eq!(proxies.client_of(peer, &HeaderMap::new()), peer);
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for() {
        let proxies = trusting("127.0.0.1/32");
        let mut headers = xff("198.51.100.1");
        headers.insert(
            "forwarded",
            r#"for="[2001:db8::1]:4711";proto=https"#.parse().unwrap(),
        );
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &headers),
            ip("2001:db8::1")
        );
        headers.insert("forwarded", "for=unknown".parse().unwrap());
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), &headers),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn limit_keys_group_ipv6_by_its_64() {
        assert_eq!(limit_key("198.51.100.7"), "198.51.100.7");
        assert_eq!(limit_key("::ffff:198.51.100.7"), "198.51.100.7");
        assert_eq!(limit_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(limit_key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_ne!(limit_key("2001:db8:1:3::1"), limit_key("2001:db8:1:2::1"));
        assert_eq!(limit_key("not an ip"), "not an ip");
    }
}
