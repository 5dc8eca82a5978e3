//! `--source janua-v2`: the directory `janua export --format janua-v2` writes (the migration
//! guide's format). `janua_users_export.json` is `{"metadata": {...}, "users": [{"id",
//! "email", "email_verified", "status", "profile": {"display_name", "metadata"}, "auth":
//! {"password_hash", "mfa_enabled", "mfa_secret", "passkeys", "identities"}, "migration":
//! {"auth_method", "external_id", "invited_at", "completed_at"}, "organizations",
//! "created_at"}]}`; ids are kept, and so is the dual sign-in state (`migration`, only for
//! users that have one) exactly as exported; passkeys and identities are read after the
//! organizations (`import::links`).
//! `janua_organizations_export.json` (read by `import::organizations`) holds the
//! organizations with their roles, members, domains and SSO connections;
//! `janua_config_export.json` (`import::config_file`) the webhooks, API keys and OAuth
//! clients. The formats are described in `docs/janua-v2.schema.json`,
//! `docs/janua-v2-organizations.schema.json` and `docs/janua-v2-config.schema.json`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{SourceOptions, display_name, json_stream, open_file};
use crate::import::record::{
    Position, ReadError, SourceItem, SourceMigration, SourceUser, password_from_text,
    totp_from_base32,
};

pub const USERS_FILE: &str = "janua_users_export.json";
pub const ORGANIZATIONS_FILE: &str = "janua_organizations_export.json";
pub const CONFIG_FILE: &str = "janua_config_export.json";

/// The files of an export directory that an import reads (the users file must exist).
pub fn files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    anyhow::ensure!(
        path.is_dir(),
        "{} is not a directory (janua-v2 reads the directory `janua export --out` wrote)",
        path.display()
    );
    let users = path.join(USERS_FILE);
    anyhow::ensure!(users.is_file(), "{} has no {USERS_FILE}", path.display());
    let mut files = vec![users];
    files.extend(
        [ORGANIZATIONS_FILE, CONFIG_FILE]
            .map(|name| path.join(name))
            .into_iter()
            .filter(|file| file.is_file()),
    );
    Ok(files)
}

pub fn read(
    options: &SourceOptions,
    emit: &mut dyn FnMut(SourceItem) -> bool,
) -> anyhow::Result<()> {
    let path = options.path.join(USERS_FILE);
    let file = display_name(&path);
    let mut count = 0u64;
    let metadata = json_stream::each_in_member(
        open_file(&path)?,
        "users",
        "metadata",
        &mut |index, value| {
            count = index;
            emit(user_of(&file, index, &value))
        },
    )?;
    // The archive has no MAC: a count that differs from its metadata stops the import.
    if let Some(total) = metadata.as_ref().and_then(|m| m.get("total_users")) {
        anyhow::ensure!(
            total.as_u64() == Some(count),
            "{file} holds {count} users but its metadata says {total}"
        );
    }
    Ok(())
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn user_of(file: &str, index: u64, value: &Value) -> SourceItem {
    let position = Position {
        file: file.to_owned(),
        line: index,
    };
    let source_id = text(value, "/id").unwrap_or_default().to_owned();
    if !value.is_object() || source_id.is_empty() {
        return Err(ReadError {
            position,
            source_id,
            message: "a user is a JSON object with an id".into(),
        });
    }
    let mut user = SourceUser::new(position);
    user.source_id = source_id;
    user.email = text(value, "/email").unwrap_or_default().to_owned();
    user.email_verified = value.get("email_verified").and_then(Value::as_bool);
    user.display_name = text(value, "/profile/display_name")
        .unwrap_or_default()
        .to_owned();
    user.metadata = value
        .pointer("/profile/metadata")
        .filter(|m| m.is_object())
        .cloned();
    user.blocked = text(value, "/status") == Some("suspended");
    let owned = |pointer| text(value, pointer).map(str::to_owned);
    user.auth_method = owned("/migration/auth_method");
    user.migration = Some(SourceMigration {
        external_id: owned("/migration/external_id"),
        invited_at: owned("/migration/invited_at"),
        completed_at: owned("/migration/completed_at"),
    });
    if let Some(hash) = text(value, "/auth/password_hash") {
        user.password = password_from_text(hash);
    }
    if let Some(secret) = text(value, "/auth/mfa_secret") {
        user.totp = totp_from_base32(secret);
    }
    Ok(user)
}
