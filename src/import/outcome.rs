//! What became of each record (`Decided`), and how that is counted and reported: the
//! per-kind counts, the warning and error lines of `errors.ndjson`, the rows of `ids.csv`.

use std::collections::HashMap;

use super::{
    report::{Outcome, Problem, ReportFiles, RunCounts},
    validate::ValidUser,
};

/// A record's fate.
#[derive(Debug, Clone)]
pub(super) enum Decided {
    Imported {
        source_id: String,
        id: String,
        totp: bool,
        password_refused: bool,
        totp_refused: bool,
        warnings: Vec<Problem>,
    },
    Done {
        source_id: String,
        id: String,
        outcome: Outcome,
        totp: bool,
        totp_refused: bool,
    },
    Failed(Problem),
}

impl Decided {
    /// Notes the user's Janua id under its source id.
    pub(super) fn remember(&self, user_ids: &mut HashMap<String, String>) {
        match self {
            Self::Imported { source_id, id, .. } | Self::Done { source_id, id, .. } => {
                user_ids.insert(source_id.clone(), id.clone());
            }
            Self::Failed(_) => {}
        }
    }

    pub(super) fn done(user: &ValidUser, id: &str, outcome: Outcome) -> Self {
        Self::Done {
            source_id: user.external_id.clone(),
            id: id.to_owned(),
            outcome,
            totp: user.totp_secret.is_some(),
            totp_refused: user.totp_refused,
        }
    }
}

pub(super) fn tally(
    counts: &mut RunCounts,
    report: &mut ReportFiles,
    decided: Decided,
    warnings: Vec<Problem>,
) -> anyhow::Result<()> {
    tally_counts(counts, &decided, &warnings);
    report_lines(report, &decided, &warnings)
}

pub(super) fn tally_counts(counts: &mut RunCounts, decided: &Decided, warnings: &[Problem]) {
    counts.users.seen += 1;
    match decided {
        Decided::Imported {
            totp,
            password_refused,
            totp_refused,
            warnings: more,
            ..
        } => {
            counts.users.imported += 1;
            counts.warnings += u64::try_from(warnings.len() + more.len()).unwrap_or(0);
            if *password_refused {
                counts.passwords_reset += 1;
            }
            if *totp || *totp_refused {
                counts.totp_factors.seen += 1;
            }
            if *totp {
                counts.totp_factors.imported += 1;
            }
            if *totp_refused {
                counts.totp_factors.failed += 1;
            }
        }
        Decided::Done {
            outcome,
            totp,
            totp_refused,
            ..
        } => {
            if *totp || *totp_refused {
                counts.totp_factors.seen += 1;
                counts.totp_factors.skipped += 1;
            }
            match outcome {
                Outcome::Updated => counts.users.updated += 1,
                _ => counts.users.skipped += 1,
            }
        }
        Decided::Failed(_) => counts.users.failed += 1,
    }
}

pub(super) fn report_lines(
    report: &mut ReportFiles,
    decided: &Decided,
    warnings: &[Problem],
) -> anyhow::Result<()> {
    match decided {
        Decided::Imported {
            source_id,
            id,
            warnings: more,
            ..
        } => {
            for warning in warnings.iter().chain(more) {
                report.problem(warning)?;
            }
            report.id(source_id, id, Outcome::Imported)
        }
        Decided::Done {
            source_id,
            id,
            outcome,
            ..
        } => report.id(source_id, id, *outcome),
        Decided::Failed(problem) => report.problem(problem),
    }
}
