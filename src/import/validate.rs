//! The rules a record must pass before any database is asked: a real email, an id Janua can
//! keep (else a new one, with a warning), no email or source id seen earlier in the same
//! input (case-only duplicates included: both positions are named, nothing is merged), a
//! usable hash (else no password, marked for reset) and TOTP secret. Pure: no I/O.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};

use super::{
    record::{Position, SourceMigration, SourcePassword, SourceTotp, SourceUser},
    report::Problem,
};
use crate::{
    config::SmsSettings, credentials::Email, ids::UserId, mfa::destination::PhoneNumber,
    store::entities::user::AuthMethod,
};

/// The longest id the users table keeps as it is (`users.id` is 36 characters wide).
const MAX_KEPT_ID_LEN: usize = 36;
/// TOTP secrets Janua keeps: 80 to 512 bits.
const TOTP_SECRET_BYTES: std::ops::RangeInclusive<usize> = 10..=64;

/// A record that passed, ready for the database.
#[derive(Debug, Clone)]
pub struct ValidUser {
    pub position: Position,
    pub external_id: String,
    pub id: String,
    pub email: Email,
    pub email_verified: bool,
    pub display_name: String,
    pub blocked: bool,
    pub metadata: Option<serde_json::Value>,
    /// The stored form of the imported hash.
    pub password_hash: Option<String>,
    /// The hash was refused: the user comes in without a password.
    pub password_refused: bool,
    pub totp_secret: Option<Vec<u8>>,
    /// The source had a TOTP secret Janua could not use.
    pub totp_refused: bool,
    /// The number of an SMS factor to keep: SMS codes are on and its country allowed.
    pub phone: Option<PhoneNumber>,
    /// Dual sign-in: as the source said, else `password` when the user has one.
    pub auth_method: Option<AuthMethod>,
    /// What the user row shows as its `external_id`, and when its move was invited and
    /// completed (a janua-v2 user's exported state; else the source id and none).
    pub migration: KeptMigration,
}

/// The dual sign-in state a user comes in with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeptMigration {
    pub external_id: Option<String>,
    pub invited_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// What the input held before this record (emails, source ids, kept ids), for duplicates:
/// a 128-bit digest of each value and the line it was on (a source reads its users from one
/// file), about 40 bytes a user however long the values, so memory grows slowly with the
/// input.
#[derive(Default)]
pub struct SeenSoFar {
    emails: HashMap<u128, u64>,
    external_ids: HashMap<u128, u64>,
    ids: HashMap<u128, u64>,
}

/// The first 128 bits of SHA-256: collisions are out of reach for any real input.
fn key(value: &str) -> u128 {
    let digest = Sha256::digest(value.as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(first)
}

/// Checks one record: Ok with its warnings, or Err with why it fails.
pub fn validate(
    user: SourceUser,
    seen: &mut SeenSoFar,
    sms: Option<&SmsSettings>,
) -> Result<(ValidUser, Vec<Problem>), Problem> {
    let position = user.position.clone();
    let source_id = user.source_id.clone();
    let problem =
        |code, field, message: String| Problem::new(&position, &source_id, code, field, message);
    let email = Email::parse("email", &user.email).map_err(|_| {
        problem(
            "invalid_email",
            "email",
            "the email is missing or not an email address".into(),
        )
    })?;
    let auth_method = match user.auth_method.as_deref() {
        None => None,
        Some(name) => Some(
            AuthMethod::parse(&name.to_ascii_lowercase()).ok_or_else(|| {
                problem(
                    "invalid_auth_method",
                    "auth_method",
                    "the auth method is not one of password, oauth, dual".into(),
                )
            })?,
        ),
    };
    let external_id = user.external_id();
    if external_id.len() > 255 {
        return Err(problem(
            "invalid_id",
            "id",
            "the source id is longer than 255 characters".into(),
        ));
    }
    let file = &position.file;
    if let Some(line) = seen.emails.get(&key(email.normalized())) {
        return Err(problem(
            "duplicate_email",
            "email",
            format!(
                "the email is also at {file}:{line} (emails differing only in case are one account); neither is merged"
            ),
        ));
    }
    if let Some(line) = seen.external_ids.get(&key(&external_id)) {
        return Err(problem(
            "duplicate_id",
            "id",
            format!("the source id is also at {file}:{line}"),
        ));
    }
    let mut warnings = Vec::new();
    let id = kept_id(&user.source_id, seen, &mut warnings, &problem);
    seen.emails.insert(key(email.normalized()), position.line);
    seen.external_ids.insert(key(&external_id), position.line);
    seen.ids.insert(key(&id), position.line);
    if user.email_verified.is_none() {
        warnings.push(problem(
            "email_verified_missing",
            "email_verified",
            "the source does not say whether the email is verified; imported as not verified"
                .into(),
        ));
    }
    let (password_hash, password_refused) = match user.password {
        SourcePassword::None => (None, false),
        SourcePassword::Hash(hash) => (Some(hash.stored()), false),
        SourcePassword::Refused(err) => {
            warnings.push(problem(
                err.code(),
                "password_hash",
                format!("{err}; the user is imported without a password and must reset it"),
            ));
            (None, true)
        }
    };
    let (totp_secret, totp_refused) = match user.totp {
        SourceTotp::None => (None, false),
        SourceTotp::Secret(secret) if TOTP_SECRET_BYTES.contains(&secret.len()) => {
            (Some(secret), false)
        }
        SourceTotp::Secret(secret) => {
            warnings.push(problem(
                "totp_refused",
                "totp_secret",
                format!(
                    "a {}-bit TOTP secret (80 to 512 bits are kept)",
                    secret.len() * 8
                ),
            ));
            (None, true)
        }
        SourceTotp::Refused(why) => {
            warnings.push(problem("totp_refused", "totp_secret", why));
            (None, true)
        }
    };
    let phone = user.phone.as_deref().and_then(|raw| {
        let kept = kept_phone(raw, sms);
        if let Err(why) = &kept {
            warnings.push(problem(
                "phone_refused",
                "phone_number",
                format!("{why}; the SMS factor is not imported"),
            ));
        }
        kept.ok()
    });
    let (auth_method, migration) = match &user.migration {
        Some(exported) => (auth_method, kept_migration(exported, &problem)?),
        None => (
            auth_method.or_else(|| password_hash.is_some().then_some(AuthMethod::Password)),
            KeptMigration {
                external_id: Some(external_id.clone()),
                ..KeptMigration::default()
            },
        ),
    };
    Ok((
        ValidUser {
            position,
            external_id,
            id,
            email,
            email_verified: user.email_verified.unwrap_or(false),
            display_name: user.display_name,
            blocked: user.blocked,
            metadata: user.metadata,
            password_hash,
            password_refused,
            totp_secret,
            totp_refused,
            phone,
            auth_method,
            migration,
        },
        warnings,
    ))
}

/// A janua-v2 user's `migration` object: its timestamps must be RFC 3339.
fn kept_migration(
    exported: &SourceMigration,
    problem: &impl Fn(&'static str, &'static str, String) -> Problem,
) -> Result<KeptMigration, Problem> {
    let time = |field: &'static str, value: &Option<String>| {
        value
            .as_deref()
            .map(|text| {
                DateTime::parse_from_rfc3339(text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        problem(
                            "invalid_migration",
                            field,
                            "not an RFC 3339 timestamp".into(),
                        )
                    })
            })
            .transpose()
    };
    if exported
        .external_id
        .as_ref()
        .is_some_and(|id| id.len() > 255)
    {
        return Err(problem(
            "invalid_migration",
            "migration.external_id",
            "longer than 255 characters".into(),
        ));
    }
    Ok(KeptMigration {
        external_id: exported.external_id.clone(),
        invited_at: time("migration.invited_at", &exported.invited_at)?,
        completed_at: time("migration.completed_at", &exported.completed_at)?,
    })
}

/// An SMS factor's number when Janua can send to it, as an enrolment would require.
fn kept_phone(raw: &str, sms: Option<&SmsSettings>) -> Result<PhoneNumber, String> {
    let number = PhoneNumber::parse("phone_number", raw)
        .map_err(|_| "the phone number is not in E.164 form (+ and digits)".to_owned())?;
    let Some(sms) = sms else {
        return Err("SMS codes are turned off here (MFA_SMS_ENABLED)".to_owned());
    };
    let allowed = number
        .country()
        .is_some_and(|country| sms.allowed_countries.iter().any(|c| c == country));
    if !allowed {
        return Err("the number's country is not in SMS_ALLOWED_COUNTRIES".to_owned());
    }
    Ok(number)
}

/// The source id when Janua can keep it (an id's shape, at most 36 characters, not used by
/// an earlier record), else a new UUIDv7 with a warning.
fn kept_id(
    source_id: &str,
    seen: &SeenSoFar,
    warnings: &mut Vec<Problem>,
    problem: &dyn Fn(&'static str, &'static str, String) -> Problem,
) -> String {
    if source_id.is_empty() {
        return uuid::Uuid::now_v7().to_string();
    }
    let keepable = source_id.len() <= MAX_KEPT_ID_LEN
        && UserId::parse("id", source_id).is_ok()
        && !seen.ids.contains_key(&key(source_id));
    if keepable {
        return source_id.to_owned();
    }
    let id = uuid::Uuid::now_v7().to_string();
    warnings.push(problem(
        "id_replaced",
        "id",
        format!("the source id cannot be a Janua id (shape or length); the user is {id} (ids.csv)"),
    ));
    id
}
