//! The writes one decided record makes, in the batch's transaction: a new user with its
//! source id, TOTP factor and audit event, a link from a source id to a user, and
//! `--on-conflict update`; and the audit event of any other record an import brings in.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::{Importer, store, validate::ValidUser};
use crate::{
    audit::{self, Actor, AuditEvent},
    store::{
        accounts,
        entities::{import_external_id, user},
    },
};

impl Importer {
    pub(super) async fn insert(
        &self,
        db: &impl ConnectionTrait,
        source: &str,
        run_id: &str,
        user: &ValidUser,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let account = user::Model {
            id: user.id.clone(),
            password_hash: user.password_hash.clone(),
            display_name: user.display_name.clone(),
            email_verified: user.email_verified,
            status: if user.blocked {
                accounts::UserStatus::Suspended
            } else {
                accounts::UserStatus::Active
            },
            metadata: user.metadata.clone(),
            auth_method: user.auth_method,
            external_id: user.migration.external_id.clone(),
            migration_invited_at: user.migration.invited_at,
            migration_completed_at: user.migration.completed_at,
            ..accounts::new_account(&user.email, now)
        };
        accounts::insert(db, account).await?;
        self.link(db, source, &user.external_id, &user.id, run_id, now)
            .await?;
        if let Some(secret) = &user.totp_secret {
            crate::mfa::insert_imported_totp(db, &self.cipher, &user.id, secret, now)
                .await
                .map_err(|err| anyhow::anyhow!("{err}"))?;
        }
        if let Some(number) = &user.phone {
            crate::mfa::insert_imported_phone(db, &self.cipher, &user.id, number, now)
                .await
                .map_err(|err| anyhow::anyhow!("{err}"))?;
        }
        // Audited like every change (as the operator's CLI, with the run); `user.imported`
        // maps to no webhook event, so an import does not flood subscribers.
        audit::record(
            db,
            now,
            AuditEvent::new("user.imported", Actor::System)
                .target("user", &user.id)
                .metadata(serde_json::json!({"source": source, "run_id": run_id})),
        )
        .await?;
        Ok(())
    }

    /// Audits a record a janua-v2 import brought in besides a user (as the system, in the
    /// record's transaction); `*.imported` maps to no webhook event.
    pub(super) async fn audit_imported(
        &self,
        db: &impl ConnectionTrait,
        action: &'static str,
        target: (&'static str, &str),
        organization_id: Option<&str>,
    ) -> anyhow::Result<()> {
        let mut event = AuditEvent::new(action, Actor::System)
            .target(target.0, target.1)
            .metadata(serde_json::json!({"source": "janua-v2"}));
        if let Some(organization_id) = organization_id {
            event = event.organization(organization_id);
        }
        audit::record(db, self.clock.now(), event).await?;
        Ok(())
    }

    pub(super) async fn link(
        &self,
        db: &impl ConnectionTrait,
        source: &str,
        external_id: &str,
        user_id: &str,
        run_id: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        store::insert_external(
            db,
            import_external_id::Model {
                source: source.to_owned(),
                external_id: external_id.to_owned(),
                user_id: user_id.to_owned(),
                run_id: run_id.to_owned(),
                created_at: now,
            },
        )
        .await?;
        Ok(())
    }

    /// `--on-conflict update`: the source's profile fields, and its password hash when it
    /// has one, over the existing user's.
    pub(super) async fn update(
        &self,
        db: &impl ConnectionTrait,
        existing: &user::Model,
        user: &ValidUser,
        write: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        if !write {
            return Ok(());
        }
        let mut after = existing.clone();
        if !user.display_name.is_empty() {
            after.display_name.clone_from(&user.display_name);
        }
        after.email_verified = existing.email_verified || user.email_verified;
        if user.metadata.is_some() {
            after.metadata.clone_from(&user.metadata);
        }
        if user.password_hash.is_some() {
            after.password_hash.clone_from(&user.password_hash);
        }
        // Linked to the source now: it shows the source id, and the dual sign-in method
        // the record gives (an earlier one stays when the record has none).
        if user.migration.external_id.is_some() {
            after.external_id.clone_from(&user.migration.external_id);
        }
        if user.auth_method.is_some() {
            after.auth_method = user.auth_method;
        }
        after.migration_invited_at = after.migration_invited_at.or(user.migration.invited_at);
        after.migration_completed_at = after.migration_completed_at.or(user.migration.completed_at);
        if after != *existing {
            after.updated_at = now;
            accounts::update_live(db, existing, &after).await?;
        }
        Ok(())
    }
}
