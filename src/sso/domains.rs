//! Proving an organization owns an email domain. Until it does, the domain routes nothing
//! and vouches for nobody: a declared domain is a claim anyone could make (a competitor's,
//! or gmail.com, which `email_domain` refuses outright). Proof is a DNS TXT record at
//! `_janua-challenge.<domain>` holding `janua-verification=<token>` (a token per
//! organization and domain), or an operator's approval. A domain is verified for one
//! organization at most; claims by others stay pending and harmless.

use serde_json::json;

use super::{Sso, domain_store, email_domain};
use crate::{
    audit::{self, Actor, AuditEvent},
    credentials::tokens::new_opaque_token,
    error::{Error, SsoFailure},
    ids::DomainId,
    orgs::OrgScope,
    principal::AdminPrincipal,
    store::entities::organization_domain::Model as Domain,
};

/// Most domains one organization may claim.
const MAX_DOMAINS: usize = 100;
/// The name under the domain that holds the TXT record.
const RECORD_PREFIX: &str = "_janua-challenge";
/// What the TXT record's value starts with.
const VALUE_PREFIX: &str = "janua-verification=";

/// The TXT record that proves `domain`: its name and its value.
pub fn verification_record(domain: &Domain) -> (String, String) {
    (
        format!("{RECORD_PREFIX}.{}", domain.domain),
        format!("{VALUE_PREFIX}{}", domain.verification_token),
    )
}

fn taken() -> Error {
    Error::Conflict("another organization has verified this domain".into())
}

impl Sso {
    /// Claims a domain for the organization (pending until verified).
    pub async fn create_domain(&self, scope: &OrgScope, raw: &str) -> Result<Domain, Error> {
        let name = email_domain::parse("domain", raw)?;
        let organization_id = scope.organization_id();
        let txn = crate::store::begin_write(&self.db).await?;
        if domain_store::find_by_name(&txn, organization_id, &name)
            .await?
            .is_some()
        {
            return Err(Error::Conflict(
                "the organization has claimed this domain already".into(),
            ));
        }
        if domain_store::list(&txn, organization_id).await?.len() >= MAX_DOMAINS {
            return Err(Error::invalid(
                "domain",
                "an organization claims at most 100",
            ));
        }
        if domain_store::verified_elsewhere(&txn, organization_id, &name).await? {
            return Err(taken());
        }
        let now = self.clock.now();
        let domain = domain_store::insert(
            &txn,
            Domain {
                id: uuid::Uuid::now_v7().to_string(),
                organization_id: organization_id.to_owned(),
                domain: name,
                verification_token: new_opaque_token(),
                verified_at: None,
                verified_by: None,
                created_at: now,
            },
        )
        .await?;
        let event = scope
            .event("domain.created")
            .target("domain", &domain.id)
            .metadata(json!({ "domain": domain.domain }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(domain)
    }

    pub async fn list_domains(&self, scope: &OrgScope) -> Result<Vec<Domain>, Error> {
        Ok(domain_store::list(&self.db, scope.organization_id()).await?)
    }

    /// Looks for the TXT record now; verified when it holds the organization's token.
    pub async fn verify_domain(&self, scope: &OrgScope, id: &DomainId) -> Result<Domain, Error> {
        let domain = domain_store::find(&self.db, scope.organization_id(), id)
            .await?
            .ok_or(Error::NotFound("domain"))?;
        if domain.verified_at.is_some() {
            return Ok(domain);
        }
        let (name, value) = verification_record(&domain);
        let found = self.dns.txt(&name).await.map_err(|error| {
            tracing::warn!(dns.name = %name, error = %error, "TXT lookup failed");
            Error::sso(
                SsoFailure::Configuration,
                format!("the DNS lookup of {name} failed; try again later"),
            )
        })?;
        if !found.iter().any(|txt| txt.trim() == value) {
            return Err(Error::sso(
                SsoFailure::Configuration,
                format!("no TXT record \"{value}\" at {name} yet"),
            ));
        }
        self.mark_verified(domain, "dns", scope.caller.actor())
            .await
    }

    /// A platform administrator vouches for a domain without DNS (the operator's approval).
    pub async fn approve_domain(
        &self,
        admin: &AdminPrincipal,
        id: &DomainId,
    ) -> Result<Domain, Error> {
        let domain = domain_store::find_any(&self.db, id)
            .await?
            .ok_or(Error::NotFound("domain"))?;
        if domain.verified_at.is_some() {
            return Ok(domain);
        }
        self.mark_verified(domain, "operator", Actor::User(admin.user_id().clone()))
            .await
    }

    pub async fn delete_domain(&self, scope: &OrgScope, id: &DomainId) -> Result<(), Error> {
        let txn = crate::store::begin_write(&self.db).await?;
        let domain = domain_store::find(&txn, scope.organization_id(), id)
            .await?
            .ok_or(Error::NotFound("domain"))?;
        domain_store::delete(&txn, &domain.id).await?;
        let event = scope
            .event("domain.deleted")
            .target("domain", &domain.id)
            .metadata(json!({ "domain": domain.domain }));
        audit::record(&txn, self.clock.now(), event).await?;
        txn.commit().await?;
        Ok(())
    }

    async fn mark_verified(&self, domain: Domain, by: &str, actor: Actor) -> Result<Domain, Error> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        if domain_store::verified_elsewhere(&txn, &domain.organization_id, &domain.domain).await? {
            return Err(taken());
        }
        // The unique index settles two organizations verifying at once.
        domain_store::mark_verified(&txn, &domain.id, by, now)
            .await
            .map_err(|error| match error.sql_err() {
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => taken(),
                _ => error.into(),
            })?;
        let event = AuditEvent::new("domain.verified", actor)
            .organization(&domain.organization_id)
            .target("domain", &domain.id)
            .metadata(json!({ "domain": domain.domain, "verified_by": by }));
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(Domain {
            verified_at: Some(now),
            verified_by: Some(by.to_owned()),
            ..domain
        })
    }
}
