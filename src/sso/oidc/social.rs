//! Social sign-in at platform level: Google and Microsoft as OIDC presets, GitHub over OAuth
//! 2.0, each configured by its `<PROVIDER>_CLIENT_ID`/`_SECRET`. The provider's callback is
//! `<JANUA_ISSUER>/api/v1/sso/social/{provider}/callback`.

use std::{fmt, str::FromStr, sync::Arc};

use serde_json::{Map, Value};
use url::Url;

use super::{
    Callback, IssuerPolicy, Oidc, OidcClient, Started, authorize, github, public_url, token,
};
use crate::{
    config::{OAuthClient, SocialProviders},
    error::{Error, SsoFailure},
};

/// A social provider Janua knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SocialProvider {
    Google,
    Microsoft,
    Github,
}

impl SocialProvider {
    pub fn name(self) -> &'static str {
        match self {
            Self::Google => "google",
            Self::Microsoft => "microsoft",
            Self::Github => "github",
        }
    }
}

impl fmt::Display for SocialProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SocialProvider {
    type Err = Error;

    fn from_str(raw: &str) -> Result<Self, Error> {
        match raw {
            "google" => Ok(Self::Google),
            "microsoft" => Ok(Self::Microsoft),
            "github" => Ok(Self::Github),
            // The same answer as for a known provider without credentials: the server
            // offers neither.
            other => Err(Error::sso(
                SsoFailure::Configuration,
                format!("the social provider {other:?} is not configured on this server"),
            )),
        }
    }
}

/// The social providers configured on this server.
pub struct Social {
    oidc: Arc<Oidc>,
    providers: SocialProviders,
    issuer: Url,
}

impl Social {
    pub fn new(oidc: Arc<Oidc>, providers: SocialProviders, issuer: Url) -> Self {
        Self {
            oidc,
            providers,
            issuer,
        }
    }

    /// Janua's callback for `provider`, registered with it.
    ///
    /// # Errors
    /// Only for an issuer URL that cannot take a path (refused at start-up).
    pub fn redirect_uri(&self, provider: SocialProvider) -> Result<Url, Error> {
        public_url(
            &self.issuer,
            &format!("/api/v1/sso/social/{provider}/callback"),
        )
    }

    fn client(&self, provider: SocialProvider) -> Result<&OAuthClient, Error> {
        let client = match provider {
            SocialProvider::Google => self.providers.google.as_ref(),
            SocialProvider::Microsoft => self.providers.microsoft.as_ref(),
            SocialProvider::Github => self.providers.github.as_ref(),
        };
        client.ok_or_else(|| {
            Error::sso(
                SsoFailure::Configuration,
                format!("sign-in with {provider} is not configured on this server"),
            )
        })
    }

    /// The OIDC preset of Google or Microsoft.
    fn oidc_client(&self, provider: SocialProvider) -> Result<OidcClient, Error> {
        let client = self.client(provider)?;
        let (issuer, policy) = match provider {
            SocialProvider::Microsoft => (
                self.providers.endpoints.microsoft_issuer.clone(),
                IssuerPolicy::MicrosoftTenant,
            ),
            _ => (
                self.providers.endpoints.google_issuer.clone(),
                IssuerPolicy::Exact,
            ),
        };
        Ok(OidcClient {
            issuer,
            policy,
            client_id: client.client_id.clone(),
            client_secret: client.client_secret.clone(),
            scopes: vec![],
            redirect_uri: self.redirect_uri(provider)?,
        })
    }

    /// The authorization URL for a sign-in with `provider` whose pending state is `state`.
    ///
    /// # Errors
    /// `SSO_CONFIGURATION_ERROR` when the provider is not configured; discovery errors.
    pub async fn start(&self, provider: SocialProvider, state: &str) -> Result<Started, Error> {
        if provider != SocialProvider::Github {
            return self.oidc.start(&self.oidc_client(provider)?, state).await;
        }
        let client = self.client(provider)?;
        let code_verifier = authorize::random_secret();
        let url = authorize::authorization_url(
            &self.github_endpoints().authorize()?,
            &authorize::AuthorizationRequest {
                client_id: &client.client_id,
                redirect_uri: &self.redirect_uri(provider)?,
                scope: github::SCOPE,
                state,
                nonce: None,
                code_verifier: &code_verifier,
            },
        );
        Ok(Started {
            url,
            nonce: None,
            code_verifier,
        })
    }

    /// The provider's verified claims about the user who came back with `callback`.
    ///
    /// # Errors
    /// `SSO_AUTHENTICATION_ERROR` when the provider refuses the code or its answers fail a
    /// check; `SSO_CONFIGURATION_ERROR` when the provider is not configured.
    pub async fn finish(
        &self,
        provider: SocialProvider,
        callback: &Callback<'_>,
    ) -> Result<Map<String, Value>, Error> {
        if provider != SocialProvider::Github {
            return self
                .oidc
                .finish(&self.oidc_client(provider)?, callback)
                .await;
        }
        let client = self.client(provider)?;
        let endpoints = self.github_endpoints();
        let tokens = token::exchange_code(
            &self.oidc.http,
            &token::CodeExchange {
                token_endpoint: &endpoints.access_token()?,
                auth: token::ClientAuth::Post,
                client_id: &client.client_id,
                client_secret: &client.client_secret,
                code: callback.code,
                redirect_uri: &self.redirect_uri(provider)?,
                code_verifier: callback.code_verifier,
            },
        )
        .await?;
        github::profile(&self.oidc.http, endpoints.api, &tokens.access_token).await
    }

    fn github_endpoints(&self) -> github::GithubEndpoints<'_> {
        github::GithubEndpoints {
            oauth: &self.providers.endpoints.github_oauth_url,
            api: &self.providers.endpoints.github_api_url,
        }
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn provider_names_round_trip() {
        for provider in [
            SocialProvider::Google,
            SocialProvider::Microsoft,
            SocialProvider::Github,
        ] {
            assert_eq!(provider.name().parse::<SocialProvider>().unwrap(), provider);
        }
        let err = "facebook".parse::<SocialProvider>().unwrap_err();
        assert_eq!(err.reason(), "SSO_CONFIGURATION_ERROR");
    }
}
