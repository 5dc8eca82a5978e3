//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), checked in the order
//! the RFCs demand: until the client and its redirect URI are known good, every problem is
//! shown to the user (`Refusal::Show`), never sent anywhere, so the endpoint is no open
//! redirector; after that, problems go back to the client's redirect URI with `state` and
//! `iss` (`Refusal::Redirect`).
//!
//! Only `response_type=code` (no implicit, no hybrid); PKCE S256 (required of public
//! clients, `plain` refused); `prompt` none, login, consent (select_account reads as none
//! of them); `max_age`; `nonce`, `state` and `login_hint` kept as given, bounded in length.

use serde::{Deserialize, Serialize};

use super::AuthorizationServer;
use crate::{
    error::Error,
    ids::OAuthClientId,
    oauth::{ClientType, GrantType, RegisteredClient},
};

const MAX_STATE: usize = 2048;
const MAX_NONCE: usize = 512;
const MAX_LOGIN_HINT: usize = 320;

/// A checked authorization request, kept while the user signs in and consents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    /// Seconds since the user's last sign-in beyond which they sign in again.
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
}

/// What `prompt` asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// No page may be shown: answer at once or fail.
    pub none: bool,
    /// Sign in again even with a live session.
    pub login: bool,
    /// Ask for consent even when it was given before.
    pub consent: bool,
}

/// An error that goes back to the client (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectError {
    pub error: &'static str,
    pub description: String,
}

impl RedirectError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            error,
            description: description.into(),
        }
    }
}

/// Why an authorization request is refused.
#[derive(Debug)]
pub enum Refusal {
    /// Shown to the user on Janua's error page (the client or its redirect URI is not known
    /// good).
    Show(String),
    /// Sent to the client's redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: RedirectError,
    },
    /// Janua failed.
    Failed(Error),
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Self {
        Self::Failed(error)
    }
}

impl AuthorizationServer {
    /// Checks the query parameters of an authorization request.
    pub async fn authorization_request(
        &self,
        query: &str,
    ) -> Result<(AuthorizationRequest, RegisteredClient), Refusal> {
        let params = Query::parse(query);
        let client_id = params.single("client_id").map_err(Refusal::Show)?;
        let client_id = client_id.ok_or_else(|| {
            Refusal::Show("The application did not say who it is (client_id is missing).".into())
        })?;
        let unknown = || Refusal::Show("The application is not registered with Janua.".into());
        let client_id = OAuthClientId::parse("client_id", client_id).map_err(|_| unknown())?;
        let client = self
            .clients
            .find_client(&client_id)
            .await?
            .ok_or_else(unknown)?;
        let redirect_uri = params.single("redirect_uri").map_err(Refusal::Show)?;
        let redirect_uri = redirect_uri.ok_or_else(|| {
            Refusal::Show(
                "The application did not say where to return (redirect_uri is missing).".into(),
            )
        })?;
        if !client.is_registered_redirect_uri(redirect_uri) {
            return Err(Refusal::Show(
                "The application asked to return to an address it has not registered.".into(),
            ));
        }
        let state = params.single("state").ok().flatten().map(str::to_owned);
        let redirect = |error: RedirectError| Refusal::Redirect {
            redirect_uri: redirect_uri.to_owned(),
            state: state.clone().filter(|s| s.len() <= MAX_STATE),
            error,
        };
        let request = checked(&params, &client, redirect_uri, state.clone()).map_err(redirect)?;
        Ok((request, client))
    }
}

/// The rest of the request, once the client and redirect URI are known good.
fn checked(
    params: &Query,
    client: &RegisteredClient,
    redirect_uri: &str,
    state: Option<String>,
) -> Result<AuthorizationRequest, RedirectError> {
    let invalid = |why: String| RedirectError::new("invalid_request", why);
    if let Some(name) = params.repeated() {
        return Err(invalid(format!(
            "the parameter {name} is given more than once"
        )));
    }
    if state.as_ref().is_some_and(|s| s.len() > MAX_STATE) {
        return Err(invalid(format!(
            "state is longer than {MAX_STATE} characters"
        )));
    }
    if params.get("request").is_some() {
        return Err(RedirectError::new(
            "request_not_supported",
            "request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(RedirectError::new(
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    match params.get("response_type") {
        None => return Err(invalid("response_type is required".into())),
        Some("code") => {}
        Some(_) => {
            return Err(RedirectError::new(
                "unsupported_response_type",
                "only response_type=code is supported (no implicit or hybrid flow)",
            ));
        }
    }
    if params
        .get("response_mode")
        .is_some_and(|mode| mode != "query")
    {
        return Err(invalid("only response_mode=query is supported".into()));
    }
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(RedirectError::new(
            "unauthorized_client",
            "the client may not use the authorization code flow",
        ));
    }
    let scopes = requested_scopes(params.get("scope"), client)?;
    let code_challenge = pkce_challenge(params, client)?;
    let nonce = bounded(params.get("nonce"), MAX_NONCE, "nonce")?;
    let login_hint = bounded(params.get("login_hint"), MAX_LOGIN_HINT, "login_hint")?;
    let max_age = match params.get("max_age") {
        None => None,
        Some(raw) => Some(
            raw.parse::<u32>()
                .map(i64::from)
                .map_err(|_| invalid("max_age must be a number of seconds".into()))?,
        ),
    };
    Ok(AuthorizationRequest {
        client_id: client.client_id.to_string(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state,
        nonce,
        code_challenge,
        prompt: prompt(params.get("prompt"))?,
        max_age,
        login_hint,
    })
}

fn bounded(value: Option<&str>, max: usize, name: &str) -> Result<Option<String>, RedirectError> {
    match value {
        Some(value) if value.len() > max => Err(RedirectError::new(
            "invalid_request",
            format!("{name} is longer than {max} characters"),
        )),
        value => Ok(value.map(str::to_owned)),
    }
}

/// The requested scopes, each one the client's; `scope` is required.
fn requested_scopes(
    raw: Option<&str>,
    client: &RegisteredClient,
) -> Result<Vec<String>, RedirectError> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in raw.unwrap_or("").split(' ').filter(|s| !s.is_empty()) {
        if !client.settings.allowed_scopes.iter().any(|a| a == scope) {
            return Err(RedirectError::new(
                "invalid_scope",
                format!("the client may not ask for the scope {scope:?}"),
            ));
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    if scopes.is_empty() {
        return Err(RedirectError::new("invalid_scope", "scope is required"));
    }
    Ok(scopes)
}

/// The PKCE challenge (RFC 7636): S256 only, required of public clients.
fn pkce_challenge(
    params: &Query,
    client: &RegisteredClient,
) -> Result<Option<String>, RedirectError> {
    let invalid = |why: &str| RedirectError::new("invalid_request", why);
    match (
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (None, None) if client.client_type == ClientType::Public => Err(invalid(
            "a public client must use PKCE: code_challenge with code_challenge_method=S256",
        )),
        (None, None) => Ok(None),
        (None, Some(_)) => Err(invalid("code_challenge_method without a code_challenge")),
        (Some(_), method) if method != Some("S256") => Err(invalid(
            "code_challenge_method must be S256 (plain is not supported)",
        )),
        (Some(challenge), _) => {
            let well_formed = challenge.len() == 43
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !well_formed {
                return Err(invalid(
                    "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
                ));
            }
            Ok(Some(challenge.to_owned()))
        }
    }
}

fn prompt(raw: Option<&str>) -> Result<Prompt, RedirectError> {
    let mut prompt = Prompt::default();
    let values: Vec<&str> = raw
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    for value in &values {
        match *value {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => {}
            other => {
                return Err(RedirectError::new(
                    "invalid_request",
                    format!("prompt={other} is not supported"),
                ));
            }
        }
    }
    if prompt.none && values.len() > 1 {
        return Err(RedirectError::new(
            "invalid_request",
            "prompt=none cannot be combined with other values",
        ));
    }
    Ok(prompt)
}

/// The decoded query parameters; a parameter without a value counts as omitted.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(query: &str) -> Self {
        Self(
            url::form_urlencoded::parse(query.as_bytes())
                .filter(|(_, value)| !value.is_empty())
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }

    /// A parameter given at most once; the message to show when it is repeated.
    fn single(&self, name: &str) -> Result<Option<&str>, String> {
        if self.0.iter().filter(|(n, _)| n == name).count() > 1 {
            return Err(format!("The request names {name} more than once."));
        }
        Ok(self.get(name))
    }

    /// The first parameter given more than once.
    fn repeated(&self) -> Option<&str> {
        self.0.iter().enumerate().find_map(|(index, (name, _))| {
            self.0[..index]
                .iter()
                .any(|(earlier, _)| earlier == name)
                .then_some(name.as_str())
        })
    }
}

#[cfg(test)]
#[path = "authorization_request_tests.rs"]
mod tests;
