//! The JWT signing algorithms Janua offers and how a key pair of each is made and loaded.

use std::{fmt, str::FromStr};

use anyhow::Context;
use aws_lc_rs::{
    encoding::AsDer as _,
    rand::SystemRandom,
    rsa::KeySize,
    signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
    },
};
use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header,
    jwk::{Jwk, KeyAlgorithm, PublicKeyUse},
};
use rand::rngs::OsRng;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    Rs256,
    Es256,
    EdDsa,
}

impl FromStr for SigningAlgorithm {
    type Err = anyhow::Error;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.to_ascii_uppercase().as_str() {
            "RS256" => Ok(Self::Rs256),
            "ES256" => Ok(Self::Es256),
            "EDDSA" | "ED25519" => Ok(Self::EdDsa),
            _ => anyhow::bail!("unsupported signing algorithm {raw:?}"),
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        })
    }
}

impl SigningAlgorithm {
    pub fn jwt_algorithm(self) -> Algorithm {
        match self {
            Self::Rs256 => Algorithm::RS256,
            Self::Es256 => Algorithm::ES256,
            Self::EdDsa => Algorithm::EdDSA,
        }
    }

    /// A new private key as PKCS#8 PEM. RSA generation is CPU-heavy: call it off the runtime.
    pub fn generate_private_pem(self) -> anyhow::Result<String> {
        use ed25519_dalek::pkcs8::EncodePrivateKey as _;
        let pem = match self {
            // AWS-LC's generation: a fraction of the pure-Rust `rsa` crate's time.
            Self::Rs256 => {
                let pair = aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048)
                    .map_err(|_| anyhow::anyhow!("generating an RSA key failed"))?;
                let der = pair
                    .as_der()
                    .map_err(|_| anyhow::anyhow!("encoding an RSA key failed"))?;
                pkcs8_pem(der.as_ref())
            }
            Self::Es256 => {
                use p256::pkcs8::EncodePrivateKey as _;
                p256::SecretKey::random(&mut OsRng)
                    .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)?
                    .to_string()
            }
            // PKCS#8 v1 (no embedded public key): the form jsonwebtoken derives a JWK from.
            Self::EdDsa => ed25519_dalek::pkcs8::KeypairBytes {
                secret_key: ed25519_dalek::SigningKey::generate(&mut OsRng).to_bytes(),
                public_key: None,
            }
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)?
            .to_string(),
        };
        Ok(pem)
    }
}

/// A signing key ready to use: the private key, the public key that verifies it, its JWK.
pub struct KeyPair {
    algorithm: SigningAlgorithm,
    signer: Signer,
    pub decoding: DecodingKey,
    pub jwk: Jwk,
}

impl KeyPair {
    pub fn from_private_pem(
        algorithm: SigningAlgorithm,
        kid: &str,
        pem: &[u8],
    ) -> anyhow::Result<Self> {
        let encoding = match algorithm {
            SigningAlgorithm::Rs256 => EncodingKey::from_rsa_pem(pem),
            SigningAlgorithm::Es256 => EncodingKey::from_ec_pem(pem),
            SigningAlgorithm::EdDsa => EncodingKey::from_ed_pem(pem),
        }
        .context("loading the private signing key")?;
        let mut jwk = Jwk::from_encoding_key(&encoding, algorithm.jwt_algorithm())
            .context("deriving the public JWK")?;
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(match algorithm {
            SigningAlgorithm::Rs256 => KeyAlgorithm::RS256,
            SigningAlgorithm::Es256 => KeyAlgorithm::ES256,
            SigningAlgorithm::EdDsa => KeyAlgorithm::EdDSA,
        });
        let decoding = DecodingKey::from_jwk(&jwk).context("loading the public key")?;
        Ok(Self {
            algorithm,
            signer: Signer::parse(algorithm, encoding.as_bytes())?,
            decoding,
            jwk,
        })
    }

    /// A compact JWS (RFC 7515) of `claims` under `header`, whose `alg` must be this key's.
    pub fn sign<C: Serialize>(&self, header: &Header, claims: &C) -> anyhow::Result<String> {
        anyhow::ensure!(
            header.alg == self.algorithm.jwt_algorithm(),
            "a {:?} header for a {} key",
            header.alg,
            self.algorithm
        );
        let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header)?);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(claims)?, &mut token);
        let signature = self.signer.sign(token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }
}

/// The private key, parsed once: jsonwebtoken parses the DER key on every signature (for
/// RS256 a large share of issuing a token; for ES256 as long as the signature itself).
enum Signer {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl Signer {
    /// `der`: the DER key that jsonwebtoken read from the PEM.
    fn parse(algorithm: SigningAlgorithm, der: &[u8]) -> anyhow::Result<Self> {
        let rejected = |e| anyhow::anyhow!("loading the private {algorithm} key: {e}");
        Ok(match algorithm {
            SigningAlgorithm::Rs256 => Self::Rsa(RsaKeyPair::from_der(der).map_err(rejected)?),
            SigningAlgorithm::Es256 => Self::Ecdsa(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(rejected)?,
            ),
            SigningAlgorithm::EdDsa => {
                Self::Ed25519(Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(rejected)?)
            }
        })
    }

    fn sign(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        let failed = |_| anyhow::anyhow!("signing failed");
        Ok(match self {
            Self::Rsa(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(failed)?;
                signature
            }
            // JWS wants ECDSA's fixed-width r ‖ s, not DER.
            Self::Ecdsa(key) => key
                .sign(&SystemRandom::new(), message)
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            Self::Ed25519(key) => key.sign(message).as_ref().to_vec(),
        })
    }
}

/// A PKCS#8 private key in PEM (RFC 7468): base64 in lines of 64 characters.
fn pkcs8_pem(der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use jsonwebtoken::{Validation, decode, encode};
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn every_algorithm_signs_and_verifies_through_its_public_jwk() {
        for algorithm in [
            SigningAlgorithm::Rs256,
            SigningAlgorithm::Es256,
            SigningAlgorithm::EdDsa,
        ] {
            let pem = algorithm.generate_private_pem().unwrap();
            let pair = KeyPair::from_private_pem(algorithm, "k1", pem.as_bytes()).unwrap();
            let mut header = Header::new(algorithm.jwt_algorithm());
            header.kid = Some("k1".into());
            let claims = json!({"sub": "u1", "exp": 4_000_000_000u64});
            let token = pair.sign(&header, &claims).unwrap();
            // PKCS#1 v1.5 and Ed25519 signatures are deterministic: byte for byte what
            // jsonwebtoken makes from the same key (ECDSA's are randomised).
            let jsonwebtoken_key = match algorithm {
                SigningAlgorithm::Rs256 => Some(EncodingKey::from_rsa_pem(pem.as_bytes())),
                SigningAlgorithm::EdDsa => Some(EncodingKey::from_ed_pem(pem.as_bytes())),
                SigningAlgorithm::Es256 => None,
            };
            if let Some(key) = jsonwebtoken_key {
                assert_eq!(token, encode(&header, &claims, &key.unwrap()).unwrap());
            }
            assert_eq!(
                jsonwebtoken::decode_header(&token).unwrap().kid.as_deref(),
                Some("k1")
            );
            let from_jwk = DecodingKey::from_jwk(&pair.jwk).unwrap();
            let claims = decode::<Value>(
                &token,
                &from_jwk,
                &Validation::new(algorithm.jwt_algorithm()),
            )
            .unwrap();
            assert_eq!(claims.claims["sub"], "u1", "{algorithm}");
            let public = serde_json::to_value(&pair.jwk).unwrap();
            assert!(
                public.get("d").is_none(),
                "{algorithm}: private part leaked into the JWK"
            );
            assert_eq!(public["kid"], "k1");
        }
    }

    #[test]
    fn a_header_for_another_algorithm_is_refused() {
        let pem = SigningAlgorithm::Es256.generate_private_pem().unwrap();
        let pair =
            KeyPair::from_private_pem(SigningAlgorithm::Es256, "k1", pem.as_bytes()).unwrap();
        let claims = json!({"sub": "u1"});
        assert!(pair.sign(&Header::new(Algorithm::RS256), &claims).is_err());
        assert!(pair.sign(&Header::new(Algorithm::ES256), &claims).is_ok());
    }

    #[test]
    fn algorithm_names_parse_case_insensitively() {
        assert_eq!(
            "rs256".parse::<SigningAlgorithm>().unwrap(),
            SigningAlgorithm::Rs256
        );
        assert_eq!(
            "EdDSA".parse::<SigningAlgorithm>().unwrap(),
            SigningAlgorithm::EdDsa
        );
        assert!("HS256".parse::<SigningAlgorithm>().is_err());
    }
}
