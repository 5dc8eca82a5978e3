//! HTTP error answers, for the REST gateway and the plain HTTP routes alike: the one place a
//! gRPC `Status` becomes an HTTP status and the JSON error body of DESIGN.md:
//! `{"error": {"code", "message", "status", "request_id", "details": [...]}}`.

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use http::{HeaderMap, HeaderValue, StatusCode, header::RETRY_AFTER};
use serde_json::{Value, json};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The id the server gave this request (`x-request-id`, set before any route runs), for the
/// error body of a route outside the gateway, so it names the request's log line.
pub fn request_id(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok())
}

/// The HTTP status for a gRPC code, with the reasons DESIGN.md maps differently.
pub fn http_status(code: Code, reason: &str) -> StatusCode {
    match reason {
        "MFA_REQUIRED" => return StatusCode::UNAUTHORIZED,
        "EMAIL_NOT_VERIFIED" => return StatusCode::FORBIDDEN,
        "ACCOUNT_LOCKED" => return StatusCode::LOCKED,
        _ => {}
    }
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The reason for a status that carries no `ErrorInfo` (e.g. UNIMPLEMENTED from a stub).
fn default_reason(code: Code) -> &'static str {
    match code {
        Code::InvalidArgument | Code::OutOfRange => "VALIDATION_ERROR",
        Code::Unauthenticated => "TOKEN_ERROR",
        Code::PermissionDenied => "AUTHORIZATION_ERROR",
        Code::NotFound => "NOT_FOUND_ERROR",
        Code::AlreadyExists => "CONFLICT_ERROR",
        Code::ResourceExhausted => "RATE_LIMIT_ERROR",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Unavailable => "UNAVAILABLE",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        _ => "INTERNAL_ERROR",
    }
}

/// An error answer from a gRPC status.
pub fn from_status(status: &Status, request_id: Option<&str>) -> Response {
    let details = status.get_error_details();
    let reason = details
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_else(|| default_reason(status.code()).to_owned());
    let http = http_status(status.code(), &reason);
    let message = if http == StatusCode::INTERNAL_SERVER_ERROR {
        "internal error"
    } else {
        status.message()
    };
    let mut response = render(http, &reason, message, details_json(&details), request_id);
    if let Some(delay) = details.retry_info().and_then(|r| r.retry_delay) {
        let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(RETRY_AFTER, value);
        }
    }
    response
}

/// An error the gateway itself decides (bad JSON, unknown route, body too large).
pub fn gateway_error(
    http: StatusCode,
    reason: &str,
    message: &str,
    violation: Option<(Option<&str>, &str)>,
    request_id: Option<&str>,
) -> Response {
    let details = match violation {
        Some((field, description)) => vec![json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "field_violations": [{"field": field.unwrap_or_default(), "description": description}],
        })],
        None => Vec::new(),
    };
    render(http, reason, message, details, request_id)
}

fn render(
    http: StatusCode,
    reason: &str,
    message: &str,
    details: Vec<Value>,
    request_id: Option<&str>,
) -> Response {
    let body = json!({
        "error": {
            "code": reason,
            "message": message,
            "status": http.as_u16(),
            "request_id": request_id,
            "details": details,
        }
    });
    (http, Json(body)).into_response()
}

fn details_json(details: &ErrorDetails) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(info) = details.error_info() {
        out.push(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": info.reason,
            "domain": info.domain,
            "metadata": info.metadata,
        }));
    }
    if let Some(bad_request) = details.bad_request() {
        let violations: Vec<Value> = bad_request
            .field_violations
            .iter()
            .map(|v| json!({"field": v.field, "description": v.description}))
            .collect();
        out.push(json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "field_violations": violations,
        }));
    }
    if let Some(delay) = details.retry_info().and_then(|r| r.retry_delay) {
        out.push(json!({
            "@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retry_delay": format!("{}s", delay.as_secs_f64()),
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_reasons_map_to_their_http_statuses() {
        let cases = [
            (Code::InvalidArgument, "VALIDATION_ERROR", 400),
            (Code::Unauthenticated, "AUTHENTICATION_ERROR", 401),
            (Code::Unauthenticated, "TOKEN_ERROR", 401),
            (Code::FailedPrecondition, "MFA_REQUIRED", 401),
            (Code::FailedPrecondition, "EMAIL_NOT_VERIFIED", 403),
            (Code::PermissionDenied, "AUTHORIZATION_ERROR", 403),
            (Code::NotFound, "NOT_FOUND_ERROR", 404),
            (Code::AlreadyExists, "CONFLICT_ERROR", 409),
            (Code::FailedPrecondition, "ACCOUNT_LOCKED", 423),
            (Code::ResourceExhausted, "RATE_LIMIT_ERROR", 429),
            (Code::Internal, "INTERNAL_ERROR", 500),
            (Code::Unimplemented, "UNIMPLEMENTED", 501),
        ];
        for (code, reason, http) in cases {
            assert_eq!(http_status(code, reason).as_u16(), http, "{reason}");
        }
    }
}
