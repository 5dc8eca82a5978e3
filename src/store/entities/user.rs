//! An account. `email_normalized` (trimmed, lower-cased) is the unique lookup key; the
//! password hash is a PHC string (argon2id, or an imported bcrypt hash until re-hashed).

use sea_orm::entity::prelude::*;

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
    /// `active`, `suspended` or `deleted`.
    pub status: String,
    pub metadata: Option<Json>,
    pub last_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    /// Whether the user has an active TOTP or passkey (kept by the MFA capability).
    pub mfa_enabled: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
