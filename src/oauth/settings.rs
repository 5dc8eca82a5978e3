//! A client's editable settings and the rules they obey, without storage: the name, the
//! redirect URIs (`redirect_uri`), the grant types and how they combine with the client
//! type, the scopes and the access-token audience. Checked whole, on create and after every
//! update, so no sequence of updates reaches a client that create would refuse.

use crate::{error::Error, store::entities::oauth_client::ClientType};

use super::redirect_uri;

/// Most scopes one client may ask for.
const MAX_SCOPES: usize = 50;
const MAX_SCOPE_LENGTH: usize = 100;
const MAX_NAME_LENGTH: usize = 200;
const MAX_AUDIENCE_LENGTH: usize = 200;
/// The scopes a client created without `allowed_scopes` may ask for.
pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// Janua's issuer URL, which no client may take as its access tokens' audience: Janua's own
/// API accepts its own sign-in tokens, never tokens issued to an application.
#[derive(Debug, Clone, Copy)]
pub struct ReservedAudience<'a>(pub &'a str);

impl ReservedAudience<'_> {
    fn matches(self, audience: &str) -> bool {
        audience.trim_end_matches('/') == self.0.trim_end_matches('/')
    }
}

/// An OAuth grant type a client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    const ALL: [GrantType; 3] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
    ];

    /// The name OAuth gives it (RFC 6749, RFC 7591 `grant_types`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == raw)
    }
}

/// What an administrator sets on a client. As a request gives them they are unchecked;
/// `checked` makes them a client's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSettings {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub allowed_scopes: Vec<String>,
    pub skip_consent: bool,
    /// The `aud` of the client's access tokens; None: its own client_id.
    pub access_token_audience: Option<String>,
    pub disabled: bool,
}

/// The fields an update names (`update_mask`); None leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ClientChanges {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub allowed_scopes: Option<Vec<String>>,
    pub skip_consent: Option<bool>,
    pub access_token_audience: Option<String>,
    pub disabled: Option<bool>,
}

/// The settings of a new client, from a create request: empty grant types and scopes take
/// their defaults (`authorization_code`; [`DEFAULT_SCOPES`]).
pub fn new_settings(
    client_type: ClientType,
    request: ClientChanges,
    reserved: ReservedAudience<'_>,
) -> Result<ClientSettings, Error> {
    let defaults = ClientSettings {
        grant_types: vec![GrantType::AuthorizationCode],
        allowed_scopes: DEFAULT_SCOPES.map(str::to_owned).to_vec(),
        ..ClientSettings::default()
    };
    let request = ClientChanges {
        grant_types: request.grant_types.filter(|g| !g.is_empty()),
        allowed_scopes: request.allowed_scopes.filter(|s| !s.is_empty()),
        ..request
    };
    changed_settings(client_type, defaults, request, reserved)
}

/// `current` with `changes` applied, checked whole.
pub fn changed_settings(
    client_type: ClientType,
    current: ClientSettings,
    changes: ClientChanges,
    reserved: ReservedAudience<'_>,
) -> Result<ClientSettings, Error> {
    let grant_types = match changes.grant_types {
        Some(raw) => parse_grant_types(&raw)?,
        None => current.grant_types,
    };
    let access_token_audience = match changes.access_token_audience {
        Some(raw) => parse_audience(&raw, reserved)?,
        None => current.access_token_audience,
    };
    let settings = ClientSettings {
        name: changes.name.map_or(current.name, |n| n.trim().to_owned()),
        redirect_uris: changes.redirect_uris.unwrap_or(current.redirect_uris),
        post_logout_redirect_uris: changes
            .post_logout_redirect_uris
            .unwrap_or(current.post_logout_redirect_uris),
        grant_types,
        allowed_scopes: changes.allowed_scopes.unwrap_or(current.allowed_scopes),
        skip_consent: changes.skip_consent.unwrap_or(current.skip_consent),
        access_token_audience,
        disabled: changes.disabled.unwrap_or(current.disabled),
    };
    check(client_type, &settings)?;
    Ok(settings)
}

/// Every rule of a client's settings.
fn check(client_type: ClientType, settings: &ClientSettings) -> Result<(), Error> {
    let name_length = settings.name.chars().count();
    if name_length == 0 || name_length > MAX_NAME_LENGTH {
        return Err(Error::invalid("name", "must be 1 to 200 characters"));
    }
    redirect_uri::check_list("redirect_uris", &settings.redirect_uris)?;
    redirect_uri::check_list(
        "post_logout_redirect_uris",
        &settings.post_logout_redirect_uris,
    )?;
    check_scopes(&settings.allowed_scopes)?;
    let has = |grant| settings.grant_types.contains(&grant);
    if client_type == ClientType::Public && has(GrantType::ClientCredentials) {
        return Err(Error::invalid(
            "grant_types",
            "client_credentials needs a confidential client: a public one has no secret",
        ));
    }
    if has(GrantType::RefreshToken) && !has(GrantType::AuthorizationCode) {
        return Err(Error::invalid(
            "grant_types",
            "refresh_token needs authorization_code",
        ));
    }
    if has(GrantType::AuthorizationCode) && settings.redirect_uris.is_empty() {
        return Err(Error::invalid(
            "redirect_uris",
            "authorization_code needs at least one redirect URI",
        ));
    }
    Ok(())
}

/// Known grant types, at least one, each once.
fn parse_grant_types(raw: &[String]) -> Result<Vec<GrantType>, Error> {
    if raw.is_empty() {
        return Err(Error::invalid(
            "grant_types",
            "give at least one grant type",
        ));
    }
    let mut grants = Vec::with_capacity(raw.len());
    for (index, name) in raw.iter().enumerate() {
        let field = format!("grant_types[{index}]");
        let grant = GrantType::parse(name).ok_or_else(|| {
            Error::invalid(
                field.clone(),
                "must be authorization_code, refresh_token or client_credentials",
            )
        })?;
        if grants.contains(&grant) {
            return Err(Error::invalid(field, "is listed twice"));
        }
        grants.push(grant);
    }
    Ok(grants)
}

/// At least one scope, at most [`MAX_SCOPES`], each once, each of `[a-z0-9:._-]`.
fn check_scopes(scopes: &[String]) -> Result<(), Error> {
    if scopes.is_empty() {
        return Err(Error::invalid("allowed_scopes", "give at least one scope"));
    }
    if scopes.len() > MAX_SCOPES {
        return Err(Error::invalid("allowed_scopes", "at most 50 scopes"));
    }
    for (index, scope) in scopes.iter().enumerate() {
        let field = format!("allowed_scopes[{index}]");
        let valid = (1..=MAX_SCOPE_LENGTH).contains(&scope.len())
            && scope.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b':' | b'.' | b'_' | b'-')
            });
        if !valid {
            return Err(Error::invalid(
                field,
                "must be 1 to 100 of lowercase letters, digits, \":\", \".\", \"_\" and \"-\"",
            ));
        }
        if scopes[..index].contains(scope) {
            return Err(Error::invalid(field, "is listed twice"));
        }
    }
    Ok(())
}

/// Empty: None (the client_id). Else 1 to 200 printable ASCII characters without spaces,
/// not Janua's issuer.
fn parse_audience(raw: &str, reserved: ReservedAudience<'_>) -> Result<Option<String>, Error> {
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.len() > MAX_AUDIENCE_LENGTH || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            "access_token_audience",
            "must be at most 200 printable characters without spaces",
        ));
    }
    if reserved.matches(raw) {
        return Err(Error::invalid(
            "access_token_audience",
            "must not be Janua's issuer: Janua's own API does not accept tokens issued to applications",
        ));
    }
    Ok(Some(raw.to_owned()))
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
