//! The axum routes of the JSON endpoints: each reads the form body (UserInfo the Bearer
//! header), answers JSON with `Cache-Control: no-store`, and turns every client mistake
//! into an OAuth error. Token, UserInfo and revocation carry the per-client CORS (`cors`);
//! the server keeps its global CORS layer off these routes.

use std::sync::Arc;

use axum::{
    Extension, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    middleware::from_fn_with_state,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

use super::{
    AuthorizationServer, cors,
    error::{OAuthError, json_no_store},
    request::Params,
};
use crate::{audit::ClientInfo, client_address::ClientAddress, rpc};

pub const TOKEN_PATH: &str = "/oauth/token";
pub const INTROSPECTION_PATH: &str = "/oauth/introspect";
pub const REVOCATION_PATH: &str = "/oauth/revoke";
pub const USERINFO_PATH: &str = "/oauth/userinfo";

pub fn router<S>(server: Arc<AuthorizationServer>) -> Router<S> {
    let browser_facing = Router::new()
        .route(TOKEN_PATH, post(token).options(preflight))
        .route(REVOCATION_PATH, post(revoke).options(preflight))
        .route(
            USERINFO_PATH,
            get(userinfo).post(userinfo).options(preflight),
        )
        .route_layer(from_fn_with_state(server.clone(), cors::per_client_cors));
    Router::new()
        .route(INTROSPECTION_PATH, post(introspect))
        .merge(browser_facing)
        .with_state(server)
}

/// The parameters and the client of a request.
fn read(
    headers: &HeaderMap,
    address: Option<Extension<ClientAddress>>,
    body: &[u8],
) -> Result<(Params, ClientInfo), OAuthError> {
    let params = Params::from_form(headers, body)?;
    let client = rpc::client_of(headers, address.as_ref().map(|Extension(a)| a));
    Ok((params, client))
}

/// The JSON answer, or the OAuth error; never cached either way.
fn finish(answer: Result<Value, OAuthError>) -> Response {
    match answer {
        Ok(body) => json_no_store(body),
        Err(error) => error.into_response(),
    }
}

async fn token(
    State(server): State<Arc<AuthorizationServer>>,
    headers: HeaderMap,
    address: Option<Extension<ClientAddress>>,
    body: Bytes,
) -> Response {
    let (params, client) = match read(&headers, address, &body) {
        Ok(read) => read,
        Err(error) => return error.into_response(),
    };
    finish(server.token(&headers, &params, &client).await.map(|a| a.0))
}

async fn introspect(
    State(server): State<Arc<AuthorizationServer>>,
    headers: HeaderMap,
    address: Option<Extension<ClientAddress>>,
    body: Bytes,
) -> Response {
    let (params, client) = match read(&headers, address, &body) {
        Ok(read) => read,
        Err(error) => return error.into_response(),
    };
    finish(server.introspect(&headers, &params, &client).await)
}

/// RFC 7009 §2.2: 200 with an empty body whether or not the token was one to revoke.
async fn revoke(
    State(server): State<Arc<AuthorizationServer>>,
    headers: HeaderMap,
    address: Option<Extension<ClientAddress>>,
    body: Bytes,
) -> Response {
    let (params, client) = match read(&headers, address, &body) {
        Ok(read) => read,
        Err(error) => return error.into_response(),
    };
    let revoked = server.revoke(&headers, &params, &client).await;
    finish(revoked.map(|()| json!({})))
}

/// Answered by the CORS layer before it gets here.
async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn userinfo(State(server): State<Arc<AuthorizationServer>>, headers: HeaderMap) -> Response {
    finish(server.userinfo(&headers).await)
}
