//! Sign-up that does not tell whether an address is registered (`SIGNUP_EXISTING_EMAIL=notify`):
//! Register answers a new and a registered address alike — no user, no tokens — after the
//! same work (validation, the sign-up limit, one password hash), and the mailbox learns the
//! rest: a new account gets its verification link, a registered address's owner a notice
//! that someone tried to sign up with it. Also [`after_answer`], which runs such
//! address-dependent work once the caller has been answered.
//!
//! It must never let the answer, or the work done before it, depend on whether the address
//! has an account.

use std::{future::Future, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::SqlErr;
use tracing::Instrument;

use super::service::Authentication;
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    credentials::Email,
    error::Error,
    mail::Mail,
    store::{accounts, entities::user},
};

/// Runs `work` on its own task, so the answer neither waits for it nor shows what it found;
/// a failure is logged (the caller has been answered already).
pub(super) fn after_answer(
    work_name: &'static str,
    work: impl Future<Output = Result<(), Error>> + Send + 'static,
) {
    let logged = async move {
        if let Err(error) = work.await {
            tracing::error!(work = work_name, %error, "work after the answer failed");
        }
    };
    tokio::spawn(logged.instrument(tracing::Span::current()));
}

/// A new account's details, checked and hashed before the answer.
pub(super) struct QuietSignup {
    pub email: Email,
    pub password_hash: String,
    pub display_name: String,
}

impl Authentication {
    /// After the answer: creates the account and queues its verification mail, or, when the
    /// address is registered, mails its owner a notice instead.
    pub(super) fn create_or_notify_after_answer(
        self: &Arc<Self>,
        signup: QuietSignup,
        client: &ClientInfo,
    ) {
        let (auth, client) = (Arc::clone(self), client.clone());
        after_answer("sign-up", async move {
            let now = auth.clock.now();
            let normalized = signup.email.normalized().to_owned();
            if accounts::find_by_email(&auth.db, &normalized)
                .await?
                .is_none()
                && auth.create_unverified(signup, &client, now).await?
            {
                return Ok(());
            }
            // The address has an owner (perhaps since a concurrent sign-up a moment ago).
            match accounts::find_by_email(&auth.db, &normalized).await? {
                Some(owner) => auth.notify_owner(&owner, &client, now).await,
                None => Ok(()),
            }
        });
    }

    /// Creates the account with its verification mail; false when the address was taken
    /// meanwhile.
    async fn create_unverified(
        &self,
        signup: QuietSignup,
        client: &ClientInfo,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let account = user::Model {
            password_hash: Some(signup.password_hash),
            display_name: signup.display_name,
            ..accounts::new_account(&signup.email, now)
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let account = match accounts::insert(&txn, account).await {
            Ok(account) => account,
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Ok(false);
            }
            Err(err) => return Err(err.into()),
        };
        let event = AuditEvent::new("user.registered", Actor::User(account.user_id()))
            .target("user", &account.id)
            .client(client.clone());
        audit::record(&txn, now, event).await?;
        self.queue_verification_mail(&txn, &account, now).await?;
        txn.commit().await?;
        self.mail.wake();
        Ok(true)
    }

    async fn notify_owner(
        &self,
        owner: &user::Model,
        client: &ClientInfo,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let txn = crate::store::begin_write(&self.db).await?;
        self.mail
            .enqueue(&txn, existing_address_mail(owner))
            .await?;
        let event = AuditEvent::new("user.signup_existing_email", Actor::Anonymous)
            .target("user", &owner.id)
            .client(client.clone())
            .failed();
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        self.mail.wake();
        Ok(())
    }
}

/// The notice to a registered address's owner.
fn existing_address_mail(owner: &user::Model) -> Mail {
    let text = "Hello,\n\nSomeone tried to create an account with this email address, which already has one. Nothing was changed.\n\nIf it was you, sign in instead, or reset your password if you forgot it. If it was not, you can ignore this message.\n";
    let html = "<p>Hello,</p><p>Someone tried to create an account with this email address, which already has one. Nothing was changed.</p><p>If it was you, sign in instead, or reset your password if you forgot it. If it was not, you can ignore this message.</p>";
    Mail {
        to: owner.email.clone(),
        subject: "Someone tried to sign up with your address".to_owned(),
        text: text.to_owned(),
        html: html.to_owned(),
    }
}
