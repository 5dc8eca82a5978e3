//! Passkeys as `janua export` and `janua import` move them, in a neutral shape any WebAuthn
//! relying party can read: the credential id and the COSE_Key public key (base64url, as in
//! the authenticator's attested credential data), the signature counter, transports, the
//! user-verified and backup flags. Inside, a passkey is webauthn-rs's `Passkey` JSON; this
//! module converts both ways, and an imported key is parsed and checked by webauthn-rs
//! (curve, coordinates) before it is stored. The relying party id is the importer's
//! business: a passkey only works under the RP id it was registered for.

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_cbor_2::Value as Cbor;
use serde_json::{Value, json};
use webauthn_rs::prelude::{
    AttestationFormat, AttestationMetadata, COSEKey, COSEKeyType, ParsedAttestation,
    ParsedAttestationData, Passkey,
};
use webauthn_rs_proto::{RegisteredExtensions, UserVerificationPolicy};

use super::{
    passkeys::passkey_of,
    relying_party::encode_credential_id,
    store::{self, FactorKind, FactorStatus},
};
use crate::{error::Error, store::entities::mfa_factor};

/// A passkey in the export's neutral shape (its RP id travels beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferredPasskey {
    /// base64url, unpadded.
    pub credential_id: String,
    /// The COSE_Key (RFC 9052) as CBOR, base64url.
    pub public_key: String,
    /// The COSE algorithm (-7 ES256, -8 EdDSA, -257 RS256, ...).
    pub algorithm: i64,
    pub sign_count: u32,
    pub transports: Vec<String>,
    pub user_verified: bool,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

fn invalid(field: &str, why: &str) -> Error {
    Error::invalid(format!("passkeys.{field}"), why)
}

/// The user's active passkeys, oldest first.
pub async fn passkeys_of(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<TransferredPasskey>, Error> {
    let mut out = Vec::new();
    for factor in store::active_passkeys(db, user_id).await? {
        let passkey = passkey_of(&factor)?;
        let stored = factor.credential.clone().unwrap_or_default();
        let cred = &stored["cred"];
        let flag = |name: &str| cred[name].as_bool().unwrap_or(false);
        let counter = cred["counter"].as_u64().unwrap_or(0);
        let seen = factor.last_used_step.and_then(|s| u64::try_from(s).ok());
        let key = passkey.get_public_key();
        out.push(TransferredPasskey {
            credential_id: encode_credential_id(passkey.cred_id()),
            public_key: URL_SAFE_NO_PAD.encode(cose_key_bytes(key)?),
            algorithm: i64::from(key.type_ as i32),
            sign_count: u32::try_from(counter.max(seen.unwrap_or(0))).unwrap_or(u32::MAX),
            transports: cred["transports"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
            user_verified: flag("user_verified"),
            backup_eligible: flag("backup_eligible"),
            backup_state: flag("backup_state"),
            name: factor.name,
            created_at: factor.created_at,
        });
    }
    out.sort_by(|a, b| (a.created_at, &a.credential_id).cmp(&(b.created_at, &b.credential_id)));
    Ok(out)
}

/// Adds `passkey` to `user_id` as an active factor (the user now has a second factor);
/// false when the user holds it already. A key webauthn-rs refuses is a validation error,
/// a credential id another user holds a conflict. `write` false only checks.
pub async fn insert_imported_passkey(
    db: &impl ConnectionTrait,
    user_id: &str,
    passkey: &TransferredPasskey,
    now: DateTime<Utc>,
    write: bool,
) -> Result<bool, Error> {
    let parsed = to_passkey(passkey)?;
    let credential_id = encode_credential_id(parsed.cred_id());
    if let Some(existing) = store::find_by_credential_id(db, &credential_id).await? {
        return if existing.user_id == user_id {
            Ok(false)
        } else {
            Err(Error::Conflict("another user holds this passkey".into()))
        };
    }
    let name = match passkey.name.trim() {
        "" => "Passkey".to_owned(),
        name => name.chars().take(100).collect(),
    };
    if !write {
        return Ok(true);
    }
    let factor = mfa_factor::Model {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        kind: FactorKind::Passkey,
        status: FactorStatus::Active,
        name,
        secret_sealed: None,
        credential_id: Some(credential_id),
        credential: Some(serde_json::to_value(&parsed).map_err(|e| Error::Internal(e.into()))?),
        last_used_step: (passkey.sign_count > 0).then(|| i64::from(passkey.sign_count)),
        created_at: passkey.created_at.min(now),
        last_used_at: None,
    };
    store::insert_factor(db, factor).await?;
    store::refresh_mfa_enabled(db, user_id).await?;
    Ok(true)
}

/// The webauthn-rs passkey of the neutral shape, its key checked by webauthn-rs.
fn to_passkey(passkey: &TransferredPasskey) -> Result<Passkey, Error> {
    let cred_id = URL_SAFE_NO_PAD
        .decode(passkey.credential_id.trim())
        .ok()
        .filter(|id| (16..=1023).contains(&id.len()))
        .ok_or_else(|| invalid("credential_id", "must be base64url of 16 to 1023 bytes"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(passkey.public_key.trim())
        .map_err(|_| invalid("public_key", "must be base64url"))?;
    let cbor: Cbor = serde_cbor_2::from_slice(&bytes)
        .map_err(|_| invalid("public_key", "must be a COSE_Key in CBOR"))?;
    let key = COSEKey::try_from(&cbor)
        .map_err(|_| invalid("public_key", "is not a COSE key WebAuthn accepts"))?;
    if i64::from(key.type_ as i32) != passkey.algorithm {
        return Err(invalid("algorithm", "differs from the public key's"));
    }
    let transports: Vec<Value> = passkey
        .transports
        .iter()
        .filter(|t| ["usb", "nfc", "ble", "internal", "hybrid"].contains(&t.as_str()))
        .map(|t| json!(t))
        .collect();
    let internal = |e: serde_json::Error| Error::Internal(e.into());
    let credential = json!({"cred": {
        "cred_id": encode_credential_id(&cred_id),
        "cred": serde_json::to_value(&key).map_err(internal)?,
        "counter": passkey.sign_count,
        "transports": if transports.is_empty() { Value::Null } else { Value::Array(transports) },
        "user_verified": passkey.user_verified,
        "backup_eligible": passkey.backup_eligible,
        "backup_state": passkey.backup_state,
        "registration_policy": serde_json::to_value(UserVerificationPolicy::Required).map_err(internal)?,
        "extensions": serde_json::to_value(RegisteredExtensions::none()).map_err(internal)?,
        "attestation": serde_json::to_value(ParsedAttestation {
            data: ParsedAttestationData::None,
            metadata: AttestationMetadata::None,
        }).map_err(internal)?,
        "attestation_format": serde_json::to_value(AttestationFormat::None).map_err(internal)?,
    }});
    serde_json::from_value(credential).map_err(|_| invalid("public_key", "does not make a passkey"))
}

/// A COSE_Key map (RFC 9052 section 7; WebAuthn's credentialPublicKey) as CBOR.
fn cose_key_bytes(key: &COSEKey) -> Result<Vec<u8>, Error> {
    let int = |n: i64| Cbor::Integer(i128::from(n));
    let mut map = BTreeMap::new();
    map.insert(int(3), int(i64::from(key.type_ as i32)));
    match &key.key {
        COSEKeyType::EC_EC2(ec) => {
            map.insert(int(1), int(2));
            map.insert(int(-1), int(ec.curve.clone() as i64));
            map.insert(int(-2), Cbor::Bytes(ec.x.clone()));
            map.insert(int(-3), Cbor::Bytes(ec.y.clone()));
        }
        COSEKeyType::EC_OKP(okp) => {
            map.insert(int(1), int(1));
            map.insert(int(-1), int(okp.curve.clone() as i64));
            map.insert(int(-2), Cbor::Bytes(okp.x.clone()));
        }
        COSEKeyType::RSA(rsa) => {
            map.insert(int(1), int(3));
            map.insert(int(-1), Cbor::Bytes(rsa.n.clone()));
            map.insert(int(-2), Cbor::Bytes(rsa.e.to_vec()));
        }
    }
    serde_cbor_2::to_vec(&Cbor::Map(map))
        .map_err(|e| Error::Internal(anyhow::anyhow!("encoding a COSE key: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passkey(public_key: &str, credential_id: &str) -> TransferredPasskey {
        TransferredPasskey {
            credential_id: credential_id.to_owned(),
            public_key: public_key.to_owned(),
            algorithm: -7,
            sign_count: 0,
            transports: Vec::new(),
            user_verified: true,
            backup_eligible: false,
            backup_state: false,
            name: String::new(),
            created_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn keys_and_ids_that_are_not_webauthn_are_validation_errors() {
        let id = URL_SAFE_NO_PAD.encode([7u8; 16]);
        // A COSE EC2 map whose point is not on P-256.
        let off_curve = {
            let int = |n: i128| Cbor::Integer(n);
            let map = BTreeMap::from([
                (int(1), int(2)),
                (int(3), int(-7)),
                (int(-1), int(1)),
                (int(-2), Cbor::Bytes(vec![1; 32])),
                (int(-3), Cbor::Bytes(vec![2; 32])),
            ]);
            URL_SAFE_NO_PAD.encode(serde_cbor_2::to_vec(&Cbor::Map(map)).unwrap_or_default())
        };
        for (key, credential_id) in [
            ("not base64!", id.as_str()),
            ("AAAA", id.as_str()),
            (off_curve.as_str(), id.as_str()),
            (off_curve.as_str(), "c2hvcnQ"),
        ] {
            assert!(
                matches!(
                    to_passkey(&passkey(key, credential_id)),
                    Err(Error::Validation { .. })
                ),
                "{key} {credential_id}"
            );
        }
    }
}
