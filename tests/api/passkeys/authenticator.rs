//! A software WebAuthn authenticator, with the browser's part of a ceremony, for the tests:
//! one real P-256 key per credential, CBOR and COSE written out by hand, clientDataJSON and
//! the `PublicKeyCredential.toJSON()` shape (base64url strings). It shares no code with the
//! server's verification (webauthn-rs), so a bug there is not mirrored here.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use p256::{
    ecdsa::{Signature, SigningKey, signature::Signer},
    pkcs8::EncodePublicKey,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Flags of authenticator data (WebAuthn §6.1).
const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const ATTESTED_CREDENTIAL: u8 = 0x40;

#[derive(Clone)]
struct Credential {
    id: Vec<u8>,
    rp_id: String,
    user_handle: Vec<u8>,
    key: SigningKey,
    counter: u32,
}

/// A platform authenticator with resident (discoverable) credentials, reached through a
/// browser at `origin`. Cloning it copies its keys and counters, as cloning hardware would.
#[derive(Clone)]
pub struct Authenticator {
    /// The page origin the "browser" reports in clientDataJSON.
    pub origin: String,
    /// When set, the relying party id it binds to and signs for, whatever the options say
    /// (a phishing site's authenticator data).
    pub rp_id_override: Option<String>,
    credentials: Vec<Credential>,
}

impl Authenticator {
    pub fn new(origin: &str) -> Self {
        Self {
            origin: origin.to_owned(),
            rp_id_override: None,
            credentials: Vec::new(),
        }
    }

    /// The id (base64url) of the credential made last.
    pub fn last_credential_id(&self) -> String {
        B64.encode(&self.credentials.last().expect("a credential").id)
    }

    /// `navigator.credentials.create({publicKey: options})` then `.toJSON()`.
    pub fn create(&mut self, options_json: &str) -> String {
        let id: [u8; 32] = rand::random();
        self.create_with_id(options_json, id.to_vec())
    }

    /// `create` with a chosen credential id (to present one that is registered already).
    pub fn create_with_id(&mut self, options_json: &str, id: Vec<u8>) -> String {
        let options: Value = serde_json::from_str(options_json).unwrap();
        let rp_id = self
            .rp_id_override
            .clone()
            .unwrap_or_else(|| options["rp"]["id"].as_str().unwrap().to_owned());
        let user_handle = B64.decode(options["user"]["id"].as_str().unwrap()).unwrap();
        let key = SigningKey::random(&mut rand::rngs::OsRng);
        let point = key.verifying_key().to_encoded_point(false);
        let cose_key = cbor_map(&[
            (cbor_int(1), cbor_int(2)),  // kty: EC2
            (cbor_int(3), cbor_int(-7)), // alg: ES256
            (cbor_int(-1), cbor_int(1)), // crv: P-256
            (cbor_int(-2), cbor_bytes(point.x().unwrap())),
            (cbor_int(-3), cbor_bytes(point.y().unwrap())),
        ]);
        let mut auth_data = authenticator_data(
            &rp_id,
            USER_PRESENT | USER_VERIFIED | ATTESTED_CREDENTIAL,
            0,
        );
        auth_data.extend_from_slice(&[0; 16]); // AAGUID: none
        auth_data.extend_from_slice(&u16::try_from(id.len()).unwrap().to_be_bytes());
        auth_data.extend_from_slice(&id);
        auth_data.extend_from_slice(&cose_key);
        let attestation_object = cbor_map(&[
            (cbor_text("fmt"), cbor_text("none")),
            (cbor_text("attStmt"), cbor_map(&[])),
            (cbor_text("authData"), cbor_bytes(&auth_data)),
        ]);
        let client_data = self.client_data("webauthn.create", &options["challenge"]);
        let public_key = key.verifying_key().to_public_key_der().unwrap();
        self.credentials.push(Credential {
            id: id.clone(),
            rp_id,
            user_handle,
            key,
            counter: 0,
        });
        json!({
            "id": B64.encode(&id),
            "rawId": B64.encode(&id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": B64.encode(client_data),
                "attestationObject": B64.encode(attestation_object),
                "authenticatorData": B64.encode(&auth_data),
                "publicKey": B64.encode(public_key.as_bytes()),
                "publicKeyAlgorithm": -7,
                "transports": ["hybrid", "internal"],
            },
            "clientExtensionResults": {"credProps": {"rk": true}},
        })
        .to_string()
    }

    /// `navigator.credentials.get({publicKey: options})` then `.toJSON()`: signs with a
    /// credential the options allow, or (no `allowCredentials`) with a discoverable one for
    /// the relying party. The signature counter goes up by one.
    pub fn get(&mut self, options_json: &str) -> String {
        let options: Value = serde_json::from_str(options_json).unwrap();
        let rp_id = options["rpId"].as_str().unwrap().to_owned();
        let allowed: Vec<Vec<u8>> = options["allowCredentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| B64.decode(c["id"].as_str().unwrap()).unwrap())
            .collect();
        let signing_rp = self.rp_id_override.clone().unwrap_or(rp_id.clone());
        let client_data = self.client_data("webauthn.get", &options["challenge"]);
        let credential = self
            .credentials
            .iter_mut()
            .find(|c| {
                (allowed.is_empty() || allowed.contains(&c.id))
                    && (c.rp_id == rp_id || c.rp_id == signing_rp)
            })
            .expect("no credential of this authenticator fits the options");
        credential.counter += 1;
        let auth_data = authenticator_data(
            &signing_rp,
            USER_PRESENT | USER_VERIFIED,
            credential.counter,
        );
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = credential.key.sign(&signed);
        json!({
            "id": B64.encode(&credential.id),
            "rawId": B64.encode(&credential.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": B64.encode(&client_data),
                "authenticatorData": B64.encode(&auth_data),
                "signature": B64.encode(signature.to_der().as_bytes()),
                "userHandle": B64.encode(&credential.user_handle),
            },
            "clientExtensionResults": {},
        })
        .to_string()
    }

    fn client_data(&self, kind: &str, challenge: &Value) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": challenge.as_str().unwrap(),
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }
}

/// rpIdHash, flags and the big-endian signature counter.
fn authenticator_data(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
    let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
    data.push(flags);
    data.extend_from_slice(&counter.to_be_bytes());
    data
}

// Minimal CBOR (RFC 8949): what attestation objects and COSE keys need.

fn cbor_head(major: u8, length: usize) -> Vec<u8> {
    let major = major << 5;
    match length {
        0..24 => vec![major | u8::try_from(length).unwrap()],
        24..256 => vec![major | 24, u8::try_from(length).unwrap()],
        256..65_536 => {
            let mut head = vec![major | 25];
            head.extend_from_slice(&u16::try_from(length).unwrap().to_be_bytes());
            head
        }
        _ => {
            let mut head = vec![major | 26];
            head.extend_from_slice(&u32::try_from(length).unwrap().to_be_bytes());
            head
        }
    }
}

fn cbor_int(value: i64) -> Vec<u8> {
    if value >= 0 {
        cbor_head(0, usize::try_from(value).unwrap())
    } else {
        cbor_head(1, usize::try_from(-1 - value).unwrap())
    }
}

fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = cbor_head(2, bytes.len());
    out.extend_from_slice(bytes);
    out
}

fn cbor_text(text: &str) -> Vec<u8> {
    let mut out = cbor_head(3, text.len());
    out.extend_from_slice(text.as_bytes());
    out
}

fn cbor_map(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = cbor_head(5, entries.len());
    for (key, value) in entries {
        out.extend_from_slice(key);
        out.extend_from_slice(value);
    }
    out
}

#[test]
fn cbor_encodes_as_rfc_8949_examples() {
    assert_eq!(cbor_int(10), [0x0a]);
    assert_eq!(cbor_int(100), [0x18, 0x64]);
    assert_eq!(cbor_int(1000), [0x19, 0x03, 0xe8]);
    assert_eq!(cbor_int(-1), [0x20]);
    assert_eq!(cbor_int(-7), [0x26]);
    assert_eq!(cbor_int(-100), [0x38, 0x63]);
    assert_eq!(cbor_text("a"), [0x61, 0x61]);
    assert_eq!(cbor_bytes(&[1, 2, 3, 4]), [0x44, 1, 2, 3, 4]);
    assert_eq!(cbor_map(&[]), [0xa0]);
    assert_eq!(
        cbor_map(&[(cbor_int(1), cbor_int(2)), (cbor_int(3), cbor_int(4))]),
        [0xa2, 0x01, 0x02, 0x03, 0x04]
    );
}
