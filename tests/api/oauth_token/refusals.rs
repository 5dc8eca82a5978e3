//! What the token endpoint refuses, in the OAuth error shape: wrong secrets (401 with a
//! Basic challenge), a public client, a grant or scope the client may not use, grant types
//! Janua does not offer, a JSON body; secrets with `+ / :` through Basic (RFC 6749
//! Appendix B); and the per-client and per-IP budgets of failed client authentications.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use janua::{credentials::tokens, store::entities::oauth_client};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::json;

use super::{Machine, confidential_client, form, read};
use crate::{
    helpers::TestApp,
    oauth_clients::{create_client, web_client},
};

const CLIENT_CREDENTIALS: [(&str, &str); 1] = [("grant_type", "client_credentials")];

fn basic(client_id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{client_id}:{secret}")))
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_client_with_a_basic_challenge() {
    let app = TestApp::spawn().await;
    let machine = confidential_client(&app, &["client_credentials"]).await;
    let wrong = format!("{}x", machine.secret);
    let response = form(&app, "/oauth/token", &CLIENT_CREDENTIALS)
        .header("authorization", basic(&machine.client_id, &wrong))
        .send()
        .await
        .unwrap();
    let (status, headers, body) = read(response).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].is_string());
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic realm=")
    );
    assert_eq!(headers["cache-control"], "no-store");
    let posted = [
        ("grant_type", "client_credentials"),
        ("client_id", machine.client_id.as_str()),
        ("client_secret", wrong.as_str()),
    ];
    let (status, headers, body) =
        read(form(&app, "/oauth/token", &posted).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(headers.get("www-authenticate").is_none());
    let both = form(&app, "/oauth/token", &posted)
        .header("authorization", basic(&machine.client_id, &machine.secret));
    let (status, _, body) = read(both.send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn a_secret_with_plus_slash_and_colon_works_through_basic_form_encoded() {
    let app = TestApp::spawn().await;
    let machine = confidential_client(&app, &["client_credentials"]).await;
    let secret = "s3cr+t/with:colons and space";
    let row = oauth_client::Entity::find_by_id(machine.client_id.clone())
        .one(&app.app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: oauth_client::ActiveModel = row.into();
    row.secret_hash = Set(Some(tokens::digest(secret)));
    row.update(&app.app.db).await.unwrap();
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    assert!(
        encoded.contains("%2B") && encoded.contains("%3A"),
        "{encoded}"
    );
    let response = form(&app, "/oauth/token", &CLIENT_CREDENTIALS)
        .header("authorization", basic(&machine.client_id, &encoded))
        .send()
        .await
        .unwrap();
    let (status, _, body) = read(response).await;
    assert_eq!(status, 200, "{body}");
    // Undecoded, `+` would be a space: the raw secret is not the secret.
    let raw = form(&app, "/oauth/token", &CLIENT_CREDENTIALS)
        .header("authorization", basic(&machine.client_id, secret));
    assert_eq!(read(raw.send().await.unwrap()).await.0, 401);
}

#[tokio::test]
async fn public_clients_grants_scopes_and_bodies_get_their_oauth_errors() {
    let app = TestApp::spawn().await;
    let Machine {
        client_id,
        secret,
        org,
        owner,
    } = confidential_client(&app, &["client_credentials"]).await;
    let ask = |fields: Vec<(&'static str, String)>| {
        let mut all = vec![
            ("client_id", client_id.clone()),
            ("client_secret", secret.clone()),
        ];
        all.extend(fields);
        let request = app.http.post(app.url("/oauth/token")).form(&all);
        async move { read(request.send().await.unwrap()).await }
    };
    let grant = |g: &str| vec![("grant_type", g.to_owned())];
    for unsupported in ["password", "implicit", "urn:x"] {
        let (status, _, body) = ask(grant(unsupported)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("unsupported_grant_type")),
            "{unsupported}"
        );
    }
    // Offered, but not to a client registered for client_credentials only.
    for not_its_grant in ["authorization_code", "refresh_token"] {
        let (status, _, body) = ask(grant(not_its_grant)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("unauthorized_client")),
            "{not_its_grant}"
        );
    }
    let mut outside = grant("client_credentials");
    outside.push(("scope", "projects:read admin:all".into()));
    let (status, _, body) = ask(outside).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let mut narrowed = grant("client_credentials");
    narrowed.push(("scope", "projects:write".into()));
    let (_, _, body) = ask(narrowed).await;
    assert_eq!(body["scope"], "projects:write", "{body}");
    let (status, _, body) = ask(vec![]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    let json_body = app
        .http
        .post(app.url("/oauth/token"))
        .json(&json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}));
    let (status, _, body) = read(json_body.send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    let mut code_only = web_client("OAUTH_CLIENT_TYPE_CONFIDENTIAL");
    code_only["grant_types"] = json!(["authorization_code"]);
    let answer = create_client(&app, &owner.token, &org, code_only).await;
    let fields = [
        ("grant_type", "client_credentials"),
        ("client_id", answer["client"]["client_id"].as_str().unwrap()),
        ("client_secret", answer["client_secret"].as_str().unwrap()),
    ];
    let (status, _, body) = read(form(&app, "/oauth/token", &fields).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );

    let public = create_client(
        &app,
        &owner.token,
        &org,
        web_client("OAUTH_CLIENT_TYPE_PUBLIC"),
    )
    .await;
    let fields = [
        ("grant_type", "client_credentials"),
        ("client_id", public["client"]["client_id"].as_str().unwrap()),
    ];
    let (status, _, body) = read(form(&app, "/oauth/token", &fields).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn failed_client_authentications_are_limited_per_client_and_per_ip() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_DELAY_AFTER_FAILURES", "3"),
        ("LOGIN_LOCK_AFTER_FAILURES", "3"),
        ("LOGIN_IP_MAX_FAILURES", "6"),
    ])
    .await;
    let machine = confidential_client(&app, &["client_credentials"]).await;
    let attempt = |id: String, secret: String| {
        let fields = vec![
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", id),
            ("client_secret", secret),
        ];
        let request = app.http.post(app.url("/oauth/token")).form(&fields);
        async move { read(request.send().await.unwrap()).await }
    };
    for _ in 0..3 {
        let (status, _, _) = attempt(machine.client_id.clone(), "janua_cs_wrong".into()).await;
        assert_eq!(status, 401);
    }
    // The client is locked: even its right secret waits now.
    let (status, headers, body) = attempt(machine.client_id.clone(), machine.secret.clone()).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "invalid_client");
    assert!(headers.contains_key("retry-after"));

    let other = confidential_client(&app, &["client_credentials"]).await;
    for n in 0..3 {
        let (status, _, _) = attempt(format!("unknown-client-{n}"), "janua_cs_x".into()).await;
        assert_eq!(status, 401);
    }
    // Six failures from this address: the IP's budget is spent, for every client.
    let (status, _, body) = attempt(other.client_id.clone(), other.secret.clone()).await;
    assert_eq!(status, 429, "{body}");
}
