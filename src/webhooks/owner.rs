//! Who an endpoint belongs to: an organization (the caller holds the RPC's permission there,
//! checked by `orgs::scope`, so a stranger gets NOT_FOUND) or the platform (a platform
//! administrator's proof from the access layer). Every registry call takes an `Owner`, and
//! every query is scoped by it.

use crate::{
    audit::{Actor, AuditEvent, ClientInfo},
    error::Error,
    ids::OrganizationId,
    orgs::{OrgScope, scope},
    principal::{AdminPrincipal, Caller, Principal},
    store::Db,
};

#[derive(Debug, Clone)]
pub enum Owner {
    Organization(OrgScope),
    Platform {
        admin: AdminPrincipal,
        client: ClientInfo,
    },
}

impl Owner {
    /// The owner a request names: `organization_id` with the declared `permission` there,
    /// or, with none, the platform (administrators only).
    pub async fn resolve(
        db: &Db,
        (user, admin): (Principal, Option<AdminPrincipal>),
        permission: Option<&str>,
        organization_id: Option<OrganizationId>,
        client: ClientInfo,
    ) -> Result<Self, Error> {
        match (organization_id, admin) {
            (Some(organization_id), _) => {
                let caller = Caller::User(user);
                let scope =
                    scope::authorize(db, &caller, &organization_id, permission, client).await?;
                Ok(Self::Organization(scope))
            }
            (None, Some(admin)) => Ok(Self::Platform { admin, client }),
            (None, None) => Err(Error::Authorization(
                "platform-wide webhooks are for platform administrators; name an organization_id"
                    .into(),
            )),
        }
    }

    /// The organization, or None for the platform.
    pub fn organization_id(&self) -> Option<&str> {
        match self {
            Self::Organization(scope) => Some(scope.organization_id()),
            Self::Platform { .. } => None,
        }
    }

    /// An audit event by this owner's caller.
    pub fn event(&self, action: &'static str) -> AuditEvent {
        match self {
            Self::Organization(scope) => scope.event(action),
            Self::Platform { admin, client } => {
                AuditEvent::new(action, Actor::User(admin.user_id().clone())).client(client.clone())
            }
        }
    }
}
