//! The token endpoint (client_credentials), introspection (RFC 7662), revocation (RFC 7009)
//! and discovery through the real port. An independent OAuth client (Authlib,
//! `tests/peers/oauth_client_credentials.py`) discovers Janua, gets tokens with
//! client_secret_basic and client_secret_post, verifies them against the JWKS, introspects
//! and revokes them. `refusals` holds the OAuth errors and the brute-force limits;
//! `liveness` what introspection re-reads on every call.

mod liveness;
mod refusals;

use reqwest::{RequestBuilder, Response};
use serde_json::{Value, json};

use super::{
    fixtures::User,
    helpers::{TestApp, jwt_claims, python_with},
    oauth_clients::create_client,
    orgs::new_api_key,
};

pub const AUDIENCE: &str = "https://api.example.com";

/// A confidential client, its secret, and the organization (with its owner) that registered it.
pub struct Machine {
    pub client_id: String,
    pub secret: String,
    pub org: String,
    pub owner: User,
}

/// A confidential client of a fresh organization allowed `grants`.
pub async fn confidential_client(app: &TestApp, grants: &[&str]) -> Machine {
    let owner = app.signed_in_user("oauth-owner").await;
    let org = app.organization_of(&owner, "Machines").await;
    let body = json!({
        "name": "Billing worker",
        "client_type": "OAUTH_CLIENT_TYPE_CONFIDENTIAL",
        "grant_types": grants,
        "allowed_scopes": ["projects:read", "projects:write"],
        "access_token_audience": AUDIENCE,
    });
    let answer = create_client(app, &owner.token, &org, body).await;
    Machine {
        client_id: answer["client"]["client_id"].as_str().unwrap().to_owned(),
        secret: answer["client_secret"].as_str().unwrap().to_owned(),
        org,
        owner,
    }
}

/// A form POST to `path`.
pub fn form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> RequestBuilder {
    app.http.post(app.url(path)).form(fields)
}

/// Status, headers and JSON body of an answer.
pub async fn read(response: Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// A client-credentials token by client_secret_post.
pub async fn token_by_post(app: &TestApp, client_id: &str, secret: &str) -> String {
    let fields = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
    ];
    let (status, headers, body) =
        read(form(app, "/oauth/token", &fields).send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_independent_oauth_client_gets_verifies_introspects_and_revokes_tokens() {
    let app = TestApp::spawn().await;
    let Machine {
        client_id, secret, ..
    } = confidential_client(&app, &["client_credentials"]).await;
    let Some(python) = python_with("authlib") else {
        return;
    };
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/peers/oauth_client_credentials.py"
    );
    let issuer = app.app.keyring.issuer().to_owned();
    let output = tokio::process::Command::new(python)
        .args([script, &issuer, &client_id, &secret, AUDIENCE])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "the Authlib client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    for method in ["client_secret_basic", "client_secret_post"] {
        let round = &seen[method];
        assert_eq!(round["header"]["typ"], "at+jwt", "{method}");
        let claims = &round["claims"];
        assert_eq!(claims["iss"], issuer.as_str());
        assert_eq!(claims["aud"], AUDIENCE);
        assert_eq!(claims["sub"], client_id.as_str());
        assert_eq!(claims["client_id"], client_id.as_str());
        assert_eq!(claims["scope"], "projects:read");
        assert!(claims["org_id"].as_str().is_some_and(|o| !o.is_empty()));
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            900
        );
        assert_eq!(round["token"]["token_type"], "Bearer");
        assert!(round["token"].get("refresh_token").is_none());
        assert!(round["token"].get("id_token").is_none());
        let active = &round["introspection"];
        assert_eq!(active["active"], true, "{active}");
        for field in [
            "scope",
            "client_id",
            "sub",
            "aud",
            "iss",
            "exp",
            "iat",
            "token_type",
        ] {
            assert!(
                active.get(field).is_some(),
                "{method}: {field} missing from {active}"
            );
        }
        assert_eq!(round["after_revocation"], json!({"active": false}));
    }
}

#[tokio::test]
async fn a_client_token_is_refused_by_janua_own_api_and_its_issue_is_audited_without_it() {
    let app = TestApp::spawn().await;
    let Machine {
        client_id, secret, ..
    } = confidential_client(&app, &["client_credentials"]).await;
    let token = token_by_post(&app, &client_id, &secret).await;
    let (status, body) = app
        .rest("GET", "/api/v1/auth/me", Some(&token), Value::Null)
        .await;
    assert_eq!(status, 401, "{body}");
    let core = &app.app;
    let authenticator = janua::auth::Authenticator::new(
        core.keyring.clone(),
        core.revocations.clone(),
        core.db.clone(),
        core.clock.clone(),
    );
    assert!(
        authenticator.authenticate(&token).await.is_err(),
        "the authenticator accepted a client access token"
    );
    let events = audit_rows(&app, "oauth.token_issued").await;
    assert_eq!(events.len(), 1);
    let metadata = events[0].metadata.clone().unwrap_or_default();
    assert_eq!(metadata["client_id"], client_id.as_str());
    assert_eq!(metadata["grant_type"], "client_credentials");
    assert_eq!(metadata["scopes"], "projects:read projects:write");
    let recorded = format!("{:?}", events[0]);
    assert!(!recorded.contains(&token) && !recorded.contains(&secret));
}

async fn audit_rows(
    app: &TestApp,
    action: &str,
) -> Vec<janua::store::entities::audit_event::Model> {
    use janua::store::entities::audit_event::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    Entity::find()
        .filter(Column::Action.eq(action))
        .all(&app.app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_api_key_introspects_client_tokens_of_its_organization_and_user_tokens() {
    let app = TestApp::spawn().await;
    let machine = confidential_client(&app, &["client_credentials"]).await;
    let token = token_by_post(&app, &machine.client_id, &machine.secret).await;
    assert_eq!(jwt_claims(&token)["org_id"], machine.org.as_str());
    let stranger = app.signed_in_user("key-owner").await;
    let other_org = app.organization_of(&stranger, "Elsewhere").await;
    let (own_key, _) = new_api_key(&app, &machine.owner, &machine.org, "admin").await;
    let (foreign_key, _) = new_api_key(&app, &stranger, &other_org, "admin").await;
    let introspect = |key: String, token: String| {
        let request =
            form(&app, "/oauth/introspect", &[("token", token.as_str())]).bearer_auth(key);
        async move { read(request.send().await.unwrap()).await }
    };
    let (status, headers, body) = introspect(own_key.clone(), token.clone()).await;
    assert_eq!(
        (status, body["active"].clone()),
        (200, json!(true)),
        "{body}"
    );
    assert_eq!(body["client_id"], machine.client_id.as_str());
    assert_eq!(headers["cache-control"], "no-store");
    let (_, _, foreign) = introspect(foreign_key.clone(), token.clone()).await;
    assert_eq!(foreign, json!({"active": false}));
    let (_, _, user_token) = introspect(foreign_key, stranger.token.clone()).await;
    assert_eq!(user_token["active"], true, "{user_token}");
    assert_eq!(user_token["sub"], stranger.id.as_str());
    let (_, _, junk) = introspect(own_key, "not-a-token".into()).await;
    assert_eq!(junk, json!({"active": false}));
}

#[tokio::test]
async fn discovery_and_jwks_answer_any_origin_and_the_token_endpoint_does_not() {
    let app = TestApp::spawn().await;
    let issuer = app.app.keyring.issuer().to_owned();
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
    ] {
        let response = app
            .http
            .get(app.url(path))
            .header("origin", "https://spa.example.org")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "*",
            "{path}"
        );
    }
    let (_, _, meta) = read(
        app.http
            .get(app.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(meta["issuer"], issuer.as_str());
    assert_eq!(meta["token_endpoint"], format!("{issuer}/oauth/token"));
    assert_eq!(
        meta["revocation_endpoint"],
        format!("{issuer}/oauth/revoke")
    );
    assert_eq!(
        meta["introspection_endpoint"],
        format!("{issuer}/oauth/introspect")
    );
    assert_eq!(
        meta["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    for required in [
        "authorization_endpoint",
        "response_types_supported",
        "code_challenge_methods_supported",
        "authorization_response_iss_parameter_supported",
    ] {
        assert!(meta.get(required).is_some(), "{required}: {meta}");
    }
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    let (_, _, oidc) = read(
        app.http
            .get(app.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        oidc["revocation_endpoint"],
        format!("{issuer}/oauth/revoke")
    );
    assert_eq!(
        oidc["authorization_endpoint"],
        format!("{issuer}/oauth/authorize")
    );
    assert_eq!(
        oidc["userinfo_endpoint"],
        format!("{issuer}/oauth/userinfo")
    );
    assert_eq!(
        oidc["end_session_endpoint"],
        format!("{issuer}/oauth/logout")
    );
    assert_eq!(oidc["response_types_supported"], json!(["code"]));
    let response = form(
        &app,
        "/oauth/token",
        &[("grant_type", "client_credentials")],
    )
    .header("origin", "https://spa.example.org")
    .send()
    .await
    .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
