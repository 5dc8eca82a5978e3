//! OAuth client registrations through the real port: CRUD over REST and gRPC, the secret
//! shown once and stored only as a digest, rotation with an overlap that ends on the
//! server's clock, audit events without secrets, and the registry as the authorization
//! server reads it (`find_client`, `authenticate_client`). `rotation` holds secret rotation
//! and the audit trail, `rules` the refusals: redirect URIs, grant types, permissions.

mod rotation;
mod rules;

use janua::{
    credentials::tokens,
    ids::OAuthClientId,
    proto::janua::oauth::v1::{
        DeleteOAuthClientRequest, GetOAuthClientRequest, ListOAuthClientsRequest, OAuthClient,
        OauthClientType, UpdateOAuthClientRequest,
    },
    store::entities::oauth_client,
};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tonic::Code;

use super::{fixtures::User, helpers::TestApp, orgs::reason, users::authed};

/// A valid create request for a client of `client_type`.
pub fn web_client(client_type: &str) -> Value {
    json!({
        "name": "Enclii web",
        "client_type": client_type,
        "redirect_uris": ["https://app.example.com/callback", "http://127.0.0.1:8080/cb"],
        "post_logout_redirect_uris": ["https://app.example.com/"],
        "grant_types": ["authorization_code", "refresh_token"],
        "allowed_scopes": ["openid", "profile", "email", "offline_access", "projects:read"],
        "skip_consent": true,
        "access_token_audience": "https://api.example.com",
    })
}

/// Creates a client over REST as `by`; returns the whole answer `{client, client_secret}`.
pub async fn create_client(app: &TestApp, by: &str, org: &str, body: Value) -> Value {
    let (status, answer) = app.rest("POST", &clients_path(org), Some(by), body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

pub fn clients_path(org: &str) -> String {
    format!("/api/v1/organizations/{org}/oauth-clients")
}

/// Registers the standard public web client as `token`; returns its REST path and the
/// client.
pub async fn public_web_client(app: &TestApp, token: &str, org: &str) -> (String, Value) {
    let answer = create_client(app, token, org, web_client("OAUTH_CLIENT_TYPE_PUBLIC")).await;
    (client_path(org, &answer), answer["client"].clone())
}

/// The REST path of the client an answer `{client, ...}` carries.
pub fn client_path(org: &str, answer: &Value) -> String {
    format!("{}/{}", clients_path(org), client_id(answer))
}

/// Asserts that a request was refused as invalid.
pub fn assert_invalid(status: u16, answer: &Value) {
    assert_eq!(
        (status, reason(answer)),
        (400, "VALIDATION_ERROR"),
        "{answer}"
    );
}

fn client_id(answer: &Value) -> OAuthClientId {
    OAuthClientId::from_trusted(answer["client"]["client_id"].as_str().unwrap())
}

async fn owner_and_org(app: &TestApp) -> (User, String) {
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Enclii").await;
    (owner, org)
}

/// Every stored row of `oauth_clients`, as JSON text.
async fn stored_rows(app: &TestApp) -> String {
    let rows = oauth_client::Entity::find().all(&app.app.db).await.unwrap();
    format!("{rows:?}")
}

#[tokio::test]
async fn a_confidential_client_is_created_read_updated_and_deleted_over_rest_with_its_secret_shown_once()
 {
    let app = TestApp::spawn().await;
    let (owner, org) = owner_and_org(&app).await;
    let created = create_client(
        &app,
        &owner.token,
        &org,
        web_client("OAUTH_CLIENT_TYPE_CONFIDENTIAL"),
    )
    .await;
    let client = &created["client"];
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("janua_cs_") && secret.len() == 52,
        "{secret}"
    );
    assert_eq!(client["organization_id"], org);
    assert_eq!(client["client_type"], "OAUTH_CLIENT_TYPE_CONFIDENTIAL");
    assert_eq!(client["secret_hint"], secret[secret.len() - 4..]);
    assert_eq!(
        client["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(client["skip_consent"], true);
    assert_eq!(client["access_token_audience"], "https://api.example.com");
    assert!(client["create_time"].is_string() && client["secret_rotate_time"].is_null());
    let id = client_id(&created);
    let one = client_path(&org, &created);

    // Get and List never show the secret; the row holds only its digest.
    let (status, got) = app.rest("GET", &one, Some(&owner.token), Value::Null).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(&got, client);
    let (status, listed) = app
        .rest("GET", &clients_path(&org), Some(&owner.token), Value::Null)
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["clients"], json!([client]));
    for answer in [&got, &listed] {
        assert!(!answer.to_string().contains(&secret[9..]), "{answer}");
    }
    let rows = stored_rows(&app).await;
    assert!(rows.contains(&tokens::digest(&secret)), "{rows}");
    assert!(
        !rows.contains(&secret[9..]),
        "the secret itself is stored: {rows}"
    );

    // The authorization server's view: the secret authenticates the client.
    let registry = &app.app.oauth_clients;
    let found = registry.find_client(&id).await.unwrap().unwrap();
    assert!(found.is_registered_redirect_uri("http://127.0.0.1:8080/cb"));
    assert!(registry.authenticate_client(&id, &secret).await.is_ok());
    assert!(
        registry
            .authenticate_client(&id, "janua_cs_wrong")
            .await
            .is_err()
    );

    // Update what the mask names, nothing else.
    let (status, updated) = app
        .rest(
            "PATCH",
            &format!("{one}?update_mask=name,redirect_uris"),
            Some(&owner.token),
            json!({"name": "Enclii console", "redirect_uris": ["https://console.example.com/cb"],
                   "skip_consent": false}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "Enclii console");
    assert_eq!(
        updated["redirect_uris"],
        json!(["https://console.example.com/cb"])
    );
    assert_eq!(updated["skip_consent"], true, "not in the mask");
    assert_eq!(updated["secret_hint"], client["secret_hint"]);
    let (status, refused) = app
        .rest(
            "PATCH",
            &format!("{one}?update_mask=client_type"),
            Some(&owner.token),
            json!({"client_type": "OAUTH_CLIENT_TYPE_PUBLIC"}),
        )
        .await;
    assert_invalid(status, &refused);

    // Deleted: gone for the organization and for the authorization server.
    let (status, _) = app
        .rest("DELETE", &one, Some(&owner.token), Value::Null)
        .await;
    assert_eq!(status, 200);
    let (status, gone) = app.rest("GET", &one, Some(&owner.token), Value::Null).await;
    assert_eq!((status, reason(&gone)), (404, "NOT_FOUND_ERROR"), "{gone}");
    assert!(registry.find_client(&id).await.unwrap().is_none());
    assert!(registry.authenticate_client(&id, &secret).await.is_err());
    assert_eq!(stored_rows(&app).await, "[]");
}

#[tokio::test]
async fn a_public_client_over_grpc_has_no_secret_and_a_disabled_one_is_unknown_to_the_provider() {
    let app = TestApp::spawn().await;
    let (owner, org) = owner_and_org(&app).await;
    let mut public = web_client("OAUTH_CLIENT_TYPE_PUBLIC");
    public["grant_types"] = json!([]);
    public["allowed_scopes"] = json!([]);
    public["access_token_audience"] = json!("");
    let created = create_client(&app, &owner.token, &org, public).await;
    assert_eq!(created["client_secret"], "", "{created}");
    assert_eq!(created["client"]["secret_hint"], "", "{created}");
    let id = client_id(&created);
    let second = create_client(
        &app,
        &owner.token,
        &org,
        web_client("OAUTH_CLIENT_TYPE_PUBLIC"),
    )
    .await;

    let mut grpc = app.oauth_clients_client().await;
    let got = grpc
        .get_o_auth_client(authed(
            GetOAuthClientRequest {
                organization_id: org.clone(),
                client_id: id.to_string(),
            },
            &owner.token,
        ))
        .await
        .unwrap()
        .into_inner()
        .client
        .unwrap();
    assert_eq!(got.client_type(), OauthClientType::Public);
    assert_eq!(got.grant_types, ["authorization_code"], "the default grant");
    assert_eq!(
        got.allowed_scopes,
        ["openid", "profile", "email"],
        "the default scopes"
    );
    assert_eq!(got.access_token_audience, "");
    assert_eq!(got.secret_hint, "");

    // Pages of one, oldest first.
    let list = |page_token: String| ListOAuthClientsRequest {
        organization_id: org.clone(),
        page_size: 1,
        page_token,
    };
    let first = grpc
        .list_o_auth_clients(authed(list(String::new()), &owner.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.clients[0].client_id, id.as_str());
    let next = grpc
        .list_o_auth_clients(authed(list(first.next_page_token), &owner.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        next.clients[0].client_id,
        second["client"]["client_id"].as_str().unwrap()
    );
    assert!(next.next_page_token.is_empty());

    // A public client never authenticates with a secret, not even an empty one.
    let registry = &app.app.oauth_clients;
    assert!(registry.authenticate_client(&id, "").await.is_err());
    let found = registry.find_client(&id).await.unwrap().unwrap();
    assert_eq!(
        found.access_token_audience(),
        id.as_str(),
        "empty: the client_id"
    );
    let disable = UpdateOAuthClientRequest {
        organization_id: org.clone(),
        client_id: id.to_string(),
        client: Some(OAuthClient {
            disabled: true,
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["disabled".into()],
        }),
    };
    let disabled = grpc
        .update_o_auth_client(authed(disable, &owner.token))
        .await
        .unwrap()
        .into_inner()
        .client
        .unwrap();
    assert!(disabled.disabled && disabled.name == got.name);
    assert!(registry.find_client(&id).await.unwrap().is_none());

    let delete = |client_id: String| DeleteOAuthClientRequest {
        organization_id: org.clone(),
        client_id,
    };
    grpc.delete_o_auth_client(authed(delete(id.to_string()), &owner.token))
        .await
        .unwrap();
    let again = grpc
        .delete_o_auth_client(authed(delete(id.to_string()), &owner.token))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::NotFound);
    let bad_id = grpc
        .delete_o_auth_client(authed(delete("a/b".into()), &owner.token))
        .await
        .unwrap_err();
    assert_eq!(bad_id.code(), Code::InvalidArgument);
}
