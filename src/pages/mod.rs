//! The hosted pages: Janua's own HTML for the links it mails (verify an address, reset a
//! password, sign in with a magic link, accept an invitation) and the OpenID Provider's
//! authorization endpoint, sign-in, consent and logout (`provider`), on one layer:
//! templates compiled into the binary (`view`), the operator's theme, per-form CSRF tokens
//! bound to a cookie (`csrf`) and the security headers every page carries (`policy`).
//!
//! Each page is a plain HTML form that works without JavaScript. A GET only shows a form:
//! mail scanners open links, so a token is spent only by the POST the form sends. The pages
//! call the capabilities' public domain functions — the same ones the RPCs call — and never
//! their stores; nothing below imports this module.

mod accept_invitation;
mod cookies;
mod csrf;
mod form;
mod magic_link;
mod policy;
pub mod provider;
mod reset_password;
mod second_factor;
mod session;
mod verify_email;
mod view;

use std::sync::Arc;

use axum::{Router, routing::get};
use url::Url;

use crate::{
    auth::{Authentication, Authenticator},
    config::UiTheme,
    mfa::Mfa,
    oauth::provider::AuthorizationServer,
    orgs::Organizations,
    sso::Sso,
    store::Db,
};
use csrf::FormGuard;
pub use csrf::FormKey;
use form::one_button_page;
use view::Stylesheet;

/// What the pages need: the capabilities they call, and how they present and guard forms.
pub struct Pages {
    auth: Arc<Authentication>,
    mfa: Arc<Mfa>,
    orgs: Arc<Organizations>,
    /// Reads the access token a page's own sign-in got, as the access layer would.
    authenticator: Arc<Authenticator>,
    /// For an organization's name (`store::organizations`, a shared-table query).
    db: Db,
    forms: FormGuard,
    /// The OpenID Provider's domain (authorization requests, consent, logout).
    provider: Arc<AuthorizationServer>,
    /// The Janua browser session cookie.
    sessions: provider::browser_session::SessionCookie,
    /// The "continue with" buttons' SSO sign-ins.
    sso: Arc<Sso>,
    /// The public base URL (where SSO sign-ins started here return).
    issuer: Url,
    secure_cookies: bool,
    theme: UiTheme,
    stylesheet: Stylesheet,
}

/// The collaborators and settings `Pages::new` takes, wired once at start-up.
pub struct PageSettings {
    pub auth: Arc<Authentication>,
    pub mfa: Arc<Mfa>,
    pub orgs: Arc<Organizations>,
    pub authenticator: Arc<Authenticator>,
    pub db: Db,
    pub provider: Arc<AuthorizationServer>,
    pub sso: Arc<Sso>,
    pub form_key: FormKey,
    /// The public base URL (`JANUA_ISSUER`): form posts must come from its origin.
    pub issuer: Url,
    /// `__Host-` cookies with `Secure` (production, or an https issuer).
    pub secure_cookies: bool,
    pub theme: UiTheme,
}

impl Pages {
    pub fn new(settings: PageSettings) -> anyhow::Result<Self> {
        Ok(Self {
            auth: settings.auth,
            mfa: settings.mfa,
            orgs: settings.orgs,
            authenticator: settings.authenticator,
            db: settings.db,
            sessions: provider::browser_session::SessionCookie::new(
                &settings.form_key,
                settings.secure_cookies,
            ),
            forms: FormGuard::new(settings.form_key, &settings.issuer, settings.secure_cookies)?,
            provider: settings.provider,
            sso: settings.sso,
            issuer: settings.issuer.clone(),
            secure_cookies: settings.secure_cookies,
            stylesheet: Stylesheet::render(&settings.theme)?,
            theme: settings.theme,
        })
    }
}

/// The pages' routes, with the pages as their state, for the server to merge into its router
/// (whatever that router's own state). Every answer carries the pages' security headers.
pub fn router<S: Clone + Send + Sync + 'static>(pages: Arc<Pages>) -> Router<S> {
    let csp = policy::content_security_policy(&pages.theme);
    Router::new()
        .route(
            verify_email::PATH,
            one_button_page(&verify_email::PAGE).post(verify_email::submit),
        )
        .route(
            reset_password::PATH,
            get(reset_password::show).post(reset_password::submit),
        )
        .route(
            magic_link::PATH,
            one_button_page(&magic_link::PAGE).post(magic_link::submit),
        )
        .route(
            accept_invitation::PATH,
            get(accept_invitation::show).post(accept_invitation::submit),
        )
        .route(view::STYLESHEET_PATH, get(view::stylesheet))
        .merge(provider::routes())
        .layer(axum::middleware::from_fn_with_state(
            csp,
            policy::add_security_headers,
        ))
        .with_state(pages)
}
