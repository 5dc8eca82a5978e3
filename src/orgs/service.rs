//! The organization capability: the tenants themselves (create, read, list, update,
//! delete). Members, roles, invitations and API keys live in their own files as further
//! `impl Organizations` blocks. Every operation on one organization takes an `OrgScope`.

use std::sync::Arc;

use sea_orm::{DbErr, SqlErr};
use url::Url;

use super::{
    role_references::RoleReferences,
    roles,
    scope::{self, OrgScope},
    store,
};
use crate::{
    audit::{self, AuditEvent, ClientInfo},
    clock::Clock,
    error::Error,
    ids::OrganizationId,
    mail::Mailer,
    principal::{AdminPrincipal, Caller, Principal, Requirement},
    revocation::Revocations,
    store::{
        Cursor, Db,
        entities::{membership, organization},
        sessions,
    },
};

pub struct Organizations {
    pub(super) db: Db,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) mail: Arc<Mailer>,
    pub(super) revocations: Arc<Revocations>,
    /// Where else the organization's roles are named (SSO connections).
    pub(super) role_references: Arc<dyn RoleReferences>,
    /// Where invitation links point (`JANUA_APP_URL`).
    pub(super) app_url: Url,
}

/// The fields of an organization to change; None leaves one as it is.
#[derive(Debug, Default)]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub metadata: Option<Option<serde_json::Value>>,
}

impl Organizations {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        mail: Arc<Mailer>,
        revocations: Arc<Revocations>,
        role_references: Arc<dyn RoleReferences>,
        app_url: Url,
    ) -> Self {
        Self {
            db,
            clock,
            mail,
            revocations,
            role_references,
            app_url,
        }
    }

    /// Checks the RPC's declared requirement for the caller in `organization_id`.
    pub async fn authorize(
        &self,
        caller: &Caller,
        requirement: &Requirement,
        organization_id: &OrganizationId,
        client: ClientInfo,
    ) -> Result<OrgScope, Error> {
        scope::authorize(
            &self.db,
            caller,
            organization_id,
            requirement.permission.as_deref(),
            client,
        )
        .await
    }

    /// Creates an organization with the caller as its owner.
    pub async fn create(
        &self,
        creator: &Principal,
        name: &str,
        slug: &str,
        metadata: Option<serde_json::Value>,
        client: &ClientInfo,
    ) -> Result<organization::Model, Error> {
        let name = parse_name(name)?;
        let slug = match slug.trim() {
            "" => self.free_slug(&slugify(&name)).await?,
            given => parse_slug(given)?,
        };
        let now = self.clock.now();
        let organization = organization::Model {
            id: uuid::Uuid::now_v7().to_string(),
            name,
            slug,
            metadata,
            created_at: now,
            updated_at: now,
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let organization = store::insert_organization(&txn, organization)
            .await
            .map_err(slug_conflict)?;
        store::insert_membership(
            &txn,
            membership::Model {
                organization_id: organization.id.clone(),
                user_id: creator.user_id.to_string(),
                role: roles::OWNER.into(),
                created_at: now,
                joined_via: "created".into(),
            },
        )
        .await?;
        let event = AuditEvent::new(
            "organization.created",
            Caller::User(creator.clone()).actor(),
        )
        .organization(&organization.id)
        .target("organization", &organization.id)
        .client(client.clone());
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(organization)
    }

    /// The caller's organizations, or with `all` every one (an administrator's proof).
    pub async fn list(
        &self,
        caller: &Principal,
        admin: Option<&AdminPrincipal>,
        all: bool,
        cursor: &Cursor,
    ) -> Result<(Vec<organization::Model>, String), Error> {
        if all && admin.is_none() {
            return Err(Error::Authorization(
                "listing every organization is for platform administrators".into(),
            ));
        }
        let member = (!all).then_some(caller.user_id.as_str());
        let mut rows =
            store::list_organizations(&self.db, member, cursor.after.as_deref(), cursor.limit())
                .await?;
        let next = cursor.next_token(&mut rows, |o| o.id.clone());
        Ok((rows, next))
    }

    pub async fn update(
        &self,
        scope: &OrgScope,
        changes: OrganizationChanges,
    ) -> Result<organization::Model, Error> {
        let mut organization = scope.organization.clone();
        if let Some(name) = changes.name {
            organization.name = parse_name(&name)?;
        }
        if let Some(slug) = changes.slug {
            organization.slug = parse_slug(&slug)?;
        }
        if let Some(metadata) = changes.metadata {
            organization.metadata = metadata;
        }
        let now = self.clock.now();
        organization.updated_at = now;
        let txn = crate::store::begin_write(&self.db).await?;
        let organization = store::update_organization(&txn, organization)
            .await
            .map_err(slug_conflict)?;
        let event = scope
            .event("organization.updated")
            .target("organization", &organization.id);
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(organization)
    }

    /// Deletes the organization and all it holds; tokens scoped to it stop working.
    pub async fn delete(&self, scope: &OrgScope) -> Result<(), Error> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let revoked = sessions::revoke_organization_sessions(
            &txn,
            scope.organization_id(),
            None,
            now,
            "organization_deleted",
        )
        .await?;
        store::delete_organization(&txn, scope.organization_id()).await?;
        let event = scope
            .event("organization.deleted")
            .target("organization", scope.organization_id());
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        self.revocations.publish(&revoked).await;
        Ok(())
    }

    /// `base`, or `base-xxxx` with a random suffix when it is taken.
    async fn free_slug(&self, base: &str) -> Result<String, Error> {
        if !store::slug_taken(&self.db, base).await? {
            return Ok(base.to_owned());
        }
        for _ in 0..5 {
            let suffix: u16 = rand::random();
            let candidate = format!("{}-{suffix:04x}", &base[..base.len().min(58)]);
            if !store::slug_taken(&self.db, &candidate).await? {
                return Ok(candidate);
            }
        }
        Err(Error::Conflict(
            "could not find a free slug; choose one".into(),
        ))
    }
}

fn parse_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid("name", "must be 1 to 200 characters"));
    }
    Ok(name.to_owned())
}

/// A slug as given: lowercase letters, digits and single hyphens, at most 63 characters.
pub(super) fn parse_slug(slug: &str) -> Result<String, Error> {
    let valid = !slug.is_empty()
        && slug.len() <= 63
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if valid {
        Ok(slug.to_owned())
    } else {
        Err(Error::invalid(
            "slug",
            "must be lowercase letters, digits and single hyphens, at most 63 characters",
        ))
    }
}

/// A slug made from a name: ASCII letters and digits kept (lower-cased), anything else a
/// hyphen, runs collapsed; "org" when nothing is left.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.truncate(50);
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "org".to_owned()
    } else {
        slug.to_owned()
    }
}

fn slug_conflict(err: DbErr) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            Error::Conflict("an organization with this slug already exists".into())
        }
        _ => err.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_made_from_names() {
        assert_eq!(slugify("Acme Corp, Inc."), "acme-corp-inc");
        assert_eq!(slugify("  Ünïcode!! "), "n-code");
        assert_eq!(slugify("!!!"), "org");
        assert!(parse_slug("acme-corp").is_ok());
        for bad in ["Acme", "-acme", "acme-", "ac--me", "a_b", ""] {
            assert!(parse_slug(bad).is_err(), "{bad}");
        }
    }
}
