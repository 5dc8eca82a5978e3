//! Confidential clients' secrets: 256 random bits shown once as `janua_cs_…`, stored as
//! SHA-256 (`credentials::tokens`). A rotation keeps the replaced digest valid until an
//! expiry so apps can switch without downtime; checking a presented secret compares its
//! digest with both stored ones in constant time.

use chrono::{DateTime, Duration, Utc};
use subtle::ConstantTimeEq;

use crate::{credentials::tokens, error::Error, store::entities::oauth_client};

/// Every client secret starts with this, so a leaked one is recognized as Janua's.
pub const CLIENT_SECRET_PREFIX: &str = "janua_cs_";
/// How long a replaced secret keeps working when the rotation does not say.
pub const DEFAULT_PREVIOUS_SECRET_TTL: Duration = Duration::hours(24);
/// The longest a replaced secret may keep working.
const MAX_PREVIOUS_SECRET_TTL: Duration = Duration::days(30);
/// How many of the secret's last characters the client shows (`secret_hint`).
const HINT_LENGTH: usize = 4;

/// A secret just made: the text to show once, and what is stored.
pub struct IssuedSecret {
    pub secret: String,
    pub digest: String,
    pub hint: String,
}

pub fn issue() -> IssuedSecret {
    let secret = format!("{CLIENT_SECRET_PREFIX}{}", tokens::new_opaque_token());
    let hint = secret
        .get(secret.len().saturating_sub(HINT_LENGTH)..)
        .unwrap_or_default()
        .to_owned();
    IssuedSecret {
        digest: tokens::digest(&secret),
        hint,
        secret,
    }
}

/// The requested overlap of a rotation: unset is the default, else 0 to 30 days.
pub fn previous_secret_ttl(requested: Option<Duration>) -> Result<Duration, Error> {
    match requested {
        None => Ok(DEFAULT_PREVIOUS_SECRET_TTL),
        Some(ttl) if ttl >= Duration::zero() && ttl <= MAX_PREVIOUS_SECRET_TTL => Ok(ttl),
        Some(_) => Err(Error::invalid(
            "previous_secret_ttl",
            "must be from 0 seconds to 30 days",
        )),
    }
}

/// Whether `presented` is the client's current secret, or the one it replaced while that
/// is still within its expiry. Both digests are compared every time, in constant time.
pub fn accepts(row: &oauth_client::Model, presented: &str, now: DateTime<Utc>) -> bool {
    let digest = tokens::digest(presented);
    let current = same_digest(row.secret_hash.as_deref(), &digest);
    let previous = same_digest(row.previous_secret_hash.as_deref(), &digest);
    let previous_live = row.previous_secret_expires_at.is_some_and(|at| now < at);
    current | (previous & previous_live)
}

fn same_digest(stored: Option<&str>, presented: &str) -> bool {
    stored.is_some_and(|stored| bool::from(stored.as_bytes().ct_eq(presented.as_bytes())))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::{oauth::client::new_row, store::entities::oauth_client::ClientType};

    fn row(
        current: &IssuedSecret,
        previous: Option<(&IssuedSecret, DateTime<Utc>)>,
    ) -> oauth_client::Model {
        let settings = crate::oauth::ClientSettings::default();
        let client = new_row(
            "o",
            ClientType::Confidential,
            settings,
            None,
            DateTime::UNIX_EPOCH,
        );
        oauth_client::Model {
            secret_hash: Some(current.digest.clone()),
            secret_hint: Some(current.hint.clone()),
            previous_secret_hash: previous.map(|(p, _)| p.digest.clone()),
            previous_secret_expires_at: previous.map(|(_, at)| at),
            ..client
        }
    }

    #[test]
    fn secrets_are_prefixed_random_and_hinted_by_their_tail() {
        let (a, b) = (issue(), issue());
        assert!(a.secret.starts_with(CLIENT_SECRET_PREFIX));
        assert_eq!(a.secret.len(), CLIENT_SECRET_PREFIX.len() + 43);
        assert!(a.secret.ends_with(&a.hint) && a.hint.len() == 4);
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.digest, tokens::digest(&a.secret));
        assert!(!a.digest.contains(&a.secret));
    }

    #[test]
    fn the_replaced_secret_works_until_its_expiry_and_then_not() {
        let (old, new, stranger) = (issue(), issue(), issue());
        let expiry = DateTime::UNIX_EPOCH + Duration::hours(24);
        let client = row(&new, Some((&old, expiry)));
        let before = expiry - Duration::seconds(1);
        assert!(accepts(&client, &new.secret, before));
        assert!(accepts(&client, &old.secret, before));
        assert!(!accepts(&client, &old.secret, expiry));
        assert!(accepts(&client, &new.secret, expiry));
        assert!(!accepts(&client, &stranger.secret, before));
        assert!(!accepts(&client, "", before));
        assert!(
            !accepts(&client, &new.digest, before),
            "the digest is not the secret"
        );
    }

    #[test]
    fn a_client_without_a_secret_accepts_nothing() {
        let mut client = row(&issue(), None);
        client.secret_hash = None;
        assert!(!accepts(&client, "", DateTime::UNIX_EPOCH));
        assert!(!accepts(&client, &tokens::digest(""), DateTime::UNIX_EPOCH));
    }

    #[test]
    fn the_overlap_defaults_to_a_day_and_is_bounded() {
        assert_eq!(previous_secret_ttl(None).unwrap(), Duration::hours(24));
        assert_eq!(
            previous_secret_ttl(Some(Duration::zero())).unwrap(),
            Duration::zero()
        );
        assert!(previous_secret_ttl(Some(Duration::days(31))).is_err());
        assert!(previous_secret_ttl(Some(Duration::seconds(-1))).is_err());
    }
}
