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
        auth_method: match model.auth_method {
            None => pb::AuthMethod::Unspecified,
            Some(user::AuthMethod::Password) => pb::AuthMethod::Password,
            Some(user::AuthMethod::Oauth) => pb::AuthMethod::Oauth,
            Some(user::AuthMethod::Dual) => pb::AuthMethod::Dual,
        }
        .into(),
        external_id: model.external_id.clone().unwrap_or_default(),
        migration_invited_at: model.migration_invited_at.map(timestamp),
        migration_completed_at: model.migration_completed_at.map(timestamp),
    }
}
