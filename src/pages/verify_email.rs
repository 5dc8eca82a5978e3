//! `/verify-email?token=`: a button that proves the mailbox (VerifyEmail's domain function).

use std::sync::Arc;

use axum::{
    Extension,
    extract::{Form, State, rejection::FormRejection},
    response::{IntoResponse, Response},
};
use http::{HeaderMap, Uri};

use super::{
    Pages,
    form::{Posted, link_token},
    view::{ConfirmPage, DEAD_LINK, Page, Trouble},
};
use crate::{client_address::ClientAddress, rpc};

pub(super) const PATH: &str = "/verify-email";
const FORM: &str = "verify-email";

/// `GET`: the form; the token stays unspent.
pub(super) async fn show(
    State(pages): State<Arc<Pages>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some(token) = link_token(&uri) else {
        return pages.incomplete_link().into_response();
    };
    let form = pages.form_token(FORM, &headers);
    Page::ok(&ConfirmPage {
        theme: &pages.theme,
        title: "Verify your email address",
        intro: "Confirm that this email address is yours.",
        button: "Verify my email address",
        action: PATH,
        csrf_token: &form.csrf_token,
        token: &token,
    })
    .with_cookie(form.cookie)
    .into_response()
}

/// `POST`: spends the token.
pub(super) async fn submit(
    State(pages): State<Arc<Pages>>,
    headers: HeaderMap,
    address: Option<Extension<ClientAddress>>,
    posted: Result<Form<Posted>, FormRejection>,
) -> Response {
    let posted = match pages.accepted(FORM, &headers, posted) {
        Ok(posted) => posted,
        Err(refused) => return refused.into_response(),
    };
    let client = rpc::client_of(&headers, address.as_ref().map(|Extension(a)| a));
    match pages.auth.verify_email(&posted.token, &client).await {
        Ok(()) => pages
            .done(
                "Email address verified",
                "Your email address is verified.",
                None,
            )
            .into_response(),
        Err(error) => {
            let trouble = Trouble::of(error, DEAD_LINK);
            pages
                .message(
                    trouble.status,
                    "The address was not verified",
                    &trouble.message,
                )
                .into_response()
        }
    }
}
