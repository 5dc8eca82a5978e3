//! User rows as the contract's `User` message: the one conversion every service that answers
//! with a user shares (AuthService, UserService, MfaService, SsoService). It knows no rule
//! about who may see a user.

use crate::{
    metadata::{json_to_struct, timestamp},
    proto::janua::users::v1 as pb,
    store::entities::user,
};

pub fn user_to_proto(model: &user::Model) -> pb::User {
    let status = match model.status {
        user::UserStatus::Active => pb::UserStatus::Active,
        user::UserStatus::Suspended => pb::UserStatus::Suspended,
        user::UserStatus::Deleted => pb::UserStatus::Deleted,
    };
    pb::User {
        id: model.id.clone(),
        email: model.email.clone(),
        email_verified: model.email_verified,
        display_name: model.display_name.clone(),
        status: status.into(),
        metadata: model.metadata.as_ref().and_then(json_to_struct),
        is_admin: model.is_admin,
        mfa_enabled: model.mfa_enabled,
        last_login_time: model.last_login_at.map(timestamp),
        create_time: Some(timestamp(model.created_at)),
        update_time: Some(timestamp(model.updated_at)),
    }
}
