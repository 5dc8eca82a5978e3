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

use std::sync::Arc;

use url::Url;

pub use assertion::SamlSubject;
pub use idp_metadata::IdpMetadata;
pub use sp::SpEndpoints;

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
