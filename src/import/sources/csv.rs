//! `--source csv`: an app's users table as CSV with a header row, or as JSON lines (one
//! object per line, its keys taken as the columns). The header names Janua's
//! fields (`id,email,email_verified,password_hash,display_name,totp_secret`, the janua-v2
//! names) unless `--map source_column=field,...` says which column holds which; other
//! columns go into the user's metadata as text. `password_hash` takes any text layout
//! `crypto::ImportedHash` reads; `totp_secret` is base32. With `--firebase-*` parameters,
//! `password_hash` and `password_salt` are a Firebase scrypt hash and salt (base64).

use std::io::BufRead;

use serde_json::Value;

use super::{SourceOptions, display_name, first_byte, open_file};
use base64::{Engine as _, engine::general_purpose::STANDARD};

use crate::{
    crypto::{FirebaseProject, HashError},
    import::record::{
        Position, ReadError, SourceItem, SourcePassword, SourceUser, password_from_text,
        totp_from_base32,
    },
};

/// The fields a column may hold.
pub const FIELDS: [&str; 8] = [
    "id",
    "email",
    "email_verified",
    "password_hash",
    "display_name",
    "totp_secret",
    "password_salt",
    "auth_method",
];

pub fn read(
    options: &SourceOptions,
    emit: &mut dyn FnMut(SourceItem) -> bool,
) -> anyhow::Result<()> {
    let file = display_name(&options.path);
    let mut input = open_file(&options.path)?;
    if first_byte(&mut input)? == Some(b'{') {
        return read_json_lines(options, &file, input, emit);
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(input);
    let headers = reader.headers()?.clone();
    let columns: Vec<Option<String>> = headers
        .iter()
        .map(|name| field_of(name.trim(), &options.column_map))
        .collect();
    anyhow::ensure!(
        columns.iter().any(|c| c.as_deref() == Some("email")),
        "{file}: no column holds `email` (name one with --map COLUMN=email)"
    );
    for row in reader.records() {
        let item = match row {
            Ok(row) => {
                // The csv crate counts the lines before the record; a report names the
                // record's own.
                let line = row.position().map_or(0, ::csv::Position::line) + 1;
                let cells = headers
                    .iter()
                    .zip(&columns)
                    .zip(row.iter())
                    .map(|((header, column), value)| {
                        (
                            header.to_owned(),
                            column.clone(),
                            Value::String(value.to_owned()),
                        )
                    })
                    .collect();
                user_of(options, &file, line, cells)
            }
            Err(err) => {
                let line = err.position().map_or(0, ::csv::Position::line) + 1;
                if !matches!(err.kind(), ::csv::ErrorKind::UnequalLengths { .. }) {
                    return Err(err.into());
                }
                Err(ReadError {
                    position: Position {
                        file: file.clone(),
                        line,
                    },
                    source_id: String::new(),
                    message: "the row has a different number of columns than the header".into(),
                })
            }
        };
        if !emit(item) {
            break;
        }
    }
    Ok(())
}

/// The field a column holds: the map's, else the column's own name when it is a field.
fn field_of(column: &str, map: &[(String, String)]) -> Option<String> {
    if !map.is_empty() {
        if let Some((_, field)) = map.iter().find(|(source, _)| source == column) {
            return Some(field.clone());
        }
        // A mapped field is no longer taken from a column of its own name.
        if map.iter().any(|(_, field)| field == column) {
            return None;
        }
    }
    FIELDS.contains(&column).then(|| column.to_owned())
}

/// JSON lines: one object per line, its keys the columns (mapped as a CSV header is).
fn read_json_lines(
    options: &SourceOptions,
    file: &str,
    input: impl BufRead,
    emit: &mut dyn FnMut(SourceItem) -> bool,
) -> anyhow::Result<()> {
    for (line, text) in (1u64..).zip(input.lines()) {
        let text = text?;
        if text.trim().is_empty() {
            continue;
        }
        let item = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(object)) => {
                let cells = object
                    .into_iter()
                    .map(|(key, value)| {
                        let field = field_of(key.trim(), &options.column_map);
                        (key, field, value)
                    })
                    .collect();
                user_of(options, file, line, cells)
            }
            _ => Err(ReadError {
                position: Position {
                    file: file.to_owned(),
                    line,
                },
                source_id: String::new(),
                message: "the line is not a JSON object".into(),
            }),
        };
        if !emit(item) {
            break;
        }
    }
    Ok(())
}

/// A cell's text: strings as they are, numbers and booleans written out, null empty.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One user from its cells: (column name, the field it holds, value).
fn user_of(
    options: &SourceOptions,
    file: &str,
    line: u64,
    cells: Vec<(String, Option<String>, Value)>,
) -> Result<SourceUser, ReadError> {
    let position = Position {
        file: file.to_owned(),
        line,
    };
    let mut user = SourceUser::new(position.clone());
    let mut extra = serde_json::Map::new();
    let (mut hash, mut salt) = (String::new(), String::new());
    for (header, column, cell) in cells {
        let text = text_of(&cell);
        let value = text.as_str();
        match column.as_deref() {
            Some("id") => user.source_id = value.trim().to_owned(),
            Some("email") => user.email = value.to_owned(),
            Some("email_verified") => {
                user.email_verified = boolean(value).map_err(|message| ReadError {
                    position: position.clone(),
                    source_id: user.source_id.clone(),
                    message,
                })?;
            }
            Some("password_hash") => hash = value.to_owned(),
            Some("password_salt") => salt = value.to_owned(),
            Some("display_name") => user.display_name = value.trim().to_owned(),
            Some("totp_secret") => user.totp = totp_from_base32(value),
            Some("auth_method") if !value.trim().is_empty() => {
                user.auth_method = Some(value.trim().to_owned());
            }
            _ => {
                if !value.is_empty() {
                    extra.insert(header, cell);
                }
            }
        }
    }
    user.password = match &options.firebase {
        Some(project) if !hash.trim().is_empty() => firebase_password(project, &salt, &hash),
        _ => password_from_text(&hash),
    };
    if !extra.is_empty() {
        user.metadata = Some(serde_json::Value::Object(extra));
    }
    Ok(user)
}

fn boolean(text: &str) -> Result<Option<bool>, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" | "t" | "1" | "yes" | "y" => Ok(Some(true)),
        "false" | "f" | "0" | "no" | "n" => Ok(Some(false)),
        _ => Err("email_verified is not true or false".into()),
    }
}

/// A Firebase scrypt hash and salt (standard base64) under the project's parameters.
pub(super) fn firebase_password(
    project: &FirebaseProject,
    salt: &str,
    hash: &str,
) -> SourcePassword {
    let decoded = STANDARD
        .decode(salt.trim())
        .and_then(|salt| Ok((salt, STANDARD.decode(hash.trim())?)));
    let result = match decoded {
        Ok((salt, hash)) => project.hash(salt, hash),
        Err(_) => Err(HashError::Malformed(
            "firebase salt or hash is not base64".into(),
        )),
    };
    match result {
        Ok(hash) => SourcePassword::Hash(hash),
        Err(err) => SourcePassword::Refused(err),
    }
}
