//! Sessions scoped to an organization: `SwitchOrganization` re-scopes the caller's session
//! and issues tokens carrying `org_id`, `org_role` and the role's permissions; refreshing
//! keeps the scope and re-reads the role, so a role change shows in the next token.

use super::service::Authentication;
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    error::Error,
    ids::OrganizationId,
    orgs::{self, roles::Permissions},
    principal::Principal,
    store::{accounts, memberships, sessions},
};

use super::service::TokenPair;

impl Authentication {
    /// A new token pair for the caller's session, scoped to an organization they belong to;
    /// the session's previous refresh token stops working.
    pub async fn switch_organization(
        &self,
        caller: &Principal,
        organization_id: &OrganizationId,
        client: &ClientInfo,
    ) -> Result<TokenPair, Error> {
        memberships::find_membership(&self.db, organization_id, &caller.user_id)
            .await?
            .ok_or(Error::NotFound("organization"))?;
        let now = self.clock.now();
        let session = sessions::find_session(&self.db, &caller.session_id)
            .await?
            .filter(|s| s.revoked_at.is_none() && s.expires_at > now)
            .ok_or_else(|| Error::Token("the session has ended".into()))?;
        let account = accounts::find_by_id(&self.db, &caller.user_id)
            .await?
            .filter(|u| u.is_active())
            .ok_or_else(|| Error::Token("the account is not active".into()))?;
        let txn = crate::store::begin_write(&self.db).await?;
        sessions::rescope_session(&txn, &session.id, organization_id).await?;
        let refresh = self.new_refresh_token(&txn, &session.id, now).await?;
        let event = AuditEvent::new(
            "session.organization_switched",
            Actor::User(caller.user_id.clone()),
        )
        .organization(organization_id)
        .target("session", &session.id)
        .client(client.clone());
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        let amr: Vec<&str> = session.amr.split_whitespace().collect();
        self.token_pair(
            &account,
            &session.id,
            Some(organization_id),
            &amr,
            refresh,
            now,
        )
        .await
    }

    /// The user's role in an organization and what it grants; a TOKEN_ERROR when the user
    /// is no longer a member (the session's organization scope has ended).
    pub(super) async fn organization_role(
        &self,
        user_id: &str,
        organization_id: &str,
    ) -> Result<(String, Permissions), Error> {
        orgs::scope::member_role(&self.db, organization_id, user_id)
            .await?
            .ok_or_else(|| Error::Token("no longer a member of the session's organization".into()))
    }
}
