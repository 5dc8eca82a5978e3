//! An account. `email_normalized` (trimmed, lower-cased) is the unique lookup key; the
//! password hash is a PHC string (argon2id), or an imported hash (`crypto::imported_hash`,
//! stored in its self-describing text form) until the first sign-in re-hashes it.

use sea_orm::entity::prelude::*;

use crate::ids::UserId;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub email: String,
    #[sea_orm(unique)]
    pub email_normalized: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub password_hash: Option<String>,
    pub display_name: String,
    pub email_verified: bool,
    pub is_admin: bool,
    pub status: UserStatus,
    pub metadata: Option<Json>,
    pub last_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    /// Whether the user has an active TOTP or passkey (kept by the MFA capability).
    pub mfa_enabled: bool,
    /// How an imported user signs in while its app moves to Janua (`AuthMethod`); None for
    /// users that were never imported and no administrator set.
    pub auth_method: Option<AuthMethod>,
    /// The source id the user was imported under (a copy of its `import_external_ids` row).
    pub external_id: Option<String>,
    /// When an administrator marked the user invited to sign in through Janua.
    pub migration_invited_at: Option<DateTimeUtc>,
    /// When the imported user first signed in through Janua's OpenID Provider.
    pub migration_completed_at: Option<DateTimeUtc>,
}

/// How an imported user signs in to its app: `password` (the app's own password sign-in,
/// with the imported hash), `dual` (that and "Sign in with Janua", since its first sign-in
/// through the OpenID Provider), `oauth` (Janua only: the app retired passwords).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum AuthMethod {
    #[sea_orm(string_value = "password")]
    Password,
    #[sea_orm(string_value = "oauth")]
    Oauth,
    #[sea_orm(string_value = "dual")]
    Dual,
}

impl AuthMethod {
    /// The stored name, which an import's `auth_method` column also uses.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "password" => Some(Self::Password),
            "oauth" => Some(Self::Oauth),
            "dual" => Some(Self::Dual),
            _ => None,
        }
    }
}

/// Stored as `active`, `suspended` or `deleted`; a deleted account keeps its row (freed
/// email) so audit events and references still resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum UserStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "suspended")]
    Suspended,
    #[sea_orm(string_value = "deleted")]
    Deleted,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn user_id(&self) -> UserId {
        UserId::from_trusted(self.id.clone())
    }

    /// May sign in and be acted for: neither suspended nor deleted.
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active
    }
}
