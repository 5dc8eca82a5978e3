//! The session a page's sign-in opens. No page hands tokens to the browser: a page reads
//! who signed in from the access token the domain issued. The mailed-link pages (magic
//! link, invitation) do what the sign-in was for and end the session, so no live session is
//! left that nobody holds; the OpenID Provider's sign-in (`provider::sign_in`) keeps it as
//! the browser session its cookie names.

use crate::{
    audit::ClientInfo,
    auth::{LoginOutcome, SignedIn},
    error::Error,
    principal::{Caller, Principal},
};

use super::Pages;

/// Someone a page signed in: the session's principal and the account's address.
pub(super) struct SignedInHere {
    pub principal: Principal,
    pub email: String,
}

/// How a first factor on a page ended.
pub(super) enum FirstFactor {
    SignedIn(SignedInHere),
    /// The account has a second factor: the page asks for it before anything else.
    SecondFactorNeeded {
        challenge_id: String,
    },
}

impl Pages {
    pub(super) async fn first_factor(&self, outcome: LoginOutcome) -> Result<FirstFactor, Error> {
        match outcome {
            LoginOutcome::SignedIn(signed_in) => {
                Ok(FirstFactor::SignedIn(self.signed_in_here(signed_in).await?))
            }
            LoginOutcome::SecondStepRequired(challenge) => Ok(FirstFactor::SecondFactorNeeded {
                challenge_id: challenge.id,
            }),
        }
    }

    /// The principal of a sign-in, read from its access token as the access layer reads one.
    pub(super) async fn signed_in_here(&self, signed_in: SignedIn) -> Result<SignedInHere, Error> {
        match self
            .authenticator
            .authenticate(&signed_in.tokens.access_token)
            .await?
        {
            Caller::User(principal) => Ok(SignedInHere {
                principal,
                email: signed_in.user.email,
            }),
            Caller::ApiKey(_) => Err(Error::Internal(anyhow::anyhow!(
                "a sign-in issued something other than a user's access token"
            ))),
        }
    }

    /// Ends the session a page opened (audited as a logout).
    pub(super) async fn end_session(
        &self,
        signed_in: &SignedInHere,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        self.auth.logout(&signed_in.principal, false, client).await
    }
}
