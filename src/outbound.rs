//! The guard on outbound requests to URLs an operator or a tenant supplies (OIDC discovery,
//! key sets, token and userinfo endpoints, SAML metadata; later webhooks): which IP addresses
//! they may reach under the [`OutboundPolicy`], decided on the address a connection would
//! really go to, so an organization's settings cannot make Janua call its own loopback, the
//! private network or the cloud metadata service.
//!
//! Every such call goes through a client from [`client_builder`], which holds three pieces:
//! - [`address_allowed`], the rule: loopback and private ranges only when the operator allows
//!   them; link-local (with the metadata addresses), unspecified, multicast, broadcast,
//!   documentation and reserved ranges never; IPv6 forms that embed an IPv4 address
//!   (`::ffff:127.0.0.1`, NAT64, 6to4) are judged by that address.
//! - [`GuardedResolver`], reqwest's DNS resolver: it resolves a name and hands reqwest only
//!   the addresses the rule allows, so the check happens after resolution and the connection
//!   goes to a checked address (no second lookup an attacker's DNS could answer differently).
//! - [`literal_guard`], for URLs whose host is an IP address: reqwest connects to those without
//!   asking the resolver, so the guard catches them before any connection is made.
//!
//! Redirects are never followed (each hop would escape the check on the first URL), and no
//! proxy from the environment is used (a proxy would resolve the name itself). Callers cap
//! what they read with [`read_capped`].
//!
//! This module decides and builds; it must never connect anywhere itself. It depends on the
//! configuration only, so any capability may use it.

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

pub use crate::config::OutboundPolicy;

/// Cloud metadata services at addresses outside the link-local ranges: AWS's IPv6 endpoint
/// (in the ULA range) and Alibaba Cloud's (in the shared CGNAT range). Never reachable, even
/// when the operator allows private addresses.
const METADATA_ADDRESSES: [IpAddr; 2] = [
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)),
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
];

/// The proxy [`literal_guard`] sends a refused IP-literal request to. `.invalid` names are
/// never resolved (RFC 6761 §6.4), and [`GuardedResolver`] refuses them without a lookup, so
/// the request fails before any connection is made.
const REFUSED_LITERAL_PROXY: &str = "http://refused-ip-literal.invalid";

/// Whether an outbound call to a tenant-supplied URL may connect to `ip` under `policy`.
pub fn address_allowed(ip: IpAddr, policy: OutboundPolicy) -> bool {
    match ip {
        IpAddr::V4(ip) => ipv4_allowed(ip, policy),
        IpAddr::V6(ip) => ipv6_allowed(ip, policy),
    }
}

fn ipv4_allowed(ip: Ipv4Addr, policy: OutboundPolicy) -> bool {
    if METADATA_ADDRESSES.contains(&IpAddr::V4(ip)) {
        return false;
    }
    let [a, b, c, _] = ip.octets();
    let private = ip.is_private() || (a == 100 && (64..128).contains(&b)); // + CGNAT 100.64/10
    let never = a == 0 // "this network", with the unspecified address
        || ip.is_link_local() // 169.254/16, the metadata address 169.254.169.254
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a >= 240 // reserved 240/4
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0/24
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 198 && (b & 0xfe) == 18); // benchmarking 198.18/15
    if never {
        false
    } else if ip.is_loopback() {
        policy.allow_loopback
    } else if private {
        policy.allow_private
    } else {
        true
    }
}

fn ipv6_allowed(ip: Ipv6Addr, policy: OutboundPolicy) -> bool {
    if METADATA_ADDRESSES.contains(&IpAddr::V6(ip)) {
        return false;
    }
    if ip.is_loopback() {
        return policy.allow_loopback;
    }
    if let Some(embedded) = embedded_ipv4(ip) {
        return ipv4_allowed(embedded, policy);
    }
    let s = ip.segments();
    let unique_local = (s[0] & 0xfe00) == 0xfc00; // fc00::/7
    let site_local = (s[0] & 0xffc0) == 0xfec0; // fec0::/10, deprecated
    let local_nat64 = s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 1; // 64:ff9b:1::/48
    if unique_local || site_local || local_nat64 {
        return policy.allow_private;
    }
    // Only global unicast (2000::/3) remains, less its special blocks: everything else
    // (unspecified, link-local fe80::/10, multicast ff00::/8, discard 100::/64, reserved) is
    // never a place an identity provider lives.
    let global_unicast = (s[0] & 0xe000) == 0x2000;
    let special = match s[0] {
        // IETF protocol assignments 2001::/23 (Teredo, benchmarking, ORCHID), and
        // documentation 2001:db8::/32.
        0x2001 => s[1] < 0x0200 || s[1] == 0x0db8,
        // Documentation 3fff::/20.
        0x3fff => s[1] < 0x1000,
        _ => false,
    };
    global_unicast && !special
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped `::ffff:a.b.c.d`, the deprecated
/// IPv4-compatible `::a.b.c.d` (`::` and `::1` excepted), NAT64 `64:ff9b::a.b.c.d` and 6to4
/// `2002:aabb:ccdd::`.
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(low(hi, lo)),
        [0, 0, 0, 0, 0, 0, 0, 0 | 1] => None,
        [0, 0, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}

/// The IP address `url` names literally, when `policy` refuses it. Host names pass here:
/// they are judged after resolution, by [`GuardedResolver`].
pub fn refused_literal(url: &Url, policy: OutboundPolicy) -> Option<IpAddr> {
    let ip = match url.host()? {
        Host::Ipv4(ip) => IpAddr::V4(ip),
        Host::Ipv6(ip) => IpAddr::V6(ip),
        Host::Domain(_) => return None,
    };
    (!address_allowed(ip, policy)).then_some(ip)
}

/// A resolution the guard refused: the name, and why (the log says it; clients never do).
#[derive(Debug)]
pub struct Refused {
    name: String,
    reason: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.reason)
    }
}

impl std::error::Error for Refused {}

/// reqwest's DNS resolver for guarded clients: the system resolver (`getaddrinfo`, through
/// tokio), keeping only the addresses the policy allows; an error when none remain.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    policy: OutboundPolicy,
}

impl GuardedResolver {
    pub fn new(policy: OutboundPolicy) -> Self {
        Self { policy }
    }

    /// The allowed addresses of `name`.
    ///
    /// # Errors
    /// [`Refused`] for a reserved `.invalid` name (not looked up) or when the policy refuses
    /// every address; the lookup's own error when the name does not resolve.
    pub async fn allowed_addresses(
        self,
        name: &str,
    ) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let refused = |reason| Refused {
            name: name.to_owned(),
            reason,
        };
        let reserved = name.trim_end_matches('.').to_ascii_lowercase();
        if reserved == "invalid" || reserved.ends_with(".invalid") {
            let reason = if format!("http://{reserved}") == REFUSED_LITERAL_PROXY {
                "the URL's IP address is refused by the outbound policy"
            } else {
                "a reserved name (RFC 6761), never resolved"
            };
            return Err(Box::new(refused(reason)));
        }
        let allowed: Vec<SocketAddr> = tokio::net::lookup_host((name, 0))
            .await?
            .filter(|address| address_allowed(address.ip(), self.policy))
            .collect();
        if allowed.is_empty() {
            return Err(Box::new(refused(
                "every address it resolves to is refused by the outbound policy",
            )));
        }
        Ok(allowed)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = *self;
        Box::pin(async move {
            let allowed = resolver.allowed_addresses(name.as_str()).await?;
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The pre-connection check of IP-literal URLs, as the one "proxy" of a guarded client:
/// reqwest asks it about every request before connecting. An allowed or named host goes
/// direct; a refused literal is sent to [`REFUSED_LITERAL_PROXY`], whose name the resolver
/// refuses, so the request fails without a connection.
///
/// # Errors
/// Never in practice (the proxy URL is a constant).
pub fn literal_guard(policy: OutboundPolicy) -> anyhow::Result<reqwest::Proxy> {
    let nowhere = Url::parse(REFUSED_LITERAL_PROXY)?;
    Ok(reqwest::Proxy::custom(move |url: &Url| {
        refused_literal(url, policy).map(|_| nowhere.clone())
    }))
}

/// A client builder whose connections reach only addresses `policy` allows: the guarded
/// resolver, the literal guard, no proxy from the environment, no redirects. Callers add
/// their timeouts and user agent.
///
/// # Errors
/// See [`literal_guard`].
pub fn client_builder(policy: OutboundPolicy) -> anyhow::Result<reqwest::ClientBuilder> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .proxy(literal_guard(policy)?)
        .dns_resolver(Arc::new(GuardedResolver::new(policy)))
        .redirect(reqwest::redirect::Policy::none()))
}

/// The response's body, or None once it grows past `limit` bytes (the rest is not read).
///
/// # Errors
/// When the body cannot be read.
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// An error and its sources, `outer: inner: innermost`, for the log: reqwest's own message
/// ("error sending request") hides whether the address was refused, the connection refused,
/// the name unknown or the certificate wrong.
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
#[path = "outbound_tests.rs"]
mod tests;
