//! The sources an import reads: `csv` (an app's users table, with a column map), `auth0`
//! (the bulk-import JSON array, or NDJSON of the same objects), `keycloak` (a realm or users
//! export) and `janua-v2` (what `janua export` writes). Each streams its input on a blocking
//! thread into a bounded channel, one `SourceItem` at a time, so memory stays flat however
//! large the file; JSON arrays are walked element by element, never loaded whole.
//! A source never touches the database.

mod auth0;
mod csv;
pub(crate) mod janua_v2;
pub(super) mod json_stream;
mod keycloak;

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use anyhow::Context;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::record::SourceItem;
use crate::crypto::FirebaseProject;

/// The input formats `janua import --source` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Csv,
    Auth0,
    Keycloak,
    JanuaV2,
}

impl SourceKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Auth0 => "auth0",
            Self::Keycloak => "keycloak",
            Self::JanuaV2 => "janua-v2",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "csv" => Some(Self::Csv),
            "auth0" => Some(Self::Auth0),
            "keycloak" => Some(Self::Keycloak),
            "janua-v2" => Some(Self::JanuaV2),
            _ => None,
        }
    }
}

/// Where and how to read.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    pub kind: SourceKind,
    pub path: PathBuf,
    /// CSV: `source column → field`.
    pub column_map: Vec<(String, String)>,
    /// Firebase scrypt parameters, for hashes and salts given in a CSV.
    pub firebase: Option<FirebaseProject>,
    /// janua-v2: the passphrase of an encrypted archive.
    pub passphrase: Option<SecretString>,
    /// auth0: the password-hash export Auth0 support hands out (NDJSON), joined to the
    /// users by id (else email).
    pub auth0_password_hashes: Option<PathBuf>,
    /// auth0: the MFA-secret export (NDJSON), joined the same way.
    pub auth0_mfa_secrets: Option<PathBuf>,
}

impl SourceOptions {
    /// The files read, in order (a janua-v2 directory holds several; Auth0 users may come
    /// with their hash and MFA-secret files).
    pub fn files(&self) -> anyhow::Result<Vec<PathBuf>> {
        match self.kind {
            SourceKind::JanuaV2 => janua_v2::files(&self.path),
            _ => Ok(std::iter::once(self.path.clone())
                .chain(self.auth0_password_hashes.clone())
                .chain(self.auth0_mfa_secrets.clone())
                .collect()),
        }
    }
}

/// Records in flight between the reading thread and the engine.
const CHANNEL_DEPTH: usize = 256;

/// Starts reading: records arrive on the receiver in input order; the handle's result says
/// whether the input could be read to its end (a syntax error or unreadable file is fatal).
pub fn open(
    options: &SourceOptions,
) -> anyhow::Result<(
    mpsc::Receiver<SourceItem>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
)> {
    check_column_map(options)?;
    let (sender, receiver) = mpsc::channel(CHANNEL_DEPTH);
    let options = options.clone();
    let handle = tokio::task::spawn_blocking(move || {
        let mut emit = |item: SourceItem| sender.blocking_send(item).is_ok();
        match options.kind {
            SourceKind::Csv => csv::read(&options, &mut emit),
            SourceKind::Auth0 => auth0::read(&options, &mut emit),
            SourceKind::Keycloak => keycloak::read(&options, &mut emit),
            SourceKind::JanuaV2 => janua_v2::read(&options, &mut emit),
        }
    });
    Ok((receiver, handle))
}

pub(crate) fn check_column_map(options: &SourceOptions) -> anyhow::Result<()> {
    if options.kind != SourceKind::Auth0
        && (options.auth0_password_hashes.is_some() || options.auth0_mfa_secrets.is_some())
    {
        anyhow::bail!(
            "--auth0-password-hashes and --auth0-mfa-secrets apply to --source auth0 only"
        );
    }
    if options.kind != SourceKind::Csv && !options.column_map.is_empty() {
        anyhow::bail!("--map applies to --source csv only");
    }
    for (_, field) in &options.column_map {
        anyhow::ensure!(
            csv::FIELDS.contains(&field.as_str()),
            "--map names an unknown field `{field}` (known: {})",
            csv::FIELDS.join(", ")
        );
    }
    Ok(())
}

/// SHA-256 over the input files (names and contents), to recognise the same input when a
/// run resumes.
pub fn input_digest(options: &SourceOptions) -> anyhow::Result<String> {
    let mut digest = Sha256::new();
    for file in options.files()? {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        digest.update(name.unwrap_or_default().as_bytes());
        digest.update([0]);
        let mut input =
            std::fs::File::open(&file).with_context(|| format!("opening {}", file.display()))?;
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = input
                .read(&mut buffer)
                .with_context(|| format!("reading {}", file.display()))?;
            if read == 0 {
                break;
            }
            digest.update(&buffer[..read]);
        }
    }
    Ok(digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The name a report uses for `path`: its file name.
fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn open_file(path: &Path) -> anyhow::Result<std::io::BufReader<std::fs::File>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(std::io::BufReader::with_capacity(64 * 1024, file))
}

/// The first byte that is not white space (left unread), or None at the end.
fn first_byte(reader: &mut impl std::io::BufRead) -> std::io::Result<Option<u8>> {
    loop {
        let buffer = reader.fill_buf()?;
        match buffer.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(at) => return Ok(Some(buffer[at])),
            None if buffer.is_empty() => return Ok(None),
            None => {
                let len = buffer.len();
                reader.consume(len);
            }
        }
    }
}
