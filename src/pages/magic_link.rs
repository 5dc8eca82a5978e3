//! `/magic-link?token=`: a "Sign in" button spends the link (VerifyMagicLink's domain
//! function); an account with a second factor is then asked for it (VerifyMfaChallenge's),
//! never signed in on the link alone. See `session` for what "signed in" means here.

use std::sync::Arc;

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};

use super::{
    Pages,
    form::{Confirmation, Posted, Submission},
    second_factor::{self, SecondFactorForm},
    session::{FirstFactor, SignedInHere},
    view::{DEAD_LINK, Page, Trouble},
};
use crate::audit::ClientInfo;

pub(super) const PATH: &str = "/magic-link";
const FORM: &str = "magic-link";
const NOT_SIGNED_IN: &str = "You were not signed in";

/// `GET`: the button; the token stays unspent.
pub(super) const PAGE: Confirmation = Confirmation {
    form: FORM,
    action: PATH,
    title: "Sign in",
    intro: "Sign in with the link you asked for.",
    button: "Sign in",
};

/// `POST`: the link (spent here), or the second factor it led to.
pub(super) async fn submit(
    State(pages): State<Arc<Pages>>,
    submission: Submission,
) -> Result<Response, Page> {
    let (posted, client) = pages.accepted(FORM, submission)?;
    let not_signed_in =
        |trouble: &Trouble| pages.message(trouble.status, NOT_SIGNED_IN, &trouble.message);
    if posted.step == second_factor::STEP {
        let signed_in = pages
            .second_factor_step(&posted, &client, &form_of(&posted), not_signed_in)
            .await?;
        return signed_in_page(&pages, signed_in, &client).await;
    }
    let first = match pages.auth.verify_magic_link(&posted.token, &client).await {
        Ok(outcome) => pages.first_factor(outcome).await,
        Err(error) => Err(error),
    };
    match first {
        Ok(FirstFactor::SignedIn(signed_in)) => signed_in_page(&pages, signed_in, &client).await,
        Ok(FirstFactor::SecondFactorNeeded { challenge_id }) => {
            let form = SecondFactorForm {
                challenge_id: &challenge_id,
                ..form_of(&posted)
            };
            Ok(pages
                .second_factor_form(&form, second_factor::Shown::Fresh)
                .await
                .into_response())
        }
        Err(error) => Err(not_signed_in(&Trouble::of(error, DEAD_LINK))),
    }
}

/// The second-factor form of this page (no token to carry: the link is spent).
fn form_of(posted: &Posted) -> SecondFactorForm<'_> {
    SecondFactorForm {
        action: PATH,
        csrf_token: &posted.csrf_token,
        challenge_id: &posted.challenge_id,
        token: None,
    }
}

async fn signed_in_page(
    pages: &Pages,
    signed_in: SignedInHere,
    client: &ClientInfo,
) -> Result<Response, Page> {
    if let Err(error) = pages.end_session(&signed_in, client).await {
        let trouble = Trouble::of(error, DEAD_LINK);
        return Err(pages.message(trouble.status, NOT_SIGNED_IN, &trouble.message));
    }
    let text = format!("You are signed in as {}.", signed_in.email);
    Ok(pages
        .done(
            "Signed in",
            &text,
            Some("The link worked and your email address is confirmed. There is no app to continue to from here, so you can close this page."),
        )
        .into_response())
}
