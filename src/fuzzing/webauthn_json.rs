//! WebAuthn: the credential JSON a browser's `PublicKeyCredential.toJSON()` sends, through
//! the same parsing and webauthn-rs verification passkey RPCs use.
//!
//! Modes (first byte): 0, the input is a registration response, verified against a real
//! registration ceremony; 1, the input is an assertion, whose user handle is read as a
//! discoverable sign-in reads it; 2, the input is the attestation object (CBOR) of a
//! registration whose clientDataJSON the harness writes correctly, so the fuzzer reaches the
//! authenticator-data and COSE-key parsing behind the challenge check. Parse failures must be
//! validation errors; nothing may panic.

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use serde_json::{Value, json};
use webauthn_rs::prelude::{PasskeyRegistration, Uuid};

use super::mode;
use crate::{
    cache::InProcessCache,
    config::WebauthnSettings,
    error::Error,
    mfa::{
        RelyingParty,
        relying_party::{parse_assertion, parse_registration},
    },
};

const ORIGIN: &str = "https://id.fuzz.example";
const FIELD: &str = "credential_json";

pub struct WebauthnJsonHarness {
    party: RelyingParty,
    registration: PasskeyRegistration,
    /// The clientDataJSON (base64url) that answers `registration`'s challenge.
    client_data: String,
}

impl WebauthnJsonHarness {
    #[expect(
        clippy::expect_used,
        reason = "set-up failures end the run; a harness may panic"
    )]
    pub fn new() -> Self {
        let settings = WebauthnSettings {
            rp_id: "id.fuzz.example".into(),
            origins: vec![url::Url::parse(ORIGIN).expect("the origin")],
        };
        let cache = Arc::new(InProcessCache::new("fuzz:"));
        let party = RelyingParty::new(&settings, &[7; 32], cache).expect("a relying party");
        let (options, registration) = party
            .start_registration(Uuid::from_u128(1), "fuzz@example.com", "Fuzz", Vec::new())
            .expect("registration options");
        let options: Value = serde_json::from_str(&options).expect("options JSON");
        let client_data = json!({
            "type": "webauthn.create",
            "challenge": options["challenge"],
            "origin": ORIGIN,
            "crossOrigin": false,
        });
        Self {
            party,
            registration,
            client_data: B64.encode(client_data.to_string()),
        }
    }

    pub fn run(&self, data: &[u8]) {
        match mode(data, 3) {
            Some((0, json)) => self.registration_json(&String::from_utf8_lossy(json)),
            Some((1, json)) => self.assertion_json(&String::from_utf8_lossy(json)),
            Some((_, attestation)) => self.attestation_object(attestation),
            None => {}
        }
    }

    fn registration_json(&self, json: &str) {
        match parse_registration(FIELD, json) {
            Ok(credential) => {
                // Whatever webauthn-rs decides, it must decide without panicking.
                let _verdict = self
                    .party
                    .finish_registration(&credential, &self.registration);
            }
            Err(err) => assert_validation_error(json, &err),
        }
    }

    fn assertion_json(&self, json: &str) {
        match parse_assertion(FIELD, json) {
            Ok(assertion) => {
                let _user = self.party.discovered_user(&assertion);
            }
            Err(err) => assert_validation_error(json, &err),
        }
    }

    fn attestation_object(&self, attestation: &[u8]) {
        let id = B64.encode([1_u8; 16]);
        let json = json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": self.client_data,
                "attestationObject": B64.encode(attestation),
            },
            "clientExtensionResults": {},
        });
        self.registration_json(&json.to_string());
    }
}

impl Default for WebauthnJsonHarness {
    fn default() -> Self {
        Self::new()
    }
}

fn assert_validation_error(json: &str, err: &Error) {
    assert!(
        matches!(err, Error::Validation { .. }),
        "credential JSON {json:?} refused as {err:?}"
    );
}
