//! Proving control of an account without the current password, or changing it: password
//! change and reset, email verification, magic links. One-time tokens are random, stored as
//! SHA-256, single use and short-lived; the requests that take an email answer the same
//! whether or not an account exists, after the same work: the lookup and the mail run after
//! the answer.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use url::Url;

use super::{
    service::{Authentication, LoginOutcome},
    signup::after_answer,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    credentials::{Email, NewPassword, presented_password, tokens},
    error::Error,
    ids::UserId,
    mail::Mail,
    principal::Principal,
    store::{
        accounts,
        entities::{one_time_token, user},
        second_factors, sessions,
    },
};

/// One kind of one-time token: its purpose, lifetime and the app page its link opens.
struct Purpose {
    name: &'static str,
    ttl: Duration,
    page: &'static str,
    subject: &'static str,
    action: &'static str,
    /// The audit action recorded when a link is sent.
    sent_event: &'static str,
}

const PASSWORD_RESET: Purpose = Purpose {
    name: "password_reset",
    ttl: Duration::from_secs(3600),
    page: "reset-password",
    subject: "Reset your password",
    action: "reset your password",
    sent_event: "user.password_reset_requested",
};
const EMAIL_VERIFICATION: Purpose = Purpose {
    name: "email_verification",
    ttl: Duration::from_secs(48 * 3600),
    page: "verify-email",
    subject: "Verify your email address",
    action: "verify your email address",
    sent_event: "user.email_verification_sent",
};
const MAGIC_LINK: Purpose = Purpose {
    name: "magic_link",
    ttl: Duration::from_secs(15 * 60),
    page: "magic-link",
    subject: "Your sign-in link",
    action: "sign in",
    sent_event: "user.magic_link_sent",
};

fn invalid_token() -> Error {
    Error::Token("the link is invalid, expired or already used".into())
}

impl Authentication {
    /// Needs the current password, which is a guess like a sign-in's: counted against the
    /// brute-force limits before it is verified, given back when right. Ends every other
    /// session.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &str,
        new: &str,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let current = presented_password("current_password", current)?;
        let account = self.current_user(principal).await?;
        let new = NewPassword::parse("new_password", new, &account.email_normalized)?;
        let attempt = self
            .guard
            .reserve_attempt(&account.email_normalized, client.ip_address.as_deref())
            .await?;
        let verified = self
            .passwords
            .verify(&current, account.password_hash.as_deref())
            .await?;
        if !verified.matches {
            if self.guard.attempt_failed(attempt).await?.locked {
                self.audit_lock(&account.id, client).await?;
            }
            return Err(Error::Authentication);
        }
        self.guard.refund(attempt).await?;
        let hash = self.passwords.hash(new.secret()).await?;
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        accounts::set_password_hash(&txn, &account.id, &hash, now).await?;
        let revoked = sessions::revoke_user_sessions(
            &txn,
            &account.id,
            Some(&principal.session_id),
            now,
            "password_changed",
        )
        .await?;
        let event = AuditEvent::new("user.password_changed", Actor::User(account.user_id()))
            .target("user", &account.id)
            .client(client.clone());
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        self.revocations.publish(&revoked).await;
        Ok(())
    }

    /// Mails a reset link when the account exists; answers the same either way.
    pub async fn request_password_reset(
        self: &Arc<Self>,
        email: Email,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        self.send_link_after_answer(email, &PASSWORD_RESET, None, client);
        Ok(())
    }

    /// Sets a new password with a reset link; ends every session and lifts a lock.
    pub async fn reset_password(
        &self,
        token: &str,
        new: &str,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let hash = tokens::digest(token);
        let now = self.clock.now();
        // Read first, so a password the policy refuses does not burn the link.
        let link = sessions::find_live_one_time_token(&self.db, &hash, PASSWORD_RESET.name, now)
            .await?
            .ok_or_else(invalid_token)?;
        let account = self.linked_account(&link).await?;
        let new = NewPassword::parse("new_password", new, &account.email_normalized)?;
        let password_hash = self.passwords.hash(new.secret()).await?;
        let txn = crate::store::begin_write(&self.db).await?;
        sessions::consume_one_time_token(&txn, &hash, PASSWORD_RESET.name, now)
            .await?
            .ok_or_else(invalid_token)?;
        accounts::set_password_hash(&txn, &account.id, &password_hash, now).await?;
        // The reset link proved the mailbox: links made before that proof go.
        accounts::mark_email_proven(&txn, &account.id, now).await?;
        if self.settings.reset_revokes_credentials {
            self.revoke_other_credentials(&txn, &account.id).await?;
        }
        let revoked =
            sessions::revoke_user_sessions(&txn, &account.id, None, now, "password_reset").await?;
        let event = AuditEvent::new("user.password_reset", Actor::User(account.user_id()))
            .target("user", &account.id)
            .client(client.clone());
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        self.revocations.publish(&revoked).await;
        self.guard.unlock(&account.email_normalized).await?;
        Ok(())
    }

    /// Removes the passkeys and linked external identities a takeover may have added
    /// (`PASSWORD_RESET_REVOKES_CREDENTIALS`). TOTP stays (it signs nobody in by itself),
    /// and with it its recovery codes; without it they go, as they may have been shown to
    /// whoever added a passkey.
    async fn revoke_other_credentials(
        &self,
        db: &impl ConnectionTrait,
        user_id: &str,
    ) -> Result<(), Error> {
        let passkeys = second_factors::delete_passkeys(db, user_id).await?;
        if !second_factors::refresh_mfa_enabled(db, user_id).await? {
            second_factors::delete_recovery_codes(db, user_id).await?;
        }
        let links = crate::store::linked_identities::delete_all(db, user_id).await?;
        let event = AuditEvent::new(
            "user.credentials_revoked",
            Actor::User(UserId::from_trusted(user_id)),
        )
        .target("user", user_id)
        .metadata(serde_json::json!({ "passkeys": passkeys, "linked_identities": links }));
        audit::record(db, self.clock.now(), event).await?;
        Ok(())
    }

    /// Mails the caller a new verification link (nothing to do once verified).
    pub async fn send_verification_email(
        &self,
        principal: &Principal,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let account = self.current_user(principal).await?;
        if account.email_verified {
            return Ok(());
        }
        self.send_link(&account, &EMAIL_VERIFICATION, None, client)
            .await
    }

    pub async fn verify_email(&self, token: &str, client: &ClientInfo) -> Result<(), Error> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let link = sessions::consume_one_time_token(
            &txn,
            &tokens::digest(token),
            EMAIL_VERIFICATION.name,
            now,
        )
        .await?
        .ok_or_else(invalid_token)?;
        let account = self.linked_account(&link).await?;
        accounts::mark_email_proven(&txn, &account.id, now).await?;
        let event = AuditEvent::new("user.email_verified", Actor::User(account.user_id()))
            .target("user", &account.id)
            .client(client.clone());
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Mails a sign-in link when the account exists; answers the same either way. The link
    /// opens `redirect_uri` when given (it must be on the allow-list), else the app.
    pub async fn send_magic_link(
        self: &Arc<Self>,
        email: Email,
        redirect_uri: &str,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let base = self.allowed_redirect(redirect_uri)?;
        self.send_link_after_answer(email, &MAGIC_LINK, base, client);
        Ok(())
    }

    /// After the answer: looks the address up and mails its active account the link.
    fn send_link_after_answer(
        self: &Arc<Self>,
        email: Email,
        purpose: &'static Purpose,
        base: Option<Url>,
        client: &ClientInfo,
    ) {
        let (auth, client) = (Arc::clone(self), client.clone());
        after_answer(purpose.name, async move {
            match auth.active_account(email.normalized()).await? {
                Some(account) => auth.send_link(&account, purpose, base, &client).await,
                None => Ok(()),
            }
        });
    }

    fn allowed_redirect(&self, redirect_uri: &str) -> Result<Option<Url>, Error> {
        if redirect_uri.is_empty() {
            return Ok(None);
        }
        let url =
            Url::parse(redirect_uri).map_err(|_| Error::invalid("redirect_uri", "is not a URL"))?;
        if self.settings.allowed_redirects.contains(&url) {
            Ok(Some(url))
        } else {
            Err(Error::invalid(
                "redirect_uri",
                "is not an allowed redirect URI",
            ))
        }
    }

    /// Signs in with a magic link (which also proves the mailbox: the email becomes verified).
    pub async fn verify_magic_link(
        &self,
        token: &str,
        client: &ClientInfo,
    ) -> Result<LoginOutcome, Error> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let link =
            sessions::consume_one_time_token(&txn, &tokens::digest(token), MAGIC_LINK.name, now)
                .await?;
        let Some(link) = link else {
            crate::telemetry::sign_in(&["email"], crate::telemetry::SignIn::Failure);
            return Err(invalid_token());
        };
        let mut account = self.linked_account(&link).await?;
        accounts::mark_email_proven(&txn, &account.id, now).await?;
        txn.commit().await?;
        account.email_verified = true;
        self.sign_in_or_challenge(account, "user.magic_link_login", &["email"], client)
            .await
    }

    pub(super) async fn queue_verification_mail(
        &self,
        db: &impl ConnectionTrait,
        account: &user::Model,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.queue_link(db, account, &EMAIL_VERIFICATION, None, now)
            .await
    }

    async fn active_account(&self, normalized: &str) -> Result<Option<user::Model>, Error> {
        Ok(accounts::find_by_email(&self.db, normalized)
            .await?
            .filter(|u| u.is_active()))
    }

    async fn linked_account(&self, link: &one_time_token::Model) -> Result<user::Model, Error> {
        let user_id = link.user_id.as_deref().ok_or_else(invalid_token)?;
        accounts::find_by_id(&self.db, user_id)
            .await?
            .filter(|u| u.is_active())
            .ok_or_else(invalid_token)
    }

    async fn send_link(
        &self,
        account: &user::Model,
        purpose: &Purpose,
        base: Option<Url>,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        self.queue_link(&txn, account, purpose, base, now).await?;
        let event = AuditEvent::new(purpose.sent_event, Actor::User(account.user_id()))
            .target("user", &account.id)
            .client(client.clone());
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        self.mail.wake();
        Ok(())
    }

    /// Stores a one-time token for the account and queues the mail carrying its link.
    async fn queue_link(
        &self,
        db: &impl ConnectionTrait,
        account: &user::Model,
        purpose: &Purpose,
        base: Option<Url>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let token = tokens::new_opaque_token();
        let row = one_time_token::Model {
            id: uuid::Uuid::now_v7().to_string(),
            token_hash: tokens::digest(&token),
            purpose: purpose.name.to_owned(),
            user_id: Some(account.id.clone()),
            email: Some(account.email_normalized.clone()),
            payload: None,
            created_at: now,
            expires_at: now + purpose.ttl,
            used_at: None,
        };
        sessions::insert_one_time_token(db, row).await?;
        let mut link = match base {
            Some(base) => base,
            None => self
                .settings
                .app_url
                .join(purpose.page)
                .map_err(anyhow::Error::from)?,
        };
        link.query_pairs_mut().append_pair("token", &token);
        self.mail
            .enqueue(db, link_mail(account, purpose, link.as_str()))
            .await?;
        Ok(())
    }
}

fn link_mail(account: &user::Model, purpose: &Purpose, link: &str) -> Mail {
    let minutes = purpose.ttl.as_secs() / 60;
    let validity = if minutes >= 120 {
        format!("{} hours", minutes / 60)
    } else {
        format!("{minutes} minutes")
    };
    let text = format!(
        "Hello,\n\nOpen this link to {}:\n\n{link}\n\nThe link works once and expires in {validity}. If you did not ask for it, ignore this message.\n",
        purpose.action
    );
    let html = format!(
        "<p>Hello,</p><p><a href=\"{link}\">Click here to {}</a>.</p><p>The link works once and expires in {validity}. If you did not ask for it, ignore this message.</p>",
        purpose.action
    );
    Mail {
        to: account.email.clone(),
        subject: purpose.subject.to_owned(),
        text,
        html,
    }
}
