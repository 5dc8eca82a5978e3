//! What the registry refuses, through the real port: redirect URIs an attacker would
//! register, grant types that do not fit the client, callers without the permission. A
//! refused request changes nothing.

use serde_json::{Value, json};

use super::{
    assert_invalid, clients_path, create_client, public_web_client, stored_rows, web_client,
};
use crate::{
    auth::admin_app,
    helpers::TestApp,
    orgs::{new_api_key, reason},
};

/// POSTs a client with `changes` over the valid web client; (status, answer).
async fn try_create(app: &TestApp, token: &str, org: &str, changes: Value) -> (u16, Value) {
    let mut body = web_client("OAUTH_CLIENT_TYPE_PUBLIC");
    for (field, value) in changes.as_object().unwrap() {
        body[field] = value.clone();
    }
    app.rest("POST", &clients_path(org), Some(token), body)
        .await
}

fn violated_field(answer: &Value) -> &str {
    answer["error"]["details"][1]["field_violations"][0]["field"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn redirect_uris_are_https_or_loopback_http_stored_exactly_and_refusals_change_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Redirects").await;
    let accepted = [
        "https://app.example.com/callback",
        "https://app.example.com.evil.com/callback",
        "http://127.0.0.1:8080/cb",
        "http://localhost/cb",
        "http://[::1]:3000/cb",
        "https://app.example.com/cb?tenant=a",
    ];
    for uri in accepted {
        let (status, answer) =
            try_create(&app, &owner.token, &org, json!({"redirect_uris": [uri]})).await;
        assert_eq!(status, 200, "{uri}: {answer}");
        assert_eq!(
            answer["client"]["redirect_uris"],
            json!([uri]),
            "stored as given"
        );
    }
    let before = stored_rows(&app).await;
    let refused = [
        "https://app.example.com/cb#fragment",
        "https://*.example.com/cb",
        "https://app.example.com/*",
        "http://example.com/cb",
        "http://localhost.evil.com/cb",
        "https://user:password@app.example.com/cb",
        "http://localhost:8080@evil.com/cb",
        "/callback",
        "app.example.com/cb",
        "javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "https://evil.com\\@app.example.com/cb",
        "https://App.Example.com/cb",
        "https://app.example.com",
        "http://127.1/cb",
        "",
    ];
    for uri in refused {
        for field in ["redirect_uris", "post_logout_redirect_uris"] {
            let (status, answer) =
                try_create(&app, &owner.token, &org, json!({field: [uri]})).await;
            assert_invalid(status, &answer);
            assert_eq!(
                violated_field(&answer),
                format!("{field}[0]"),
                "{uri}: {answer}"
            );
        }
    }
    let too_many: Vec<String> = (0..21)
        .map(|n| format!("https://app.example.com/{n}"))
        .collect();
    let (status, _) =
        try_create(&app, &owner.token, &org, json!({"redirect_uris": too_many})).await;
    assert_eq!(status, 400);
    let twice = ["https://app.example.com/cb", "https://app.example.com/cb"];
    let (status, answer) =
        try_create(&app, &owner.token, &org, json!({"redirect_uris": twice})).await;
    assert_eq!(
        (status, violated_field(&answer)),
        (400, "redirect_uris[1]"),
        "{answer}"
    );

    // An update to a bad URI is refused whole.
    let (one, client) = public_web_client(&app, &owner.token, &org).await;
    let (status, _) = app
        .rest(
            "PATCH",
            &format!("{one}?update_mask=name,redirect_uris"),
            Some(&owner.token),
            json!({"name": "Evil", "redirect_uris": ["https://app.example.com/cb", "javascript:x"]}),
        )
        .await;
    assert_eq!(status, 400);
    let (_, after) = app.rest("GET", &one, Some(&owner.token), Value::Null).await;
    assert_eq!(after, client);
    let rows = stored_rows(&app).await;
    assert!(
        rows.starts_with(&before[..before.len() - 1]),
        "a refused create stored a row"
    );
    assert_eq!(rows.matches("organization_id").count(), accepted.len() + 1);
}

#[tokio::test]
async fn grant_types_must_fit_the_client_type_and_each_other() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Grants").await;
    let cases = [
        (
            json!({"grant_types": ["client_credentials"], "redirect_uris": []}),
            "grant_types",
        ),
        (json!({"grant_types": ["refresh_token"]}), "grant_types"),
        (
            json!({"grant_types": ["authorization_code"], "redirect_uris": []}),
            "redirect_uris",
        ),
        (json!({"grant_types": ["password"]}), "grant_types[0]"),
        (json!({"grant_types": ["implicit"]}), "grant_types[0]"),
        (
            json!({"client_type": "OAUTH_CLIENT_TYPE_UNSPECIFIED"}),
            "client_type",
        ),
        (
            json!({"allowed_scopes": ["openid", "Admin"]}),
            "allowed_scopes[1]",
        ),
        (
            json!({"access_token_audience": "two words"}),
            "access_token_audience",
        ),
        (json!({"name": " "}), "name"),
    ];
    let issuer = app.url("/");
    let cases = cases.into_iter().chain([
        (
            json!({"access_token_audience": issuer}),
            "access_token_audience",
        ),
        (
            json!({"access_token_audience": issuer.trim_end_matches('/')}),
            "access_token_audience",
        ),
    ]);
    for (changes, field) in cases {
        let (status, answer) = try_create(&app, &owner.token, &org, changes.clone()).await;
        assert_eq!(
            (status, violated_field(&answer)),
            (400, field),
            "{changes}: {answer}"
        );
    }
    assert_eq!(stored_rows(&app).await, "[]", "refusals store nothing");

    let backend = json!({"client_type": "OAUTH_CLIENT_TYPE_CONFIDENTIAL",
                         "grant_types": ["client_credentials"], "redirect_uris": []});
    let (status, answer) = try_create(&app, &owner.token, &org, backend).await;
    assert_eq!(
        status, 200,
        "a confidential client needs no redirect URI: {answer}"
    );

    // An update is checked against the whole client.
    let (one, client) = public_web_client(&app, &owner.token, &org).await;
    for (mask, body, field) in [
        (
            "grant_types",
            json!({"grant_types": ["client_credentials"]}),
            "grant_types",
        ),
        (
            "redirect_uris",
            json!({"redirect_uris": []}),
            "redirect_uris",
        ),
        ("grant_types", json!({"grant_types": []}), "grant_types"),
    ] {
        let path = format!("{one}?update_mask={mask}");
        let (status, answer) = app.rest("PATCH", &path, Some(&owner.token), body).await;
        assert_eq!((status, violated_field(&answer)), (400, field), "{answer}");
    }
    let (_, after) = app.rest("GET", &one, Some(&owner.token), Value::Null).await;
    assert_eq!(after, client);
}

#[tokio::test]
async fn owners_admins_platform_admins_and_admin_keys_manage_clients_members_cannot_outsiders_see_nothing()
 {
    let app = admin_app().await;
    let (platform_admin, _) = app.admin_session().await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Matrix").await;
    let admin = app.signed_in_user("admin").await;
    app.member_of(&owner, &org, &admin, "admin").await;
    let member = app.signed_in_user("member").await;
    app.member_of(&owner, &org, &member, "member").await;
    let outsider = app.signed_in_user("outsider").await;
    let elsewhere = app.organization_of(&outsider, "Elsewhere").await;
    let (admin_key, _) = new_api_key(&app, &owner, &org, "admin").await;
    let (member_key, _) = new_api_key(&app, &owner, &org, "member").await;
    let callers = [
        ("owner", owner.token.as_str(), "allowed"),
        ("admin", admin.token.as_str(), "allowed"),
        ("platform admin", platform_admin.as_str(), "allowed"),
        ("admin key", admin_key.as_str(), "allowed"),
        ("member", member.token.as_str(), "forbidden"),
        ("member key", member_key.as_str(), "forbidden"),
        ("outsider", outsider.token.as_str(), "hidden"),
    ];
    let base = clients_path(&org);
    let nobody = format!("{base}/{}", uuid::Uuid::now_v7());
    let rpcs = [
        ("POST", base.clone(), web_client("OAUTH_CLIENT_TYPE_PUBLIC")),
        ("GET", base.clone(), Value::Null),
        ("GET", nobody.clone(), Value::Null),
        (
            "PATCH",
            format!("{nobody}?update_mask=name"),
            json!({"name": "x"}),
        ),
        ("DELETE", nobody.clone(), Value::Null),
        ("POST", format!("{nobody}/rotate-secret"), json!({})),
    ];
    let mut failures = Vec::new();
    for (method, path, body) in &rpcs {
        for (caller, token, expected) in callers {
            let (status, answer) = app.rest(method, path, Some(token), body.clone()).await;
            let message = answer["error"]["message"].as_str().unwrap_or_default();
            let got = match (status, reason(&answer)) {
                (404, "NOT_FOUND_ERROR") if message.starts_with("organization") => "hidden",
                (403, "AUTHORIZATION_ERROR") => "forbidden",
                (200, _) | (404, "NOT_FOUND_ERROR") => "allowed",
                _ => "unexpected",
            };
            if got != expected {
                failures.push(format!("{method} {path} as {caller}: {status} {answer}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let created = stored_rows(&app).await.matches("organization_id").count();
    assert_eq!(created, 4, "one client per allowed caller");

    // Another organization's client, named through one's own organization: not found, and
    // untouched.
    let theirs = create_client(
        &app,
        &owner.token,
        &org,
        web_client("OAUTH_CLIENT_TYPE_CONFIDENTIAL"),
    )
    .await;
    let id = theirs["client"]["client_id"].as_str().unwrap();
    let mine = format!("{}/{id}", clients_path(&elsewhere));
    for (method, path, body) in [
        ("GET", mine.clone(), Value::Null),
        (
            "PATCH",
            format!("{mine}?update_mask=redirect_uris"),
            json!({"redirect_uris": ["https://evil.example/cb"]}),
        ),
        ("POST", format!("{mine}/rotate-secret"), json!({})),
        ("DELETE", mine.clone(), Value::Null),
    ] {
        let (status, answer) = app.rest(method, &path, Some(&outsider.token), body).await;
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert_eq!(status, 404, "{method} {path}: {answer}");
        assert!(
            message.starts_with("OAuth client"),
            "{method} {path}: {answer}"
        );
    }
    let own = format!("{}/{id}", clients_path(&org));
    let (_, after) = app.rest("GET", &own, Some(&owner.token), Value::Null).await;
    assert_eq!(after, theirs["client"]);
}
