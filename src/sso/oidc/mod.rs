//! OpenID Connect relying party (an organization's OIDC connection, or the Google and
//! Microsoft social presets) and GitHub's plain OAuth 2.0: the authorization URL that starts
//! a sign-in, and the callback's code exchange that ends it with the provider's verified
//! claims about the user.
//!
//! What happens next (finding or creating the user, the session) is not decided here: the
//! claims go through the connection's attribute mapping to `Sso::complete`. This module must
//! never log or return tokens, codes or secrets, and never trust a claim from an ID token it
//! has not verified.

mod authorize;
mod discovery;
mod github;
pub(super) mod http;
mod id_token;
mod jwks;
mod sign_in;
mod social;
mod token;

use std::{sync::Arc, time::Duration};

use secrecy::SecretString;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use url::Url;

pub use authorize::random_secret;
pub use discovery::{IssuerPolicy, ProviderMetadata, validate_issuer};
pub use sign_in::{CallbackQuery, check_settings, finish_callback, start, start_social};
pub use social::{Social, SocialProvider};

use crate::{
    cache::Cache,
    clock::Clock,
    error::{Error, SsoFailure},
};

/// Outbound OIDC: discovery and key sets (cached), code exchange, token validation.
pub struct Oidc {
    http: reqwest::Client,
    cache: Arc<dyn Cache>,
    clock: Arc<dyn Clock>,
}

/// An OIDC provider as Janua's client of it: a connection's settings or a social preset.
pub struct OidcClient {
    pub issuer: String,
    pub policy: IssuerPolicy,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Besides `openid`; empty: `openid email profile`.
    pub scopes: Vec<String>,
    /// Janua's callback for this provider, registered with it.
    pub redirect_uri: Url,
}

/// A started sign-in: where to send the browser, and what the pending sign-in must keep.
#[derive(Debug)]
pub struct Started {
    pub url: Url,
    /// OIDC only.
    pub nonce: Option<String>,
    pub code_verifier: String,
}

/// What the callback brings back, with what the pending sign-in kept.
pub struct Callback<'a> {
    pub code: &'a str,
    /// OIDC: the nonce the ID token must carry.
    pub nonce: Option<&'a str>,
    pub code_verifier: &'a str,
}

/// Claims that, when the ID token lacks them, are asked of the userinfo endpoint.
const USERINFO_CLAIMS: [&str; 3] = ["email", "email_verified", "name"];

impl Oidc {
    /// An `Oidc` over an existing client (the SSO service's, which follows no redirects).
    pub fn with_client(
        http: reqwest::Client,
        cache: Arc<dyn Cache>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { http, cache, clock }
    }

    /// An `Oidc` with a client of its own under the development outbound policy: loopback
    /// allowed (local IdPs, tests), private, link-local and metadata addresses refused. The
    /// server's goes through the SSO service's client, built from the configuration.
    ///
    /// # Errors
    /// When the HTTP client cannot be built (no TLS roots).
    pub fn new(cache: Arc<dyn Cache>, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let policy = crate::config::OutboundPolicy {
            allow_loopback: true,
            allow_private: false,
        };
        Ok(Self {
            http: http::client(policy)?,
            cache,
            clock,
        })
    }

    /// The authorization URL for a sign-in whose pending state is `state`.
    ///
    /// # Errors
    /// `SSO_METADATA_ERROR`/`SSO_CONFIGURATION_ERROR` when the provider cannot be discovered.
    pub async fn start(&self, client: &OidcClient, state: &str) -> Result<Started, Error> {
        let provider = self.discover(&client.issuer, client.policy).await?;
        let nonce = random_secret();
        let code_verifier = random_secret();
        let url = authorize::authorization_url(
            &provider.authorization_endpoint,
            &authorize::AuthorizationRequest {
                client_id: &client.client_id,
                redirect_uri: &client.redirect_uri,
                scope: &authorize::oidc_scope(&client.scopes),
                state,
                nonce: Some(&nonce),
                code_verifier: &code_verifier,
            },
        );
        Ok(Started {
            url,
            nonce: Some(nonce),
            code_verifier,
        })
    }

    /// The verified claims of the user the provider signed in: code exchanged, ID token
    /// verified, claims it lacks filled from the userinfo endpoint.
    ///
    /// # Errors
    /// `SSO_AUTHENTICATION_ERROR` for a refused code or a token failing any check;
    /// `SSO_METADATA_ERROR`/`SSO_CONFIGURATION_ERROR` when the provider is unusable.
    pub async fn finish(
        &self,
        client: &OidcClient,
        callback: &Callback<'_>,
    ) -> Result<Map<String, Value>, Error> {
        let provider = self.discover(&client.issuer, client.policy).await?;
        let tokens = token::exchange_code(
            &self.http,
            &token::CodeExchange {
                token_endpoint: &provider.token_endpoint,
                auth: token::ClientAuth::for_provider(
                    provider.token_endpoint_auth_methods_supported.as_deref(),
                )?,
                client_id: &client.client_id,
                client_secret: &client.client_secret,
                code: callback.code,
                redirect_uri: &client.redirect_uri,
                code_verifier: callback.code_verifier,
            },
        )
        .await?;
        let id_token = tokens.id_token.as_deref().ok_or_else(|| {
            Error::sso(
                SsoFailure::Authentication,
                "the identity provider sent no ID token",
            )
        })?;
        let nonce = callback.nonce.ok_or_else(|| {
            Error::sso(
                SsoFailure::Authentication,
                "the pending sign-in has no nonce",
            )
        })?;
        let expected = id_token::Expected {
            provider: &provider,
            policy: client.policy,
            client_id: &client.client_id,
            nonce,
            now: self.clock.now().timestamp(),
        };
        let mut claims = self.verify_id_token(id_token, &expected).await?;
        self.fill_from_userinfo(&provider, &tokens.access_token, &mut claims)
            .await?;
        Ok(claims)
    }

    /// Adds the [`USERINFO_CLAIMS`] the ID token lacks from the userinfo endpoint, whose
    /// answer counts only when it is about the same subject (Core §5.3.2).
    async fn fill_from_userinfo(
        &self,
        provider: &ProviderMetadata,
        access_token: &str,
        claims: &mut Map<String, Value>,
    ) -> Result<(), Error> {
        let missing: Vec<&str> = USERINFO_CLAIMS
            .into_iter()
            .filter(|name| !claims.contains_key(*name))
            .collect();
        let Some(endpoint) = provider.userinfo_endpoint.as_ref() else {
            return Ok(());
        };
        if missing.is_empty() {
            return Ok(());
        }
        let what = "OIDC userinfo";
        let request = self.http.get(endpoint.clone()).bearer_auth(access_token);
        let info: Map<String, Value> = http::send(request, what, SsoFailure::Authentication)
            .await?
            .success(what, SsoFailure::Authentication)?;
        if info.get("sub") != claims.get("sub") {
            return Err(Error::sso(
                SsoFailure::Authentication,
                "the userinfo answer is about another subject",
            ));
        }
        for name in missing {
            if let Some(value) = info.get(name) {
                claims.insert(name.to_owned(), value.clone());
            }
        }
        Ok(())
    }

    /// A cached value; a cache failure or a stale format counts as a miss.
    async fn cached<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let bytes = self.cache.get(key).await.ok().flatten()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Caches `value`; a cache failure only costs the next call a fetch.
    async fn remember<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) {
        let Ok(bytes) = serde_json::to_vec(value) else {
            return;
        };
        if let Err(err) = self.cache.set(key, &bytes, ttl).await {
            tracing::warn!(error = %err, "could not cache OIDC provider data");
        }
    }
}

/// Janua's URL `path` below the public base URL `issuer` (which may have a path itself).
pub fn public_url(issuer: &Url, path: &str) -> Result<Url, Error> {
    let raw = format!("{}{path}", issuer.as_str().trim_end_matches('/'));
    Url::parse(&raw).map_err(|e| Error::Internal(anyhow::anyhow!("callback URL {raw}: {e}")))
}
