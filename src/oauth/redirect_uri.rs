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

/// Whether a request's `presented` redirect URI is the `registered` one: the same string,
/// or, for an `http` URI to a loopback IP literal (RFC 8252 section 7.3), the same string
/// but for the port, which a native app picks when it starts listening.
pub fn matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    let (Ok(registered), Ok(mut parsed)) = (Url::parse(registered), Url::parse(presented)) else {
        return false;
    };
    let loopback_ip = matches!(registered.host(), Some(Host::Ipv4(_) | Host::Ipv6(_)))
        && is_loopback(registered.host());
    // A presented URI the URL standard would write differently is not the string the app
    // registered, whatever its port.
    if registered.scheme() != "http" || !loopback_ip || parsed.as_str() != presented {
        return false;
    }
    if parsed.set_port(registered.port()).is_err() {
        return false;
    }
    parsed.as_str() == registered.as_str()
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
    fn loopback_ip_redirects_match_on_any_port_and_nothing_else_does() {
        let ip = "http://127.0.0.1/cb";
        assert!(matches(ip, "http://127.0.0.1:53682/cb"));
        assert!(matches("http://127.0.0.1:8080/cb", "http://127.0.0.1/cb"));
        assert!(matches("http://[::1]/cb", "http://[::1]:4000/cb"));
        for refused in [
            "http://127.0.0.1:53682/cb/",
            "http://127.0.0.1:53682/cb?x=1",
            "http://127.0.0.1:53682/CB",
            "https://127.0.0.1:53682/cb",
            "http://127.1:53682/cb",
            "http://localhost:53682/cb",
            "http://127.0.0.1:53682/a/../cb",
        ] {
            assert!(!matches(ip, refused), "{refused}");
        }
        // `localhost` and https URIs match only exactly (a name can resolve anywhere).
        assert!(!matches("http://localhost/cb", "http://localhost:3000/cb"));
        assert!(!matches(
            "https://app.example.com/cb",
            "https://app.example.com:8443/cb"
        ));
        assert!(matches(
            "http://localhost:3000/cb",
            "http://localhost:3000/cb"
        ));
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
