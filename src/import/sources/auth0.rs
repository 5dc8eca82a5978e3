//! `--source auth0`: Auth0's bulk-import file (a JSON array of users), or the same objects
//! one per line (NDJSON, as Auth0's user-export job writes). Ids lose their `auth0|`
//! prefix; `password_hash` is bcrypt; `custom_password_hash` carries the other algorithms
//! with their encodings; `mfa_factors` may hold TOTP secrets (base32); `app_metadata` and
//! `user_metadata` are kept in the user's metadata. The password hashes and MFA secrets
//! Auth0 support exports as separate NDJSON files (`--auth0-password-hashes`,
//! `--auth0-mfa-secrets`) are joined to the users by id, else by email.

use std::{collections::HashMap, io::BufRead};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use serde_json::Value;

use super::{SourceOptions, display_name, first_byte, json_stream, open_file};
use crate::{
    crypto::{HashError, ImportedHash, SaltPosition},
    import::record::{
        Position, ReadError, SourceItem, SourcePassword, SourceTotp, SourceUser,
        password_from_text, totp_from_base32,
    },
};

pub fn read(
    options: &SourceOptions,
    emit: &mut dyn FnMut(SourceItem) -> bool,
) -> anyhow::Result<()> {
    let file = display_name(&options.path);
    let joins = Joins::load(options)?;
    let emit = &mut |item: SourceItem| emit(item.map(|user| joins.apply(user)));
    let mut reader = open_file(&options.path)?;
    match first_byte(&mut reader)? {
        None => Ok(()),
        Some(b'[') => json_stream::each_in_array(reader, &mut |index, value| {
            emit(user_of(&file, index, &value))
        }),
        Some(_) => {
            for (index, line) in (1u64..).zip(reader.lines()) {
                let line = line?;
                if line.trim().is_empty() {
                    continue;
                }
                let item = match serde_json::from_str::<Value>(&line) {
                    Ok(value) => user_of(&file, index, &value),
                    Err(err) => Err(ReadError {
                        position: Position {
                            file: file.clone(),
                            line: index,
                        },
                        source_id: String::new(),
                        message: format!("not a JSON object: {err}"),
                    }),
                };
                if !emit(item) {
                    break;
                }
            }
            Ok(())
        }
    }
}

/// The password hashes and MFA secrets Auth0 support exports apart from the users, by user
/// id (`_id.$oid` or `user_id`, without `auth0|`) and by lower-cased email. Held in memory:
/// one entry per user of those files.
#[derive(Default)]
struct Joins {
    passwords: HashMap<String, SourcePassword>,
    secrets: HashMap<String, SourceTotp>,
}

impl Joins {
    fn load(options: &SourceOptions) -> anyhow::Result<Self> {
        let mut joins = Self::default();
        if let Some(path) = &options.auth0_password_hashes {
            each_line(path, &mut |value| {
                if let Some(hash) =
                    text(value, "passwordHash").or_else(|| text(value, "password_hash"))
                {
                    for key in keys(value) {
                        joins.passwords.insert(key, password_from_text(hash));
                    }
                }
            })?;
        }
        if let Some(path) = &options.auth0_mfa_secrets {
            each_line(path, &mut |value| {
                let totp = match text(value, "totp_secret").or_else(|| text(value, "secret")) {
                    Some(secret) => totp_from_base32(secret),
                    None => totp_factor(value.get("mfa_factors")),
                };
                if totp != SourceTotp::None {
                    for key in keys(value) {
                        joins.secrets.insert(key, totp.clone());
                    }
                }
            })?;
        }
        Ok(joins)
    }

    /// Fills what the user's record lacks from the joined files.
    fn apply(&self, mut user: SourceUser) -> SourceUser {
        let keys = [
            format!("id:{}", user.source_id),
            format!("email:{}", user.email.trim().to_lowercase()),
        ];
        if user.password == SourcePassword::None
            && let Some(found) = keys.iter().find_map(|k| self.passwords.get(k))
        {
            user.password = found.clone();
        }
        if user.totp == SourceTotp::None
            && let Some(found) = keys.iter().find_map(|k| self.secrets.get(k))
        {
            user.totp = found.clone();
        }
        user
    }
}

/// The join keys of a line of Auth0's side files.
fn keys(value: &Value) -> Vec<String> {
    let id = value
        .pointer("/_id/$oid")
        .and_then(Value::as_str)
        .or_else(|| text(value, "user_id"))
        .map(|id| id.strip_prefix("auth0|").unwrap_or(id));
    let email = text(value, "email").map(|e| e.trim().to_lowercase());
    id.map(|id| format!("id:{id}"))
        .into_iter()
        .chain(email.map(|e| format!("email:{e}")))
        .collect()
}

/// Each JSON line of an NDJSON file; a line that is not JSON stops the import (nothing is
/// written yet when side files are read).
fn each_line(path: &std::path::Path, on_line: &mut dyn FnMut(&Value)) -> anyhow::Result<()> {
    let name = display_name(path);
    for (number, line) in (1u64..).zip(open_file(path)?.lines()) {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(&line)
            .map_err(|e| anyhow::anyhow!("{name}:{number}: not a JSON object: {e}"))?;
        on_line(&value);
    }
    Ok(())
}

fn user_of(file: &str, index: u64, value: &Value) -> SourceItem {
    let position = Position {
        file: file.to_owned(),
        line: index,
    };
    let source_id = text(value, "user_id")
        .map(|id| id.strip_prefix("auth0|").unwrap_or(id).to_owned())
        .unwrap_or_default();
    let Some(object) = value.as_object() else {
        return Err(ReadError {
            position,
            source_id,
            message: "a user is a JSON object".into(),
        });
    };
    let mut user = SourceUser::new(position);
    user.source_id = source_id;
    user.email = text(value, "email").unwrap_or_default().to_owned();
    user.email_verified = object.get("email_verified").and_then(Value::as_bool);
    user.display_name = display(value);
    user.blocked = object
        .get("blocked")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut metadata = serde_json::Map::new();
    for key in ["app_metadata", "user_metadata"] {
        if let Some(value) = object.get(key).filter(|v| v.is_object()) {
            metadata.insert(key.to_owned(), value.clone());
        }
    }
    if !metadata.is_empty() {
        user.metadata = Some(Value::Object(metadata));
    }
    if let Some(hash) = text(value, "password_hash") {
        user.password = password_from_text(hash);
    }
    if let Some(custom) = object.get("custom_password_hash") {
        user.password = custom_password(custom);
    }
    user.totp = totp_factor(object.get("mfa_factors"));
    user.phone = phone_factor(object.get("mfa_factors"));
    Ok(user)
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn display(value: &Value) -> String {
    if let Some(name) = text(value, "name").filter(|n| !n.trim().is_empty()) {
        return name.trim().to_owned();
    }
    let given = [text(value, "given_name"), text(value, "family_name")]
        .into_iter()
        .flatten()
        .filter(|n| !n.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !given.is_empty() {
        return given;
    }
    text(value, "nickname")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The number of the first `{"phone": {"value": "+15551234567"}}` of `mfa_factors`.
fn phone_factor(factors: Option<&Value>) -> Option<String> {
    factors?
        .as_array()?
        .iter()
        .find_map(|factor| factor.get("phone"))
        .and_then(|phone| text(phone, "value"))
        .map(str::to_owned)
}

/// The first `{"totp": {"secret": BASE32}}` of `mfa_factors`.
fn totp_factor(factors: Option<&Value>) -> SourceTotp {
    let Some(factors) = factors.and_then(Value::as_array) else {
        return SourceTotp::None;
    };
    factors.iter().find_map(|factor| factor.get("totp")).map_or(
        SourceTotp::None,
        |totp| match text(totp, "secret") {
            Some(secret) => totp_from_base32(secret),
            None => SourceTotp::Refused("a totp factor without a secret".into()),
        },
    )
}

/// Auth0's `custom_password_hash`: `{algorithm, hash: {value, encoding, digest}, salt:
/// {value, encoding, position}, password: {encoding}, key: {value, encoding}, keylen, cost,
/// blockSize, parallelization}`.
fn custom_password(custom: &Value) -> SourcePassword {
    match custom_hash(custom) {
        Ok(hash) => SourcePassword::Hash(hash),
        Err(err) => SourcePassword::Refused(err),
    }
}

fn custom_hash(custom: &Value) -> Result<ImportedHash, HashError> {
    let algorithm = text(custom, "algorithm").ok_or(HashError::Unknown)?;
    let password_encoding = custom
        .pointer("/password/encoding")
        .and_then(Value::as_str)
        .unwrap_or("utf8");
    if password_encoding != "utf8" {
        // Janua checks a password as its UTF-8 bytes; latin1 or UTF-16 ones would never match.
        return Err(HashError::Unknown);
    }
    let hash = custom.get("hash").ok_or(HashError::Unknown)?;
    let value = text(hash, "value").ok_or_else(|| malformed("hash.value"))?;
    match algorithm {
        "argon2" | "bcrypt" | "ldap" | "pbkdf2" => ImportedHash::parse(value),
        "md5" | "sha1" | "sha256" | "sha512" => {
            let hash = decode(value, text(hash, "encoding").unwrap_or("hex"))?;
            let (salt, position) = salt(custom)?;
            ImportedHash::salted_digest(algorithm, position, salt, hash)
        }
        "hmac" => {
            if custom.get("salt").is_some() {
                return Err(HashError::Unknown);
            }
            let digest = text(hash, "digest").ok_or_else(|| malformed("hash.digest"))?;
            let key = custom.get("key").ok_or_else(|| malformed("key"))?;
            let key = decode(
                text(key, "value").ok_or_else(|| malformed("key.value"))?,
                text(key, "encoding").unwrap_or("utf8"),
            )?;
            let hash = decode(value, text(hash, "encoding").unwrap_or("hex"))?;
            ImportedHash::hmac(digest, key, hash)
        }
        "scrypt" => {
            let hash = decode(value, text(hash, "encoding").unwrap_or("base64"))?;
            let (salt, _) = salt(custom)?;
            let number = |key: &str, default: u64| {
                custom.get(key).and_then(Value::as_u64).unwrap_or(default)
            };
            let cost = number("cost", 16384);
            if !cost.is_power_of_two() || cost < 2 {
                return Err(malformed("scrypt cost is not a power of two"));
            }
            let log_n = u8::try_from(cost.trailing_zeros()).map_err(|_| malformed("cost"))?;
            let bounded = |v: u64| {
                u32::try_from(v).map_err(|_| HashError::OutOfBounds(format!("scrypt {v}")))
            };
            let keylen = number("keylen", 64);
            if usize::try_from(keylen).ok() != Some(hash.len()) {
                return Err(malformed("scrypt keylen differs from the hash length"));
            }
            ImportedHash::scrypt(
                log_n,
                bounded(number("blockSize", 8))?,
                bounded(number("parallelization", 1))?,
                salt,
                hash,
            )
        }
        _ => Err(HashError::Unknown),
    }
}

fn salt(custom: &Value) -> Result<(Vec<u8>, SaltPosition), HashError> {
    let Some(salt) = custom.get("salt") else {
        return Ok((Vec::new(), SaltPosition::Prefix));
    };
    let value = text(salt, "value").ok_or_else(|| malformed("salt.value"))?;
    let bytes = decode(value, text(salt, "encoding").unwrap_or("utf8"))?;
    let position = SaltPosition::from_name(text(salt, "position").unwrap_or("prefix"))
        .ok_or_else(|| malformed("salt.position"))?;
    Ok((bytes, position))
}

fn decode(value: &str, encoding: &str) -> Result<Vec<u8>, HashError> {
    match encoding {
        "utf8" => Ok(value.as_bytes().to_vec()),
        "base64" => STANDARD
            .decode(value.trim())
            .map_err(|_| malformed("a base64 value")),
        "hex" => hex(value.trim()).ok_or_else(|| malformed("a hex value")),
        _ => Err(HashError::Unknown),
    }
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

fn malformed(what: &str) -> HashError {
    HashError::Malformed(what.to_owned())
}
