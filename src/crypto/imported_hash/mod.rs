//! Password hashes brought in from another system (`janua import`): bcrypt, argon2id/argon2i,
//! PBKDF2 (SHA-1/256/512 in the PHC, passlib, Django and Keycloak layouts), scrypt, Firebase's
//! modified scrypt, salted MD5/SHA digests and their HMAC variants, and LDAP `{SSHA}`-style
//! values. Each is parsed into an `ImportedHash` whose every cost parameter is bounded *at
//! parse time* (argon2 m ≤ 256 MiB, t ≤ 16; scrypt N ≤ 2²⁰ and at most 256 MiB; bcrypt cost
//! ≤ 16; PBKDF2 ≤ 5,000,000 iterations), so a hostile value is refused before any work, at
//! import and again at every sign-in (the stored text is parsed each time).
//!
//! A parsed hash is stored in `users.password_hash` as one self-describing text
//! (`ImportedHash::stored`), which `ImportedHash::parse` reads back: bcrypt and argon2 as they
//! came, PBKDF2 and scrypt as PHC strings, and Janua's own PHC-like forms for the rest
//! (`$firebase-scrypt$`, `$salted-<digest>$`, `$hmac-<digest>$`). Verification compares in
//! constant time. The password hasher (`crypto::password`) calls it on the blocking pool and
//! re-hashes to argon2id after the first successful sign-in. Nothing here touches the
//! database or logs a hash.

mod formats;
mod structured;
#[cfg(test)]
mod tests;

use argon2::{Argon2, PasswordHash, PasswordVerifier as _};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq as _;

pub use structured::{FirebaseProject, SaltPosition};

/// argon2's memory bound, in KiB (256 MiB).
pub const MAX_ARGON2_MEMORY_KIB: u32 = 256 * 1024;
pub const MAX_ARGON2_PASSES: u32 = 16;
pub const MAX_ARGON2_LANES: u32 = 16;
/// scrypt's N bound, as log2 (N ≤ 2²⁰), and its memory bound (128·N·r bytes).
pub const MAX_SCRYPT_LOG_N: u8 = 20;
pub const MAX_SCRYPT_MEMORY_BYTES: u64 = 256 * 1024 * 1024;
pub const MAX_SCRYPT_R: u32 = 32;
pub const MAX_SCRYPT_P: u32 = 16;
pub const MAX_BCRYPT_COST: u32 = 16;
pub const MAX_PBKDF2_ITERATIONS: u32 = 5_000_000;
/// Longest hash text, salt and digest accepted (anything longer is not a password hash).
const MAX_TEXT_LEN: usize = 4096;
const MAX_SALT_LEN: usize = 1024;
const MAX_OUTPUT_LEN: usize = 256;

/// Why an imported hash was refused; the import counts each kind (`code`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error("unknown password hash format")]
    Unknown,
    #[error("malformed password hash: {0}")]
    Malformed(String),
    #[error("password hash parameter out of bounds: {0}")]
    OutOfBounds(String),
}

impl HashError {
    /// The stable code an import report names.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unknown => "hash_unknown",
            Self::Malformed(_) => "hash_malformed",
            Self::OutOfBounds(_) => "hash_out_of_bounds",
        }
    }

    fn malformed(what: impl Into<String>) -> Self {
        Self::Malformed(what.into())
    }
}

/// The digest under a PBKDF2, salted-digest or HMAC hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestKind {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl DigestKind {
    fn name(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().replace('-', "").as_str() {
            "md5" => Some(Self::Md5),
            "sha1" => Some(Self::Sha1),
            "sha256" => Some(Self::Sha256),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    fn output_len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut hasher = D::new();
            for part in parts {
                hasher.update(part);
            }
            hasher.finalize().to_vec()
        }
        match self {
            Self::Md5 => run::<md5::Md5>(parts),
            Self::Sha1 => run::<sha1::Sha1>(parts),
            Self::Sha256 => run::<sha2::Sha256>(parts),
            Self::Sha512 => run::<sha2::Sha512>(parts),
        }
    }

    fn hmac(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
            // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
            match <M as Mac>::new_from_slice(key) {
                Ok(mut mac) => {
                    mac.update(message);
                    mac.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            }
        }
        match self {
            Self::Md5 => run::<Hmac<md5::Md5>>(key, message),
            Self::Sha1 => run::<Hmac<sha1::Sha1>>(key, message),
            Self::Sha256 => run::<Hmac<sha2::Sha256>>(key, message),
            Self::Sha512 => run::<Hmac<sha2::Sha512>>(key, message),
        }
    }

    fn pbkdf2(self, password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
        match self {
            Self::Md5 => pbkdf2::pbkdf2_hmac::<md5::Md5>(password, salt, iterations, out),
            Self::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, iterations, out),
            Self::Sha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, out),
            Self::Sha512 => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, iterations, out),
        }
    }
}

/// A parsed, bounded imported password hash.
#[derive(Clone, PartialEq, Eq)]
pub enum ImportedHash {
    /// `$2a$`/`$2b$`/`$2y$`, kept as it came.
    Bcrypt(String),
    /// An argon2 PHC string (argon2id, argon2i or argon2d), kept as it came.
    Argon2(String),
    Pbkdf2 {
        digest: DigestKind,
        iterations: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    Scrypt {
        log_n: u8,
        r: u32,
        p: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    /// Firebase Auth's modified scrypt: the project's signer key encrypted (AES-256-CTR, zero
    /// IV) under scrypt(password, salt ‖ separator, 2^mem_cost, rounds, 1).
    FirebaseScrypt {
        mem_cost: u8,
        rounds: u32,
        salt: Vec<u8>,
        salt_separator: Vec<u8>,
        signer_key: Vec<u8>,
        hash: Vec<u8>,
    },
    /// digest(salt ‖ password) or digest(password ‖ salt); LDAP `{SSHA}` is the latter.
    SaltedDigest {
        digest: DigestKind,
        position: SaltPosition,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    /// HMAC-digest(key, password).
    Hmac {
        digest: DigestKind,
        key: Vec<u8>,
        hash: Vec<u8>,
    },
}

impl std::fmt::Debug for ImportedHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ImportedHash({})", self.kind())
    }
}

impl ImportedHash {
    /// Reads any hash text this module knows (see the module docs), bounds checked.
    pub fn parse(text: &str) -> Result<Self, HashError> {
        if text.len() > MAX_TEXT_LEN {
            return Err(HashError::malformed("longer than 4096 characters"));
        }
        formats::parse(text.trim())
    }

    /// The text stored in `users.password_hash`, which `parse` reads back.
    pub fn stored(&self) -> String {
        formats::stored(self)
    }

    /// A short name of the kind for reports and logs (no secret part).
    pub fn kind(&self) -> String {
        match self {
            Self::Bcrypt(_) => "bcrypt".into(),
            Self::Argon2(text) => text.split('$').nth(1).unwrap_or("argon2").to_owned(),
            Self::Pbkdf2 { digest, .. } => format!("pbkdf2-{}", digest.name()),
            Self::Scrypt { .. } => "scrypt".into(),
            Self::FirebaseScrypt { .. } => "firebase-scrypt".into(),
            Self::SaltedDigest { digest, .. } => format!("salted-{}", digest.name()),
            Self::Hmac { digest, .. } => format!("hmac-{}", digest.name()),
        }
    }

    /// Whether `password` matches. CPU-bound (run it on the blocking pool); the comparison is
    /// constant-time. Parameters were bounded when the value was built.
    pub fn verify(&self, password: &[u8]) -> bool {
        match self {
            Self::Bcrypt(text) => bcrypt::verify(password, text).unwrap_or(false),
            Self::Argon2(text) => PasswordHash::new(text)
                .is_ok_and(|parsed| Argon2::default().verify_password(password, &parsed).is_ok()),
            Self::Pbkdf2 {
                digest,
                iterations,
                salt,
                hash,
            } => {
                let mut out = vec![0u8; hash.len()];
                digest.pbkdf2(password, salt, *iterations, &mut out);
                equal(&out, hash)
            }
            Self::Scrypt {
                log_n,
                r,
                p,
                salt,
                hash,
            } => scrypt_key(password, salt, *log_n, *r, *p, hash.len())
                .is_some_and(|out| equal(&out, hash)),
            Self::FirebaseScrypt {
                mem_cost,
                rounds,
                salt,
                salt_separator,
                signer_key,
                hash,
            } => structured::firebase_hash(
                password,
                salt,
                salt_separator,
                signer_key,
                *mem_cost,
                *rounds,
            )
            .is_some_and(|out| equal(&out, hash)),
            Self::SaltedDigest {
                digest,
                position,
                salt,
                hash,
            } => {
                let out = match position {
                    SaltPosition::Prefix => digest.digest(&[salt, password]),
                    SaltPosition::Suffix => digest.digest(&[password, salt]),
                };
                equal(&out, hash)
            }
            Self::Hmac { digest, key, hash } => equal(&digest.hmac(key, password), hash),
        }
    }
}

fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

fn scrypt_key(
    password: &[u8],
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
    len: usize,
) -> Option<Vec<u8>> {
    let params = scrypt::Params::new(log_n, r, p, len).ok()?;
    let mut out = vec![0u8; len];
    scrypt::scrypt(password, salt, &params, &mut out).ok()?;
    Some(out)
}

/// Refuses scrypt parameters beyond the bounds (N, r, p, memory) or outside the algorithm's.
fn check_scrypt(log_n: u8, r: u32, p: u32, len: usize) -> Result<(), HashError> {
    if log_n == 0 || log_n > MAX_SCRYPT_LOG_N {
        return Err(HashError::OutOfBounds(format!(
            "scrypt N = 2^{log_n} (at most 2^{MAX_SCRYPT_LOG_N})"
        )));
    }
    if r == 0 || r > MAX_SCRYPT_R || p == 0 || p > MAX_SCRYPT_P {
        return Err(HashError::OutOfBounds(format!(
            "scrypt r = {r}, p = {p} (r ≤ {MAX_SCRYPT_R}, p ≤ {MAX_SCRYPT_P})"
        )));
    }
    let memory = 128u64 * u64::from(r) * (1u64 << log_n);
    if memory > MAX_SCRYPT_MEMORY_BYTES {
        return Err(HashError::OutOfBounds(format!(
            "scrypt needs {} MiB (at most 256)",
            memory / (1024 * 1024)
        )));
    }
    scrypt::Params::new(log_n, r, p, len)
        .map(|_| ())
        .map_err(|_| HashError::malformed("scrypt parameters"))
}

fn check_pbkdf2(iterations: u32, salt: &[u8], hash: &[u8]) -> Result<(), HashError> {
    if iterations == 0 || iterations > MAX_PBKDF2_ITERATIONS {
        return Err(HashError::OutOfBounds(format!(
            "pbkdf2 iterations {iterations} (1 to {MAX_PBKDF2_ITERATIONS})"
        )));
    }
    check_lengths(salt, hash)
}

fn check_lengths(salt: &[u8], hash: &[u8]) -> Result<(), HashError> {
    if salt.len() > MAX_SALT_LEN {
        return Err(HashError::malformed("salt longer than 1024 bytes"));
    }
    if hash.is_empty() || hash.len() > MAX_OUTPUT_LEN {
        return Err(HashError::malformed("hash value empty or too long"));
    }
    Ok(())
}

/// Checks a digest-based hash's length against its digest.
fn check_digest_len(digest: DigestKind, hash: &[u8]) -> Result<(), HashError> {
    if hash.len() == digest.output_len() {
        Ok(())
    } else {
        Err(HashError::malformed(format!(
            "a {} value is {} bytes, not {}",
            digest.name(),
            digest.output_len(),
            hash.len()
        )))
    }
}
