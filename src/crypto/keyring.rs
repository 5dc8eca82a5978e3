//! The JWT keyring: makes and rotates signing keys, signs tokens with the current key,
//! verifies tokens against every published key, and serves the JWKS.
//!
//! Keys live in the database (private part sealed by the field cipher) so every node shares
//! them. Each node keeps a decrypted snapshot and re-reads the table when the snapshot is
//! older than a few seconds, or at once when a token names a key it does not know, so a key
//! rotated on one node is used and published by all of them.

use std::{
    sync::{Arc, RwLock},
    time::Duration,
};

use anyhow::Context;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Header, Validation, jwk::JwkSet};
use sea_orm::DatabaseConnection;
use serde::{Serialize, de::DeserializeOwned};

use super::{
    FieldCipher, key_store,
    signing::{KeyPair, SigningAlgorithm},
    verified_tokens::{VerifiedTokens, expired},
};
use crate::{
    audit::{self, Actor, AuditEvent},
    clock::Clock,
    error::Error,
    store::entities::signing_key,
};

/// How long a snapshot is trusted before the table is read again.
const SNAPSHOT_MAX_AGE: Duration = Duration::from_secs(5);
/// The least time between two reloads forced by unknown key ids (bounds the cost of junk tokens).
const UNKNOWN_KID_RELOAD_GAP: Duration = Duration::from_secs(1);
/// Clock skew allowed when checking `exp`, and added to the publication of retired keys.
const LEEWAY: Duration = Duration::from_secs(60);

/// The JWT `typ` of the access tokens Janua issues to OAuth clients (RFC 9068).
pub const CLIENT_ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Which tokens a verification accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// Janua's own (access tokens of its API): `aud` is Janua's issuer, `typ` not `at+jwt`.
    Janua,
    /// An OAuth client's access token: `typ: at+jwt`, `aud` the client's.
    ClientAccessToken,
    /// An ID token presented back as a logout hint: `aud` a client's, expiry not checked.
    IdTokenHint,
}

struct LoadedKey {
    kid: String,
    algorithm: SigningAlgorithm,
    pair: KeyPair,
    may_sign: bool,
}

struct Snapshot {
    /// When it was read, by the keyring's clock; None until the table has been read once.
    loaded_at: Option<DateTime<Utc>>,
    keys: Vec<Arc<LoadedKey>>,
}

impl Snapshot {
    fn younger_than(&self, age: Duration, now: DateTime<Utc>) -> bool {
        self.loaded_at
            .is_some_and(|at| (now - at).to_std().is_ok_and(|elapsed| elapsed < age))
    }
}

/// A key as `janua keys list` shows it.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub kid: String,
    pub algorithm: String,
    pub created_at: DateTime<Utc>,
    pub status: KeyStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStatus {
    /// Signs new tokens.
    Active,
    /// No longer signs; published until the given time so its tokens still verify.
    Retiring(DateTime<Utc>),
    Retired(DateTime<Utc>),
}

pub struct Keyring {
    db: DatabaseConnection,
    cipher: FieldCipher,
    algorithm: SigningAlgorithm,
    issuer: String,
    access_token_ttl: Duration,
    clock: Arc<dyn Clock>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// Access tokens (Janua's and OAuth clients') verified before, so a signature is
    /// checked once per node.
    pub(super) verified: VerifiedTokens,
    reload_lock: tokio::sync::Mutex<()>,
}

impl Keyring {
    /// A keyring over the `signing_keys` table; reads nothing yet.
    pub fn new(
        db: DatabaseConnection,
        cipher: FieldCipher,
        algorithm: SigningAlgorithm,
        issuer: String,
        access_token_ttl: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            db,
            cipher,
            algorithm,
            issuer,
            access_token_ttl,
            clock,
            verified: VerifiedTokens::new(access_token_ttl + LEEWAY),
            snapshot: RwLock::new(Arc::new(Snapshot {
                loaded_at: None,
                keys: Vec::new(),
            })),
            reload_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Makes sure a key of each algorithm in use signs: creates them on first start, or
    /// rotates when `JWT_ALGORITHM` changed. RS256 is always among them: OpenID Connect
    /// relying parties must be able to verify ID tokens with it.
    pub async fn ensure_signing_key(&self) -> anyhow::Result<()> {
        for algorithm in self.algorithms_in_use() {
            let snapshot = self.reload().await?;
            if !snapshot
                .keys
                .iter()
                .any(|k| k.may_sign && k.algorithm == algorithm)
            {
                let kid = self.rotate_algorithm(algorithm).await?;
                tracing::info!(kid, %algorithm, "created a signing key");
            }
        }
        Ok(())
    }

    /// `JWT_ALGORITHM`, and RS256 for ID tokens when that is another one.
    fn algorithms_in_use(&self) -> Vec<SigningAlgorithm> {
        let mut algorithms = vec![self.algorithm];
        if self.algorithm != SigningAlgorithm::Rs256 {
            algorithms.push(SigningAlgorithm::Rs256);
        }
        algorithms
    }

    /// The issuer (`iss`) and audience (`aud`) of the tokens this keyring signs.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs `claims` with the current key; the header carries its `kid`.
    pub async fn sign<C: Serialize>(&self, claims: &C) -> Result<String, Error> {
        self.sign_typed(None, self.algorithm, claims).await
    }

    /// Signs an OpenID Connect ID token: always RS256 (OIDC Core §15.1), with the current
    /// RS256 key, whatever `JWT_ALGORITHM` is.
    pub async fn sign_id_token<C: Serialize>(&self, claims: &C) -> Result<String, Error> {
        self.sign_typed(None, SigningAlgorithm::Rs256, claims).await
    }

    /// An access token for an OAuth client (RFC 9068): signed like [`Self::sign`], with
    /// `typ: at+jwt` in the header.
    pub async fn sign_client_access_token<C: Serialize>(
        &self,
        claims: &C,
    ) -> Result<String, Error> {
        self.sign_typed(Some(CLIENT_ACCESS_TOKEN_TYPE), self.algorithm, claims)
            .await
    }

    async fn sign_typed<C: Serialize>(
        &self,
        typ: Option<&str>,
        algorithm: SigningAlgorithm,
        claims: &C,
    ) -> Result<String, Error> {
        let snapshot = self.fresh_snapshot().await?;
        let key = snapshot
            .keys
            .iter()
            .find(|k| k.may_sign && k.algorithm == algorithm)
            .context("no signing key of the algorithm is active")?;
        let mut header = Header::new(key.algorithm.jwt_algorithm());
        header.kid = Some(key.kid.clone());
        if let Some(typ) = typ {
            header.typ = Some(typ.to_owned());
        }
        if algorithm != SigningAlgorithm::Rs256 {
            return Ok(key.pair.sign(&header, claims).context("signing a token")?);
        }
        // An RSA-2048 private operation is a quarter of a millisecond of CPU: on the
        // blocking pool, so it does not hold up the runtime's workers (among them the task
        // holding SQLite's write turn, whose every statement waits for a worker to resume).
        let claims = serde_json::value::to_raw_value(claims).context("serializing claims")?;
        let key = Arc::clone(key);
        let token = tokio::task::spawn_blocking(move || key.pair.sign(&header, &claims))
            .await
            .context("the signing task")?;
        Ok(token.context("signing a token")?)
    }

    /// Verifies signature, `iss`, `aud` (Janua's issuer) and `exp` against the published
    /// keys and returns the claims. Every failure is a `TOKEN_ERROR`. An OAuth client's
    /// access token (`typ: at+jwt`) is refused here whatever its audience: it is never a
    /// credential for Janua's own API.
    /// A token verified before on this node is answered from `verified` (see
    /// `verified_tokens`: expiry and key are re-checked, the signature is not).
    pub async fn verify<C: DeserializeOwned + Clone + Send + Sync + 'static>(
        &self,
        token: &str,
    ) -> Result<C, Error> {
        self.verify_remembered(token, TokenKind::Janua).await
    }

    /// Verifies an access token Janua issued to an OAuth client (`typ: at+jwt`): signature,
    /// `iss` and `exp`; its `aud` is the client's, which the caller compares if it must.
    /// Remembered like [`Self::verify`], as another kind: neither answers for the other.
    pub async fn verify_client_access_token<C: DeserializeOwned + Clone + Send + Sync + 'static>(
        &self,
        token: &str,
    ) -> Result<C, Error> {
        self.verify_remembered(token, TokenKind::ClientAccessToken)
            .await
    }

    /// `verify_claims` of an access token, through `verified`. (ID token hints are never
    /// remembered: their expiry is not checked, so a hit would have nothing to re-check.)
    async fn verify_remembered<C: DeserializeOwned + Clone + Send + Sync + 'static>(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<C, Error> {
        let key = VerifiedTokens::key(kind, token);
        if let Some((entry, claims)) = self.verified.get::<C>(&key) {
            let snapshot = self.fresh_snapshot().await?;
            if !expired(entry.exp, self.clock.now(), LEEWAY)
                && self.find(&snapshot, &entry.kid).is_some()
            {
                return Ok(claims);
            }
            self.verified.forget(&key);
        }
        let (kid, claims) = self.verify_claims(token, kind).await?;
        let exp = claims.get("exp").and_then(serde_json::Value::as_i64);
        let claims: C =
            serde_json::from_value(claims).map_err(|_| Error::Token("invalid token".into()))?;
        if let Some(exp) = exp {
            self.verified.insert(key, &kid, exp, claims.clone());
        }
        Ok(claims)
    }

    /// Verifies an ID token Janua issued, presented as RP-initiated logout's
    /// `id_token_hint`: signature and `iss`, but neither `exp` (OIDC RP-Initiated Logout
    /// §2: an expired one is a fine hint) nor `aud`, which the caller compares.
    pub async fn verify_id_token_hint<C: DeserializeOwned>(&self, token: &str) -> Result<C, Error> {
        self.verify_as(token, TokenKind::IdTokenHint).await
    }

    async fn verify_as<C: DeserializeOwned>(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<C, Error> {
        let (_, claims) = self.verify_claims(token, kind).await?;
        serde_json::from_value(claims).map_err(|_| Error::Token("invalid token".into()))
    }

    /// Checks `token` as `kind` and returns the id of the key that signed it and its claims.
    async fn verify_claims(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<(String, serde_json::Value), Error> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Error::Token("malformed token".into()))?;
        let is_client_token = header
            .typ
            .as_deref()
            .is_some_and(|typ| typ.eq_ignore_ascii_case(CLIENT_ACCESS_TOKEN_TYPE));
        if is_client_token != (kind == TokenKind::ClientAccessToken) {
            return Err(Error::Token("token of another kind".into()));
        }
        let kid = header
            .kid
            .ok_or_else(|| Error::Token("token has no key id".into()))?;
        let snapshot = self.fresh_snapshot().await?;
        let key = match self.find(&snapshot, &kid) {
            Some(key) => key,
            None => {
                let reloaded = self.reload_for_unknown_kid().await?;
                self.find(&reloaded, &kid)
                    .ok_or_else(|| Error::Token("token signed by an unknown key".into()))?
            }
        };
        let mut validation = Validation::new(key.algorithm.jwt_algorithm());
        validation.set_issuer(&[&self.issuer]);
        match kind {
            TokenKind::Janua => validation.set_audience(&[&self.issuer]),
            TokenKind::ClientAccessToken | TokenKind::IdTokenHint => {
                validation.validate_aud = false;
            }
        }
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // `exp` is checked below against the keyring's clock, not the system's.
        validation.validate_exp = false;
        let claims =
            jsonwebtoken::decode::<serde_json::Value>(token, &key.pair.decoding, &validation)
                .map_err(|err| Error::Token(token_problem(&err).into()))?
                .claims;
        if kind != TokenKind::IdTokenHint {
            check_expiry(&claims, self.clock.now())?;
        }
        Ok((kid, claims))
    }

    /// The public keys of every key not yet retired.
    pub async fn jwks(&self) -> Result<JwkSet, Error> {
        let snapshot = self.fresh_snapshot().await?;
        Ok(JwkSet {
            keys: snapshot.keys.iter().map(|k| k.pair.jwk.clone()).collect(),
        })
    }

    /// Opens every published key with this keyring's field key, writing nothing: an error
    /// (naming FIELD_ENCRYPTION_KEY) when that key is not the one the database was sealed
    /// with. The number of keys opened.
    pub async fn open_published_keys(&self) -> anyhow::Result<usize> {
        Ok(self.reload().await?.keys.len())
    }

    /// Makes a new signing key of the configured algorithm (and a new RS256 key for ID
    /// tokens when that is another one); its kid. The keys they replace stay published
    /// until the last token they signed has expired.
    pub async fn rotate(&self) -> anyhow::Result<String> {
        let kid = self.rotate_algorithm(self.algorithm).await?;
        if self.algorithm != SigningAlgorithm::Rs256 {
            self.rotate_algorithm(SigningAlgorithm::Rs256).await?;
        }
        Ok(kid)
    }

    /// A new signing key of `algorithm`, replacing the live keys of that algorithm and of
    /// any algorithm no longer in use.
    async fn rotate_algorithm(&self, algorithm: SigningAlgorithm) -> anyhow::Result<String> {
        let pem = tokio::task::spawn_blocking(move || algorithm.generate_private_pem()).await??;
        let now = self.clock.now();
        let kid = uuid::Uuid::now_v7().simple().to_string();
        let pair = KeyPair::from_private_pem(algorithm, &kid, pem.as_bytes())?;
        let model = signing_key::Model {
            id: uuid::Uuid::now_v7().to_string(),
            kid: kid.clone(),
            algorithm: algorithm.to_string(),
            public_jwk: serde_json::to_string(&pair.jwk)?,
            private_key_encrypted: self.cipher.seal(pem.as_bytes(), &seal_context(&kid))?,
            created_at: now,
            retire_at: None,
        };
        let retire_at = now + self.access_token_ttl + LEEWAY;
        let kept: Vec<String> = self
            .algorithms_in_use()
            .into_iter()
            .filter(|a| *a != algorithm)
            .map(|a| a.to_string())
            .collect();
        key_store::replace_signing_key(&self.db, model, &kept, retire_at).await?;
        let event =
            AuditEvent::new("signing_key.rotated", Actor::System).target("signing_key", &kid);
        audit::record(&self.db, now, event).await?;
        self.reload().await?;
        Ok(kid)
    }

    fn find(&self, snapshot: &Snapshot, kid: &str) -> Option<Arc<LoadedKey>> {
        snapshot.keys.iter().find(|k| k.kid == kid).cloned()
    }

    fn current(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    async fn fresh_snapshot(&self) -> anyhow::Result<Arc<Snapshot>> {
        let snapshot = self.current();
        if snapshot.younger_than(SNAPSHOT_MAX_AGE, self.clock.now()) {
            return Ok(snapshot);
        }
        // One reload at a time; others keep using the snapshot they have.
        match self.reload_lock.try_lock() {
            Ok(_guard) => self.load_into_snapshot().await,
            Err(_) if snapshot.loaded_at.is_some() => Ok(snapshot),
            Err(_) => self.reload().await,
        }
    }

    async fn reload_for_unknown_kid(&self) -> anyhow::Result<Arc<Snapshot>> {
        let _guard = self.reload_lock.lock().await;
        let snapshot = self.current();
        if snapshot.younger_than(UNKNOWN_KID_RELOAD_GAP, self.clock.now()) {
            return Ok(snapshot);
        }
        self.load_into_snapshot().await
    }

    async fn reload(&self) -> anyhow::Result<Arc<Snapshot>> {
        let _guard = self.reload_lock.lock().await;
        self.load_into_snapshot().await
    }

    /// Reads the published keys; keys already decrypted are reused.
    async fn load_into_snapshot(&self) -> anyhow::Result<Arc<Snapshot>> {
        let previous = self.current();
        let rows = key_store::published(&self.db, self.clock.now()).await?;
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            let may_sign = row.retire_at.is_none();
            let key = match self.find(&previous, &row.kid) {
                Some(known) if known.may_sign == may_sign => known,
                _ => Arc::new(self.decrypt(row, may_sign)?),
            };
            keys.push(key);
        }
        let snapshot = Arc::new(Snapshot {
            loaded_at: Some(self.clock.now()),
            keys,
        });
        match self.snapshot.write() {
            Ok(mut guard) => *guard = snapshot.clone(),
            Err(poisoned) => *poisoned.into_inner() = snapshot.clone(),
        }
        Ok(snapshot)
    }

    fn decrypt(&self, row: signing_key::Model, may_sign: bool) -> anyhow::Result<LoadedKey> {
        let algorithm: SigningAlgorithm = row.algorithm.parse()?;
        let pem = self
            .cipher
            .open(&row.private_key_encrypted, &seal_context(&row.kid))
            .with_context(|| format!("opening signing key {}", row.kid))?;
        Ok(LoadedKey {
            pair: KeyPair::from_private_pem(algorithm, &row.kid, &pem)?,
            kid: row.kid,
            algorithm,
            may_sign,
        })
    }
}

/// Binds a sealed private key to its key id.
fn seal_context(kid: &str) -> String {
    format!("signing_key:{kid}")
}

/// `exp` (whole seconds, required) against `now`, allowing [`LEEWAY`] of clock skew.
fn check_expiry(claims: &serde_json::Value, now: DateTime<Utc>) -> Result<(), Error> {
    let exp = claims
        .get("exp")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| Error::Token("invalid token".into()))?;
    let exp = i128::from(exp);
    let oldest_allowed = i128::from(now.timestamp()) - i128::from(LEEWAY.as_secs());
    if exp < oldest_allowed {
        return Err(Error::Token("token expired".into()));
    }
    Ok(())
}

fn token_problem(err: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    match err.kind() {
        ErrorKind::ExpiredSignature => "token expired",
        ErrorKind::InvalidSignature => "invalid token signature",
        ErrorKind::InvalidIssuer => "token issued by another issuer",
        ErrorKind::InvalidAudience => "token meant for another audience",
        ErrorKind::ImmatureSignature => "token not yet valid",
        _ => "invalid token",
    }
}

/// Every signing key, newest first, with its status at `now`. Needs no field key: the private
/// parts stay sealed (`janua keys list` reads a database without unlocking anything).
pub async fn list_keys(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<KeyInfo>> {
    Ok(key_store::all(db)
        .await?
        .into_iter()
        .map(|row| KeyInfo {
            status: match row.retire_at {
                None => KeyStatus::Active,
                Some(at) if at > now => KeyStatus::Retiring(at),
                Some(at) => KeyStatus::Retired(at),
            },
            kid: row.kid,
            algorithm: row.algorithm,
            created_at: row.created_at,
        })
        .collect())
}
