//! Whether an email address has an account must not show in an answer: Register in
//! `SIGNUP_EXISTING_EMAIL=notify` mode answers a registered address exactly like a new one
//! (and its owner gets a notice), and forgot-password and magic-link answer a known and an
//! unknown address alike even while the mail work for the known one cannot proceed: that
//! work runs after the answer.

use std::time::{Duration, Instant};

use janua::store;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use super::{
    auth::{PASSWORD, login, register, rest, unique_email},
    helpers::{TestApp, uses_postgres},
};

/// Subjects of the mail in `recipient`'s outbox, waiting (bounded) until one is `subject`.
async fn wait_for_mail(app: &TestApp, recipient: &str, subject: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let subjects: Vec<String> = app
            .app
            .mail
            .read_outbox(recipient)
            .await
            .unwrap()
            .into_iter()
            .map(|mail| mail.subject)
            .collect();
        if subjects.iter().any(|s| s == subject) {
            return subjects;
        }
        assert!(
            Instant::now() < deadline,
            "no {subject:?} to {recipient}: {subjects:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The answer without its per-request parts.
fn comparable(status: u16, mut body: Value) -> (u16, Value) {
    if body["error"].is_object() {
        body["error"]["request_id"] = Value::Null;
    }
    (status, body)
}

#[tokio::test]
async fn in_notify_mode_register_answers_a_registered_address_like_a_new_one() {
    let app = TestApp::spawn_with(&[("SIGNUP_EXISTING_EMAIL", "notify")]).await;
    let sign_up = |email: String, password: &'static str| {
        let app = &app;
        async move {
            let body = json!({"email": email, "password": password, "display_name": "Someone"});
            let (status, body) = rest(app, "POST", "/api/v1/auth/register", None, body).await;
            comparable(status, body)
        }
    };
    let owner = unique_email("owner");
    let first = sign_up(owner.clone(), PASSWORD).await;
    assert_eq!(first, (200, json!({})), "no user and no tokens");
    wait_for_mail(&app, &owner, "Verify your email address").await;

    let again = sign_up(owner.to_uppercase(), "another long passphrase").await;
    let newcomer = sign_up(unique_email("newcomer"), PASSWORD).await;
    assert_eq!(again, first, "a registered address answers like a new one");
    assert_eq!(newcomer, first);

    let subjects = wait_for_mail(&app, &owner, "Someone tried to sign up with your address").await;
    assert_eq!(
        subjects.len(),
        2,
        "one verification and one notice: {subjects:?}"
    );
    assert_eq!(login(&app, &owner, PASSWORD).await.0, 200);
    assert_eq!(
        login(&app, &owner, "another long passphrase").await.0,
        401,
        "the attempt changed nothing"
    );
}

#[tokio::test]
async fn conflict_mode_still_says_conflict() {
    let app = TestApp::spawn().await;
    let email = unique_email("taken");
    register(&app, &email).await;
    let body = json!({"email": email, "password": PASSWORD});
    let (status, body) = rest(&app, "POST", "/api/v1/auth/register", None, body).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("CONFLICT_ERROR"))
    );
}

/// Holds the lock the mail work for a known address needs: SQLite's write lock, or
/// PostgreSQL's lock on the outbox table. Released on commit.
async fn block_mail_work(app: &TestApp) -> (store::Db, store::WriteTxn) {
    let url = app
        .env
        .iter()
        .find(|(name, _)| name == "DATABASE_URL")
        .map(|(_, url)| url.clone())
        .unwrap();
    let db = store::connect(&url).await.unwrap();
    let txn = store::begin_write(&db).await.unwrap();
    if uses_postgres() {
        txn.execute_unprepared("LOCK TABLE mail_outbox IN EXCLUSIVE MODE")
            .await
            .unwrap();
    }
    (db, txn)
}

#[tokio::test]
async fn forgot_password_and_magic_link_answer_before_the_mail_work() {
    let app = TestApp::spawn().await;
    let known = unique_email("known");
    register(&app, &known).await;
    wait_for_mail(&app, &known, "Verify your email address").await;
    for (path, subject) in [
        ("/api/v1/auth/password/forgot", "Reset your password"),
        ("/api/v1/auth/magic-link", "Your sign-in link"),
    ] {
        let unknown = unique_email("unknown");
        let (db, lock) = block_mail_work(&app).await;
        // Before the fix, the known address waited for the lock (and failed on SQLite).
        let app = &app;
        let answers: Vec<(u16, Value)> =
            futures::future::join_all([&known, &unknown].map(|email| async move {
                let (status, body) = rest(app, "POST", path, None, json!({"email": email})).await;
                comparable(status, body)
            }))
            .await;
        lock.commit().await.unwrap();
        db.close().await.unwrap();
        assert_eq!(answers[0], (200, json!({})), "{path}");
        assert_eq!(
            answers[0], answers[1],
            "{path}: known and unknown answer alike"
        );
        wait_for_mail(app, &known, subject).await;
        assert!(
            app.app.mail.read_outbox(&unknown).await.unwrap().is_empty(),
            "nothing for the unknown address"
        );
    }
}
