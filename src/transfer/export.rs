//! ExportService's domain: `janua export` into a private directory (the same code, so the
//! same files), then every file of it streamed in chunks, in name order, through a bounded
//! channel (a slow client slows the reading, memory stays flat). The directory is removed
//! when the stream ends or the client goes. `export.started` and `export.finished` are
//! audited; a passphrase lives only in this task's memory.

use std::{path::Path, sync::Arc};

use secrecy::SecretString;
use serde_json::json;
use tokio::{io::AsyncReadExt as _, sync::mpsc};

use super::Transfers;
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    error::Error,
    import::{Importer, PrivateDir},
    principal::AdminPrincipal,
};

/// The shortest passphrase an export is encrypted with.
const MIN_PASSPHRASE_CHARS: usize = 12;
/// The largest chunk streamed.
const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks in flight to a client.
const CHANNEL_DEPTH: usize = 4;

/// One piece of an exported file.
#[derive(Debug, Clone)]
pub struct ExportedChunk {
    pub file_name: String,
    pub data: Vec<u8>,
    /// The file's last chunk.
    pub last: bool,
}

/// What the export stream carries.
pub type ExportItem = Result<ExportedChunk, Error>;

impl Transfers {
    pub async fn export(
        &self,
        admin: &AdminPrincipal,
        passphrase: Option<SecretString>,
        client: ClientInfo,
    ) -> Result<mpsc::Receiver<ExportItem>, Error> {
        check_passphrase(passphrase.as_ref())?;
        let actor = Actor::User(admin.user_id().clone());
        let encrypted = passphrase.is_some();
        audit::record(
            &self.db,
            self.clock.now(),
            AuditEvent::new("export.started", actor.clone())
                .client(client.clone())
                .metadata(json!({"format": "janua-v2", "encrypted": encrypted})),
        )
        .await?;
        let (sender, receiver) = mpsc::channel(CHANNEL_DEPTH);
        let (importer, db, clock) = (self.importer.clone(), self.db.clone(), self.clock.clone());
        tokio::spawn(async move {
            let result = stream_export(&importer, passphrase, &sender).await;
            let mut event = AuditEvent::new("export.finished", actor)
                .client(client)
                .metadata(json!({
                    "format": "janua-v2",
                    "encrypted": encrypted,
                    "users": result.as_ref().ok().map(|e| e.users),
                    "organizations": result.as_ref().ok().map(|e| e.organizations),
                }));
            if let Err(err) = &result {
                tracing::warn!(error = %format!("{err:#}"), "an export failed");
                event = event.failed();
                let _ = sender
                    .send(Err(Error::Internal(anyhow::anyhow!("the export failed"))))
                    .await;
            }
            if let Err(err) = audit::record(&db, clock.now(), event).await {
                tracing::error!(error = %err, "auditing the end of an export");
            }
        });
        Ok(receiver)
    }
}

/// A passphrase an export takes: at least `MIN_PASSPHRASE_CHARS` characters.
fn check_passphrase(passphrase: Option<&SecretString>) -> Result<(), Error> {
    use secrecy::ExposeSecret as _;
    match passphrase {
        Some(given) if given.expose_secret().chars().count() < MIN_PASSPHRASE_CHARS => {
            Err(Error::invalid(
                "passphrase",
                format!("is shorter than {MIN_PASSPHRASE_CHARS} characters"),
            ))
        }
        _ => Ok(()),
    }
}

/// Exports into a private directory, then sends its files.
async fn stream_export(
    importer: &Arc<Importer>,
    passphrase: Option<SecretString>,
    sender: &mpsc::Sender<ExportItem>,
) -> anyhow::Result<crate::import::export::Exported> {
    let dir = PrivateDir::create()?;
    let exported = match &passphrase {
        Some(passphrase) => importer.export_encrypted(dir.path(), passphrase).await?,
        None => importer.export_janua_v2(dir.path()).await?,
    };
    let mut names = Vec::new();
    let mut entries = tokio::fs::read_dir(dir.path()).await?;
    while let Some(entry) = entries.next_entry().await? {
        if entry.file_type().await?.is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    for name in names {
        if !send_file(&dir.path().join(&name), &name, sender).await? {
            break;
        }
    }
    Ok(exported)
}

/// Sends one file in chunks; false when the client has gone.
async fn send_file(
    path: &Path,
    name: &str,
    sender: &mpsc::Sender<ExportItem>,
) -> anyhow::Result<bool> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut buffer = vec![0u8; CHUNK_BYTES];
    let mut pending: Option<Vec<u8>> = None;
    loop {
        let read = read_full(&mut file, &mut buffer).await?;
        if let Some(data) = pending.take() {
            let chunk = ExportedChunk {
                file_name: name.to_owned(),
                data,
                last: read == 0,
            };
            if sender.send(Ok(chunk)).await.is_err() {
                return Ok(false);
            }
        }
        if read == 0 {
            return Ok(true);
        }
        pending = Some(buffer[..read].to_vec());
    }
}

/// Fills `buffer` as far as the file goes: the bytes read (0 at the end).
async fn read_full(file: &mut tokio::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let read = file.read(&mut buffer[filled..]).await?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}
