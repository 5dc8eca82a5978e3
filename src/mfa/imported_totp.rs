//! Second factors brought in by `janua import`: TOTP (read back by `janua export`), a
//! confirmed authenticator-app factor carrying the secret the user's app already has, and
//! the phone of an SMS factor (Auth0's `phone` factor), each sealed like one enrolled here. Secrets of 80 bits and more are kept (other systems issue 80-bit ones;
//! `totp::verify` accepts them); anything shorter is refused.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::{
    code_factors::sealing_context,
    destination::PhoneNumber,
    store::{self, FactorKind, FactorStatus},
};
use crate::{
    crypto::FieldCipher,
    error::Error,
    store::{entities::mfa_factor, second_factors},
};

/// The shortest imported secret: 80 bits.
pub const MIN_IMPORTED_SECRET_BYTES: usize = 10;
/// The longest: 512 bits.
pub const MAX_IMPORTED_SECRET_BYTES: usize = 64;

/// Adds an active SMS factor for `number` to `user_id` (in the caller's transaction). The
/// caller has checked that SMS codes are on and the number's country allowed.
pub async fn insert_imported_phone(
    db: &impl ConnectionTrait,
    cipher: &FieldCipher,
    user_id: &str,
    number: &PhoneNumber,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let id = uuid::Uuid::now_v7().to_string();
    let sealed = cipher.seal(number.as_str().as_bytes(), &sealing_context(&id))?;
    insert_active(
        db,
        user_id,
        id,
        FactorKind::Sms,
        "Text message",
        sealed,
        now,
    )
    .await
}

/// Adds an active TOTP factor with `secret` to `user_id` (in the caller's transaction) and
/// marks the user as having a second factor.
pub async fn insert_imported_totp(
    db: &impl ConnectionTrait,
    cipher: &FieldCipher,
    user_id: &str,
    secret: &[u8],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if !(MIN_IMPORTED_SECRET_BYTES..=MAX_IMPORTED_SECRET_BYTES).contains(&secret.len()) {
        return Err(Error::invalid("totp_secret", "must be 80 to 512 bits long"));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let sealed = cipher.seal(secret, &sealing_context(&id))?;
    insert_active(
        db,
        user_id,
        id,
        FactorKind::Totp,
        "Authenticator app",
        sealed,
        now,
    )
    .await
}

/// An active factor with its sealed secret; the user now has a second factor.
async fn insert_active(
    db: &impl ConnectionTrait,
    user_id: &str,
    id: String,
    kind: FactorKind,
    name: &str,
    sealed: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    store::insert_factor(
        db,
        mfa_factor::Model {
            id,
            user_id: user_id.to_owned(),
            kind,
            status: FactorStatus::Active,
            name: name.into(),
            secret_sealed: Some(sealed),
            credential_id: None,
            credential: None,
            last_used_step: None,
            created_at: now,
            last_used_at: None,
        },
    )
    .await?;
    second_factors::refresh_mfa_enabled(db, user_id).await?;
    Ok(())
}

/// The secret of `user_id`'s active TOTP factor, if any (for `janua export`).
pub async fn active_totp_secret(
    db: &impl ConnectionTrait,
    cipher: &FieldCipher,
    user_id: &str,
) -> Result<Option<Vec<u8>>, Error> {
    let factors = store::active_factors(db, user_id).await?;
    let Some(factor) = factors.iter().find(|f| f.kind == FactorKind::Totp) else {
        return Ok(None);
    };
    let Some(sealed) = factor.secret_sealed.as_deref() else {
        return Ok(None);
    };
    Ok(Some(cipher.open(sealed, &sealing_context(&factor.id))?))
}
