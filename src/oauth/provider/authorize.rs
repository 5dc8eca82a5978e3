//! What an authorization request needs next, once checked: a sign-in (none, or too old for
//! `max_age`, or `prompt=login`), the user's consent (unless the client skips it or the
//! user gave it for these scopes before), or nothing, and then the code. With
//! `prompt=none` a needed page is an error sent back instead (`login_required`,
//! `consent_required`). Every code, consent and refusal is audited.

use serde_json::json;
use url::Url;

use super::{
    AuthorizationServer, CODE_TTL, authorization_request::RedirectError, grant_store,
    interaction::Interaction,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    auth::LiveSession,
    credentials::tokens,
    error::Error,
    ids::OAuthClientId,
    oauth::RegisteredClient,
    store::{
        accounts,
        entities::{oauth_consent, oauth_grant},
        memberships,
    },
};

/// The next step of an interaction.
#[derive(Debug)]
pub enum Next {
    /// Send the browser to this address (the client's redirect URI with a code or an error).
    Redirect(String),
    /// Show the sign-in page.
    SignIn,
    /// Ask the signed-in user to consent to these scopes for this client.
    Consent {
        client_name: String,
        scopes: Vec<String>,
    },
}

impl AuthorizationServer {
    /// The next step of `interaction` for the browser's `session` (None: nobody signed in).
    pub async fn next_step(
        &self,
        interaction: &Interaction,
        session: Option<&LiveSession>,
        client_info: &ClientInfo,
    ) -> Result<Next, Error> {
        let request = &interaction.request;
        let client = self.interaction_client(interaction).await?;
        let Some(session) = session.filter(|s| !self.needs_sign_in(interaction, s)) else {
            if request.prompt.none {
                return Ok(Next::Redirect(self.error_redirect(
                    interaction,
                    &RedirectError::new("login_required", "the user is not signed in"),
                )));
            }
            return Ok(Next::SignIn);
        };
        if self.needs_consent(interaction, &client, session).await? {
            if request.prompt.none {
                return Ok(Next::Redirect(self.error_redirect(
                    interaction,
                    &RedirectError::new("consent_required", "the user has not consented"),
                )));
            }
            return Ok(Next::Consent {
                client_name: client.settings.name.clone(),
                scopes: request.scopes.clone(),
            });
        }
        let redirect = self
            .issue_code(interaction, &client, session, client_info)
            .await?;
        Ok(Next::Redirect(redirect))
    }

    /// The user consented on the consent page: remember it and issue the code.
    pub async fn consent_given(
        &self,
        interaction: &Interaction,
        session: &LiveSession,
        client_info: &ClientInfo,
    ) -> Result<String, Error> {
        let client = self.interaction_client(interaction).await?;
        let now = self.clock.now();
        let previous =
            grant_store::find_consent(&self.db, &session.user.id, client.client_id.as_str())
                .await?;
        let mut scopes: Vec<String> = previous
            .map(|c| c.scope.split(' ').map(str::to_owned).collect())
            .unwrap_or_default();
        for scope in &interaction.request.scopes {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
        let txn = crate::store::begin_write(&self.db).await?;
        grant_store::save_consent(
            &txn,
            oauth_consent::Model {
                user_id: session.user.id.clone(),
                client_id: client.client_id.to_string(),
                scope: scopes.join(" "),
                granted_at: now,
            },
        )
        .await?;
        let event = consent_event("oauth.consent_granted", interaction, &client, session);
        audit::record(&txn, now, event.client(client_info.clone())).await?;
        txn.commit().await?;
        self.issue_code(interaction, &client, session, client_info)
            .await
    }

    /// The user refused on the consent page: `access_denied` goes back to the client.
    pub async fn consent_denied(
        &self,
        interaction: &Interaction,
        session: &LiveSession,
        client_info: &ClientInfo,
    ) -> Result<String, Error> {
        let client = self.interaction_client(interaction).await?;
        let event = consent_event("oauth.consent_denied", interaction, &client, session);
        audit::record(
            &self.db,
            self.clock.now(),
            event.client(client_info.clone()),
        )
        .await?;
        Ok(self.error_redirect(
            interaction,
            &RedirectError::new("access_denied", "the user refused"),
        ))
    }

    /// The client's redirect URI with `error`, `state` and `iss`.
    pub fn error_redirect(&self, interaction: &Interaction, error: &RedirectError) -> String {
        let request = &interaction.request;
        self.redirect_with_error(&request.redirect_uri, request.state.as_deref(), error)
    }

    /// `redirect_uri` with `error`, `error_description`, `state` and `iss` (RFC 9207).
    pub fn redirect_with_error(
        &self,
        redirect_uri: &str,
        state: Option<&str>,
        error: &RedirectError,
    ) -> String {
        self.redirect_to(
            redirect_uri,
            &[
                ("error", Some(error.error)),
                ("error_description", Some(error.description.as_str())),
                ("state", state),
            ],
        )
    }

    fn redirect_to(&self, redirect_uri: &str, pairs: &[(&str, Option<&str>)]) -> String {
        // Checked against the client's registration before it was kept.
        let Ok(mut url) = Url::parse(redirect_uri) else {
            return redirect_uri.to_owned();
        };
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in pairs {
                if let Some(value) = value {
                    query.append_pair(name, value);
                }
            }
            query.append_pair("iss", self.keyring.issuer());
        }
        url.into()
    }

    /// The application a request comes from (None if it was disabled or deleted since).
    pub async fn request_client(
        &self,
        request: &super::AuthorizationRequest,
    ) -> Result<Option<RegisteredClient>, Error> {
        let client_id = OAuthClientId::from_trusted(request.client_id.clone());
        self.clients.find_client(&client_id).await
    }

    /// The interaction's client, if it is still registered and enabled.
    async fn interaction_client(
        &self,
        interaction: &Interaction,
    ) -> Result<RegisteredClient, Error> {
        let client_id = OAuthClientId::from_trusted(interaction.request.client_id.clone());
        self.clients
            .find_client(&client_id)
            .await?
            .ok_or(Error::NotFound("oauth client"))
    }

    fn needs_sign_in(&self, interaction: &Interaction, session: &LiveSession) -> bool {
        let signed_in_here =
            interaction.signed_in_session.as_deref() == Some(session.session_id.as_str());
        if signed_in_here {
            return false;
        }
        let request = &interaction.request;
        let too_old = request
            .max_age
            .is_some_and(|max_age| (self.clock.now() - session.auth_time).num_seconds() > max_age);
        request.prompt.login || too_old
    }

    async fn needs_consent(
        &self,
        interaction: &Interaction,
        client: &RegisteredClient,
        session: &LiveSession,
    ) -> Result<bool, Error> {
        // `skip_consent` marks the organization's own apps, for its own people: anyone else
        // is asked, or any organization could read every signed-in user's identity silently.
        if client.settings.skip_consent
            && memberships::find_membership(
                &self.db,
                client.organization_id.as_str(),
                &session.user.id,
            )
            .await?
            .is_some()
        {
            return Ok(false);
        }
        if interaction.request.prompt.consent {
            return Ok(true);
        }
        let consent =
            grant_store::find_consent(&self.db, &session.user.id, client.client_id.as_str())
                .await?;
        let given: Vec<&str> = consent
            .as_ref()
            .map(|c| c.scope.split(' ').collect())
            .unwrap_or_default();
        Ok(!interaction
            .request
            .scopes
            .iter()
            .all(|scope| given.contains(&scope.as_str())))
    }

    /// Stores a grant with a new code for the request and returns the redirect carrying it.
    async fn issue_code(
        &self,
        interaction: &Interaction,
        client: &RegisteredClient,
        session: &LiveSession,
        client_info: &ClientInfo,
    ) -> Result<String, Error> {
        let request = &interaction.request;
        let code = tokens::new_opaque_token();
        let now = self.clock.now();
        let grant = oauth_grant::Model {
            id: uuid::Uuid::now_v7().to_string(),
            client_id: client.client_id.to_string(),
            user_id: session.user.id.clone(),
            session_id: session.session_id.to_string(),
            scope: request.scopes.join(" "),
            redirect_uri: request.redirect_uri.clone(),
            code_hash: tokens::digest(&code),
            code_challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
            auth_time: session.auth_time,
            amr: session.amr.join(" "),
            created_at: now,
            code_expires_at: now + CODE_TTL,
            code_used_at: None,
            revoked_at: None,
            revoked_reason: None,
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let event = AuditEvent::new("oauth.code_issued", Actor::User(session.user.user_id()))
            .organization(client.organization_id.as_str())
            .target("oauth_client", client.client_id.as_str())
            .client(client_info.clone())
            .metadata(json!({"grant_id": grant.id, "scopes": grant.scope}));
        grant_store::insert_grant(&txn, grant).await?;
        // An imported user signing in to its app through Janua has moved (dual sign-in).
        accounts::complete_migration(&txn, &session.user.id, now).await?;
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(self.redirect_to(
            &request.redirect_uri,
            &[("code", Some(&code)), ("state", request.state.as_deref())],
        ))
    }
}

/// The audit event of a consent answer.
fn consent_event(
    action: &'static str,
    interaction: &Interaction,
    client: &RegisteredClient,
    session: &LiveSession,
) -> AuditEvent {
    AuditEvent::new(action, Actor::User(session.user.user_id()))
        .organization(client.organization_id.as_str())
        .target("oauth_client", client.client_id.as_str())
        .metadata(json!({"scopes": interaction.request.scopes.join(" ")}))
}
