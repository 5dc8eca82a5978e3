//! Hashes that arrive as separate fields rather than one string: Keycloak's `secretData` and
//! `credentialData`, Firebase's per-user salt and hash with project-wide parameters, Auth0's
//! salted digests and HMACs. Each constructor bounds its parameters like `parse` does.

use aes::cipher::{KeyIvInit as _, StreamCipher as _};
use serde::Deserialize;

use super::{
    DigestKind, HashError, ImportedHash, check_digest_len, check_lengths, check_scrypt,
    formats::{self, decode},
    scrypt_key,
};

/// Where the salt goes in a salted digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaltPosition {
    /// digest(salt ‖ password)
    Prefix,
    /// digest(password ‖ salt)
    Suffix,
}

impl SaltPosition {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Prefix => "prefix",
            Self::Suffix => "suffix",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "prefix" => Some(Self::Prefix),
            "suffix" => Some(Self::Suffix),
            _ => None,
        }
    }
}

/// A Firebase project's password-hash parameters (the console's "hash config").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirebaseProject {
    pub signer_key: Vec<u8>,
    pub salt_separator: Vec<u8>,
    pub rounds: u32,
    pub mem_cost: u8,
}

impl FirebaseProject {
    /// One user's hash under this project: salt and hash as Firebase exports them (decoded).
    pub fn hash(&self, salt: Vec<u8>, hash: Vec<u8>) -> Result<ImportedHash, HashError> {
        check_lengths(&salt, &hash)?;
        check_lengths(&self.salt_separator, &self.signer_key)?;
        check_scrypt(self.mem_cost, self.rounds, 1, FIREBASE_KEY_LEN)?;
        if hash.len() != self.signer_key.len() {
            return Err(HashError::malformed(
                "a firebase hash is as long as the signer key",
            ));
        }
        Ok(ImportedHash::FirebaseScrypt {
            mem_cost: self.mem_cost,
            rounds: self.rounds,
            salt,
            salt_separator: self.salt_separator.clone(),
            signer_key: self.signer_key.clone(),
            hash,
        })
    }
}

const FIREBASE_KEY_LEN: usize = 64;

/// AES-256-CTR (zero IV) of the signer key under the first 32 bytes of
/// scrypt(password, salt ‖ separator, 2^mem_cost, rounds, 1, 64).
pub(super) fn firebase_hash(
    password: &[u8],
    salt: &[u8],
    separator: &[u8],
    signer_key: &[u8],
    mem_cost: u8,
    rounds: u32,
) -> Option<Vec<u8>> {
    let salted = [salt, separator].concat();
    let derived = scrypt_key(password, &salted, mem_cost, rounds, 1, FIREBASE_KEY_LEN)?;
    let mut cipher =
        ctr::Ctr128BE::<aes::Aes256>::new_from_slices(&derived[..32], &[0u8; 16]).ok()?;
    let mut out = signer_key.to_vec();
    cipher.apply_keystream(&mut out);
    Some(out)
}

pub(super) fn salted_digest(
    digest: DigestKind,
    position: SaltPosition,
    salt: Vec<u8>,
    hash: Vec<u8>,
) -> Result<ImportedHash, HashError> {
    check_lengths(&salt, &hash)?;
    check_digest_len(digest, &hash)?;
    Ok(ImportedHash::SaltedDigest {
        digest,
        position,
        salt,
        hash,
    })
}

pub(super) fn hmac(
    digest: DigestKind,
    key: Vec<u8>,
    hash: Vec<u8>,
) -> Result<ImportedHash, HashError> {
    check_lengths(&key, &hash)?;
    check_digest_len(digest, &hash)?;
    Ok(ImportedHash::Hmac { digest, key, hash })
}

#[derive(Deserialize)]
struct KeycloakSecret {
    value: String,
    #[serde(default)]
    salt: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeycloakCredential {
    hash_iterations: u32,
    algorithm: String,
    #[serde(default)]
    additional_parameters: std::collections::HashMap<String, Vec<String>>,
}

impl ImportedHash {
    /// A salted digest, digest(salt ‖ password) or digest(password ‖ salt).
    pub fn salted_digest(
        digest: &str,
        position: SaltPosition,
        salt: Vec<u8>,
        hash: Vec<u8>,
    ) -> Result<Self, HashError> {
        let digest = DigestKind::from_name(digest).ok_or(HashError::Unknown)?;
        salted_digest(digest, position, salt, hash)
    }

    /// HMAC-digest(key, password).
    pub fn hmac(digest: &str, key: Vec<u8>, hash: Vec<u8>) -> Result<Self, HashError> {
        let digest = DigestKind::from_name(digest).ok_or(HashError::Unknown)?;
        hmac(digest, key, hash)
    }

    /// scrypt with its parameters given apart (Auth0's `custom_password_hash`).
    pub fn scrypt(
        log_n: u8,
        r: u32,
        p: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    ) -> Result<Self, HashError> {
        formats::scrypt(log_n, r, p, salt, hash)
    }

    /// A Keycloak password credential: its `secretData` and `credentialData` JSON texts.
    /// PBKDF2 (`pbkdf2` = SHA-1, `pbkdf2-sha256`, `pbkdf2-sha512`) and `argon2`.
    pub fn keycloak(secret_data: &str, credential_data: &str) -> Result<Self, HashError> {
        let secret: KeycloakSecret = serde_json::from_str(secret_data)
            .map_err(|_| HashError::malformed("keycloak secretData"))?;
        let credential: KeycloakCredential = serde_json::from_str(credential_data)
            .map_err(|_| HashError::malformed("keycloak credentialData"))?;
        let salt = decode("salt", &secret.salt)?;
        let hash = decode("value", &secret.value)?;
        let digest = match credential.algorithm.as_str() {
            "pbkdf2" => DigestKind::Sha1,
            "pbkdf2-sha256" => DigestKind::Sha256,
            "pbkdf2-sha512" => DigestKind::Sha512,
            "argon2" => return keycloak_argon2(&credential, &salt, &hash),
            _ => return Err(HashError::Unknown),
        };
        formats::pbkdf2(digest, credential.hash_iterations, salt, hash)
    }
}

/// Keycloak's argon2 provider: type, version, memory, parallelism in `additionalParameters`,
/// passes in `hashIterations`; rebuilt as a PHC string and bounded by `parse`.
fn keycloak_argon2(
    credential: &KeycloakCredential,
    salt: &[u8],
    hash: &[u8],
) -> Result<ImportedHash, HashError> {
    let param = |name: &str, default: &str| -> String {
        credential
            .additional_parameters
            .get(name)
            .and_then(|values| values.first())
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let kind = match param("type", "id").as_str() {
        "id" => "argon2id",
        "i" => "argon2i",
        "d" => "argon2d",
        _ => return Err(HashError::Unknown),
    };
    let version = match param("version", "1.3").as_str() {
        "1.3" => 19,
        "1.0" => 16,
        _ => return Err(HashError::malformed("argon2 version")),
    };
    let memory: u32 = param("memory", "7168")
        .parse()
        .map_err(|_| HashError::malformed("argon2 memory"))?;
    let lanes: u32 = param("parallelism", "1")
        .parse()
        .map_err(|_| HashError::malformed("argon2 parallelism"))?;
    let text = format!(
        "${kind}$v={version}$m={memory},t={},p={lanes}${}${}",
        credential.hash_iterations,
        formats::encode(salt),
        formats::encode(hash)
    );
    ImportedHash::parse(&text)
}
