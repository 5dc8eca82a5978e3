//! Invitations: an emailed link with a one-time token (stored as SHA-256, 7 days, single
//! use) that lets the signed-in user with that email join with the invitation's role; the
//! token proves the mailbox, so accepting verifies the address. Resending replaces the token, so the previous link stops working.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use serde_json::json;

use super::{members::Member, scope::OrgScope, service::Organizations, store};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    credentials::{Email, tokens},
    error::Error,
    ids::InvitationId,
    mail::Mail,
    principal::Principal,
    store::{
        Cursor, accounts,
        entities::{
            invitation::{self, Column, Entity as Invitation, InvitationStatus},
            membership, organization,
        },
    },
};

const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
const PENDING: InvitationStatus = InvitationStatus::Pending;

/// NOT_FOUND, not TOKEN_ERROR: AcceptInvitation is called with a valid access token, and
/// clients read TOKEN_ERROR as "refresh the access token".
fn invalid_token() -> Error {
    Error::NotFound("invitation")
}

/// An invitation as shown: expiry is not stored, so a pending one past `expires_at` is
/// shown `expired`.
#[derive(Debug, Clone)]
pub struct InvitationView {
    pub row: invitation::Model,
    pub expired: bool,
}

impl InvitationView {
    fn at(row: invitation::Model, now: DateTime<Utc>) -> Self {
        let expired = row.status == PENDING && row.expires_at <= now;
        Self { row, expired }
    }
}

impl Organizations {
    pub async fn create_invitation(
        &self,
        scope: &OrgScope,
        email: &Email,
        role: &str,
    ) -> Result<InvitationView, Error> {
        let role = match role.trim() {
            "" => super::roles::MEMBER,
            given => given,
        };
        let role = self.grantable_role(scope, role).await?;
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        if let Some(existing) = accounts::find_by_email(&txn, email.normalized()).await?
            && store::find_membership(&txn, scope.organization_id(), &existing.id)
                .await?
                .is_some()
        {
            return Err(Error::Conflict("this person is already a member".into()));
        }
        let pending = Invitation::find()
            .filter(Column::OrganizationId.eq(scope.organization_id()))
            .filter(Column::EmailNormalized.eq(email.normalized()))
            .filter(Column::Status.eq(PENDING))
            .filter(Column::ExpiresAt.gt(now))
            .one(&txn)
            .await?;
        if pending.is_some() {
            return Err(Error::Conflict(
                "a pending invitation for this email exists; resend it instead".into(),
            ));
        }
        let token = tokens::new_opaque_token();
        let row = invitation::Model {
            id: uuid::Uuid::now_v7().to_string(),
            organization_id: scope.organization_id().to_owned(),
            email: email.as_str().to_owned(),
            email_normalized: email.normalized().to_owned(),
            role,
            status: PENDING,
            invited_by: scope.caller.user().map(|u| u.user_id.to_string()),
            token_hash: tokens::digest(&token),
            expires_at: now + INVITATION_TTL,
            created_at: now,
            accepted_at: None,
            accepted_by: None,
        };
        let row = row.into_active_model().reset_all().insert(&txn).await?;
        self.queue_invitation_mail(&txn, &scope.organization, &row, &token)
            .await?;
        let event = scope
            .event("invitation.created")
            .target("invitation", &row.id)
            .metadata(json!({ "email": row.email, "role": row.role }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        self.mail.wake();
        Ok(InvitationView::at(row, now))
    }

    /// The organization's invitations, newest first.
    pub async fn list_invitations(
        &self,
        scope: &OrgScope,
        cursor: &Cursor,
    ) -> Result<(Vec<InvitationView>, String), Error> {
        let mut select =
            Invitation::find().filter(Column::OrganizationId.eq(scope.organization_id()));
        if let Some(after) = &cursor.after {
            select = select.filter(Column::Id.lt(after.as_str()));
        }
        let rows = select
            .order_by_desc(Column::Id)
            .limit(cursor.limit())
            .all(&self.db)
            .await?;
        let now = self.clock.now();
        let mut rows: Vec<_> = rows
            .into_iter()
            .map(|r| InvitationView::at(r, now))
            .collect();
        let next = cursor.next_token(&mut rows, |i| i.row.id.clone());
        Ok((rows, next))
    }

    pub async fn revoke_invitation(
        &self,
        scope: &OrgScope,
        id: &InvitationId,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let row = pending_invitation(&txn, scope, id).await?;
        Invitation::update_many()
            .col_expr(Column::Status, Expr::value(InvitationStatus::Revoked))
            .filter(Column::Id.eq(&row.id))
            .exec(&txn)
            .await?;
        let event = scope
            .event("invitation.revoked")
            .target("invitation", &row.id);
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Mails a pending (or expired) invitation again with a new token and expiry.
    pub async fn resend_invitation(
        &self,
        scope: &OrgScope,
        id: &InvitationId,
    ) -> Result<InvitationView, Error> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let mut row = pending_invitation(&txn, scope, id).await?;
        let token = tokens::new_opaque_token();
        row.token_hash = tokens::digest(&token);
        row.expires_at = now + INVITATION_TTL;
        let row = row.into_active_model().reset_all().update(&txn).await?;
        self.queue_invitation_mail(&txn, &scope.organization, &row, &token)
            .await?;
        let event = scope
            .event("invitation.resent")
            .target("invitation", &row.id);
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        self.mail.wake();
        Ok(InvitationView::at(row, now))
    }

    /// The caller joins with the invitation's role: their email must be the invitation's.
    /// The token works once and, having come by mail, verifies the address.
    pub async fn accept_invitation(
        &self,
        caller: &Principal,
        token: &str,
        client: &ClientInfo,
    ) -> Result<Member, Error> {
        if token.is_empty() {
            return Err(Error::invalid("token", "is required"));
        }
        let now = self.clock.now();
        let row = Invitation::find()
            .filter(Column::TokenHash.eq(tokens::digest(token)))
            .one(&self.db)
            .await?
            .filter(|i| i.status == PENDING && i.expires_at > now)
            .ok_or_else(invalid_token)?;
        let mut account = accounts::find_by_id(&self.db, &caller.user_id)
            .await?
            .filter(|u| u.is_active())
            .ok_or_else(invalid_token)?;
        if account.email_normalized != row.email_normalized {
            return Err(Error::Authorization(
                "this invitation was sent to another email address".into(),
            ));
        }
        let txn = crate::store::begin_write(&self.db).await?;
        // The token came by mail to this address: accepting proves the mailbox.
        if !account.email_verified {
            accounts::mark_email_proven(&txn, &account.id, now).await?;
            account.email_verified = true;
        }
        if store::find_membership(&txn, &row.organization_id, &account.id)
            .await?
            .is_some()
        {
            return Err(Error::Conflict("you are already a member".into()));
        }
        let claimed = Invitation::update_many()
            .col_expr(Column::Status, Expr::value(InvitationStatus::Accepted))
            .col_expr(Column::AcceptedAt, Expr::value(now))
            .col_expr(Column::AcceptedBy, Expr::value(account.id.clone()))
            .filter(Column::Id.eq(&row.id))
            .filter(Column::Status.eq(PENDING))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(invalid_token());
        }
        let membership = membership::Model {
            organization_id: row.organization_id.clone(),
            user_id: account.id.clone(),
            role: row.role.clone(),
            created_at: now,
            joined_via: "invitation".into(),
        };
        store::insert_membership(&txn, membership.clone()).await?;
        let event = AuditEvent::new("invitation.accepted", Actor::User(account.user_id()))
            .organization(&row.organization_id)
            .target("invitation", &row.id)
            .client(client.clone())
            .metadata(json!({ "role": row.role }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok((membership, account))
    }

    async fn queue_invitation_mail(
        &self,
        db: &impl ConnectionTrait,
        organization: &organization::Model,
        row: &invitation::Model,
        token: &str,
    ) -> Result<(), Error> {
        let mut link = self
            .app_url
            .join("accept-invitation")
            .map_err(anyhow::Error::from)?;
        link.query_pairs_mut().append_pair("token", token);
        self.mail
            .enqueue(db, invitation_mail(organization, row, link.as_str()))
            .await?;
        Ok(())
    }
}

/// A pending invitation of the scope's organization (expired ones included).
async fn pending_invitation(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    id: &str,
) -> Result<invitation::Model, Error> {
    let row = Invitation::find_by_id(id.to_owned())
        .filter(Column::OrganizationId.eq(scope.organization_id()))
        .one(db)
        .await?
        .ok_or(Error::NotFound("invitation"))?;
    if row.status != PENDING {
        return Err(Error::Conflict(format!(
            "the invitation is {}, not pending",
            row.status.to_value()
        )));
    }
    Ok(row)
}

fn invitation_mail(
    organization: &organization::Model,
    row: &invitation::Model,
    link: &str,
) -> Mail {
    let name = &organization.name;
    let text = format!(
        "Hello,\n\nYou are invited to join {name} as {role}. Open this link to accept:\n\n{link}\n\nThe link works once and expires in 7 days. Sign in with this email address ({email}) to accept.\n",
        role = row.role,
        email = row.email,
    );
    let html = format!(
        "<p>Hello,</p><p>You are invited to join <b>{}</b> as {}.</p><p><a href=\"{link}\">Accept the invitation</a></p><p>The link works once and expires in 7 days.</p>",
        html_escape(name),
        html_escape(&row.role),
    );
    Mail {
        to: row.email.clone(),
        subject: format!("You are invited to join {name}"),
        text,
        html,
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
