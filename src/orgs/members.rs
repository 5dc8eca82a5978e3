//! Members: list, invite by id, change role, remove, leave, transfer ownership. Two rules beyond the
//! RPC's permission: nobody grants or takes away a role whose server permissions they do
//! not hold themselves (so only an owner touches owners), and an organization always keeps
//! at least one owner. Membership changes of one organization take its row lock.

use sea_orm::ConnectionTrait;
use serde_json::json;

use super::{
    InvitationView,
    roles::{self, Permissions},
    scope::{self, OrgScope},
    service::Organizations,
    store,
};
use crate::{
    audit::{self, AuditEvent, ClientInfo},
    credentials::Email,
    error::Error,
    ids::{OrganizationId, UserId},
    principal::{Caller, Principal},
    store::{
        Cursor, accounts,
        entities::{membership, user},
        sessions,
    },
};

/// A membership with the user it belongs to.
pub type Member = (membership::Model, user::Model);

impl Organizations {
    pub async fn list_members(
        &self,
        scope: &OrgScope,
        cursor: &Cursor,
    ) -> Result<(Vec<Member>, String), Error> {
        let mut rows = store::list_members(
            &self.db,
            scope.organization_id(),
            cursor.after.as_deref(),
            cursor.limit(),
        )
        .await?;
        let next = cursor.next_token(&mut rows, |(m, _)| m.user_id.clone());
        Ok((rows, next))
    }

    /// Invites an existing, active user by id: nobody becomes a member without consent
    /// (an organization that could add anyone could then vouch for them, SECURITY.md), so
    /// this is CreateInvitation addressed to the user's email.
    pub async fn add_member(
        &self,
        scope: &OrgScope,
        user_id: &UserId,
        role: &str,
    ) -> Result<InvitationView, Error> {
        let account = accounts::find_by_id(&self.db, user_id)
            .await?
            .filter(|u| u.is_active())
            .ok_or(Error::NotFound("user"))?;
        // The stored address, checked when it was set.
        let email = Email::parse("email", &account.email)?;
        self.create_invitation(scope, &email, role).await
    }

    /// Gives a member another role; the last owner keeps theirs.
    pub async fn update_member(
        &self,
        scope: &OrgScope,
        user_id: &UserId,
        role: &str,
    ) -> Result<Member, Error> {
        let granted = self.grantable_role(scope, role).await?;
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        store::lock_organization(&txn, scope.organization_id()).await?;
        let (current, account) = self.modifiable_member(&txn, scope, user_id).await?;
        if current.role != granted {
            ensure_owner_remains(&txn, scope.organization_id(), &current.role).await?;
            store::set_member_role(&txn, scope.organization_id(), user_id, &granted).await?;
            let event = scope
                .event("member.role_changed")
                .target("user", user_id)
                .metadata(json!({ "old_role": current.role, "new_role": granted }));
            audit::record(&txn, now, event).await?;
        }
        txn.commit().await?;
        let membership = membership::Model {
            role: granted,
            ..current
        };
        Ok((membership, account))
    }

    /// Removes a member; their tokens scoped to the organization stop working.
    pub async fn remove_member(&self, scope: &OrgScope, user_id: &UserId) -> Result<(), Error> {
        let txn = crate::store::begin_write(&self.db).await?;
        store::lock_organization(&txn, scope.organization_id()).await?;
        let (current, _) = self.modifiable_member(&txn, scope, user_id).await?;
        ensure_owner_remains(&txn, scope.organization_id(), &current.role).await?;
        let event = scope
            .event("member.removed")
            .target("user", user_id)
            .metadata(json!({ "role": current.role }));
        let revoked = self.end_membership(&txn, &current, event).await?;
        txn.commit().await?;
        self.revocations.publish(&revoked).await;
        Ok(())
    }

    /// The caller leaves an organization they belong to.
    pub async fn leave(
        &self,
        caller: &Principal,
        organization_id: &OrganizationId,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let txn = crate::store::begin_write(&self.db).await?;
        store::lock_organization(&txn, organization_id).await?;
        let current = store::find_membership(&txn, organization_id, &caller.user_id)
            .await?
            .ok_or(Error::NotFound("organization"))?;
        ensure_owner_remains(&txn, organization_id, &current.role).await?;
        let event = AuditEvent::new("member.left", Caller::User(caller.clone()).actor())
            .organization(organization_id)
            .target("user", &caller.user_id)
            .client(client.clone());
        let revoked = self.end_membership(&txn, &current, event).await?;
        txn.commit().await?;
        self.revocations.publish(&revoked).await;
        Ok(())
    }

    /// Makes another member an owner and the calling owner an admin.
    pub async fn transfer_ownership(
        &self,
        scope: &OrgScope,
        user_id: &UserId,
    ) -> Result<(), Error> {
        let Caller::User(caller) = &scope.caller else {
            return Err(Error::Authorization(
                "ownership is transferred by an owner, not an API key".into(),
            ));
        };
        if scope.role.as_deref() != Some(roles::OWNER) {
            return Err(Error::Authorization(
                "only an owner can transfer ownership".into(),
            ));
        }
        if caller.user_id == *user_id {
            return Err(Error::invalid("user_id", "must be another member"));
        }
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        store::lock_organization(&txn, scope.organization_id()).await?;
        store::find_membership(&txn, scope.organization_id(), user_id)
            .await?
            .ok_or(Error::NotFound("member"))?;
        store::set_member_role(&txn, scope.organization_id(), user_id, roles::OWNER).await?;
        store::set_member_role(&txn, scope.organization_id(), &caller.user_id, roles::ADMIN)
            .await?;
        let event = scope
            .event("organization.ownership_transferred")
            .target("user", user_id);
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(())
    }

    /// A role name of the organization that the caller may hand out, as stored.
    pub(crate) async fn grantable_role(
        &self,
        scope: &OrgScope,
        role: &str,
    ) -> Result<String, Error> {
        let role = role.trim();
        let permissions = self.existing_role(scope.organization_id(), role).await?;
        scope.ensure_may_grant(role, &permissions)?;
        Ok(role.to_owned())
    }

    /// The permissions of a role the organization defines; VALIDATION_ERROR otherwise.
    pub(super) async fn existing_role(
        &self,
        organization_id: &str,
        role: &str,
    ) -> Result<Permissions, Error> {
        if role.is_empty() {
            return Err(Error::invalid("role", "is required"));
        }
        if roles::built_in(role).is_none()
            && store::find_role_by_name(&self.db, organization_id, role)
                .await?
                .is_none()
        {
            return Err(Error::invalid("role", "is not a role of this organization"));
        }
        scope::role_permissions(&self.db, organization_id, role).await
    }

    /// A member the caller may change: one whose role the caller could have granted.
    async fn modifiable_member(
        &self,
        db: &impl ConnectionTrait,
        scope: &OrgScope,
        user_id: &str,
    ) -> Result<Member, Error> {
        let member = store::find_member(db, scope.organization_id(), user_id)
            .await?
            .ok_or(Error::NotFound("member"))?;
        let held = scope::role_permissions(db, scope.organization_id(), &member.0.role).await?;
        scope.ensure_may_grant(&member.0.role, &held)?;
        Ok(member)
    }

    /// Deletes a membership, revokes the member's sessions scoped to the organization and
    /// records `event`; returns the revoked session ids to publish after commit.
    async fn end_membership(
        &self,
        db: &impl ConnectionTrait,
        membership: &membership::Model,
        event: AuditEvent,
    ) -> Result<Vec<String>, Error> {
        let now = self.clock.now();
        store::delete_membership(db, &membership.organization_id, &membership.user_id).await?;
        let revoked = sessions::revoke_organization_sessions(
            db,
            &membership.organization_id,
            Some(&membership.user_id),
            now,
            "membership_ended",
        )
        .await?;
        audit::record(db, now, event).await?;
        Ok(revoked)
    }
}

/// Refuses to take the owner role from its last holder.
async fn ensure_owner_remains(
    db: &impl ConnectionTrait,
    organization_id: &str,
    current_role: &str,
) -> Result<(), Error> {
    if current_role == roles::OWNER
        && store::count_role_holders(db, organization_id, roles::OWNER).await? <= 1
    {
        return Err(Error::Conflict(
            "the organization's last owner cannot leave, be removed or be demoted; transfer ownership first".into(),
        ));
    }
    Ok(())
}
