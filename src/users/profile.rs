//! UpdateUser: the fields of a user named in an update mask. A user changes their own
//! `display_name` and `metadata`; a platform administrator changes those of anyone, and
//! also `email` (unique; unverified again unless set in the same request),
//! `email_verified` and `is_admin`, but never their own administrator flag away, and for
//! dual sign-in `auth_method` and `migration_invited_at`. A new
//! email spends the links mailed to the old one. Only the columns that change are written,
//! so a concurrent suspension or deletion is never undone.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::service::{Users, conflict_on_duplicate, email_taken, parse_display_name};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    credentials::Email,
    error::Error,
    ids::UserId,
    principal::{AdminPrincipal, Principal},
    store::{
        accounts,
        entities::user::{self, AuthMethod},
    },
};

/// The fields to change, as named by the mask; None leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub metadata: Option<Option<serde_json::Value>>,
    /// Raw: parsed after the administrator check, so a user naming it hears that the field
    /// is an administrator's, not whether the address is well formed.
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub is_admin: Option<bool>,
    /// Dual sign-in: Some(None) clears it.
    pub auth_method: Option<Option<AuthMethod>>,
    /// Dual sign-in: when the user was invited to sign in through Janua; Some(None) clears
    /// it.
    pub migration_invited_at: Option<Option<DateTime<Utc>>>,
}

impl UserChanges {
    /// The administrator-only fields this change names.
    fn admin_only_paths(&self) -> Vec<&'static str> {
        [
            ("email", self.email.is_some()),
            ("email_verified", self.email_verified.is_some()),
            ("is_admin", self.is_admin.is_some()),
            ("auth_method", self.auth_method.is_some()),
            ("migration_invited_at", self.migration_invited_at.is_some()),
        ]
        .into_iter()
        .filter_map(|(path, named)| named.then_some(path))
        .collect()
    }
}

impl Users {
    /// Applies `changes` to `user_id`; returns the user as it is now. Fields that do not
    /// change are not written and not audited.
    pub async fn update(
        &self,
        caller: &Principal,
        admin: Option<&AdminPrincipal>,
        user_id: &UserId,
        changes: UserChanges,
        client: &ClientInfo,
    ) -> Result<user::Model, Error> {
        let admin = admin.is_some();
        let before = self.visible_user(caller, user_id, admin, false).await?;
        if let (false, Some(path)) = (admin, changes.admin_only_paths().first()) {
            return Err(Error::invalid(
                "update_mask",
                format!("\"{path}\" can only be changed by a platform administrator"),
            ));
        }
        if changes.is_admin == Some(false) && before.is_admin && before.id == caller.user_id {
            return Err(Error::invalid(
                "user.is_admin",
                "you cannot remove your own administrator flag; another administrator can",
            ));
        }
        let mut after = self.apply(&before, changes).await?;
        let changed = changed_fields(&before, &after);
        if changed.is_empty() {
            return Ok(before);
        }
        let now = self.clock.now();
        after.updated_at = now;
        let txn = crate::store::begin_write(&self.db).await?;
        if !accounts::update_live(&txn, &before, &after)
            .await
            .map_err(conflict_on_duplicate)?
        {
            return Err(Error::NotFound("user"));
        }
        if after.email_normalized != before.email_normalized {
            // Links mailed to the old address (verification, reset, magic link) must not
            // verify or open the account under its new address.
            accounts::spend_one_time_tokens(&txn, &before.id, now).await?;
        }
        let event = AuditEvent::new("user.updated", Actor::User(caller.user_id.clone()))
            .target("user", &before.id)
            .client(client.clone())
            .metadata(json!({ "fields": changed }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        // As stored (the database may keep less precision than the clock gives).
        self.visible_user(caller, user_id, admin, false).await
    }

    /// `before` with the changes applied, each checked.
    async fn apply(
        &self,
        before: &user::Model,
        changes: UserChanges,
    ) -> Result<user::Model, Error> {
        let mut after = before.clone();
        if let Some(name) = changes.display_name {
            after.display_name = parse_display_name("user.display_name", &name)?;
        }
        if let Some(metadata) = changes.metadata {
            after.metadata = metadata;
        }
        if let Some(email) = changes.email {
            let email = Email::parse("user.email", &email)?;
            if email.normalized() != before.email_normalized {
                if accounts::find_by_email(&self.db, email.normalized())
                    .await?
                    .is_some()
                {
                    return Err(email_taken());
                }
                after.email_normalized = email.normalized().to_owned();
                after.email_verified = false;
            }
            after.email = email.as_str().to_owned();
        }
        if let Some(verified) = changes.email_verified {
            after.email_verified = verified;
        }
        if let Some(is_admin) = changes.is_admin {
            after.is_admin = is_admin;
        }
        if let Some(method) = changes.auth_method {
            after.auth_method = method;
        }
        if let Some(invited_at) = changes.migration_invited_at {
            after.migration_invited_at = invited_at;
        }
        Ok(after)
    }
}

/// The names of the fields that differ (never their values).
fn changed_fields(before: &user::Model, after: &user::Model) -> Vec<&'static str> {
    [
        ("display_name", before.display_name != after.display_name),
        ("metadata", before.metadata != after.metadata),
        ("email", before.email != after.email),
        (
            "email_verified",
            before.email_verified != after.email_verified,
        ),
        ("is_admin", before.is_admin != after.is_admin),
        ("auth_method", before.auth_method != after.auth_method),
        (
            "migration_invited_at",
            before.migration_invited_at != after.migration_invited_at,
        ),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect()
}
