//! One `janua import run`: its source kind, the SHA-256 of its input, `running` until it ends
//! (`completed`), the number of source records its committed batches covered (`cursor`, where
//! `--resume` continues) and its counts so far (JSON).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "import_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub source: String,
    pub input_digest: String,
    pub status: String,
    pub cursor: i64,
    pub counts: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
