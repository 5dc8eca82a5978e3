//! Every event type of the catalogue, triggered through the API and received by a
//! platform-wide endpoint whose receiver verifies each delivery with the reference Standard
//! Webhooks library; the library refuses a tampered body, a wrong secret and a stale
//! timestamp. The catalogue document lists every type with an example payload.

use std::collections::{BTreeMap, BTreeSet};

use janua::webhook_events::EVENT_TYPES;
use serde_json::{Value, json};

use super::{Receiver, create_endpoint, event_of};
use crate::{
    auth::admin_app,
    helpers::{TestApp, python_with},
    mfa::enrolled_user,
    oauth_flow::{authorize_path, browser::Browser, callback_params, exchange, setting},
    orgs::new_api_key,
    smtp::link_token,
    sso::idp_metadata,
};

/// A REST call that must succeed; returns the answer.
async fn ok(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> Value {
    let (status, answer) = app.rest(method, path, Some(token), body).await;
    assert_eq!(status, 200, "{method} {path}: {answer}");
    answer
}

/// Drives the API through a change of every type in the catalogue.
async fn trigger_every_event_type(app: &TestApp, admin: &str, python: &str) {
    // user.created, session.created; user.updated; user.email_verified;
    // user.password_changed; session.revoked.
    let user = app.signed_in_user("hooked").await;
    ok(
        app,
        "PATCH",
        &format!("/api/v1/users/{}?update_mask=display_name", user.id),
        &user.token,
        json!({"display_name": "Hooked"}),
    )
    .await;
    let mail = app.app.mail.read_outbox(&user.email).await.unwrap();
    let token = link_token(&mail.first().unwrap().text);
    let (status, body) = app
        .rest(
            "POST",
            "/api/v1/auth/email/verify",
            None,
            json!({ "token": token }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    ok(app, "POST", "/api/v1/auth/password/change", &user.token,
        json!({"current_password": crate::auth::PASSWORD, "new_password": "another long passphrase 2"})).await;

    // mfa.factor_added, mfa.factor_removed.
    let enrolled = enrolled_user(app, python).await;
    let factors = ok(
        app,
        "GET",
        "/api/v1/mfa/factors",
        &enrolled.token,
        Value::Null,
    )
    .await;
    let factor = factors["factors"][0]["id"].as_str().unwrap().to_owned();
    ok(
        app,
        "DELETE",
        &format!("/api/v1/mfa/factors/{factor}"),
        &enrolled.token,
        Value::Null,
    )
    .await;

    // organization.*, member.*, invitation.*, api_key.*, role.*, sso.*, oauth_client.*.
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Hooked Inc").await;
    let base = format!("/api/v1/organizations/{org}");
    ok(
        app,
        "PATCH",
        &format!("{base}?update_mask=name"),
        &owner.token,
        json!({"name": "Hooked Corp"}),
    )
    .await;
    let member = app.signed_in_user("member").await;
    app.member_of(&owner, &org, &member, "member").await;
    ok(
        app,
        "PATCH",
        &format!("{base}/members/{}", member.id),
        &owner.token,
        json!({"role": "viewer"}),
    )
    .await;
    ok(
        app,
        "DELETE",
        &format!("{base}/members/{}", member.id),
        &owner.token,
        Value::Null,
    )
    .await;
    let (_, key) = new_api_key(app, &owner, &org, "viewer").await;
    ok(
        app,
        "DELETE",
        &format!("{base}/api-keys/{}", key["id"].as_str().unwrap()),
        &owner.token,
        Value::Null,
    )
    .await;
    let role = ok(
        app,
        "POST",
        &format!("{base}/roles"),
        &owner.token,
        json!({"name": "auditor", "permissions": ["audit:read"]}),
    )
    .await;
    let role_path = format!("{base}/roles/{}", role["id"].as_str().unwrap());
    ok(
        app,
        "PATCH",
        &format!("{role_path}?update_mask=description"),
        &owner.token,
        json!({"description": "reads the log"}),
    )
    .await;
    ok(app, "DELETE", &role_path, &owner.token, Value::Null).await;
    let connection = ok(
        app,
        "POST",
        &format!("{base}/sso/connections"),
        &owner.token,
        json!({
            "name": "Okta", "protocol": "SSO_PROTOCOL_SAML", "enabled": true,
            "saml": {"idp_metadata_xml": idp_metadata()}
        }),
    )
    .await;
    let connection_path = format!(
        "{base}/sso/connections/{}",
        connection["id"].as_str().unwrap()
    );
    ok(
        app,
        "PATCH",
        &format!("{connection_path}?update_mask=name"),
        &owner.token,
        json!({"name": "Okta EU"}),
    )
    .await;
    ok(app, "DELETE", &connection_path, &owner.token, Value::Null).await;
    let client = ok(
        app,
        "POST",
        &format!("{base}/oauth-clients"),
        &owner.token,
        json!({
            "name": "Portal", "client_type": "OAUTH_CLIENT_TYPE_CONFIDENTIAL",
            "grant_types": ["client_credentials"]
        }),
    )
    .await;
    let client_path = format!(
        "{base}/oauth-clients/{}",
        client["client"]["client_id"].as_str().unwrap()
    );
    ok(
        app,
        "PATCH",
        &format!("{client_path}?update_mask=name"),
        &owner.token,
        json!({"name": "Portal 2"}),
    )
    .await;
    ok(
        app,
        "POST",
        &format!("{client_path}/rotate-secret"),
        &owner.token,
        json!({}),
    )
    .await;
    ok(app, "DELETE", &client_path, &owner.token, Value::Null).await;
    ok(app, "DELETE", &base, &owner.token, Value::Null).await;

    // oauth.consent_granted, oauth.grant_revoked: the hosted sign-in and consent, the
    // code's exchange, and the client revoking its refresh token.
    let setting = setting(app, true).await;
    let mut browser = Browser::new(app);
    let location = browser
        .get_redirect(&authorize_path(&setting.client_id, ""))
        .await;
    let page = browser.get_page(&location).await;
    let credentials = [
        ("email", setting.email.as_str()),
        ("password", crate::auth::PASSWORD),
    ];
    let consent = browser.submit(&page, &credentials).await;
    let page = browser.get_page(&consent).await;
    let callback = browser.submit(&page, &[("decision", "allow")]).await;
    let code = callback_params(&callback)["code"].clone();
    let (status, tokens) = exchange(app, &setting.client_id, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let revoked = app
        .http
        .post(app.url("/oauth/revoke"))
        .form(&[
            ("token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", setting.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);

    // user.suspended, user.reactivated, user.deleted; session.revoked.
    ok(app, "POST", "/api/v1/auth/logout", &owner.token, json!({})).await;
    let users = format!("/api/v1/users/{}", member.id);
    ok(app, "POST", &format!("{users}/suspend"), admin, json!({})).await;
    ok(
        app,
        "POST",
        &format!("{users}/reactivate"),
        admin,
        json!({}),
    )
    .await;
    ok(app, "DELETE", &users, admin, Value::Null).await;
}

/// Keys that would carry a secret: no event may hold one.
fn secret_keys(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let key_lower = key.to_ascii_lowercase();
                if [
                    "password",
                    "secret",
                    "token",
                    "hash",
                    "sealed",
                    "credential",
                ]
                .iter()
                .any(|word| key_lower.contains(word))
                    && !["secret_hint", "access_token_audience"].contains(&key.as_str())
                {
                    found.push(key.clone());
                }
                secret_keys(inner, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| secret_keys(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn every_event_type_reaches_a_platform_endpoint_signed_as_the_reference_library_verifies() {
    let (Some(receiver), Some(python)) = (Receiver::start(), python_with("pyotp")) else {
        return;
    };
    let app = admin_app().await;
    let (admin, _) = app.admin_session().await;
    let created = create_endpoint(
        &app,
        &admin,
        "/api/v1/webhooks",
        json!({"url": receiver.url("all"), "description": "everything"}),
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(created["endpoint"]["organization_id"], "");
    assert_eq!(
        created["endpoint"]["state"],
        "WEBHOOK_ENDPOINT_STATE_ACTIVE"
    );
    receiver.configure("all", &secret, 0).await;

    trigger_every_event_type(&app, &admin, &python).await;

    let catalogue: BTreeSet<&str> = EVENT_TYPES.iter().map(|(name, _)| *name).collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let received = loop {
        let received = receiver.deliveries("all").await;
        let types: BTreeSet<String> = received
            .iter()
            .map(|d| event_of(d)["type"].as_str().unwrap().to_owned())
            .collect();
        if catalogue.iter().all(|t| types.contains(*t)) {
            break received;
        }
        let missing: Vec<_> = catalogue.iter().filter(|t| !types.contains(**t)).collect();
        assert!(
            std::time::Instant::now() < deadline,
            "never received {missing:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };

    let mut ids = BTreeMap::new();
    for delivery in &received {
        assert_eq!(delivery["verified"], true, "{delivery:#}");
        assert_eq!(delivery["answered"], 200);
        let event = event_of(delivery);
        let event_type = event["type"].as_str().unwrap();
        assert!(catalogue.contains(event_type), "{event_type}");
        assert!(chrono::DateTime::parse_from_rfc3339(event["timestamp"].as_str().unwrap()).is_ok());
        assert!(event["data"].is_object(), "{event}");
        let mut secrets = Vec::new();
        secret_keys(&event["data"], &mut secrets);
        assert!(
            secrets.is_empty(),
            "{event_type} carries {secrets:?}: {event}"
        );
        let id = delivery["headers"]["webhook-id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            ids.insert(id, event_type.to_owned()).is_none(),
            "an event delivered twice"
        );
    }
    let created_user = received
        .iter()
        .map(event_of)
        .find(|e| e["type"] == "user.created")
        .unwrap();
    assert!(
        created_user["data"]["email"]
            .as_str()
            .unwrap()
            .contains('@')
    );
    assert_eq!(created_user["data"]["status"], "USER_STATUS_ACTIVE");

    // The library refuses a tampered body, a wrong secret and a stale timestamp.
    let sample = &received[0];
    let body = sample["body"].as_str().unwrap();
    let headers = &sample["headers"];
    assert_eq!(
        receiver.verify(&secret, headers, body).await["verified"],
        true
    );
    let tampered = body.replacen('"', "\"x", 1);
    assert_eq!(
        receiver.verify(&secret, headers, &tampered).await["verified"],
        false
    );
    let other = janua::webhooks::SigningSecret::generate().shown();
    assert_eq!(
        receiver.verify(&other, headers, body).await["verified"],
        false
    );
    app.clock.advance(std::time::Duration::from_secs(600));
    receiver.follow_clock(&app).await;
    let stale = receiver.verify(&secret, headers, body).await;
    assert_eq!(stale["verified"], false, "{stale}");
    assert!(stale["error"].as_str().unwrap().contains("old"), "{stale}");
}

#[tokio::test]
async fn list_event_types_and_the_catalogue_document_name_every_type() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/webhooks.md")).unwrap();
    for (name, _) in EVENT_TYPES {
        let heading = format!("### `{name}`");
        let section = doc
            .split(&heading)
            .nth(1)
            .unwrap_or_else(|| panic!("docs/webhooks.md lacks {heading}"));
        let example = section
            .split("```json")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap_or_else(|| panic!("{name} has no example payload"));
        let example: Value = serde_json::from_str(example)
            .unwrap_or_else(|e| panic!("{name}'s example is not JSON: {e}"));
        assert_eq!(example["type"], *name);
    }
    let app = TestApp::spawn().await;
    let user = app.signed_in_user("reader").await;
    let (status, listed) = app
        .rest(
            "GET",
            "/api/v1/webhook-event-types",
            Some(&user.token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200, "{listed}");
    let names: Vec<&str> = listed["event_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let catalogue: Vec<&str> = EVENT_TYPES.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, catalogue);
}
