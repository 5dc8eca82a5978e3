//! A URL that receives signed events: an organization's (`organization_id`) or a
//! platform-wide one (none). `state` is `active`, `failing` or `disabled`; the signing secret
//! is sealed by the field cipher, with the one a rotation replaced while it still signs.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: Option<String>,
    pub url: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// A JSON array of event type names; empty = every type.
    pub event_types: Json,
    pub enabled: bool,
    pub state: String,
    pub consecutive_failures: i32,
    pub failing_since: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Blob")]
    pub secret_sealed: Vec<u8>,
    #[sea_orm(column_type = "Blob", nullable)]
    pub previous_secret_sealed: Option<Vec<u8>>,
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    pub secret_rotated_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
