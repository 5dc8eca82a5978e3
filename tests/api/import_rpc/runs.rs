//! An uploaded population runs to the end in the background; its users sign in; its errors
//! page; a second run of it changes nothing; bad chunks and non-administrators are refused.

use janua::proto::janua::imports::v1 as pb;
use sea_orm::EntityTrait;
use serde_json::json;
use tonic::Code;

use super::{
    super::{
        auth::{rest, unique_email},
        fixtures::User,
        helpers::python_with,
        import::{assert_population_signs_in, population::generate},
        users::{authed, error_code},
    },
    *,
};

fn csv_options(map: &str) -> pb::ImportRunOptions {
    pb::ImportRunOptions {
        batch_size: 3,
        column_map: map
            .split(',')
            .map(|pair| {
                let (column, field) = pair.split_once('=').unwrap();
                pb::ColumnMapping {
                    column: column.to_owned(),
                    field: field.to_owned(),
                }
            })
            .collect(),
        ..Default::default()
    }
}

fn counts(users: (i64, i64, i64, i64, i64)) -> pb::ImportCounts {
    pb::ImportCounts {
        seen: users.0,
        imported: users.1,
        updated: users.2,
        skipped: users.3,
        failed: users.4,
    }
}

#[tokio::test]
async fn an_uploaded_population_runs_in_the_background_and_its_users_sign_in() {
    let Some(python) = python_with("passlib") else {
        return;
    };
    let app = super::super::auth::admin_app().await;
    let admin = admin_token(&app).await;
    let population = generate(&python, "csv");
    let input = std::fs::read(population.input()).unwrap();
    let options = csv_options(population.expected["map"].as_str().unwrap());
    let id = upload_and_start(
        &app,
        &admin,
        pb::ImportSource::Csv,
        options.clone(),
        &input,
        3,
        "",
    )
    .await;
    let run = ended(&app, &admin, &id).await;
    assert_eq!(run.state(), pb::ImportRunState::Succeeded, "{run:?}");
    let users = i64::try_from(population.users().len()).unwrap();
    assert_eq!(run.users, Some(counts((users + 2, users, 0, 0, 2))));
    assert_eq!(
        run.passwords_reset,
        population.expected["passwords_reset"].as_i64().unwrap()
    );
    assert_eq!(run.records_total, users + 2);
    assert_eq!(run.records_done, users + 2);
    assert_eq!(run.chunk_count, 3);
    assert_eq!(run.uploaded_bytes, i64::try_from(input.len()).unwrap());
    assert!(run.end_time.is_some() && run.start_time.is_some());

    // The errors.ndjson lines, paged two at a time: the two failures and every warning.
    let errors = all_errors(&app, &admin, &id, 2).await;
    assert_eq!(
        i64::try_from(errors.len()).unwrap(),
        run.users.unwrap().failed + run.warnings
    );
    let codes: Vec<&str> = errors.iter().map(|e| e.code.as_str()).collect();
    assert!(codes.contains(&"duplicate_email"), "{codes:?}");
    assert!(codes.contains(&"invalid_email"), "{codes:?}");
    let bad = errors.iter().find(|e| e.code == "invalid_email").unwrap();
    assert_eq!(
        (bad.source_id.as_str(), bad.field.as_str()),
        ("app-bad", "email")
    );
    assert_eq!(bad.file, "upload");
    // The input is gone from the database once the run ended.
    let chunks = janua::store::entities::import_chunk::Entity::find()
        .all(&app.app.db)
        .await
        .unwrap();
    assert!(chunks.is_empty(), "{} chunks left", chunks.len());

    // The same input again changes nothing.
    let before = users_table(&app).await;
    let again = upload_and_start(&app, &admin, pb::ImportSource::Csv, options, &input, 2, "").await;
    let second = ended(&app, &admin, &again).await;
    assert_eq!(second.users, Some(counts((users + 2, 0, 0, users, 2))));
    assert_eq!(
        users_table(&app).await,
        before,
        "the second run changed users"
    );

    assert_population_signs_in(&app, &python, &population).await;

    // Audited, start and end, by the administrator.
    for action in ["import.run_started", "import.run_finished"] {
        let events = audited(&app, action).await;
        assert_eq!(events.len(), 2, "{action}");
        assert!(events.iter().all(|e| e.actor_type == "user"));
    }
}

#[tokio::test]
async fn bad_chunks_and_strangers_are_refused_and_change_nothing() {
    let app = super::super::auth::admin_app().await;
    let admin = admin_token(&app).await;
    let mut client = imports(&app).await;
    let stranger: User = app.signed_in_user("not-admin").await;
    let create = |token: &str| {
        authed(
            pb::CreateImportRunRequest {
                source: pb::ImportSource::Csv.into(),
                options: None,
            },
            token,
        )
    };
    let refused = client
        .create_import_run(create(&stranger.token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let run = client
        .create_import_run(create(&admin))
        .await
        .unwrap()
        .into_inner()
        .import_run
        .unwrap();
    assert_eq!(run.state(), pb::ImportRunState::Uploading);
    // Options are checked before any input is taken.
    for (source, options) in [
        (
            pb::ImportSource::Auth0,
            pb::ImportRunOptions {
                column_map: vec![pb::ColumnMapping {
                    column: "mail".into(),
                    field: "email".into(),
                }],
                ..Default::default()
            },
        ),
        (
            pb::ImportSource::Csv,
            pb::ImportRunOptions {
                batch_size: 6000,
                ..Default::default()
            },
        ),
        (
            pb::ImportSource::Unspecified,
            pb::ImportRunOptions::default(),
        ),
    ] {
        let refused = client
            .create_import_run(authed(
                pb::CreateImportRunRequest {
                    source: source.into(),
                    options: Some(options),
                },
                &admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    }
    let chunk = |sequence: i64, data: Vec<u8>, token: &str| {
        authed(
            pb::UploadImportChunkRequest {
                import_run_id: run.id.clone(),
                sequence,
                data,
            },
            token,
        )
    };
    let email = unique_email("rpc-chunk");
    let csv = format!("id,email,email_verified\nc-1,{email},true\n").into_bytes();
    let refused = client
        .upload_import_chunk(chunk(1, csv.clone(), &stranger.token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let out_of_order = client
        .upload_import_chunk(chunk(2, csv.clone(), &admin))
        .await
        .unwrap_err();
    assert_eq!(
        out_of_order.code(),
        Code::InvalidArgument,
        "{out_of_order:?}"
    );
    assert!(
        out_of_order.message().contains("next chunk is 1"),
        "{out_of_order:?}"
    );
    let oversize = client
        .upload_import_chunk(chunk(1, vec![b'x'; 512 * 1024 + 1], &admin))
        .await
        .unwrap_err();
    assert_eq!(oversize.code(), Code::InvalidArgument, "{oversize:?}");
    // Nothing was stored: starting has no input yet.
    let start = |token: &str| {
        authed(
            pb::StartImportRunRequest {
                import_run_id: run.id.clone(),
                passphrase: String::new(),
            },
            token,
        )
    };
    let empty = client.start_import_run(start(&admin)).await.unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);
    assert!(empty.message().contains("no input"), "{empty:?}");

    // REST, through the gateway: the chunk is base64 in JSON.
    use base64::Engine as _;
    let (status, stored) = rest(
        &app,
        "POST",
        &format!("/api/v1/import-runs/{}/chunks", run.id),
        Some(&admin),
        json!({"sequence": 1, "data": base64::engine::general_purpose::STANDARD.encode(&csv)}),
    )
    .await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["chunk_count"], 1);
    let (status, repeated) = rest(
        &app,
        "POST",
        &format!("/api/v1/import-runs/{}/chunks", run.id),
        Some(&admin),
        json!({"sequence": 1, "data": "eA=="}),
    )
    .await;
    assert_eq!((status, error_code(&repeated)), (400, "VALIDATION_ERROR"));
    let mut with_passphrase = start(&admin);
    with_passphrase.get_mut().passphrase = "a passphrase for a csv".into();
    let refused = client.start_import_run(with_passphrase).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let refused = client
        .start_import_run(start(&stranger.token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    client.start_import_run(start(&admin)).await.unwrap();
    let late = client
        .upload_import_chunk(chunk(2, csv.clone(), &admin))
        .await
        .unwrap_err();
    assert_eq!(late.code(), Code::InvalidArgument);
    let ended = ended(&app, &admin, &run.id).await;
    assert_eq!(ended.users, Some(counts((1, 1, 0, 0, 0))));
    assert_eq!(ended.chunk_count, 1);
    let again = client.start_import_run(start(&admin)).await.unwrap_err();
    assert_eq!(again.code(), Code::InvalidArgument);

    // GetImportRun and ListImportRuns over REST; strangers see neither.
    let (status, got) = rest(
        &app,
        "GET",
        &format!("/api/v1/import-runs/{}", run.id),
        Some(&admin),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["state"], "IMPORT_RUN_STATE_SUCCEEDED");
    assert_eq!(got["users"]["imported"], 1);
    assert_eq!(got["source"], "IMPORT_SOURCE_CSV");
    let (status, listed) = rest(&app, "GET", "/api/v1/import-runs", Some(&admin), json!({})).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["import_runs"][0]["id"], run.id.as_str());
    let (status, _) = rest(
        &app,
        "GET",
        "/api/v1/import-runs",
        Some(&stranger.token),
        json!({}),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn an_unreadable_input_fails_with_a_reason_and_a_plan_writes_nothing() {
    let app = super::super::auth::admin_app().await;
    let admin = admin_token(&app).await;
    let id = upload_and_start(
        &app,
        &admin,
        pb::ImportSource::Auth0,
        pb::ImportRunOptions::default(),
        b"[{\"email\": ",
        1,
        "",
    )
    .await;
    let run = ended(&app, &admin, &id).await;
    assert_eq!(run.state(), pb::ImportRunState::Failed);
    assert!(!run.failure.is_empty());
    assert!(
        !run.failure.contains("/tmp") && !run.failure.contains("janua-import-"),
        "{}",
        run.failure
    );
    assert_eq!(run.users.unwrap().imported, 0);

    // A plan decides and counts, and writes no user.
    let before = users_table(&app).await;
    let email = unique_email("planned");
    let csv = format!("id,email,email_verified\np-1,{email},true\n");
    let plan = pb::ImportRunOptions {
        dry_run: true,
        ..Default::default()
    };
    let id = upload_and_start(
        &app,
        &admin,
        pb::ImportSource::Csv,
        plan,
        csv.as_bytes(),
        1,
        "",
    )
    .await;
    let planned = ended(&app, &admin, &id).await;
    assert_eq!(
        planned.state(),
        pb::ImportRunState::Succeeded,
        "{planned:?}"
    );
    assert_eq!(planned.users, Some(counts((1, 1, 0, 0, 0))));
    assert!(planned.options.unwrap().dry_run);
    assert_eq!(users_table(&app).await, before, "the plan wrote a user");
}

#[tokio::test]
async fn a_run_whose_node_stopped_is_failed_when_read_and_its_chunks_are_deleted() {
    use janua::store::entities::{import_chunk, import_job};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, QueryFilter};

    let app = super::super::auth::admin_app().await;
    let admin = admin_token(&app).await;
    let mut client = imports(&app).await;
    let run = client
        .create_import_run(authed(
            pb::CreateImportRunRequest {
                source: pb::ImportSource::Csv.into(),
                options: None,
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .import_run
        .unwrap();
    client
        .upload_import_chunk(authed(
            pb::UploadImportChunkRequest {
                import_run_id: run.id.clone(),
                sequence: 1,
                data: b"id,email\n".to_vec(),
            },
            &admin,
        ))
        .await
        .unwrap();
    let get = |id: String| authed(pb::GetImportRunRequest { import_run_id: id }, &admin);
    // As a node leaves it when it dies mid-run: running, its last heartbeat long ago.
    let job = import_job::Entity::find_by_id(run.id.clone())
        .one(&app.app.db)
        .await
        .unwrap()
        .unwrap();
    let mut stale: import_job::ActiveModel = job.into();
    stale.state = Set("running".into());
    stale.updated_at = Set(chrono::Utc::now() - chrono::Duration::seconds(60));
    stale.update(&app.app.db).await.unwrap();
    // A minute of silence is within the allowance: still running.
    let read = client.get_import_run(get(run.id.clone())).await.unwrap();
    let read = read.into_inner().import_run.unwrap();
    assert_eq!(read.state(), pb::ImportRunState::Running, "{read:?}");

    let job = import_job::Entity::find_by_id(run.id.clone())
        .one(&app.app.db)
        .await
        .unwrap()
        .unwrap();
    let mut stale: import_job::ActiveModel = job.into();
    stale.updated_at = Set(chrono::Utc::now() - chrono::Duration::minutes(10));
    stale.update(&app.app.db).await.unwrap();
    let read = client.get_import_run(get(run.id.clone())).await.unwrap();
    let read = read.into_inner().import_run.unwrap();
    assert_eq!(read.state(), pb::ImportRunState::Failed, "{read:?}");
    assert!(read.failure.contains("stopped"), "{read:?}");
    let chunks = import_chunk::Entity::find()
        .filter(import_chunk::Column::JobId.eq(&run.id))
        .all(&app.app.db)
        .await
        .unwrap();
    assert!(chunks.is_empty());
    let finished = audited(&app, "import.run_finished").await;
    assert!(
        finished
            .iter()
            .any(|event| event.target_id.as_deref() == Some(run.id.as_str())),
        "{finished:?}"
    );
    // Read again, it stays as it is.
    let again = client.get_import_run(get(run.id.clone())).await.unwrap();
    assert_eq!(again.into_inner().import_run.unwrap(), read);
}
