//! Reading one cookie of a request (the pages' form, browser-session and SSO cookies).

use http::{HeaderMap, header};

/// The value of the cookie `name`, from any of the request's `Cookie` headers.
pub(super) fn value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value)
}
