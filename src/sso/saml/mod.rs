//! The SAML 2.0 service provider of Janua (Web Browser SSO profile): AuthnRequests over the
//! HTTP-Redirect binding, responses over HTTP-POST to the ACS, SP metadata per connection.
//!
//! Every response goes through [`response::verify`] (shape, signature, SAML checks) and the
//! replay guard before anything it says is used. This module never decides who the user is in
//! Janua: it hands the verified NameID and attributes to the SSO capability. It never parses
//! XML with a DTD, never reads an unsigned assertion and never signs anything (so
//! `sign_requests` is refused rather than ignored).

mod assertion;
mod authn_request;
mod checks;
mod idp_metadata;
mod idp_source;
mod replay;
mod response;
mod signature;
mod sp;
mod structure;
mod xml;

#[cfg(test)]
mod tests;

use crate::ids::ConnectionId;
use std::sync::Arc;

use url::Url;

pub use assertion::SamlSubject;
pub use idp_metadata::IdpMetadata;
pub use sp::SpEndpoints;

use super::{
    Sso,
    connection::{Connection, SamlSettings},
    identity::ExternalIdentity,
    pending::{LinkTarget, PendingProtocol, PendingSignIn, SignInSource},
};
use crate::cache::Cache;
use crate::clock::Clock;
use crate::error::{Error, SsoFailure};

/// Where a connection's IdP metadata comes from (its stored settings).
#[derive(Debug, Clone, Copy)]
pub struct IdpSource<'a> {
    pub metadata_xml: Option<&'a str>,
    pub metadata_url: Option<&'a str>,
}

/// What the ACS received and what the sign-in expects of it.
#[derive(Debug, Clone)]
pub struct AcsRequest<'a> {
    pub connection_id: &'a str,
    pub idp: IdpSource<'a>,
    pub saml_response: &'a str,
    /// The AuthnRequest id of the pending sign-in the RelayState named; None when the
    /// RelayState named none (an IdP-initiated response).
    pub request_id: Option<&'a str>,
    pub allow_idp_initiated: bool,
}

/// The SAML service provider: Janua's issuer URL plus what it needs from outside.
#[derive(Clone)]
pub struct SamlSp {
    issuer: String,
    cache: Arc<dyn Cache>,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
}

impl SamlSp {
    pub fn new(
        issuer: &Url,
        cache: Arc<dyn Cache>,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            issuer: issuer.as_str().to_owned(),
            cache,
            http,
            clock,
        }
    }

    /// The entity id and ACS URL of a connection.
    pub fn endpoints(&self, connection_id: &str) -> SpEndpoints {
        SpEndpoints::new(&self.issuer, connection_id)
    }

    /// The SP metadata XML of a connection.
    pub fn metadata_xml(&self, connection_id: &str) -> Result<String, Error> {
        self.endpoints(connection_id).metadata_xml()
    }

    /// Checks a connection's SAML settings at create/update: exactly one metadata source, and
    /// metadata that parses (fetched when given by URL); `sign_requests` is not supported.
    pub async fn validate_settings(
        &self,
        idp: IdpSource<'_>,
        sign_requests: bool,
    ) -> Result<(), Error> {
        if sign_requests {
            return Err(xml::sso_error(
                SsoFailure::Configuration,
                "signed AuthnRequests are not supported: set saml.sign_requests to false",
            ));
        }
        if idp.metadata_xml.is_some() && idp.metadata_url.is_some() {
            return Err(xml::sso_error(
                SsoFailure::Configuration,
                "give idp_metadata_xml or idp_metadata_url, not both",
            ));
        }
        self.idp_metadata(idp).await.map(|_| ())
    }

    /// The IdP's metadata (cached when fetched by URL).
    pub async fn idp_metadata(&self, idp: IdpSource<'_>) -> Result<IdpMetadata, Error> {
        idp_source::load(
            idp.metadata_xml,
            idp.metadata_url,
            self.cache.as_ref(),
            &self.http,
        )
        .await
    }

    /// Starts a sign-in: a fresh AuthnRequest id (to keep in the pending sign-in) and the
    /// IdP URL to send the browser to, carrying `state` as RelayState.
    pub async fn authorization_url(
        &self,
        connection_id: &str,
        idp: IdpSource<'_>,
        state: &str,
    ) -> Result<(Url, String), Error> {
        let metadata = self.idp_metadata(idp).await?;
        let request_id = authn_request::new_request_id();
        let url = authn_request::redirect_url(
            &metadata,
            &self.endpoints(connection_id),
            &request_id,
            state,
            self.clock.now(),
        )?;
        Ok((url, request_id))
    }

    /// Verifies a response posted to the ACS and accepts its assertion once; the subject it
    /// returns is the IdP's signed word.
    pub async fn consume(&self, request: AcsRequest<'_>) -> Result<SamlSubject, Error> {
        let metadata = self.idp_metadata(request.idp).await?;
        let sp = self.endpoints(request.connection_id);
        let now = self.clock.now();
        let encoded = request.saml_response.to_owned();
        let request_id = request.request_id.map(str::to_owned);
        let allow_idp_initiated = request.allow_idp_initiated;
        // libxmlsec1 work is CPU-bound and blocking.
        let verified = tokio::task::spawn_blocking(move || {
            let expected = checks::Expected {
                idp_entity_id: &metadata.entity_id,
                sp: &sp,
                request_id: request_id.as_deref(),
                allow_idp_initiated,
                now,
            };
            response::verify(&encoded, &metadata.certificates, &expected)
        })
        .await
        .map_err(|err| Error::Internal(anyhow::anyhow!("SAML verification task: {err}")))??;
        replay::accept_once(
            self.cache.as_ref(),
            request.connection_id,
            &verified.assertion_id,
            verified.valid_until,
            now,
        )
        .await?;
        Ok(verified.subject)
    }
}

impl<'a> IdpSource<'a> {
    fn of(settings: &'a SamlSettings) -> Self {
        Self {
            metadata_xml: settings.idp_metadata_xml.as_deref(),
            metadata_url: settings.idp_metadata_url.as_deref(),
        }
    }
}

/// The service provider of this server.
pub fn service_provider(sso: &Sso) -> SamlSp {
    SamlSp::new(
        sso.issuer(),
        sso.cache.clone(),
        sso.http.clone(),
        sso.clock.clone(),
    )
}

/// Checks a connection's SAML settings before they are stored.
pub async fn check_settings(sso: &Sso, settings: &SamlSettings) -> Result<(), Error> {
    service_provider(sso)
        .validate_settings(IdpSource::of(settings), settings.sign_requests)
        .await
}

/// The IdP URL carrying a new AuthnRequest for the pending sign-in `state`.
pub async fn start(
    sso: &Sso,
    connection: &Connection,
    state: &str,
) -> Result<(Url, PendingProtocol), Error> {
    let settings = saml_settings(connection)?;
    let (url, request_id) = service_provider(sso)
        .authorization_url(&connection.id, IdpSource::of(settings), state)
        .await?;
    Ok((url, PendingProtocol::Saml { request_id }))
}

/// A SAML connection's settings; a configuration error for any other connection.
pub fn saml_settings(connection: &Connection) -> Result<&SamlSettings, Error> {
    connection
        .saml
        .as_ref()
        .ok_or_else(|| Error::sso(SsoFailure::Configuration, "not a SAML connection"))
}

/// What the ACS does with a posted response: the app to send the browser back to (the
/// pending sign-in's, or for an IdP-initiated sign-in the RelayState when it is an allowed
/// redirect URI, else the first one), and the verified identity.
pub async fn acs(
    sso: &Sso,
    connection_id: &ConnectionId,
    saml_response: &str,
    relay_state: &str,
) -> (
    Option<Url>,
    Option<LinkTarget>,
    Result<ExternalIdentity, Error>,
) {
    let pending = match sso.pending.take(relay_state).await {
        Ok(pending) => pending,
        Err(error) => return (None, None, Err(error)),
    };
    let source = SignInSource::Connection(connection_id.clone());
    let (redirect, link_to, request_id) = match pending {
        Some(pending) if pending.source != source => {
            let refused = Error::sso(
                SsoFailure::Authentication,
                "the RelayState belongs to another sign-in",
            );
            return (Some(pending.redirect_uri), None, Err(refused));
        }
        Some(PendingSignIn {
            redirect_uri,
            protocol: PendingProtocol::Saml { request_id },
            link_to,
            ..
        }) => (Some(redirect_uri), link_to, Some(request_id)),
        Some(pending) => {
            let refused = Error::sso(SsoFailure::Authentication, "not a SAML sign-in");
            return (Some(pending.redirect_uri), None, Err(refused));
        }
        None => (sso.idp_initiated_redirect(relay_state), None, None),
    };
    let verified = verify(sso, connection_id, saml_response, request_id.as_deref()).await;
    (redirect, link_to, verified)
}

async fn verify(
    sso: &Sso,
    connection_id: &ConnectionId,
    saml_response: &str,
    request_id: Option<&str>,
) -> Result<ExternalIdentity, Error> {
    let connection = sso.enabled_connection(connection_id).await?;
    let settings = saml_settings(&connection)?;
    let subject = service_provider(sso)
        .consume(AcsRequest {
            connection_id,
            idp: IdpSource::of(settings),
            saml_response,
            request_id,
            allow_idp_initiated: settings.allow_idp_initiated,
        })
        .await?;
    let mut identity = connection.attribute_mapping.saml_identity(
        connection.provider(),
        &subject.name_id,
        &subject.attributes,
    );
    identity.idp_amr = subject.authn_contexts;
    Ok(identity)
}

/// The SP metadata XML of a SAML connection.
pub async fn metadata(sso: &Sso, connection_id: &ConnectionId) -> Result<String, Error> {
    let (row, _) = super::store::find_connection(&sso.db, connection_id)
        .await?
        .filter(|(row, _)| row.protocol == "saml")
        .ok_or(Error::NotFound("SAML connection"))?;
    service_provider(sso).metadata_xml(&row.id)
}
