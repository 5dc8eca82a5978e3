//! Second-factor answers under the brute-force limits: a wrong TOTP code, recovery code or
//! passkey assertion counts like a wrong password for the account and the IP, and a locked
//! account cannot finish a sign-in with its second factor either.

use super::service::Authentication;
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    error::Error,
    users::store as users,
};

impl Authentication {
    /// Refuses while the user's account (or the client's IP) is locked or throttled.
    pub async fn check_second_factor(
        &self,
        user_id: &str,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let Some(account) = users::find_by_id(&self.db, user_id).await? else {
            return Err(Error::Authentication);
        };
        self.guard
            .check_login(&account.email_normalized, client.ip_address.as_deref())
            .await
    }

    /// Counts a wrong second-factor answer; audits a lock it causes.
    pub async fn second_factor_failed(
        &self,
        user_id: &str,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let Some(account) = users::find_by_id(&self.db, user_id).await? else {
            return Ok(());
        };
        let failure = self
            .guard
            .record_login_failure(&account.email_normalized, client.ip_address.as_deref())
            .await?;
        if failure.locked {
            let event = AuditEvent::new("user.locked", Actor::User(account.id.clone()))
                .target("user", &account.id)
                .client(client.clone());
            audit::record(&self.db, self.clock.now(), event).await?;
        }
        Ok(())
    }
}
