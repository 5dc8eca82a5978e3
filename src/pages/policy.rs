//! The headers every hosted page carries. Pages hold one-time tokens in their URL and form
//! tokens in their body, so: no referrer (the logo's host must not learn the URL), no cache,
//! no framing (clickjacking a "Sign in" button), and a Content-Security-Policy that allows no
//! script at all and styles only from the pages' own stylesheet.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use http::{HeaderName, HeaderValue, header};

use crate::config::UiTheme;

/// `default-src 'none'` with the few sources a page uses: its stylesheet, the operator's logo
/// (its origin only), forms posting back to Janua.
pub(super) fn content_security_policy(theme: &UiTheme) -> Arc<HeaderValue> {
    Arc::new(policy_with_form_target(theme, None, None))
}

/// The pages' policy, with `form_target` (an application's origin, where a form's answer
/// may redirect) allowed as a form action too: browsers check `form-action` on redirects.
/// With `script_nonce`, the one inline script carrying it may run and call Janua's API
/// (the passkey sign-in); no other script can.
pub(super) fn policy_with_form_target(
    theme: &UiTheme,
    form_target: Option<&str>,
    script_nonce: Option<&str>,
) -> HeaderValue {
    let images = match &theme.logo_url {
        Some(logo) => format!("img-src {}; ", logo.origin().ascii_serialization()),
        None => String::new(),
    };
    let target = form_target.map(|t| format!(" {t}")).unwrap_or_default();
    let scripts = script_nonce
        .map(|nonce| format!("script-src 'nonce-{nonce}'; connect-src 'self'; "))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'none'; style-src 'self'; {images}{scripts}form-action 'self'{target}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    // The theme was validated at start-up (an https URL's origin has no quote or newline);
    // a form target is a registered redirect URI's origin (ASCII, no spaces or quotes).
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

pub(super) async fn add_security_headers(
    State(csp): State<Arc<HeaderValue>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A page whose form may end in a redirect to an application sets its own policy (the
    // same, with that application's origin added to `form-action`).
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, (*csp).clone());
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // For browsers older than CSP's frame-ancestors.
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}
