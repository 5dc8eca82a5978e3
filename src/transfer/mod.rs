//! The administrators' ImportService and ExportService: imports created, fed and started
//! over the API, run in the background by the same engine as `janua import run`
//! (`import::Importer`), and exports streamed from the same code as `janua export`.
//!
//! - `upload`: create a run, take its input in ordered, bounded chunks (kept in the
//!   database, so whichever node starts the run reads them), start it;
//! - `runner`: the background run: the chunks become a private file, the engine imports it,
//!   `errors.ndjson` becomes rows, the chunks are deleted, the end is audited;
//! - `status`: a run as the API shows it, the runs, a run's errors, paged;
//! - `export`: the export files, streamed in chunks;
//! - `convert` and `grpc`: the thin tonic services.
//!
//! Only platform administrators reach any of it (the contract's AUDIENCE_ADMIN; the domain
//! takes their `AdminPrincipal`). A passphrase lives only in memory for its run or export:
//! never stored, logged or reported. A run's state lives in the database; its node touches
//! it while it runs (`runner::HEARTBEAT`), and a run silent for four beats (its node died)
//! is failed when read, its committed batches kept (a new run of the same input skips
//! what they imported, by source id).

mod convert;
mod export;
pub mod grpc;
mod runner;
mod status;
mod store;
mod upload;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use export::ExportedChunk;
pub use status::RunView;
pub use upload::{FirebaseParams, NewRun, RunOptions};

use crate::{clock::Clock, import::Importer, store::Db};

/// ImportService and ExportService's domain, wired once.
pub struct Transfers {
    db: Db,
    importer: Arc<Importer>,
    clock: Arc<dyn Clock>,
}

impl Transfers {
    pub fn new(db: Db, importer: Arc<Importer>, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            importer,
            clock,
        }
    }
}

/// One line of the engine's `errors.ndjson`, as stored and paged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorLine {
    pub file: String,
    pub line: u64,
    pub source_id: String,
    pub code: String,
    pub field: String,
    pub message: String,
}
