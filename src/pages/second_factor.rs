//! The second step of a sign-in a page began (a magic link, an invitation's password
//! sign-in): the account's TOTP code, a recovery code, or a code sent by SMS or email to one
//! of the destinations the challenge lists (a "Send a code" button per destination, masked,
//! sending through SendMfaCode's domain function with its cooldown and budgets). Answers go
//! through VerifyMfaChallenge's domain function, which counts every answer against the same
//! limits. Passkeys need JavaScript, so these plain forms do not offer them.

use askama::Template;
use http::StatusCode;

use super::{
    Pages,
    form::Posted,
    session::SignedInHere,
    view::{Page, Trouble},
};
use crate::{
    audit::ClientInfo, auth::CodeDestination, config::UiTheme, error::Error, ids::FactorId,
    mfa::Answer,
};

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
    /// Where a code can be sent, masked.
    destinations: Vec<CodeDestination>,
    /// The masked destination a code was just sent to.
    code_sent_to: Option<String>,
    /// Why no code was sent (the cooldown, the hourly budget).
    send_error: Option<String>,
    /// Whether to ask for a sent code: one was sent, or a sent code was answered.
    show_otp_field: bool,
    otp_error: Option<String>,
}

/// Where the second-factor form posts, and what it carries along.
pub(super) struct SecondFactorForm<'a> {
    pub action: &'a str,
    pub csrf_token: &'a str,
    pub challenge_id: &'a str,
    pub token: Option<&'a str>,
}

/// Which of the page's forms was posted.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Used {
    Totp,
    Recovery,
    SentCode,
    SendCode,
}

impl Used {
    fn of(posted: &Posted) -> Self {
        if !posted.send_code_to.trim().is_empty() {
            Self::SendCode
        } else if !posted.recovery_code.trim().is_empty() {
            Self::Recovery
        } else if !posted.otp_code.trim().is_empty() {
            Self::SentCode
        } else {
            Self::Totp
        }
    }
}

/// What the form shows besides its fields: the last answer's trouble, or the code just sent.
pub(super) enum Shown<'a> {
    Fresh,
    Trouble(&'a Trouble, Used),
    CodeSent(String),
}

impl Pages {
    /// The form asking for the second factor, with the challenge's code destinations.
    pub(super) async fn second_factor_form(
        &self,
        form: &SecondFactorForm<'_>,
        shown: Shown<'_>,
    ) -> Page {
        // A challenge gone meanwhile offers nothing to send to; its answer will say it is gone.
        let destinations = self
            .mfa
            .challenge_code_destinations(form.challenge_id)
            .await
            .unwrap_or_default();
        let (status, trouble, used) = match &shown {
            Shown::Trouble(trouble, used) => (trouble.status, Some(*trouble), Some(*used)),
            Shown::Fresh | Shown::CodeSent(_) => (StatusCode::OK, None, None),
        };
        let on = |form: Used| {
            trouble
                .filter(|_| used == Some(form))
                .map(|t| t.message.clone())
        };
        let code_sent_to = match shown {
            Shown::CodeSent(masked) => Some(masked),
            Shown::Fresh | Shown::Trouble(..) => None,
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
                totp_error: on(Used::Totp),
                recovery_error: on(Used::Recovery),
                show_otp_field: code_sent_to.is_some() || used == Some(Used::SentCode),
                code_sent_to,
                send_error: on(Used::SendCode),
                otp_error: on(Used::SentCode),
                destinations,
            },
        )
    }

    /// Answers the second-factor form: the sign-in, or the page to answer with instead (the
    /// form again with the trouble on the form used, or with the code just sent; `dead`'s
    /// page when the challenge is gone).
    pub(super) async fn second_factor_step(
        &self,
        posted: &Posted,
        client: &ClientInfo,
        form: &SecondFactorForm<'_>,
        dead: impl FnOnce(&Trouble) -> Page,
    ) -> Result<SignedInHere, Page> {
        let used = Used::of(posted);
        let outcome = if used == Used::SendCode {
            match self.send_second_factor_code(posted).await {
                Ok(masked) => {
                    return Err(self.second_factor_form(form, Shown::CodeSent(masked)).await);
                }
                Err(error) => Err(error),
            }
        } else {
            self.answer_second_factor(posted, used, client).await
        };
        match outcome {
            Ok(signed_in) => Ok(signed_in),
            Err(error) => {
                let trouble = answer_trouble(error, used);
                if trouble.dead_link {
                    return Err(dead(&trouble));
                }
                Err(self
                    .second_factor_form(form, Shown::Trouble(&trouble, used))
                    .await)
            }
        }
    }

    /// Sends a code to the factor the pressed button names; where it went, masked.
    async fn send_second_factor_code(&self, posted: &Posted) -> Result<String, Error> {
        let factor = FactorId::parse("send_code_to", posted.send_code_to.trim())?;
        let sent = self
            .mfa
            .send_challenge_code(&posted.challenge_id, &factor)
            .await?;
        Ok(sent.masked_destination)
    }

    /// Answers the challenge with the code the form carries; the sign-in on success.
    async fn answer_second_factor(
        &self,
        posted: &Posted,
        used: Used,
        client: &ClientInfo,
    ) -> Result<SignedInHere, Error> {
        let answer = match used {
            Used::Recovery => Answer::RecoveryCode(posted.recovery_code.trim().to_owned()),
            Used::SentCode => Answer::OtpCode(posted.otp_code.trim().to_owned()),
            Used::Totp | Used::SendCode if !posted.totp_code.trim().is_empty() => {
                Answer::Totp(posted.totp_code.trim().to_owned())
            }
            Used::Totp | Used::SendCode => return Err(Error::invalid("totp_code", "is required")),
        };
        let signed_in = self
            .mfa
            .verify_challenge(&posted.challenge_id, answer, client)
            .await?;
        self.signed_in_here(signed_in).await
    }
}

/// What the second-factor answer's trouble reads as.
fn answer_trouble(error: Error, used: Used) -> Trouble {
    let mut trouble = Trouble::of(error, WRONG_CODE);
    if trouble.dead_link {
        trouble.message = "This sign-in has expired or had too many wrong codes. Start again \
                           from the link; a sign-in link works only once, so ask for a new one."
            .into();
    }
    if let Some(field) = &trouble.field {
        let label = match (field.as_str(), used) {
            ("recovery_code", _) => "The recovery code",
            (_, Used::SendCode) => "The destination",
            _ => "The code",
        };
        trouble.message = super::view::about_field(label, &trouble.message);
    }
    trouble
}
