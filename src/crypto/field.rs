//! AES-256-GCM encryption of secrets stored in the database (signing keys, TOTP seeds, IdP
//! client secrets). Each ciphertext is bound to a context string (e.g. the row it belongs to)
//! as associated data, so a ciphertext copied into another row does not decrypt.

use std::{fmt, path::Path};

use aes_gcm::{
    Aes256Gcm, Nonce,
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
};
use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::STANDARD};

/// Format byte in front of every ciphertext, so the scheme can change later.
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;

/// The 32-byte key from `FIELD_ENCRYPTION_KEY`. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct FieldKey([u8; 32]);

impl fmt::Debug for FieldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FieldKey(redacted)")
    }
}

impl FieldKey {
    /// Accepts 32 bytes as base64 (standard or URL-safe, padded or not) or as 64 hex digits.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            decode_hex(raw)
        } else {
            let standard = raw.replace('-', "+").replace('_', "/");
            STANDARD
                .decode(standard.trim_end_matches('='))
                .or_else(|_| STANDARD.decode(&standard))
                .ok()
        };
        match bytes.map(<[u8; 32]>::try_from) {
            Some(Ok(key)) => Ok(Self(key)),
            _ => bail!(
                "expected 32 bytes as base64 or 64 hex digits (e.g. `openssl rand -base64 32`)"
            ),
        }
    }

    pub fn generate() -> Self {
        Self(Aes256Gcm::generate_key(OsRng).into())
    }

    /// A 32-byte key for another purpose (HKDF-SHA256 with `purpose` as info), so this one
    /// configured secret can key other things without being reused as is.
    pub fn derive(&self, purpose: &str) -> anyhow::Result<[u8; 32]> {
        let mut derived = [0; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(None, &self.0)
            .expand(purpose.as_bytes(), &mut derived)
            .map_err(|_| anyhow::anyhow!("key derivation failed"))?;
        Ok(derived)
    }

    fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

fn decode_hex(raw: &str) -> Option<Vec<u8>> {
    (0..raw.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(raw.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Development only: reads the key from `path`, creating it (mode 0600) on first use.
pub fn load_or_create_development_key(path: &Path) -> anyhow::Result<FieldKey> {
    if path.exists() {
        let raw =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return FieldKey::parse(&raw).with_context(|| format!("parsing {}", path.display()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let key = FieldKey::generate();
    write_private(path, &key.to_base64())?;
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("creating {}", path.display()))
}

/// Seals and opens secrets under one `FieldKey`.
#[derive(Clone)]
pub struct FieldCipher {
    cipher: Aes256Gcm,
}

impl fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FieldCipher")
    }
}

impl FieldCipher {
    pub fn new(key: &FieldKey) -> Self {
        Self {
            cipher: Aes256Gcm::new(&key.0.into()),
        }
    }

    /// Encrypts `plaintext`, bound to `context`. Output: format byte, nonce, ciphertext + tag.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> anyhow::Result<Vec<u8>> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        let ciphertext = self
            .cipher
            .encrypt(&nonce, payload)
            .map_err(|_| anyhow::anyhow!("field encryption failed"))?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(FORMAT_V1);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts what `seal` produced for the same `context`; fails on any tampering or on a
    /// different key.
    pub fn open(&self, sealed: &[u8], context: &str) -> anyhow::Result<Vec<u8>> {
        let Some((&FORMAT_V1, rest)) = sealed.split_first() else {
            bail!("unknown field encryption format");
        };
        if rest.len() < NONCE_LEN {
            bail!("truncated ciphertext");
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into()?;
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        self.cipher
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| {
                anyhow::anyhow!(
                    "field decryption failed (wrong FIELD_ENCRYPTION_KEY or tampered data)"
                )
            })
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn sealed_secret_opens_with_same_key_and_context() {
        let cipher = FieldCipher::new(&FieldKey::generate());
        let sealed = cipher.seal(b"totp seed", "factor:1").unwrap();
        assert!(!sealed.windows(9).any(|w| w == b"totp seed"));
        assert_eq!(cipher.open(&sealed, "factor:1").unwrap(), b"totp seed");
    }

    #[test]
    fn other_context_other_key_or_tampering_fail() {
        let cipher = FieldCipher::new(&FieldKey::generate());
        let mut sealed = cipher.seal(b"secret", "row:1").unwrap();
        assert!(cipher.open(&sealed, "row:2").is_err());
        assert!(
            FieldCipher::new(&FieldKey::generate())
                .open(&sealed, "row:1")
                .is_err()
        );
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(cipher.open(&sealed, "row:1").is_err());
        assert!(cipher.open(&[], "row:1").is_err());
    }

    #[test]
    fn keys_parse_from_base64_and_hex_only_at_32_bytes() {
        let key = FieldKey::generate();
        assert_eq!(FieldKey::parse(&key.to_base64()).unwrap(), key);
        let hex: String = key.0.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(FieldKey::parse(&hex).unwrap(), key);
        assert!(FieldKey::parse("c2hvcnQ=").is_err());
        assert!(FieldKey::parse("").is_err());
        assert_eq!(format!("{key:?}"), "FieldKey(redacted)");
    }

    #[test]
    fn derived_keys_are_stable_per_purpose_and_differ_from_the_key() {
        let key = FieldKey::generate();
        let a = key.derive("purpose a").unwrap();
        assert_eq!(a, key.derive("purpose a").unwrap());
        assert_ne!(a, key.derive("purpose b").unwrap());
        assert_ne!(a, key.0);
        assert_ne!(a, FieldKey::generate().derive("purpose a").unwrap());
    }

    #[test]
    fn development_key_is_created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/field.key");
        let first = load_or_create_development_key(&path).unwrap();
        let second = load_or_create_development_key(&path).unwrap();
        assert_eq!(first, second);
    }
}
