//! The import run: read the source to its end once (a syntax error or unreadable file stops
//! everything before a write), then read it again, validating each record and writing them
//! in batches, one transaction per batch that also moves the run's cursor, so a run killed
//! between batches resumes after the last committed one with nothing duplicated. A plan runs
//! the same decisions against the database and writes nothing to it.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::{
    ImportOptions, Importer, OnConflict, archive, organizations,
    outcome::{Decided, report_lines, tally, tally_counts},
    record::SourceItem,
    report::{Outcome, Problem, ReportFiles, RunCounts},
    sources::{self, SourceOptions},
    store,
    validate::{SeenSoFar, ValidUser, validate},
};
use crate::store::{accounts, entities::import_run};

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub run_id: String,
    pub counts: RunCounts,
    /// True for a plan: nothing was written to the database.
    pub planned: bool,
}

/// What a plan has decided so far that its later decisions need (a run finds the same in
/// the database it wrote, so it keeps nothing here and its memory stays flat).
#[derive(Default)]
struct Known {
    /// Ids this plan would insert, so it sees its own earlier records as a run would.
    planned_ids: HashSet<String>,
    /// Source id → Janua id of every user decided, for the organizations' members.
    user_ids: HashMap<String, String>,
}

/// A record checked without the database: valid (with its warnings), or why it fails.
type Checked = Result<(ValidUser, Vec<Problem>), Problem>;

/// A batch's worth of records before they are decided and written.
struct Batch {
    users: Vec<Checked>,
    /// Position (1-based) of the batch's last record.
    last: u64,
}

impl Importer {
    /// `janua import plan` (with `options.dry_run`) and `janua import run`.
    pub async fn import(&self, options: &ImportOptions) -> anyhow::Result<RunReport> {
        anyhow::ensure!(options.batch_size > 0, "--batch-size must be at least 1");
        let mut options = options.clone();
        // An encrypted archive is unpacked (and its manifest checked) into a private
        // directory that lives as long as the import.
        let _extracted = match &options.source.passphrase {
            Some(passphrase)
                if options.source.kind == sources::SourceKind::JanuaV2
                    && archive::is_archive(&options.source.path) =>
            {
                let path = options.source.path.clone();
                let passphrase = passphrase.clone();
                let dir = tokio::task::spawn_blocking(move || archive::extract(&path, &passphrase))
                    .await
                    .context("unpacking the archive")??;
                options.source.path = dir.path().to_owned();
                Some(dir)
            }
            None if archive::is_archive(&options.source.path) => {
                anyhow::bail!(
                    "{} is an encrypted archive: give its passphrase with --passphrase-env VAR or --passphrase-file FILE",
                    options.source.path.display()
                )
            }
            _ => None,
        };
        let options = &options;
        let digest = sources::input_digest(&options.source)?;
        let total = read_through(&options.source).await?;
        let now = self.clock.now();
        let (run_id, cursor, mut counts) = self.start_run(options, &digest, now).await?;
        let mut report = ReportFiles::create(&options.report_dir, options.resume && cursor > 0)?;
        let (mut records, reader) = sources::open(&options.source)?;
        let mut seen = SeenSoFar::default();
        let mut batch = Batch {
            users: Vec::new(),
            last: 0,
        };
        let mut position = 0u64;
        let mut batches_written = 0u64;
        let mut known = Known::default();
        while let Some(item) = records.recv().await {
            position += 1;
            let resumed_past = position <= cursor;
            let checked = self.check(item, &mut seen);
            if resumed_past {
                continue;
            }
            batch.users.push(checked);
            batch.last = position;
            if batch.users.len() >= options.batch_size {
                self.write_batch(
                    options,
                    &run_id,
                    &mut batch,
                    &mut counts,
                    &mut report,
                    &mut known,
                )
                .await?;
                batches_written += 1;
                if let Some(progress) = &options.progress {
                    (progress.0)(position, total);
                }
                if options.stop_after_batches == Some(batches_written) {
                    report.flush()?;
                    anyhow::bail!(
                        "stopped after {batches_written} batch(es) as asked (--stop-after-batches); resume with --resume"
                    );
                }
            }
        }
        reader.await.context("the source reader failed")??;
        self.write_batch(
            options,
            &run_id,
            &mut batch,
            &mut counts,
            &mut report,
            &mut known,
        )
        .await?;
        if let Some(progress) = &options.progress {
            (progress.0)(position, total);
        }
        anyhow::ensure!(
            position == total,
            "the input changed while it was read ({total} records, then {position})"
        );
        if options.source.kind == sources::SourceKind::JanuaV2 {
            let plan = match options.dry_run {
                true => Some(crate::store::begin_write(&self.db).await?),
                false => None,
            };
            let mut stage = organizations::Stage {
                dir: &options.source.path,
                dry_run: options.dry_run,
                plan: plan.as_ref(),
                batch_size: options.batch_size,
                user_ids: &known.user_ids,
                counts: &mut counts,
                report: &mut report,
            };
            self.import_organizations(&mut stage).await?;
            self.import_links(&mut stage).await?;
            self.import_config(&mut stage).await?;
            if let Some(plan) = plan {
                plan.rollback().await?;
            }
        }
        if !options.dry_run {
            store::save_progress(
                &self.db,
                &run_id,
                position,
                serde_json::to_value(counts)?,
                store::COMPLETED,
                self.clock.now(),
            )
            .await?;
        }
        report.flush()?;
        Ok(RunReport {
            run_id,
            counts,
            planned: options.dry_run,
        })
    }

    fn check(&self, item: SourceItem, seen: &mut SeenSoFar) -> Checked {
        let user = item.map_err(|err| {
            Problem::new(
                &err.position,
                &err.source_id,
                "unreadable_record",
                "",
                err.message,
            )
        })?;
        validate(user, seen, self.sms.as_ref())
    }

    /// A new run row, or the unfinished run of the same input when resuming (its cursor and
    /// counts so far); a plan writes no row.
    async fn start_run(
        &self,
        options: &ImportOptions,
        digest: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(String, u64, RunCounts)> {
        let source = options.source.kind.name();
        if options.resume && !options.dry_run {
            if let Some(run) = store::unfinished_run(&self.db, source, digest).await? {
                let counts = serde_json::from_value(run.counts.clone()).unwrap_or_default();
                return Ok((run.id, u64::try_from(run.cursor).unwrap_or(0), counts));
            }
            eprintln!("no unfinished run of this input to resume; starting a new run");
        }
        let run_id = options
            .run_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        if !options.dry_run {
            store::insert_run(
                &self.db,
                import_run::Model {
                    id: run_id.clone(),
                    source: source.to_owned(),
                    input_digest: digest.to_owned(),
                    status: store::RUNNING.to_owned(),
                    cursor: 0,
                    counts: serde_json::to_value(RunCounts::default())?,
                    created_at: now,
                    updated_at: now,
                },
            )
            .await?;
        }
        Ok((run_id, 0, RunCounts::default()))
    }

    /// Decides and writes one batch in one transaction with the run's new cursor (a plan
    /// decides against the database and writes nothing).
    async fn write_batch(
        &self,
        options: &ImportOptions,
        run_id: &str,
        batch: &mut Batch,
        counts: &mut RunCounts,
        report: &mut ReportFiles,
        known: &mut Known,
    ) -> anyhow::Result<()> {
        let users = std::mem::take(&mut batch.users);
        if options.dry_run {
            for checked in users {
                let (decided, warnings) = match checked {
                    Ok((user, warnings)) => (
                        self.decide(
                            &self.db,
                            options,
                            run_id,
                            user,
                            &mut known.planned_ids,
                            false,
                        )
                        .await?,
                        warnings,
                    ),
                    Err(problem) => (Decided::Failed(problem), Vec::new()),
                };
                decided.remember(&mut known.user_ids);
                tally(counts, report, decided, warnings)?;
            }
            return Ok(());
        }
        let mut draft = *counts;
        let mut lines = Vec::new();
        let txn = crate::store::begin_write(&self.db).await?;
        for checked in users {
            let (decided, warnings) = match checked {
                Ok((user, warnings)) => (
                    self.decide(&txn, options, run_id, user, &mut known.planned_ids, true)
                        .await?,
                    warnings,
                ),
                Err(problem) => (Decided::Failed(problem), Vec::new()),
            };
            lines.push((decided.clone(), warnings.clone()));
            tally_counts(&mut draft, &decided, &warnings);
        }
        store::save_progress(
            &txn,
            run_id,
            batch.last,
            serde_json::to_value(draft)?,
            store::RUNNING,
            self.clock.now(),
        )
        .await?;
        txn.commit().await?;
        *counts = draft;
        for (decided, warnings) in lines {
            report_lines(report, &decided, &warnings)?;
        }
        Ok(())
    }

    /// What becomes of one record: imported, updated, skipped or failed, written through
    /// `db` when `write`.
    async fn decide(
        &self,
        db: &impl ConnectionTrait,
        options: &ImportOptions,
        run_id: &str,
        mut user: ValidUser,
        planned_ids: &mut HashSet<String>,
        write: bool,
    ) -> anyhow::Result<Decided> {
        let source = options.source.kind.name();
        let now = self.clock.now();
        if let Some(known) = store::find_external(db, source, &user.external_id).await? {
            let existing = accounts::find_by_id(db, &known.user_id).await?;
            return match (options.on_conflict, existing) {
                (OnConflict::Update, Some(existing)) => {
                    self.update(db, &existing, &user, write, now).await?;
                    Ok(Decided::done(&user, &existing.id, Outcome::Updated))
                }
                _ => Ok(Decided::done(&user, &known.user_id, Outcome::Skipped)),
            };
        }
        if let Some(existing) = accounts::find_by_email(db, user.email.normalized()).await? {
            return match options.on_conflict {
                OnConflict::Skip => Ok(Decided::done(&user, &existing.id, Outcome::Skipped)),
                OnConflict::Fail => Ok(Decided::Failed(Problem::new(
                    &user.position,
                    &user.external_id,
                    "conflict",
                    "email",
                    "a Janua user has this email already (--on-conflict fail)",
                ))),
                OnConflict::Update => {
                    if write {
                        self.link(db, source, &user.external_id, &existing.id, run_id, now)
                            .await?;
                    }
                    self.update(db, &existing, &user, write, now).await?;
                    Ok(Decided::done(&user, &existing.id, Outcome::Updated))
                }
            };
        }
        let mut warnings = Vec::new();
        if planned_ids.contains(&user.id) || accounts::find_by_id(db, &user.id).await?.is_some() {
            let id = uuid::Uuid::now_v7().to_string();
            warnings.push(Problem::new(
                &user.position,
                &user.external_id,
                "id_replaced",
                "id",
                format!("another Janua user has this id; the user is {id} (ids.csv)"),
            ));
            user.id = id;
        }
        if !write {
            planned_ids.insert(user.id.clone());
        }
        if write {
            self.insert(db, source, run_id, &user, now).await?;
        }
        Ok(Decided::Imported {
            source_id: user.external_id.clone(),
            id: user.id.clone(),
            totp: user.totp_secret.is_some(),
            password_refused: user.password_refused,
            totp_refused: user.totp_refused,
            warnings,
        })
    }
}

/// Reads the whole input once and counts its records; any fatal read error stops the
/// import here, before anything is written.
async fn read_through(source: &SourceOptions) -> anyhow::Result<u64> {
    let (mut records, reader) = sources::open(source)?;
    let mut total = 0u64;
    while records.recv().await.is_some() {
        total += 1;
    }
    reader.await.context("the source reader failed")??;
    Ok(total)
}
