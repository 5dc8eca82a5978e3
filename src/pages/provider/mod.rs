//! The OpenID Provider's hosted pages: `/oauth/authorize` (the authorization endpoint),
//! the sign-in page (email and password, then the second factor), the consent page and
//! RP-initiated logout (`/oauth/logout`), over the authorization server's domain functions
//! (`oauth::provider`). Plain HTML forms, no script; a Janua browser session cookie
//! (`browser_session`) gives single sign-on across applications and serves `prompt=none`.
//!
//! Each page of a request carries its interaction id (the `token` field); forms are
//! guarded like every page's (`csrf`). A page whose answer may redirect to an application
//! adds that application's origin to its `form-action` (browsers check redirects too).

pub(super) mod browser_session;
mod consent;
mod logout;
mod sign_in;
mod sso;

use std::sync::Arc;

use axum::{
    Extension, Router,
    extract::{RawQuery, State},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::{
    Pages, policy,
    view::{Page, Trouble},
};
use crate::{
    audit::ClientInfo,
    auth::LiveSession,
    client_address::ClientAddress,
    oauth::provider::{Refusal, authorize::Next, interaction::Interaction},
};

pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
pub const SIGN_IN_PATH: &str = "/oauth/sign-in";
pub const CONSENT_PATH: &str = "/oauth/consent";
pub const LOGOUT_PATH: &str = "/oauth/logout";
/// Where a "continue with" button starts an SSO sign-in.
pub const SSO_START_PATH: &str = "/oauth/sign-in/continue";
/// Where an SSO sign-in started here comes back (an allowed SSO redirect URI).
pub const SSO_RETURN_PATH: &str = "/oauth/sign-in/sso";

pub(super) fn routes() -> Router<Arc<Pages>> {
    Router::new()
        .route(AUTHORIZE_PATH, get(authorize).post(authorize_posted))
        .route(SIGN_IN_PATH, get(sign_in::show).post(sign_in::submit))
        .route(SSO_START_PATH, get(sso::start))
        .route(SSO_RETURN_PATH, get(sso::returned))
        .route(CONSENT_PATH, get(consent::show).post(consent::submit))
        .route(LOGOUT_PATH, get(logout::requested).post(logout::posted))
}

/// `GET /oauth/authorize`: check the request, keep it, and take its next step.
async fn authorize(
    State(pages): State<Arc<Pages>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    address: Option<Extension<ClientAddress>>,
) -> Response {
    let client = crate::rpc::client_of(&headers, address.as_ref().map(|Extension(a)| a));
    authorization(&pages, query.as_deref().unwrap_or(""), &headers, &client).await
}

/// `POST /oauth/authorize` (OIDC Core §3.1.2.1: GET and POST alike), the parameters
/// form-encoded in the body.
async fn authorize_posted(
    State(pages): State<Arc<Pages>>,
    headers: HeaderMap,
    address: Option<Extension<ClientAddress>>,
    body: axum::body::Bytes,
) -> Response {
    let client = crate::rpc::client_of(&headers, address.as_ref().map(|Extension(a)| a));
    let query = String::from_utf8_lossy(&body);
    authorization(&pages, &query, &headers, &client).await
}

async fn authorization(
    pages: &Pages,
    query: &str,
    headers: &HeaderMap,
    client: &ClientInfo,
) -> Response {
    let request = match pages.provider.authorization_request(query).await {
        Ok((request, _)) => request,
        Err(Refusal::Show(text)) => return pages.request_refused(StatusCode::BAD_REQUEST, &text),
        Err(Refusal::Redirect {
            redirect_uri,
            state,
            error,
        }) => {
            let to = pages
                .provider
                .redirect_with_error(&redirect_uri, state.as_deref(), &error);
            return Redirect::to(&to).into_response();
        }
        Err(Refusal::Failed(error)) => return pages.failed(error),
    };
    let interaction = Interaction {
        request,
        signed_in_session: None,
    };
    let session = pages.browser_session(headers).await;
    // Kept (in the cache) only when a page must be shown: a request answered at once, as
    // `prompt=none` always is, stores nothing.
    let next = match pages
        .provider
        .next_step(&interaction, session.as_ref(), client)
        .await
    {
        Ok(next) => next,
        Err(error) => return pages.failed(error),
    };
    let page = match next {
        Next::Redirect(to) => return Redirect::to(&to).into_response(),
        Next::SignIn => SIGN_IN_PATH,
        Next::Consent { .. } => CONSENT_PATH,
    };
    match pages.provider.begin_interaction(interaction.request).await {
        Ok(id) => Redirect::to(&format!("{page}?token={id}")).into_response(),
        Err(error) => pages.failed(error),
    }
}

impl Pages {
    /// The browser's live Janua session, if its cookie names one.
    pub(super) async fn browser_session(&self, headers: &HeaderMap) -> Option<LiveSession> {
        let session_id = self.sessions.session_id(headers)?;
        self.auth.live_session(&session_id).await.ok().flatten()
    }

    /// Answers with the interaction's next step: the redirect to the application, or the
    /// sign-in or consent page. `cookie`: a new browser session cookie to set with it.
    pub(super) async fn take_next_step(
        &self,
        id: &str,
        interaction: &Interaction,
        session: Option<&LiveSession>,
        client: &ClientInfo,
        cookie: Option<HeaderValue>,
    ) -> Response {
        let next = match self.provider.next_step(interaction, session, client).await {
            Ok(next) => next,
            Err(error) => return self.failed(error),
        };
        let mut response = match next {
            Next::Redirect(to) => {
                // Answered: the interaction is over (a failure to forget it only leaves it
                // to expire).
                let _ = self.provider.end_interaction(id).await;
                Redirect::to(&to).into_response()
            }
            Next::SignIn => Redirect::to(&format!("{SIGN_IN_PATH}?token={id}")).into_response(),
            Next::Consent { .. } => {
                Redirect::to(&format!("{CONSENT_PATH}?token={id}")).into_response()
            }
        };
        if let Some(cookie) = cookie {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }

    /// The interaction a page's `token` names, or the page saying it is over.
    pub(super) async fn live_interaction(&self, id: &str) -> Result<Interaction, Page> {
        match self.provider.interaction(id).await {
            Ok(Some(interaction)) => Ok(interaction),
            Ok(None) => Err(self.message(
                StatusCode::BAD_REQUEST,
                "Sign-in expired",
                "This sign-in has expired or is already finished. Go back to the application \
                 and start again.",
            )),
            Err(error) => Err(self.failure_page(error)),
        }
    }

    /// Janua's error page for a request that cannot go back to any application.
    fn request_refused(&self, status: StatusCode, text: &str) -> Response {
        self.message(status, "Sign-in request refused", text)
            .into_response()
    }

    pub(super) fn failed(&self, error: crate::error::Error) -> Response {
        self.failure_page(error).into_response()
    }

    pub(super) fn failure_page(&self, error: crate::error::Error) -> Page {
        let trouble = Trouble::of(error, "The sign-in failed.");
        self.message(trouble.status, "Sign-in failed", &trouble.message)
    }
}

/// The policy of a page whose form may redirect to `redirect_uri`'s origin.
pub(super) fn with_form_target(pages: &Pages, response: Response, redirect_uri: &str) -> Response {
    with_policy(pages, response, redirect_uri, None)
}

/// `with_form_target`, and the page's one script may run when it carries `script_nonce`.
pub(super) fn with_policy(
    pages: &Pages,
    mut response: Response,
    redirect_uri: &str,
    script_nonce: Option<&str>,
) -> Response {
    let origin = url::Url::parse(redirect_uri)
        .ok()
        .map(|url| url.origin().ascii_serialization());
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        policy::policy_with_form_target(&pages.theme, origin.as_deref(), script_nonce),
    );
    response
}

/// The interaction id a page's URL or form carries.
pub(super) fn interaction_id(query: Option<&str>) -> String {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}
