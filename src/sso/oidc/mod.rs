//! OpenID Connect connections and social sign-in. Being built (issue #6): until it lands,
//! OIDC connections can be stored but not signed in through.

use url::Url;

use super::{
    Sso,
    connection::{Connection, OidcSettings},
    pending::PendingProtocol,
};
use crate::error::{Error, SsoFailure};

/// Checks a connection's OIDC settings before they are stored.
pub async fn check_settings(_sso: &Sso, settings: &OidcSettings) -> Result<(), Error> {
    use secrecy::ExposeSecret as _;
    if settings.issuer.trim().is_empty() {
        return Err(Error::invalid("oidc.issuer", "is required"));
    }
    if settings.client_id.trim().is_empty() {
        return Err(Error::invalid("oidc.client_id", "is required"));
    }
    if settings.client_secret.expose_secret().is_empty() {
        return Err(Error::invalid("oidc.client_secret", "is required"));
    }
    Ok(())
}

/// The IdP's authorization URL for the pending sign-in `state`.
pub async fn start(
    _sso: &Sso,
    _connection: &Connection,
    _state: &str,
) -> Result<(Url, PendingProtocol), Error> {
    Err(Error::sso(
        SsoFailure::Configuration,
        "OIDC sign-in is not available yet",
    ))
}

/// A social provider's authorization URL for the pending sign-in `state`.
pub async fn start_social(
    _sso: &Sso,
    provider: &str,
    _state: &str,
) -> Result<(Url, PendingProtocol), Error> {
    Err(Error::sso(
        SsoFailure::Configuration,
        format!("the social provider \"{provider}\" is not configured"),
    ))
}
