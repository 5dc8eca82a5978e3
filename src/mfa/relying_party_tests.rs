#![expect(clippy::unwrap_used, clippy::panic, reason = "tests")]

use serde_json::{Value, json};

use super::*;
use crate::cache::InProcessCache;
use webauthn_rs_proto::AuthenticatorTransport;

fn relying_party() -> RelyingParty {
    let settings = WebauthnSettings {
        rp_id: "example.com".into(),
        origins: vec![
            url::Url::parse("https://example.com").unwrap(),
            url::Url::parse("https://app.example.com").unwrap(),
        ],
    };
    RelyingParty::new(&settings, &[7; 32], Arc::new(InProcessCache::new("t:"))).unwrap()
}

/// What Chrome's `PublicKeyCredential.toJSON()` gives for `navigator.credentials.create()`.
const REGISTRATION_JSON: &str = r#"{
    "id": "AQIDBAUGBwgJCgsMDQ4PEA",
    "rawId": "AQIDBAUGBwgJCgsMDQ4PEA",
    "type": "public-key",
    "authenticatorAttachment": "platform",
    "response": {
        "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiQUFBQSIsIm9yaWdpbiI6Imh0dHBzOi8vZXhhbXBsZS5jb20iLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
        "attestationObject": "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVgl",
        "authenticatorData": "o3mm9u6vuaVeN4wRgDTidR5oL6ufLTCrE9ISVYbOGUdFAAAAAA",
        "publicKey": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
        "publicKeyAlgorithm": -7,
        "transports": ["hybrid", "internal"]
    },
    "clientExtensionResults": {"credProps": {"rk": true}}
}"#;

/// What Chrome's `PublicKeyCredential.toJSON()` gives for `navigator.credentials.get()`.
const ASSERTION_JSON: &str = r#"{
    "id": "AQIDBAUGBwgJCgsMDQ4PEA",
    "rawId": "AQIDBAUGBwgJCgsMDQ4PEA",
    "type": "public-key",
    "authenticatorAttachment": "cross-platform",
    "response": {
        "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiQUFBQSIsIm9yaWdpbiI6Imh0dHBzOi8vZXhhbXBsZS5jb20ifQ",
        "authenticatorData": "o3mm9u6vuaVeN4wRgDTidR5oL6ufLTCrE9ISVYbOGUcFAAAAAQ",
        "signature": "MEUCIQDx",
        "userHandle": "AZNQ4cR8dW-L2xkzQ2lK3g"
    },
    "clientExtensionResults": {}
}"#;

#[test]
fn to_json_registration_responses_parse() {
    let credential = parse_registration("credential_json", REGISTRATION_JSON).unwrap();
    assert_eq!(credential.raw_id, (1..=16).collect::<Vec<u8>>());
    assert_eq!(credential.type_, "public-key");
    assert!(
        String::from_utf8(credential.response.client_data_json.clone())
            .unwrap()
            .contains("webauthn.create")
    );
    assert_eq!(
        credential.response.transports.as_ref().unwrap(),
        &[
            AuthenticatorTransport::Hybrid,
            AuthenticatorTransport::Internal
        ]
    );
    assert_eq!(
        credential.extensions.cred_props.as_ref().and_then(|p| p.rk),
        Some(true)
    );
}

#[test]
fn to_json_assertions_parse_with_or_without_a_user_handle() {
    let assertion = parse_assertion("credential_json", ASSERTION_JSON).unwrap();
    assert_eq!(assertion.raw_id, (1..=16).collect::<Vec<u8>>());
    assert_eq!(
        assertion.response.signature,
        [0x30, 0x45, 0x02, 0x21, 0x00, 0xf1]
    );
    assert_eq!(assertion.get_user_unique_id().map(<[u8]>::len), Some(16));

    let mut without: Value = serde_json::from_str(ASSERTION_JSON).unwrap();
    without["response"]["userHandle"] = Value::Null;
    let assertion = parse_assertion("credential_json", &without.to_string()).unwrap();
    assert_eq!(assertion.get_user_unique_id(), None);
    without["response"]
        .as_object_mut()
        .unwrap()
        .remove("userHandle");
    without
        .as_object_mut()
        .unwrap()
        .remove("clientExtensionResults");
    assert!(parse_assertion("credential_json", &without.to_string()).is_ok());
}

fn violation(err: Error) -> (String, String) {
    match err {
        Error::Validation { violations, .. } => (
            violations[0].field.clone(),
            violations[0].description.clone(),
        ),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn bad_credential_json_is_a_validation_error_naming_the_field() {
    let (field, description) =
        violation(parse_assertion("passkey_assertion_json", "{not json").unwrap_err());
    assert_eq!(field, "passkey_assertion_json");
    assert!(
        description.contains("not WebAuthn credential JSON"),
        "{description}"
    );

    let mut broken: Value = serde_json::from_str(ASSERTION_JSON).unwrap();
    broken["response"]["signature"] = json!("not base64url!");
    let (field, description) =
        violation(parse_assertion("credential_json", &broken.to_string()).unwrap_err());
    assert_eq!(field, "credential_json");
    assert!(description.contains("response.signature"), "{description}");

    let mut wrong_type: Value = serde_json::from_str(REGISTRATION_JSON).unwrap();
    wrong_type["type"] = json!("password");
    let (_, description) =
        violation(parse_registration("credential_json", &wrong_type.to_string()).unwrap_err());
    assert!(description.contains("public-key"), "{description}");

    let (field, _) = violation(parse_registration("credential_json", " ").unwrap_err());
    assert_eq!(field, "credential_json");
}

#[test]
fn creation_options_are_the_standard_json_asking_for_a_discoverable_credential() {
    let user = Uuid::now_v7();
    let (options, _state) = relying_party()
        .start_registration(user, "ada@example.com", "Ada", vec![vec![9; 16]])
        .unwrap();
    let options: Value = serde_json::from_str(&options).unwrap();
    assert_eq!(options["rp"]["id"], "example.com");
    assert_eq!(
        options["user"]["id"],
        URL_SAFE_NO_PAD.encode(user.as_bytes()).as_str()
    );
    assert_eq!(options["user"]["name"], "ada@example.com");
    assert_eq!(options["user"]["displayName"], "Ada");
    assert!(options["challenge"].as_str().unwrap().len() >= 43);
    assert_eq!(
        options["excludeCredentials"][0]["id"],
        "CQkJCQkJCQkJCQkJCQkJCQ"
    );
    let selection = &options["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "preferred");
    assert_eq!(selection["requireResidentKey"], false);
    assert_eq!(selection["userVerification"], "required");
    assert_eq!(options["timeout"], 300_000);
    assert!(
        options.get("publicKey").is_none(),
        "the inner object itself"
    );
}

#[test]
fn decoy_options_are_stable_per_email_and_look_like_real_ones() {
    let party = relying_party();
    let (first, _) = party
        .start_decoy_authentication("nobody@example.com")
        .unwrap();
    let (again, _) = party
        .start_decoy_authentication("nobody@example.com")
        .unwrap();
    let first: Value = serde_json::from_str(&first).unwrap();
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(first["allowCredentials"], again["allowCredentials"]);
    assert_ne!(first["challenge"], again["challenge"]);
    assert_eq!(first["rpId"], "example.com");
    assert_eq!(first["userVerification"], "required");
    // Over many addresses, most get one credential id or more, as most real accounts would.
    let with_ids = (0..50)
        .filter(|i| {
            let (options, _) = party
                .start_decoy_authentication(&format!("user{i}@example.com"))
                .unwrap();
            let options: Value = serde_json::from_str(&options).unwrap();
            !options["allowCredentials"].as_array().unwrap().is_empty()
        })
        .count();
    assert!(with_ids > 25, "{with_ids}");
    let keys = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let (discoverable, _) = party.start_discoverable_authentication().unwrap();
    let discoverable: Value = serde_json::from_str(&discoverable).unwrap();
    assert_eq!(discoverable["allowCredentials"], json!([]));
    assert_eq!(
        keys(&first)
            .into_iter()
            .filter(|k| k != "extensions")
            .collect::<Vec<_>>(),
        keys(&discoverable)
            .into_iter()
            .filter(|k| k != "extensions")
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn ceremony_state_is_taken_once() {
    let party = relying_party();
    let id = party
        .keep(Ceremony::Login, &json!({"state": 1}))
        .await
        .unwrap();
    let state: Value = party.take(Ceremony::Login, &id).await.unwrap();
    assert_eq!(state["state"], 1);
    let again = party.take::<Value>(Ceremony::Login, &id).await.unwrap_err();
    assert_eq!(again.reason(), "TOKEN_ERROR");
    let other_kind = party
        .keep(Ceremony::Registration, &json!({}))
        .await
        .unwrap();
    let wrong = party
        .take::<Value>(Ceremony::Login, &other_kind)
        .await
        .unwrap_err();
    assert_eq!(wrong.reason(), "TOKEN_ERROR");
}
