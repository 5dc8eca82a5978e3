//! `AdminPrincipal`, the proof that a caller is an active platform administrator. Its field
//! is private and this module holds its only constructors, so every administrator check in
//! Janua is the one below: a domain function that takes an `&AdminPrincipal` cannot run
//! for anyone else, and no capability decides "is this an administrator" by itself.

use sea_orm::ConnectionTrait;

use super::Principal;
use crate::{error::Error, ids::UserId, store::accounts};

/// A signed-in user verified to be an active platform administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminPrincipal {
    user: Principal,
}

impl AdminPrincipal {
    /// The administrator's proof, or None when `user` is not an active platform
    /// administrator (the account's `is_admin` flag, and status `active`).
    pub async fn verify(
        db: &impl ConnectionTrait,
        user: &Principal,
    ) -> Result<Option<Self>, Error> {
        let admin = accounts::find_by_id(db, &user.user_id)
            .await?
            .is_some_and(|u| u.is_admin && u.is_active());
        Ok(admin.then(|| Self { user: user.clone() }))
    }

    /// The administrator's proof, or AUTHORIZATION_ERROR for anyone else.
    pub async fn require(db: &impl ConnectionTrait, user: &Principal) -> Result<Self, Error> {
        Self::verify(db, user).await?.ok_or_else(|| {
            Error::Authorization("this operation is for platform administrators".into())
        })
    }

    /// The administrator as a signed-in user.
    pub fn user(&self) -> &Principal {
        &self.user
    }

    pub fn user_id(&self) -> &UserId {
        &self.user.user_id
    }
}
