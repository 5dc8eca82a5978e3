//! The config file of a janua-v2 export (`janua_config_export.json`): webhook endpoints
//! (their signing secrets only when `secrets`, the encrypted archive), API keys and OAuth
//! clients as the SHA-256 digests Janua keeps of their secrets, so the same keys and client
//! secrets keep working after an import while nothing in the file opens them. A
//! deployment's configuration is small: the file is built in memory.

use std::{io::Write, path::Path};

use serde_json::{Value, json};

use super::{
    Importer,
    export::{PAGE, private_file},
    sources::janua_v2::CONFIG_FILE,
};
use crate::{oauth, orgs, webhooks};

fn failed(err: crate::error::Error) -> anyhow::Error {
    anyhow::anyhow!("{err}")
}

/// Every page of `next(after)` (keyed by `key`), mapped by `record`.
async fn all_pages<T, F, Fut>(
    mut next: F,
    key: impl Fn(&T) -> String,
    record: impl Fn(T) -> Value,
) -> anyhow::Result<Vec<Value>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, crate::error::Error>>,
{
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = next(after.clone()).await.map_err(failed)?;
        let full = page.len() as u64 == PAGE;
        after = page.last().map(&key);
        out.extend(page.into_iter().map(&record));
        if !full {
            return Ok(out);
        }
    }
}

impl Importer {
    /// Writes the config file; how many records it holds.
    pub(super) async fn export_config(&self, out: &Path, secrets: bool) -> anyhow::Result<u64> {
        let db = &self.db;
        let cipher = &self.cipher;
        let webhooks = all_pages(
            |after| async move {
                webhooks::transfer::endpoints_page(db, cipher, after.as_deref(), PAGE, secrets)
                    .await
            },
            |(row, _)| row.id.clone(),
            |(row, secret)| {
                let mut record = json!({
                    "id": row.id,
                    "organization_id": row.organization_id,
                    "url": row.url,
                    "description": row.description,
                    "event_types": row.event_types,
                    "enabled": row.enabled,
                    "state": row.state,
                    "created_at": row.created_at.to_rfc3339(),
                });
                if let Some(secret) = secret {
                    record["signing_secret"] = json!(secret);
                }
                record
            },
        )
        .await?;
        let api_keys = all_pages(
            |after| async move { orgs::transfer::api_keys_page(db, after.as_deref(), PAGE).await },
            |key| key.id.clone(),
            |key| {
                json!({
                    "id": key.id,
                    "organization_id": key.organization_id,
                    "name": key.name,
                    "prefix": key.prefix,
                    "secret_hash": key.secret_hash,
                    "role": key.role,
                    "created_by": key.created_by,
                    "created_at": key.created_at.to_rfc3339(),
                    "expires_at": key.expires_at.map(|t| t.to_rfc3339()),
                    "last_used_at": key.last_used_at.map(|t| t.to_rfc3339()),
                    "revoked_at": key.revoked_at.map(|t| t.to_rfc3339()),
                })
            },
        )
        .await?;
        let oauth_clients = all_pages(
            |after| async move { oauth::transfer::clients_page(db, after.as_deref(), PAGE).await },
            |client| client.id.clone(),
            |client| {
                json!({
                    "client_id": client.id,
                    "organization_id": client.organization_id,
                    "name": client.name,
                    "client_type": match client.client_type {
                        oauth::ClientType::Public => "public",
                        oauth::ClientType::Confidential => "confidential",
                    },
                    "redirect_uris": client.redirect_uris,
                    "post_logout_redirect_uris": client.post_logout_redirect_uris,
                    "grant_types": client.grant_types,
                    "allowed_scopes": client.allowed_scopes,
                    "skip_consent": client.skip_consent,
                    "access_token_audience": client.access_token_audience,
                    "disabled": client.disabled,
                    "secret_hash": client.secret_hash,
                    "secret_hint": client.secret_hint,
                    "secret_rotated_at": client.secret_rotated_at.map(|t| t.to_rfc3339()),
                    "previous_secret_hash": client.previous_secret_hash,
                    "previous_secret_expires_at": client.previous_secret_expires_at.map(|t| t.to_rfc3339()),
                    "created_by": client.created_by,
                    "created_at": client.created_at.to_rfc3339(),
                    "updated_at": client.updated_at.to_rfc3339(),
                })
            },
        )
        .await?;
        let count = (webhooks.len() + api_keys.len() + oauth_clients.len()) as u64;
        let document = json!({
            "metadata": {
                "export_version": "2.0",
                "export_date": self.clock.now().to_rfc3339(),
                "total_webhooks": webhooks.len(),
                "total_api_keys": api_keys.len(),
                "total_oauth_clients": oauth_clients.len(),
            },
            "webhooks": webhooks,
            "api_keys": api_keys,
            "oauth_clients": oauth_clients,
        });
        let mut file = private_file(&out.join(CONFIG_FILE))?;
        serde_json::to_writer_pretty(&mut file, &document)?;
        file.write_all(b"\n")?;
        Ok(count)
    }
}
