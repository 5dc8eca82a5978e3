//! The caller of an RPC as the domain sees it, the access-token claims it comes from, and
//! the requirement each RPC declares in the contract (`janua.options.v1.access`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::revocation::Revocations;
use crate::{crypto::Keyring, error::Error};

/// Claims of a Janua access token (DESIGN.md "Security rules").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub sid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_role: Option<String>,
    #[serde(default)]
    pub amr: Vec<String>,
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub session_id: String,
    pub email: Option<String>,
    pub organization_id: Option<String>,
    pub organization_role: Option<String>,
    pub amr: Vec<String>,
}

impl From<AccessClaims> for Principal {
    fn from(claims: AccessClaims) -> Self {
        Self {
            user_id: claims.sub,
            session_id: claims.sid,
            email: claims.email,
            organization_id: claims.org_id,
            organization_role: claims.org_role,
            amr: claims.amr,
        }
    }
}

/// Who may call an RPC, as declared by its `janua.options.v1.access` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Anyone; no credentials needed.
    Public,
    /// Any signed-in user; the RPC acts on the caller unless the caller is an admin.
    User,
    /// A member (or API key) of the request's organization whose role grants the permission.
    Organization,
    /// An API key or a platform administrator.
    Service,
    /// A platform administrator.
    Admin,
}

/// The requirement of one RPC. Placed in the request's extensions by the access layer so the
/// domain can finish the check that needs data (organization membership, admin flag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub audience: Audience,
    /// For `Audience::Organization`: the permission the caller's role must grant.
    pub permission: Option<String>,
}

/// Turns a bearer token into a principal: a valid signature and a session not revoked.
pub struct Authenticator {
    keyring: Arc<Keyring>,
    revocations: Arc<Revocations>,
}

impl Authenticator {
    pub fn new(keyring: Arc<Keyring>, revocations: Arc<Revocations>) -> Self {
        Self {
            keyring,
            revocations,
        }
    }

    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, Error> {
        let claims: AccessClaims = self.keyring.verify(bearer).await?;
        if self.revocations.is_revoked(&claims.sid).await? {
            return Err(Error::Token("session revoked".into()));
        }
        Ok(claims.into())
    }
}
