//! ImportService and ExportService through the real port (gRPC, and REST for the unary
//! RPCs), and dual sign-in: an uploaded population runs in the background through the same
//! engine as `janua import run` and its users sign in with their old passwords; chunks out
//! of order, too large or after the start change nothing; non-administrators are refused;
//! the streamed export is what `janua export` writes; an imported user's move to "Sign in
//! with Janua" shows on the user and filters ListUsers.

mod dual_sign_in;
mod export;
mod runs;

use std::time::Duration;

use janua::proto::janua::imports::v1::{self as pb, import_service_client::ImportServiceClient};
use tonic::transport::Channel;

use super::{
    auth::{ADMIN_EMAIL, ADMIN_PASSWORD, access, login},
    helpers::TestApp,
    users::authed,
};

/// The bootstrap administrator's access token.
pub async fn admin_token(app: &TestApp) -> String {
    access(&login(app, ADMIN_EMAIL, ADMIN_PASSWORD).await.1)
}

pub async fn imports(app: &TestApp) -> ImportServiceClient<Channel> {
    ImportServiceClient::new(app.channel().await)
}

/// Creates a run of `source` with `options`, uploads `input` in `chunks` pieces and starts
/// it: the run's id.
pub async fn upload_and_start(
    app: &TestApp,
    token: &str,
    source: pb::ImportSource,
    options: pb::ImportRunOptions,
    input: &[u8],
    chunks: usize,
    passphrase: &str,
) -> String {
    let mut client = imports(app).await;
    let run = client
        .create_import_run(authed(
            pb::CreateImportRunRequest {
                source: source.into(),
                options: Some(options),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .import_run
        .unwrap();
    let size = input.len().div_ceil(chunks);
    for (index, piece) in input.chunks(size).enumerate() {
        client
            .upload_import_chunk(authed(
                pb::UploadImportChunkRequest {
                    import_run_id: run.id.clone(),
                    sequence: i64::try_from(index).unwrap() + 1,
                    data: piece.to_vec(),
                },
                token,
            ))
            .await
            .unwrap();
    }
    client
        .start_import_run(authed(
            pb::StartImportRunRequest {
                import_run_id: run.id.clone(),
                passphrase: passphrase.to_owned(),
            },
            token,
        ))
        .await
        .unwrap();
    run.id
}

/// Polls GetImportRun until the run has ended.
pub async fn ended(app: &TestApp, token: &str, id: &str) -> pb::ImportRun {
    let mut client = imports(app).await;
    for _ in 0..600 {
        let run = client
            .get_import_run(authed(
                pb::GetImportRunRequest {
                    import_run_id: id.to_owned(),
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner()
            .import_run
            .unwrap();
        if run.state() != pb::ImportRunState::Running {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the import run {id} did not end within a minute");
}

/// Every error of a run, paged `page_size` at a time.
pub async fn all_errors(
    app: &TestApp,
    token: &str,
    id: &str,
    page_size: i32,
) -> Vec<pb::ImportError> {
    let mut client = imports(app).await;
    let (mut errors, mut page_token) = (Vec::new(), String::new());
    loop {
        let page = client
            .list_import_errors(authed(
                pb::ListImportErrorsRequest {
                    import_run_id: id.to_owned(),
                    page_size,
                    page_token: page_token.clone(),
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(page.errors.len() <= usize::try_from(page_size).unwrap());
        errors.extend(page.errors);
        if page.next_page_token.is_empty() {
            return errors;
        }
        page_token = page.next_page_token;
    }
}

/// The audit events of `action`.
pub async fn audited(
    app: &TestApp,
    action: &str,
) -> Vec<janua::store::entities::audit_event::Model> {
    use janua::store::entities::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .all(&app.app.db)
        .await
        .unwrap()
}

/// The `users` rows, in id order, as text: to see that nothing changed.
pub async fn users_table(app: &TestApp) -> String {
    use sea_orm::{FromQueryResult, JsonValue, Statement};
    let db = &app.app.db;
    let rows = JsonValue::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT * FROM users ORDER BY id",
    ))
    .all(db)
    .await
    .unwrap();
    rows.iter().map(|row| format!("{row}\n")).collect()
}
