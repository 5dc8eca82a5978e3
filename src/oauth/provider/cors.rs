//! Per-client CORS for the endpoints a single-page app calls from the browser (token,
//! userinfo, revocation): an origin is granted only when it is the origin of one of the
//! calling client's redirect URIs. The caller is read as the endpoint reads it (Basic
//! credentials, `client_id` in the form, or the Bearer token's client); a preflight, which
//! carries none of them, is granted to an origin some enabled client registered. Discovery
//! and the JWKS are public and answer any origin elsewhere.

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};

use super::{AuthorizationServer, ClientAccessClaims};
use crate::ids::OAuthClientId;

/// Largest form body read to find the client (token requests are small).
const MAX_FORM_BYTES: usize = 64 * 1024;

pub async fn per_client_cors(
    State(server): State<Arc<AuthorizationServer>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(origin) = request.headers().get(header::ORIGIN).cloned() else {
        return next.run(request).await;
    };
    let origin_text = origin.to_str().unwrap_or("").to_owned();
    if request.method() == Method::OPTIONS {
        let granted = server
            .clients
            .is_registered_origin(&origin_text)
            .await
            .unwrap_or(false);
        let mut response = StatusCode::NO_CONTENT.into_response();
        if granted {
            grant(response.headers_mut(), origin);
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type"),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
        return response;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let client_id = server.calling_client(&parts.headers, &bytes).await;
    let mut response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let allowed = match client_id {
        Some(client_id) => server
            .clients
            .find_client(&client_id)
            .await
            .ok()
            .flatten()
            .is_some_and(|c| c.redirect_origins().any(|o| o == origin_text)),
        None => false,
    };
    if allowed {
        grant(response.headers_mut(), origin);
    }
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Origin"));
    response
}

fn grant(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
}

impl AuthorizationServer {
    /// The client a request names: Basic credentials, a Bearer token's client, or the
    /// form's `client_id`. Unchecked here: the endpoint checks it.
    async fn calling_client(&self, headers: &HeaderMap, body: &Bytes) -> Option<OAuthClientId> {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '));
        let raw = match authorization {
            Some((scheme, value)) if scheme.eq_ignore_ascii_case("basic") => STANDARD
                .decode(value.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .and_then(|d| d.split_once(':').map(|(id, _)| id.to_owned())),
            Some((scheme, value)) if scheme.eq_ignore_ascii_case("bearer") => self
                .keyring
                .verify_client_access_token::<ClientAccessClaims>(value.trim())
                .await
                .ok()
                .map(|claims| claims.client_id),
            _ => url::form_urlencoded::parse(body)
                .find(|(name, _)| name == "client_id")
                .map(|(_, value)| value.into_owned()),
        }?;
        OAuthClientId::parse("client_id", &raw).ok()
    }
}
