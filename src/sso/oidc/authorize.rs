//! The first leg: the URL that sends the browser to the provider (authorization code flow,
//! RFC 6749 §4.1) with PKCE S256 (RFC 7636) and, for OIDC, a `nonce`. The `state` is the
//! pending sign-in's key; the nonce and code verifier are kept in it, never sent anywhere
//! but here (the challenge) and the token endpoint (the verifier).

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest as _, Sha256};
use url::Url;

/// The scopes when a connection configures none.
const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// 256 random bits, base64url: a nonce or a PKCE code verifier (43 characters, within
/// RFC 7636's 43–128).
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 code challenge of `verifier`.
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `openid` followed by the configured scopes (each once), or the defaults when none are.
pub fn oidc_scope(configured: &[String]) -> String {
    if configured.is_empty() {
        return DEFAULT_SCOPES.join(" ");
    }
    let mut scopes = vec!["openid"];
    for scope in configured {
        if !scopes.contains(&scope.as_str()) {
            scopes.push(scope.as_str());
        }
    }
    scopes.join(" ")
}

/// One authorization request.
pub struct AuthorizationRequest<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a Url,
    pub scope: &'a str,
    pub state: &'a str,
    /// OIDC only; plain OAuth 2.0 (GitHub) has none.
    pub nonce: Option<&'a str>,
    pub code_verifier: &'a str,
}

/// `endpoint` with the request's parameters added to any it already has.
pub fn authorization_url(endpoint: &Url, request: &AuthorizationRequest<'_>) -> Url {
    let mut url = endpoint.clone();
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", request.client_id)
            .append_pair("redirect_uri", request.redirect_uri.as_str())
            .append_pair("scope", request.scope)
            .append_pair("state", request.state)
            .append_pair("code_challenge", &code_challenge(request.code_verifier))
            .append_pair("code_challenge_method", "S256");
        if let Some(nonce) = request.nonce {
            query.append_pair("nonce", nonce);
        }
    }
    url
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636_s256() {
        // RFC 7636 Appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let verifier = random_secret();
        assert_eq!(verifier.len(), 43);
        assert_ne!(verifier, random_secret());
    }

    #[test]
    fn openid_is_always_requested_once() {
        assert_eq!(oidc_scope(&[]), "openid email profile");
        let configured = ["email".to_owned(), "openid".to_owned(), "groups".to_owned()];
        assert_eq!(oidc_scope(&configured), "openid email groups");
    }

    #[test]
    fn the_url_keeps_the_endpoints_own_parameters() {
        let endpoint = Url::parse("https://idp.example/authorize?tenant=acme").unwrap();
        let redirect = Url::parse("https://janua.example/cb").unwrap();
        let url = authorization_url(
            &endpoint,
            &AuthorizationRequest {
                client_id: "janua",
                redirect_uri: &redirect,
                scope: "openid email",
                state: "s1",
                nonce: Some("n1"),
                code_verifier: "v",
            },
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("tenant"), Some("acme"));
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("redirect_uri"), Some("https://janua.example/cb"));
        assert_eq!(get("scope"), Some("openid email"));
        assert_eq!(get("state"), Some("s1"));
        assert_eq!(get("nonce"), Some("n1"));
        assert_eq!(get("code_challenge"), Some(code_challenge("v").as_str()));
        assert_eq!(get("code_challenge_method"), Some("S256"));
    }
}
