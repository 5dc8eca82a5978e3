//! An external identity linked to a user: `provider` is `sso:<connection id>` or a social
//! provider (`google`, `github`, `microsoft`); `subject` is the IdP's stable id for the user
//! (SAML NameID, OIDC `sub`, GitHub user id). Unique per (provider, subject).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "linked_identities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub provider: String,
    pub subject: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: DateTimeUtc,
    /// Whether the account's email address was proven when the link was made; a later proof
    /// of the address (password reset, verification) removes the unproven links.
    pub email_proven: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
