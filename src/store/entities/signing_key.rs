//! A JWT signing key. The private key (PKCS#8 PEM) is stored sealed by the field cipher; a
//! key with no `retire_at` may sign, one whose `retire_at` is in the future is still published.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub kid: String,
    pub algorithm: String,
    #[sea_orm(column_type = "Text")]
    pub public_jwk: String,
    #[sea_orm(column_type = "Blob")]
    pub private_key_encrypted: Vec<u8>,
    pub created_at: DateTimeUtc,
    pub retire_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
