//! The OAuth error shape (RFC 6749 §5.2): `{"error", "error_description"}` with the status
//! the RFCs name, `WWW-Authenticate: Basic` when the client's Basic credentials failed, and
//! `Cache-Control: no-store` with `Pragma: no-cache` on every answer of these endpoints.

use std::time::Duration;

use axum::{
    Json,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::error::Error;

/// The realm the Basic challenge names.
const BASIC_CHALLENGE: &str = "Basic realm=\"janua\", charset=\"UTF-8\"";

/// An OAuth error answer.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
    /// Answer with a Basic challenge (the client tried, or should try, Basic).
    basic_challenge: bool,
    /// Answer with a Bearer challenge naming the error (RFC 6750 §3: UserInfo).
    bearer_challenge: bool,
    retry_after: Option<Duration>,
}

impl OAuthError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            basic_challenge: false,
            bearer_challenge: false,
            retry_after: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 401: the client is unknown, or its credentials are wrong, missing or malformed.
    pub fn invalid_client(basic_challenge: bool) -> Self {
        Self {
            basic_challenge,
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            )
        }
    }

    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", description)
    }

    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            description,
        )
    }

    /// The code or refresh token is unknown, spent, expired, revoked, or another client's.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// 401 at UserInfo (RFC 6750 §3.1): the bearer token is missing, expired or revoked.
    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self {
            bearer_challenge: true,
            ..Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description)
        }
    }

    /// 403 at UserInfo: the token does not carry the `openid` scope.
    pub fn insufficient_scope(description: impl Into<String>) -> Self {
        Self {
            bearer_challenge: true,
            ..Self::new(StatusCode::FORBIDDEN, "insufficient_scope", description)
        }
    }

    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

/// Janua's domain errors as the OAuth endpoints answer them: too many failed client
/// authentications is 429 with `Retry-After`; anything unexpected an opaque `server_error`
/// (the cause goes to the log).
impl From<Error> for OAuthError {
    fn from(error: Error) -> Self {
        match error {
            Error::RateLimited { retry_after } | Error::AccountLocked { retry_after } => Self {
                retry_after: Some(retry_after),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "invalid_client",
                    "too many failed client authentications; retry later",
                )
            },
            Error::Authentication => Self::invalid_client(false),
            other => {
                tracing::error!(error = %other, "an OAuth endpoint failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "internal error",
                )
            }
        }
    }
}

impl From<sea_orm::DbErr> for OAuthError {
    fn from(error: sea_orm::DbErr) -> Self {
        Error::from(error).into()
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.code, "error_description": self.description});
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        no_store(headers);
        if self.basic_challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(BASIC_CHALLENGE),
            );
        }
        if self.bearer_challenge {
            let challenge = format!("Bearer realm=\"janua\", error=\"{}\"", self.code);
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        if let Some(after) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&after.as_secs().max(1).to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
pub fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// A JSON answer of these endpoints, never cached.
pub fn json_no_store(body: serde_json::Value) -> Response {
    let mut response = Json(body).into_response();
    no_store(response.headers_mut());
    response
}
