//! The SQLite database file holds password hashes and sealed secrets: Janua creates it
//! readable by its own user only (0600) before SQLite opens it, and SQLite gives its `-wal`
//! and `-shm` files the database file's permissions. An existing file that others may read
//! is reported, not changed (the operator may have reasons).
//!
//! It must never change a file it did not create.

use std::{path::Path, str::FromStr};

use sea_orm::sqlx::sqlite::SqliteConnectOptions;

/// Creates the database file of a `sqlite:` URL with mode 0600 when the URL lets SQLite
/// create it (`mode=rwc`) and it does not exist yet; warns when an existing one is readable
/// by others. In-memory databases and other URLs are left alone.
pub fn prepare(url: &str) -> std::io::Result<()> {
    if !url.starts_with("sqlite:") || !creates_if_missing(url) {
        return Ok(());
    }
    let Ok(options) = SqliteConnectOptions::from_str(url) else {
        return Ok(()); // sqlx reports the bad URL when it connects.
    };
    let path = options.get_filename();
    if path.as_os_str() == ":memory:" || path.as_os_str().is_empty() {
        return Ok(());
    }
    create_private(path)
}

/// The file of a `sqlite:` URL when it does not exist (None for other URLs, in-memory
/// databases, and files that exist).
pub fn missing(url: &str) -> Option<std::path::PathBuf> {
    // sqlx names an in-memory database `file:sqlx-in-memory-N`, so tell it by the URL.
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if !url.starts_with("sqlite:") || in_memory {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let path = options.get_filename();
    (!path.as_os_str().is_empty() && !path.exists()).then(|| path.to_path_buf())
}

/// The URL with `mode=rwc` turned into `mode=rw`: SQLite then opens only a file that
/// exists.
pub fn without_create(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let query: Vec<&str> = query
        .split('&')
        .map(|pair| {
            if pair.eq_ignore_ascii_case("mode=rwc") {
                "mode=rw"
            } else {
                pair
            }
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

fn creates_if_missing(url: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|pair| pair.eq_ignore_ascii_case("mode=rwc"))
    })
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(
                    file = %path.display(),
                    mode = format!("{:o}", mode & 0o777),
                    "the SQLite database file is readable by other users; `chmod 600` it (and its -wal and -shm files)"
                );
            }
            Ok(())
        }
        // A missing directory: SQLite will say so when it opens the file.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
    }
}

#[cfg(not(unix))]
fn create_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_new_database_file_is_private_and_an_existing_one_is_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("janua.db");
        prepare(&format!("sqlite://{}?mode=rwc", path.display())).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let shared = dir.path().join("shared.db");
        std::fs::write(&shared, b"").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
        prepare(&format!("sqlite://{}?mode=rwc", shared.display())).unwrap();
        let mode = std::fs::metadata(&shared).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);

        let untouched = dir.path().join("read-only.db");
        prepare(&format!("sqlite://{}?mode=ro", untouched.display())).unwrap();
        assert!(!untouched.exists());
        prepare("sqlite::memory:").unwrap();
    }

    #[test]
    fn a_missing_file_is_named_and_never_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        assert_eq!(missing(&url), Some(path.clone()));
        assert_eq!(
            without_create(&url),
            format!("sqlite://{}?mode=rw", path.display())
        );
        assert!(!path.exists());
        assert_eq!(missing("sqlite::memory:"), None);
        assert_eq!(missing("postgres://db/janua"), None);
    }
}
