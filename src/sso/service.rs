//! The SSO capability's collaborators, wired once at start-up.

use std::sync::Arc;

use url::Url;

use super::{dns::TxtLookup, pending::PendingSignIns};
use crate::{
    auth::Authentication, cache::Cache, clock::Clock, crypto::FieldCipher, orgs::Organizations,
    store::Db,
};

/// Server-wide SSO settings from the configuration.
#[derive(Debug, Clone)]
pub struct SsoSettings {
    /// Janua's public base URL: the SP endpoints and callbacks live under it.
    pub issuer: Url,
    /// Where sign-ins may return to (`SSO_ALLOWED_REDIRECT_URIS`).
    pub allowed_redirects: Vec<Url>,
    /// The configured social providers and their endpoints.
    pub social: crate::config::SocialProviders,
    /// Connections whose IdP the platform trusts for the second factor
    /// (`SSO_MFA_TRUSTED_CONNECTIONS`; none by default): their sign-ins skip Janua's.
    pub mfa_trusted_connections: Vec<String>,
    /// Which addresses calls to identity providers may reach (`OUTBOUND_ALLOW_LOOPBACK`,
    /// `OUTBOUND_ALLOW_PRIVATE`); `crate::outbound` enforces it.
    pub outbound: crate::config::OutboundPolicy,
}

pub struct Sso {
    pub(super) db: Db,
    pub(super) cache: Arc<dyn Cache>,
    pub(super) cipher: FieldCipher,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) auth: Arc<Authentication>,
    pub(super) orgs: Arc<Organizations>,
    pub(super) pending: PendingSignIns,
    pub(super) settings: SsoSettings,
    /// Outbound calls to identity providers, SAML and OIDC alike (`oidc::http::client`).
    pub(super) http: reqwest::Client,
    /// TXT lookups for domain verification.
    pub(super) dns: Arc<dyn TxtLookup>,
}

impl Sso {
    #[expect(
        clippy::too_many_arguments,
        reason = "the capability's collaborators, wired once at start-up"
    )]
    pub fn new(
        db: Db,
        cache: Arc<dyn Cache>,
        cipher: FieldCipher,
        clock: Arc<dyn Clock>,
        auth: Arc<Authentication>,
        orgs: Arc<Organizations>,
        settings: SsoSettings,
        dns: Arc<dyn TxtLookup>,
    ) -> anyhow::Result<Self> {
        let http = super::oidc::http::client(settings.outbound)?;
        Ok(Self {
            pending: PendingSignIns::new(cache.clone()),
            db,
            cache,
            cipher,
            clock,
            auth,
            orgs,
            settings,
            http,
            dns,
        })
    }
}
