//! Reading the hops a chain of proxies reported: RFC 7239 `Forwarded` (its `for=` nodes) and
//! the de-facto `X-Forwarded-For`, left (the first client) to right (the proxy nearest us).
//! Anything that is not an IP address (`unknown`, an obfuscated `_name`, garbage, a value
//! that is not text) becomes `Hop::Opaque`, which ends any walk through the chain.
//!
//! It only parses: whether a hop may be believed is decided by the caller.

use std::net::{IpAddr, Ipv6Addr};

use http::HeaderMap;

/// One entry of a forwarding chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    Address(IpAddr),
    /// `unknown`, an obfuscated identifier, or anything unreadable.
    Opaque,
}

/// The `for=` nodes of every `Forwarded` header line, in order; None without the header.
pub fn forwarded_hops(headers: &HeaderMap) -> Option<Vec<Hop>> {
    hops(headers, "forwarded", |element| {
        split_outside_quotes(element, ';')
            .into_iter()
            .find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| node(&unquote(value.trim())))
            })
            .unwrap_or(Hop::Opaque)
    })
}

/// The entries of every `X-Forwarded-For` header line, in order; None without the header.
pub fn x_forwarded_for_hops(headers: &HeaderMap) -> Option<Vec<Hop>> {
    hops(headers, "x-forwarded-for", node)
}

fn hops(headers: &HeaderMap, name: &str, element: impl Fn(&str) -> Hop) -> Option<Vec<Hop>> {
    let mut lines = headers.get_all(name).iter().peekable();
    lines.peek()?;
    let mut out = Vec::new();
    for line in lines {
        match line.to_str() {
            Ok(text) => out.extend(
                split_outside_quotes(text, ',')
                    .into_iter()
                    .map(|e| element(e.trim())),
            ),
            Err(_) => out.push(Hop::Opaque),
        }
    }
    Some(out)
}

/// A node: `192.0.2.1`, `192.0.2.1:8080`, `[2001:db8::1]`, `[2001:db8::1]:4711`, a bare
/// IPv6 address; ports may be obfuscated (`:_port`). Anything else is opaque.
pub fn node(text: &str) -> Hop {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Hop::Address(ip.to_canonical());
    }
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((host, "")) => (host, None),
            Some((host, port)) => match port.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Hop::Opaque,
            },
            None => return Hop::Opaque,
        },
        None => match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => return Hop::Opaque,
        },
    };
    if port.is_some_and(|p| !is_port(p)) {
        return Hop::Opaque;
    }
    let ip = if text.starts_with('[') {
        host.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
    };
    ip.map_or(Hop::Opaque, |ip| Hop::Address(ip.to_canonical()))
}

/// A port number or an obfuscated port (`_` followed by letters, digits, `.`, `_`, `-`).
fn is_port(text: &str) -> bool {
    let digits = !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit());
    let obfuscated = text.len() > 1
        && text.starts_with('_')
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    digits || obfuscated
}

/// Splits on `delimiter` where it is not inside a quoted string (backslash escapes honoured).
fn split_outside_quotes(text: &str, delimiter: char) -> Vec<&str> {
    let (mut parts, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => {
                parts.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The content of a quoted string (escapes removed), or the token as it is.
fn unquote(value: &str) -> String {
    let Some(inner) = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if escaped || c != '\\' {
            out.push(c);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn ip(text: &str) -> Hop {
        Hop::Address(text.parse().unwrap())
    }

    fn headers(name: &'static str, lines: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append(name, line.parse().unwrap());
        }
        map
    }

    #[test]
    fn nodes_take_every_form_rfc_7239_allows() {
        for (text, expected) in [
            ("192.0.2.43", ip("192.0.2.43")),
            ("192.0.2.43:47011", ip("192.0.2.43")),
            ("192.0.2.43:_hidden", ip("192.0.2.43")),
            ("[2001:db8:cafe::17]", ip("2001:db8:cafe::17")),
            ("[2001:db8:cafe::17]:4711", ip("2001:db8:cafe::17")),
            ("2001:db8:cafe::17", ip("2001:db8:cafe::17")),
            ("::ffff:198.51.100.7", ip("198.51.100.7")),
            ("unknown", Hop::Opaque),
            ("_gazonk", Hop::Opaque),
            ("", Hop::Opaque),
            ("[2001:db8::1", Hop::Opaque),
            ("[2001:db8::1]4711", Hop::Opaque),
            ("192.0.2.43:http", Hop::Opaque),
            ("[192.0.2.43]", Hop::Opaque),
            ("example.com", Hop::Opaque),
        ] {
            assert_eq!(node(text), expected, "{text:?}");
        }
    }

    #[test]
    fn forwarded_reads_for_parameters_across_lines_and_quotes() {
        let map = headers(
            "forwarded",
            &[
                r#"for="[2001:db8::1]:4711";proto=https, For=198.51.100.17;by=203.0.113.60"#,
                r#"proto=http;for="_hidden", host="a,b";for=192.0.2.1"#,
                "by=192.0.2.9",
            ],
        );
        assert_eq!(
            forwarded_hops(&map).unwrap(),
            [
                ip("2001:db8::1"),
                ip("198.51.100.17"),
                Hop::Opaque,
                ip("192.0.2.1"),
                Hop::Opaque,
            ]
        );
        assert_eq!(forwarded_hops(&HeaderMap::new()), None);
    }

    #[test]
    fn x_forwarded_for_is_a_plain_list() {
        let map = headers("x-forwarded-for", &["203.0.113.5, 10.0.0.1", "[::1]:80"]);
        assert_eq!(
            x_forwarded_for_hops(&map).unwrap(),
            [ip("203.0.113.5"), ip("10.0.0.1"), ip("::1")]
        );
        let garbage = headers("x-forwarded-for", &["203.0.113.5, nonsense"]);
        assert_eq!(
            x_forwarded_for_hops(&garbage).unwrap(),
            [ip("203.0.113.5"), Hop::Opaque]
        );
    }

    #[test]
    fn quoted_strings_keep_their_delimiters_and_lose_their_escapes() {
        assert_eq!(
            split_outside_quotes(r#"a="x,y",b"#, ','),
            [r#"a="x,y""#, "b"]
        );
        assert_eq!(unquote(r#""a\"b""#), r#"a"b"#);
        assert_eq!(unquote("token"), "token");
    }
}
