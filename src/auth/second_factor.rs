//! Second-factor answers under the brute-force limits: a TOTP code, recovery code or passkey
//! assertion — at a sign-in's second step or as a step-up proof — is counted for the account
//! and the IP before it is checked, exactly like a password, and given back only when it is
//! right. A locked account cannot finish a sign-in with its second factor either.

use super::{limits::Attempt, service::Authentication};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    error::Error,
    ids::UserId,
    store::accounts,
};

/// A second-factor answer counted against its account's limits, awaiting its check. Settle it
/// with [`Authentication::second_factor_failed`] or [`Authentication::refund_second_factor`].
#[derive(Debug)]
#[must_use = "a second-factor attempt is settled as failed or passed"]
pub struct FactorAttempt {
    user_id: String,
    attempt: Attempt,
}

impl Authentication {
    /// Before checking a second-factor answer of `user_id`: counts it, or refuses while the
    /// account is locked or throttled or the client's IP is over its budget.
    pub async fn reserve_second_factor(
        &self,
        user_id: &str,
        client: &ClientInfo,
    ) -> Result<FactorAttempt, Error> {
        let Some(account) = accounts::find_by_id(&self.db, user_id).await? else {
            return Err(Error::Authentication);
        };
        let attempt = self
            .guard
            .reserve_attempt(&account.email_normalized, client.ip_address.as_deref())
            .await?;
        Ok(FactorAttempt {
            user_id: account.id,
            attempt,
        })
    }

    /// A wrong answer: it stays counted; audits a lock it causes.
    pub async fn second_factor_failed(
        &self,
        attempt: FactorAttempt,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let failure = self.guard.attempt_failed(attempt.attempt).await?;
        if failure.locked {
            self.audit_lock(&attempt.user_id, client).await?;
        }
        Ok(())
    }

    /// A right answer, or one that could not be checked: its count is given back.
    pub async fn refund_second_factor(&self, attempt: FactorAttempt) -> Result<(), Error> {
        self.guard.refund(attempt.attempt).await
    }

    /// Records that a failure locked the user's account.
    pub(super) async fn audit_lock(&self, user_id: &str, client: &ClientInfo) -> Result<(), Error> {
        let event = AuditEvent::new("user.locked", Actor::User(UserId::from_trusted(user_id)))
            .target("user", user_id)
            .client(client.clone());
        audit::record(&self.db, self.clock.now(), event).await?;
        Ok(())
    }
}
