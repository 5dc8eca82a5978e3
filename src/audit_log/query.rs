//! Reading the audit log (AuditService): who may read which events, and paging through
//! them newest first. With an organization, the caller needs the permission the RPC declares
//! ("audit:read") there (a non-member gets NOT_FOUND, as for an organization that does not
//! exist); without one, every event (platform-wide ones included) needs an administrator's
//! proof from the access layer.

use chrono::{DateTime, Utc};

use super::store::{self, EventQuery};
use crate::{
    audit::ClientInfo,
    error::Error,
    ids::OrganizationId,
    orgs::scope,
    principal::{AdminPrincipal, Caller, Principal},
    store::{Cursor, Db, entities::audit_event},
};

/// ListAuditEvents filters; None = no filter.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub organization_id: Option<OrganizationId>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

pub struct AuditLog {
    db: Db,
}

impl AuditLog {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// One page of the events matching `filter` that the caller may read, newest first.
    /// `reader` is who asks: the user and, for an administrator, the proof; `permission` is
    /// what the RPC declares a reader needs in a named organization.
    pub async fn list(
        &self,
        reader: (&Principal, Option<&AdminPrincipal>),
        permission: Option<&str>,
        filter: &EventFilter,
        cursor: &Cursor,
        client: ClientInfo,
    ) -> Result<(Vec<audit_event::Model>, String), Error> {
        self.authorize(reader, permission, filter, client).await?;
        if let (Some(start), Some(end)) = (filter.start, filter.end)
            && end <= start
        {
            return Err(Error::invalid("end_time", "must be after start_time"));
        }
        let after = cursor.after.as_deref().map(parse_key).transpose()?;
        let query = EventQuery {
            organization_id: filter.organization_id.as_deref(),
            actor_id: filter.actor_id.as_deref(),
            action: filter.action.as_deref(),
            start: filter.start,
            end: filter.end,
        };
        let after = after.as_ref().map(|(at, id)| (*at, id.as_str()));
        let mut rows = store::list(&self.db, &query, after, cursor.limit()).await?;
        let next = cursor.next_token(&mut rows, |event| key(event.occurred_at, &event.id));
        Ok((rows, next))
    }

    async fn authorize(
        &self,
        (user, admin): (&Principal, Option<&AdminPrincipal>),
        permission: Option<&str>,
        filter: &EventFilter,
        client: ClientInfo,
    ) -> Result<(), Error> {
        if let Some(organization_id) = &filter.organization_id {
            let caller = Caller::User(user.clone());
            scope::authorize(&self.db, &caller, organization_id, permission, client).await?;
            return Ok(());
        }
        if admin.is_some() {
            Ok(())
        } else {
            Err(Error::Authorization(
                "the whole audit log is for platform administrators; name an organization_id"
                    .into(),
            ))
        }
    }
}

/// The page-token key of an event: its time in nanoseconds (exact, so the next page starts
/// right after it whatever precision the database keeps) and its id.
fn key(occurred_at: DateTime<Utc>, id: &str) -> String {
    let nanos = occurred_at.timestamp_nanos_opt().unwrap_or(i64::MAX);
    format!("{nanos}/{id}")
}

fn parse_key(key: &str) -> Result<(DateTime<Utc>, String), Error> {
    key.split_once('/')
        .and_then(|(nanos, id)| {
            let nanos = nanos.parse::<i64>().ok()?;
            (!id.is_empty()).then(|| (DateTime::from_timestamp_nanos(nanos), id.to_owned()))
        })
        .ok_or_else(|| Error::invalid("page_token", "is not a token this list gave out"))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn page_keys_round_trip_to_the_nanosecond() {
        let at = DateTime::from_timestamp(1_800_000_000, 123_456_789).unwrap();
        let (back, id) = parse_key(&key(at, "0190-abc")).unwrap();
        assert_eq!((back, id.as_str()), (at, "0190-abc"));
        for junk in ["", "12", "x/id", "12/"] {
            assert!(parse_key(junk).is_err(), "{junk}");
        }
    }
}
