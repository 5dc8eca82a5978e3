//! Answering the second step of a sign-in with a TOTP code, a recovery code or a passkey
//! assertion. Wrong answers count against the challenge (five end it) and against the
//! account's brute-force limits; a right one opens the session with the combined `amr`.

use serde_json::json;

use super::{
    challenge, recovery_codes,
    service::{Answer, Mfa},
    store,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    auth::SignedIn,
    error::Error,
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
        self.auth
            .check_second_factor(&state.user_id, client)
            .await?;
        let (method, amr) = match &answer {
            Answer::Totp(_) => (challenge::TOTP, "otp"),
            Answer::RecoveryCode(_) => (challenge::RECOVERY_CODE, "otp"),
            Answer::Passkey(_) => (challenge::PASSKEY, "hwk"),
        };
        if !state.methods.iter().any(|m| m == method) {
            return Err(Error::invalid(
                "answer",
                format!("this challenge accepts {}", state.methods.join(", ")),
            ));
        }
        let now = self.clock.now();
        let accepted = match &answer {
            Answer::Totp(code) => self.accept_user_totp(&state.user_id, code, now).await?,
            Answer::RecoveryCode(code) => {
                let digest = recovery_codes::digest(&state.user_id, code);
                store::consume_recovery_code(&self.db, &state.user_id, &digest, now).await?
            }
            Answer::Passkey(json) => {
                self.accept_passkey_answer(challenge_id, &state, json, client)
                    .await?
            }
        };
        let actor = Actor::User(state.user_id.clone());
        if !accepted {
            self.challenges.record_failure(challenge_id).await?;
            self.auth
                .second_factor_failed(&state.user_id, client)
                .await?;
            let event = AuditEvent::new("mfa.challenge_failed", actor)
                .target("user", &state.user_id)
                .client(client.clone())
                .metadata(json!({ "method": method }))
                .failed();
            audit::record(&self.db, now, event).await?;
            return Err(Error::Authentication);
        }
        // A verified passkey assertion used the challenge up already.
        let state = match answer {
            Answer::Passkey(_) => state,
            _ => self.challenges.complete(challenge_id).await?,
        };
        let account = self.account(&state.user_id).await?;
        let event = AuditEvent::new("mfa.challenge_passed", actor)
            .target("user", &state.user_id)
            .client(client.clone())
            .metadata(json!({ "method": method }));
        audit::record(&self.db, now, event).await?;
        let mut methods: Vec<&str> = state.amr.iter().map(String::as_str).collect();
        methods.push(amr);
        self.auth
            .sign_in(account, "user.login", &methods, client)
            .await
    }
}
