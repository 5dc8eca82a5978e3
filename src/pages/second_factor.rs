//! The second step of a sign-in a page began (a magic link, an invitation's password
//! sign-in): the account's TOTP code or a recovery code, answered through
//! VerifyMfaChallenge's domain function, which counts every answer against the same limits.
//! Passkeys need JavaScript, so these plain forms do not offer them.

use askama::Template;
use http::StatusCode;

use super::{
    Pages,
    form::Posted,
    session::SignedInHere,
    view::{Page, Trouble},
};
use crate::{audit::ClientInfo, config::UiTheme, error::Error, mfa::Answer};

pub(super) const STEP: &str = "second_factor";
const WRONG_CODE: &str = "That code is not right.";

#[derive(Template)]
#[template(path = "second_factor.html", config = "src/pages/askama.toml")]
struct SecondFactorPage<'a> {
    theme: &'a UiTheme,
    title: &'a str,
    action: &'a str,
    csrf_token: &'a str,
    challenge_id: &'a str,
    /// The link's token when the page still needs it after the sign-in (an invitation).
    token: Option<&'a str>,
    totp_error: Option<String>,
    recovery_error: Option<String>,
}

/// Where the second-factor form posts, and what it carries along.
pub(super) struct SecondFactorForm<'a> {
    pub action: &'a str,
    pub csrf_token: &'a str,
    pub challenge_id: &'a str,
    pub token: Option<&'a str>,
}

impl Pages {
    /// The form asking for the second factor; `trouble` from the last answer, shown on the
    /// field that was used (the flag: a recovery code).
    pub(super) fn second_factor_form(
        &self,
        form: &SecondFactorForm<'_>,
        trouble: Option<(&Trouble, bool)>,
    ) -> Page {
        let status = trouble.map_or(StatusCode::OK, |(t, _)| t.status);
        let on_field = |recovery: bool| {
            trouble
                .filter(|(_, used_recovery)| *used_recovery == recovery)
                .map(|(t, _)| t.message.clone())
        };
        Page::new(
            status,
            &SecondFactorPage {
                theme: &self.theme,
                title: "Enter your second factor",
                action: form.action,
                csrf_token: form.csrf_token,
                challenge_id: form.challenge_id,
                token: form.token,
                totp_error: on_field(false),
                recovery_error: on_field(true),
            },
        )
    }

    /// Answers the second-factor form: the sign-in, or the page to answer with instead (the
    /// form again with the trouble on the field used; `dead`'s page when the challenge is
    /// gone).
    pub(super) async fn second_factor_step(
        &self,
        posted: &Posted,
        client: &ClientInfo,
        form: &SecondFactorForm<'_>,
        dead: impl FnOnce(&Trouble) -> Page,
    ) -> Result<SignedInHere, Page> {
        match self.answer_second_factor(posted, client).await {
            Ok(signed_in) => Ok(signed_in),
            Err(error) => {
                let (trouble, recovery) = answer_trouble(error, posted);
                if trouble.dead_link {
                    return Err(dead(&trouble));
                }
                Err(self.second_factor_form(form, Some((&trouble, recovery))))
            }
        }
    }

    /// Answers the challenge with the code the form carries; the sign-in on success.
    async fn answer_second_factor(
        &self,
        posted: &Posted,
        client: &ClientInfo,
    ) -> Result<SignedInHere, Error> {
        let answer = if !posted.recovery_code.trim().is_empty() {
            Answer::RecoveryCode(posted.recovery_code.trim().to_owned())
        } else if !posted.totp_code.trim().is_empty() {
            Answer::Totp(posted.totp_code.trim().to_owned())
        } else {
            return Err(Error::invalid("totp_code", "is required"));
        };
        let signed_in = self
            .mfa
            .verify_challenge(&posted.challenge_id, answer, client)
            .await?;
        self.signed_in_here(signed_in).await
    }
}

/// What the second-factor answer's trouble reads as, and whether it was a recovery code.
fn answer_trouble(error: Error, posted: &Posted) -> (Trouble, bool) {
    let mut trouble = Trouble::of(error, WRONG_CODE);
    if trouble.dead_link {
        trouble.message = "This sign-in has expired or had too many wrong codes. Start again \
                           from the link; a sign-in link works only once, so ask for a new one."
            .into();
    }
    if let Some(field) = &trouble.field {
        let label = if field == "recovery_code" {
            "The recovery code"
        } else {
            "The code"
        };
        trouble.message = super::view::about_field(label, &trouble.message);
    }
    (trouble, !posted.recovery_code.trim().is_empty())
}
