//! The life of an account after sign-up: suspension (sign-in refused, every session revoked
//! at once), reactivation, deletion, and lifting a brute-force lock. Deletion is soft: the
//! row stays for the audit trail with its email, but its lookup key is freed (the address
//! can sign up again), its password hash dropped, its memberships ended and its sessions
//! revoked; it is refused while the user is the last owner of an organization. Status
//! changes are conditional updates, so two racing requests cannot undo each other; revoked
//! sessions are published only after the commit.

use sea_orm::ConnectionTrait;
use serde_json::json;

use super::{UserStatus, service::Users};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    error::Error,
    ids::UserId,
    orgs::roles,
    principal::{AdminPrincipal, Principal},
    store::{
        accounts,
        entities::{membership, user},
        memberships, organizations, sessions,
    },
};

const MAX_REASON_CHARS: usize = 500;

impl Users {
    /// Deletes a user: the caller themselves, or anyone for an administrator.
    pub async fn delete(
        &self,
        caller: &Principal,
        admin: Option<&AdminPrincipal>,
        user_id: &UserId,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let admin = admin.is_some();
        let account = self.visible_user(caller, user_id, admin, false).await?;
        let now = self.clock.now();
        let actor = Actor::User(caller.user_id.clone());
        let txn = crate::store::begin_write(&self.db).await?;
        let freed_key = format!("deleted:{}", account.id);
        if !accounts::mark_deleted(&txn, &account.id, &freed_key, now).await? {
            return Err(Error::NotFound("user"));
        }
        let memberships = leave_every_organization(&txn, &account.id).await?;
        let revoked =
            sessions::revoke_user_sessions(&txn, &account.id, None, now, "user_deleted").await?;
        for left in &memberships {
            let event = AuditEvent::new("member.removed", actor.clone())
                .organization(&left.organization_id)
                .target("user", &account.id)
                .client(client.clone())
                .metadata(json!({ "role": left.role, "reason": "user_deleted" }));
            audit::record(&txn, now, event).await?;
        }
        let event = AuditEvent::new("user.deleted", actor)
            .target("user", &account.id)
            .client(client.clone())
            .metadata(json!({ "organizations_left": memberships.len() }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        self.revocations.publish(&revoked).await;
        Ok(())
    }

    /// Suspends another user (administrators only): sign-in is refused and every session
    /// ends at once. A suspended user is returned as is; otherwise the user as stored now.
    pub async fn suspend(
        &self,
        admin: &AdminPrincipal,
        user_id: &UserId,
        reason: &str,
        client: &ClientInfo,
    ) -> Result<user::Model, Error> {
        let caller = admin.user();
        if *user_id == caller.user_id {
            return Err(Error::invalid("user_id", "you cannot suspend yourself"));
        }
        let reason = reason.trim();
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(Error::invalid("reason", "must be at most 500 characters"));
        }
        let account = self.visible_user(caller, user_id, true, false).await?;
        if account.status == UserStatus::Suspended {
            return Ok(account);
        }
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let (from, to) = (UserStatus::Active, UserStatus::Suspended);
        if !accounts::change_status(&txn, &account.id, from, to, now).await? {
            drop(txn);
            // Another request suspended or deleted the user meanwhile: show it as it is now.
            return self.visible_user(caller, user_id, true, false).await;
        }
        let revoked =
            sessions::revoke_user_sessions(&txn, &account.id, None, now, "user_suspended").await?;
        let details = match reason {
            "" => json!({}),
            reason => json!({ "reason": reason }),
        };
        let event = AuditEvent::new("user.suspended", Actor::User(caller.user_id.clone()))
            .target("user", &account.id)
            .client(client.clone())
            .metadata(details);
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        self.revocations.publish(&revoked).await;
        self.visible_user(caller, user_id, true, false).await
    }

    /// Lets a suspended user sign in again (administrators only). An active user is
    /// returned as is.
    pub async fn reactivate(
        &self,
        admin: &AdminPrincipal,
        user_id: &UserId,
        client: &ClientInfo,
    ) -> Result<user::Model, Error> {
        let caller = admin.user();
        let account = self.visible_user(caller, user_id, true, false).await?;
        if account.status == UserStatus::Active {
            return Ok(account);
        }
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let (from, to) = (UserStatus::Suspended, UserStatus::Active);
        if !accounts::change_status(&txn, &account.id, from, to, now).await? {
            drop(txn);
            return self.visible_user(caller, user_id, true, false).await;
        }
        let event = AuditEvent::new("user.reactivated", Actor::User(caller.user_id.clone()))
            .target("user", &account.id)
            .client(client.clone());
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        self.visible_user(caller, user_id, true, false).await
    }

    /// Lifts a brute-force lock and forgets the account's failures (administrators only).
    pub async fn unlock(
        &self,
        admin: &AdminPrincipal,
        user_id: &UserId,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let caller = admin.user();
        let account = self.visible_user(caller, user_id, true, false).await?;
        self.guard.unlock(&account.email_normalized).await?;
        let event = AuditEvent::new("user.unlocked", Actor::User(caller.user_id.clone()))
            .target("user", &account.id)
            .client(client.clone());
        audit::record(&self.db, self.clock.now(), event).await?;
        Ok(())
    }
}

/// Ends every membership of a user and returns them; CONFLICT when the user is the last
/// owner of an organization. The owned organizations are locked first, so two owners
/// leaving at once cannot both pass the check.
async fn leave_every_organization(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<membership::Model>, Error> {
    let memberships = memberships::memberships_of(db, user_id).await?;
    for owned in memberships.iter().filter(|m| m.role == roles::OWNER) {
        organizations::lock_organization(db, &owned.organization_id).await?;
    }
    let sole = memberships::organizations_solely_held(db, user_id, roles::OWNER).await?;
    if !sole.is_empty() {
        return Err(Error::Conflict(format!(
            "the user is the last owner of {} organization(s); transfer ownership or delete them first",
            sole.len()
        )));
    }
    memberships::delete_memberships_of(db, user_id).await?;
    Ok(memberships)
}
