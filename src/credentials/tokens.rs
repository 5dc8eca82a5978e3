//! Opaque tokens: 256-bit random values (refresh tokens, one-time tokens, API-key secrets,
//! invitation and verification tokens, SSO states and codes) that are shown once and only
//! ever stored as their SHA-256.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh opaque token: 32 random bytes, base64url. Shown once; store `digest(token)`.
pub fn new_opaque_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of an opaque token: SHA-256, hex. (Runs on every refresh and every
/// API-key call, so it writes into one buffer instead of a string per byte.)
pub fn digest(token: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hash = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(hash.len() * 2);
    for byte in hash {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// Whether `text` has the form `digest` gives (64 lower-case hex digits): what an export
/// carries for a stored secret.
pub fn is_digest(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_has_the_form_is_digest_checks() {
        assert!(is_digest(&digest("janua_sk_x")));
        assert!(!is_digest(&digest("janua_sk_x").to_uppercase()));
        assert!(!is_digest("abc"));
    }

    #[test]
    fn opaque_tokens_are_256_bit_and_distinct() {
        let a = new_opaque_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).map(|b| b.len()).ok(), Some(32));
        assert_ne!(a, new_opaque_token());
    }

    #[test]
    fn digests_are_sha256_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
