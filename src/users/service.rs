//! The user directory (UserService): reading, listing and creating accounts. Profile
//! changes live in `profile`, the lifecycle (delete, suspend, reactivate, unlock) in
//! `lifecycle`, as further `impl Users` blocks. Who may do what follows from the proofs the
//! access layer made: a user (`Principal`) sees and changes only themselves, and another
//! user's id answers NOT_FOUND exactly like an unknown one; with an `AdminPrincipal` (a
//! verified platform administrator) the caller may act on anyone. No administrator check
//! is made here.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr, SqlErr};
use serde_json::json;

use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    auth::limits::BruteForceGuard,
    clock::Clock,
    credentials::{Email, NewPassword},
    crypto::PasswordHasher,
    error::Error,
    ids::{OrganizationId, UserId},
    orgs::roles,
    principal::{AdminPrincipal, Principal},
    revocation::Revocations,
    store::{
        Cursor, Db,
        accounts::{self, UserQuery},
        entities::{membership, user},
        memberships, organizations,
    },
};

pub use crate::store::accounts::{AuthMethod, MigrationState, UserStatus};

const MAX_DISPLAY_NAME_CHARS: usize = 200;

/// ListUsers filters; None = no filter.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub organization_id: Option<OrganizationId>,
    pub email_prefix: Option<String>,
    /// None: every status except deleted.
    pub status: Option<UserStatus>,
    /// Dual sign-in: only users with this auth method.
    pub auth_method: Option<AuthMethod>,
    /// Dual sign-in: only imported users in this state of their move.
    pub migration: Option<MigrationState>,
}

/// A user to create (CreateUser).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    /// Empty: no password (reset, magic link, passkey or SSO later).
    pub password: String,
    pub display_name: String,
    pub email_verified: bool,
    pub is_admin: bool,
    pub metadata: Option<serde_json::Value>,
    pub organization_id: Option<OrganizationId>,
    /// Empty with an organization: "member".
    pub role: String,
}

pub struct Users {
    pub(super) db: Db,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) passwords: Arc<PasswordHasher>,
    pub(super) guard: BruteForceGuard,
    pub(super) revocations: Arc<Revocations>,
}

impl Users {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        passwords: Arc<PasswordHasher>,
        guard: BruteForceGuard,
        revocations: Arc<Revocations>,
    ) -> Self {
        Self {
            db,
            clock,
            passwords,
            guard,
            revocations,
        }
    }

    /// One user: the caller themselves, or anyone (deleted users too) for a platform
    /// administrator. Anyone else's id is NOT_FOUND.
    pub async fn get(
        &self,
        caller: &Principal,
        admin: Option<&AdminPrincipal>,
        user_id: &UserId,
    ) -> Result<user::Model, Error> {
        let admin = admin.is_some();
        self.visible_user(caller, user_id, admin, true).await
    }

    /// Users across the platform, oldest first. Platform administrators only.
    pub async fn list(
        &self,
        _admin: &AdminPrincipal,
        filter: &UserFilter,
        cursor: &Cursor,
    ) -> Result<(Vec<user::Model>, String), Error> {
        let statuses: &[UserStatus] = match filter.status {
            Some(status) => &[status],
            None => &[UserStatus::Active, UserStatus::Suspended],
        };
        let prefix = filter.email_prefix.as_deref().map(str::to_lowercase);
        let query = UserQuery {
            organization_id: filter.organization_id.as_deref(),
            email_prefix: prefix.as_deref(),
            statuses,
            auth_method: filter.auth_method,
            migration: filter.migration,
        };
        let mut rows =
            accounts::list(&self.db, &query, cursor.after.as_deref(), cursor.limit()).await?;
        let next = cursor.next_token(&mut rows, |u| u.id.clone());
        Ok((rows, next))
    }

    /// Creates an active user, optionally as a member of an organization. Platform
    /// administrators only.
    pub async fn create(
        &self,
        admin: &AdminPrincipal,
        new: NewUser,
        client: &ClientInfo,
    ) -> Result<user::Model, Error> {
        let actor = Actor::User(admin.user().user_id.clone());
        self.insert_user(actor, new, client).await
    }

    /// A platform administrator made by the operator at the machine (`janua users
    /// create-admin`): CreateUser's checks (password policy, a free address), hashing and
    /// audit event, with the system as the actor.
    pub async fn create_administrator(
        &self,
        email: Email,
        password: &str,
    ) -> Result<user::Model, Error> {
        if password.is_empty() {
            return Err(Error::invalid("password", "is required"));
        }
        let new = NewUser {
            email,
            password: password.to_owned(),
            display_name: "Administrator".into(),
            email_verified: true,
            is_admin: true,
            metadata: None,
            organization_id: None,
            role: String::new(),
        };
        self.insert_user(Actor::System, new, &ClientInfo::default())
            .await
    }

    async fn insert_user(
        &self,
        actor: Actor,
        new: NewUser,
        client: &ClientInfo,
    ) -> Result<user::Model, Error> {
        let email = new.email;
        let password = match new.password.as_str() {
            "" => None,
            given => Some(NewPassword::parse("password", given, email.normalized())?),
        };
        let display_name = parse_display_name("display_name", &new.display_name)?;
        let membership = self
            .new_membership(new.organization_id.as_ref(), &new.role)
            .await?;
        if accounts::find_by_email(&self.db, email.normalized())
            .await?
            .is_some()
        {
            return Err(email_taken());
        }
        let password_hash = match password {
            Some(password) => Some(self.passwords.hash(password.secret()).await?),
            None => None,
        };
        let now = self.clock.now();
        let account = user::Model {
            password_hash,
            display_name,
            email_verified: new.email_verified,
            is_admin: new.is_admin,
            metadata: new.metadata,
            ..accounts::new_account(&email, now)
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let account = accounts::insert(&txn, account)
            .await
            .map_err(conflict_on_duplicate)?;
        let created = AuditEvent::new("user.created", actor.clone())
            .target("user", &account.id)
            .client(client.clone())
            .metadata(json!({
                "email_verified": account.email_verified,
                "is_admin": account.is_admin,
                "password_set": account.password_hash.is_some(),
            }));
        audit::record(&txn, now, created).await?;
        if let Some((organization_id, role)) = membership {
            add_to_organization(&txn, &account.id, &organization_id, &role, now).await?;
            let added = AuditEvent::new("member.added", actor)
                .organization(&organization_id)
                .target("user", &account.id)
                .client(client.clone())
                .metadata(json!({ "role": role }));
            audit::record(&txn, now, added).await?;
        }
        txn.commit().await?;
        Ok(account)
    }

    /// The (organization id, role) a new user joins, checked: the organization exists and
    /// defines the role (a built-in one, or a custom one of its own).
    async fn new_membership(
        &self,
        organization_id: Option<&OrganizationId>,
        role: &str,
    ) -> Result<Option<(String, String)>, Error> {
        let role = role.trim();
        let Some(organization_id) = organization_id else {
            if !role.is_empty() {
                return Err(Error::invalid(
                    "role",
                    "needs an organization_id to apply to",
                ));
            }
            return Ok(None);
        };
        let organization = organizations::find_organization(&self.db, organization_id)
            .await?
            .ok_or(Error::NotFound("organization"))?;
        let role = if role.is_empty() { roles::MEMBER } else { role };
        if roles::built_in(role).is_none()
            && organizations::find_role_by_name(&self.db, &organization.id, role)
                .await?
                .is_none()
        {
            return Err(Error::invalid("role", "is not a role of this organization"));
        }
        Ok(Some((organization.id, role.to_owned())))
    }

    /// The user `user_id` as the caller may see it: themselves (not deleted), or anyone for
    /// an administrator (deleted users only when `deleted_too`). NOT_FOUND otherwise.
    pub(super) async fn visible_user(
        &self,
        caller: &Principal,
        user_id: &UserId,
        admin: bool,
        deleted_too: bool,
    ) -> Result<user::Model, Error> {
        if !admin && *user_id != caller.user_id {
            return Err(Error::NotFound("user"));
        }
        accounts::find_by_id(&self.db, user_id)
            .await?
            .filter(|u| (admin && deleted_too) || u.status != UserStatus::Deleted)
            .ok_or(Error::NotFound("user"))
    }
}

async fn add_to_organization(
    db: &impl ConnectionTrait,
    user_id: &str,
    organization_id: &str,
    role: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), Error> {
    let membership = membership::Model {
        organization_id: organization_id.to_owned(),
        user_id: user_id.to_owned(),
        role: role.to_owned(),
        created_at: now,
        joined_via: "added".into(),
    };
    Ok(memberships::insert_membership(db, membership).await?)
}

/// A display name as stored: trimmed, at most 200 characters, may be empty.
pub(super) fn parse_display_name(field: &str, name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(Error::invalid(field, "must be at most 200 characters"));
    }
    Ok(name.to_owned())
}

pub(super) fn email_taken() -> Error {
    Error::Conflict("an account with this email already exists".into())
}

/// A unique-index violation (the email, raced by another request) as CONFLICT.
pub(super) fn conflict_on_duplicate(err: DbErr) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => email_taken(),
        _ => err.into(),
    }
}
