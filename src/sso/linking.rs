//! Who an IdP's identity signs in as (SECURITY.md "Linking"). Account takeover is the risk:
//! an organization's connection is run by whoever administers that organization, and a
//! social provider by a third party, so a matching email alone never hands over an account.
//!
//! - An identity already linked signs in its user.
//! - A signed-in user may link an identity to their own account (`link_signed_in`): the
//!   proof is their session.
//! - Otherwise an existing account with the same email is linked only when
//!   - social sign-in: the provider verified the address and so did Janua;
//!   - an organization's connection: the organization verified the email's domain, and the
//!     account joined the organization by accepting an invitation or through that verified
//!     domain, and is not one of its owners.
//! - A platform administrator never signs in through an organization's connection.
//! - JIT creates a user only when the connection provisions (or, social, with a verified
//!   email); its address is verified only when the domain is the organization's, and a link
//!   made while the address is unproven is dropped when the owner proves it later.

use serde_json::json;

use super::{
    Sso, connection::Connection, domain_store, email_domain, identity::ExternalIdentity,
    pending::SignInSource, store,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    credentials::Email,
    error::{Error, SsoFailure},
    orgs::roles,
    store::{
        accounts,
        entities::{linked_identity, membership, user},
        memberships, organizations,
    },
};

/// Memberships through which an organization's connection may link an account by email.
const LINKABLE_MEMBERSHIPS: [&str; 2] = ["invitation", "verified_domain"];

fn refuse(message: &str) -> Error {
    Error::sso(SsoFailure::Provisioning, message)
}

fn admin_refused() -> Error {
    refuse("a platform administrator cannot sign in through an organization's connection")
}

impl Sso {
    /// The user for `identity`, linked or created as the module's rules allow, with the
    /// connection's membership; all in one transaction.
    pub(super) async fn provision(
        &self,
        connection: Option<&Connection>,
        mut identity: ExternalIdentity,
        client: &ClientInfo,
    ) -> Result<user::Model, Error> {
        let email = self.identity_email(&identity)?;
        let domain = email_domain::of_email(email.normalized()).to_owned();
        let mut domain_verified = false;
        if let Some(connection) = connection {
            let declared = connection.domains.contains(&domain);
            if !connection.domains.is_empty() && !declared {
                return Err(refuse(
                    "the email address is outside the connection's domains",
                ));
            }
            domain_verified =
                domain_store::is_verified(&self.db, &connection.organization_id, &domain).await?;
            // The organization vouches for addresses in a domain it proved, and only there.
            identity.email_verified = domain_verified;
        }
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let linked =
            store::find_linked_identity(&txn, &identity.provider, &identity.subject).await?;
        let account = match linked {
            Some(link) => {
                store::touch_linked_identity(&txn, &link.id, now).await?;
                accounts::find_by_id(&txn, &link.user_id)
                    .await?
                    .ok_or_else(|| refuse("the linked account no longer exists"))?
            }
            None => {
                let account = match accounts::find_by_email(&txn, email.normalized()).await? {
                    Some(existing) => {
                        ensure_may_link(&txn, connection, &identity, &existing, domain_verified)
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
                        self.create_user(&txn, &email, &identity, client).await?
                    }
                };
                self.link(&txn, &account, &identity, client).await?;
                account
            }
        };
        if !account.is_active() {
            return Err(refuse("the account is not active"));
        }
        if let Some(connection) = connection {
            if account.is_admin {
                return Err(admin_refused());
            }
            let joined_via = if domain_verified {
                "verified_domain"
            } else {
                "sso"
            };
            self.ensure_membership(&txn, connection, &account, &identity, joined_via)
                .await?;
        }
        txn.commit().await?;
        Ok(account)
    }

    /// Links `identity` to the signed-in user who asked for it ("connect your company
    /// SSO"), and gives them the connection's membership as JIT would.
    pub(super) async fn link_signed_in(
        &self,
        user_id: &str,
        source: &SignInSource,
        identity: ExternalIdentity,
        client: &ClientInfo,
    ) -> Result<user::Model, Error> {
        if identity.subject.trim().is_empty() {
            return Err(Error::sso(
                SsoFailure::Authentication,
                "the identity provider did not identify the user",
            ));
        }
        let connection = match source {
            SignInSource::Connection(id) => Some(self.enabled_connection(id).await?),
            SignInSource::Social(_) => None,
        };
        let account = accounts::find_by_id(&self.db, user_id)
            .await?
            .filter(|u| u.is_active())
            .ok_or_else(|| refuse("the account is not active"))?;
        if connection.is_some() && account.is_admin {
            return Err(admin_refused());
        }
        let txn = crate::store::begin_write(&self.db).await?;
        match store::find_linked_identity(&txn, &identity.provider, &identity.subject).await? {
            Some(link) if link.user_id == account.id => {}
            Some(_) => return Err(refuse("this identity is linked to another account")),
            None => self.link(&txn, &account, &identity, client).await?,
        }
        if let Some(connection) = &connection {
            self.ensure_membership(&txn, connection, &account, &identity, "sso")
                .await?;
        }
        txn.commit().await?;
        Ok(account)
    }

    fn identity_email(&self, identity: &ExternalIdentity) -> Result<Email, Error> {
        if identity.subject.trim().is_empty() {
            return Err(Error::sso(
                SsoFailure::Authentication,
                "the identity provider did not identify the user",
            ));
        }
        identity
            .email
            .as_deref()
            .and_then(|raw| Email::parse("email", raw).ok())
            .ok_or_else(|| refuse("the identity provider sent no valid email address"))
    }

    async fn create_user(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        email: &Email,
        identity: &ExternalIdentity,
        client: &ClientInfo,
    ) -> Result<user::Model, Error> {
        let now = self.clock.now();
        let account = accounts::insert(
            db,
            user::Model {
                display_name: identity.name_to_show().chars().take(200).collect(),
                email_verified: identity.email_verified,
                ..accounts::new_account(email, now)
            },
        )
        .await?;
        let event = AuditEvent::new("user.registered", Actor::User(account.user_id()))
            .target("user", &account.id)
            .client(client.clone())
            .metadata(json!({ "provider": identity.provider }));
        audit::record(db, now, event).await?;
        Ok(account)
    }

    /// Links the identity; the link counts as proven only when the account's address was.
    async fn link(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        account: &user::Model,
        identity: &ExternalIdentity,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        store::insert_linked_identity(
            db,
            linked_identity::Model {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: account.id.clone(),
                provider: identity.provider.clone(),
                subject: identity.subject.clone(),
                created_at: now,
                last_used_at: now,
                email_proven: account.email_verified,
            },
        )
        .await?;
        let event = AuditEvent::new("sso.identity_linked", Actor::User(account.user_id()))
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
        joined_via: &str,
    ) -> Result<(), Error> {
        let organization_id = &connection.organization_id;
        if memberships::find_membership(db, organization_id, &account.id)
            .await?
            .is_some()
        {
            return Ok(());
        }
        if !connection.jit_provisioning {
            return Err(refuse(
                "not a member of the organization, and the connection does not add members",
            ));
        }
        let role = connection
            .attribute_mapping
            .role_for_groups(&identity.groups)
            .unwrap_or(&connection.default_role)
            .to_owned();
        let defined = roles::built_in(&role).is_some()
            || organizations::find_role_by_name(db, organization_id, &role)
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
        let now = self.clock.now();
        memberships::insert_membership(
            db,
            membership::Model {
                organization_id: organization_id.clone(),
                user_id: account.id.clone(),
                role: role.clone(),
                created_at: now,
                joined_via: joined_via.to_owned(),
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

/// Whether an unlinked identity may take over the existing account with its email (the
/// module's rules); the refusal tells the user how to link it themselves.
async fn ensure_may_link(
    db: &impl sea_orm::ConnectionTrait,
    connection: Option<&Connection>,
    identity: &ExternalIdentity,
    existing: &user::Model,
    domain_verified: bool,
) -> Result<(), Error> {
    let allowed = match connection {
        Some(connection) if domain_verified && !existing.is_admin => {
            memberships::find_membership(db, &connection.organization_id, &existing.id)
                .await?
                .is_some_and(|m| {
                    LINKABLE_MEMBERSHIPS.contains(&m.joined_via.as_str()) && m.role != roles::OWNER
                })
        }
        Some(_) => false,
        None => identity.email_verified && existing.email_verified,
    };
    if allowed {
        Ok(())
    } else {
        Err(refuse(
            "an account with this email already exists; sign in to it and link this identity from there",
        ))
    }
}
