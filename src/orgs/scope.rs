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
    let (organization, role, permissions) = match caller {
        // The key's organization came with the key (`api_keys::authenticate`).
        Caller::ApiKey(key) if key.organization_id() == organization_id.as_str() => {
            let permissions = role_permissions(db, &key.organization.id, &key.role).await?;
            (
                key.organization.as_ref().clone(),
                Some(key.role.clone()),
                permissions,
            )
        }
        Caller::ApiKey(_) => return Err(not_found()),
        Caller::User(user) => {
            let organization = store::find_organization(db, organization_id)
                .await?
                .ok_or_else(not_found)?;
            match member_role(db, &organization.id, &user.user_id).await? {
                Some((role, permissions)) => (organization, Some(role), permissions),
                None if AdminPrincipal::verify(db, user).await?.is_some() => {
                    (organization, None, Permissions::All)
                }
                None => return Err(not_found()),
            }
        }
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

/// A member's role and what it grants, in one query; None for a user who is not a member.
pub async fn member_role(
    db: &impl ConnectionTrait,
    organization_id: &str,
    user_id: &str,
) -> Result<Option<(String, Permissions)>, Error> {
    let found = store::find_member_role(db, organization_id, user_id).await?;
    Ok(found.map(|(role, custom)| {
        let permissions =
            permissions_of(&role, custom.as_ref().map(|(base, p)| (base.as_str(), p)));
        (role, permissions)
    }))
}

/// What a role of the organization grants: a built-in role's set, a custom role's stored
/// list, or nothing for a name the organization does not define.
pub async fn role_permissions(
    db: &impl ConnectionTrait,
    organization_id: &str,
    role: &str,
) -> Result<Permissions, Error> {
    let custom = match roles::built_in(role) {
        Some(_) => None,
        None => store::find_role_by_name(db, organization_id, role).await?,
    };
    Ok(permissions_of(
        role,
        custom
            .as_ref()
            .map(|r| (r.base_role.as_str(), &r.permissions)),
    ))
}

/// What `role` grants, given the base role and stored permissions of the organization's
/// custom role of that name if it has one.
fn permissions_of(role: &str, custom: Option<(&str, &serde_json::Value)>) -> Permissions {
    if let Some(permissions) = roles::built_in(role) {
        return permissions;
    }
    custom.map_or(
        Permissions::Listed(Default::default()),
        |(base_role, stored)| roles::custom_role_permissions(base_role, stored_permissions(stored)),
    )
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
