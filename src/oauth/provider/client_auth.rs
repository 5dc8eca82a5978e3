//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic` (the Basic credentials decoded per RFC 6749 Appendix B: the
//! client_id and secret are form-urlencoded before they are joined by `:`, so secrets with
//! `+`, `/` or `:` work) or `client_secret_post`, never both. Every check of a secret is
//! counted before it is made, per client and per IP (`auth::limits`), and refunded when it
//! passes; the secret itself is compared in constant time by the registry.

use axum::http::{HeaderMap, header};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use percent_encoding::percent_decode_str;

use super::{AuthorizationServer, error::OAuthError, request::Params};
use crate::{error::Error, ids::OAuthClientId, oauth::RegisteredClient};

/// How the client presented its credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Basic,
    Post,
}

/// A client's credentials as presented, not yet checked.
#[derive(Debug)]
pub struct Credentials {
    pub client_id: String,
    pub secret: String,
    pub method: Method,
}

/// The client credentials of a request: None when it carries none at all.
pub fn presented(headers: &HeaderMap, params: &Params) -> Result<Option<Credentials>, OAuthError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        Some(value) => Some(basic_credentials(value.to_str().ok())?),
        None => None,
    };
    let posted_secret = params.get("client_secret");
    match (basic, posted_secret) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "use one client authentication method: Basic or client_secret in the body, not both",
        )),
        (Some((client_id, secret)), None) => {
            if params.get("client_id").is_some_and(|id| id != client_id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the Basic credentials",
                ));
            }
            Ok(Some(Credentials {
                client_id,
                secret,
                method: Method::Basic,
            }))
        }
        (None, Some(secret)) => Ok(Some(Credentials {
            client_id: params.required("client_id")?.to_owned(),
            secret: secret.to_owned(),
            method: Method::Post,
        })),
        (None, None) => Ok(None),
    }
}

/// The client_id and secret of an `Authorization: Basic` header value.
fn basic_credentials(value: Option<&str>) -> Result<(String, String), OAuthError> {
    let malformed = || OAuthError::invalid_client(true);
    let value = value.ok_or_else(malformed)?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_request(
            "client authentication uses Basic credentials or the body",
        ));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    Ok((
        form_decode(id).ok_or_else(malformed)?,
        form_decode(secret).ok_or_else(malformed)?,
    ))
}

/// `application/x-www-form-urlencoded` decoding of one value (`+` is a space).
fn form_decode(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

impl AuthorizationServer {
    /// The confidential client these credentials authenticate. Unknown, disabled and public
    /// clients and wrong secrets are all `invalid_client` (with a Basic challenge when
    /// Basic was used); beyond the failure budgets, 429.
    pub(super) async fn authenticate_client(
        &self,
        credentials: Option<Credentials>,
        ip: Option<&str>,
    ) -> Result<RegisteredClient, OAuthError> {
        let Some(credentials) = credentials else {
            return Err(OAuthError::invalid_client(true));
        };
        let refused = OAuthError::invalid_client(credentials.method == Method::Basic);
        let Ok(client_id) = OAuthClientId::parse("client_id", &credentials.client_id) else {
            return Err(refused);
        };
        let attempt = self
            .guard
            .reserve_attempt(&limit_account(&client_id), ip)
            .await?;
        match self
            .clients
            .authenticate_client(&client_id, &credentials.secret)
            .await
        {
            Ok(client) => {
                self.guard.refund(attempt).await?;
                Ok(client)
            }
            Err(Error::Authentication) => {
                self.guard.attempt_failed(attempt).await?;
                Err(refused)
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// The brute-force account of a client: a space never occurs in an email address or an
/// id, so no client shares a budget with an account.
fn limit_account(client_id: &OAuthClientId) -> String {
    format!("oauth client {}", client_id.as_str())
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded_after_the_first_colon() {
        let header = format!("Basic {}", STANDARD.encode("my%3Aclient:a%2Bb%2Fc%3Ad+e"));
        let (id, secret) = basic_credentials(Some(&header)).unwrap();
        assert_eq!(id, "my:client");
        assert_eq!(secret, "a+b/c:d e");
        let raw_colon = format!("basic {}", STANDARD.encode("id:se:cret"));
        assert_eq!(basic_credentials(Some(&raw_colon)).unwrap().1, "se:cret");
    }

    #[test]
    fn malformed_basic_credentials_are_invalid_client_with_a_challenge() {
        for value in [
            "Basic",
            "Basic !!!",
            &format!("Basic {}", STANDARD.encode("no-colon")),
        ] {
            let error = basic_credentials(Some(value)).unwrap_err();
            assert_eq!(error.code(), "invalid_client", "{value}");
        }
        assert_eq!(
            basic_credentials(Some("Bearer x")).unwrap_err().code(),
            "invalid_request"
        );
    }
}
