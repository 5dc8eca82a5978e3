//! The end of an SSO or social sign-in: the IdP vouched for an identity; hand the browser a
//! single-use code for it, and later trade that code (ExchangeSsoCode) for a session, a
//! second-factor challenge, or (when a signed-in user started it) a link to their account.
//! Who may be linked or provisioned is `linking`'s business.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use super::{
    Sso,
    connection::Connection,
    identity::ExternalIdentity,
    pending::{LinkTarget, SignInSource},
    store,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    auth::LoginOutcome,
    credentials::tokens::{digest, new_opaque_token},
    error::{Error, SsoFailure},
    principal::Principal,
    store::{accounts, entities::user},
};

/// How long the app has to exchange the code it received.
const CODE_TTL: Duration = Duration::from_secs(60);

/// What a single-use SSO code stands for.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum CodeGrant {
    /// A sign-in of `user_id`, scoped to the connection's organization when there is one.
    SignIn {
        user_id: String,
        organization_id: Option<String>,
        /// The connection it came through (None for social sign-in).
        connection_id: Option<String>,
    },
    /// A link the signed-in `link_to` session asked for, made when it exchanges the code.
    Link {
        link_to: LinkTarget,
        source: SignInSource,
        identity: Box<ExternalIdentity>,
    },
}

/// What ExchangeSsoCode ends in.
#[derive(Debug)]
pub enum Exchanged {
    /// Signed in (no second factor enrolled, or the connection is trusted for it).
    SignIn(LoginOutcome),
    /// The identity is now linked to the caller's account; the caller's session goes on.
    Linked(user::Model),
}

impl Sso {
    /// Finishes a sign-in the IdP vouched for: returns the app's `redirect_uri` carrying a
    /// single-use `code`. With `link_to`, nobody is signed in or provisioned here: the code
    /// stands for a link the starting session makes when it exchanges it.
    pub async fn complete(
        &self,
        source: &SignInSource,
        identity: ExternalIdentity,
        redirect_uri: &Url,
        link_to: Option<&LinkTarget>,
        client: &ClientInfo,
    ) -> Result<Url, Error> {
        let connection = match source {
            SignInSource::Connection(id) => Some(self.enabled_connection(id).await?),
            SignInSource::Social(_) => None,
        };
        let grant = match link_to {
            Some(link_to) => CodeGrant::Link {
                link_to: link_to.clone(),
                source: source.clone(),
                identity: Box::new(identity),
            },
            None => {
                let account = self
                    .provision(connection.as_ref(), identity.clone(), client)
                    .await?;
                self.audit_sign_in(&account, connection.as_ref(), &identity, client)
                    .await?;
                CodeGrant::SignIn {
                    user_id: account.id,
                    organization_id: connection.as_ref().map(|c| c.organization_id.clone()),
                    connection_id: connection.map(|c| c.id),
                }
            }
        };
        let code = self.mint_code(&grant).await?;
        let mut url = redirect_uri.clone();
        url.query_pairs_mut().append_pair("code", &code);
        Ok(url)
    }

    async fn audit_sign_in(
        &self,
        account: &user::Model,
        connection: Option<&Connection>,
        identity: &ExternalIdentity,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let mut event = AuditEvent::new("sso.login", Actor::User(account.user_id()))
            .target("user", &account.id)
            .client(client.clone())
            .metadata(json!({ "provider": identity.provider, "idp_amr": identity.idp_amr }));
        if let Some(connection) = connection {
            event = event.organization(&connection.organization_id);
        }
        audit::record(&self.db, self.clock.now(), event).await?;
        Ok(())
    }

    /// Records a sign-in the IdP's answer (or Janua's checks) refused.
    pub async fn record_failure(
        &self,
        source: Option<&SignInSource>,
        error: &Error,
        client: &ClientInfo,
    ) {
        crate::telemetry::sign_in(&["sso"], crate::telemetry::SignIn::Failure);
        let mut metadata = json!({ "reason": error.reason(), "message": error.to_string() });
        let mut event = AuditEvent::new("sso.login", Actor::Anonymous)
            .client(client.clone())
            .failed();
        match source {
            Some(SignInSource::Connection(id)) => {
                if let Ok(Some((row, _))) = store::find_connection(&self.db, id).await {
                    event = event.organization(row.organization_id);
                }
                event = event.target("sso_connection", id);
            }
            Some(SignInSource::Social(provider)) => metadata["provider"] = json!(provider),
            None => {}
        }
        let event = event.metadata(metadata);
        if let Err(err) = audit::record(&self.db, self.clock.now(), event).await {
            tracing::error!(error = %err, "could not record a failed SSO sign-in");
        }
    }

    /// Trades a single-use code: a session (amr `sso`, scoped to the connection's
    /// organization) or, when the account has a second factor and the platform does not
    /// trust the connection for it, a challenge; or, for a code a signed-in session asked
    /// for, the link (only that same session may finish it).
    pub async fn exchange_code(
        &self,
        code: &str,
        caller: Option<&Principal>,
        client: &ClientInfo,
    ) -> Result<Exchanged, Error> {
        if code.trim().is_empty() {
            return Err(Error::invalid("code", "is required"));
        }
        let invalid = || Error::Token("invalid or expired SSO code".into());
        let taken = self
            .cache
            .take(&code_key(code))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .ok_or_else(invalid)?;
        match serde_json::from_slice(&taken).map_err(|_| invalid())? {
            CodeGrant::SignIn {
                user_id,
                organization_id,
                connection_id,
            } => {
                let mfa_trusted = connection_id
                    .is_some_and(|id| self.settings.mfa_trusted_connections.contains(&id));
                let account = accounts::find_by_id(&self.db, &user_id)
                    .await?
                    .filter(|u| u.is_active())
                    .ok_or_else(invalid)?;
                let outcome = if mfa_trusted {
                    LoginOutcome::SignedIn(
                        self.auth
                            .sign_in_to(account, "user.login", &["sso"], organization_id, client)
                            .await?,
                    )
                } else {
                    self.auth
                        .sign_in_or_challenge_to(
                            account,
                            "user.login",
                            &["sso"],
                            organization_id,
                            client,
                        )
                        .await?
                };
                Ok(Exchanged::SignIn(outcome))
            }
            CodeGrant::Link {
                link_to,
                source,
                identity,
            } => {
                if caller.is_none_or(|c| c.session_id != link_to.session_id) {
                    return Err(Error::Authorization(
                        "this link must be finished by the session that started it".into(),
                    ));
                }
                let account = self
                    .link_signed_in(&link_to.user_id, &source, *identity, client)
                    .await?;
                Ok(Exchanged::Linked(account))
            }
        }
    }

    pub(super) async fn enabled_connection(&self, id: &str) -> Result<Connection, Error> {
        let (row, domains) = store::find_connection(&self.db, id).await?.ok_or_else(|| {
            Error::sso(
                SsoFailure::Configuration,
                "the SSO connection no longer exists",
            )
        })?;
        let connection = Connection::from_row(row, domains, &self.cipher)?;
        if !connection.enabled {
            return Err(Error::sso(
                SsoFailure::Configuration,
                "this SSO connection is disabled",
            ));
        }
        Ok(connection)
    }

    async fn mint_code(&self, grant: &CodeGrant) -> Result<String, Error> {
        let code = new_opaque_token();
        let value = serde_json::to_vec(grant).map_err(|e| anyhow::anyhow!("sso code: {e}"))?;
        self.cache
            .set(&code_key(&code), &value, CODE_TTL)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(code)
    }
}

/// The cache key of a code holds its digest only.
fn code_key(code: &str) -> String {
    format!("sso:code:{}", digest(code))
}
