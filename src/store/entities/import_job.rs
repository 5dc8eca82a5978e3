//! An import an administrator created over the API (ImportService): its source, state
//! (`uploading`, `running`, `succeeded`, `failed`), options (JSON, never a passphrase), how
//! much input it was given, and when it ended its counts, cursor and failure. Its
//! `import_runs` row, while it runs, has the same id.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "import_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub source: String,
    pub state: String,
    pub options: Json,
    pub chunk_count: i64,
    pub total_bytes: i64,
    pub records_total: Option<i64>,
    pub records_done: Option<i64>,
    pub counts: Option<Json>,
    #[sea_orm(column_type = "Text", nullable)]
    pub failure: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
