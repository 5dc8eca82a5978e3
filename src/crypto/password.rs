//! Password hashing: argon2id at m = 19 MiB, t = 2, p = 1 (OWASP) as PHC strings. bcrypt
//! (`$2a$`/`$2b$`/`$2y$`) and argon2 hashes with other parameters still verify and are
//! reported for re-hashing, so imported users keep their passwords. Every hash runs on the
//! blocking pool behind a semaphore sized to the cores, never on the async runtime; the
//! queue is visible in the metrics. Each slot owns one 19 MiB working block, reused by
//! every hash it runs: a fresh block per hash leaves glibc's per-thread arenas holding
//! hundreds of MiB after a burst of sign-ins, while this keeps memory at slots × 19 MiB. An unknown user costs one verification too (a dummy
//! hash), so timing does not reveal which emails exist. Imported hashes of other kinds
//! (`crypto::imported_hash`) verify here too, bounded, and are re-hashed the same way.

use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::phc::{Output, ParamsString, Salt},
};
use prometheus::{IntCounter, IntGauge};
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use super::imported_hash::ImportedHash;

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

/// What the hasher reports: the queue, and every verification (so tests and operators can
/// see that an unknown account costs one too).
#[derive(Clone)]
pub struct HashingMetrics {
    pub in_flight: IntGauge,
    pub waiting: IntGauge,
    pub verifications: IntCounter,
}

pub struct PasswordHasher {
    argon2: Argon2<'static>,
    slots: Arc<Semaphore>,
    /// The working blocks of the slots: at most one per slot is ever taken.
    memory: Arc<WorkingMemory>,
    metrics: HashingMetrics,
    dummy_hash: String,
}

impl PasswordHasher {
    /// `slots`: how many hashes may run at once (the number of cores).
    pub fn new(slots: usize, metrics: HashingMetrics) -> anyhow::Result<Self> {
        let params = Params::new(MEMORY_KIB, PASSES, LANES, Some(OUTPUT_LEN))
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let memory = Arc::new(WorkingMemory::default());
        let dummy_hash = memory.with_block(|block| {
            hash_into(&argon2, b"janua dummy password for unknown accounts", block)
        })?;
        Ok(Self {
            argon2,
            slots: Arc::new(Semaphore::new(slots.max(1))),
            memory,
            metrics,
            dummy_hash,
        })
    }

    /// A new argon2id PHC string for `password`.
    pub async fn hash(&self, password: &SecretString) -> anyhow::Result<String> {
        let argon2 = self.argon2.clone();
        let password = password.clone();
        self.run(move |block| hash_into(&argon2, password.expose_secret().as_bytes(), block))
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
            .run(move |block| check(&argon2, password.expose_secret().as_bytes(), &stored, block))
            .await??;
        self.metrics.verifications.inc();
        Ok(Verified {
            matches: known && verified.matches,
            needs_rehash: known && verified.needs_rehash,
        })
    }

    /// Runs `job` on the blocking pool once a slot is free, lending it the slot's block.
    /// The slot goes with the hash, not with the caller: a caller dropped mid-hash (its
    /// client went away) leaves the hash running, and must not let another start beside it,
    /// or clients that disconnect would get more hashes (and blocks) than there are slots.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let permit = {
            let _waiting = Counted::new(&self.metrics.waiting);
            self.slots.clone().acquire_owned().await
        };
        let permit = permit.context("password hashing is shut down")?;
        let memory = self.memory.clone();
        let in_flight = self.metrics.in_flight.clone();
        let result = tokio::task::spawn_blocking(move || {
            let _slot = permit;
            let _in_flight = Counted::new(&in_flight);
            memory.with_block(job)
        })
        .await;
        result.context("password hashing task failed")
    }
}

/// One in `gauge` while it lives, however its scope ends.
struct Counted(IntGauge);

impl Counted {
    fn new(gauge: &IntGauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Working blocks of `MEMORY_KIB` KiB, taken by a running hash and put back after it. The
/// semaphore in front bounds how many are out at once, so the pool never grows past the slots.
#[derive(Default)]
struct WorkingMemory {
    free: Mutex<Vec<Box<[Block]>>>,
}

impl WorkingMemory {
    fn with_block<T>(&self, job: impl FnOnce(&mut [Block]) -> T) -> T {
        let taken = self
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut block =
            taken.unwrap_or_else(|| vec![Block::default(); MEMORY_KIB as usize].into_boxed_slice());
        let result = job(&mut block);
        self.free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(block);
        result
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

    use super::*;

    fn hasher() -> PasswordHasher {
        let metrics = HashingMetrics {
            in_flight: IntGauge::new("in_flight", "test").unwrap(),
            waiting: IntGauge::new("waiting", "test").unwrap(),
            verifications: IntCounter::new("verifications", "test").unwrap(),
        };
        PasswordHasher::new(2, metrics).unwrap()
    }

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    /// `count` hashes of distinct passwords, each in a task of its own.
    fn spawn_hashes(
        hasher: &Arc<PasswordHasher>,
        prefix: &str,
        count: usize,
    ) -> Vec<tokio::task::JoinHandle<anyhow::Result<String>>> {
        (0..count)
            .map(|i| {
                let hasher = hasher.clone();
                let password = secret(&format!("{prefix} {i}"));
                tokio::spawn(async move { hasher.hash(&password).await })
            })
            .collect()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_at_the_owasp_setting_and_verify() {
        let hasher = hasher();
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
        assert_eq!(hasher.metrics.in_flight.get(), 0);
        assert_eq!(hasher.metrics.waiting.get(), 0);
        assert_eq!(hasher.metrics.verifications.get(), 2);
    }

    #[tokio::test]
    async fn bcrypt_and_weaker_argon2_hashes_verify_and_ask_for_rehash() {
        let hasher = hasher();
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
        let hasher = hasher();
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_hashes_share_one_block_per_slot() {
        let hasher = Arc::new(hasher());
        for job in spawn_hashes(&hasher, "password", 8) {
            job.await.unwrap().unwrap();
        }
        let blocks = hasher.memory.free.lock().unwrap().len();
        assert!((1..=2).contains(&blocks), "{blocks} blocks for 2 slots");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_that_stop_waiting_mid_hash_leave_no_room_for_more_hashes() {
        let hasher = Arc::new(hasher());
        let started = spawn_hashes(&hasher, "dropped", 4);
        while hasher.metrics.in_flight.get() < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        // The clients go away while two hashes run and two wait; eight more arrive.
        for caller in &started {
            caller.abort();
        }
        let mut most_in_flight = 0;
        for job in spawn_hashes(&hasher, "next", 8) {
            most_in_flight = most_in_flight.max(hasher.metrics.in_flight.get());
            job.await.unwrap().unwrap();
        }
        assert!(
            most_in_flight <= 2,
            "{most_in_flight} hashes at once for 2 slots"
        );
        let blocks = hasher.memory.free.lock().unwrap().len();
        assert!((1..=2).contains(&blocks), "{blocks} blocks for 2 slots");
        assert_eq!(hasher.metrics.in_flight.get(), 0);
        assert_eq!(hasher.metrics.waiting.get(), 0);
    }
}
