//! ImportService and ExportService messages ⇄ the transfer domain's types. No rules here
//! beyond reading enums; a Firebase signer key is never written back.

use super::{ErrorLine, ExportedChunk, FirebaseParams, NewRun, RunOptions, RunView, store};
use crate::{
    error::Error,
    import::{Counts, SourceKind},
    metadata::timestamp,
    proto::janua::imports::v1 as pb,
};

pub fn new_run(request: pb::CreateImportRunRequest) -> Result<NewRun, Error> {
    let source = match pb::ImportSource::try_from(request.source) {
        Ok(pb::ImportSource::Csv) => SourceKind::Csv,
        Ok(pb::ImportSource::Auth0) => SourceKind::Auth0,
        Ok(pb::ImportSource::Keycloak) => SourceKind::Keycloak,
        Ok(pb::ImportSource::JanuaV2) => SourceKind::JanuaV2,
        _ => {
            return Err(Error::invalid(
                "source",
                "is required: one of the import sources",
            ));
        }
    };
    let given = request.options.unwrap_or_default();
    let on_conflict = match pb::OnConflict::try_from(given.on_conflict) {
        Ok(pb::OnConflict::Unspecified | pb::OnConflict::Skip) => "skip",
        Ok(pb::OnConflict::Update) => "update",
        Ok(pb::OnConflict::Fail) => "fail",
        Err(_) => {
            return Err(Error::invalid(
                "options.on_conflict",
                "is not a conflict policy",
            ));
        }
    };
    let batch_size = u32::try_from(given.batch_size)
        .map_err(|_| Error::invalid("options.batch_size", "is negative"))?;
    let firebase = given
        .firebase
        .map(|f| {
            Ok::<_, Error>(FirebaseParams {
                signer_key: f.signer_key,
                salt_separator: f.salt_separator,
                rounds: u32::try_from(f.rounds)
                    .ok()
                    .filter(|r| *r > 0)
                    .ok_or_else(|| Error::invalid("options.firebase.rounds", "must be positive"))?,
                mem_cost: u8::try_from(f.mem_cost)
                    .ok()
                    .filter(|m| *m > 0)
                    .ok_or_else(|| {
                        Error::invalid("options.firebase.mem_cost", "must be 1 to 255")
                    })?,
            })
        })
        .transpose()?;
    Ok(NewRun {
        source,
        options: RunOptions {
            on_conflict: on_conflict.to_owned(),
            batch_size,
            dry_run: given.dry_run,
            column_map: given
                .column_map
                .into_iter()
                .map(|m| (m.column.trim().to_owned(), m.field.trim().to_owned()))
                .collect(),
            firebase,
        },
    })
}

fn source_to_proto(name: &str) -> pb::ImportSource {
    match SourceKind::parse(name) {
        Some(SourceKind::Csv) => pb::ImportSource::Csv,
        Some(SourceKind::Auth0) => pb::ImportSource::Auth0,
        Some(SourceKind::Keycloak) => pb::ImportSource::Keycloak,
        Some(SourceKind::JanuaV2) => pb::ImportSource::JanuaV2,
        None => pb::ImportSource::Unspecified,
    }
}

fn state_to_proto(state: &str) -> pb::ImportRunState {
    match state {
        store::UPLOADING => pb::ImportRunState::Uploading,
        store::RUNNING => pb::ImportRunState::Running,
        store::SUCCEEDED => pb::ImportRunState::Succeeded,
        store::FAILED => pb::ImportRunState::Failed,
        _ => pb::ImportRunState::Unspecified,
    }
}

fn options_to_proto(options: &RunOptions) -> pb::ImportRunOptions {
    pb::ImportRunOptions {
        on_conflict: match options.on_conflict.as_str() {
            "update" => pb::OnConflict::Update,
            "fail" => pb::OnConflict::Fail,
            _ => pb::OnConflict::Skip,
        }
        .into(),
        batch_size: i32::try_from(options.batch_size).unwrap_or(i32::MAX),
        dry_run: options.dry_run,
        column_map: options
            .column_map
            .iter()
            .map(|(column, field)| pb::ColumnMapping {
                column: column.clone(),
                field: field.clone(),
            })
            .collect(),
        firebase: options.firebase.as_ref().map(|f| pb::FirebaseScrypt {
            signer_key: String::new(),
            salt_separator: f.salt_separator.clone(),
            rounds: i32::try_from(f.rounds).unwrap_or(i32::MAX),
            mem_cost: i32::from(f.mem_cost),
        }),
    }
}

fn counts_to_proto(counts: &Counts) -> pb::ImportCounts {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    pb::ImportCounts {
        seen: n(counts.seen),
        imported: n(counts.imported),
        updated: n(counts.updated),
        skipped: n(counts.skipped),
        failed: n(counts.failed),
    }
}

pub fn run_to_proto(view: &RunView) -> pb::ImportRun {
    let job = &view.job;
    let counts = &view.counts;
    pb::ImportRun {
        id: job.id.clone(),
        source: source_to_proto(&job.source).into(),
        options: view.options.as_ref().map(options_to_proto),
        state: state_to_proto(&job.state).into(),
        chunk_count: job.chunk_count,
        uploaded_bytes: job.total_bytes,
        records_done: view.records_done,
        records_total: job.records_total.unwrap_or(0),
        users: Some(counts_to_proto(&counts.users)),
        totp_factors: Some(counts_to_proto(&counts.totp_factors)),
        organizations: Some(counts_to_proto(&counts.organizations)),
        memberships: Some(counts_to_proto(&counts.memberships)),
        passwords_reset: i64::try_from(counts.passwords_reset).unwrap_or(i64::MAX),
        warnings: i64::try_from(counts.warnings).unwrap_or(i64::MAX),
        failure: job.failure.clone().unwrap_or_default(),
        creator_id: job.created_by.clone(),
        create_time: Some(timestamp(job.created_at)),
        update_time: Some(timestamp(job.updated_at)),
        start_time: job.started_at.map(timestamp),
        end_time: job.finished_at.map(timestamp),
    }
}

pub fn error_to_proto(line: ErrorLine) -> pb::ImportError {
    pb::ImportError {
        file: line.file,
        line: i64::try_from(line.line).unwrap_or(i64::MAX),
        source_id: line.source_id,
        code: line.code,
        field: line.field,
        message: line.message,
    }
}

pub fn chunk_to_proto(chunk: ExportedChunk) -> pb::ExportDirectoryResponse {
    pb::ExportDirectoryResponse {
        file_name: chunk.file_name,
        data: chunk.data,
        last: chunk.last,
    }
}
