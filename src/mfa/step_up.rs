//! Step-up: the proof a caller gives before changing their factors (adding a passkey or an
//! authenticator app, removing a factor, replacing recovery codes), so that a stolen session
//! alone cannot add a credential that outlives it or remove one that guards the account. The
//! proof is a sign-in less than [`RECENT_SIGN_IN`] old or a current code of the caller's
//! authenticator app. The code is a guess like any second-factor answer: counted against the
//! account's brute-force limits before it is checked, and given back only when right.

use chrono::Duration;

use super::service::Mfa;
use crate::{
    audit::{self, ClientInfo},
    error::Error,
    principal::Principal,
    store::sessions,
};

/// How recent a sign-in must be to change factors without a code.
pub(super) const RECENT_SIGN_IN: Duration = Duration::minutes(10);

impl Mfa {
    /// A sign-in less than ten minutes old, or a current TOTP code (MFA_REQUIRED otherwise,
    /// and when the code is wrong).
    pub(super) async fn ensure_recent_or_code(
        &self,
        caller: &Principal,
        totp_code: &str,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        if self.signed_in_recently(caller).await? {
            return Ok(());
        }
        if totp_code.is_empty() {
            return Err(Error::MfaRequired);
        }
        if self
            .step_up_code_accepted(caller, totp_code, client)
            .await?
        {
            Ok(())
        } else {
            Err(Error::MfaRequired)
        }
    }

    /// The caller's session began less than [`RECENT_SIGN_IN`] ago.
    pub(super) async fn signed_in_recently(&self, caller: &Principal) -> Result<bool, Error> {
        let now = self.clock.now();
        let session = sessions::find_session(&self.db, &caller.session_id).await?;
        Ok(session.is_some_and(|s| s.created_at > now - RECENT_SIGN_IN))
    }

    /// Checks a step-up code under the brute-force limits; a wrong one is counted and audited.
    async fn step_up_code_accepted(
        &self,
        caller: &Principal,
        totp_code: &str,
        client: &ClientInfo,
    ) -> Result<bool, Error> {
        let attempt = self
            .auth
            .reserve_second_factor(&caller.user_id, client)
            .await?;
        let now = self.clock.now();
        let accepted = match self.accept_user_totp(&caller.user_id, totp_code, now).await {
            Ok(accepted) => accepted,
            Err(err) => {
                self.auth.refund_second_factor(attempt).await?;
                return Err(err);
            }
        };
        if accepted {
            self.auth.refund_second_factor(attempt).await?;
            return Ok(true);
        }
        self.auth.second_factor_failed(attempt, client).await?;
        let event = self
            .event("mfa.step_up_failed", caller, client)
            .metadata(serde_json::json!({ "method": "totp" }))
            .failed();
        audit::record(&self.db, now, event).await?;
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mfa::relying_party::CEREMONY_TTL;

    #[test]
    fn a_registration_ceremony_ends_within_the_recent_sign_in_window() {
        let ceremony = Duration::from_std(CEREMONY_TTL).unwrap_or(Duration::MAX);

        assert!(
            ceremony <= RECENT_SIGN_IN,
            "finishing a passkey registration relies on it"
        );
    }
}
