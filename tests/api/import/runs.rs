//! How runs behave: a plan writes nothing, a second run changes nothing, a stopped run
//! resumes, conflicts follow --on-conflict, bad input or a wrong key stops before a write.

use super::*;

#[tokio::test]
async fn a_plan_writes_nothing_and_a_second_run_changes_nothing() {
    let Some(python) = python_with("passlib") else {
        return;
    };
    let app = TestApp::spawn().await;
    let population = generate(&python, "auth0");
    let report = path_arg(&population.dir.path().join("report"));
    let input = path_arg(&population.input());
    let args = |action: &'static str| {
        vec![
            "import".to_owned(),
            action.to_owned(),
            "--source".into(),
            "auth0".into(),
            input.clone(),
            "--report-dir".into(),
            report.clone(),
        ]
    };
    let run_args = |action| args(action);
    let before = dump_database(&app).await;
    let plan = run_args("plan");
    let (code, planned) = janua(&app, &plan.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{planned}");
    assert!(
        planned.contains("plan only: nothing was written"),
        "{planned}"
    );
    assert_eq!(
        dump_database(&app).await,
        before,
        "the plan wrote to the database"
    );
    let run = run_args("run");
    let run: Vec<&str> = run.iter().map(String::as_str).collect();
    let (code, first) = janua(&app, &run);
    assert_eq!(code, 0, "{first}");
    // The plan's report is the run's, line for line (but the run id).
    let tail = |report: &str| {
        report
            .lines()
            .skip(1)
            .take(4)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(tail(&planned), tail(&first));
    let imported = dump_database(&app).await;
    let (code, second) = janua(&app, &run);
    assert_eq!(code, 0, "{second}");
    let users = population.users().len();
    assert_eq!(
        counts_line(&second, "users"),
        format!("users {users} seen 0 imported 0 updated {users} skipped 0 failed")
    );
    assert_eq!(
        dump_database(&app).await,
        imported,
        "the second run changed something"
    );
}

#[tokio::test]
async fn a_run_stopped_between_batches_resumes_where_it_stopped_without_duplicates() {
    let Some(python) = python_with("argon2") else {
        return;
    };
    let app = TestApp::spawn().await;
    let population = generate(&python, "keycloak");
    let report = path_arg(&population.dir.path().join("report"));
    let input = path_arg(&population.input());
    let base = [
        "import",
        "run",
        "--source",
        "keycloak",
        &input,
        "--batch-size",
        "3",
        "--report-dir",
        &report,
    ];
    let stopped: Vec<&str> = base
        .iter()
        .copied()
        .chain(["--stop-after-batches", "2"])
        .collect();
    let (code, _) = janua(&app, &stopped);
    assert_eq!(code, 1, "a stopped run is fatal");
    let count = || async {
        use sea_orm::{EntityTrait, PaginatorTrait};
        janua::store::entities::user::Entity::find()
            .count(&app.app.db)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 6, "two committed batches of three");
    let resumed: Vec<&str> = base.iter().copied().chain(["--resume"]).collect();
    let (code, out) = janua(&app, &resumed);
    assert_eq!(code, 0, "{out}");
    let users = population.users().len() as u64;
    assert_eq!(count().await, users);
    // The resumed run reports the whole input, as one uninterrupted run would.
    assert_eq!(
        counts_line(&out, "users"),
        format!("users {users} seen {users} imported 0 updated 0 skipped 0 failed")
    );
    let ids = std::fs::read_to_string(population.dir.path().join("report/ids.csv")).unwrap();
    assert_eq!(ids.lines().count() as u64, users + 1, "{ids}");
    // `import verify` finds every user of the run, and usable hashes and TOTP secrets.
    let run_id = out
        .lines()
        .next()
        .unwrap()
        .strip_prefix("run id: ")
        .unwrap();
    let (code, verified) = janua(&app, &["import", "verify", "--run-id", run_id]);
    assert_eq!(code, 0, "{verified}");
    assert!(verified.contains("status completed\n"), "{verified}");
    assert!(
        verified.contains(&format!("linked {users} present {users}\n")),
        "{verified}"
    );
    assert!(
        verified.contains("sample 20 checkable 20 without_password 0 totp_readable 7\n"),
        "{verified}"
    );
    assert_population_signs_in(&app, &python, &population).await;
    let (code, _) = janua(&app, &["import", "verify", "--run-id", "no-such-run"]);
    assert_eq!(code, 1);
}

#[tokio::test]
async fn conflicts_follow_on_conflict_and_blocked_users_come_in_suspended() {
    let Some(python) = python_with("bcrypt") else {
        return;
    };
    let app = TestApp::spawn().await;
    let taken = crate::auth::unique_email("taken");
    crate::auth::register(&app, &taken).await;
    let (blocked, fresh) = (
        crate::auth::unique_email("blocked"),
        crate::auth::unique_email("fresh"),
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.ndjson");
    // Auth0's export job writes NDJSON: one user per line.
    let lines = [
        json!({"user_id": "auth0|taken1", "email": taken, "email_verified": true, "name": "From Auth0",
               "password_hash": bcrypt_hash(&python, "the auth0 password")}),
        json!({"user_id": "auth0|blocked1", "email": blocked, "email_verified": true, "blocked": true,
               "password_hash": bcrypt_hash(&python, "blocked password")}),
        json!({"user_id": "auth0|fresh1", "email": fresh, "email_verified": true,
               "password_hash": bcrypt_hash(&python, "fresh password")}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&input, text).unwrap();
    let report = path_arg(&dir.path().join("report"));
    let run = |on_conflict: &'static str| {
        vec![
            "import".to_owned(),
            "run".into(),
            "--source".into(),
            "auth0".into(),
            path_arg(&input),
            "--on-conflict".into(),
            on_conflict.into(),
            "--report-dir".into(),
            report.clone(),
        ]
    };
    let args = run("fail");
    let (code, out) = janua(&app, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 2, "{out}");
    assert_eq!(
        counts_line(&out, "users"),
        "users 3 seen 2 imported 0 updated 0 skipped 1 failed"
    );
    let errors = std::fs::read_to_string(dir.path().join("report/errors.ndjson")).unwrap();
    assert!(
        errors.contains("\"code\":\"conflict\"") && errors.contains("\"line\":1"),
        "{errors}"
    );
    // The blocked user is suspended: its right password is refused like a wrong one.
    let suspended = accounts::find_by_email(&app.app.db, &blocked.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(suspended.status, accounts::UserStatus::Suspended);
    assert_eq!(login(&app, &blocked, "blocked password").await.0, 401);
    assert_eq!(login(&app, &fresh, "fresh password").await.0, 200);
    // The existing user kept its password; `update` takes the source's.
    assert_eq!(login(&app, &taken, crate::auth::PASSWORD).await.0, 200);
    let args = run("update");
    let (code, out) = janua(&app, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        counts_line(&out, "users"),
        "users 3 seen 0 imported 3 updated 0 skipped 0 failed"
    );
    let updated = accounts::find_by_email(&app.app.db, &taken.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.display_name, "From Auth0");
    assert_eq!(login(&app, &taken, "the auth0 password").await.0, 200);
    assert_eq!(login(&app, &taken, crate::auth::PASSWORD).await.0, 401);
    // Linked by its source id now: a default run skips all three.
    let args = run("skip");
    let (code, out) = janua(&app, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        counts_line(&out, "users"),
        "users 3 seen 0 imported 0 updated 3 skipped 0 failed"
    );
}

#[tokio::test]
async fn an_import_refuses_a_database_its_key_cannot_open_and_writes_nothing() {
    let Some(python) = python_with("argon2") else {
        return;
    };
    let app = TestApp::spawn().await;
    let population = generate(&python, "keycloak");
    let before = dump_database(&app).await;
    let mut env = app.env.clone();
    env.retain(|(name, _)| name != "FIELD_ENCRYPTION_KEY");
    env.push(("FIELD_ENCRYPTION_KEY".into(), crate::helpers::random_key()));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_janua"))
        .args([
            "import",
            "run",
            "--source",
            "keycloak",
            &path_arg(&population.input()),
        ])
        .current_dir(population.dir.path())
        .env_clear()
        .envs(env)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("FIELD_ENCRYPTION_KEY"), "{stderr}");
    assert_eq!(dump_database(&app).await, before);
}

#[tokio::test]
async fn unreadable_input_is_fatal_before_anything_is_written() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.json");
    // A good first user, then a syntax error: nothing may be written.
    std::fs::write(
        &input,
        r#"[{"email": "first@import.test", "email_verified": true}, {"email": "#,
    )
    .unwrap();
    let before = dump_database(&app).await;
    let report = path_arg(&dir.path().join("report"));
    let (code, _) = janua(
        &app,
        &[
            "import",
            "run",
            "--source",
            "auth0",
            &path_arg(&input),
            "--report-dir",
            &report,
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(dump_database(&app).await, before);
    let (code, _) = janua(
        &app,
        &[
            "import",
            "run",
            "--source",
            "csv",
            &path_arg(&input),
            "--map",
            "a=nonsense",
        ],
    );
    assert_eq!(code, 1, "an unknown --map field is refused");
}

#[tokio::test]
async fn a_user_whose_hash_was_refused_sets_a_password_through_a_reset() {
    let Some(sink) = crate::smtp::SmtpSink::start() else {
        return;
    };
    let app = TestApp::spawn_with(&sink.vars()).await;
    let email = crate::auth::unique_email("refused");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.csv");
    // scrypt with N = 2^30: out of bounds, so the user comes in without a password.
    let hostile =
        "$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    std::fs::write(
        &input,
        format!("id,email,email_verified,password_hash\nr1,{email},true,\"{hostile}\"\n"),
    )
    .unwrap();
    let report = path_arg(&dir.path().join("report"));
    let (code, out) = janua(
        &app,
        &[
            "import",
            "run",
            "--source",
            "csv",
            &path_arg(&input),
            "--report-dir",
            &report,
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("passwords_reset 1\n"), "{out}");
    rest(
        &app,
        "POST",
        "/api/v1/auth/password/forgot",
        None,
        json!({"email": email}),
    )
    .await;
    let token = crate::smtp::link_token(&sink.wait_for(&email).await.text);
    let (status, body) = rest(
        &app,
        "POST",
        "/api/v1/auth/password/reset",
        None,
        json!({"token": token, "new_password": "a brand new passphrase"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(login(&app, &email, "a brand new passphrase").await.0, 200);
}
