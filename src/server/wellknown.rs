//! `/.well-known/jwks.json`, `/.well-known/openid-configuration` and
//! `/.well-known/oauth-authorization-server` (RFC 8414): what relying parties and OAuth
//! clients need to find Janua's endpoints and verify its tokens on their own. The three
//! answer GET from any origin (`Access-Control-Allow-Origin: *`): browser libraries fetch
//! them cross-origin, and they hold nothing private.
//!
//! Both documents list only what exists; the OpenID one adds UserInfo, logout, the ID
//! token's algorithms and the claims Janua issues.

use std::sync::Arc;

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{app::App, gateway};
use crate::oauth::provider::{
    CONFIDENTIAL_AUTH_METHODS, GRANT_TYPES_SUPPORTED, TOKEN_ENDPOINT_AUTH_METHODS,
    routes::{INTROSPECTION_PATH, REVOCATION_PATH, TOKEN_PATH, USERINFO_PATH},
};
use crate::pages::provider::{AUTHORIZE_PATH, LOGOUT_PATH};

pub async fn jwks(State(app): State<Arc<App>>, headers: http::HeaderMap) -> Response {
    match app.keyring.jwks().await {
        Ok(set) => {
            let mut response = public_json(Json(set).into_response());
            // Short, so relying parties see a rotation soon; they refetch on unknown kids too.
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            );
            response
        }
        Err(err) => gateway::status_response(&err.into(), crate::rpc::reply::request_id(&headers)),
    }
}

pub async fn openid_configuration(State(app): State<Arc<App>>) -> Response {
    let mut document = authorization_server(&app);
    let issuer = app.keyring.issuer();
    let extra = json!({
        "userinfo_endpoint": format!("{issuer}{USERINFO_PATH}"),
        "end_session_endpoint": format!("{issuer}{LOGOUT_PATH}"),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "azp", "sid",
            "at_hash", "email", "email_verified", "name", "preferred_username", "updated_at",
        ],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": false,
    });
    if let (Some(document), Value::Object(extra)) = (document.as_object_mut(), extra) {
        document.extend(extra);
    }
    public_json(Json(document).into_response())
}

pub async fn authorization_server_metadata(State(app): State<Arc<App>>) -> Response {
    public_json(Json(authorization_server(&app)).into_response())
}

/// The RFC 8414 metadata, shared by both documents.
fn authorization_server(app: &App) -> Value {
    let issuer = app.keyring.issuer();
    let algorithm = app.config.jwt_algorithm.to_string();
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "introspection_endpoint": format!("{issuer}{INTROSPECTION_PATH}"),
        "revocation_endpoint": format!("{issuer}{REVOCATION_PATH}"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GRANT_TYPES_SUPPORTED,
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "authorization_response_iss_parameter_supported": true,
        "token_endpoint_auth_methods_supported": TOKEN_ENDPOINT_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": TOKEN_ENDPOINT_AUTH_METHODS,
        // The OpenID Connect scopes; each client lists its own too (`allowed_scopes`).
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "ui_locales_supported": ["en"],
        "access_token_signing_alg_values_supported": [algorithm],
    })
}

/// Readable from any origin, with GET only.
fn public_json(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET"),
    );
    response
}
