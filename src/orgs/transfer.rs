//! Organizations as `janua import` and `janua export` move them: every organization with its
//! custom roles and members, page by page, for an export; and an organization with its custom
//! roles inserted as it was (id, slug, roles checked by this capability's rules), and members
//! added under a role that exists, in the importer's transaction; API keys as their stored
//! hashes, both ways. Nothing here reads a file.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{roles, service::parse_slug, store};
use crate::{
    error::Error,
    store::entities::{api_key, membership, organization, role, user},
};

/// A custom role as an export carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferredRole {
    pub name: String,
    pub description: String,
    pub base_role: String,
    pub permissions: Vec<String>,
}

/// An organization as an export carries it (members travel apart).
#[derive(Debug, Clone, PartialEq)]
pub struct TransferredOrganization {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub metadata: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub roles: Vec<TransferredRole>,
}

/// Organizations in id order after `after`, each with its custom roles.
pub async fn organizations_page(
    db: &impl ConnectionTrait,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<(organization::Model, Vec<role::Model>)>, Error> {
    let mut page = Vec::new();
    for org in store::list_organizations(db, None, after, limit).await? {
        let roles = store::list_roles(db, &org.id).await?;
        page.push((org, roles));
    }
    Ok(page)
}

/// An organization's members (with their users) in user-id order after `after`.
pub async fn members_page(
    db: &impl ConnectionTrait,
    organization_id: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<(membership::Model, user::Model)>, Error> {
    Ok(store::list_members(db, organization_id, after, limit).await?)
}

/// Whether an organization with this id exists.
pub async fn organization_exists(db: &impl ConnectionTrait, id: &str) -> Result<bool, Error> {
    Ok(store::find_organization(db, id).await?.is_some())
}

/// Inserts `org` and its custom roles as they were; a taken slug is a conflict, a bad role
/// name, base role or permission a validation error.
pub async fn insert_organization(
    db: &impl ConnectionTrait,
    org: &TransferredOrganization,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let slug = parse_slug(&org.slug)?;
    if org.name.trim().is_empty() {
        return Err(Error::invalid("name", "is required"));
    }
    if store::slug_taken(db, &slug).await? {
        return Err(Error::Conflict(format!("the slug {slug} is taken")));
    }
    let mut checked = Vec::with_capacity(org.roles.len());
    for role in &org.roles {
        let name = roles::parse_role_name("roles.name", &role.name)?;
        let base_role = roles::parse_base_role("roles.base_role", &role.base_role)?;
        let permissions = roles::parse_permissions("roles.permissions", &role.permissions)?;
        checked.push((name, base_role, permissions.to_strings(), &role.description));
    }
    store::insert_organization(
        db,
        organization::Model {
            id: org.id.clone(),
            name: org.name.trim().to_owned(),
            slug,
            metadata: org.metadata.clone(),
            created_at: org.created_at,
            updated_at: now,
        },
    )
    .await?;
    for (name, base_role, permissions, description) in checked {
        store::insert_role(
            db,
            role::Model {
                id: uuid::Uuid::now_v7().to_string(),
                organization_id: org.id.clone(),
                name,
                description: description.clone(),
                permissions: serde_json::json!(permissions),
                base_role: base_role.to_owned(),
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
    }
    Ok(())
}

/// Whether `role` is a built-in role or one of the organization's custom roles.
pub async fn role_known(
    db: &impl ConnectionTrait,
    organization_id: &str,
    role: &str,
) -> Result<bool, Error> {
    Ok(roles::built_in(role).is_some()
        || store::find_role_by_name(db, organization_id, role)
            .await?
            .is_some())
}

/// Whether `user_id` belongs to the organization.
pub async fn is_member(
    db: &impl ConnectionTrait,
    organization_id: &str,
    user_id: &str,
) -> Result<bool, Error> {
    Ok(store::find_membership(db, organization_id, user_id)
        .await?
        .is_some())
}

/// Adds `user_id` to the organization with `role` (a built-in role or one of its custom
/// roles); false when the user is a member already.
pub async fn add_member(
    db: &impl ConnectionTrait,
    organization_id: &str,
    user_id: &str,
    role: &str,
    joined_at: DateTime<Utc>,
) -> Result<bool, Error> {
    if !role_known(db, organization_id, role).await? {
        return Err(Error::invalid(
            "role",
            "names no built-in role and no custom role of the organization",
        ));
    }
    if store::find_membership(db, organization_id, user_id)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    store::insert_membership(
        db,
        membership::Model {
            organization_id: organization_id.to_owned(),
            user_id: user_id.to_owned(),
            role: role.to_owned(),
            created_at: joined_at,
            joined_via: "added".into(),
        },
    )
    .await?;
    Ok(true)
}

/// Every API key (revoked ones too) in id order after `after`, as stored: the secret only
/// as its SHA-256, so an imported key keeps working and nothing in an export opens it.
pub async fn api_keys_page(
    db: &impl ConnectionTrait,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<api_key::Model>, Error> {
    let mut select = api_key::Entity::find();
    if let Some(after) = after {
        select = select.filter(api_key::Column::Id.gt(after));
    }
    Ok(select
        .order_by_asc(api_key::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Inserts an exported API key as it was (its hash, prefix, role and times); false when a
/// key with this id exists. Its organization must exist and know its role; a hash another
/// key holds is a conflict; its creator is kept only when that user exists here.
pub async fn insert_api_key(
    db: &impl ConnectionTrait,
    mut key: api_key::Model,
) -> Result<bool, Error> {
    if key.id.trim().is_empty() || key.id.len() > 36 {
        return Err(Error::invalid("id", "must be 1 to 36 characters"));
    }
    if api_key::Entity::find_by_id(key.id.clone())
        .one(db)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let name_length = key.name.trim().chars().count();
    if name_length == 0 || name_length > 200 {
        return Err(Error::invalid("name", "must be 1 to 200 characters"));
    }
    if !key.prefix.starts_with(super::api_keys::API_KEY_PREFIX) || key.prefix.len() > 64 {
        return Err(Error::invalid(
            "prefix",
            "is not the start of a janua_sk_ key",
        ));
    }
    if !crate::credentials::tokens::is_digest(&key.secret_hash) {
        return Err(Error::invalid(
            "secret_hash",
            "must be the SHA-256 of the key in lower-case hex",
        ));
    }
    if !organization_exists(db, &key.organization_id).await? {
        return Err(Error::invalid(
            "organization_id",
            "names no organization of this import or of the database",
        ));
    }
    if !role_known(db, &key.organization_id, &key.role).await? {
        return Err(Error::invalid(
            "role",
            "names no built-in role and no custom role of the organization",
        ));
    }
    let hash_taken = api_key::Entity::find()
        .filter(api_key::Column::SecretHash.eq(key.secret_hash.clone()))
        .one(db)
        .await?
        .is_some();
    if hash_taken {
        return Err(Error::Conflict("another API key has this hash".into()));
    }
    if let Some(creator) = &key.created_by
        && crate::store::accounts::find_by_id(db, creator)
            .await?
            .is_none()
    {
        key.created_by = None;
    }
    key.into_active_model().reset_all().insert(db).await?;
    Ok(true)
}
