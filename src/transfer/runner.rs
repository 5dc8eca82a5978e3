//! An API import's background run: its chunks, in order, become one private file (the
//! engine reads files), the engine runs it as `janua import run` would, under the job's id,
//! and the run ends in one transaction: its `errors.ndjson` lines as rows, its counts, its
//! state, its chunks deleted, `import.run_finished` audited. The passphrase lives only in
//! this task's memory.

use std::{
    io::BufRead as _,
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::Context as _;
use secrecy::SecretString;
use serde_json::json;
use tokio::io::AsyncWriteExt as _;

use super::{ErrorLine, RunOptions, store};
use crate::{
    audit::{self, Actor, AuditEvent},
    clock::Clock,
    ids::UserId,
    import::{
        ImportOptions, Importer, PrivateDir, Progress, RunReport, SourceKind, SourceOptions,
        is_archive, sources::janua_v2::USERS_FILE,
    },
    store::{Db, entities::import_error, entities::import_job},
};

/// Chunks read from the database at a time (each at most 512 KiB).
const CHUNKS_AT_ONCE: u64 = 8;
/// Error rows written per statement.
const ERRORS_AT_ONCE: usize = 500;
/// How often a running job shows it is alive (`status` fails one silent for four times
/// this long: its node stopped).
pub(super) const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(30);

pub(super) struct Runner {
    pub db: Db,
    pub importer: Arc<Importer>,
    pub clock: Arc<dyn Clock>,
}

impl Runner {
    pub async fn run(self, job: import_job::Model, passphrase: Option<SecretString>) {
        let dir = match PrivateDir::create() {
            Ok(dir) => dir,
            Err(err) => {
                self.end(&job, Err(err), None).await;
                return;
            }
        };
        let heartbeat = self.heartbeat(&job.id);
        let result = self.import(&job, dir.path(), passphrase).await;
        heartbeat.abort();
        self.end(&job, result, Some(dir.path())).await;
    }

    /// Touches the job every `HEARTBEAT` until aborted.
    fn heartbeat(&self, id: &str) -> tokio::task::JoinHandle<()> {
        let (db, clock, id) = (self.db.clone(), self.clock.clone(), id.to_owned());
        tokio::spawn(async move {
            let mut beats = tokio::time::interval(HEARTBEAT);
            beats.tick().await;
            loop {
                beats.tick().await;
                if let Err(err) = store::touch_running(&db, &id, clock.now()).await {
                    tracing::warn!(import_run.id = %id, error = %err, "an import run's heartbeat");
                }
            }
        })
    }

    async fn import(
        &self,
        job: &import_job::Model,
        dir: &Path,
        passphrase: Option<SecretString>,
    ) -> anyhow::Result<RunReport> {
        let kind = SourceKind::parse(&job.source).context("an unknown source kind")?;
        let options: RunOptions = serde_json::from_value(job.options.clone())?;
        let path = self.write_input(&job.id, kind, dir).await?;
        let firebase = options
            .firebase
            .as_ref()
            .map(|params| params.project().map_err(|err| anyhow::anyhow!("{err}")))
            .transpose()?;
        let import = ImportOptions {
            source: SourceOptions {
                kind,
                path,
                column_map: options.column_map.clone(),
                firebase,
                passphrase,
                auth0_password_hashes: None,
                auth0_mfa_secrets: None,
            },
            on_conflict: options.on_conflict(),
            batch_size: usize::try_from(options.batch_size)?,
            resume: false,
            dry_run: options.dry_run,
            stop_after_batches: None,
            report_dir: dir.join("report"),
            progress: Some(self.total_recorder(&job.id)),
            run_id: Some(job.id.clone()),
        };
        self.importer.import(&import).await
    }

    /// The chunks in order as one file; the path the engine reads (a janua-v2 users file
    /// sits in a directory under its own name, an archive is read as the file).
    async fn write_input(&self, id: &str, kind: SourceKind, dir: &Path) -> anyhow::Result<PathBuf> {
        let upload = dir.join("upload");
        let mut file = tokio::fs::File::create(&upload).await?;
        let mut after = 0i64;
        loop {
            let chunks = store::chunks_after(&self.db, id, after, CHUNKS_AT_ONCE).await?;
            let Some(last) = chunks.last() else {
                break;
            };
            after = last.sequence;
            for chunk in &chunks {
                file.write_all(&chunk.data).await?;
            }
        }
        file.flush().await?;
        drop(file);
        if kind != SourceKind::JanuaV2 || is_archive(&upload) {
            return Ok(upload);
        }
        let export = dir.join("export");
        tokio::fs::create_dir(&export).await?;
        tokio::fs::rename(&upload, export.join(USERS_FILE)).await?;
        Ok(export)
    }

    /// Records the input's record count the first time the engine reports progress.
    fn total_recorder(&self, id: &str) -> Progress {
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let (db, id) = (self.db.clone(), id.to_owned());
        tokio::spawn(async move {
            if let Some(total) = receiver.recv().await {
                let total = i64::try_from(total).unwrap_or(i64::MAX);
                if let Err(err) = store::set_records_total(&db, &id, total).await {
                    tracing::warn!(import_run.id = %id, error = %err, "recording the input's size");
                }
            }
        });
        Progress(Arc::new(move |_, total| {
            let _ = sender.send(total);
        }))
    }

    /// Ends the job in one transaction; a failure here is logged (the job stays running).
    async fn end(
        &self,
        job: &import_job::Model,
        result: anyhow::Result<RunReport>,
        dir: Option<&Path>,
    ) {
        if let Err(err) = self.try_end(job, result, dir).await {
            tracing::error!(import_run.id = %job.id, error = %format!("{err:#}"), "ending an import run");
        }
    }

    async fn try_end(
        &self,
        job: &import_job::Model,
        result: anyhow::Result<RunReport>,
        dir: Option<&Path>,
    ) -> anyhow::Result<()> {
        let engine_run = store::find_engine_run(&self.db, &job.id).await?;
        let ending = match &result {
            Ok(report) => store::Ending {
                state: store::SUCCEEDED,
                counts: Some(serde_json::to_value(report.counts)?),
                records_done: Some(i64::try_from(report.counts.users.seen)?),
                failure: None,
            },
            Err(err) => store::Ending {
                state: store::FAILED,
                counts: engine_run.as_ref().map(|run| run.counts.clone()),
                records_done: engine_run.as_ref().map(|run| run.cursor),
                failure: Some(failure_text(err, dir)),
            },
        };
        if let Err(err) = &result {
            tracing::warn!(import_run.id = %job.id, error = %format!("{err:#}"), "an import run failed");
        }
        let errors = match dir {
            Some(dir) => read_errors(&job.id, &dir.join("report").join("errors.ndjson"))?,
            None => Vec::new(),
        };
        let now = self.clock.now();
        let event = AuditEvent::new(
            "import.run_finished",
            Actor::User(UserId::from_trusted(job.created_by.clone())),
        )
        .target("import_run", &job.id)
        .metadata(json!({
            "source": job.source,
            "state": ending.state,
            "counts": ending.counts,
            "errors": errors.len(),
        }));
        let event = if result.is_err() {
            event.failed()
        } else {
            event
        };
        let txn = crate::store::begin_write(&self.db).await?;
        for rows in errors.chunks(ERRORS_AT_ONCE) {
            store::insert_errors(&txn, rows.to_vec()).await?;
        }
        store::delete_chunks(&txn, &job.id).await?;
        store::finish_job(&txn, &job.id, ending, now).await?;
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Why a run failed, for the administrator: the engine's message without the private
/// directory's path (file names stay).
fn failure_text(err: &anyhow::Error, dir: Option<&Path>) -> String {
    let text = format!("{err:#}");
    match dir {
        Some(dir) => text.replace(&format!("{}/", dir.display()), ""),
        None => text,
    }
}

/// The report's lines as rows, numbered from 1 in report order (none when the run stopped
/// before writing a report).
fn read_errors(id: &str, path: &Path) -> anyhow::Result<Vec<import_error::Model>> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let error: ErrorLine = serde_json::from_str(&line)?;
        rows.push(import_error::Model {
            job_id: id.to_owned(),
            position: i64::try_from(index)? + 1,
            file: error.file,
            line: i64::try_from(error.line)?,
            source_id: error.source_id,
            code: error.code,
            field: error.field,
            message: error.message,
        });
    }
    Ok(rows)
}
