//! The authentication capability: sign-up and sign-in (refresh rotation, sessions and
//! introspection are in `sessions`, the platform administrator in `admin`). Rules live here; queries in `store::sessions` and
//! `store::accounts`; transport in `grpc`. Each multi-row change is one transaction.

use std::{sync::Arc, time::Duration};

use sea_orm::{DbErr, SqlErr};
use url::Url;

use super::{
    limits::{Attempt, BruteForceGuard},
    second_step_gate::{IssuedChallenge, SecondStepGate},
    signup::QuietSignup,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    clock::Clock,
    config::SignupExistingEmail,
    credentials::{Email, NewPassword, presented_password},
    crypto::{Keyring, PasswordHasher},
    error::Error,
    mail::Mailer,
    principal::AccessClaims,
    revocation::Revocations,
    store::{Db, accounts, entities::user},
};

/// Lifetimes and links (from the configuration).
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub app_url: Url,
    /// Where links may send a user besides the app (`SSO_ALLOWED_REDIRECT_URIS`).
    pub allowed_redirects: Vec<Url>,
    /// Whether Register may say that an address is registered (`SIGNUP_EXISTING_EMAIL`).
    pub signup_existing_email: SignupExistingEmail,
    /// `PASSWORD_RESET_REVOKES_CREDENTIALS`: a reset also removes passkeys and linked
    /// external identities (recovery after a takeover; see SECURITY.md for the cost).
    pub reset_revokes_credentials: bool,
}

/// What a client receives after signing in or refreshing.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: user::Model,
    pub tokens: TokenPair,
}

/// How Register ends: signed in, or (`SIGNUP_EXISTING_EMAIL=notify`) nothing to show but
/// what the mailbox receives, whether the address was new or registered.
#[derive(Debug, Clone)]
pub enum Registration {
    SignedIn(Box<SignedIn>),
    SeeMailbox,
}

/// How a first factor ends: signed in, or asked for the second factor.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    SignedIn(SignedIn),
    SecondStepRequired(IssuedChallenge),
}

/// RFC 7662 answer about an access token.
#[derive(Debug, Clone, Default)]
pub struct Introspection {
    pub active: bool,
    pub claims: Option<AccessClaims>,
}

pub struct Authentication {
    pub(super) db: Db,
    pub(super) keyring: Arc<Keyring>,
    pub(super) passwords: Arc<PasswordHasher>,
    pub(super) guard: BruteForceGuard,
    pub(super) mail: Arc<Mailer>,
    pub(super) revocations: Arc<Revocations>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) second_step: Arc<dyn SecondStepGate>,
    pub(super) settings: AuthSettings,
}

/// A session about to be opened.
pub(super) struct NewSession<'a> {
    /// The audit action recorded with the new session (`user.login`, ...).
    pub action: &'static str,
    pub user: &'a user::Model,
    pub amr: &'a [&'a str],
    pub organization_id: Option<String>,
    pub client: &'a ClientInfo,
}

impl Authentication {
    #[expect(
        clippy::too_many_arguments,
        reason = "the capability's collaborators, wired once at start-up"
    )]
    pub fn new(
        db: Db,
        keyring: Arc<Keyring>,
        passwords: Arc<PasswordHasher>,
        guard: BruteForceGuard,
        mail: Arc<Mailer>,
        revocations: Arc<Revocations>,
        clock: Arc<dyn Clock>,
        second_step: Arc<dyn SecondStepGate>,
        settings: AuthSettings,
    ) -> Self {
        Self {
            db,
            keyring,
            passwords,
            guard,
            mail,
            revocations,
            clock,
            second_step,
            settings,
        }
    }

    /// Creates an account and signs it in; a verification mail goes out. A registered
    /// address is a CONFLICT_ERROR, unless `SIGNUP_EXISTING_EMAIL=notify`: then every valid
    /// request answers `SeeMailbox` after the same work, and the rest happens after the
    /// answer (`signup`).
    pub async fn register(
        self: &Arc<Self>,
        email: &Email,
        password: &str,
        display_name: &str,
        client: &ClientInfo,
    ) -> Result<Registration, Error> {
        let password = NewPassword::parse("password", password, email.normalized())?;
        let display_name = display_name.trim();
        if display_name.chars().count() > 200 {
            return Err(Error::invalid(
                "display_name",
                "must be at most 200 characters",
            ));
        }
        self.guard
            .check_signup(client.ip_address.as_deref())
            .await?;
        if self.settings.signup_existing_email == SignupExistingEmail::Notify {
            let signup = QuietSignup {
                password_hash: self.passwords.hash(password.secret()).await?,
                email: email.clone(),
                display_name: display_name.to_owned(),
            };
            self.create_or_notify_after_answer(signup, client);
            return Ok(Registration::SeeMailbox);
        }
        if accounts::find_by_email(&self.db, email.normalized())
            .await?
            .is_some()
        {
            return Err(Error::Conflict(
                "an account with this email already exists".into(),
            ));
        }
        let hash = self.passwords.hash(password.secret()).await?;
        let now = self.clock.now();
        let account = user::Model {
            password_hash: Some(hash),
            display_name: display_name.to_owned(),
            last_login_at: Some(now),
            ..accounts::new_account(email, now)
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let account = accounts::insert(&txn, account)
            .await
            .map_err(conflict_on_duplicate)?;
        let (session_id, refresh) = self
            .open_session(
                &txn,
                NewSession {
                    action: "user.registered",
                    user: &account,
                    amr: &["pwd"],
                    organization_id: None,
                    client,
                },
                now,
            )
            .await?;
        self.queue_verification_mail(&txn, &account, now).await?;
        txn.commit().await?;
        self.mail.wake();
        let tokens = self
            .token_pair(&account, &session_id, None, &["pwd"], refresh, now)
            .await?;
        Ok(Registration::SignedIn(Box::new(SignedIn {
            user: account,
            tokens,
        })))
    }

    /// Email + password sign-in. Unknown email and wrong password answer alike and cost
    /// one password verification each. The attempt is counted against the brute-force limits
    /// before the password is verified and given back when it is right. A user with a second
    /// factor gets a challenge.
    pub async fn login(
        &self,
        email: &Email,
        password: &str,
        client: &ClientInfo,
    ) -> Result<LoginOutcome, Error> {
        let password = presented_password("password", password)?;
        let ip = client.ip_address.as_deref();
        let attempt = self.guard.reserve_attempt(email.normalized(), ip).await?;
        let account = accounts::find_by_email(&self.db, email.normalized()).await?;
        let stored = account.as_ref().and_then(|u| u.password_hash.as_deref());
        let verified = self.passwords.verify(&password, stored).await?;
        let account = match account {
            // A suspended account answers like a wrong password, so the error is no oracle
            // for a suspended account's password.
            Some(account) if verified.matches && account.is_active() => account,
            account => return Err(self.login_failed(attempt, account.as_ref(), client).await),
        };
        self.guard.refund(attempt).await?;
        if verified.needs_rehash {
            let hash = self.passwords.hash(&password).await?;
            accounts::set_password_hash(&self.db, &account.id, &hash, self.clock.now()).await?;
        }
        self.sign_in_or_challenge(account, "user.login", &["pwd"], client)
            .await
    }

    /// After a first factor: a challenge when the user has a second factor, else a session.
    pub(super) async fn sign_in_or_challenge(
        &self,
        account: user::Model,
        action: &'static str,
        amr: &[&str],
        client: &ClientInfo,
    ) -> Result<LoginOutcome, Error> {
        self.sign_in_or_challenge_to(account, action, amr, None, client)
            .await
    }

    /// `sign_in_or_challenge`, with the session (now, or after the challenge) scoped to
    /// `organization_id` (an SSO connection's organization).
    pub async fn sign_in_or_challenge_to(
        &self,
        account: user::Model,
        action: &'static str,
        amr: &[&str],
        organization_id: Option<String>,
        client: &ClientInfo,
    ) -> Result<LoginOutcome, Error> {
        let now = self.clock.now();
        match self
            .second_step
            .challenge_if_enrolled(&account.id, amr, organization_id.as_deref(), now)
            .await?
        {
            Some(challenge) => {
                crate::telemetry::sign_in(amr, crate::telemetry::SignIn::SecondFactorRequired);
                Ok(LoginOutcome::SecondStepRequired(challenge))
            }
            None => Ok(LoginOutcome::SignedIn(
                self.sign_in_to(account, action, amr, organization_id, client)
                    .await?,
            )),
        }
    }

    /// Opens a session for a user who proved every factor needed, and issues its tokens.
    pub async fn sign_in(
        &self,
        account: user::Model,
        action: &'static str,
        amr: &[&str],
        client: &ClientInfo,
    ) -> Result<SignedIn, Error> {
        self.sign_in_to(account, action, amr, None, client).await
    }

    /// `sign_in`, with the session scoped to an organization the user belongs to when
    /// `organization_id` is given (as SwitchOrganization would).
    pub async fn sign_in_to(
        &self,
        account: user::Model,
        action: &'static str,
        amr: &[&str],
        organization_id: Option<String>,
        client: &ClientInfo,
    ) -> Result<SignedIn, Error> {
        // Failures are forgotten only once every factor is proven: a right password followed
        // by wrong second-factor answers keeps counting toward the lock.
        self.guard
            .record_login_success(&account.email_normalized)
            .await?;
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        accounts::record_login(&txn, &account.id, now).await?;
        let new = NewSession {
            action,
            user: &account,
            amr,
            organization_id: organization_id.clone(),
            client,
        };
        let (session_id, refresh) = self.open_session(&txn, new, now).await?;
        txn.commit().await?;
        let tokens = self
            .token_pair(
                &account,
                &session_id,
                organization_id.as_deref(),
                amr,
                refresh,
                now,
            )
            .await?;
        crate::telemetry::sign_in(amr, crate::telemetry::SignIn::Success);
        Ok(SignedIn {
            user: account,
            tokens,
        })
    }

    async fn login_failed(
        &self,
        attempt: Attempt,
        account: Option<&user::Model>,
        client: &ClientInfo,
    ) -> Error {
        crate::telemetry::sign_in(&["pwd"], crate::telemetry::SignIn::Failure);
        let failure = match self.guard.attempt_failed(attempt).await {
            Ok(failure) => failure,
            Err(err) => return err,
        };
        let now = self.clock.now();
        let actor = account.map_or(Actor::Anonymous, |u| Actor::User(u.user_id()));
        let mut event = AuditEvent::new("user.login", actor.clone())
            .client(client.clone())
            .failed();
        if let Some(account) = account {
            event = event.target("user", &account.id);
        }
        let mut events = vec![event];
        if let (true, Some(account)) = (failure.locked, account) {
            events.push(
                AuditEvent::new("user.locked", actor)
                    .target("user", &account.id)
                    .client(client.clone()),
            );
        }
        for event in events {
            if let Err(err) = audit::record(&self.db, now, event).await {
                return err.into();
            }
        }
        Error::Authentication
    }
}

fn conflict_on_duplicate(err: DbErr) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            Error::Conflict("an account with this email already exists".into())
        }
        _ => err.into(),
    }
}
