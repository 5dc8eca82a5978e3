//! An email domain an organization claims, and its proof: a DNS TXT record at
//! `_janua-challenge.<domain>` holding `janua-verification=<verification_token>`, or an
//! operator's approval. A domain is verified for at most one organization (unique index).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organization_domains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: String,
    pub domain: String,
    pub verification_token: String,
    pub verified_at: Option<DateTimeUtc>,
    /// `dns` or `operator`.
    pub verified_by: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
