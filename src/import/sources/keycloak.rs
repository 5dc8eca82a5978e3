//! `--source keycloak`: a realm export or a users export (`{"realm", "users": [...]}`, or a
//! bare array of users). Password credentials (`secretData` + `credentialData`: PBKDF2 with
//! SHA-1/256/512, argon2) become imported hashes; an OTP credential becomes a TOTP factor
//! when it is Janua's kind (TOTP, HmacSHA1, 6 digits, 30 s), its secret raw UTF-8 unless
//! `secretEncoding` is BASE32. A disabled user comes in suspended. The username, attributes
//! and group paths are kept in the user's metadata.

use serde_json::{Value, json};

use super::{SourceOptions, display_name, first_byte, json_stream, open_file};
use crate::{
    crypto::ImportedHash,
    import::record::{Position, ReadError, SourceItem, SourcePassword, SourceTotp, SourceUser},
};

pub fn read(
    options: &SourceOptions,
    emit: &mut dyn FnMut(SourceItem) -> bool,
) -> anyhow::Result<()> {
    let file = display_name(&options.path);
    let mut reader = open_file(&options.path)?;
    let mut on_user = |index, value: Value| emit(user_of(&file, index, &value));
    match first_byte(&mut reader)? {
        None => Ok(()),
        Some(b'[') => json_stream::each_in_array(reader, &mut on_user),
        Some(_) => json_stream::each_in_member(reader, "users", "", &mut on_user).map(|_| ()),
    }
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn user_of(file: &str, index: u64, value: &Value) -> SourceItem {
    let position = Position {
        file: file.to_owned(),
        line: index,
    };
    let source_id = text(value, "id").unwrap_or_default().to_owned();
    if !value.is_object() {
        return Err(ReadError {
            position,
            source_id,
            message: "a user is a JSON object".into(),
        });
    }
    let mut user = SourceUser::new(position);
    user.source_id = source_id;
    user.email = text(value, "email").unwrap_or_default().to_owned();
    user.email_verified = value.get("emailVerified").and_then(Value::as_bool);
    let name = [text(value, "firstName"), text(value, "lastName")]
        .into_iter()
        .flatten()
        .filter(|n| !n.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    user.display_name = if name.is_empty() {
        text(value, "username").unwrap_or_default().to_owned()
    } else {
        name
    };
    user.blocked = value.get("enabled").and_then(Value::as_bool) == Some(false);
    let mut metadata = serde_json::Map::new();
    for (key, name) in [
        ("username", "keycloak_username"),
        ("attributes", "keycloak_attributes"),
        ("groups", "keycloak_groups"),
    ] {
        if let Some(value) = value.get(key).filter(|v| !v.is_null()) {
            metadata.insert(name.to_owned(), value.clone());
        }
    }
    if !metadata.is_empty() {
        user.metadata = Some(Value::Object(metadata));
    }
    let credentials = value
        .get("credentials")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for credential in credentials {
        match text(credential, "type") {
            Some("password") if user.password == SourcePassword::None => {
                user.password = password(credential);
            }
            Some("otp") if user.totp == SourceTotp::None => user.totp = otp(credential),
            _ => {}
        }
    }
    Ok(user)
}

fn password(credential: &Value) -> SourcePassword {
    // Keycloak before 11 put the fields on the credential itself.
    let (secret, data) = match (text(credential, "secretData"), text(credential, "credentialData")) {
        (Some(secret), Some(data)) => (secret.to_owned(), data.to_owned()),
        _ => (
            json!({"value": credential.get("hashedSaltedValue"), "salt": credential.get("salt")})
                .to_string(),
            json!({"hashIterations": credential.get("hashIterations"), "algorithm": credential.get("algorithm")})
                .to_string(),
        ),
    };
    match ImportedHash::keycloak(&secret, &data) {
        Ok(hash) => SourcePassword::Hash(hash),
        Err(err) => SourcePassword::Refused(err),
    }
}

fn otp(credential: &Value) -> SourceTotp {
    let parse = |key: &str| -> Option<Value> {
        text(credential, key).and_then(|t| serde_json::from_str(t).ok())
    };
    let (Some(secret), Some(data)) = (parse("secretData"), parse("credentialData")) else {
        return SourceTotp::Refused(
            "an OTP credential without secretData or credentialData".into(),
        );
    };
    let number = |key: &str, default: u64| data.get(key).and_then(Value::as_u64).unwrap_or(default);
    let kind = text(&data, "subType").unwrap_or("totp");
    let algorithm = text(&data, "algorithm").unwrap_or("HmacSHA1");
    if kind != "totp"
        || algorithm != "HmacSHA1"
        || number("digits", 6) != 6
        || number("period", 30) != 30
    {
        return SourceTotp::Refused(format!(
            "an OTP credential Janua cannot check ({kind}, {algorithm}, {} digits, {} s)",
            number("digits", 6),
            number("period", 30)
        ));
    }
    let Some(value) = text(&secret, "value") else {
        return SourceTotp::Refused("an OTP credential without a secret".into());
    };
    if text(&data, "secretEncoding") == Some("BASE32") {
        crate::import::record::totp_from_base32(value)
    } else {
        SourceTotp::Secret(value.as_bytes().to_vec())
    }
}
