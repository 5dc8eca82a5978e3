//! Connections, claimed domains and linked identities as `janua export` and `janua import`
//! move them. An export reads an organization's connections (client secrets opened; the
//! importer decides whether they go out) and domains with their verification state. An
//! import inserts them as they were, in the importer's transaction, after the same checks
//! as the API where they can run without the network: names, roles of the organization,
//! claimable domains, IdP URLs the outbound policy allows (the IdP's metadata is read at the
//! first sign-in, as for a connection saved by the API). A domain verified by another
//! organization here comes in unverified. A linked identity comes in only for a connection
//! that exists here or a social provider; sign-ins through it still pass every rule of
//! `linking` (the address must be in the connection's domains, no administrator, ...).
//! Nothing here reads a file or logs a secret.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::{
    connection::{Connection, Protocol},
    connections::{parse_domains, refuse_guarded_address},
    domain_store, email_domain, store,
};
use crate::{
    config::OutboundPolicy,
    crypto::FieldCipher,
    error::Error,
    orgs::transfer::role_known,
    store::entities::{linked_identity, organization_domain},
};

/// The most connections an export reads of one organization.
const MAX_CONNECTIONS: u64 = 10_000;
/// The social providers an identity may be linked through (besides `sso:<connection id>`).
const SOCIAL_PROVIDERS: [&str; 3] = ["google", "github", "microsoft"];

/// The organization's connections in id order, client secrets opened.
pub async fn connections_of(
    db: &impl ConnectionTrait,
    cipher: &FieldCipher,
    organization_id: &str,
) -> Result<Vec<Connection>, Error> {
    store::list_connections(db, organization_id, 0, MAX_CONNECTIONS)
        .await?
        .into_iter()
        .map(|(row, domains)| Connection::from_row(row, domains, cipher))
        .collect()
}

/// The organization's claimed domains with their verification state, by name.
pub async fn domains_of(
    db: &impl ConnectionTrait,
    organization_id: &str,
) -> Result<Vec<organization_domain::Model>, Error> {
    Ok(domain_store::list(db, organization_id).await?)
}

/// How an imported record came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// As it was.
    AsItWas,
    /// A domain verified in the export, but verified by another organization here: it came
    /// in unverified. A connection without its client secret: it came in disabled.
    Degraded,
    /// A record with this id exists already: nothing written.
    Exists,
}

/// Inserts a claimed domain of `domain.organization_id` as it was (verified stays verified:
/// the operator's import vouches for the source's proof), unless another organization has
/// verified it here.
pub async fn insert_domain(
    db: &impl ConnectionTrait,
    mut domain: organization_domain::Model,
) -> Result<Imported, Error> {
    if domain_store::find_any(db, &domain.id).await?.is_some() {
        return Ok(Imported::Exists);
    }
    domain.domain = email_domain::parse("domains.domain", &domain.domain)?;
    if domain_store::find_by_name(db, &domain.organization_id, &domain.domain)
        .await?
        .is_some()
    {
        return Ok(Imported::Exists);
    }
    let mut imported = Imported::AsItWas;
    if domain.verified_at.is_some()
        && domain_store::verified_elsewhere(db, &domain.organization_id, &domain.domain).await?
    {
        domain.verified_at = None;
        domain.verified_by = None;
        imported = Imported::Degraded;
    }
    if domain.verification_token.trim().is_empty() {
        return Err(Error::invalid("domains.verification_token", "is required"));
    }
    domain_store::insert(db, domain).await?;
    Ok(imported)
}

/// Inserts a connection as it was. `secret_missing`: an OIDC connection whose client
/// secret the (plain) export left out; it comes in disabled and without a secret, until an
/// administrator sets one (UpdateSsoConnection) and enables it.
pub async fn insert_connection(
    db: &impl ConnectionTrait,
    cipher: &FieldCipher,
    outbound: OutboundPolicy,
    mut connection: Connection,
    secret_missing: bool,
) -> Result<Imported, Error> {
    if connection.id.trim().is_empty() || connection.id.len() > 36 {
        return Err(Error::invalid(
            "sso_connections.id",
            "must be 1 to 36 characters",
        ));
    }
    if store::find_connection(db, &connection.id).await?.is_some() {
        return Ok(Imported::Exists);
    }
    let name = connection.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid(
            "sso_connections.name",
            "must be 1 to 200 characters",
        ));
    }
    connection.domains = parse_domains(&connection.domains)?;
    let organization_id = connection.organization_id.clone();
    let roles = std::iter::once(&connection.default_role)
        .chain(connection.attribute_mapping.group_roles.values());
    for role in roles {
        if !role_known(db, &organization_id, role).await? {
            return Err(Error::invalid(
                "sso_connections.default_role",
                format!("\"{role}\" is not a role of the organization"),
            ));
        }
    }
    match (connection.protocol, &connection.saml, &connection.oidc) {
        (Protocol::Saml, Some(saml), None) => {
            if saml.idp_metadata_xml.is_none() && saml.idp_metadata_url.is_none() {
                return Err(Error::invalid(
                    "sso_connections.saml",
                    "needs idp_metadata_xml or idp_metadata_url",
                ));
            }
            refuse_guarded_address(
                "sso_connections.saml.idp_metadata_url",
                saml.idp_metadata_url.as_deref(),
                outbound,
            )?;
        }
        (Protocol::Oidc, None, Some(oidc)) => {
            super::oidc::validate_issuer(&oidc.issuer)?;
            if oidc.client_id.trim().is_empty() {
                return Err(Error::invalid(
                    "sso_connections.oidc.client_id",
                    "is required",
                ));
            }
            refuse_guarded_address("sso_connections.oidc.issuer", Some(&oidc.issuer), outbound)?;
        }
        _ => {
            return Err(Error::invalid(
                "sso_connections.protocol",
                "a saml connection has saml settings, an oidc one oidc settings",
            ));
        }
    }
    let degraded = secret_missing && connection.protocol == Protocol::Oidc;
    if degraded {
        connection.enabled = false;
    }
    let mut row = connection.to_row(cipher)?;
    if degraded {
        row.oidc_client_secret_sealed = None;
    }
    store::save_connection(db, row, &connection.domains, false).await?;
    Ok(if degraded {
        Imported::Degraded
    } else {
        Imported::AsItWas
    })
}

/// A linked identity as an export carries it.
#[derive(Debug, Clone)]
pub struct TransferredLink {
    /// `sso:<connection id>` or a social provider.
    pub provider: String,
    pub subject: String,
    pub email_proven: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
}

/// Links `link` to `user_id`. Exists when that user holds it already; a conflict when
/// another user does; not found for a connection that is not here; a validation error for
/// an unknown provider (`write` false only checks).
pub async fn insert_link(
    db: &impl ConnectionTrait,
    user_id: &str,
    link: TransferredLink,
    write: bool,
) -> Result<Imported, Error> {
    let subject = link.subject.trim();
    if subject.is_empty() || subject.len() > 255 {
        return Err(Error::invalid(
            "identities.subject",
            "must be 1 to 255 characters",
        ));
    }
    match link.provider.strip_prefix("sso:") {
        Some(connection_id) => {
            if store::find_connection(db, connection_id).await?.is_none() {
                return Err(Error::NotFound("SSO connection"));
            }
        }
        None if SOCIAL_PROVIDERS.contains(&link.provider.as_str()) => {}
        None => {
            return Err(Error::invalid(
                "identities.provider",
                "must be an SSO connection or google, github, microsoft",
            ));
        }
    }
    if let Some(existing) = store::find_linked_identity(db, &link.provider, subject).await? {
        return if existing.user_id == user_id {
            Ok(Imported::Exists)
        } else {
            Err(Error::Conflict(
                "another user is linked to this identity".into(),
            ))
        };
    }
    if write {
        store::insert_linked_identity(
            db,
            linked_identity::Model {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: user_id.to_owned(),
                provider: link.provider,
                subject: subject.to_owned(),
                created_at: link.created_at,
                last_used_at: link.last_used_at,
                email_proven: link.email_proven,
            },
        )
        .await?;
    }
    Ok(Imported::AsItWas)
}

/// The user's linked identities, oldest first.
pub async fn links_of(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<linked_identity::Model>, Error> {
    Ok(crate::store::linked_identities::of_user(db, user_id).await?)
}
