//! Answering the second step of a sign-in with a TOTP code, a recovery code, a passkey
//! assertion or a code sent by SMS or email. Each answer is counted before it is checked — against the account's (and IP's)
//! brute-force limits and against the challenge (five wrong answers end it) — so answers sent
//! at once get no more checks than answers sent one by one. A right answer gives its count
//! back and opens the session with the combined `amr`.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{
    challenge::{self, ChallengeState},
    code_enrollment::challenge_scope,
    otp_codes::CodeCheck,
    recovery_codes,
    service::{Answer, Mfa},
    store,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    auth::SignedIn,
    error::Error,
    ids::UserId,
};

impl Mfa {
    /// The second step of a sign-in: a right answer opens the session; five wrong ones end
    /// the challenge.
    pub async fn verify_challenge(
        &self,
        challenge_id: &str,
        answer: Answer,
        client: &ClientInfo,
    ) -> Result<SignedIn, Error> {
        if challenge_id.is_empty() {
            return Err(Error::invalid("challenge_id", "is required"));
        }
        let state = self.challenges.get(challenge_id).await?;
        let (method, amr) = self.method_of(challenge_id, &answer).await?;
        if !state.methods.iter().any(|m| m == method) {
            return Err(Error::invalid(
                "answer",
                format!("this challenge accepts {}", state.methods.join(", ")),
            ));
        }
        let attempt = self
            .auth
            .reserve_second_factor(&state.user_id, client)
            .await?;
        let number = match self.challenges.reserve_answer(challenge_id).await {
            Ok(number) => number,
            Err(err) => {
                self.auth.refund_second_factor(attempt).await?;
                return Err(err);
            }
        };
        let now = self.clock.now();
        let checked = self
            .check_answer(challenge_id, &state, &answer, client, now)
            .await;
        match checked {
            Ok(true) => self.auth.refund_second_factor(attempt).await?,
            Ok(false) => {
                crate::telemetry::mfa_answer(crate::telemetry::MfaAnswer::Wrong);
                self.challenges.record_failure(challenge_id, number).await?;
                self.auth.second_factor_failed(attempt, client).await?;
                return Err(self.answer_refused(&state, method, client, now).await);
            }
            Err(err) => {
                // Not checked (malformed, or a fault): nothing was learned, nothing counts.
                self.auth.refund_second_factor(attempt).await?;
                return Err(err);
            }
        }
        // A verified passkey assertion used the challenge up already.
        let state = match answer {
            Answer::Passkey(_) => state,
            _ => self.challenges.complete(challenge_id).await?,
        };
        crate::telemetry::mfa_answer(crate::telemetry::MfaAnswer::Right);
        let account = self.account(&state.user_id).await?;
        let event = self.challenge_event("mfa.challenge_passed", &state, method, client);
        audit::record(&self.db, now, event).await?;
        let mut methods: Vec<&str> = state.amr.iter().map(String::as_str).collect();
        methods.push(amr);
        let organization_id = state.organization_id.clone();
        self.auth
            .sign_in_to(account, "user.login", &methods, organization_id, client)
            .await
    }

    /// Whether `answer` is right for the challenge's user (a TOTP step or recovery code is
    /// used up when it is).
    async fn check_answer(
        &self,
        challenge_id: &str,
        state: &ChallengeState,
        answer: &Answer,
        client: &ClientInfo,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        match answer {
            Answer::Totp(code) => self.accept_user_totp(&state.user_id, code, now).await,
            Answer::RecoveryCode(code) => {
                let digest = recovery_codes::digest(&state.user_id, code);
                Ok(store::consume_recovery_code(&self.db, &state.user_id, &digest, now).await?)
            }
            Answer::Passkey(json) => {
                self.accept_passkey_answer(challenge_id, state, json, client)
                    .await
            }
            Answer::OtpCode(code) => {
                let scope = challenge_scope(challenge_id);
                match self.codes.check(&scope, code, now).await? {
                    CodeCheck::Accepted { factor_id } => {
                        store::touch_factor(&self.db, &factor_id, now).await?;
                        Ok(true)
                    }
                    CodeCheck::Refused => Ok(false),
                }
            }
        }
    }

    /// The challenge method an answer uses, and the `amr` it adds. A sent code's method is
    /// its channel's; answering with a code when none was sent is a VALIDATION_ERROR, not a
    /// guess.
    async fn method_of(
        &self,
        challenge_id: &str,
        answer: &Answer,
    ) -> Result<(&'static str, &'static str), Error> {
        Ok(match answer {
            Answer::Totp(_) => (challenge::TOTP, "otp"),
            Answer::RecoveryCode(_) => (challenge::RECOVERY_CODE, "otp"),
            Answer::Passkey(_) => (challenge::PASSKEY, "hwk"),
            Answer::OtpCode(_) => {
                let channel = self
                    .codes
                    .pending_channel(&challenge_scope(challenge_id))
                    .await?
                    .ok_or_else(|| {
                        Error::invalid(
                            "otp_code",
                            "no code was sent for this challenge: call SendMfaCode first",
                        )
                    })?;
                (channel.method(), channel.amr())
            }
        })
    }

    /// Audits a wrong answer; the error to answer with.
    async fn answer_refused(
        &self,
        state: &ChallengeState,
        method: &str,
        client: &ClientInfo,
        now: DateTime<Utc>,
    ) -> Error {
        let event = self
            .challenge_event("mfa.challenge_failed", state, method, client)
            .failed();
        match audit::record(&self.db, now, event).await {
            Ok(()) => Error::Authentication,
            Err(err) => err.into(),
        }
    }

    fn challenge_event(
        &self,
        action: &'static str,
        state: &ChallengeState,
        method: &str,
        client: &ClientInfo,
    ) -> AuditEvent {
        AuditEvent::new(
            action,
            Actor::User(UserId::from_trusted(state.user_id.clone())),
        )
        .target("user", &state.user_id)
        .client(client.clone())
        .metadata(json!({ "method": method }))
    }
}
