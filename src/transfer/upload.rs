//! Creating an API import, taking its input in ordered chunks and starting it. A chunk out
//! of order, too large, past the total bound or after the start is refused and stores
//! nothing; the order and the start are conditional updates, so concurrent callers cannot
//! slip past them.

use std::sync::Arc;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{RunView, Transfers, runner::Runner, store};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    crypto::FirebaseProject,
    error::Error,
    ids::ImportRunId,
    import::{OnConflict, SourceKind, SourceOptions},
    principal::AdminPrincipal,
    store::entities::{import_chunk, import_job},
};

/// The largest chunk: its base64 in a REST body stays under the default
/// `JANUA_MAX_REQUEST_BYTES` (1 MiB).
const MAX_CHUNK_BYTES: usize = 512 * 1024;
/// The largest input a run takes over the API (the CLI reads files of any size).
const MAX_INPUT_BYTES: i64 = 256 * 1024 * 1024;
const DEFAULT_BATCH_SIZE: u32 = 500;
const MAX_BATCH_SIZE: u32 = 5000;

/// A run's options as stored (never a passphrase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOptions {
    /// skip, update or fail.
    pub on_conflict: String,
    pub batch_size: u32,
    pub dry_run: bool,
    pub column_map: Vec<(String, String)>,
    pub firebase: Option<FirebaseParams>,
}

/// Firebase scrypt parameters, keys in base64 as the request gave them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirebaseParams {
    pub signer_key: String,
    pub salt_separator: String,
    pub rounds: u32,
    pub mem_cost: u8,
}

impl FirebaseParams {
    pub(super) fn project(&self) -> Result<FirebaseProject, Error> {
        let decode = |field: &str, text: &str| {
            STANDARD
                .decode(text.trim())
                .map_err(|_| Error::invalid(field, "is not base64"))
        };
        Ok(FirebaseProject {
            signer_key: decode("options.firebase.signer_key", &self.signer_key)?,
            salt_separator: decode("options.firebase.salt_separator", &self.salt_separator)?,
            rounds: self.rounds,
            mem_cost: self.mem_cost,
        })
    }
}

impl RunOptions {
    pub(super) fn on_conflict(&self) -> OnConflict {
        match self.on_conflict.as_str() {
            "update" => OnConflict::Update,
            "fail" => OnConflict::Fail,
            _ => OnConflict::Skip,
        }
    }
}

/// CreateImportRun, parsed.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub source: SourceKind,
    pub options: RunOptions,
}

impl Transfers {
    pub async fn create_run(
        &self,
        admin: &AdminPrincipal,
        mut run: NewRun,
    ) -> Result<RunView, Error> {
        check_options(&mut run)?;
        let now = self.clock.now();
        let job = import_job::Model {
            id: uuid::Uuid::now_v7().to_string(),
            source: run.source.name().to_owned(),
            state: store::UPLOADING.to_owned(),
            options: serde_json::to_value(&run.options).map_err(anyhow::Error::from)?,
            chunk_count: 0,
            total_bytes: 0,
            records_total: None,
            records_done: None,
            counts: None,
            failure: None,
            created_by: admin.user_id().to_string(),
            created_at: now,
            updated_at: now,
            started_at: None,
            finished_at: None,
        };
        store::insert_job(&self.db, job.clone()).await?;
        Ok(RunView::of(job, None))
    }

    /// Stores chunk `sequence` (from 1, in order): (chunks, bytes) stored so far.
    pub async fn upload_chunk(
        &self,
        _admin: &AdminPrincipal,
        id: &ImportRunId,
        sequence: i64,
        data: Vec<u8>,
    ) -> Result<(i64, i64), Error> {
        if data.is_empty() {
            return Err(Error::invalid("data", "is empty"));
        }
        if data.len() > MAX_CHUNK_BYTES {
            return Err(Error::invalid(
                "data",
                format!("is larger than {MAX_CHUNK_BYTES} bytes; split the input into more chunks"),
            ));
        }
        if sequence < 1 {
            return Err(Error::invalid("sequence", "starts at 1"));
        }
        let bytes = i64::try_from(data.len()).map_err(anyhow::Error::from)?;
        let txn = crate::store::begin_write(&self.db).await?;
        let now = self.clock.now();
        if !store::count_chunk(&txn, id, sequence, bytes, MAX_INPUT_BYTES, now).await? {
            drop(txn);
            return Err(self.refused_chunk(id, sequence, bytes).await);
        }
        store::insert_chunk(
            &txn,
            import_chunk::Model {
                job_id: id.to_string(),
                sequence,
                data,
            },
        )
        .await?;
        txn.commit().await?;
        let job = store::find_job(&self.db, id)
            .await?
            .ok_or(Error::NotFound("import run"))?;
        Ok((job.chunk_count, job.total_bytes))
    }

    /// Why a chunk was refused, from the job as it is now.
    async fn refused_chunk(&self, id: &ImportRunId, sequence: i64, bytes: i64) -> Error {
        let job = match store::find_job(&self.db, id).await {
            Ok(Some(job)) => job,
            Ok(None) => return Error::NotFound("import run"),
            Err(err) => return err.into(),
        };
        if job.state != store::UPLOADING {
            Error::invalid(
                "import_run_id",
                "the run has started; it takes no more chunks",
            )
        } else if job.chunk_count != sequence - 1 {
            Error::invalid(
                "sequence",
                format!("is out of order: the next chunk is {}", job.chunk_count + 1),
            )
        } else {
            Error::invalid(
                "data",
                format!(
                    "would make the input {} bytes, more than the {MAX_INPUT_BYTES} a run takes",
                    job.total_bytes + bytes
                ),
            )
        }
    }

    /// Starts the run in the background on this node; returns it as it is then.
    pub async fn start_run(
        self: &Arc<Self>,
        admin: &AdminPrincipal,
        id: &ImportRunId,
        passphrase: Option<SecretString>,
        client: ClientInfo,
    ) -> Result<RunView, Error> {
        let job = store::find_job(&self.db, id)
            .await?
            .ok_or(Error::NotFound("import run"))?;
        if passphrase.is_some() && job.source != SourceKind::JanuaV2.name() {
            return Err(Error::invalid(
                "passphrase",
                "applies to a janua-v2 archive only",
            ));
        }
        // No length rule here: the archive's passphrase is whatever its export used.
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        if !store::mark_running(&txn, id, now).await? {
            drop(txn);
            return Err(if job.chunk_count == 0 {
                Error::invalid(
                    "import_run_id",
                    "the run has no input yet: upload a chunk first",
                )
            } else {
                Error::invalid("import_run_id", "the run has started already")
            });
        }
        audit::record(
            &txn,
            now,
            AuditEvent::new("import.run_started", Actor::User(admin.user_id().clone()))
                .target("import_run", id.as_str())
                .client(client)
                .metadata(json!({
                    "source": job.source,
                    "chunks": job.chunk_count,
                    "bytes": job.total_bytes,
                    "dry_run": job.options["dry_run"],
                })),
        )
        .await?;
        txn.commit().await?;
        let runner = Runner {
            db: self.db.clone(),
            importer: self.importer.clone(),
            clock: self.clock.clone(),
        };
        let started = store::find_job(&self.db, id)
            .await?
            .ok_or(Error::NotFound("import run"))?;
        tokio::spawn(runner.run(started.clone(), passphrase));
        Ok(RunView::of(started, None))
    }
}

/// The options' bounds, and the defaults filled in; the column map and the Firebase
/// parameters are checked as the engine would, before any input is taken.
fn check_options(run: &mut NewRun) -> Result<(), Error> {
    let options = &mut run.options;
    if options.batch_size == 0 {
        options.batch_size = DEFAULT_BATCH_SIZE;
    }
    if options.batch_size > MAX_BATCH_SIZE {
        return Err(Error::invalid(
            "options.batch_size",
            format!("is more than {MAX_BATCH_SIZE}"),
        ));
    }
    if run.source != SourceKind::Csv && options.firebase.is_some() {
        return Err(Error::invalid(
            "options.firebase",
            "applies to IMPORT_SOURCE_CSV only",
        ));
    }
    let firebase = options
        .firebase
        .as_ref()
        .map(FirebaseParams::project)
        .transpose()?;
    let probe = SourceOptions {
        kind: run.source,
        path: std::path::PathBuf::new(),
        column_map: options.column_map.clone(),
        firebase,
        passphrase: None,
        auth0_password_hashes: None,
        auth0_mfa_secrets: None,
    };
    crate::import::sources::check_column_map(&probe).map_err(|err| {
        Error::invalid(
            "options.column_map",
            err.to_string().replace("--map", "column_map"),
        )
    })
}
