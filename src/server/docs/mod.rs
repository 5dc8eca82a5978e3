//! The API reference: `GET /openapi.json` (the document generated from the contract at
//! start-up) and `GET /docs`, Swagger UI rendering it. Swagger UI is vendored into the
//! binary from the npm package `swagger-ui-dist` (pinned in package.json; the copies in
//! `swagger-ui-dist/` are checked against it by `openapi/check`), so the page loads nothing
//! from anywhere else, and its Content-Security-Policy allows nothing else: scripts,
//! styles and requests from this origin only (no inline script), images also as `data:`
//! URLs (Swagger UI's stylesheet draws its icons so).

use axum::{Router, response::IntoResponse, routing::get};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, header};

const PAGE: &str = include_str!("index.html");
const INIT: &str = include_str!("init.js");
const BUNDLE: &str = include_str!("swagger-ui-dist/swagger-ui-bundle.js");
const STYLES: &str = include_str!("swagger-ui-dist/swagger-ui.css");

/// The policy of the `/docs` page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

type Headers = [(HeaderName, HeaderValue); 3];

/// The routes, serving `document` (the JSON text) as `/openapi.json`.
pub fn router<S: Clone + Send + Sync + 'static>(document: String) -> Router<S> {
    let document = Bytes::from(document);
    Router::new()
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { (headers("application/json"), document) }
            }),
        )
        .route("/docs", get(page))
        .route("/docs/init.js", get(|| asset("text/javascript", INIT)))
        .route(
            "/docs/swagger-ui-bundle.js",
            get(|| asset("text/javascript", BUNDLE)),
        )
        .route("/docs/swagger-ui.css", get(|| asset("text/css", STYLES)))
}

async fn page() -> impl IntoResponse {
    let [content_type, nosniff, referrer] = headers("text/html; charset=utf-8");
    (
        [
            content_type,
            nosniff,
            referrer,
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
        ],
        PAGE,
    )
}

async fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (headers(content_type), body)
}

fn headers(content_type: &'static str) -> Headers {
    [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ]
}
