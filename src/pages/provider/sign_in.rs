//! The sign-in page of an authorization request: email and password, then the account's
//! second factor (the pages' shared second-factor form). A sign-in sets the browser session
//! cookie and records itself on the interaction (which satisfies `prompt=login` and
//! `max_age`), then the request takes its next step. Failures count against the same
//! brute-force limits as Login (they are Login's domain function).

use std::sync::Arc;

use askama::Template;
use axum::{
    extract::{RawQuery, State},
    response::{IntoResponse, Response},
};
use http::{HeaderMap, StatusCode};

use super::{SIGN_IN_PATH, SSO_START_PATH, interaction_id, with_form_target, with_policy};
use crate::{
    audit::ClientInfo,
    config::UiTheme,
    credentials::{Email, tokens},
    oauth::provider::interaction::Interaction,
    pages::{
        Pages,
        form::{Posted, Submission},
        second_factor::{self, SecondFactorForm},
        session::{FirstFactor, SignedInHere},
        view::{Page, Trouble},
    },
    sso::SignInChoice,
};

pub(super) const FORM: &str = "oauth-sign-in";
const PASSKEY_STEP: &str = "passkey";

#[derive(Template)]
#[template(path = "oauth_sign_in.html", config = "src/pages/askama.toml")]
struct SignInPage<'a> {
    theme: &'a UiTheme,
    title: &'a str,
    client_name: &'a str,
    action: &'a str,
    csrf_token: &'a str,
    interaction: &'a str,
    email: &'a str,
    problem: Option<String>,
    email_error: Option<String>,
    password_error: Option<String>,
    /// The nonce of the passkey script; None when the server offers no passkeys.
    passkey_nonce: Option<&'a str>,
    /// The "continue with" buttons.
    choices: Vec<SignInChoice>,
    sso_path: &'a str,
}

impl Pages {
    /// The sign-in page, with its policy (the script's nonce, the application's origin).
    async fn sign_in_page(
        &self,
        status: StatusCode,
        form: (&str, &str),
        interaction: &Interaction,
        email: &str,
        trouble: Option<&Trouble>,
    ) -> Response {
        let (csrf_token, id) = form;
        let client = match self.provider.request_client(&interaction.request).await {
            Ok(Some(client)) => client,
            Ok(None) => return self.failed(crate::error::Error::NotFound("oauth client")),
            Err(error) => return self.failed(error),
        };
        let choices = self
            .sso
            .sign_in_choices(&client.organization_id)
            .await
            .unwrap_or_default();
        let nonce = self.mfa.passkeys_enabled().then(tokens::new_opaque_token);
        let page = Page::new(
            status,
            &SignInPage {
                theme: &self.theme,
                title: "Sign in",
                client_name: &client.settings.name,
                action: SIGN_IN_PATH,
                csrf_token,
                interaction: id,
                email,
                problem: trouble.and_then(|t| t.form_wide(&["email", "password"])),
                email_error: trouble.and_then(|t| t.on_field("email", "The email address")),
                password_error: trouble.and_then(|t| t.on_field("password", "The password")),
                passkey_nonce: nonce.as_deref(),
                choices,
                sso_path: SSO_START_PATH,
            },
        );
        with_policy(
            self,
            page.into_response(),
            &interaction.request.redirect_uri,
            nonce.as_deref(),
        )
    }

    /// The sign-in page again, with `trouble` on it.
    pub(super) async fn sign_in_again(
        &self,
        posted: &Posted,
        interaction: &Interaction,
        trouble: &Trouble,
    ) -> Response {
        self.sign_in_page(
            trouble.status,
            (&posted.csrf_token, &posted.token),
            interaction,
            &posted.email,
            Some(trouble),
        )
        .await
    }
}

/// `GET`: the form, with the request's `login_hint` as the email.
pub(in crate::pages) async fn show(
    State(pages): State<Arc<Pages>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let id = interaction_id(query.as_deref());
    let interaction = pages.live_interaction(&id).await?;
    let secret = pages.forms.browser_secret(&headers);
    let csrf_token = pages.forms.token(FORM, &secret);
    let hint = interaction.request.login_hint.clone().unwrap_or_default();
    let mut response = pages
        .sign_in_page(
            StatusCode::OK,
            (&csrf_token, &id),
            &interaction,
            &hint,
            None,
        )
        .await;
    if let Some(cookie) = pages.forms.set_cookie(&secret) {
        response
            .headers_mut()
            .append(http::header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// `POST`: the password, or the second factor; then the request's next step.
pub(in crate::pages) async fn submit(
    State(pages): State<Arc<Pages>>,
    submission: Submission,
) -> Result<Response, Page> {
    let (posted, client) = pages.accepted(FORM, submission)?;
    let interaction = pages.live_interaction(&posted.token).await?;
    let target = interaction.request.redirect_uri.clone();
    let answer = answer(&pages, &posted, interaction, &client).await;
    let response = answer.unwrap_or_else(IntoResponse::into_response);
    // The sign-in page sets its own policy; the second-factor page takes the form target.
    if response
        .headers()
        .contains_key(http::header::CONTENT_SECURITY_POLICY)
    {
        return Ok(response);
    }
    Ok(with_form_target(&pages, response, &target))
}

async fn answer(
    pages: &Pages,
    posted: &Posted,
    interaction: Interaction,
    client: &ClientInfo,
) -> Result<Response, Page> {
    if posted.step == PASSKEY_STEP {
        let signed_in = match pages
            .mfa
            .finish_passkey_login(&posted.challenge_id, &posted.credential_json, client)
            .await
        {
            Ok(signed_in) => pages.signed_in_here(signed_in).await,
            Err(error) => Err(error),
        };
        return match signed_in {
            Ok(signed_in) => {
                Ok(signed_in_now(pages, &posted.token, interaction, &signed_in, client).await)
            }
            Err(error) => {
                let trouble = Trouble::of(error, "That passkey could not sign you in.");
                Ok(pages.sign_in_again(posted, &interaction, &trouble).await)
            }
        };
    }
    if posted.step == second_factor::STEP {
        let again =
            |trouble: &Trouble| pages.message(trouble.status, "Sign-in expired", &trouble.message);
        let signed_in = pages
            .second_factor_step(posted, client, &form_of(posted), again)
            .await?;
        return Ok(signed_in_now(pages, &posted.token, interaction, &signed_in, client).await);
    }
    let first = match Email::parse("email", &posted.email) {
        Ok(email) => match pages.auth.login(&email, &posted.password, client).await {
            Ok(outcome) => pages.first_factor(outcome).await,
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    match first {
        Ok(FirstFactor::SignedIn(signed_in)) => {
            Ok(signed_in_now(pages, &posted.token, interaction, &signed_in, client).await)
        }
        Ok(FirstFactor::SecondFactorNeeded { challenge_id }) => {
            let form = SecondFactorForm {
                challenge_id: &challenge_id,
                ..form_of(posted)
            };
            Ok(pages
                .second_factor_form(&form, second_factor::Shown::Fresh)
                .await
                .into_response())
        }
        Err(error) => {
            let trouble = Trouble::of(error, "The email address or password is not right.");
            Ok(pages.sign_in_again(posted, &interaction, &trouble).await)
        }
    }
}

/// The second-factor form of this page; it carries the interaction along.
pub(super) fn form_of(posted: &Posted) -> SecondFactorForm<'_> {
    SecondFactorForm {
        action: SIGN_IN_PATH,
        csrf_token: &posted.csrf_token,
        challenge_id: &posted.challenge_id,
        token: Some(&posted.token),
    }
}

/// The user signed in on this page: the browser keeps the session, the interaction notes
/// it, and the request goes on.
pub(super) async fn signed_in_now(
    pages: &Pages,
    id: &str,
    interaction: Interaction,
    signed_in: &SignedInHere,
    client: &ClientInfo,
) -> Response {
    let session_id = signed_in.principal.session_id.as_str();
    let interaction = match pages
        .provider
        .interaction_signed_in(id, interaction, session_id)
        .await
    {
        Ok(interaction) => interaction,
        Err(error) => return pages.failed(error),
    };
    let session = match pages.auth.live_session(session_id).await {
        Ok(Some(session)) => session,
        Ok(None) => return pages.failed(crate::error::Error::Token("the sign-in ended".into())),
        Err(error) => return pages.failed(error),
    };
    pages
        .take_next_step(
            id,
            &interaction,
            Some(&session),
            client,
            pages.sessions.set(session_id),
        )
        .await
}
