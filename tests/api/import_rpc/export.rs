//! ExportService streams what `janua export` writes (the same files, canonicalised for the
//! export date), and with a passphrase the encrypted archive, which ImportService takes
//! back with the same passphrase.

use std::collections::BTreeMap;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use janua::proto::janua::imports::v1::{self as pb, export_service_client::ExportServiceClient};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tonic::Code;

use super::{
    super::{
        auth::unique_email,
        import::janua,
        probes::grpcurl,
        users::{admin_creates, authed, create_organization},
    },
    *,
};

/// The streamed files, by name.
async fn streamed(app: &TestApp, token: &str, passphrase: &str) -> BTreeMap<String, Vec<u8>> {
    let mut client = ExportServiceClient::new(app.channel().await);
    let mut stream = client
        .export_directory(authed(
            pb::ExportDirectoryRequest {
                passphrase: passphrase.to_owned(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut ended = Vec::new();
    while let Some(chunk) = stream.message().await.unwrap() {
        assert!(!ended.contains(&chunk.file_name), "a chunk after the last");
        assert!(chunk.data.len() <= 256 * 1024);
        files
            .entry(chunk.file_name.clone())
            .or_default()
            .extend(chunk.data);
        if chunk.last {
            ended.push(chunk.file_name);
        }
    }
    assert_eq!(
        ended.len(),
        files.len(),
        "every file ends with a last chunk"
    );
    files
}

/// A file of an export with its export date blanked.
fn canonical(bytes: &[u8]) -> Value {
    let mut value: Value = serde_json::from_slice(bytes).unwrap();
    value["metadata"]["export_date"] = Value::Null;
    value
}

#[tokio::test]
async fn the_streamed_export_is_what_janua_export_writes() {
    let app = super::super::auth::admin_app().await;
    let admin = admin_token(&app).await;
    for i in 0..3 {
        admin_creates(
            &app,
            &admin,
            json!({"email": unique_email(&format!("export-{i}")), "display_name": format!("E {i}")}),
        )
        .await;
    }
    let owner = app.signed_in_user("export-owner").await;
    create_organization(&app, &owner.token, "Exported").await;

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cli");
    let (code, printed) = janua(&app, &["export", "--out", &out.display().to_string()]);
    assert_eq!(code, 0, "{printed}");
    let files = streamed(&app, &admin, "").await;
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), names);
    for (name, bytes) in &files {
        let written = std::fs::read(out.join(name)).unwrap();
        assert_eq!(canonical(bytes), canonical(&written), "{name}");
    }
    let users = canonical(&files["janua_users_export.json"]);
    assert_eq!(users["users"].as_array().unwrap().len(), 5);
    // grpcurl, through reflection, gets the same stream.
    if let Some(grpcurl) = grpcurl() {
        let output = tokio::process::Command::new(grpcurl)
            .args([
                "-plaintext",
                "-H",
                &format!("authorization: Bearer {admin}"),
            ])
            .args(["-d", "{}", &app.addr.to_string()])
            .arg("janua.imports.v1.ExportService/ExportDirectory")
            .output()
            .await
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let mut by_grpcurl: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let text = String::from_utf8(output.stdout).unwrap();
        for message in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
            let message = message.unwrap();
            let name = message["fileName"].as_str().unwrap().to_owned();
            let data = STANDARD.decode(message["data"].as_str().unwrap()).unwrap();
            by_grpcurl.entry(name).or_default().extend(data);
        }
        assert_eq!(by_grpcurl.len(), files.len());
        for (name, bytes) in &by_grpcurl {
            assert_eq!(canonical(bytes), canonical(&files[name]), "{name}");
        }
    }

    // Strangers are refused; both ends of each export are audited.
    let mut client = ExportServiceClient::new(app.channel().await);
    let refused = client
        .export_directory(authed(pb::ExportDirectoryRequest::default(), &owner.token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let exports = if grpcurl().is_some() { 2 } else { 1 };
    for action in ["export.started", "export.finished"] {
        assert_eq!(audited(&app, action).await.len(), exports, "{action}");
    }
}

#[tokio::test]
async fn the_encrypted_export_streams_and_imports_back_with_its_passphrase() {
    let app = super::super::auth::admin_app().await;
    let admin = admin_token(&app).await;
    admin_creates(&app, &admin, json!({"email": unique_email("archive")})).await;
    let mut client = ExportServiceClient::new(app.channel().await);
    let short = client
        .export_directory(authed(
            pb::ExportDirectoryRequest {
                passphrase: "short".into(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(short.code(), Code::InvalidArgument);
    let passphrase = "an archive passphrase";
    let files = streamed(&app, &admin, passphrase).await;
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        ["janua_export.tar.gz.enc"]
    );
    let archive = &files["janua_export.tar.gz.enc"];
    assert!(archive.starts_with(b"Salted__"));

    // A wrong passphrase fails the run; the right one reads it (its users exist: skipped).
    let wrong = upload_and_start(
        &app,
        &admin,
        pb::ImportSource::JanuaV2,
        pb::ImportRunOptions::default(),
        archive,
        2,
        "not the passphrase",
    )
    .await;
    let failed = ended(&app, &admin, &wrong).await;
    assert_eq!(failed.state(), pb::ImportRunState::Failed, "{failed:?}");
    assert!(!failed.failure.contains(passphrase));
    let id = upload_and_start(
        &app,
        &admin,
        pb::ImportSource::JanuaV2,
        pb::ImportRunOptions::default(),
        archive,
        2,
        passphrase,
    )
    .await;
    let run = ended(&app, &admin, &id).await;
    assert_eq!(run.state(), pb::ImportRunState::Succeeded, "{run:?}");
    let users = run.users.unwrap();
    assert_eq!((users.seen, users.imported, users.skipped), (2, 0, 2));
    let stored = janua::store::entities::import_job::Entity::find_by_id(id)
        .one(&app.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.options.to_string().contains(passphrase));
}
