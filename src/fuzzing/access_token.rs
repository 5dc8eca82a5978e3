//! Access tokens: what `authorization: Bearer …` (or `x-api-key`) carries, through the same
//! `Authenticator` every RPC uses, over a real keyring in a throw-away SQLite database.
//!
//! Modes (first byte): 0, the input is the credential, which must be refused as a token or
//! credential error, never an internal one; 1, the input is a JSON claims object signed with
//! the real key, which must either authenticate as exactly what it claims (issuer, audience,
//! subject, unexpired) or be refused as a token error; 2, the input is edits (position, byte)
//! to a valid token, and any change at all must be refused.

use std::{sync::Arc, time::Duration};

use serde_json::{Value, json};
use tokio::runtime::Runtime;

use super::mode;
use crate::{
    auth::Authenticator,
    cache::InProcessCache,
    clock::{Clock, SystemClock},
    credentials::Email,
    crypto::{FieldCipher, FieldKey, Keyring, SigningAlgorithm},
    error::Error,
    principal::Caller,
    revocation::Revocations,
    store::{
        self, accounts,
        entities::{session, user},
        sessions,
    },
};

const ISSUER: &str = "https://id.fuzz.example";
/// The live session the reference token (and any claims naming it) belongs to.
const SESSION_ID: &str = "0193a8f0-0000-7000-8000-0000000000a1";
const USER_ID: &str = "0193a8f0-0000-7000-8000-000000000001";
const TOKEN_TTL: Duration = Duration::from_secs(900);
/// The clock skew the keyring allows on `exp`.
const LEEWAY_SECONDS: i64 = 60;

pub struct AccessTokenHarness {
    runtime: Runtime,
    keyring: Arc<Keyring>,
    authenticator: Authenticator,
    /// A token the harness signed at start, valid for the whole run.
    valid_token: String,
    _database: tempfile::TempDir,
}

impl AccessTokenHarness {
    #[expect(
        clippy::expect_used,
        reason = "set-up failures end the run; a harness may panic"
    )]
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let database = tempfile::tempdir().expect("a temporary directory");
        let url = format!(
            "sqlite://{}?mode=rwc",
            database.path().join("janua.db").display()
        );
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let (keyring, authenticator) = runtime.block_on(async {
            let db = store::connect(&url).await.expect("the fuzz database");
            store::migrate(&db).await.expect("migrations");
            let key = FieldKey::parse(&"11".repeat(32)).expect("a field key");
            let keyring = Arc::new(Keyring::new(
                db.clone(),
                FieldCipher::new(&key),
                SigningAlgorithm::EdDsa,
                ISSUER.to_owned(),
                TOKEN_TTL,
                clock.clone(),
            ));
            keyring.ensure_signing_key().await.expect("a signing key");
            let now = clock.now();
            let email = Email::parse("email", "fuzz@example.com").expect("an email");
            let user = user::Model {
                id: USER_ID.into(),
                ..accounts::new_account(&email, now)
            };
            accounts::insert(&db, user)
                .await
                .expect("the reference user");
            let session = session::Model {
                id: SESSION_ID.into(),
                user_id: USER_ID.into(),
                organization_id: None,
                user_agent: None,
                ip_address: None,
                amr: "pwd".into(),
                created_at: now,
                last_used_at: now,
                expires_at: now + chrono::Duration::days(30),
                revoked_at: None,
                revoked_reason: None,
            };
            sessions::insert_session(&db, session)
                .await
                .expect("the reference session");
            let cache = Arc::new(InProcessCache::new("fuzz:"));
            let revocations = Arc::new(Revocations::new(
                cache,
                db.clone(),
                clock.clone(),
                TOKEN_TTL,
            ));
            let authenticator = Authenticator::new(keyring.clone(), revocations, db, clock.clone());
            (keyring, authenticator)
        });
        let now = clock.now().timestamp();
        let claims = json!({
            "iss": ISSUER, "aud": ISSUER, "sub": USER_ID,
            "exp": now + 86_400, "iat": now, "jti": "j1", "sid": SESSION_ID, "amr": ["pwd"],
        });
        let valid_token = runtime
            .block_on(keyring.sign(&claims))
            .expect("signing the reference token");
        let harness = Self {
            runtime,
            keyring,
            authenticator,
            valid_token,
            _database: database,
        };
        assert!(
            matches!(
                harness.authenticate(&harness.valid_token),
                Ok(Caller::User(_))
            ),
            "the reference token must authenticate"
        );
        harness
    }

    pub fn run(&self, data: &[u8]) {
        match mode(data, 3) {
            Some((0, credential)) => self.any_credential(&String::from_utf8_lossy(credential)),
            Some((1, claims)) => self.signed_claims(claims),
            Some((_, edits)) => self.edited_token(edits),
            None => {}
        }
    }

    fn authenticate(&self, credential: &str) -> Result<Caller, Error> {
        self.runtime
            .block_on(self.authenticator.authenticate(credential))
    }

    fn any_credential(&self, credential: &str) {
        if credential == self.valid_token {
            return;
        }
        let outcome = self.authenticate(credential);
        assert!(
            refused_as_a_client_error(&outcome),
            "credential {credential:?}: {outcome:?}"
        );
    }

    fn signed_claims(&self, claims: &[u8]) {
        let Ok(claims @ Value::Object(_)) = serde_json::from_slice::<Value>(claims) else {
            return;
        };
        let Ok(token) = self.runtime.block_on(self.keyring.sign(&claims)) else {
            return;
        };
        match self.authenticate(&token) {
            Ok(Caller::User(principal)) => {
                let now = chrono::Utc::now().timestamp();
                assert_eq!(claims["iss"], ISSUER, "accepted another issuer: {claims}");
                assert_eq!(claims["aud"], ISSUER, "accepted another audience: {claims}");
                assert_eq!(
                    claims["sub"],
                    principal.user_id.as_str(),
                    "subject changed: {claims}"
                );
                assert_eq!(
                    claims["sid"],
                    principal.session_id.as_str(),
                    "session changed: {claims}"
                );
                let expires = claims["exp"].as_f64().unwrap_or(f64::MIN);
                assert!(
                    expires >= (now - LEEWAY_SECONDS) as f64,
                    "accepted an expired token: {claims}"
                );
            }
            outcome => assert!(
                refused_as_a_client_error(&outcome),
                "claims {claims}: {outcome:?}"
            ),
        }
    }

    fn edited_token(&self, edits: &[u8]) {
        let mut token = self.valid_token.clone().into_bytes();
        for edit in edits.chunks_exact(3) {
            let at = usize::from(u16::from_le_bytes([edit[0], edit[1]])) % token.len();
            token[at] = edit[2];
        }
        let Ok(token) = String::from_utf8(token) else {
            return;
        };
        if token != self.valid_token {
            let outcome = self.authenticate(&token);
            assert!(
                matches!(outcome, Err(Error::Token(_))),
                "an edited token {token:?}: {outcome:?}"
            );
        }
    }
}

impl Default for AccessTokenHarness {
    fn default() -> Self {
        Self::new()
    }
}

/// Refused, and as the caller's mistake (a bad token or unknown API key), not a fault.
fn refused_as_a_client_error(outcome: &Result<Caller, Error>) -> bool {
    matches!(outcome, Err(Error::Token(_) | Error::Authentication))
}
