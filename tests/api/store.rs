//! The store on SQLite and, when `DATABASE_URL_PG` is set, on PostgreSQL: migrations go up,
//! down and up again; signing keys are stored sealed; audit events are written and read; a
//! running server moves SQLite's WAL into the database file itself, off the commits.

use std::{sync::Arc, time::Duration};

use janua::{
    audit::{self, Actor, AuditEvent},
    clock::SystemClock,
    config::Config,
    ids::UserId,
    server::open_keyring,
    store::{self, entities},
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{EntityTrait, PaginatorTrait};

use super::{
    auth::{register, unique_email},
    helpers::{TestApp, fresh_database_url, random_key, uses_postgres},
};

fn backends() -> Vec<bool> {
    if uses_postgres() {
        vec![false, true]
    } else {
        vec![false]
    }
}

async fn fresh_db(dir: &std::path::Path, postgres: bool) -> (String, store::Db) {
    let url = fresh_database_url(dir, postgres).await;
    let db = store::connect(&url).await.unwrap();
    (url, db)
}

#[tokio::test]
async fn migrations_apply_roll_back_and_reapply() {
    for postgres in backends() {
        let dir = tempfile::tempdir().unwrap();
        let (_, db) = fresh_db(dir.path(), postgres).await;
        store::migrate(&db).await.unwrap();
        let applied = Migrator::get_pending_migrations(&db).await.unwrap();
        assert!(applied.is_empty(), "postgres={postgres}");
        store::roll_back(&db, None).await.unwrap();
        assert_eq!(
            Migrator::get_pending_migrations(&db).await.unwrap().len(),
            Migrator::migrations().len()
        );
        store::migrate(&db).await.unwrap();
        assert_eq!(
            entities::signing_key::Entity::find()
                .count(&db)
                .await
                .unwrap(),
            0
        );
    }
}

#[tokio::test]
async fn signing_keys_are_sealed_at_rest() {
    for postgres in backends() {
        let dir = tempfile::tempdir().unwrap();
        let (url, db) = fresh_db(dir.path(), postgres).await;
        store::migrate(&db).await.unwrap();
        let key = random_key();
        let config = Config::from_vars([
            ("DATABASE_URL".to_owned(), url.clone()),
            ("FIELD_ENCRYPTION_KEY".to_owned(), key),
        ])
        .unwrap();
        let keyring = open_keyring(&config, db.clone(), Arc::new(SystemClock)).unwrap();
        keyring.ensure_signing_key().await.unwrap();
        let rows = entities::signing_key::Entity::find()
            .all(&db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "postgres={postgres}");
        let sealed = &rows[0].private_key_encrypted;
        assert!(
            !sealed.windows(11).any(|w| w == b"PRIVATE KEY"),
            "private key stored in the clear"
        );
        assert!(
            !rows[0].public_jwk.contains("\"d\""),
            "private part in the public JWK"
        );

        let other_key = Config::from_vars([
            ("DATABASE_URL".to_owned(), url),
            ("FIELD_ENCRYPTION_KEY".to_owned(), random_key()),
        ])
        .unwrap();
        let wrong = open_keyring(&other_key, db.clone(), Arc::new(SystemClock)).unwrap();
        assert!(
            wrong.jwks().await.is_err(),
            "opened with another FIELD_ENCRYPTION_KEY"
        );
    }
}

#[tokio::test]
async fn audit_events_are_recorded() {
    for postgres in backends() {
        let dir = tempfile::tempdir().unwrap();
        let (_, db) = fresh_db(dir.path(), postgres).await;
        store::migrate(&db).await.unwrap();
        let event = AuditEvent::new("user.login", Actor::User(UserId::from_trusted("u1")))
            .target("user", "u1")
            .failed();
        audit::record(&db, chrono::Utc::now(), event).await.unwrap();
        let rows = entities::audit_event::Entity::find()
            .all(&db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].action, "user.login");
        assert_eq!(rows[0].actor_id.as_deref(), Some("u1"));
        assert_eq!(rows[0].outcome, "failure");
    }
}

/// The users in a copy of `file` alone, without its WAL: what checkpoints have moved into the
/// database file (none while not even the table has).
async fn users_in_file_alone(file: &std::path::Path) -> u64 {
    let copy = file.with_file_name("copy.db");
    std::fs::copy(file, &copy).unwrap();
    let alone = store::connect_existing(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    let users = entities::user::Entity::find()
        .count(&alone)
        .await
        .unwrap_or(0);
    alone.close().await.unwrap();
    for leftover in ["copy.db", "copy.db-wal", "copy.db-shm"] {
        let _ = std::fs::remove_file(file.with_file_name(leftover));
    }
    users
}

/// Commits leave checkpoints to the server (they only checkpoint themselves past 10,000 WAL
/// pages, far more than a sign-up writes), so a new account reaching the database file
/// itself shows the server's checkpointer running.
#[tokio::test]
async fn a_running_server_checkpoints_sqlite_commits_into_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("janua.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let app = TestApp::spawn_with(&[("DATABASE_URL", &url)]).await;
    register(&app, &unique_email("checkpointed")).await;
    let mut users = 0;
    for _ in 0..50 {
        users = users_in_file_alone(&file).await;
        if users == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(users, 1, "accounts in the database file without its WAL");
}
