//! Tenant isolation: `OrgScope` is the proof that a caller may act in one organization with
//! a given permission. Only `authorize` makes one, and every organization operation takes
//! one, so no organization data is read or changed without the check. A caller who is not a
//! member (nor one of its API keys, nor a platform administrator) gets NOT_FOUND, exactly as
//! for an organization that does not exist; a member without the permission gets
//! AUTHORIZATION_ERROR.

use sea_orm::ConnectionTrait;

use super::{
    roles::{self, Permissions},
    store,
};
use crate::{
    audit::{Actor, AuditEvent, ClientInfo},
    error::Error,
    ids::OrganizationId,
    principal::{AdminPrincipal, Caller},
    store::entities::organization,
};

/// A caller cleared to act in one organization.
#[derive(Debug, Clone)]
pub struct OrgScope {
    pub organization: organization::Model,
    pub caller: Caller,
    /// The caller's role there; None for a platform administrator who is not a member.
    pub role: Option<String>,
    pub permissions: Permissions,
    pub client: ClientInfo,
}

impl OrgScope {
    pub fn organization_id(&self) -> &str {
        &self.organization.id
    }

    pub fn actor(&self) -> Actor {
        self.caller.actor()
    }

    /// An audit event of this organization, by this caller, from this client.
    pub fn event(&self, action: &'static str) -> AuditEvent {
        AuditEvent::new(action, self.actor())
            .organization(self.organization_id())
            .client(self.client.clone())
    }

    /// The caller may hand out `granted` (the escalation rule of `roles`).
    pub fn ensure_may_grant(&self, role: &str, granted: &Permissions) -> Result<(), Error> {
        if self.permissions.may_grant(granted) {
            Ok(())
        } else {
            Err(Error::Authorization(format!(
                "the role \"{role}\" grants permissions you do not hold"
            )))
        }
    }
}

/// Checks that `caller` may act in `organization_id` with `permission` (None: any member).
pub async fn authorize(
    db: &impl ConnectionTrait,
    caller: &Caller,
    organization_id: &OrganizationId,
    permission: Option<&str>,
    client: ClientInfo,
) -> Result<OrgScope, Error> {
    let not_found = || Error::NotFound("organization");
    let organization = store::find_organization(db, organization_id)
        .await?
        .ok_or_else(not_found)?;
    let role = match caller {
        Caller::ApiKey(key) if key.organization_id == organization.id => Some(key.role.clone()),
        Caller::ApiKey(_) => return Err(not_found()),
        Caller::User(user) => {
            match store::find_membership(db, &organization.id, &user.user_id).await? {
                Some(membership) => Some(membership.role),
                None if AdminPrincipal::verify(db, user).await?.is_some() => None,
                None => return Err(not_found()),
            }
        }
    };
    let permissions = match &role {
        Some(role) => role_permissions(db, &organization.id, role).await?,
        None => Permissions::All,
    };
    if let Some(permission) = permission
        && !permissions.grants(permission)
    {
        return Err(Error::Authorization(format!(
            "your role in this organization lacks the permission \"{permission}\""
        )));
    }
    Ok(OrgScope {
        organization,
        caller: caller.clone(),
        role,
        permissions,
        client,
    })
}

/// What a role of the organization grants: a built-in role's set, a custom role's stored
/// list, or nothing for a name the organization does not define.
pub async fn role_permissions(
    db: &impl ConnectionTrait,
    organization_id: &str,
    role: &str,
) -> Result<Permissions, Error> {
    if let Some(permissions) = roles::built_in(role) {
        return Ok(permissions);
    }
    let stored = store::find_role_by_name(db, organization_id, role).await?;
    Ok(stored.map_or(Permissions::Listed(Default::default()), |r| {
        roles::custom_role_permissions(&r.base_role, stored_permissions(&r.permissions))
    }))
}

/// A custom role's permissions as stored (a JSON array of strings).
pub fn stored_permissions(value: &serde_json::Value) -> Permissions {
    let listed = value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Permissions::Listed(listed)
}
