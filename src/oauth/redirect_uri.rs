//! Where a client may send the browser back to (`redirect_uris`) or after sign-out
//! (`post_logout_redirect_uris`). A security boundary: the authorization server hands codes
//! to these addresses, so an address an attacker controls is a stolen sign-in. The
//! authorization server will compare a request's `redirect_uri` with these exactly, so a
//! URI is stored as given, never normalised; instead a URI that the URL standard would
//! write differently (upper-case host, default port, `127.1`, dot segments, a missing `/`)
//! is refused with the form to use, so what is stored is what browsers send.
//!
//! Accepted: an absolute `https` URI with a host, or `http` to a loopback host only
//! (`127.0.0.1`, `[::1]`, `localhost`; RFC 8252 section 7.3), without a fragment, user
//! information, `*`, whitespace, backslashes or non-ASCII characters.

use url::{Host, Url};

use crate::error::Error;

/// Most URIs in one list.
pub const MAX_URIS: usize = 20;
/// Longest URI accepted.
pub const MAX_LENGTH: usize = 2000;

/// Checks a list of redirect URIs (`field` names it in errors): each valid, no duplicates,
/// at most [`MAX_URIS`].
pub fn check_list(field: &str, uris: &[String]) -> Result<(), Error> {
    if uris.len() > MAX_URIS {
        return Err(Error::invalid(field, format!("at most {MAX_URIS} URIs")));
    }
    for (index, uri) in uris.iter().enumerate() {
        let at = format!("{field}[{index}]");
        check(&at, uri)?;
        if uris[..index].contains(uri) {
            return Err(Error::invalid(at, "is listed twice"));
        }
    }
    Ok(())
}

/// Checks one redirect URI; `field` names it in errors.
pub fn check(field: &str, uri: &str) -> Result<(), Error> {
    let refuse = |why: &str| Err(Error::invalid(field, why.to_owned()));
    if uri.is_empty() {
        return refuse("must not be empty");
    }
    if uri.len() > MAX_LENGTH {
        return refuse("must be at most 2000 characters");
    }
    if !uri.is_ascii() {
        return refuse("must be ASCII: write an international host name in its xn-- form");
    }
    if uri
        .chars()
        .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
    {
        return refuse("must not contain spaces or control characters");
    }
    if uri.contains('\\') {
        return refuse("must not contain a backslash");
    }
    if uri.contains('*') {
        return refuse("must not contain \"*\": wildcards are not allowed");
    }
    if uri.contains('#') {
        return refuse("must not have a fragment (\"#\")");
    }
    let Ok(url) = Url::parse(uri) else {
        return refuse("must be an absolute URI, such as https://app.example.com/callback");
    };
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("must not contain user information (\"user@\")");
    }
    match url.scheme() {
        "https" if url.host().is_some() => {}
        "http" if is_loopback(url.host()) => {}
        "http" => {
            return refuse(
                "must use https; http is allowed only to a loopback host (127.0.0.1, [::1] or localhost)",
            );
        }
        _ => return refuse("must be an https URI (or http to a loopback host)"),
    }
    if url.as_str() != uri {
        return Err(Error::invalid(
            field,
            format!(
                "is not written as browsers send it; write it as {}",
                url.as_str()
            ),
        ));
    }
    Ok(())
}

/// The loopback hosts RFC 8252 lets native apps listen on, exactly as written.
fn is_loopback(host: Option<Host<&str>>) -> bool {
    match host {
        Some(Host::Domain(domain)) => domain == "localhost",
        Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn reason(uri: &str) -> Option<String> {
        check("redirect_uris[0]", uri).err().map(|err| match err {
            Error::Validation { violations, .. } => violations
                .first()
                .map(|v| v.description.clone())
                .unwrap_or_default(),
            other => format!("unexpected {other:?}"),
        })
    }

    #[test]
    fn accepts_https_and_loopback_http() {
        for uri in [
            "https://app.example.com/callback",
            "https://app.example.com/",
            "https://app.example.com:8443/cb?tenant=a&x=1",
            "https://app.example.com.evil.com/cb",
            "http://127.0.0.1:8080/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:53682/",
            "http://localhost/cb",
            "http://localhost:3000/auth/callback",
            "https://xn--bcher-kva.example/cb",
        ] {
            assert_eq!(reason(uri), None, "{uri}");
        }
    }

    #[test]
    fn refuses_what_an_attacker_would_try() {
        let refused = [
            ("", "empty"),
            ("/callback", "absolute"),
            ("app.example.com/cb", "absolute"),
            ("//app.example.com/cb", "absolute"),
            ("javascript:alert(1)", "https"),
            ("data:text/html,hi", "https"),
            ("file:///etc/passwd", "https"),
            ("ftp://app.example.com/", "https"),
            ("com.example.app:/callback", "https"),
            ("http://example.com/cb", "loopback"),
            ("http://localhost.evil.com/cb", "loopback"),
            ("http://127.0.0.1.nip.io/cb", "loopback"),
            ("http://127.0.0.2/cb", "loopback"),
            ("http://0.0.0.0/cb", "loopback"),
            ("http://10.0.0.1/cb", "loopback"),
            ("https://app.example.com/cb#frag", "fragment"),
            ("https://app.example.com/cb#", "fragment"),
            ("https://*.example.com/cb", "wildcard"),
            ("https://app.example.com/*", "wildcard"),
            ("https://user@app.example.com/cb", "user information"),
            ("https://user:pw@app.example.com/cb", "user information"),
            ("http://localhost:8080@evil.com/cb", "user information"),
            ("https://app.example.com@evil.com/cb", "user information"),
            ("https://evil.com\\@app.example.com/cb", "backslash"),
            ("https://app.example.com/c b", "spaces"),
            ("https://app.example.com/cb\n", "spaces"),
            ("https://bücher.example/cb", "ASCII"),
            ("https:///cb", "written as browsers send it"),
            ("HTTPS://app.example.com/cb", "written as browsers send it"),
            ("https://App.Example.com/cb", "written as browsers send it"),
            ("https://app.example.com", "written as browsers send it"),
            (
                "https://app.example.com:443/cb",
                "written as browsers send it",
            ),
            (
                "https://app.example.com/a/../cb",
                "written as browsers send it",
            ),
            ("http://127.1/cb", "written as browsers send it"),
            ("http://[0:0:0:0:0:0:0:1]/cb", "written as browsers send it"),
            ("http://LOCALHOST/cb", "written as browsers send it"),
        ];
        for (uri, why) in refused {
            let reason = reason(uri).unwrap_or_else(|| format!("{uri:?} was accepted"));
            assert!(reason.contains(why), "{uri:?}: {reason}");
        }
        let long = format!("https://app.example.com/{}", "a".repeat(MAX_LENGTH));
        assert!(reason(&long).is_some_and(|r| r.contains("2000")));
    }

    #[test]
    fn lists_are_bounded_and_free_of_duplicates() {
        let uri = |n: usize| format!("https://app.example.com/cb{n}");
        let many: Vec<String> = (0..=MAX_URIS).map(uri).collect();
        assert!(check_list("redirect_uris", &many[..MAX_URIS]).is_ok());
        assert!(check_list("redirect_uris", &many).is_err());
        let twice = vec![uri(1), uri(2), uri(1)];
        let err = check_list("redirect_uris", &twice).unwrap_err();
        assert!(format!("{err:?}").contains("redirect_uris[2]"), "{err:?}");
        assert!(check_list("redirect_uris", &[]).is_ok());
    }
}
