//! The Janua browser session cookie: single sign-on across the applications that use
//! Janua. It names a Janua session (`session_id.mac`, HMAC-SHA256 under a key derived from
//! the pages' key, so nobody can name a session they were not given) and is HttpOnly,
//! SameSite=Lax, `__Host-` with `Secure` outside plain-http development. The session it
//! names must still be live (not revoked, not expired, its user active) to count.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue};
use sha2::Sha256;

use crate::pages::FormKey;

pub(in crate::pages) struct SessionCookie {
    keyed: Hmac<Sha256>,
    name: &'static str,
    secure: bool,
}

impl SessionCookie {
    pub(in crate::pages) fn new(key: &FormKey, secure: bool) -> Self {
        let derived = key.derive("janua browser session cookie");
        Self {
            keyed: <Hmac<Sha256> as Mac>::new_from_slice(&derived)
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length")),
            name: if secure {
                "__Host-janua_session"
            } else {
                "janua_session"
            },
            secure,
        }
    }

    /// The `Set-Cookie` naming `session_id`.
    pub(in crate::pages) fn set(&self, session_id: &str) -> Option<HeaderValue> {
        let mac = URL_SAFE_NO_PAD.encode(self.mac(session_id).finalize().into_bytes());
        self.cookie(&format!("{session_id}.{mac}"), "")
    }

    /// The `Set-Cookie` that removes it.
    pub(in crate::pages) fn clear(&self) -> Option<HeaderValue> {
        self.cookie("", "; Max-Age=0")
    }

    /// The session id the browser's cookie names, when its MAC is right.
    pub(in crate::pages) fn session_id(&self, headers: &HeaderMap) -> Option<String> {
        let value = crate::pages::cookies::value(headers, self.name)?;
        let (session_id, mac) = value.rsplit_once('.')?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        self.mac(session_id).verify_slice(&mac).ok()?;
        Some(session_id.to_owned())
    }

    fn mac(&self, session_id: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(session_id.as_bytes());
        mac
    }

    fn cookie(&self, value: &str, extra: &str) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{extra}",
            self.name
        ))
        .ok()
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use http::header;

    use super::*;

    fn presented(cookie: &HeaderValue) -> HeaderMap {
        let pair = cookie
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&pair).unwrap());
        headers
    }

    #[test]
    fn only_a_cookie_this_server_set_names_a_session() {
        let cookies = SessionCookie::new(&FormKey::new([3; 32]), true);
        let set = cookies.set("0190-session").unwrap();
        assert!(set.to_str().unwrap().starts_with("__Host-janua_session="));
        assert!(
            set.to_str()
                .unwrap()
                .contains("HttpOnly; SameSite=Lax; Secure")
        );
        assert_eq!(
            cookies.session_id(&presented(&set)).as_deref(),
            Some("0190-session")
        );
        let forged =
            HeaderValue::from_str(&set.to_str().unwrap().replace("0190-session", "0190-other"))
                .unwrap();
        assert_eq!(cookies.session_id(&presented(&forged)), None);
        let other_key = SessionCookie::new(&FormKey::new([4; 32]), true);
        assert_eq!(other_key.session_id(&presented(&set)), None);
    }
}
