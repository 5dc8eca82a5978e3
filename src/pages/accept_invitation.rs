//! `/accept-invitation?token=`: the invitee proves who they are — email and password through
//! Login's domain function (which counts every attempt against the brute-force limits), then
//! the second factor when the account has one — and accepts with that account
//! (AcceptInvitation's domain function, which checks the address is the invitation's).

use std::sync::Arc;

use askama::Template;
use axum::{
    Extension,
    extract::{Form, State, rejection::FormRejection},
    response::{IntoResponse, Response},
};
use http::{HeaderMap, StatusCode, Uri};

use super::{
    Pages,
    form::{Posted, link_token},
    second_factor::{self, SecondFactorForm},
    session::{FirstFactor, SignedInHere},
    view::{DEAD_LINK, Page, Trouble, about_field},
};
use crate::{
    audit::ClientInfo, client_address::ClientAddress, config::UiTheme, credentials::Email, rpc,
    store::organizations,
};

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
                email_error: trouble
                    .and_then(|t| t.about("email"))
                    .map(|d| about_field("The email address", &d)),
                password_error: trouble
                    .and_then(|t| t.about("password"))
                    .map(|d| about_field("The password", &d)),
            },
        )
    }
}

/// `GET`: the sign-in form; the invitation stays pending.
pub(super) async fn show(
    State(pages): State<Arc<Pages>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some(token) = link_token(&uri) else {
        return pages.incomplete_link().into_response();
    };
    let form = pages.form_token(FORM, &headers);
    pages
        .invitation_sign_in(StatusCode::OK, &form.csrf_token, &token, "", None)
        .with_cookie(form.cookie)
        .into_response()
}

/// `POST`: the password sign-in, or its second factor; then the acceptance.
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
            Ok(signed_in) => accept(&pages, signed_in, &posted, &client).await,
            Err(error) => {
                let (trouble, recovery) = second_factor::answer_trouble(error, &posted);
                if trouble.dead_link {
                    // The invitation is still pending: signing in again from the link works.
                    return sign_in_again(&pages, &posted, &trouble);
                }
                pages
                    .second_factor_form(&form_of(&posted), Some((&trouble, recovery)))
                    .into_response()
            }
        };
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
            pages.second_factor_form(&form, None).into_response()
        }
        Err(error) => sign_in_again(
            &pages,
            &posted,
            &Trouble::of(error, "The email address or password is not right."),
        ),
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

fn sign_in_again(pages: &Pages, posted: &Posted, trouble: &Trouble) -> Response {
    pages
        .invitation_sign_in(
            trouble.status,
            &posted.csrf_token,
            &posted.token,
            &posted.email,
            Some(trouble),
        )
        .into_response()
}

/// Accepts as the account just signed in, then ends that session whatever the answer.
async fn accept(
    pages: &Pages,
    signed_in: SignedInHere,
    posted: &Posted,
    client: &ClientInfo,
) -> Response {
    let accepted = pages
        .orgs
        .accept_invitation(&signed_in.principal, &posted.token, client)
        .await;
    let ended = pages.end_session(&signed_in, client).await;
    let joined = match (accepted, ended) {
        (Ok((membership, _)), Ok(())) => membership,
        (Err(error), _) | (Ok(_), Err(error)) => {
            let trouble = Trouble::of(error, DEAD_LINK);
            return pages
                .message(trouble.status, NOT_ACCEPTED, &trouble.message)
                .into_response();
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
    pages
        .done("Invitation accepted", &text, Some(&detail))
        .into_response()
}
