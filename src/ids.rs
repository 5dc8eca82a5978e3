//! Ids as types. A request's id is parsed once, in the tonic layer, into the id of what it
//! names (`UserId`, `OrganizationId`, …), so domain code cannot pass a session id where a
//! user id belongs, and nothing below the boundary sees unchecked text. New rows get UUIDv7
//! ids (creation order); imported rows keep theirs, so the parser accepts any id of up to
//! 128 URL-safe characters, not only UUIDs. Ids read back from storage or from a token
//! Janua signed are trusted as they are (`from_trusted`).

use std::{fmt, ops::Deref};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The longest id accepted (imported ids included).
const MAX_LEN: usize = 128;

/// Characters an id may hold: safe in a URL path segment unescaped, plus `|` and `:` that
/// other identity systems put in their ids (`google-oauth2|1234`).
fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | ':' | '|' | '@')
}

/// Checks a request's id: INVALID_ARGUMENT on `field` when empty, too long or holding a
/// character no id has.
fn checked(field: &str, raw: &str) -> Result<String, Error> {
    if raw.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if raw.len() > MAX_LEN || !raw.chars().all(id_char) {
        return Err(Error::invalid(field, "is not a valid id"));
    }
    Ok(raw.to_owned())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        /// Serialized as the bare text, for state Janua keeps and reads back itself.
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id a request names in `field`.
            pub fn parse(field: &str, raw: &str) -> Result<Self, Error> {
                checked(field, raw).map(Self)
            }

            /// None for an empty field (an optional id), else as `parse`.
            pub fn parse_optional(field: &str, raw: &str) -> Result<Option<Self>, Error> {
                if raw.is_empty() { Ok(None) } else { Self::parse(field, raw).map(Some) }
            }

            /// An id Janua stored or signed itself.
            pub fn from_trusted(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        /// Stores bind and compare ids as text.
        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> Self {
                id.0.clone()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

id_type!(
    /// An account (`users.id`).
    UserId
);
id_type!(
    /// An organization (`organizations.id`).
    OrganizationId
);
id_type!(
    /// A signed-in session (`sessions.id`, the access token's `sid`).
    SessionId
);
id_type!(
    /// A second factor (`mfa_factors.id`).
    FactorId
);
id_type!(
    /// An invitation to an organization.
    InvitationId
);
id_type!(
    /// A custom role of an organization.
    RoleId
);
id_type!(
    /// An organization's API key.
    ApiKeyId
);
id_type!(
    /// An organization's SSO connection.
    ConnectionId
);
id_type!(
    /// An email domain an organization declared.
    DomainId
);
id_type!(
    /// A webhook endpoint (`webhook_endpoints.id`).
    WebhookEndpointId
);
id_type!(
    /// One event's delivery to one webhook endpoint (`webhook_deliveries.id`).
    WebhookDeliveryId
);
id_type!(
    /// An application registered with Janua as an OpenID Provider: its OAuth `client_id`
    /// (`oauth_clients.id`).
    OAuthClientId
);
id_type!(
    /// An import run created over the API (ImportService).
    ImportRunId
);

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn parses_uuids_and_imported_ids() {
        for raw in [
            "0193a5c2-7d1e-7c3a-9f00-1234567890ab",
            "5f7c8ec7c33c6c004bbafe82",
            "google-oauth2|1234",
        ] {
            assert_eq!(UserId::parse("user_id", raw).unwrap().as_str(), raw);
        }
    }

    #[test]
    fn refuses_empty_long_and_path_breaking_ids() {
        let too_long = "a".repeat(MAX_LEN + 1);
        for raw in [
            "",
            "a/b",
            "a b",
            "a%2F",
            "a?b",
            "a#b",
            "é",
            "a\nb",
            too_long.as_str(),
        ] {
            let error = UserId::parse("user_id", raw).unwrap_err();
            assert!(
                matches!(error, Error::Validation { .. }),
                "{raw:?}: {error:?}"
            );
        }
        assert_eq!(UserId::parse_optional("user_id", "").unwrap(), None);
    }

    #[test]
    fn the_ids_janua_mints_parse() {
        let minted = uuid::Uuid::now_v7().to_string();
        assert_eq!(SessionId::parse("session_id", &minted).unwrap(), minted);
    }
}
