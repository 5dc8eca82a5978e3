//! StartSso: find where the user signs in (a connection by email domain, organization or
//! id, or a social provider), remember the pending sign-in, and hand back the IdP's URL.

use url::Url;

use super::{
    Sso,
    connection::{Connection, Protocol},
    oidc,
    pending::{LinkTarget, PendingSignIn, SignInSource},
    saml, store,
};
use crate::{
    credentials::{Email, tokens::new_opaque_token},
    error::{Error, SsoFailure},
    ids::{ConnectionId, OrganizationId},
};

/// What StartSso was asked to sign in through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartTarget {
    Email(Email),
    Organization(OrganizationId),
    Connection(ConnectionId),
    Provider(String),
}

impl Sso {
    /// The URL to send the browser to; the IdP's answer comes back to one of the SSO routes.
    /// With `link_to` (the caller was signed in), the identity is linked to the caller's
    /// account instead of signing anyone in (`finish`).
    pub async fn start(
        &self,
        target: StartTarget,
        redirect_uri: &str,
        link_to: Option<LinkTarget>,
    ) -> Result<Url, Error> {
        let redirect_uri = self.allowed_redirect(redirect_uri)?;
        let state = new_opaque_token();
        let (source, (url, protocol)) = match target {
            StartTarget::Provider(provider) => {
                let started = oidc::start_social(self, &provider, &state).await?;
                (SignInSource::Social(provider), started)
            }
            target => {
                let connection = self.connection_for(target).await?;
                let started = match connection.protocol {
                    Protocol::Saml => saml::start(self, &connection, &state).await?,
                    Protocol::Oidc => oidc::start(self, &connection, &state).await?,
                };
                (
                    SignInSource::Connection(ConnectionId::from_trusted(connection.id)),
                    started,
                )
            }
        };
        let pending = PendingSignIn {
            state,
            source,
            redirect_uri,
            protocol,
            link_to,
        };
        self.pending.put(&pending).await?;
        Ok(url)
    }

    /// `redirect_uri` when it is exactly one of the allowed redirect URIs (no prefix or
    /// pattern matching: anything looser is an open redirect).
    pub(super) fn allowed_redirect(&self, redirect_uri: &str) -> Result<Url, Error> {
        if redirect_uri.trim().is_empty() {
            return Err(Error::invalid("redirect_uri", "is required"));
        }
        Url::parse(redirect_uri)
            .ok()
            .filter(|url| self.settings.allowed_redirects.contains(url))
            .ok_or_else(|| {
                Error::sso(
                    SsoFailure::Configuration,
                    "redirect_uri is not one of the allowed redirect URIs (SSO_ALLOWED_REDIRECT_URIS)",
                )
            })
    }

    /// Where an IdP-initiated sign-in returns: the RelayState when it is an allowed redirect
    /// URI, else the first allowed one.
    pub(super) fn idp_initiated_redirect(&self, relay_state: &str) -> Option<Url> {
        self.allowed_redirect(relay_state)
            .ok()
            .or_else(|| self.settings.allowed_redirects.first().cloned())
    }

    /// The enabled connection a StartSso target names.
    async fn connection_for(&self, target: StartTarget) -> Result<Connection, Error> {
        let not_found = || Error::NotFound("SSO connection");
        let row = match target {
            StartTarget::Email(email) => {
                // Only a domain its organization proved routes (a declared one could send
                // another company's people to a phishing IdP).
                let domain = super::email_domain::of_email(email.normalized());
                store::find_connection_by_verified_domain(&self.db, domain).await?
            }
            StartTarget::Connection(id) => store::find_connection(&self.db, &id).await?,
            StartTarget::Organization(id) => self.only_enabled_connection(&id).await?,
            StartTarget::Provider(_) => None,
        };
        let (row, domains) = row.ok_or_else(not_found)?;
        let connection = Connection::from_row(row, domains, &self.cipher)?;
        if !connection.enabled {
            return Err(Error::sso(
                SsoFailure::Configuration,
                "this SSO connection is disabled",
            ));
        }
        Ok(connection)
    }

    async fn only_enabled_connection(
        &self,
        organization_id: &str,
    ) -> Result<Option<store::Row>, Error> {
        if organization_id.trim().is_empty() {
            return Err(Error::invalid("organization_id", "must not be empty"));
        }
        // Two are enough to tell "exactly one" from "several".
        let mut enabled = store::enabled_connections(&self.db, organization_id, 2).await?;
        match enabled.len() {
            0 | 1 => Ok(enabled.pop()),
            _ => Err(Error::sso(
                SsoFailure::Configuration,
                "the organization has several enabled SSO connections; start by email or connection id",
            )),
        }
    }
}
