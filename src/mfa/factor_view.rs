//! Factors as ListFactors shows them: each stored factor, and the recovery codes as one
//! entry while any are left.

use chrono::{DateTime, Utc};

use super::store;
use crate::store::entities::mfa_factor;

/// What a listed factor is: a stored factor's kind, or the user's recovery codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListedKind {
    Totp,
    Passkey,
    RecoveryCodes,
}

/// A factor as listed. Recovery codes appear as one entry while any are left.
#[derive(Debug, Clone)]
pub struct FactorView {
    pub id: String,
    pub kind: ListedKind,
    pub active: bool,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub(super) fn view(factor: mfa_factor::Model) -> FactorView {
    FactorView {
        kind: match factor.kind {
            store::FactorKind::Totp => ListedKind::Totp,
            store::FactorKind::Passkey => ListedKind::Passkey,
        },
        active: factor.status == store::FactorStatus::Active,
        id: factor.id,
        name: factor.name,
        created_at: factor.created_at,
        last_used_at: factor.last_used_at,
    }
}
