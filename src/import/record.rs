//! What every source reads a user into, before any rule is checked: the fields as they came,
//! a hash already parsed (or why it was refused), a TOTP secret already decoded (or why it
//! could not be). Values here may still be invalid; `engine::validate` decides.

use crate::crypto::{HashError, ImportedHash};

/// Where a record sits in its input: the file (relative to the input) and its line (CSV,
/// NDJSON) or its position in the file's user list (JSON arrays), counted from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub file: String,
    pub line: u64,
}

/// A password as a source gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourcePassword {
    None,
    Hash(ImportedHash),
    /// Unknown, malformed or out of bounds: the user comes in without a password, marked
    /// for reset, and the refusal is reported.
    Refused(HashError),
}

/// A TOTP secret as a source gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceTotp {
    None,
    Secret(Vec<u8>),
    /// Could not be used (bad encoding, another algorithm, period or length): the user comes
    /// in without it, and this is reported (never the secret).
    Refused(String),
}

/// One user as read from a source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceUser {
    pub position: Position,
    /// The user's id in the source system (`auth0|` stripped), unique per source; empty when
    /// the source has none (then the email is the key).
    pub source_id: String,
    pub email: String,
    /// None when the source does not say (imported as false, with a warning).
    pub email_verified: Option<bool>,
    pub display_name: String,
    pub blocked: bool,
    pub metadata: Option<serde_json::Value>,
    pub password: SourcePassword,
    pub totp: SourceTotp,
    /// The phone number of an SMS factor (Auth0's `phone` factor), as the source wrote it.
    pub phone: Option<String>,
    /// How the user signs in while its app moves to Janua (an `auth_method` column), as
    /// written; None when the source does not say.
    pub auth_method: Option<String>,
    /// A janua-v2 user's dual sign-in state exactly as exported (`migration`): then nothing
    /// is defaulted, since moving Janua is not an app's migration. None for other sources.
    pub migration: Option<SourceMigration>,
}

/// The `migration` object of a janua-v2 user, as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceMigration {
    /// The id the user had in the app it was first imported from.
    pub external_id: Option<String>,
    pub invited_at: Option<String>,
    pub completed_at: Option<String>,
}

impl SourceUser {
    pub fn new(position: Position) -> Self {
        Self {
            position,
            source_id: String::new(),
            email: String::new(),
            email_verified: None,
            display_name: String::new(),
            blocked: false,
            metadata: None,
            password: SourcePassword::None,
            totp: SourceTotp::None,
            phone: None,
            auth_method: None,
            migration: None,
        }
    }

    /// The key the external-id table holds: the source id, else the lower-cased email.
    pub fn external_id(&self) -> String {
        if self.source_id.is_empty() {
            self.email.trim().to_lowercase()
        } else {
            self.source_id.clone()
        }
    }

    pub fn set_password_text(&mut self, text: &str) {
        self.password = password_from_text(text);
    }
}

pub fn password_from_text(text: &str) -> SourcePassword {
    if text.trim().is_empty() {
        return SourcePassword::None;
    }
    match ImportedHash::parse(text) {
        Ok(hash) => SourcePassword::Hash(hash),
        Err(err) => SourcePassword::Refused(err),
    }
}

/// A base32 TOTP secret (any case, spaces and padding ignored).
pub fn totp_from_base32(text: &str) -> SourceTotp {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    if cleaned.is_empty() {
        return SourceTotp::None;
    }
    match totp_rs::Secret::try_from_base32(&cleaned) {
        Ok(secret) if !secret.as_bytes().is_empty() => {
            SourceTotp::Secret(secret.as_bytes().to_vec())
        }
        _ => SourceTotp::Refused("the TOTP secret is not base32".into()),
    }
}

/// A record that could not be read at all (bad JSON, a CSV row of the wrong width).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub position: Position,
    pub source_id: String,
    pub message: String,
}

/// What a source yields, in input order.
pub type SourceItem = Result<SourceUser, ReadError>;
