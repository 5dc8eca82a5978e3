//! SAML 2.0 service provider. Being built (issue #6): until it lands, SAML connections can
//! be stored but not signed in through.

use url::Url;

use super::{
    Sso,
    connection::{Connection, SamlSettings},
    pending::PendingProtocol,
};
use crate::error::{Error, SsoFailure};

/// Checks a connection's SAML settings before they are stored.
pub async fn check_settings(_sso: &Sso, settings: &SamlSettings) -> Result<(), Error> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    match (
        given(&settings.idp_metadata_xml),
        given(&settings.idp_metadata_url),
    ) {
        (true, false) | (false, true) => Ok(()),
        _ => Err(Error::invalid(
            "saml",
            "give exactly one of idp_metadata_xml and idp_metadata_url",
        )),
    }
}

/// The IdP URL carrying a new AuthnRequest for the pending sign-in `state`.
pub async fn start(
    _sso: &Sso,
    _connection: &Connection,
    _state: &str,
) -> Result<(Url, PendingProtocol), Error> {
    Err(Error::sso(
        SsoFailure::Configuration,
        "SAML sign-in is not available yet",
    ))
}
