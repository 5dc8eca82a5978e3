//! `/accept-invitation?token=`: the invitee proves who they are — email and password through
//! Login's domain function (which counts every attempt against the brute-force limits), then
//! the second factor when the account has one — and accepts with that account
//! (AcceptInvitation's domain function, which checks the address is the invitation's).

use std::sync::Arc;

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use http::{HeaderMap, StatusCode, Uri};

use super::{
    Pages,
    form::{Posted, Submission},
    second_factor::{self, SecondFactorForm},
    session::{FirstFactor, SignedInHere},
    view::{DEAD_LINK, Page, Trouble},
};
use crate::{audit::ClientInfo, config::UiTheme, credentials::Email, store::organizations};

pub(super) const PATH: &str = "/accept-invitation";
const FORM: &str = "accept-invitation";
const NOT_ACCEPTED: &str = "The invitation was not accepted";

#[derive(Template)]
#[template(path = "sign_in.html", config = "src/pages/askama.toml")]
struct SignInPage<'a> {
    theme: &'a UiTheme,
    title: &'a str,
    intro: &'a str,
    button: &'a str,
    action: &'a str,
    csrf_token: &'a str,
    token: &'a str,
    email: &'a str,
    problem: Option<String>,
    email_error: Option<String>,
    password_error: Option<String>,
}

impl Pages {
    fn invitation_sign_in(
        &self,
        status: StatusCode,
        csrf_token: &str,
        token: &str,
        email: &str,
        trouble: Option<&Trouble>,
    ) -> Page {
        Page::new(
            status,
            &SignInPage {
                theme: &self.theme,
                title: "Accept the invitation",
                intro: "Sign in with the email address the invitation was sent to, and you join the organization.",
                button: "Sign in and accept",
                action: PATH,
                csrf_token,
                token,
                email,
                problem: trouble.and_then(|t| t.form_wide(&["email", "password"])),
                email_error: trouble.and_then(|t| t.on_field("email", "The email address")),
                password_error: trouble.and_then(|t| t.on_field("password", "The password")),
            },
        )
    }
}

/// `GET`: the sign-in form; the invitation stays pending.
pub(super) async fn show(
    State(pages): State<Arc<Pages>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let link = pages.opened_link(FORM, &uri, &headers)?;
    Ok(pages
        .invitation_sign_in(StatusCode::OK, &link.csrf_token, &link.token, "", None)
        .with_cookie(link.cookie)
        .into_response())
}

/// `POST`: the password sign-in, or its second factor; then the acceptance.
pub(super) async fn submit(
    State(pages): State<Arc<Pages>>,
    submission: Submission,
) -> Result<Response, Page> {
    let (posted, client) = pages.accepted(FORM, submission)?;
    if posted.step == second_factor::STEP {
        // A dead challenge leaves the invitation pending: signing in again from the link works.
        let sign_in_again = |trouble: &Trouble| sign_in_again(&pages, &posted, trouble);
        let signed_in = pages
            .second_factor_step(&posted, &client, &form_of(&posted), sign_in_again)
            .await?;
        return accept(&pages, signed_in, &posted, &client).await;
    }
    let first = match Email::parse("email", &posted.email) {
        Ok(email) => match pages.auth.login(&email, &posted.password, &client).await {
            Ok(outcome) => pages.first_factor(outcome).await,
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    match first {
        Ok(FirstFactor::SignedIn(signed_in)) => accept(&pages, signed_in, &posted, &client).await,
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
        Err(error) => {
            let trouble = Trouble::of(error, "The email address or password is not right.");
            Err(sign_in_again(&pages, &posted, &trouble))
        }
    }
}

/// The second-factor form of this page; it carries the invitation's token along.
fn form_of(posted: &Posted) -> SecondFactorForm<'_> {
    SecondFactorForm {
        action: PATH,
        csrf_token: &posted.csrf_token,
        challenge_id: &posted.challenge_id,
        token: Some(&posted.token),
    }
}

fn sign_in_again(pages: &Pages, posted: &Posted, trouble: &Trouble) -> Page {
    pages.invitation_sign_in(
        trouble.status,
        &posted.csrf_token,
        &posted.token,
        &posted.email,
        Some(trouble),
    )
}

/// Accepts as the account just signed in, then ends that session whatever the answer.
async fn accept(
    pages: &Pages,
    signed_in: SignedInHere,
    posted: &Posted,
    client: &ClientInfo,
) -> Result<Response, Page> {
    let accepted = pages
        .orgs
        .accept_invitation(&signed_in.principal, &posted.token, client)
        .await;
    let ended = pages.end_session(&signed_in, client).await;
    let joined = match (accepted, ended) {
        (Ok((membership, _)), Ok(())) => membership,
        (Err(error), _) | (Ok(_), Err(error)) => {
            let trouble = Trouble::of(error, DEAD_LINK);
            return Err(pages.message(trouble.status, NOT_ACCEPTED, &trouble.message));
        }
    };
    let organization = organizations::find_organization(&pages.db, &joined.organization_id)
        .await
        .ok()
        .flatten()
        .map_or_else(|| "the organization".to_owned(), |o| o.name);
    let text = format!("You joined {organization} as {}.", joined.role);
    let detail = format!(
        "You signed in as {} to accept. There is no app to continue to from here, so you can close this page.",
        signed_in.email
    );
    Ok(pages
        .done("Invitation accepted", &text, Some(&detail))
        .into_response())
}
