//! A user's membership in an organization, with the name of its role.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    pub role: String,
    pub created_at: DateTimeUtc,
    /// How the membership began: `created` (the organization's creator), `invitation`
    /// (accepted by the user), `verified_domain` (JIT through a connection whose domain the
    /// organization proved), `sso` (JIT otherwise), `added` (by an administrator, or before
    /// this was recorded). Only `invitation` and `verified_domain` let a connection link the
    /// account by email (sso::linking).
    pub joined_via: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id"
    )]
    User,
    /// The organization's custom role of the membership's role name; none for a built-in
    /// role (built-in roles are not stored).
    #[sea_orm(
        belongs_to = "super::role::Entity",
        from = "(Column::OrganizationId, Column::Role)",
        to = "(super::role::Column::OrganizationId, super::role::Column::Name)"
    )]
    CustomRole,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
