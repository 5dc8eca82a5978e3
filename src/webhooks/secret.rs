//! Signing secrets and signatures per the Standard Webhooks specification: a secret is 32
//! random bytes shown as `whsec_<base64>`; a signature is `v1,<base64 of HMAC-SHA256 over
//! "{id}.{timestamp}.{body}">`, and a delivery sends one per valid secret, space-separated
//! (two during a rotation's overlap). Secrets are sealed by the field cipher at rest, bound
//! to their endpoint, and never logged.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};

use crate::crypto::FieldCipher;

const PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;

/// A signing secret's bytes.
pub struct SigningSecret(SecretSlice<u8>);

impl SigningSecret {
    pub fn generate() -> Self {
        let bytes: [u8; SECRET_BYTES] = rand::random();
        Self(SecretSlice::from(bytes.to_vec()))
    }

    /// The form shown once to the endpoint's owner: `whsec_<base64>`.
    pub fn shown(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(self.0.expose_secret()))
    }

    /// A secret in the form `shown` gives (`whsec_<base64>` of 32 bytes), as an export
    /// carries it; None for anything else.
    pub fn parse_shown(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text.trim().strip_prefix(PREFIX)?).ok()?;
        (bytes.len() == SECRET_BYTES).then(|| Self(SecretSlice::from(bytes)))
    }

    /// The secret sealed for the endpoint `endpoint_id` (or for its replaced secret).
    pub fn seal(&self, cipher: &FieldCipher, endpoint_id: &str) -> anyhow::Result<Vec<u8>> {
        cipher.seal(self.0.expose_secret(), &context(endpoint_id))
    }

    pub fn open(cipher: &FieldCipher, sealed: &[u8], endpoint_id: &str) -> anyhow::Result<Self> {
        let bytes = cipher.open(sealed, &context(endpoint_id))?;
        Ok(Self(SecretSlice::from(bytes)))
    }

    /// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(self.0.expose_secret()) {
            Ok(mac) => mac,
            // HMAC takes keys of any length; unreachable.
            Err(_) => return String::new(),
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

fn context(endpoint_id: &str) -> String {
    format!("webhook-secret:{endpoint_id}")
}

/// The `webhook-signature` header: one signature per secret, space-separated.
pub fn signature_header(
    secrets: &[SigningSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|secret| secret.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn signs_the_reference_example_of_the_specification() {
        let secret = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let secret = SigningSecret(SecretSlice::from(secret));
        let signature = secret.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_is_shown_as_whsec_base64_of_32_bytes_and_sealed_per_endpoint() {
        let secret = SigningSecret::generate();
        let shown = secret.shown();
        let bytes = STANDARD
            .decode(shown.strip_prefix("whsec_").unwrap())
            .unwrap();
        assert_eq!(bytes.len(), 32);
        let cipher = FieldCipher::new(&crate::crypto::FieldKey::generate());
        let sealed = secret.seal(&cipher, "a").unwrap();
        assert_eq!(
            SigningSecret::open(&cipher, &sealed, "a").unwrap().shown(),
            shown
        );
        assert!(SigningSecret::open(&cipher, &sealed, "b").is_err());
        assert_eq!(SigningSecret::parse_shown(&shown).unwrap().shown(), shown);
        assert!(SigningSecret::parse_shown("whsec_c2hvcnQ=").is_none());
    }
}
