//! UserService over gRPC: converts the request, calls one domain function with the caller,
//! and maps the result. No rules here: who may see or change whom is decided in `Users`.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{AuthMethod, MigrationState, NewUser, UserChanges, UserFilter, UserStatus, Users};
use crate::{
    credentials::Email,
    error::Error,
    ids::{OrganizationId, UserId},
    metadata,
    proto::janua::users::v1::{self as pb, user_service_server::UserService},
    rpc::{self, client_info},
    store::Cursor,
    update_mask,
    user_message::user_to_proto,
};

/// The `User` fields UpdateUser knows; `Users::update` decides which the caller may change.
const UPDATABLE_PATHS: [&str; 7] = [
    "display_name",
    "metadata",
    "email",
    "email_verified",
    "is_admin",
    "auth_method",
    "migration_invited_at",
];

pub struct UserGrpc {
    users: Arc<Users>,
}

impl UserGrpc {
    pub fn new(users: Arc<Users>) -> Self {
        Self { users }
    }
}

type Reply<T> = Result<Response<T>, Status>;

/// A request's optional text: None when empty or blank.
fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn user_id(raw: &str) -> Result<UserId, Error> {
    UserId::parse("user_id", raw)
}

fn status_filter(status: i32) -> Result<Option<UserStatus>, Error> {
    match pb::UserStatus::try_from(status) {
        Ok(pb::UserStatus::Unspecified) => Ok(None),
        Ok(pb::UserStatus::Active) => Ok(Some(UserStatus::Active)),
        Ok(pb::UserStatus::Suspended) => Ok(Some(UserStatus::Suspended)),
        Ok(pb::UserStatus::Deleted) => Ok(Some(UserStatus::Deleted)),
        Err(_) => Err(Error::invalid("status", "is not a user status")),
    }
}

fn auth_method(method: i32) -> Result<Option<AuthMethod>, Error> {
    match pb::AuthMethod::try_from(method) {
        Ok(pb::AuthMethod::Unspecified) => Ok(None),
        Ok(pb::AuthMethod::Password) => Ok(Some(AuthMethod::Password)),
        Ok(pb::AuthMethod::Oauth) => Ok(Some(AuthMethod::Oauth)),
        Ok(pb::AuthMethod::Dual) => Ok(Some(AuthMethod::Dual)),
        Err(_) => Err(Error::invalid("auth_method", "is not an auth method")),
    }
}

fn migration_filter(state: i32) -> Result<Option<MigrationState>, Error> {
    match pb::MigrationState::try_from(state) {
        Ok(pb::MigrationState::Unspecified) => Ok(None),
        Ok(pb::MigrationState::NotInvited) => Ok(Some(MigrationState::NotInvited)),
        Ok(pb::MigrationState::Invited) => Ok(Some(MigrationState::Invited)),
        Ok(pb::MigrationState::Completed) => Ok(Some(MigrationState::Completed)),
        Err(_) => Err(Error::invalid(
            "migration_state",
            "is not a migration state",
        )),
    }
}

/// The mask's paths as changes, read from `user`.
fn changes(user: pb::User, mask: Option<prost_types::FieldMask>) -> Result<UserChanges, Error> {
    let mut changes = UserChanges::default();
    for path in update_mask::paths(mask, &UPDATABLE_PATHS)? {
        match path.as_str() {
            "display_name" => changes.display_name = Some(user.display_name.clone()),
            "metadata" => {
                changes.metadata = Some(metadata::parse("user.metadata", user.metadata.clone())?);
            }
            "email" => changes.email = Some(user.email.clone()),
            "email_verified" => changes.email_verified = Some(user.email_verified),
            "auth_method" => changes.auth_method = Some(auth_method(user.auth_method)?),
            "migration_invited_at" => {
                changes.migration_invited_at = Some(metadata::parse_timestamp(
                    "user.migration_invited_at",
                    user.migration_invited_at,
                )?);
            }
            _ => changes.is_admin = Some(user.is_admin),
        }
    }
    Ok(changes)
}

#[tonic::async_trait]
impl UserService for UserGrpc {
    async fn get_user(&self, request: Request<pb::GetUserRequest>) -> Reply<pb::GetUserResponse> {
        let (caller, admin) = rpc::user(&request)?;
        let user = self
            .users
            .get(
                &caller,
                admin.as_ref(),
                &user_id(&request.into_inner().user_id)?,
            )
            .await?;
        Ok(Response::new(pb::GetUserResponse {
            user: Some(user_to_proto(&user)),
        }))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Reply<pb::ListUsersResponse> {
        let admin = rpc::admin(&request)?;
        let body = request.into_inner();
        let filter = UserFilter {
            organization_id: OrganizationId::parse_optional(
                "organization_id",
                &body.organization_id,
            )?,
            email_prefix: given(&body.email_prefix),
            status: status_filter(body.status)?,
            auth_method: auth_method(body.auth_method)?,
            migration: migration_filter(body.migration_state)?,
        };
        let mut fingerprint = format!(
            "organization_id={:?}&email_prefix={:?}&status={}",
            filter.organization_id, filter.email_prefix, body.status
        );
        // Only when given, so the page tokens of requests without them stay valid.
        if body.auth_method != 0 || body.migration_state != 0 {
            fingerprint.push_str(&format!(
                "&auth_method={}&migration_state={}",
                body.auth_method, body.migration_state
            ));
        }
        let cursor = Cursor::parse(body.page_size, &body.page_token, &fingerprint)?;
        let (rows, next_page_token) = self.users.list(&admin, &filter, &cursor).await?;
        Ok(Response::new(pb::ListUsersResponse {
            users: rows.iter().map(user_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn create_user(
        &self,
        request: Request<pb::CreateUserRequest>,
    ) -> Reply<pb::CreateUserResponse> {
        let (admin, client) = (rpc::admin(&request)?, client_info(&request));
        let body = request.into_inner();
        let new = NewUser {
            metadata: metadata::parse("metadata", body.metadata)?,
            email: Email::parse("email", &body.email)?,
            password: body.password,
            display_name: body.display_name,
            email_verified: body.email_verified,
            is_admin: body.is_admin,
            organization_id: OrganizationId::parse_optional(
                "organization_id",
                body.organization_id.trim(),
            )?,
            role: body.role,
        };
        let user = self.users.create(&admin, new, &client).await?;
        Ok(Response::new(pb::CreateUserResponse {
            user: Some(user_to_proto(&user)),
        }))
    }

    async fn update_user(
        &self,
        request: Request<pb::UpdateUserRequest>,
    ) -> Reply<pb::UpdateUserResponse> {
        let ((caller, admin), client) = (rpc::user(&request)?, client_info(&request));
        let body = request.into_inner();
        let changes = changes(body.user.unwrap_or_default(), body.update_mask)?;
        let user = self
            .users
            .update(
                &caller,
                admin.as_ref(),
                &user_id(&body.user_id)?,
                changes,
                &client,
            )
            .await?;
        Ok(Response::new(pb::UpdateUserResponse {
            user: Some(user_to_proto(&user)),
        }))
    }

    async fn delete_user(
        &self,
        request: Request<pb::DeleteUserRequest>,
    ) -> Reply<pb::DeleteUserResponse> {
        let ((caller, admin), client) = (rpc::user(&request)?, client_info(&request));
        self.users
            .delete(
                &caller,
                admin.as_ref(),
                &user_id(&request.into_inner().user_id)?,
                &client,
            )
            .await?;
        Ok(Response::new(pb::DeleteUserResponse {}))
    }

    async fn suspend_user(
        &self,
        request: Request<pb::SuspendUserRequest>,
    ) -> Reply<pb::SuspendUserResponse> {
        let (admin, client) = (rpc::admin(&request)?, client_info(&request));
        let body = request.into_inner();
        let user = self
            .users
            .suspend(&admin, &user_id(&body.user_id)?, &body.reason, &client)
            .await?;
        Ok(Response::new(pb::SuspendUserResponse {
            user: Some(user_to_proto(&user)),
        }))
    }

    async fn reactivate_user(
        &self,
        request: Request<pb::ReactivateUserRequest>,
    ) -> Reply<pb::ReactivateUserResponse> {
        let (admin, client) = (rpc::admin(&request)?, client_info(&request));
        let user = self
            .users
            .reactivate(&admin, &user_id(&request.into_inner().user_id)?, &client)
            .await?;
        Ok(Response::new(pb::ReactivateUserResponse {
            user: Some(user_to_proto(&user)),
        }))
    }

    async fn unlock_user(
        &self,
        request: Request<pb::UnlockUserRequest>,
    ) -> Reply<pb::UnlockUserResponse> {
        let (admin, client) = (rpc::admin(&request)?, client_info(&request));
        self.users
            .unlock(&admin, &user_id(&request.into_inner().user_id)?, &client)
            .await?;
        Ok(Response::new(pb::UnlockUserResponse {}))
    }
}
