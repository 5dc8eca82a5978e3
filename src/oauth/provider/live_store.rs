//! Whether a client access token or a grant still stands, each in one statement. On SQLite
//! every query is a hand-off to sqlx's worker thread, and reading the revocation list, the
//! grant, its session, the session's user and the client one by one was most of what an
//! introspection cost. The rules are exactly those of the reads they replace:
//! - a client access token stands while its `jti` is not revoked and its client is
//!   registered, enabled and of the token's organization (as `OAuthClients::find_client`
//!   finds clients: a disabled client is unknown);
//! - a grant stands while it is not revoked, its session is neither revoked nor expired
//!   and the session's user is active (`Authentication::live_session`); a user's token
//!   needs its grant standing too.
//!
//! Nothing here decides what a standing token may do; the callers do.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, FromQueryResult, Iterable,
    sea_query::{Expr, ExprTrait, Query, SelectStatement},
};

use crate::store::{
    accounts,
    entities::{oauth_client, oauth_grant, oauth_revoked_token, session, user},
    sessions,
};

/// What a client access token says of itself that its standing depends on.
pub struct TokenFacts<'a> {
    pub jti: &'a str,
    pub client_id: &'a str,
    pub organization_id: &'a str,
    /// A user's token names its grant; a client's own (client_credentials) names none.
    pub grant_id: Option<&'a str>,
}

/// Whether the token stands at `now`.
pub async fn access_token_stands(
    db: &impl ConnectionTrait,
    token: &TokenFacts<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut select = Query::select();
    select
        .column((oauth_client::Entity, oauth_client::Column::Id))
        .from(oauth_client::Entity)
        .cond_where(
            Condition::all()
                .add(oauth_client::Column::Id.eq(token.client_id))
                .add(client_is_enabled_in(token.organization_id))
                .add(Expr::not_exists(revoked(token.jti))),
        );
    if let Some(grant_id) = token.grant_id {
        select.inner_join(oauth_grant::Entity, oauth_grant::Column::Id.eq(grant_id));
        join_grant_standing(&mut select, now);
    }
    Ok(db.query_one(&select).await?.is_some())
}

/// The grant, if it stands at `now` and its client is enabled and of `organization_id`.
pub async fn find_standing_grant(
    db: &impl ConnectionTrait,
    grant_id: &str,
    organization_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<oauth_grant::Model>, DbErr> {
    let mut select = Query::select();
    select
        .columns(oauth_grant::Column::iter().map(|c| (oauth_grant::Entity, c)))
        .from(oauth_grant::Entity)
        .inner_join(
            oauth_client::Entity,
            Expr::col((oauth_client::Entity, oauth_client::Column::Id))
                .equals((oauth_grant::Entity, oauth_grant::Column::ClientId)),
        )
        .cond_where(
            Condition::all()
                .add(oauth_grant::Column::Id.eq(grant_id))
                .add(client_is_enabled_in(organization_id)),
        );
    join_grant_standing(&mut select, now);
    db.query_one(&select)
        .await?
        .map(|row| oauth_grant::Model::from_query_result(&row, ""))
        .transpose()
}

/// The joined `oauth_clients` row is enabled and of the organization.
fn client_is_enabled_in(organization_id: &str) -> Condition {
    Condition::all()
        .add(oauth_client::Column::Disabled.eq(false))
        .add(oauth_client::Column::OrganizationId.eq(organization_id))
}

/// The revocation-list entry of `jti`, for `NOT EXISTS`.
fn revoked(jti: &str) -> SelectStatement {
    Query::select()
        .column(oauth_revoked_token::Column::Jti)
        .from(oauth_revoked_token::Entity)
        .and_where(oauth_revoked_token::Column::Jti.eq(jti))
        .to_owned()
}

/// Joins the session and user of the `oauth_grants` row already in `select`, and requires
/// the grant unrevoked, the session live at `now` and its user active.
fn join_grant_standing(select: &mut SelectStatement, now: DateTime<Utc>) {
    select
        .inner_join(
            session::Entity,
            Expr::col((session::Entity, session::Column::Id))
                .equals((oauth_grant::Entity, oauth_grant::Column::SessionId)),
        )
        .inner_join(
            user::Entity,
            Expr::col((user::Entity, user::Column::Id))
                .equals((session::Entity, session::Column::UserId)),
        )
        .cond_where(
            Condition::all()
                .add(oauth_grant::Column::RevokedAt.is_null())
                .add(sessions::session_is_live(now))
                .add(accounts::user_is_active()),
        );
}
