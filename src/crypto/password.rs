//! Password hashing: argon2id at m = 19 MiB, t = 2, p = 1 (OWASP) as PHC strings. bcrypt
//! (`$2a$`/`$2b$`/`$2y$`) and argon2 hashes with other parameters still verify and are
//! reported for re-hashing, so imported users keep their passwords. Every hash runs on one
//! of a fixed set of hashing threads (`hash_workers`, one per core), never on the async
//! runtime; the queue is visible in the metrics. Each thread owns one 19 MiB working block,
//! reused by every hash it runs: a fresh block per hash leaves the allocator holding hundreds
//! of MiB after a burst of sign-ins, while this keeps memory at threads × 19 MiB. An unknown
//! user costs one verification too (a dummy hash), so timing does not reveal which emails
//! exist. Imported hashes of other kinds (`crypto::imported_hash`) verify here too, bounded,
//! and are re-hashed the same way.

use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::phc::{Output, ParamsString, Salt},
};
use prometheus::IntCounter;
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};

use super::{
    hash_workers::{HashWorkers, WorkerMetrics},
    imported_hash::ImportedHash,
};

/// OWASP's argon2id setting: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;
/// Bytes of salt and of hash output in the PHC strings Janua writes.
const SALT_LEN: usize = 16;
const OUTPUT_LEN: usize = 32;

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub matches: bool,
    /// The stored hash is not argon2id at the current setting: store a fresh hash.
    pub needs_rehash: bool,
}

/// What the hasher reports: the queue (see `HashWorkers`), and every verification (so tests
/// and operators can see that an unknown account costs one too).
#[derive(Clone)]
pub struct HashingMetrics {
    pub queue: WorkerMetrics,
    pub verifications: IntCounter,
}

pub struct PasswordHasher {
    argon2: Argon2<'static>,
    workers: HashWorkers,
    verifications: IntCounter,
    dummy_hash: String,
}

impl PasswordHasher {
    /// `threads`: how many hashes may run at once (the number of cores), each on a thread
    /// of its own with its own working block.
    pub async fn start(threads: usize, metrics: HashingMetrics) -> anyhow::Result<Self> {
        let params = Params::new(MEMORY_KIB, PASSES, LANES, Some(OUTPUT_LEN))
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let workers = HashWorkers::start(threads, MEMORY_KIB as usize, metrics.queue)?;
        let dummy = argon2.clone();
        let dummy_hash = workers
            .run(move |block| {
                hash_into(&dummy, b"janua dummy password for unknown accounts", block)
            })
            .await??;
        Ok(Self {
            argon2,
            workers,
            verifications: metrics.verifications,
            dummy_hash,
        })
    }

    /// A new argon2id PHC string for `password`.
    pub async fn hash(&self, password: &SecretString) -> anyhow::Result<String> {
        let argon2 = self.argon2.clone();
        let password = password.clone();
        self.workers
            .run(move |block| hash_into(&argon2, password.expose_secret().as_bytes(), block))
            .await?
    }

    /// Checks `password` against `stored`; with no stored hash (unknown user, no password)
    /// it still spends one verification and answers "no match".
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<&str>,
    ) -> anyhow::Result<Verified> {
        let argon2 = self.argon2.clone();
        let password = password.clone();
        let (stored, known) = match stored {
            Some(hash) => (hash.to_owned(), true),
            None => (self.dummy_hash.clone(), false),
        };
        let verified = self
            .workers
            .run(move |block| check(&argon2, password.expose_secret().as_bytes(), &stored, block))
            .await??;
        self.verifications.inc();
        Ok(Verified {
            matches: known && verified.matches,
            needs_rehash: known && verified.needs_rehash,
        })
    }
}

/// `password` hashed at the current setting with a fresh salt, as a PHC string.
fn hash_into(current: &Argon2<'_>, password: &[u8], block: &mut [Block]) -> anyhow::Result<String> {
    let mut salt = [0u8; SALT_LEN];
    rand::thread_rng().fill_bytes(&mut salt);
    let output = compute(current, password, &salt, block)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(current.params())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))?,
        salt: Some(Salt::new(&salt).map_err(|e| anyhow::anyhow!("argon2 salt: {e}"))?),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

fn compute(
    current: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    block: &mut [Block],
) -> anyhow::Result<Output> {
    let mut out = [0u8; OUTPUT_LEN];
    current
        .hash_password_into_with_memory(password, salt, &mut out, block)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Output::new(&out).map_err(|e| anyhow::anyhow!("argon2 output: {e}"))
}

/// Janua's own hashes (argon2id at the current setting) verify in the slot's block; anything
/// else (bcrypt, older argon2, every imported kind) is parsed with its parameters bounded,
/// checked, and reported for re-hashing when it matches.
fn check(
    current: &Argon2<'_>,
    password: &[u8],
    stored: &str,
    block: &mut [Block],
) -> anyhow::Result<Verified> {
    if let Ok(parsed) = PasswordHash::new(stored)
        && is_current_setting(&parsed)
        && let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash)
        && expected.len() == OUTPUT_LEN
    {
        // `Output`'s equality is constant-time.
        let computed = compute(current, password, salt, block)?;
        return Ok(Verified {
            matches: computed == *expected,
            needs_rehash: false,
        });
    }
    let imported = ImportedHash::parse(stored).context("stored password hash")?;
    let matches = imported.verify(password);
    Ok(Verified {
        matches,
        needs_rehash: matches,
    })
}

fn is_current_setting(parsed: &PasswordHash) -> bool {
    parsed.algorithm.as_str() == "argon2id"
        && parsed.version == Some(Version::V0x13.into())
        && Params::try_from(parsed).is_ok_and(|params| {
            (params.m_cost(), params.t_cost(), params.p_cost()) == (MEMORY_KIB, PASSES, LANES)
        })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use argon2::{PasswordHasher as _, PasswordVerifier as _};
    use prometheus::IntGauge;

    use super::*;

    async fn hasher() -> PasswordHasher {
        let metrics = HashingMetrics {
            queue: WorkerMetrics {
                in_flight: IntGauge::new("in_flight", "test").unwrap(),
                waiting: IntGauge::new("waiting", "test").unwrap(),
                abandoned: IntCounter::new("abandoned", "test").unwrap(),
            },
            verifications: IntCounter::new("verifications", "test").unwrap(),
        };
        PasswordHasher::start(2, metrics).await.unwrap()
    }

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[tokio::test]
    async fn hashes_are_argon2id_at_the_owasp_setting_and_verify() {
        let hasher = hasher().await;
        let hash = hasher.hash(&secret("correct horse battery")).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        // The argon2 crate's own verifier (its own working memory) agrees.
        Argon2::default()
            .verify_password(b"correct horse battery", &PasswordHash::new(&hash).unwrap())
            .unwrap();
        let ok = hasher
            .verify(&secret("correct horse battery"), Some(&hash))
            .await
            .unwrap();
        assert_eq!(
            ok,
            Verified {
                matches: true,
                needs_rehash: false
            }
        );
        let wrong = hasher
            .verify(&secret("wrong horse battery"), Some(&hash))
            .await
            .unwrap();
        assert!(!wrong.matches);
        assert_eq!(hasher.verifications.get(), 2);
    }

    #[tokio::test]
    async fn bcrypt_and_weaker_argon2_hashes_verify_and_ask_for_rehash() {
        let hasher = hasher().await;
        let bcrypt = bcrypt::hash("imported password", 4).unwrap();
        for prefix in ["$2a$", "$2y$"] {
            let variant = format!("{prefix}{}", &bcrypt[4..]);
            let verified = hasher
                .verify(&secret("imported password"), Some(&variant))
                .await
                .unwrap();
            assert_eq!(
                verified,
                Verified {
                    matches: true,
                    needs_rehash: true
                },
                "{prefix}"
            );
        }
        let weak = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        )
        .hash_password(b"old password")
        .unwrap()
        .to_string();
        let verified = hasher
            .verify(&secret("old password"), Some(&weak))
            .await
            .unwrap();
        assert_eq!(
            verified,
            Verified {
                matches: true,
                needs_rehash: true
            }
        );
        let wrong = hasher.verify(&secret("other"), Some(&weak)).await.unwrap();
        assert_eq!(
            wrong,
            Verified {
                matches: false,
                needs_rehash: false
            }
        );
    }

    #[tokio::test]
    async fn imported_hashes_verify_and_ask_for_rehash_and_hostile_ones_are_refused() {
        let hasher = hasher().await;
        // passlib's pbkdf2_sha256 of "correct horse battery" (imported_hash/vectors.json).
        let passlib = "$pbkdf2-sha256$1200$4lyrVUrJec.Zc66V8h7DOA$8xoqB/5vYVi8dGoNQChoxQHS9okdMPMK3ZWhfE/qWNQ";
        let verified = hasher
            .verify(&secret("correct horse battery"), Some(passlib))
            .await
            .unwrap();
        assert_eq!(
            verified,
            Verified {
                matches: true,
                needs_rehash: true
            }
        );
        let wrong = hasher
            .verify(&secret("other"), Some(passlib))
            .await
            .unwrap();
        assert!(!wrong.matches && !wrong.needs_rehash);
        let hostile = "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(hasher.verify(&secret("x"), Some(hostile)).await.is_err());
    }

    #[tokio::test]
    async fn unknown_accounts_never_match() {
        let verified = hasher()
            .await
            .verify(&secret("anything at all"), None)
            .await
            .unwrap();
        assert_eq!(
            verified,
            Verified {
                matches: false,
                needs_rehash: false
            }
        );
    }
}
