//! Credential values every capability shares, below all of them. The credentials a person
//! types, parsed at the boundary: `Email` (trimmed; compared case-insensitively) and
//! `NewPassword` (NIST 800-63B: 10 to 128 characters, no composition rules, not a common
//! password, not the email itself); a value of these types is valid. And the opaque tokens
//! Janua hands out (`tokens`). Nothing here reads the database or decides who may sign in.

pub mod tokens;

use std::{collections::HashSet, fmt, sync::LazyLock};

use secrecy::{ExposeSecret, SecretString};

use crate::error::Error;

/// The shortest password `NewPassword` accepts (the hosted pages say so beside the field).
pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 128;
const MAX_EMAIL_LEN: usize = 254;

/// Common passwords of at least the minimum length, lower-cased (shipped in the repo).
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common-passwords.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .collect()
});

/// An email address as entered, with its normalised (lower-cased) form for lookups.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    display: String,
    normalized: String,
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.display)
    }
}

impl Email {
    /// Accepts one `local@domain` with no spaces, at most 254 characters.
    pub fn parse(field: &str, raw: &str) -> Result<Self, Error> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid(field, "is required"));
        }
        let valid = trimmed.len() <= MAX_EMAIL_LEN
            && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(trimmed.split_once('@'), Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@')
                    && !domain.starts_with('.') && !domain.ends_with('.'));
        if !valid {
            return Err(Error::invalid(field, "is not an email address"));
        }
        Ok(Self {
            display: trimmed.to_owned(),
            normalized: trimmed.to_lowercase(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

/// A password being set (sign-up, change, reset), checked against the policy.
#[derive(Clone)]
pub struct NewPassword(SecretString);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(redacted)")
    }
}

impl NewPassword {
    pub fn parse(field: &str, raw: &str, email: &str) -> Result<Self, Error> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(Error::invalid(
                field,
                format!("must be at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(Error::invalid(
                field,
                format!("must be at most {MAX_PASSWORD_CHARS} characters"),
            ));
        }
        let lowered = raw.to_lowercase();
        if COMMON_PASSWORDS.contains(lowered.as_str()) {
            return Err(Error::invalid(field, "is too common; choose another"));
        }
        let email = email.trim().to_lowercase();
        let local_part = email.split('@').next().unwrap_or_default();
        if lowered == email
            || (local_part.chars().count() >= MIN_PASSWORD_CHARS && lowered == local_part)
        {
            return Err(Error::invalid(field, "must not be your email address"));
        }
        Ok(Self(SecretString::from(raw.to_owned())))
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

/// A password being checked (sign-in, current password): any non-empty string.
pub fn presented_password(field: &str, raw: &str) -> Result<SecretString, Error> {
    if raw.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if raw.chars().count() > MAX_PASSWORD_CHARS * 4 {
        return Err(Error::invalid(field, "is too long"));
    }
    Ok(SecretString::from(raw.to_owned()))
}

/// Exposes the text of a secret only where a hash or comparison needs it.
pub fn expose(secret: &SecretString) -> &str {
    secret.expose_secret()
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn emails_are_trimmed_and_normalised() {
        let email = Email::parse("email", "  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ada.Lovelace@Example.COM");
        assert_eq!(email.normalized(), "ada.lovelace@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "   ",
            "no-at-sign",
            "@example.com",
            "ada@",
            "a b@example.com",
            "a@b@c",
            "a@.com",
            "a@com.",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse("email", &format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn password_policy_follows_nist() {
        let ok = NewPassword::parse("password", "correct horse battery", "ada@example.com");
        assert!(ok.is_ok());
        assert!(NewPassword::parse("password", "short", "ada@example.com").is_err());
        assert!(NewPassword::parse("password", &"x".repeat(129), "ada@example.com").is_err());
        assert!(
            NewPassword::parse("password", &"é".repeat(128), "ada@example.com").is_ok(),
            "counts characters, not bytes"
        );
        assert!(
            NewPassword::parse("password", "1234567890", "ada@example.com").is_err(),
            "common"
        );
        assert!(
            NewPassword::parse("password", "QwertyUIOP", "ada@example.com").is_err(),
            "common, any case"
        );
        assert!(
            NewPassword::parse("password", "Ada@Example.com", "ada@example.com").is_err(),
            "the email"
        );
        assert!(
            NewPassword::parse("password", "no digits or symbols at all", "ada@example.com")
                .is_ok(),
            "no composition rules"
        );
    }

    #[test]
    fn the_common_list_is_loaded() {
        assert!(COMMON_PASSWORDS.len() > 1000);
    }
}
