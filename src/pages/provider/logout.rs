//! `/oauth/logout`, the end-session endpoint (OpenID Connect RP-Initiated Logout 1.0), GET
//! or POST from the application. A request the provider confirms (a valid `id_token_hint`
//! for the browser's user) signs out at once; any other asks first with a "Sign out" form
//! (POST, CSRF-guarded), which carries the request's parameters. Signed out, the browser
//! goes to the validated `post_logout_redirect_uri` with `state`, or sees a signed-out page.

use std::sync::Arc;

use askama::Template;
use axum::{
    Extension,
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use http::{HeaderMap, StatusCode, header};

use super::{LOGOUT_PATH, with_form_target};
use crate::{
    audit::ClientInfo,
    client_address::ClientAddress,
    config::UiTheme,
    oauth::provider::end_session::{Logout, LogoutRequest},
    pages::{
        Pages,
        form::Submission,
        view::{Page, Trouble},
    },
};

const FORM: &str = "oauth-logout";
const CONFIRM_STEP: &str = "confirm_logout";

#[derive(Template)]
#[template(path = "oauth_logout.html", config = "src/pages/askama.toml")]
struct LogoutPage<'a> {
    theme: &'a UiTheme,
    title: &'a str,
    email: Option<&'a str>,
    action: &'a str,
    csrf_token: &'a str,
    client_id: Option<&'a str>,
    post_logout_redirect_uri: Option<&'a str>,
    state: Option<&'a str>,
}

/// `GET` from the application.
pub(in crate::pages) async fn requested(
    State(pages): State<Arc<Pages>>,
    Query(request): Query<LogoutRequest>,
    headers: HeaderMap,
    address: Option<Extension<ClientAddress>>,
) -> Response {
    let client = crate::rpc::client_of(&headers, address.as_ref().map(|Extension(a)| a));
    pages.logout(&request, &headers, &client, false).await
}

/// `POST`: the application's request (form-encoded), or the confirmation form's answer.
pub(in crate::pages) async fn posted(
    State(pages): State<Arc<Pages>>,
    headers: HeaderMap,
    submission: Submission,
) -> Response {
    let confirming = submission
        .form()
        .is_some_and(|posted| posted.step == CONFIRM_STEP);
    let (posted, client, confirmed) = if confirming {
        match pages.accepted(FORM, submission) {
            Ok((posted, client)) => (posted, client, true),
            Err(page) => return page.into_response(),
        }
    } else {
        let client = submission.client();
        match submission.into_form() {
            Some(posted) => (posted, client, false),
            None => {
                return pages
                    .message(
                        StatusCode::BAD_REQUEST,
                        "Sign-out refused",
                        "The request did not arrive as sent.",
                    )
                    .into_response();
            }
        }
    };
    let non_empty = |value: &str| Some(value.to_owned()).filter(|v| !v.is_empty());
    let request = LogoutRequest {
        id_token_hint: non_empty(&posted.id_token_hint),
        client_id: non_empty(&posted.client_id),
        post_logout_redirect_uri: non_empty(&posted.post_logout_redirect_uri),
        state: non_empty(&posted.state),
    };
    pages.logout(&request, &headers, &client, confirmed).await
}

impl Pages {
    async fn logout(
        &self,
        request: &LogoutRequest,
        headers: &HeaderMap,
        client: &ClientInfo,
        confirmed_by_user: bool,
    ) -> Response {
        let session = self.browser_session(headers).await;
        let logout = match self
            .provider
            .logout_request(request, session.as_ref())
            .await
        {
            Ok(logout) => logout,
            Err(error) => {
                let trouble = Trouble::of(error, "The sign-out request is not valid.");
                return self
                    .message(
                        StatusCode::BAD_REQUEST,
                        "Sign-out refused",
                        &trouble.message,
                    )
                    .into_response();
            }
        };
        let Some(session) = session else {
            return self.signed_out(&logout);
        };
        if !logout.confirmed && !confirmed_by_user {
            return self.logout_confirmation(request, &logout, &session.user.email, headers);
        }
        if let Err(error) = self.provider.end_browser_session(&session, client).await {
            return self.failed(error);
        }
        let mut response = self.signed_out(&logout);
        if let Some(cookie) = self.sessions.clear() {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }

    fn signed_out(&self, logout: &Logout) -> Response {
        match &logout.redirect {
            Some(to) => Redirect::to(to).into_response(),
            None => self
                .done(
                    "Signed out",
                    "You are signed out. You can close this page.",
                    None,
                )
                .into_response(),
        }
    }

    fn logout_confirmation(
        &self,
        request: &LogoutRequest,
        logout: &Logout,
        email: &str,
        headers: &HeaderMap,
    ) -> Response {
        let secret = self.forms.browser_secret(headers);
        let csrf_token = self.forms.token(FORM, &secret);
        let page = Page::ok(&LogoutPage {
            theme: &self.theme,
            title: "Sign out",
            email: Some(email),
            action: LOGOUT_PATH,
            csrf_token: &csrf_token,
            // The hint is not carried: the user's confirmation replaces it.
            client_id: logout.client_id.as_deref(),
            post_logout_redirect_uri: logout
                .redirect
                .as_ref()
                .and(request.post_logout_redirect_uri.as_deref()),
            state: request.state.as_deref(),
        })
        .with_cookie(self.forms.set_cookie(&secret))
        .into_response();
        match &logout.redirect {
            Some(to) => with_form_target(self, page, to),
            None => page,
        }
    }
}
