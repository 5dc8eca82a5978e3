//! Secret rotation on the server's clock (the replaced secret works until its expiry, then
//! not) and the audit trail of a client's life, which never holds a secret or its digest.

use janua::credentials::tokens;
use serde_json::{Value, json};

use super::{
    assert_invalid, client_id, clients_path, create_client, owner_and_org, public_web_client,
    web_client,
};
use crate::{
    auth::{PASSWORD, access, login},
    helpers::TestApp,
};

#[tokio::test]
async fn a_rotated_secret_keeps_the_previous_one_until_its_expiry_and_every_change_is_audited() {
    let app = TestApp::spawn().await;
    let (owner, org) = owner_and_org(&app).await;
    let mut server = web_client("OAUTH_CLIENT_TYPE_CONFIDENTIAL");
    server["grant_types"] = json!(["client_credentials"]);
    server["redirect_uris"] = json!([]);
    let created = create_client(&app, &owner.token, &org, server).await;
    let first = created["client_secret"].as_str().unwrap().to_owned();
    let id = client_id(&created);
    let rotate_path = format!("{}/{id}/rotate-secret", clients_path(&org));
    let rotate = |body: Value, token: String| {
        let (app, path) = (&app, rotate_path.clone());
        async move { app.rest("POST", &path, Some(&token), body).await }
    };
    let registry = &app.app.oauth_clients;
    let accepted = |secret: String| {
        let id = id.clone();
        async move { registry.authenticate_client(&id, &secret).await.is_ok() }
    };

    let (status, rotated) = rotate(json!({}), owner.token.clone()).await;
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert!(rotated["client"]["secret_rotate_time"].is_string());
    assert!(rotated["client"]["previous_secret_expire_time"].is_string());
    assert!(accepted(first.clone()).await && accepted(second.clone()).await);
    app.clock
        .advance(std::time::Duration::from_secs(24 * 3600 - 1));
    assert!(accepted(first.clone()).await, "within the default day");
    app.clock.advance(std::time::Duration::from_secs(1));
    assert!(!accepted(first.clone()).await, "the day is over");
    assert!(accepted(second.clone()).await);
    // The owner's access token is a day old too: sign in again.
    let (status, signed_in) = login(&app, &owner.email, PASSWORD).await;
    assert_eq!(status, 200, "{signed_in}");
    let token = access(&signed_in);

    // Out of range changes nothing; "0s" ends the replaced secret at once.
    for ttl in ["2592001s", "-1s"] {
        let (status, refused) = rotate(json!({"previous_secret_ttl": ttl}), token.clone()).await;
        assert_invalid(status, &refused);
    }
    assert!(accepted(second.clone()).await);
    let (status, rotated) = rotate(json!({"previous_secret_ttl": "0s"}), token.clone()).await;
    assert_eq!(status, 200, "{rotated}");
    let third = rotated["client_secret"].as_str().unwrap().to_owned();
    assert!(!accepted(second.clone()).await && !accepted(first).await);
    assert!(accepted(third.clone()).await);

    let (public, _) = public_web_client(&app, &token, &org).await;
    let path = format!("{public}/rotate-secret");
    let (status, refused) = app.rest("POST", &path, Some(&token), json!({})).await;
    assert_invalid(status, &refused);

    let (status, _) = app
        .rest(
            "PATCH",
            &format!("{}/{id}?update_mask=name", clients_path(&org)),
            Some(&token),
            json!({"name": "Renamed"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .rest(
            "DELETE",
            &format!("{}/{id}", clients_path(&org)),
            Some(&token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    let (status, log) = app
        .rest(
            "GET",
            &format!("/api/v1/audit-events?organization_id={org}&page_size=500"),
            Some(&token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200, "{log}");
    let events: Vec<&Value> = log["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target_id"] == id.as_str())
        .collect();
    let mut actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "oauth_client.created",
            "oauth_client.deleted",
            "oauth_client.secret_rotated",
            "oauth_client.secret_rotated",
            "oauth_client.updated",
        ]
    );
    let updated = events
        .iter()
        .find(|e| e["action"] == "oauth_client.updated")
        .unwrap();
    assert_eq!(updated["metadata"]["changed"], json!(["name"]), "{updated}");
    assert!(events.iter().all(|e| e["actor_id"] == owner.id.as_str()));
    let text = log.to_string();
    for secret in [&second, &third] {
        assert!(!text.contains(&secret[9..]), "a secret in the audit log");
        assert!(
            !text.contains(&tokens::digest(secret)),
            "a digest in the audit log"
        );
    }
}
