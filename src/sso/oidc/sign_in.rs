//! The OIDC and social entry points of the SSO service: settings checks for connection
//! CRUD, the authorization URL for StartSso, and the callback that turns the provider's
//! answer into a verified `ExternalIdentity` for `Sso::complete`.

use std::sync::Arc;

use url::Url;

use super::{Callback, IssuerPolicy, Oidc, OidcClient, Social, SocialProvider, validate_issuer};
use crate::{
    error::{Error, SsoFailure},
    sso::{
        AttributeMapping, Sso,
        connection::{Connection, OidcSettings},
        identity::ExternalIdentity,
        pending::{PendingProtocol, PendingSignIn, SignInSource},
    },
};

/// The query of a callback: `code` and `state`, or the provider's `error`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

fn oidc(sso: &Sso) -> Arc<Oidc> {
    Arc::new(Oidc::with_client(
        sso.http.clone(),
        sso.cache.clone(),
        sso.clock.clone(),
    ))
}

fn social(sso: &Sso) -> Social {
    Social::new(
        oidc(sso),
        sso.settings.social.clone(),
        sso.settings.issuer.clone(),
    )
}

/// Checks a connection's OIDC settings before they are stored.
///
/// # Errors
/// `VALIDATION_ERROR` for a missing field; `SSO_CONFIGURATION_ERROR` for a bad issuer URL.
pub async fn check_settings(_sso: &Sso, settings: &OidcSettings) -> Result<(), Error> {
    use secrecy::ExposeSecret as _;
    if settings.issuer.trim().is_empty() {
        return Err(Error::invalid("oidc.issuer", "is required"));
    }
    validate_issuer(&settings.issuer)?;
    if settings.client_id.trim().is_empty() {
        return Err(Error::invalid("oidc.client_id", "is required"));
    }
    if settings.client_secret.expose_secret().is_empty() {
        return Err(Error::invalid("oidc.client_secret", "is required"));
    }
    Ok(())
}

fn connection_client(sso: &Sso, connection: &Connection) -> Result<OidcClient, Error> {
    let settings = connection.oidc.as_ref().ok_or_else(|| {
        Error::sso(
            SsoFailure::Configuration,
            "the connection has no OIDC settings",
        )
    })?;
    Ok(OidcClient {
        issuer: validate_issuer(&settings.issuer)?,
        policy: IssuerPolicy::Exact,
        client_id: settings.client_id.clone(),
        client_secret: settings.client_secret.clone(),
        scopes: settings.scopes.clone(),
        redirect_uri: super::public_url(
            &sso.settings.issuer,
            &format!("/api/v1/sso/oidc/{}/callback", connection.id),
        )?,
    })
}

/// The IdP's authorization URL for the pending sign-in `state`.
///
/// # Errors
/// Discovery and configuration errors.
pub async fn start(
    sso: &Sso,
    connection: &Connection,
    state: &str,
) -> Result<(Url, PendingProtocol), Error> {
    let started = oidc(sso)
        .start(&connection_client(sso, connection)?, state)
        .await?;
    let protocol = PendingProtocol::Oidc {
        nonce: started.nonce.unwrap_or_default(),
        code_verifier: started.code_verifier,
    };
    Ok((started.url, protocol))
}

/// A social provider's authorization URL for the pending sign-in `state`.
///
/// # Errors
/// `SSO_CONFIGURATION_ERROR` for an unknown or unconfigured provider; discovery errors.
pub async fn start_social(
    sso: &Sso,
    provider: &str,
    state: &str,
) -> Result<(Url, PendingProtocol), Error> {
    let provider: SocialProvider = provider.parse()?;
    let started = social(sso).start(provider, state).await?;
    let protocol = match started.nonce {
        Some(nonce) => PendingProtocol::Oidc {
            nonce,
            code_verifier: started.code_verifier,
        },
        None => PendingProtocol::OAuth2 {
            code_verifier: started.code_verifier,
        },
    };
    Ok((started.url, protocol))
}

fn refused(message: impl Into<String>) -> Error {
    Error::sso(SsoFailure::Authentication, message)
}

/// The callback for `source`: the pending sign-in of `query.state` (taken, whatever
/// happens next) and the identity the provider vouches for.
pub async fn finish_callback(
    sso: &Sso,
    source: SignInSource,
    query: &CallbackQuery,
) -> (Option<PendingSignIn>, Result<ExternalIdentity, Error>) {
    let state = query.state.as_deref().unwrap_or_default();
    let pending = match sso.pending.take(state).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return (None, Err(refused("unknown or expired sign-in"))),
        Err(error) => return (None, Err(error)),
    };
    let verified = verify(sso, &source, &pending, query).await;
    (Some(pending), verified)
}

async fn verify(
    sso: &Sso,
    source: &SignInSource,
    pending: &PendingSignIn,
    query: &CallbackQuery,
) -> Result<ExternalIdentity, Error> {
    if &pending.source != source {
        return Err(refused("the sign-in was started for another provider"));
    }
    if let Some(error) = &query.error {
        let error: String = error.chars().take(100).collect();
        return Err(refused(format!("the identity provider answered {error}")));
    }
    let code = query.code.as_deref().ok_or_else(|| refused("no code"))?;
    let (nonce, code_verifier) = match &pending.protocol {
        PendingProtocol::Oidc {
            nonce,
            code_verifier,
        } => (Some(nonce.as_str()), code_verifier.as_str()),
        PendingProtocol::OAuth2 { code_verifier } => (None, code_verifier.as_str()),
        PendingProtocol::Saml { .. } => return Err(refused("not an OIDC sign-in")),
    };
    let callback = Callback {
        code,
        nonce,
        code_verifier,
    };
    match source {
        SignInSource::Connection(id) => {
            let connection = sso.enabled_connection(id).await?;
            let claims = oidc(sso)
                .finish(&connection_client(sso, &connection)?, &callback)
                .await?;
            Ok(connection
                .attribute_mapping
                .oidc_identity(format!("sso:{id}"), &claims))
        }
        SignInSource::Social(name) => {
            let provider: SocialProvider = name.parse()?;
            let claims = social(sso).finish(provider, &callback).await?;
            Ok(AttributeMapping::default().oidc_identity(provider.name().to_owned(), &claims))
        }
    }
}
