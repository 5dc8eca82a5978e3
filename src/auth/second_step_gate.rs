//! Whether a sign-in needs a second step, asked once the first factor (password, magic link,
//! SSO) is proven. Multi-factor authentication sits above this capability: it implements
//! `SecondStepGate`, and start-up gives it to `Authentication`, so authentication asks
//! without importing it.

use chrono::{DateTime, Utc};

use crate::error::Error;

/// A challenge as the client sees it.
#[derive(Debug, Clone)]
pub struct IssuedChallenge {
    pub id: String,
    pub methods: Vec<String>,
    pub expires_at: DateTime<Utc>,
    /// PublicKeyCredentialRequestOptionsJSON when "passkey" is a method.
    pub passkey_options_json: Option<String>,
    /// The SMS and email factors a code can be sent to ("sms", "email" methods).
    pub code_destinations: Vec<CodeDestination>,
}

/// A factor a sign-in code can be sent to, as the challenge offers it.
#[derive(Debug, Clone)]
pub struct CodeDestination {
    pub factor_id: String,
    /// "sms" or "email".
    pub method: String,
    /// `+1 ••• ••• ••42`, `a•••@example.com`.
    pub masked_destination: String,
}

/// Decides, after a first factor, whether the sign-in must answer a challenge first.
#[async_trait::async_trait]
pub trait SecondStepGate: Send + Sync {
    /// A challenge when the user has an active second factor; None when the first factor
    /// is enough. `amr` names the factors already proven; the session opened after the
    /// challenge is scoped to `organization_id`.
    async fn challenge_if_enrolled(
        &self,
        user_id: &str,
        amr: &[&str],
        organization_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<IssuedChallenge>, Error>;
}
