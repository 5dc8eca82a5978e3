//! Reading API imports: one run with its counts and cursor (from its `import_runs` row while
//! it runs, from its own row once ended), the runs, and a run's errors, keyset-paged.

use serde_json::json;

use super::{ErrorLine, RunOptions, Transfers, runner::HEARTBEAT, store};
use crate::{
    audit::{self, Actor, AuditEvent},
    error::Error,
    ids::ImportRunId,
    import::RunCounts,
    principal::AdminPrincipal,
    store::{
        Cursor,
        entities::{import_job, import_run},
    },
};

/// Why a run that lost its node failed.
const ABANDONED: &str = "the node running this import stopped (no sign of life for two minutes); \
start a new run of the same input: what this one imported is skipped";

/// A run as the API shows it.
#[derive(Debug, Clone)]
pub struct RunView {
    pub job: import_job::Model,
    pub options: Option<RunOptions>,
    pub counts: RunCounts,
    pub records_done: i64,
}

impl RunView {
    /// The job with the engine's row of it, when that is where its progress is.
    pub(super) fn of(job: import_job::Model, engine: Option<import_run::Model>) -> Self {
        let options = serde_json::from_value(job.options.clone()).ok();
        let (counts, records_done) = match (&job.counts, engine) {
            (Some(counts), _) => (
                serde_json::from_value(counts.clone()).unwrap_or_default(),
                job.records_done.unwrap_or(0),
            ),
            (None, Some(run)) => (
                serde_json::from_value(run.counts).unwrap_or_default(),
                run.cursor,
            ),
            (None, None) => (RunCounts::default(), 0),
        };
        Self {
            job,
            options,
            counts,
            records_done,
        }
    }
}

impl Transfers {
    pub async fn get_run(
        &self,
        _admin: &AdminPrincipal,
        id: &ImportRunId,
    ) -> Result<RunView, Error> {
        let job = store::find_job(&self.db, id)
            .await?
            .ok_or(Error::NotFound("import run"))?;
        self.view(job).await
    }

    async fn view(&self, job: import_job::Model) -> Result<RunView, Error> {
        let job = self.abandoned(job).await?;
        let engine = if job.counts.is_none() && job.state == store::RUNNING {
            store::find_engine_run(&self.db, &job.id).await?
        } else {
            None
        };
        Ok(RunView::of(job, engine))
    }

    /// A job `running` with no heartbeat for four beats lost its node: it is failed (its
    /// chunks deleted, audited) so nobody waits for it; its committed batches stay, and a
    /// new run of the same input skips what they imported.
    async fn abandoned(&self, job: import_job::Model) -> Result<import_job::Model, Error> {
        let now = self.clock.now();
        let silent_since = now - HEARTBEAT * 4;
        if job.state != store::RUNNING || job.updated_at >= silent_since {
            return Ok(job);
        }
        let txn = crate::store::begin_write(&self.db).await?;
        if store::abandon_job(&txn, &job.id, silent_since, ABANDONED, now).await? {
            store::delete_chunks(&txn, &job.id).await?;
            let event = AuditEvent::new("import.run_finished", Actor::System)
                .target("import_run", &job.id)
                .metadata(json!({"source": job.source, "state": store::FAILED, "abandoned": true}))
                .failed();
            audit::record(&txn, now, event).await?;
        }
        txn.commit().await?;
        let job = store::find_job(&self.db, &ImportRunId::from_trusted(job.id))
            .await?
            .ok_or(Error::NotFound("import run"))?;
        Ok(job)
    }

    pub async fn list_runs(
        &self,
        _admin: &AdminPrincipal,
        cursor: &Cursor,
    ) -> Result<(Vec<RunView>, String), Error> {
        let mut jobs = store::list_jobs(&self.db, cursor.after.as_deref(), cursor.limit()).await?;
        let next = cursor.next_token(&mut jobs, |job| job.id.clone());
        let mut views = Vec::with_capacity(jobs.len());
        for job in jobs {
            views.push(self.view(job).await?);
        }
        Ok((views, next))
    }

    /// A run's errors in report order.
    pub async fn list_errors(
        &self,
        _admin: &AdminPrincipal,
        id: &ImportRunId,
        cursor: &Cursor,
    ) -> Result<(Vec<ErrorLine>, String), Error> {
        store::find_job(&self.db, id)
            .await?
            .ok_or(Error::NotFound("import run"))?;
        let after = match cursor.after.as_deref() {
            Some(key) => key
                .parse::<i64>()
                .map_err(|_| Error::invalid("page_token", "is not a token this list made"))?,
            None => 0,
        };
        let mut rows = store::errors_after(&self.db, id, after, cursor.limit()).await?;
        let next = cursor.next_token(&mut rows, |row| row.position.to_string());
        Ok((
            rows.into_iter()
                .map(|row| ErrorLine {
                    file: row.file,
                    line: u64::try_from(row.line).unwrap_or(0),
                    source_id: row.source_id,
                    code: row.code,
                    field: row.field,
                    message: row.message,
                })
                .collect(),
            next,
        ))
    }
}
