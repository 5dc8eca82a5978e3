//! `RegisteredClient`, a client as the rest of Janua sees it: its settings and, for a
//! confidential client, what may be shown of its secret (the hint and the rotation times,
//! never a digest). Read from and written to the `oauth_clients` row here.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::settings::{ClientSettings, GrantType};
use crate::{
    ids::{OAuthClientId, OrganizationId},
    store::entities::oauth_client::{self, ClientType},
};

/// What may be shown of a confidential client's secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMetadata {
    /// The last characters of the current secret.
    pub hint: String,
    /// When the current secret replaced another; None if never rotated.
    pub rotated_at: Option<DateTime<Utc>>,
    /// When the replaced secret stops (or stopped) being accepted.
    pub previous_expires_at: Option<DateTime<Utc>>,
}

/// A registered OAuth client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredClient {
    pub client_id: OAuthClientId,
    pub organization_id: OrganizationId,
    pub client_type: ClientType,
    pub settings: ClientSettings,
    /// None for public clients.
    pub secret: Option<SecretMetadata>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RegisteredClient {
    /// Whether the client may use `grant`.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.settings.grant_types.contains(&grant)
    }

    /// The `aud` of the client's access tokens: the one it registered, else its client_id.
    pub fn access_token_audience(&self) -> &str {
        self.settings
            .access_token_audience
            .as_deref()
            .unwrap_or(&self.client_id)
    }

    /// Whether `uri` is one of the client's redirect URIs, compared exactly (no
    /// normalisation, no prefix or pattern matching), but for the port of a loopback IP
    /// URI (RFC 8252).
    pub fn is_registered_redirect_uri(&self, uri: &str) -> bool {
        self.settings
            .redirect_uris
            .iter()
            .any(|r| super::redirect_uri::matches(r, uri))
    }

    /// Whether `uri` is one of the client's post-logout redirect URIs, compared exactly.
    pub fn is_registered_post_logout_uri(&self, uri: &str) -> bool {
        self.settings
            .post_logout_redirect_uris
            .iter()
            .any(|r| r == uri)
    }

    /// The origins of the client's redirect URIs: the browser origins its single-page app
    /// may call the token, userinfo and revocation endpoints from.
    pub fn redirect_origins(&self) -> impl Iterator<Item = String> + '_ {
        self.settings.redirect_uris.iter().filter_map(|uri| {
            url::Url::parse(uri)
                .ok()
                .map(|url| url.origin().ascii_serialization())
        })
    }

    pub(super) fn from_row(row: oauth_client::Model) -> Self {
        let secret = row.secret_hint.map(|hint| SecretMetadata {
            hint,
            rotated_at: row.secret_rotated_at,
            previous_expires_at: row.previous_secret_expires_at,
        });
        let grant_types = strings(&row.grant_types)
            .iter()
            .filter_map(|g| GrantType::parse(g))
            .collect();
        Self {
            client_id: OAuthClientId::from_trusted(row.id),
            organization_id: OrganizationId::from_trusted(row.organization_id),
            client_type: row.client_type,
            settings: ClientSettings {
                name: row.name,
                redirect_uris: strings(&row.redirect_uris),
                post_logout_redirect_uris: strings(&row.post_logout_redirect_uris),
                grant_types,
                allowed_scopes: strings(&row.allowed_scopes),
                skip_consent: row.skip_consent,
                access_token_audience: row.access_token_audience,
                disabled: row.disabled,
            },
            secret,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The row of a new client of `organization_id`, with a new client_id and no secret.
pub(super) fn new_row(
    organization_id: &str,
    client_type: ClientType,
    settings: ClientSettings,
    created_by: Option<String>,
    now: DateTime<Utc>,
) -> oauth_client::Model {
    let blank = oauth_client::Model {
        id: uuid::Uuid::now_v7().to_string(),
        organization_id: organization_id.to_owned(),
        name: String::new(),
        client_type,
        redirect_uris: Value::Null,
        post_logout_redirect_uris: Value::Null,
        grant_types: Value::Null,
        allowed_scopes: Value::Null,
        skip_consent: false,
        access_token_audience: None,
        disabled: false,
        secret_hash: None,
        secret_hint: None,
        secret_rotated_at: None,
        previous_secret_hash: None,
        previous_secret_expires_at: None,
        created_by,
        created_at: now,
        updated_at: now,
    };
    with_settings(blank, settings, now)
}

/// `row` with its settings replaced by `settings` (secret columns untouched).
pub(super) fn with_settings(
    row: oauth_client::Model,
    settings: ClientSettings,
    now: DateTime<Utc>,
) -> oauth_client::Model {
    let grant_types: Vec<&str> = settings.grant_types.iter().map(|g| g.as_str()).collect();
    oauth_client::Model {
        name: settings.name,
        redirect_uris: Value::from(settings.redirect_uris),
        post_logout_redirect_uris: Value::from(settings.post_logout_redirect_uris),
        grant_types: Value::from(grant_types),
        allowed_scopes: Value::from(settings.allowed_scopes),
        skip_consent: settings.skip_consent,
        access_token_audience: settings.access_token_audience,
        disabled: settings.disabled,
        updated_at: now,
        ..row
    }
}

/// A JSON array of strings as stored; anything else reads as empty.
fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_round_trips_and_redirects_match_exactly() {
        let now = DateTime::UNIX_EPOCH;
        let settings = ClientSettings {
            name: "App".into(),
            redirect_uris: vec!["https://app.example.com/cb".into()],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            allowed_scopes: vec!["openid".into()],
            ..ClientSettings::default()
        };
        let row = new_row("org", ClientType::Public, settings.clone(), None, now);
        let client = RegisteredClient::from_row(row);
        assert_eq!(client.organization_id, "org");
        assert_eq!(client.settings, settings);
        assert_eq!(client.secret, None);
        assert_eq!(client.access_token_audience(), client.client_id.as_str());
        assert!(client.allows_grant(GrantType::RefreshToken));
        assert!(!client.allows_grant(GrantType::ClientCredentials));
        assert!(client.is_registered_redirect_uri("https://app.example.com/cb"));
        for near_miss in [
            "https://app.example.com/cb/",
            "https://app.example.com/cb?x=1",
            "https://app.example.com/c",
            "https://APP.example.com/cb",
            "https://app.example.com.evil.com/cb",
        ] {
            assert!(!client.is_registered_redirect_uri(near_miss), "{near_miss}");
        }
    }
}
