//! `/verify-email?token=`: a button that proves the mailbox (VerifyEmail's domain function).

use std::sync::Arc;

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};

use super::{
    Pages,
    form::{Confirmation, Submission},
    view::{DEAD_LINK, Page, Trouble},
};

pub(super) const PATH: &str = "/verify-email";
const FORM: &str = "verify-email";

/// `GET`: the button; the token stays unspent.
pub(super) const PAGE: Confirmation = Confirmation {
    form: FORM,
    action: PATH,
    title: "Verify your email address",
    intro: "Confirm that this email address is yours.",
    button: "Verify my email address",
};

/// `POST`: spends the token.
pub(super) async fn submit(
    State(pages): State<Arc<Pages>>,
    submission: Submission,
) -> Result<Response, Page> {
    let (posted, client) = pages.accepted(FORM, submission)?;
    Ok(
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
        },
    )
}
