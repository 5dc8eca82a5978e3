//! The end of an SSO or social sign-in: the IdP vouched for an identity; find its user (or
//! provision one), hand the browser a single-use code, and later trade that code for a
//! session (ExchangeSsoCode).
//!
//! Linking rules (account takeover is the risk): an identity already linked signs in its
//! user. Otherwise an existing account with the same email is linked only when
//! - social sign-in: the provider verified the address and so did Janua (the account's owner
//!   proved the mailbox), so a pre-registered, unverified account cannot be hijacked;
//! - an organization's connection: the account is already a member of that organization.
//!   Connection domains are declared, not proven through DNS, so a connection must never
//!   reach accounts outside its organization.
//!
//! A new user is created (just in time) for social sign-in with a verified email, and for a
//! connection with JIT provisioning on, along with the membership. Second factors enrolled
//! at Janua are not asked for: the IdP authenticated the user.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use super::{
    Sso, connection::Connection, identity::ExternalIdentity, pending::SignInSource, store,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    auth::{
        SignedIn,
        credentials::Email,
        tokens::{digest, new_opaque_token},
    },
    error::{Error, SsoFailure},
    orgs::{roles, store as orgs},
    store::entities::{linked_identity, membership, user},
    users::store as users,
};

/// How long the app has to exchange the code it received.
const CODE_TTL: Duration = Duration::from_secs(60);

/// What a single-use SSO code stands for.
#[derive(Debug, Serialize, Deserialize)]
struct CodeGrant {
    user_id: String,
    /// The connection's organization: the session is scoped to it.
    organization_id: Option<String>,
}

impl Sso {
    /// Finishes a sign-in the IdP vouched for: returns the app's `redirect_uri` carrying a
    /// single-use `code`.
    pub async fn complete(
        &self,
        source: &SignInSource,
        identity: ExternalIdentity,
        redirect_uri: &Url,
        client: &ClientInfo,
    ) -> Result<Url, Error> {
        let connection = match source {
            SignInSource::Connection(id) => Some(self.enabled_connection(id).await?),
            SignInSource::Social(_) => None,
        };
        let account = self
            .provision(connection.as_ref(), identity.clone(), client)
            .await?;
        let grant = CodeGrant {
            user_id: account.id.clone(),
            organization_id: connection.as_ref().map(|c| c.organization_id.clone()),
        };
        let code = self.mint_code(&grant).await?;
        let mut event = AuditEvent::new("sso.login", Actor::User(account.id.clone()))
            .target("user", &account.id)
            .client(client.clone())
            .metadata(json!({ "provider": identity.provider }));
        if let Some(organization_id) = &grant.organization_id {
            event = event.organization(organization_id);
        }
        audit::record(&self.db, self.clock.now(), event).await?;
        let mut url = redirect_uri.clone();
        url.query_pairs_mut().append_pair("code", &code);
        Ok(url)
    }

    /// Records a sign-in the IdP's answer (or Janua's checks) refused.
    pub async fn record_failure(
        &self,
        source: Option<&SignInSource>,
        error: &Error,
        client: &ClientInfo,
    ) {
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

    /// Trades a single-use code for a session (amr `sso`), scoped to the connection's
    /// organization for an organization's connection.
    pub async fn exchange_code(&self, code: &str, client: &ClientInfo) -> Result<SignedIn, Error> {
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
        let grant: CodeGrant = serde_json::from_slice(&taken).map_err(|_| invalid())?;
        let account = users::find_by_id(&self.db, &grant.user_id)
            .await?
            .filter(|u| u.status == "active")
            .ok_or_else(invalid)?;
        self.auth
            .sign_in_to(
                account,
                "user.login",
                &["sso"],
                grant.organization_id,
                client,
            )
            .await
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

    /// The user for `identity`, linked or created as the module's rules allow, with the
    /// connection's membership; all in one transaction.
    async fn provision(
        &self,
        connection: Option<&Connection>,
        mut identity: ExternalIdentity,
        client: &ClientInfo,
    ) -> Result<user::Model, Error> {
        let refuse = |message: &str| Error::sso(SsoFailure::Provisioning, message);
        if identity.subject.trim().is_empty() {
            return Err(Error::sso(
                SsoFailure::Authentication,
                "the identity provider did not identify the user",
            ));
        }
        let email = identity
            .email
            .as_deref()
            .and_then(|raw| Email::parse("email", raw).ok())
            .ok_or_else(|| refuse("the identity provider sent no valid email address"))?;
        if let Some(connection) = connection {
            let domain = email.normalized().rsplit_once('@').map_or("", |(_, d)| d);
            let in_domains = connection.domains.iter().any(|d| d == domain);
            if !connection.domains.is_empty() && !in_domains {
                return Err(refuse(
                    "the email address is outside the connection's domains",
                ));
            }
            // The organization vouches for addresses in its own domains.
            identity.email_verified = in_domains;
        }
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let account = match store::find_linked_identity(&txn, &identity.provider, &identity.subject)
            .await?
        {
            Some(link) => {
                store::touch_linked_identity(&txn, &link.id, now).await?;
                users::find_by_id(&txn, &link.user_id)
                    .await?
                    .ok_or_else(|| refuse("the linked account no longer exists"))?
            }
            None => {
                let account = match users::find_by_email(&txn, email.normalized()).await? {
                    Some(existing) => {
                        self.ensure_may_link(&txn, connection, &identity, &existing)
                            .await?;
                        existing
                    }
                    None => {
                        if connection.is_some_and(|c| !c.jit_provisioning) {
                            return Err(refuse(
                                "no account for this user, and the connection does not create accounts",
                            ));
                        }
                        if connection.is_none() && !identity.email_verified {
                            return Err(refuse("the provider has not verified this email address"));
                        }
                        self.create_user(&txn, &email, &identity, now, client)
                            .await?
                    }
                };
                self.link(&txn, &account, &identity, now, client).await?;
                account
            }
        };
        if account.status != "active" {
            return Err(refuse("the account is not active"));
        }
        if let Some(connection) = connection {
            self.ensure_membership(&txn, connection, &account, &identity, now)
                .await?;
        }
        txn.commit().await?;
        Ok(account)
    }

    async fn ensure_may_link(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        connection: Option<&Connection>,
        identity: &ExternalIdentity,
        existing: &user::Model,
    ) -> Result<(), Error> {
        let allowed = match connection {
            Some(connection) => {
                orgs::find_membership(db, &connection.organization_id, &existing.id)
                    .await?
                    .is_some()
            }
            None => identity.email_verified && existing.email_verified,
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::sso(
                SsoFailure::Provisioning,
                "an account with this email already exists; sign in to it first (and verify its email address) or ask an administrator to add it",
            ))
        }
    }

    async fn create_user(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        email: &Email,
        identity: &ExternalIdentity,
        now: chrono::DateTime<chrono::Utc>,
        client: &ClientInfo,
    ) -> Result<user::Model, Error> {
        let account = users::insert(
            db,
            user::Model {
                display_name: identity.name_to_show().chars().take(200).collect(),
                email_verified: identity.email_verified,
                ..users::new_account(email, now)
            },
        )
        .await?;
        let event = AuditEvent::new("user.registered", Actor::User(account.id.clone()))
            .target("user", &account.id)
            .client(client.clone())
            .metadata(json!({ "provider": identity.provider }));
        audit::record(db, now, event).await?;
        Ok(account)
    }

    async fn link(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        account: &user::Model,
        identity: &ExternalIdentity,
        now: chrono::DateTime<chrono::Utc>,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        store::insert_linked_identity(
            db,
            linked_identity::Model {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: account.id.clone(),
                provider: identity.provider.clone(),
                subject: identity.subject.clone(),
                created_at: now,
                last_used_at: now,
            },
        )
        .await?;
        let event = AuditEvent::new("sso.identity_linked", Actor::User(account.id.clone()))
            .target("user", &account.id)
            .client(client.clone())
            .metadata(json!({ "provider": identity.provider }));
        audit::record(db, now, event).await?;
        Ok(())
    }

    /// Makes the user a member of the connection's organization (JIT), with the role the
    /// groups map to or the default role. An existing membership is left as it is.
    async fn ensure_membership(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        connection: &Connection,
        account: &user::Model,
        identity: &ExternalIdentity,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Error> {
        let organization_id = &connection.organization_id;
        if orgs::find_membership(db, organization_id, &account.id)
            .await?
            .is_some()
        {
            return Ok(());
        }
        if !connection.jit_provisioning {
            return Err(Error::sso(
                SsoFailure::Provisioning,
                "not a member of the organization, and the connection does not add members",
            ));
        }
        let role = connection
            .attribute_mapping
            .role_for_groups(&identity.groups)
            .unwrap_or(&connection.default_role)
            .to_owned();
        let defined = roles::built_in(&role).is_some()
            || orgs::find_role_by_name(db, organization_id, &role)
                .await?
                .is_some();
        if !defined {
            return Err(Error::sso(
                SsoFailure::Configuration,
                format!(
                    "the connection gives the role \"{role}\", which the organization no longer defines"
                ),
            ));
        }
        orgs::insert_membership(
            db,
            membership::Model {
                organization_id: organization_id.clone(),
                user_id: account.id.clone(),
                role: role.clone(),
                created_at: now,
            },
        )
        .await?;
        let event = AuditEvent::new("member.added", Actor::System)
            .organization(organization_id)
            .target("user", &account.id)
            .metadata(json!({ "role": role, "sso_connection_id": connection.id }));
        audit::record(db, now, event).await?;
        Ok(())
    }
}

/// The cache key of a code holds its digest only.
fn code_key(code: &str) -> String {
    format!("sso:code:{}", digest(code))
}
