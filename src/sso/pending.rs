//! A sign-in between StartSso and the IdP's answer, kept in the shared cache for ten minutes
//! and taken once. Its random `state` travels through the IdP (SAML RelayState, OAuth2
//! `state`), so the answer is tied to the browser's request and to where it returns.

use std::{sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::{
    cache::Cache,
    credentials::tokens::{digest, new_opaque_token},
    error::Error,
    ids::ConnectionId,
};

/// How long the user has to finish at the IdP.
pub const PENDING_TTL: Duration = Duration::from_secs(600);

/// Where the sign-in goes through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInSource {
    /// An organization's SSO connection, by id.
    Connection(ConnectionId),
    /// A social provider: "google", "github" or "microsoft".
    Social(String),
}

/// What the protocol must check in the IdP's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PendingProtocol {
    /// The AuthnRequest's id, which the Response's InResponseTo must carry.
    Saml { request_id: String },
    /// OIDC: the ID token's expected nonce, and the PKCE verifier for the code exchange.
    Oidc {
        nonce: String,
        code_verifier: String,
    },
    /// Plain OAuth2 (GitHub): the PKCE verifier.
    OAuth2 { code_verifier: String },
}

/// The signed-in session that asked to link the identity to its account ("connect your
/// company SSO"): the link is made when that same session exchanges the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTarget {
    pub user_id: String,
    pub session_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub source: SignInSource,
    /// The app's URL, already checked against the allow-list.
    pub redirect_uri: Url,
    pub protocol: PendingProtocol,
    /// Set when a signed-in user started it to link the identity (`LinkTarget`).
    #[serde(default)]
    pub link_to: Option<LinkTarget>,
}

impl PendingSignIn {
    /// A new pending sign-in with a fresh random state.
    pub fn new(source: SignInSource, redirect_uri: Url, protocol: PendingProtocol) -> Self {
        Self {
            state: new_opaque_token(),
            source,
            redirect_uri,
            protocol,
            link_to: None,
        }
    }
}

/// The pending sign-ins, in the shared cache (every node can finish what another started).
#[derive(Clone)]
pub struct PendingSignIns {
    cache: Arc<dyn Cache>,
}

impl PendingSignIns {
    pub fn new(cache: Arc<dyn Cache>) -> Self {
        Self { cache }
    }

    /// Keeps a pending sign-in; fails closed when the cache is down.
    pub async fn put(&self, pending: &PendingSignIn) -> Result<(), Error> {
        let value =
            serde_json::to_vec(pending).map_err(|e| anyhow::anyhow!("pending sign-in: {e}"))?;
        self.cache
            .set(&key(&pending.state), &value, PENDING_TTL)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }

    /// Takes the pending sign-in for `state` (single use); None when unknown, expired or
    /// already taken.
    pub async fn take(&self, state: &str) -> Result<Option<PendingSignIn>, Error> {
        if state.is_empty() {
            return Ok(None);
        }
        let taken = self
            .cache
            .take(&key(state))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(taken.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
    }
}

/// The cache key holds the state's digest, so a cache dump reveals no live state.
fn key(state: &str) -> String {
    format!("sso:pending:{}", digest(state))
}
