//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): `id_token_hint` is
//! accepted even when expired (its signature and issuer still prove it is Janua's), the
//! `post_logout_redirect_uri` must be one the client registered (exactly), and `state` goes
//! back with it. A request with a valid hint for the browser's own user signs out at once;
//! any other request asks the user first (the page posts the confirmation). Ending the
//! browser session revokes the OAuth grants made in it.

use serde::Deserialize;
use url::Url;

use super::{AuthorizationServer, grant_store};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    auth::LiveSession,
    error::Error,
    ids::OAuthClientId,
    oauth::RegisteredClient,
};

/// The parameters of a logout request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogoutRequest {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

/// What a logout request leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logout {
    /// The application the request comes from (the hint's audience or `client_id`).
    pub client_id: Option<String>,
    /// Where to send the browser once signed out.
    pub redirect: Option<String>,
    /// The request proved it comes from the user's own client: no need to ask.
    pub confirmed: bool,
}

/// The claims of a hint that matter here.
#[derive(Debug, Deserialize)]
struct HintClaims {
    sub: String,
    aud: String,
}

impl AuthorizationServer {
    /// Checks a logout request; an error's message is shown to the user (never redirected).
    pub async fn logout_request(
        &self,
        request: &LogoutRequest,
        session: Option<&LiveSession>,
    ) -> Result<Logout, Error> {
        let hint = match request.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
            Some(hint) => self
                .keyring
                .verify_id_token_hint::<HintClaims>(hint)
                .await
                .ok(),
            None => None,
        };
        let named = request.client_id.as_deref().filter(|c| !c.is_empty());
        if let (Some(hint), Some(named)) = (&hint, named)
            && hint.aud != named
        {
            return Err(Error::invalid(
                "client_id",
                "differs from the id_token_hint's audience",
            ));
        }
        let client = match hint.as_ref().map(|h| h.aud.as_str()).or(named) {
            Some(client_id) => self.logout_client(client_id).await?,
            None => None,
        };
        let redirect = match request
            .post_logout_redirect_uri
            .as_deref()
            .filter(|u| !u.is_empty())
        {
            None => None,
            Some(uri) => {
                let registered = client
                    .as_ref()
                    .is_some_and(|c| c.is_registered_post_logout_uri(uri));
                if !registered {
                    return Err(Error::invalid(
                        "post_logout_redirect_uri",
                        "is not one the application registered",
                    ));
                }
                Some(with_state(uri, request.state.as_deref()))
            }
        };
        let hint_for_browser =
            hint.is_some_and(|h| client.is_some() && session.is_none_or(|s| s.user.id == h.sub));
        Ok(Logout {
            client_id: client.as_ref().map(|c| c.client_id.to_string()),
            redirect,
            confirmed: hint_for_browser,
        })
    }

    /// Ends the browser's Janua session and revokes the OAuth grants made in it.
    pub async fn end_browser_session(
        &self,
        session: &LiveSession,
        client_info: &ClientInfo,
    ) -> Result<(), Error> {
        self.auth
            .logout(&session.principal(), false, client_info)
            .await?;
        let now = self.clock.now();
        let revoked = grant_store::revoke_session_grants(
            &self.db,
            session.session_id.as_str(),
            now,
            "logout",
        )
        .await?;
        let event = AuditEvent::new("oauth.logout", Actor::User(session.user.user_id()))
            .target("session", session.session_id.as_str())
            .client(client_info.clone())
            .metadata(serde_json::json!({"grants_revoked": revoked}));
        audit::record(&self.db, now, event).await?;
        Ok(())
    }

    async fn logout_client(&self, client_id: &str) -> Result<Option<RegisteredClient>, Error> {
        let Ok(client_id) = OAuthClientId::parse("client_id", client_id) else {
            return Ok(None);
        };
        self.clients.find_client(&client_id).await
    }
}

/// `uri` with `state` added to its query.
fn with_state(uri: &str, state: Option<&str>) -> String {
    let Some(state) = state else {
        return uri.to_owned();
    };
    match Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().append_pair("state", state);
            url.into()
        }
        Err(_) => uri.to_owned(),
    }
}
