//! The authentication capability: sign-up, sign-in, refresh-token rotation with reuse
//! detection, sessions, and introspection. Rules live here; queries in `store::sessions` and
//! `store::users`; transport in `grpc`. Each multi-row change is one transaction.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, SqlErr};
use secrecy::SecretString;
use url::Url;

use super::{
    grant::{self, AccessGrant},
    limits::{Attempt, BruteForceGuard},
    second_step_gate::{IssuedChallenge, SecondStepGate},
    signup::QuietSignup,
};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    clock::Clock,
    config::SignupExistingEmail,
    credentials::{self, Email, NewPassword, presented_password, tokens},
    crypto::{Keyring, PasswordHasher},
    error::Error,
    mail::Mailer,
    principal::{AccessClaims, Caller, Principal},
    revocation::Revocations,
    store::{
        Db,
        entities::{refresh_token, session, user},
        sessions, users,
    },
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
        email: &str,
        password: &str,
        display_name: &str,
        client: &ClientInfo,
    ) -> Result<Registration, Error> {
        let email = Email::parse("email", email)?;
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
                email,
                display_name: display_name.to_owned(),
            };
            self.create_or_notify_after_answer(signup, client);
            return Ok(Registration::SeeMailbox);
        }
        if users::find_by_email(&self.db, email.normalized())
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
            ..users::new_account(&email, now)
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let account = users::insert(&txn, account)
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
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<LoginOutcome, Error> {
        let email = Email::parse("email", email)?;
        let password = presented_password("password", password)?;
        let ip = client.ip_address.as_deref();
        let attempt = self.guard.reserve_attempt(email.normalized(), ip).await?;
        let account = users::find_by_email(&self.db, email.normalized()).await?;
        let stored = account.as_ref().and_then(|u| u.password_hash.as_deref());
        let verified = self.passwords.verify(&password, stored).await?;
        let account = match account {
            // A suspended account answers like a wrong password, so the error is no oracle
            // for a suspended account's password.
            Some(account) if verified.matches && account.status == "active" => account,
            account => return Err(self.login_failed(attempt, account.as_ref(), client).await),
        };
        self.guard.refund(attempt).await?;
        if verified.needs_rehash {
            let hash = self.passwords.hash(&password).await?;
            users::set_password_hash(&self.db, &account.id, &hash, self.clock.now()).await?;
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
            Some(challenge) => Ok(LoginOutcome::SecondStepRequired(challenge)),
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
        users::record_login(&txn, &account.id, now).await?;
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
        let failure = match self.guard.attempt_failed(attempt).await {
            Ok(failure) => failure,
            Err(err) => return err,
        };
        let now = self.clock.now();
        let actor = account.map_or(Actor::Anonymous, |u| Actor::User(u.id.clone()));
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

    /// Rotates a refresh token. Presenting one that was already rotated revokes its session.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        client: &ClientInfo,
    ) -> Result<TokenPair, Error> {
        let invalid = || Error::Token("invalid refresh token".into());
        if refresh_token.is_empty() {
            return Err(Error::invalid("refresh_token", "is required"));
        }
        let hash = tokens::digest(refresh_token);
        let row = sessions::find_refresh_token(&self.db, &hash)
            .await?
            .ok_or_else(invalid)?;
        let session = sessions::find_session(&self.db, &row.session_id)
            .await?
            .ok_or_else(invalid)?;
        if row.used_at.is_some() {
            return Err(self.refresh_reused(&session, client).await);
        }
        let now = self.clock.now();
        if row.expires_at <= now || session.revoked_at.is_some() || session.expires_at <= now {
            return Err(Error::Token("refresh token expired or revoked".into()));
        }
        let account = users::find_by_id(&self.db, &session.user_id)
            .await?
            .filter(|u| u.status == "active")
            .ok_or_else(invalid)?;
        let txn = crate::store::begin_write(&self.db).await?;
        if !sessions::mark_refresh_token_used(&txn, &hash, now).await? {
            drop(txn);
            return Err(self.refresh_reused(&session, client).await);
        }
        let next = self.new_refresh_token(&txn, &session.id, now).await?;
        sessions::touch_session(
            &txn,
            &session.id,
            now,
            now + self.settings.refresh_token_ttl,
        )
        .await?;
        txn.commit().await?;
        let amr: Vec<&str> = session.amr.split_whitespace().collect();
        self.token_pair(
            &account,
            &session.id,
            session.organization_id.as_deref(),
            &amr,
            next,
            now,
        )
        .await
    }

    async fn refresh_reused(&self, session: &session::Model, client: &ClientInfo) -> Error {
        let now = self.clock.now();
        let revoked =
            match sessions::revoke_session(&self.db, &session.id, now, "refresh_token_reuse").await
            {
                Ok(revoked) => revoked,
                Err(err) => return err.into(),
            };
        self.revocations.publish(&revoked).await;
        let event = AuditEvent::new(
            "session.refresh_token_reuse",
            Actor::User(session.user_id.clone()),
        )
        .target("session", &session.id)
        .client(client.clone())
        .failed();
        if let Err(err) = audit::record(&self.db, now, event).await {
            return err.into();
        }
        Error::Token("refresh token reuse detected; the session is revoked".into())
    }

    /// Ends this session, or every session of the caller.
    pub async fn logout(
        &self,
        principal: &Principal,
        all_sessions: bool,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let revoked = if all_sessions {
            sessions::revoke_user_sessions(&txn, &principal.user_id, None, now, "logout").await?
        } else {
            sessions::revoke_session(&txn, &principal.session_id, now, "logout").await?
        };
        let event = AuditEvent::new("session.logout", Actor::User(principal.user_id.clone()))
            .target("session", &principal.session_id)
            .client(client.clone());
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        self.revocations.publish(&revoked).await;
        Ok(())
    }

    pub async fn current_user(&self, principal: &Principal) -> Result<user::Model, Error> {
        users::find_by_id(&self.db, &principal.user_id)
            .await?
            .filter(|u| u.status != "deleted")
            .ok_or(Error::NotFound("user"))
    }

    /// The caller's live sessions, most recently used first.
    pub async fn list_sessions(
        &self,
        principal: &Principal,
        page: crate::store::Page,
    ) -> Result<(Vec<session::Model>, String), Error> {
        let now = self.clock.now();
        let mut rows = sessions::list_live_sessions(
            &self.db,
            &principal.user_id,
            now,
            page.offset,
            page.size + 1,
        )
        .await?;
        let next = page.next_token(&mut rows);
        Ok((rows, next))
    }

    /// Revokes one of the caller's sessions; another user's session is NOT_FOUND.
    pub async fn revoke_session(
        &self,
        principal: &Principal,
        session_id: &str,
        client: &ClientInfo,
    ) -> Result<(), Error> {
        let session = sessions::find_session(&self.db, session_id)
            .await?
            .filter(|s| s.user_id == principal.user_id)
            .ok_or(Error::NotFound("session"))?;
        let now = self.clock.now();
        let txn = crate::store::begin_write(&self.db).await?;
        let revoked = sessions::revoke_session(&txn, &session.id, now, "revoked_by_user").await?;
        let event = AuditEvent::new("session.revoked", Actor::User(principal.user_id.clone()))
            .target("session", &session.id)
            .client(client.clone());
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        self.revocations.publish(&revoked).await;
        Ok(())
    }

    /// RFC 7662 for services (an API key or a platform administrator): is this access token
    /// live (signature, expiry, session)?
    pub async fn introspect(&self, caller: &Caller, token: &str) -> Result<Introspection, Error> {
        if let Caller::User(user) = caller {
            self.require_admin(user).await?;
        }
        let Ok(claims) = self.keyring.verify::<AccessClaims>(token).await else {
            return Ok(Introspection::default());
        };
        if self.revocations.is_revoked(&claims.sid).await? {
            return Ok(Introspection::default());
        }
        Ok(Introspection {
            active: true,
            claims: Some(claims),
        })
    }

    /// The caller must be a platform administrator.
    pub async fn require_admin(&self, caller: &Principal) -> Result<(), Error> {
        let admin = users::find_by_id(&self.db, &caller.user_id)
            .await?
            .is_some_and(|u| u.is_admin && u.status == "active");
        if admin {
            Ok(())
        } else {
            Err(Error::Authorization(
                "this operation is for platform administrators".into(),
            ))
        }
    }

    /// Creates the configured platform administrator (verified, active) when the platform
    /// has no administrator yet.
    pub async fn bootstrap_admin(
        &self,
        email: &str,
        password: &SecretString,
    ) -> anyhow::Result<()> {
        let email =
            Email::parse("ADMIN_BOOTSTRAP_EMAIL", email).map_err(|e| anyhow::anyhow!("{e}"))?;
        // Only for a platform without a (live) administrator: deleting the bootstrap admin
        // once others exist must not bring it back with the configured password.
        if users::find_by_email(&self.db, email.normalized())
            .await?
            .is_some()
            || users::any_admin(&self.db).await?
        {
            return Ok(());
        }
        let password = NewPassword::parse(
            "ADMIN_BOOTSTRAP_PASSWORD",
            credentials::expose(password),
            email.normalized(),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let now = self.clock.now();
        let admin = user::Model {
            password_hash: Some(self.passwords.hash(password.secret()).await?),
            display_name: "Administrator".into(),
            email_verified: true,
            is_admin: true,
            ..users::new_account(&email, now)
        };
        let txn = crate::store::begin_write(&self.db).await?;
        let admin = users::insert(&txn, admin).await?;
        audit::record(
            &txn,
            now,
            AuditEvent::new("user.bootstrap_admin", Actor::System).target("user", &admin.id),
        )
        .await?;
        txn.commit().await?;
        tracing::info!(user.id = %admin.id, "created the bootstrap administrator");
        Ok(())
    }

    /// Inserts a session and its first refresh token and audits the sign-in; returns
    /// (session id, refresh token).
    pub(super) async fn open_session(
        &self,
        db: &impl ConnectionTrait,
        new: NewSession<'_>,
        now: DateTime<Utc>,
    ) -> Result<(String, String), Error> {
        let session = session::Model {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: new.user.id.clone(),
            organization_id: new.organization_id,
            user_agent: new.client.user_agent.clone(),
            ip_address: new.client.ip_address.clone(),
            amr: new.amr.join(" "),
            created_at: now,
            last_used_at: now,
            expires_at: now + self.settings.refresh_token_ttl,
            revoked_at: None,
            revoked_reason: None,
        };
        let id = session.id.clone();
        sessions::insert_session(db, session).await?;
        let refresh = self.new_refresh_token(db, &id, now).await?;
        let event = AuditEvent::new(new.action, Actor::User(new.user.id.clone()))
            .target("user", &new.user.id)
            .client(new.client.clone());
        audit::record(db, now, event).await?;
        Ok((id, refresh))
    }

    pub(super) async fn new_refresh_token(
        &self,
        db: &impl ConnectionTrait,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<String, Error> {
        let token = tokens::new_opaque_token();
        let row = refresh_token::Model {
            token_hash: tokens::digest(&token),
            session_id: session_id.to_owned(),
            created_at: now,
            expires_at: now + self.settings.refresh_token_ttl,
            used_at: None,
        };
        sessions::insert_refresh_token(db, row).await?;
        Ok(token)
    }

    pub(super) async fn token_pair(
        &self,
        account: &user::Model,
        session_id: &str,
        organization_id: Option<&str>,
        amr: &[&str],
        refresh_token: String,
        now: DateTime<Utc>,
    ) -> Result<TokenPair, Error> {
        let role = match organization_id {
            Some(organization_id) => {
                Some(self.organization_role(&account.id, organization_id).await?)
            }
            None => None,
        };
        let grant = AccessGrant {
            user_id: &account.id,
            session_id,
            email: &account.email,
            organization_id,
            organization_role: role.as_ref().map(|(name, _)| name.as_str()),
            permissions: role
                .as_ref()
                .map(|(_, p)| p.to_strings())
                .unwrap_or_default(),
            amr: amr.iter().map(|m| (*m).to_owned()).collect(),
        };
        let ttl = self.settings.access_token_ttl;
        let claims = grant::access_claims(self.keyring.issuer(), grant, now, ttl);
        Ok(TokenPair {
            access_token: self.keyring.sign(&claims).await?,
            refresh_token,
            expires_in: i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
        })
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
