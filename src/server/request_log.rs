//! One log line per request, whatever its protocol (HTTP, gRPC, gRPC-web, REST): the request
//! id (the `request_id` of error bodies, also the `x-request-id` response header), method,
//! route template (a REST template, a gRPC path or a fixed route, never the raw path, which
//! holds ids), HTTP status and gRPC code, latency, the caller the access layer verified
//! (user id or API key id) and the client IP as `client_address` decided it.
//!
//! It must never log headers, tokens, passwords or bodies. The facts deeper layers learn (the
//! gateway its route, the gRPC stack its path and code, the access layer the caller) are
//! written into the request's [`RequestFacts`], which this layer reads once the response is
//! ready.

use std::{
    net::IpAddr,
    sync::{Arc, Mutex, PoisonError},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request},
    middleware::Next,
    response::Response,
};
use http::HeaderValue;
use tonic::Code;
use tracing::Instrument;

use super::{REQUEST_ID, metrics::code_name};
use crate::{client_address::ClientAddress, principal::Caller};

/// What the layers below learn about a request, for its log line.
#[derive(Clone, Default)]
pub struct RequestFacts(Arc<Mutex<Facts>>);

#[derive(Default)]
struct Facts {
    /// A REST template or fixed route.
    route: Option<String>,
    /// The gRPC method called (also for REST, which calls it in-process).
    rpc: Option<String>,
    grpc_code: Option<Code>,
    user_id: Option<String>,
    api_key_id: Option<String>,
}

impl RequestFacts {
    /// Notes the route template matched.
    pub fn note_route(&self, template: &str) {
        self.update(|f| f.route = Some(template.to_owned()));
    }

    /// Notes the gRPC method (a known path, or "other") and its outcome.
    pub fn note_rpc(&self, rpc: &str, code: Code) {
        self.update(|f| {
            f.rpc = Some(rpc.to_owned());
            f.grpc_code = Some(code);
        });
    }

    /// Notes who the access layer verified.
    pub fn note_caller(&self, caller: &Caller) {
        self.update(|f| match caller {
            Caller::User(user) => f.user_id = Some(user.user_id.to_string()),
            Caller::ApiKey(key) => f.api_key_id = Some(key.api_key_id.to_string()),
        });
    }

    fn update(&self, change: impl FnOnce(&mut Facts)) {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }

    fn take(&self) -> Facts {
        std::mem::take(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The middleware writing the line. It runs inside the request id and client address
/// layers, and wraps the rest of the request in a span carrying the request id, so any
/// other line logged while serving it (an internal error's cause) names the id too.
pub async fn log_request(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let facts = RequestFacts::default();
    request.extensions_mut().insert(facts.clone());
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let method = request.method().clone();
    let client: Option<IpAddr> = request.extensions().get::<ClientAddress>().map(|c| c.0);
    let span = tracing::info_span!("request", request.id = %request_id);
    let response = next.run(request).instrument(span).await;
    let facts = facts.take();
    let route = facts
        .route
        .as_deref()
        .or(facts.rpc.as_deref())
        .unwrap_or("unmatched");
    tracing::info!(
        request.id = %request_id,
        http.method = %method,
        http.route = route,
        http.status = response.status().as_u16(),
        grpc.code = facts.grpc_code.map(code_name),
        latency_ms = (started.elapsed().as_secs_f64() * 100_000.0).round() / 100.0,
        user.id = facts.user_id,
        api_key.id = facts.api_key_id,
        client.ip = client.map(display),
        "request"
    );
    response
}

/// On the fixed HTTP routes (health, well-known documents, SSO browser legs): notes the
/// route as axum matched it.
pub async fn note_matched_route(request: Request, next: Next) -> Response {
    let extensions = request.extensions();
    if let (Some(matched), Some(facts)) = (
        extensions.get::<MatchedPath>(),
        extensions.get::<RequestFacts>(),
    ) {
        facts.note_route(matched.as_str());
    }
    next.run(request).await
}

/// Keeps a client's own `x-request-id` only when it is a plain token (letters, digits, `-`,
/// `_`, `.`; at most 64), so a log line cannot be forged through it; otherwise the server
/// makes one.
pub async fn drop_unfit_request_id(mut request: Request, next: Next) -> Response {
    let unfit = request
        .headers()
        .get(REQUEST_ID)
        .is_some_and(|value| !fit_request_id(value));
    if unfit {
        request.headers_mut().remove(REQUEST_ID);
    }
    next.run(request).await
}

fn fit_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn only_plain_request_ids_are_kept() {
        for (id, fit) in [
            ("0199c1a2-7e4b-7cc0-8f00-0123456789ab", true),
            ("trace.abc_123", true),
            ("", false),
            ("a b", false),
            ("x\" user.id=\"someone", false),
            (&"a".repeat(65), false),
        ] {
            assert_eq!(
                fit_request_id(&HeaderValue::from_str(id).unwrap()),
                fit,
                "{id:?}"
            );
        }
    }
}
