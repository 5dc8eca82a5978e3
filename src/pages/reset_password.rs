//! `/reset-password?token=`: a new password, twice (ResetPassword's domain function). The
//! domain's password policy speaks on the form, beside the field; a refused password leaves
//! the link unspent.

use std::sync::Arc;

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use http::{HeaderMap, StatusCode, Uri};

use super::{
    Pages,
    form::Submission,
    view::{Page, Trouble},
};
use crate::{config::UiTheme, credentials::MIN_PASSWORD_CHARS};

pub(super) const PATH: &str = "/reset-password";
const FORM: &str = "reset-password";

#[derive(Template)]
#[template(path = "reset_password.html", config = "src/pages/askama.toml")]
struct ResetPage<'a> {
    theme: &'a UiTheme,
    title: &'a str,
    action: &'a str,
    csrf_token: &'a str,
    token: &'a str,
    hint: String,
    problem: Option<String>,
    new_password_error: Option<String>,
    confirm_password_error: Option<String>,
}

impl Pages {
    fn reset_form(
        &self,
        status: StatusCode,
        csrf_token: &str,
        token: &str,
        trouble: Option<&Trouble>,
    ) -> Page {
        Page::new(
            status,
            &ResetPage {
                theme: &self.theme,
                title: "Choose a new password",
                action: PATH,
                csrf_token,
                token,
                hint: format!(
                    "At least {MIN_PASSWORD_CHARS} characters; not a common password, not your email address."
                ),
                problem: trouble.and_then(|t| t.form_wide(&["new_password", "confirm_password"])),
                new_password_error: trouble
                    .and_then(|t| t.on_field("new_password", "The password")),
                confirm_password_error: trouble
                    .and_then(|t| t.on_field("confirm_password", "The repeated password")),
            },
        )
    }
}

/// `GET`: the form; the token stays unspent.
pub(super) async fn show(
    State(pages): State<Arc<Pages>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let link = pages.opened_link(FORM, &uri, &headers)?;
    Ok(pages
        .reset_form(StatusCode::OK, &link.csrf_token, &link.token, None)
        .with_cookie(link.cookie)
        .into_response())
}

/// `POST`: sets the password, which spends the token and ends every session.
pub(super) async fn submit(
    State(pages): State<Arc<Pages>>,
    submission: Submission,
) -> Result<Response, Page> {
    let (posted, client) = pages.accepted(FORM, submission)?;
    let again = |trouble: &Trouble| {
        pages.reset_form(
            trouble.status,
            &posted.csrf_token,
            &posted.token,
            Some(trouble),
        )
    };
    if posted.new_password != posted.confirm_password {
        return Err(again(&Trouble {
            status: StatusCode::BAD_REQUEST,
            message: "does not match the new password".into(),
            field: Some("confirm_password".into()),
            dead_link: false,
        }));
    }
    let reset = pages
        .auth
        .reset_password(&posted.token, &posted.new_password, &client)
        .await;
    match reset {
        Ok(()) => Ok(pages
            .done(
                "Password changed",
                "Your password is changed.",
                Some("Every session of your account was signed out: sign in again with the new password."),
            )
            .into_response()),
        Err(error) => {
            let trouble = Trouble::of(error, "The password was not accepted.");
            if trouble.dead_link {
                return Err(pages.message(
                    trouble.status,
                    "The password was not changed",
                    &trouble.message,
                ));
            }
            Err(again(&trouble))
        }
    }
}
