//! Whether a sign-in needs a second step, and the challenge that asks for it. Called by the
//! authentication capability after the first factor (password, magic link) succeeded.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{
    challenge::{self, ChallengeState, Challenges, IssuedChallenge},
    store,
};
use crate::{error::Error, store::Db};

pub struct SecondStep {
    db: Db,
    challenges: Arc<Challenges>,
}

impl SecondStep {
    pub fn new(db: Db, challenges: Arc<Challenges>) -> Self {
        Self { db, challenges }
    }

    /// A challenge when the user has an active second factor; None when the first factor
    /// is enough.
    pub async fn challenge_if_enrolled(
        &self,
        user_id: &str,
        amr: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Option<IssuedChallenge>, Error> {
        let factors = store::active_factors(&self.db, user_id).await?;
        if factors.is_empty() {
            return Ok(None);
        }
        let mut methods = Vec::new();
        if factors.iter().any(|f| f.kind == store::TOTP) {
            methods.push(challenge::TOTP.to_owned());
        }
        if store::unused_recovery_codes(&self.db, user_id).await? > 0 {
            methods.push(challenge::RECOVERY_CODE.to_owned());
        }
        let state = ChallengeState {
            user_id: user_id.to_owned(),
            amr: amr.iter().map(|m| (*m).to_owned()).collect(),
            methods,
            passkey_state: None,
        };
        self.challenges.issue(state, None, now).await.map(Some)
    }
}
