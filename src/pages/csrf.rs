//! Cross-site request forgery defence for the pages' forms, in two independent checks:
//!
//! - **a token bound to a cookie** (double submit, signed): the browser holds a random value
//!   in an HttpOnly, SameSite=Lax cookie (`__Host-` and `Secure` outside plain-http
//!   development), and each form carries HMAC-SHA256(key, form ‖ value) under a key derived
//!   from the server's field key, so every node accepts it and no other site can mint one
//!   (it can neither read the cookie nor, thanks to `__Host-`, plant one);
//! - **where the POST comes from**: the browser's `Sec-Fetch-Site` must say same-origin;
//!   without it, `Origin` (or else `Referer`) must be the issuer's origin. A request with
//!   none of them is no browser's, and the token alone decides.
//!
//! (Pages send `Referrer-Policy: no-referrer`, under which browsers post `Origin: null`:
//! that is why fetch metadata comes first, and why `null` never passes.)

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue, header};
use rand::RngCore;
use sha2::Sha256;
use url::Url;

/// The key form tokens are signed with (derived from `FIELD_ENCRYPTION_KEY` at start-up).
#[derive(Clone)]
pub struct FormKey([u8; 32]);

impl FormKey {
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// A key for another purpose of the pages (`label` names it), independent of this one.
    pub(super) fn derive(&self, label: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for FormKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormKey(redacted)")
    }
}

/// Bytes of the browser's random cookie value.
const SECRET_BYTES: usize = 32;

/// The browser's half of the double submit: its cookie's value, and whether it is new (the
/// answer must set it).
pub(super) struct BrowserSecret {
    value: String,
    fresh: bool,
}

/// Why a POST was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Another site sent it (fetch metadata, `Origin` or `Referer`).
    CrossOrigin,
    /// No cookie, or a token that does not match it.
    Token,
}

pub(super) struct FormGuard {
    /// HMAC-SHA256 keyed with the `FormKey`, cloned for each token.
    keyed: Hmac<Sha256>,
    cookie_name: &'static str,
    secure: bool,
    /// `scheme://host[:port]` of the issuer.
    origin: String,
}

impl FormGuard {
    pub(super) fn new(key: FormKey, issuer: &Url, secure: bool) -> anyhow::Result<Self> {
        Ok(Self {
            keyed: <Hmac<Sha256> as Mac>::new_from_slice(&key.0)
                .map_err(|_| anyhow::anyhow!("the form key does not fit HMAC"))?,
            // `__Host-` binds the cookie to this host over https, path `/`, no Domain: a
            // sibling subdomain cannot overwrite it with a value it knows.
            cookie_name: if secure {
                "__Host-janua_form"
            } else {
                "janua_form"
            },
            secure,
            origin: issuer.origin().ascii_serialization(),
        })
    }

    /// The browser's secret from its cookie, or a new one to set with the page.
    pub(super) fn browser_secret(&self, headers: &HeaderMap) -> BrowserSecret {
        match self.cookie_value(headers) {
            Some(value) => BrowserSecret {
                value,
                fresh: false,
            },
            None => {
                let mut bytes = [0u8; SECRET_BYTES];
                rand::thread_rng().fill_bytes(&mut bytes);
                BrowserSecret {
                    value: URL_SAFE_NO_PAD.encode(bytes),
                    fresh: true,
                }
            }
        }
    }

    /// The `Set-Cookie` for a new secret; None when the browser has it already.
    pub(super) fn set_cookie(&self, secret: &BrowserSecret) -> Option<HeaderValue> {
        if !secret.fresh {
            return None;
        }
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = format!(
            "{}={}; Path=/; HttpOnly; SameSite=Lax{secure}",
            self.cookie_name, secret.value
        );
        HeaderValue::from_str(&cookie).ok()
    }

    /// The token the form named `form` carries for this browser.
    pub(super) fn token(&self, form: &str, secret: &BrowserSecret) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(form, &secret.value).finalize().into_bytes())
    }

    /// Whether a POST of the form `form` carrying `presented` may change anything.
    pub(super) fn check(
        &self,
        form: &str,
        headers: &HeaderMap,
        presented: &str,
    ) -> Result<(), Refusal> {
        if !self.is_same_origin(headers) {
            return Err(Refusal::CrossOrigin);
        }
        let value = self.cookie_value(headers).ok_or(Refusal::Token)?;
        let presented = URL_SAFE_NO_PAD
            .decode(presented)
            .map_err(|_| Refusal::Token)?;
        // verify_slice compares in constant time.
        self.mac(form, &value)
            .verify_slice(&presented)
            .map_err(|_| Refusal::Token)
    }

    fn mac(&self, form: &str, value: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        // The form's name is length-prefixed, so no (form, value) pair reads as another.
        mac.update(&(form.len() as u64).to_be_bytes());
        mac.update(form.as_bytes());
        mac.update(value.as_bytes());
        mac
    }

    /// Fetch metadata first (browsers send it whatever the referrer policy), then `Origin`,
    /// then `Referer`; none of them: not a browser, the token decides.
    fn is_same_origin(&self, headers: &HeaderMap) -> bool {
        let text = |name| {
            headers
                .get(name)
                .map(|v: &HeaderValue| v.to_str().unwrap_or(""))
        };
        if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
            return site == "same-origin";
        }
        if let Some(origin) = text(header::ORIGIN) {
            return origin == self.origin;
        }
        if let Some(referer) = text(header::REFERER) {
            return Url::parse(referer)
                .is_ok_and(|url| url.origin().ascii_serialization() == self.origin);
        }
        true
    }

    /// The cookie's value when it has the shape this guard gives it.
    fn cookie_value(&self, headers: &HeaderMap) -> Option<String> {
        super::cookies::value(headers, self.cookie_name)
            .filter(|value| {
                URL_SAFE_NO_PAD
                    .decode(value)
                    .is_ok_and(|bytes| bytes.len() == SECRET_BYTES)
            })
            .map(str::to_owned)
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn guard() -> FormGuard {
        let issuer = Url::parse("https://id.example.com/").unwrap();
        FormGuard::new(FormKey::new([7; 32]), &issuer, true).unwrap()
    }

    fn posted(cookie: &str, extra: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        for (name, value) in extra {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn a_token_passes_only_with_its_cookie_and_its_form() {
        let guard = guard();
        let secret = guard.browser_secret(&HeaderMap::new());
        let cookie = guard.set_cookie(&secret).unwrap();
        let cookie = cookie
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        assert!(cookie.starts_with("__Host-janua_form="));
        let token = guard.token("reset-password", &secret);
        let same = [("sec-fetch-site", "same-origin")];
        assert_eq!(
            guard.check("reset-password", &posted(&cookie, &same), &token),
            Ok(())
        );
        assert_eq!(
            guard.check("verify-email", &posted(&cookie, &same), &token),
            Err(Refusal::Token),
            "a token is bound to its form"
        );
        let other = guard.browser_secret(&HeaderMap::new());
        let other_cookie = format!("__Host-janua_form={}", other.value);
        assert_eq!(
            guard.check("reset-password", &posted(&other_cookie, &same), &token),
            Err(Refusal::Token),
            "a token is bound to its browser"
        );
        assert_eq!(
            guard.check("reset-password", &posted("", &same), &token),
            Err(Refusal::Token)
        );
    }

    #[test]
    fn only_posts_from_the_issuers_origin_pass() {
        let guard = guard();
        let secret = guard.browser_secret(&HeaderMap::new());
        let cookie = format!("__Host-janua_form={}", secret.value);
        let token = guard.token("f", &secret);
        let check =
            |extra: &[(&'static str, &str)]| guard.check("f", &posted(&cookie, extra), &token);
        assert_eq!(check(&[("origin", "https://id.example.com")]), Ok(()));
        assert_eq!(
            check(&[("referer", "https://id.example.com/x?token=1")]),
            Ok(())
        );
        assert_eq!(check(&[]), Ok(()), "no browser signal: the token decides");
        for refused in [
            vec![("sec-fetch-site", "cross-site")],
            vec![
                ("sec-fetch-site", "same-site"),
                ("origin", "https://id.example.com"),
            ],
            vec![("origin", "https://evil.example")],
            vec![("origin", "null")],
            vec![("origin", "https://id.example.com.evil.example")],
            vec![("referer", "https://evil.example/?https://id.example.com")],
        ] {
            assert_eq!(check(&refused), Err(Refusal::CrossOrigin), "{refused:?}");
        }
    }

    #[test]
    fn a_malformed_cookie_is_replaced() {
        let guard = guard();
        let headers = posted("__Host-janua_form=short; other=1", &[]);
        let secret = guard.browser_secret(&headers);
        assert!(secret.fresh);
        let kept = guard.browser_secret(&posted(
            &format!("a=b; __Host-janua_form={}", secret.value),
            &[],
        ));
        assert!(!kept.fresh);
        assert_eq!(kept.value, secret.value);
    }
}
