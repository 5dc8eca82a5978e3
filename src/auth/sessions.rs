//! Sessions once signed in: refresh-token rotation with reuse detection (a rotated token
//! presented again revokes its whole session), logout, listing and revoking sessions,
//! RFC 7662 introspection, and opening a session with its first tokens.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::grant::{self, AccessGrant};
use super::service::{Authentication, Introspection, NewSession, TokenPair};
use crate::{
    audit::{self, Actor, AuditEvent, ClientInfo},
    credentials::tokens,
    error::Error,
    ids::{SessionId, UserId},
    principal::{AccessClaims, Principal, ServiceCaller},
    store::{
        accounts,
        entities::{refresh_token, session, user},
        sessions,
    },
};

/// A live Janua session and its active user: what a browser session cookie names, and
/// what an OpenID Provider grant rests on.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session_id: SessionId,
    pub user: user::Model,
    /// When the user signed in (OIDC `auth_time`).
    pub auth_time: DateTime<Utc>,
    /// How (`pwd`, `otp`, `hwk`, ...).
    pub amr: Vec<String>,
}

impl LiveSession {
    /// The session as a caller, for the domain functions that take one (logout).
    pub fn principal(&self) -> Principal {
        Principal {
            user_id: self.user.user_id(),
            session_id: self.session_id.clone(),
            email: Some(self.user.email.clone()),
            organization_id: None,
            organization_role: None,
            amr: self.amr.clone(),
        }
    }
}

impl Authentication {
    /// The session if it is neither revoked nor expired and its user may still sign in.
    pub async fn live_session(&self, session_id: &str) -> Result<Option<LiveSession>, Error> {
        let now = self.clock.now();
        let Some(session) = sessions::find_session(&self.db, session_id)
            .await?
            .filter(|s| s.revoked_at.is_none() && s.expires_at > now)
        else {
            return Ok(None);
        };
        let Some(user) = accounts::find_by_id(&self.db, &session.user_id)
            .await?
            .filter(|u| u.is_active())
        else {
            return Ok(None);
        };
        Ok(Some(LiveSession {
            session_id: SessionId::from_trusted(session.id),
            user,
            auth_time: session.created_at,
            amr: session.amr.split_whitespace().map(str::to_owned).collect(),
        }))
    }

    /// Slides a live session's expiry, as a refresh of its own tokens would: an OpenID
    /// Provider grant resting on the session was refreshed.
    pub async fn keep_session_alive(&self, session_id: &str) -> Result<(), Error> {
        let now = self.clock.now();
        sessions::touch_session(
            &self.db,
            session_id,
            now,
            now + self.settings.refresh_token_ttl,
        )
        .await?;
        Ok(())
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
        let (row, session, account) = sessions::find_refresh_token_chain(&self.db, &hash)
            .await?
            .ok_or_else(invalid)?;
        if row.used_at.is_some() {
            return Err(self.refresh_reused(&session, client).await);
        }
        let now = self.clock.now();
        if row.expires_at <= now || session.revoked_at.is_some() || session.expires_at <= now {
            return Err(Error::Token("refresh token expired or revoked".into()));
        }
        let account = account.filter(|u| u.is_active()).ok_or_else(invalid)?;
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
        crate::telemetry::token_refreshed();
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
        crate::telemetry::refresh_token_reused();
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
            Actor::User(UserId::from_trusted(session.user_id.clone())),
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
        accounts::find_by_id(&self.db, &principal.user_id)
            .await?
            .filter(|u| u.status != user::UserStatus::Deleted)
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
        session_id: &SessionId,
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
    pub async fn introspect(
        &self,
        _caller: &ServiceCaller,
        token: &str,
    ) -> Result<Introspection, Error> {
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
        // The session it opened: webhooks turn this into `session.created`.
        let event = AuditEvent::new(new.action, Actor::User(new.user.user_id()))
            .target("user", &new.user.id)
            .client(new.client.clone())
            .metadata(serde_json::json!({ "session_id": id }));
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
