//! Custom roles (list, create, update, delete) and permission checks for backend services.
//! Built-in roles are listed first and can be neither changed nor deleted. Creating or
//! changing a role follows the escalation rule: its server permissions must be ones the
//! caller holds.

use serde_json::json;

use super::{
    roles,
    scope::{self, OrgScope, stored_permissions},
    service::Organizations,
    store,
};
use crate::{
    audit,
    error::Error,
    ids::{RoleId, UserId},
    principal::Caller,
    store::{Page, entities::role},
};

const MAX_CUSTOM_ROLES: u64 = 100;

/// A role as the contract shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub built_in: bool,
    /// Empty for a built-in role.
    pub base_role: String,
    pub effective_permissions: Vec<String>,
}

/// The fields of a custom role to change; None leaves one as it is.
#[derive(Debug, Default)]
pub struct RoleChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub permissions: Option<Vec<String>>,
    pub base_role: Option<String>,
}

fn built_in_description(name: &str) -> &'static str {
    match name {
        roles::OWNER => "Every permission, including application-defined ones.",
        roles::ADMIN => "Every server permission except deleting the organization.",
        roles::MEMBER => "Reads the organization and its members.",
        _ => "Reads the organization.",
    }
}

impl RoleView {
    fn from_row(row: role::Model) -> Self {
        let own = stored_permissions(&row.permissions);
        Self {
            permissions: own.to_strings(),
            effective_permissions: roles::custom_role_permissions(&row.base_role, own).to_strings(),
            id: row.id,
            name: row.name,
            description: row.description,
            built_in: false,
            base_role: row.base_role,
        }
    }
}

impl Organizations {
    /// The built-in roles, then the organization's custom roles by name.
    pub async fn list_roles(
        &self,
        scope: &OrgScope,
        page: Page,
    ) -> Result<(Vec<RoleView>, String), Error> {
        let built_in = roles::BUILT_IN_ROLES.iter().filter_map(|name| {
            roles::built_in(name).map(|permissions| RoleView {
                id: (*name).to_owned(),
                name: (*name).to_owned(),
                description: built_in_description(name).to_owned(),
                permissions: permissions.to_strings(),
                effective_permissions: permissions.to_strings(),
                built_in: true,
                base_role: String::new(),
            })
        });
        let custom = store::list_roles(&self.db, scope.organization_id()).await?;
        let all = built_in.chain(custom.into_iter().map(RoleView::from_row));
        let mut rows: Vec<RoleView> = all
            .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(page.size + 1).unwrap_or(usize::MAX))
            .collect();
        let next = page.next_token(&mut rows);
        Ok((rows, next))
    }

    pub async fn create_role(
        &self,
        scope: &OrgScope,
        name: &str,
        description: &str,
        permissions: &[String],
        base_role: &str,
    ) -> Result<RoleView, Error> {
        let name = roles::parse_role_name("name", name)?;
        let description = parse_description(description)?;
        let granted = roles::parse_permissions("permissions", permissions)?;
        let base_role = roles::parse_base_role("base_role", base_role)?;
        scope.ensure_may_grant(
            &name,
            &roles::custom_role_permissions(base_role, granted.clone()),
        )?;
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        if store::count_roles(&txn, scope.organization_id()).await? >= MAX_CUSTOM_ROLES {
            return Err(Error::invalid(
                "name",
                "an organization has at most 100 custom roles",
            ));
        }
        if store::find_role_by_name(&txn, scope.organization_id(), &name)
            .await?
            .is_some()
        {
            return Err(Error::Conflict(format!("a role named \"{name}\" exists")));
        }
        let row = store::insert_role(
            &txn,
            role::Model {
                id: uuid::Uuid::now_v7().to_string(),
                organization_id: scope.organization_id().to_owned(),
                name,
                description,
                permissions: json!(granted.to_strings()),
                base_role: base_role.to_owned(),
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        let event = scope
            .event("role.created")
            .target("role", &row.id)
            .metadata(json!({ "name": row.name, "base_role": row.base_role, "permissions": row.permissions }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(RoleView::from_row(row))
    }

    pub async fn update_role(
        &self,
        scope: &OrgScope,
        role_id: &RoleId,
        changes: RoleChanges,
    ) -> Result<RoleView, Error> {
        let mut row = self.custom_role(scope, role_id).await?;
        let previous_name = row.name.clone();
        let held = |row: &role::Model| {
            roles::custom_role_permissions(&row.base_role, stored_permissions(&row.permissions))
        };
        scope.ensure_may_grant(&row.name, &held(&row))?;
        if let Some(name) = changes.name {
            row.name = roles::parse_role_name("role.name", &name)?;
        }
        if let Some(description) = changes.description {
            row.description = parse_description(&description)?;
        }
        if let Some(permissions) = changes.permissions {
            let granted = roles::parse_permissions("role.permissions", &permissions)?;
            row.permissions = json!(granted.to_strings());
        }
        if let Some(base_role) = changes.base_role {
            row.base_role = roles::parse_base_role("role.base_role", &base_role)?.to_owned();
        }
        scope.ensure_may_grant(&row.name, &held(&row))?;
        let now = self.clock.now();
        row.updated_at = now;
        let txn = crate::store::begin_write(&self.db).await?;
        if row.name != previous_name {
            if store::find_role_by_name(&txn, scope.organization_id(), &row.name)
                .await?
                .is_some()
            {
                return Err(Error::Conflict(format!(
                    "a role named \"{}\" exists",
                    row.name
                )));
            }
            store::rename_role_references(&txn, scope.organization_id(), &previous_name, &row.name)
                .await?;
            self.role_references
                .rename_role(&txn, scope.organization_id(), &previous_name, &row.name)
                .await?;
        }
        let row = store::update_role(&txn, row).await?;
        let event = scope
            .event("role.updated")
            .target("role", &row.id)
            .metadata(json!({ "name": row.name, "base_role": row.base_role, "permissions": row.permissions }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(RoleView::from_row(row))
    }

    /// Deletes a custom role that nobody holds.
    pub async fn delete_role(&self, scope: &OrgScope, role_id: &RoleId) -> Result<(), Error> {
        let row = self.custom_role(scope, role_id).await?;
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        if store::role_in_use(&txn, scope.organization_id(), &row.name).await?
            || self
                .role_references
                .role_in_use(&txn, scope.organization_id(), &row.name)
                .await?
        {
            return Err(Error::Conflict(
                "the role is held by a member, a pending invitation or an API key".into(),
            ));
        }
        store::delete_role(&txn, &row.id).await?;
        let event = scope
            .event("role.deleted")
            .target("role", &row.id)
            .metadata(json!({ "name": row.name }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Whether the caller (empty `user_id`) or a member holds `permission`. Checking someone
    /// else needs `others_permission` (the RPC's declared `other_user_permission`; None: not
    /// allowed); a user who is not a member holds nothing.
    pub async fn check_permission(
        &self,
        scope: &OrgScope,
        permission: &str,
        user_id: Option<&UserId>,
        others_permission: Option<&str>,
    ) -> Result<bool, Error> {
        if !roles::is_permission(permission) {
            return Err(Error::invalid(
                "permission",
                "must look like \"resource:action\"",
            ));
        }
        let is_caller = match &scope.caller {
            Caller::User(user) => user_id.is_none_or(|id| *id == user.user_id),
            Caller::ApiKey(_) => user_id.is_none(),
        };
        let Some(user_id) = user_id.filter(|_| !is_caller) else {
            return Ok(scope.permissions.grants(permission));
        };
        let Some(needed) = others_permission else {
            return Err(Error::Authorization(
                "this RPC does not check other members".into(),
            ));
        };
        if !scope.permissions.grants(needed) {
            return Err(Error::Authorization(format!(
                "checking another member needs the permission \"{needed}\""
            )));
        }
        let held = scope::member_role(&self.db, scope.organization_id(), user_id).await?;
        Ok(held.is_some_and(|(_, permissions)| permissions.grants(permission)))
    }

    async fn custom_role(&self, scope: &OrgScope, role_id: &str) -> Result<role::Model, Error> {
        if roles::built_in(role_id).is_some() {
            return Err(Error::invalid(
                "role_id",
                "built-in roles cannot be changed or deleted",
            ));
        }
        store::find_role(&self.db, scope.organization_id(), role_id)
            .await?
            .ok_or(Error::NotFound("role"))
    }
}

fn parse_description(description: &str) -> Result<String, Error> {
    let description = description.trim();
    if description.chars().count() > 500 {
        return Err(Error::invalid(
            "description",
            "must be at most 500 characters",
        ));
    }
    Ok(description.to_owned())
}
