//! The caller of an RPC as the domain sees it (a signed-in user, or an API key acting for
//! an organization), the access-token claims it comes from, the requirement each RPC
//! declares in the contract (`janua.options.v1.access`), and the proof the access layer
//! hands the RPC once the requirement is met (`Proof`; for administrators `AdminPrincipal`,
//! which only `admin` can make). Values shared by the server's access layer and every
//! capability; turning a credential into a caller is `auth::Authenticator`'s job, not this
//! module's.

pub mod admin;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use admin::AdminPrincipal;

use crate::{
    audit::Actor,
    ids::{ApiKeyId, OrganizationId, SessionId, UserId},
    store::entities::organization,
};

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
    /// The permissions of `org_role` when the token is scoped to an organization (`*` for
    /// the owner: every permission).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub email: Option<String>,
    pub organization_id: Option<OrganizationId>,
    pub organization_role: Option<String>,
    pub amr: Vec<String>,
}

impl From<AccessClaims> for Principal {
    fn from(claims: AccessClaims) -> Self {
        Self {
            // The claims of a token Janua signed and verified.
            user_id: UserId::from_trusted(claims.sub),
            session_id: SessionId::from_trusted(claims.sid),
            email: claims.email,
            organization_id: claims.org_id.map(OrganizationId::from_trusted),
            organization_role: claims.org_role,
            amr: claims.amr,
        }
    }
}

/// An API key acting in its organization with its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyPrincipal {
    pub api_key_id: ApiKeyId,
    /// The key's organization, read in the same query as the key, so that an organization
    /// RPC does not read it again.
    pub organization: Arc<organization::Model>,
    pub role: String,
}

impl ApiKeyPrincipal {
    pub fn organization_id(&self) -> &str {
        &self.organization.id
    }
}

/// Whoever called: a signed-in user or a backend service's API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    User(Principal),
    ApiKey(ApiKeyPrincipal),
}

impl Caller {
    /// The caller as the audit log names it.
    pub fn actor(&self) -> Actor {
        match self {
            Self::User(user) => Actor::User(user.user_id.clone()),
            Self::ApiKey(key) => Actor::ApiKey(key.api_key_id.clone()),
        }
    }

    /// The user behind the call, if it is a user.
    pub fn user(&self) -> Option<&Principal> {
        match self {
            Self::User(user) => Some(user),
            Self::ApiKey(_) => None,
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
/// organization scope (`orgs::scope::authorize`) can finish the check that needs the
/// request's organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub audience: Audience,
    /// For `Audience::Organization`: the permission the caller's role must grant. For
    /// `Audience::User`: the permission needed in the organization the request names, if any.
    pub permission: Option<String>,
    /// For `Audience::User`: a platform administrator may act beyond self.
    pub admin_beyond_self: bool,
    /// For `Audience::Organization`: the permission needed to name another member.
    pub other_user_permission: Option<String>,
}

impl Requirement {
    /// The kind of proof this requirement yields: exactly one for every declaration.
    pub fn proof_kind(&self) -> ProofKind {
        match self.audience {
            Audience::Public => ProofKind::Public,
            Audience::User if self.admin_beyond_self => ProofKind::UserOrAdmin,
            Audience::User => ProofKind::User,
            Audience::Organization => ProofKind::Organization,
            Audience::Service => ProofKind::Service,
            Audience::Admin => ProofKind::Admin,
        }
    }
}

/// The kinds of `Proof`, one per way an RPC can be declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofKind {
    Public,
    User,
    UserOrAdmin,
    Organization,
    Service,
    Admin,
}

/// What the access layer proved about the caller of an RPC, from the RPC's declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// Anyone; the RPC proves possession (password, one-time token) itself.
    Public,
    /// A signed-in user; `admin` is the administrator's proof when the RPC lets
    /// administrators act beyond self (`ProofKind::UserOrAdmin`) and the caller is one.
    User {
        user: Principal,
        admin: Option<AdminPrincipal>,
    },
    /// A verified caller still to be scoped to the request's organization: only
    /// `orgs::scope::authorize` turns it into an `OrgScope`.
    Organization(Caller),
    /// A backend service: an API key, or a platform administrator.
    Service(ServiceCaller),
    /// A verified, active platform administrator.
    Admin(AdminPrincipal),
}

/// The caller of a service RPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceCaller {
    ApiKey(ApiKeyPrincipal),
    Admin(AdminPrincipal),
}
