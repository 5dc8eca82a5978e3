//! `/magic-link?token=`: a "Sign in" button spends the link (VerifyMagicLink's domain
//! function); an account with a second factor is then asked for it (VerifyMfaChallenge's),
//! never signed in on the link alone. See `session` for what "signed in" means here.

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
    second_factor::{self, SecondFactorForm},
    session::{FirstFactor, SignedInHere},
    view::{ConfirmPage, DEAD_LINK, Page, Trouble},
};
use crate::{audit::ClientInfo, client_address::ClientAddress, rpc};

pub(super) const PATH: &str = "/magic-link";
const FORM: &str = "magic-link";
const NOT_SIGNED_IN: &str = "You were not signed in";

/// `GET`: the button; the link stays unspent.
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
        title: "Sign in",
        intro: "Sign in with the link you asked for.",
        button: "Sign in",
        action: PATH,
        csrf_token: &form.csrf_token,
        token: &token,
    })
    .with_cookie(form.cookie)
    .into_response()
}

/// `POST`: the link (spent here), or the second factor it led to.
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
    if posted.step == second_factor::STEP {
        return match pages.answer_second_factor(&posted, &client).await {
            Ok(signed_in) => signed_in_page(&pages, signed_in, &client).await,
            Err(error) => {
                let (trouble, recovery) = second_factor::answer_trouble(error, &posted);
                if trouble.dead_link {
                    return pages
                        .message(trouble.status, NOT_SIGNED_IN, &trouble.message)
                        .into_response();
                }
                pages
                    .second_factor_form(&form_of(&posted), Some((&trouble, recovery)))
                    .into_response()
            }
        };
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
            pages.second_factor_form(&form, None).into_response()
        }
        Err(error) => {
            let trouble = Trouble::of(error, DEAD_LINK);
            pages
                .message(trouble.status, NOT_SIGNED_IN, &trouble.message)
                .into_response()
        }
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

async fn signed_in_page(pages: &Pages, signed_in: SignedInHere, client: &ClientInfo) -> Response {
    if let Err(error) = pages.end_session(&signed_in, client).await {
        let trouble = Trouble::of(error, DEAD_LINK);
        return pages
            .message(trouble.status, NOT_SIGNED_IN, &trouble.message)
            .into_response();
    }
    let text = format!("You are signed in as {}.", signed_in.email);
    pages
        .done(
            "Signed in",
            &text,
            Some("The link worked and your email address is confirmed. There is no app to continue to from here, so you can close this page."),
        )
        .into_response()
}
