//! `/.well-known/jwks.json` and `/.well-known/openid-configuration`: what relying parties
//! need to verify Janua's access tokens on their own.

use std::sync::Arc;

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{app::App, gateway};

pub async fn jwks(State(app): State<Arc<App>>) -> Response {
    match app.keyring.jwks().await {
        Ok(set) => {
            let mut response = Json(set).into_response();
            // Short, so relying parties see a rotation soon; they refetch on unknown kids too.
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            );
            response
        }
        Err(err) => gateway::status_response(&err.into(), None),
    }
}

pub async fn openid_configuration(State(app): State<Arc<App>>) -> Json<serde_json::Value> {
    let issuer = app.keyring.issuer();
    Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "userinfo_endpoint": format!("{issuer}/api/v1/auth/me"),
        "introspection_endpoint": format!("{issuer}/api/v1/auth/token/introspect"),
        "revocation_endpoint": format!("{issuer}/api/v1/auth/logout"),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [app.config.jwt_algorithm.to_string()],
        "token_endpoint_auth_methods_supported": ["none"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "jti", "sid", "email", "org_id", "org_role", "amr"],
    }))
}
