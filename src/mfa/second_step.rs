//! Whether a sign-in needs a second step, and the challenge that asks for it: the
//! `auth::SecondStepGate` the authentication capability asks after the first factor
//! (password, magic link) succeeded, wired in at start-up. A user with passkeys gets
//! WebAuthn request options for them with the challenge; the ceremony's state lives in the
//! challenge, so the same five minutes and single use apply.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{
    challenge::{self, ChallengeState, Challenges},
    code_factors::CodeFactors,
    passkeys::passkey_of,
    relying_party::RelyingParty,
    store,
};
use crate::{
    auth::{IssuedChallenge, SecondStepGate},
    error::Error,
    store::Db,
};

pub struct SecondStep {
    db: Db,
    challenges: Arc<Challenges>,
    /// None when passkeys are off: a passkey is then not offered.
    relying_party: Option<Arc<RelyingParty>>,
    /// Which SMS and email factors may be offered, masked.
    code_factors: CodeFactors,
}

impl SecondStep {
    pub fn new(
        db: Db,
        challenges: Arc<Challenges>,
        relying_party: Option<Arc<RelyingParty>>,
        code_factors: CodeFactors,
    ) -> Self {
        Self {
            db,
            challenges,
            relying_party,
            code_factors,
        }
    }
}

#[async_trait::async_trait]
impl SecondStepGate for SecondStep {
    async fn challenge_if_enrolled(
        &self,
        user_id: &str,
        amr: &[&str],
        organization_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<IssuedChallenge>, Error> {
        let factors = store::active_factors(&self.db, user_id).await?;
        if factors.is_empty() {
            return Ok(None);
        }
        let mut methods = Vec::new();
        if factors.iter().any(|f| f.kind == store::FactorKind::Totp) {
            methods.push(challenge::TOTP.to_owned());
        }
        let passkeys = factors
            .iter()
            .filter(|f| f.kind == store::FactorKind::Passkey)
            .map(passkey_of)
            .collect::<Result<Vec<_>, _>>()?;
        let (mut passkey_state, mut passkey_options_json) = (None, None);
        if let (Some(party), false) = (&self.relying_party, passkeys.is_empty()) {
            let (options, state) = party.start_authentication(&passkeys)?;
            methods.push(challenge::PASSKEY.to_owned());
            passkey_state = Some(serde_json::to_value(&state).map_err(anyhow::Error::from)?);
            passkey_options_json = Some(options);
        }
        let code_destinations = self
            .code_factors
            .offered(&self.db, user_id, &factors)
            .await?;
        for method in [challenge::SMS, challenge::EMAIL] {
            if code_destinations.iter().any(|d| d.method == method) {
                methods.push(method.to_owned());
            }
        }
        if store::unused_recovery_codes(&self.db, user_id).await? > 0 {
            methods.push(challenge::RECOVERY_CODE.to_owned());
        }
        let state = ChallengeState {
            user_id: user_id.to_owned(),
            amr: amr.iter().map(|m| (*m).to_owned()).collect(),
            methods,
            passkey_state,
            organization_id: organization_id.map(str::to_owned),
            code_factors: code_destinations
                .iter()
                .map(|d| d.factor_id.clone())
                .collect(),
        };
        crate::telemetry::mfa_challenge_issued();
        self.challenges
            .issue(state, passkey_options_json, code_destinations, now)
            .await
            .map(Some)
    }
}
