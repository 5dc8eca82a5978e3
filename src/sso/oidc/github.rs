//! GitHub sign-in: plain OAuth 2.0 (GitHub is no OpenID provider), then the REST API for who
//! the user is: `GET /user` for the stable numeric id and name, `GET /user/emails` for the
//! address. Only the **primary, verified** address is used: GitHub lets anyone add an
//! unverified address, and linking on it would hand over the account that owns it.
//!
//! The profile is returned as OIDC-style claims (`sub`, `email`, `email_verified`, `name`,
//! `preferred_username`) so one attribute mapping serves every provider.

use serde_json::{Map, Value, json};
use url::Url;

use super::http;
use crate::error::{Error, SsoFailure};

/// The scopes Janua asks GitHub for: the profile and the email addresses.
pub const SCOPE: &str = "read:user user:email";

/// GitHub's endpoints (overridable for tests through the configuration).
pub struct GithubEndpoints<'a> {
    /// `https://github.com/login/oauth`: `/authorize` and `/access_token` below it.
    pub oauth: &'a Url,
    /// `https://api.github.com`.
    pub api: &'a Url,
}

impl GithubEndpoints<'_> {
    pub fn authorize(&self) -> Result<Url, Error> {
        below(self.oauth, "authorize")
    }

    pub fn access_token(&self) -> Result<Url, Error> {
        below(self.oauth, "access_token")
    }
}

/// `base` with `/segment` appended to its path.
fn below(base: &Url, segment: &str) -> Result<Url, Error> {
    let raw = format!("{}/{segment}", base.as_str().trim_end_matches('/'));
    Url::parse(&raw).map_err(|_| Error::sso(SsoFailure::Configuration, "bad GitHub endpoint URL"))
}

#[derive(serde::Deserialize)]
struct User {
    id: u64,
    login: String,
    #[serde(default)]
    name: Option<String>,
}

#[derive(serde::Deserialize)]
struct Email {
    email: String,
    primary: bool,
    verified: bool,
}

/// The signed-in GitHub user as claims.
///
/// # Errors
/// `SSO_AUTHENTICATION_ERROR` when GitHub refuses the token or answers nonsense.
pub async fn profile(
    http: &reqwest::Client,
    api: &Url,
    access_token: &str,
) -> Result<Map<String, Value>, Error> {
    let get = |path: &str| -> Result<reqwest::RequestBuilder, Error> {
        Ok(http
            .get(below(api, path)?)
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/vnd.github+json"))
    };
    let failure = SsoFailure::Authentication;
    let user: User = http::send(get("user")?, "GitHub user", failure)
        .await?
        .success("GitHub user", failure)?;
    let emails: Vec<Email> = http::send(get("user/emails")?, "GitHub emails", failure)
        .await?
        .success("GitHub emails", failure)?;
    Ok(claims(&user, &emails))
}

fn claims(user: &User, emails: &[Email]) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.id.to_string()));
    claims.insert("preferred_username".into(), json!(user.login));
    if let Some(name) = user.name.as_deref().filter(|n| !n.trim().is_empty()) {
        claims.insert("name".into(), json!(name));
    }
    if let Some(primary) = emails.iter().find(|e| e.primary && e.verified) {
        claims.insert("email".into(), json!(primary.email));
        claims.insert("email_verified".into(), json!(true));
    }
    claims
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn email(address: &str, primary: bool, verified: bool) -> Email {
        Email {
            email: address.to_owned(),
            primary,
            verified,
        }
    }

    #[test]
    fn only_the_primary_verified_address_is_used() {
        let user = User {
            id: 42,
            login: "ada".into(),
            name: Some("Ada Lovelace".into()),
        };
        let verified = claims(
            &user,
            &[
                email("other@x.test", false, true),
                email("ada@x.test", true, true),
            ],
        );
        assert_eq!(verified["sub"], "42");
        assert_eq!(verified["email"], "ada@x.test");
        assert_eq!(verified["email_verified"], true);
        assert_eq!(verified["name"], "Ada Lovelace");
        let unverified = claims(
            &user,
            &[
                email("ada@x.test", true, false),
                email("other@x.test", false, true),
            ],
        );
        assert!(!unverified.contains_key("email"));
        assert!(!unverified.contains_key("email_verified"));
    }

    #[test]
    fn endpoints_are_below_their_bases() {
        let oauth = Url::parse("https://github.com/login/oauth/").unwrap();
        let api = Url::parse("https://api.github.com").unwrap();
        let endpoints = GithubEndpoints {
            oauth: &oauth,
            api: &api,
        };
        assert_eq!(
            endpoints.access_token().unwrap().as_str(),
            "https://github.com/login/oauth/access_token"
        );
        assert_eq!(
            below(&api, "user/emails").unwrap().as_str(),
            "https://api.github.com/user/emails"
        );
    }
}
