//! The bootstrap platform administrator, created at start-up while the platform has no live
//! administrator. (Whether a caller is an administrator is `principal::AdminPrincipal`'s
//! check, made by the access layer.)

use secrecy::SecretString;

use super::service::Authentication;
use crate::{
    audit::{self, Actor, AuditEvent},
    credentials::{self, Email, NewPassword},
    store::{accounts, entities::user},
};

impl Authentication {
    /// Creates the configured platform administrator (verified, active) when the platform
    /// has no administrator yet.
    pub async fn bootstrap_admin(
        &self,
        email: &str,
        password: &SecretString,
    ) -> anyhow::Result<()> {
        let email =
            Email::parse("ADMIN_BOOTSTRAP_EMAIL", email).map_err(|e| anyhow::anyhow!("{e}"))?;
        // Only for a platform without a (live) administrator: deleting the bootstrap admin
        // once others exist must not bring it back with the configured password.
        if accounts::find_by_email(&self.db, email.normalized())
            .await?
            .is_some()
            || accounts::any_admin(&self.db).await?
        {
            return Ok(());
        }
        let password = NewPassword::parse(
            "ADMIN_BOOTSTRAP_PASSWORD",
            credentials::expose(password),
            email.normalized(),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let now = self.clock.now();
        let admin = user::Model {
            password_hash: Some(self.passwords.hash(password.secret()).await?),
            display_name: "Administrator".into(),
            email_verified: true,
            is_admin: true,
            ..accounts::new_account(&email, now)
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let admin = accounts::insert(&txn, admin).await?;
        audit::record(
            &txn,
            now,
            AuditEvent::new("user.bootstrap_admin", Actor::System).target("user", &admin.id),
        )
        .await?;
        txn.commit().await?;
        tracing::info!(user.id = %admin.id, "created the bootstrap administrator");
        Ok(())
    }
}
