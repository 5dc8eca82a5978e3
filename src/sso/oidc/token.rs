//! The second leg: the authorization code exchanged at the token endpoint (RFC 6749 §4.1.3)
//! with the PKCE code verifier, the client authenticating with its secret in HTTP Basic
//! (`client_secret_basic`) or in the form (`client_secret_post`), as the provider supports.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use secrecy::{ExposeSecret as _, SecretString};
use url::Url;

use super::http;
use crate::error::{Error, SsoFailure};

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    Basic,
    Post,
}

impl ClientAuth {
    /// The method for a provider advertising `supported` (Discovery's
    /// `token_endpoint_auth_methods_supported`; absent means Basic). Basic is preferred.
    ///
    /// # Errors
    /// `SSO_CONFIGURATION_ERROR` when the provider supports neither secret method.
    pub fn for_provider(supported: Option<&[String]>) -> Result<Self, Error> {
        let Some(supported) = supported else {
            return Ok(Self::Basic);
        };
        let offers = |method: &str| supported.iter().any(|m| m == method);
        if offers("client_secret_basic") {
            Ok(Self::Basic)
        } else if offers("client_secret_post") {
            Ok(Self::Post)
        } else {
            Err(Error::sso(
                SsoFailure::Configuration,
                "the identity provider supports neither client_secret_basic nor client_secret_post",
            ))
        }
    }
}

/// One code exchange.
pub struct CodeExchange<'a> {
    pub token_endpoint: &'a Url,
    pub auth: ClientAuth,
    pub client_id: &'a str,
    pub client_secret: &'a SecretString,
    pub code: &'a str,
    pub redirect_uri: &'a Url,
    pub code_verifier: &'a str,
}

/// The token endpoint's answer. No `Debug`: it holds bearer tokens.
#[derive(serde::Deserialize)]
pub struct Tokens {
    pub access_token: String,
    /// OIDC only.
    #[serde(default)]
    pub id_token: Option<String>,
}

/// An OAuth error answer (RFC 6749 §5.2); GitHub sends one with HTTP 200.
#[derive(serde::Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Exchanges the code for tokens.
///
/// # Errors
/// `SSO_AUTHENTICATION_ERROR` when the provider refuses the code (or cannot be reached): the
/// sign-in cannot go on.
pub async fn exchange_code(
    http: &reqwest::Client,
    exchange: &CodeExchange<'_>,
) -> Result<Tokens, Error> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", exchange.code),
        ("redirect_uri", exchange.redirect_uri.as_str()),
        ("code_verifier", exchange.code_verifier),
    ];
    let mut request = http
        .post(exchange.token_endpoint.clone())
        .header(reqwest::header::ACCEPT, "application/json");
    match exchange.auth {
        ClientAuth::Basic => {
            // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
            let encode = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
            request = request.basic_auth(
                encode(exchange.client_id),
                Some(encode(exchange.client_secret.expose_secret())),
            );
        }
        ClientAuth::Post => {
            form.push(("client_id", exchange.client_id));
            form.push(("client_secret", exchange.client_secret.expose_secret()));
        }
    }
    let what = "token request";
    let answer = http::send(request.form(&form), what, SsoFailure::Authentication).await?;
    if let Ok(refusal) = answer.json::<OAuthError>(what, SsoFailure::Authentication) {
        let description = refusal.error_description.unwrap_or_default();
        let description: String = description.chars().take(200).collect();
        return Err(Error::sso(
            SsoFailure::Authentication,
            format!(
                "the identity provider refused the code: {} {description}",
                refusal.error
            )
            .trim_end()
            .to_owned(),
        ));
    }
    answer.success(what, SsoFailure::Authentication)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn basic_is_preferred_and_the_default() {
        let methods = |m: &[&str]| m.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(ClientAuth::for_provider(None).unwrap(), ClientAuth::Basic);
        let both = methods(&["client_secret_post", "client_secret_basic"]);
        assert_eq!(
            ClientAuth::for_provider(Some(&both)).unwrap(),
            ClientAuth::Basic
        );
        let post = methods(&["client_secret_post", "private_key_jwt"]);
        assert_eq!(
            ClientAuth::for_provider(Some(&post)).unwrap(),
            ClientAuth::Post
        );
        let err = ClientAuth::for_provider(Some(&methods(&["private_key_jwt"]))).unwrap_err();
        assert_eq!(err.reason(), "SSO_CONFIGURATION_ERROR");
    }
}
