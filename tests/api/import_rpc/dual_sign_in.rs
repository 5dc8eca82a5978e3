//! Dual sign-in: imported users show their source id and auth method; the administrator
//! marks them invited; the first sign-in through Janua's OpenID Provider completes the move
//! (`password` becomes `dual`, the password still works); ListUsers filters by both.

use janua::{proto::janua::imports::v1 as pb, store::entities::user::AuthMethod};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use super::{
    super::{
        auth::rest,
        helpers::python_with,
        import::{bcrypt_hash, import_janua_v2, janua, path_arg},
        oauth_flow::{REDIRECT, authorize_path, browser::Browser, callback_params, setting},
        users::error_code,
    },
    *,
};

/// The ids ListUsers returns for `query`, sorted.
async fn listed(app: &TestApp, admin: &str, query: &str) -> Vec<String> {
    let (status, body) = rest(
        app,
        "GET",
        &format!("/api/v1/users?{query}"),
        Some(admin),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut ids: Vec<String> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

async fn user(app: &TestApp, admin: &str, id: &str) -> Value {
    let (status, body) = rest(
        app,
        "GET",
        &format!("/api/v1/users/{id}"),
        Some(admin),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn an_imported_user_moves_to_sign_in_with_janua_and_keeps_its_password() {
    let Some(python) = python_with("bcrypt") else {
        return;
    };
    let app = super::super::auth::admin_app().await;
    let admin = admin_token(&app).await;
    let run = uuid::Uuid::now_v7().simple().to_string();
    let email = |name: &str| format!("{name}-{run}@legacy.test");
    let password = "the legacy app's password";
    let hash = bcrypt_hash(&python, password);
    let csv = format!(
        "id,email,email_verified,password_hash,auth_method\n\
         legacy-1,{},true,{hash},\n\
         legacy-2,{},true,{hash},password\n\
         legacy-3,{},true,,oauth\n\
         legacy-4,{},true,{hash},telepathy\n",
        email("alice"),
        email("bob"),
        email("carol"),
        email("dave"),
    );
    let id = upload_and_start(
        &app,
        &admin,
        pb::ImportSource::Csv,
        pb::ImportRunOptions::default(),
        csv.as_bytes(),
        1,
        "",
    )
    .await;
    let ended = ended(&app, &admin, &id).await;
    let users = ended.users.unwrap();
    assert_eq!((users.imported, users.failed), (3, 1), "{ended:?}");
    let errors = all_errors(&app, &admin, &id, 50).await;
    assert!(
        errors
            .iter()
            .any(|e| e.code == "invalid_auth_method" && e.source_id == "legacy-4"),
        "{errors:?}"
    );

    let alice = user(&app, &admin, "legacy-1").await;
    assert_eq!(alice["auth_method"], "AUTH_METHOD_PASSWORD");
    assert_eq!(alice["external_id"], "legacy-1");
    assert!(
        alice
            .get("migration_completed_at")
            .is_none_or(Value::is_null),
        "{alice}"
    );
    assert_eq!(
        user(&app, &admin, "legacy-3").await["auth_method"],
        "AUTH_METHOD_OAUTH"
    );

    // The administrator marks bob invited; bob himself may not.
    let bob_token = access(&login(&app, &email("bob"), password).await.1);
    let invite = json!({"migration_invited_at": "2026-12-01T09:00:00Z"});
    let path = "/api/v1/users/legacy-2?update_mask=migration_invited_at";
    let (status, body) = rest(&app, "PATCH", path, Some(&bob_token), invite.clone()).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "VALIDATION_ERROR"),
        "{body}"
    );
    let (status, bob) = rest(&app, "PATCH", path, Some(&admin), invite).await;
    assert_eq!(status, 200, "{bob}");
    assert_eq!(bob["migration_invited_at"], "2026-12-01T09:00:00Z");

    let not_invited = "migration_state=MIGRATION_STATE_NOT_INVITED";
    assert_eq!(
        listed(&app, &admin, not_invited).await,
        ["legacy-1", "legacy-3"]
    );
    let invited = "migration_state=MIGRATION_STATE_INVITED";
    assert_eq!(listed(&app, &admin, invited).await, ["legacy-2"]);
    let completed = "migration_state=MIGRATION_STATE_COMPLETED";
    assert!(listed(&app, &admin, completed).await.is_empty());
    let by_password = "auth_method=AUTH_METHOD_PASSWORD";
    assert_eq!(
        listed(&app, &admin, by_password).await,
        ["legacy-1", "legacy-2"]
    );

    // Alice signs in to an app through Janua's OpenID Provider.
    let client = setting(&app, true).await;
    let mut browser = Browser::new(&app);
    let sign_in = browser
        .get_redirect(&authorize_path(&client.client_id, ""))
        .await;
    let page = browser.get_page(&sign_in).await;
    let consent = browser
        .submit(
            &page,
            &[("email", email("alice").as_str()), ("password", password)],
        )
        .await;
    // Signed in, no code issued yet: not moved yet.
    assert_eq!(
        user(&app, &admin, "legacy-1").await["auth_method"],
        "AUTH_METHOD_PASSWORD"
    );
    let page = browser.get_page(&consent).await;
    let callback = browser.submit(&page, &[("decision", "allow")]).await;
    assert!(callback.starts_with(REDIRECT), "{callback}");
    assert!(callback_params(&callback).contains_key("code"));

    let alice = user(&app, &admin, "legacy-1").await;
    assert_eq!(alice["auth_method"], "AUTH_METHOD_DUAL");
    assert!(alice["migration_completed_at"].is_string(), "{alice}");
    assert_eq!(listed(&app, &admin, completed).await, ["legacy-1"]);
    assert_eq!(
        listed(&app, &admin, "auth_method=AUTH_METHOD_DUAL").await,
        ["legacy-1"]
    );
    assert_eq!(listed(&app, &admin, not_invited).await, ["legacy-3"]);
    // Password sign-in keeps working.
    assert_eq!(login(&app, &email("alice"), password).await.0, 200);

    // When the app retires passwords, the administrator says so.
    let (status, alice) = rest(
        &app,
        "PATCH",
        "/api/v1/users/legacy-1?update_mask=auth_method",
        Some(&admin),
        json!({"auth_method": "AUTH_METHOD_OAUTH"}),
    )
    .await;
    assert_eq!(status, 200, "{alice}");
    assert_eq!(alice["auth_method"], "AUTH_METHOD_OAUTH");

    // Moving Janua itself keeps each user's state exactly, and gives none to native users.
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("export");
    let (code, out) = janua(
        &app,
        &[
            "export",
            "--format",
            "janua-v2",
            "--out",
            &path_arg(&exported),
        ],
    );
    assert_eq!(code, 0, "{out}");
    let second = TestApp::spawn().await;
    let (code, out) = import_janua_v2(&second, &exported, &dir.path().join("report"));
    assert_eq!(code, 0, "{out}");
    let moved = |id: &'static str| {
        let db = second.app.db.clone();
        async move {
            janua::store::accounts::find_by_id(&db, id)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let alice = moved("legacy-1").await;
    assert_eq!(alice.auth_method, Some(AuthMethod::Oauth));
    assert_eq!(alice.external_id.as_deref(), Some("legacy-1"));
    assert!(alice.migration_completed_at.is_some());
    let bob = moved("legacy-2").await;
    assert_eq!(bob.auth_method, Some(AuthMethod::Password));
    assert_eq!(
        bob.migration_invited_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-12-01T09:00:00+00:00")
    );
    let natives: Vec<_> = janua::store::entities::user::Entity::find()
        .all(&second.app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|u| !u.id.starts_with("legacy-"))
        .collect();
    assert!(!natives.is_empty());
    for native in natives {
        assert_eq!(
            (native.auth_method, native.external_id),
            (None, None),
            "{}",
            native.email
        );
    }
}
