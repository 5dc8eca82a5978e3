//! The second step of a sign-in. When a user with an active second factor proves the first
//! one (password, magic link), no session opens yet: a challenge is kept in the shared cache
//! for five minutes, naming the user, the methods that may answer it and the first factor's
//! `amr`. A right answer uses it up (once, across nodes); five wrong answers destroy it. Each
//! answer takes its number before it is checked, so answers sent at once cannot get more
//! than five checks out of one challenge.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    auth::{CodeDestination, IssuedChallenge},
    cache::Cache,
    error::Error,
};

pub const CHALLENGE_TTL: Duration = Duration::from_secs(5 * 60);
const MAX_FAILURES: i64 = 5;

/// How a challenge may be answered.
pub const TOTP: &str = "totp";
pub const RECOVERY_CODE: &str = "recovery_code";
pub const PASSKEY: &str = "passkey";
pub const SMS: &str = "sms";
pub const EMAIL: &str = "email";

/// What the cache keeps for a challenge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChallengeState {
    pub user_id: String,
    /// Authentication methods already proven (`pwd`, `email`).
    pub amr: Vec<String>,
    pub methods: Vec<String>,
    /// The WebAuthn authentication state when `methods` has "passkey".
    #[serde(default)]
    pub passkey_state: Option<serde_json::Value>,
    /// The organization the session will be scoped to (an SSO connection's).
    #[serde(default)]
    pub organization_id: Option<String>,
    /// The SMS and email factors SendMfaCode may send a code to.
    #[serde(default)]
    pub code_factors: Vec<String>,
}

/// The place of an answer among a challenge's answers (1 to five), taken before it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerNumber(i64);

fn key(id: &str) -> String {
    format!("mfa:challenge:{id}")
}

fn answers_key(id: &str) -> String {
    format!("mfa:challenge:{id}:answers")
}

fn expired() -> Error {
    Error::Token("the MFA challenge is invalid, expired or already answered".into())
}

fn unavailable(err: crate::cache::CacheError) -> Error {
    err.failed_in("the MFA challenge store")
}

/// Challenges in the shared cache. They fail closed: without the cache there is no second
/// step, so users with MFA cannot finish signing in until it returns.
pub struct Challenges {
    cache: Arc<dyn Cache>,
}

impl Challenges {
    pub fn new(cache: Arc<dyn Cache>) -> Self {
        Self { cache }
    }

    pub async fn issue(
        &self,
        state: ChallengeState,
        passkey_options_json: Option<String>,
        code_destinations: Vec<CodeDestination>,
        now: DateTime<Utc>,
    ) -> Result<IssuedChallenge, Error> {
        let id = uuid::Uuid::now_v7().to_string();
        let value = serde_json::to_vec(&state).map_err(anyhow::Error::from)?;
        self.cache
            .set(&key(&id), &value, CHALLENGE_TTL)
            .await
            .map_err(unavailable)?;
        Ok(IssuedChallenge {
            id,
            methods: state.methods,
            expires_at: now + CHALLENGE_TTL,
            passkey_options_json,
            code_destinations,
        })
    }

    /// The live challenge, without using it up.
    pub async fn get(&self, id: &str) -> Result<ChallengeState, Error> {
        let value = self
            .cache
            .get(&key(id))
            .await
            .map_err(unavailable)?
            .ok_or_else(expired)?;
        serde_json::from_slice(&value).map_err(|_| expired())
    }

    /// Before an answer is checked: its number among the challenge's answers. Past the fifth
    /// a TOKEN_ERROR, as for a destroyed challenge (the five before decide its fate).
    pub async fn reserve_answer(&self, id: &str) -> Result<AnswerNumber, Error> {
        let number = self
            .cache
            .increment(&answers_key(id), CHALLENGE_TTL)
            .await
            .map_err(unavailable)?;
        if number > MAX_FAILURES {
            return Err(expired());
        }
        Ok(AnswerNumber(number))
    }

    /// After a wrong answer: the fifth destroys the challenge.
    pub async fn record_failure(&self, id: &str, answer: AnswerNumber) -> Result<(), Error> {
        if answer.0 >= MAX_FAILURES {
            self.cache.delete(&key(id)).await.map_err(unavailable)?;
        }
        Ok(())
    }

    /// Uses the challenge up after a right answer; a TOKEN_ERROR when another request did
    /// so first.
    pub async fn complete(&self, id: &str) -> Result<ChallengeState, Error> {
        let value = self
            .cache
            .take(&key(id))
            .await
            .map_err(unavailable)?
            .ok_or_else(expired)?;
        serde_json::from_slice(&value).map_err(|_| expired())
    }
}
