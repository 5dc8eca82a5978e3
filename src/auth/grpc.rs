//! AuthService over gRPC: converts the request, calls one domain function with the caller,
//! and maps the result. No rules here.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::service::{Authentication, LoginOutcome, Registration, SignedIn, TokenPair};
use crate::{
    credentials::Email,
    error::Error,
    ids::{OrganizationId, SessionId},
    metadata::timestamp,
    proto::janua::auth::v1::{self as pb, auth_service_server::AuthService},
    rpc::{client_info, principal, service},
    store::Page,
    user_message::user_to_proto,
};

pub struct AuthGrpc {
    auth: Arc<Authentication>,
}

impl AuthGrpc {
    pub fn new(auth: Arc<Authentication>) -> Self {
        Self { auth }
    }
}

/// A first factor's outcome as the contract's (user, tokens, mfa_challenge) triple.
pub fn login_outcome(
    outcome: LoginOutcome,
) -> (
    Option<crate::proto::janua::users::v1::User>,
    Option<pb::TokenPair>,
    Option<pb::MfaChallenge>,
) {
    match outcome {
        LoginOutcome::SignedIn(result) => {
            let (user, tokens) = signed_in(result);
            (user, tokens, None)
        }
        LoginOutcome::SecondStepRequired(challenge) => (
            None,
            None,
            Some(pb::MfaChallenge {
                challenge_id: challenge.id,
                methods: challenge.methods,
                expire_time: Some(timestamp(challenge.expires_at)),
                passkey_options_json: challenge.passkey_options_json.unwrap_or_default(),
            }),
        ),
    }
}

fn tokens_to_proto(tokens: TokenPair) -> pb::TokenPair {
    pb::TokenPair {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        token_type: "Bearer".into(),
        expires_in: tokens.expires_in,
    }
}

/// A signed-in result as the contract's (user, tokens) pair.
pub fn signed_in(
    result: SignedIn,
) -> (
    Option<crate::proto::janua::users::v1::User>,
    Option<pb::TokenPair>,
) {
    (
        Some(user_to_proto(&result.user)),
        Some(tokens_to_proto(result.tokens)),
    )
}

type Reply<T> = Result<Response<T>, Status>;

fn email(raw: &str) -> Result<Email, Error> {
    Email::parse("email", raw)
}

#[tonic::async_trait]
impl AuthService for AuthGrpc {
    async fn register(&self, request: Request<pb::RegisterRequest>) -> Reply<pb::RegisterResponse> {
        let client = client_info(&request);
        let body = request.into_inner();
        let registration = self
            .auth
            .register(
                &email(&body.email)?,
                &body.password,
                &body.display_name,
                &client,
            )
            .await?;
        let (user, tokens) = match registration {
            Registration::SignedIn(result) => signed_in(*result),
            Registration::SeeMailbox => (None, None),
        };
        Ok(Response::new(pb::RegisterResponse { user, tokens }))
    }

    async fn login(&self, request: Request<pb::LoginRequest>) -> Reply<pb::LoginResponse> {
        let client = client_info(&request);
        let body = request.into_inner();
        let (user, tokens, mfa_challenge) = login_outcome(
            self.auth
                .login(&email(&body.email)?, &body.password, &client)
                .await?,
        );
        Ok(Response::new(pb::LoginResponse {
            user,
            tokens,
            mfa_challenge,
        }))
    }

    async fn refresh_token(
        &self,
        request: Request<pb::RefreshTokenRequest>,
    ) -> Reply<pb::RefreshTokenResponse> {
        let client = client_info(&request);
        let tokens = self
            .auth
            .refresh(&request.into_inner().refresh_token, &client)
            .await?;
        Ok(Response::new(pb::RefreshTokenResponse {
            tokens: Some(tokens_to_proto(tokens)),
        }))
    }

    async fn logout(&self, request: Request<pb::LogoutRequest>) -> Reply<pb::LogoutResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        self.auth
            .logout(&caller, request.into_inner().all_sessions, &client)
            .await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn get_current_user(
        &self,
        request: Request<pb::GetCurrentUserRequest>,
    ) -> Reply<pb::GetCurrentUserResponse> {
        let user = self.auth.current_user(&principal(&request)?).await?;
        Ok(Response::new(pb::GetCurrentUserResponse {
            user: Some(user_to_proto(&user)),
        }))
    }

    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Reply<pb::ListSessionsResponse> {
        let caller = principal(&request)?;
        let body = request.into_inner();
        let page = Page::parse(body.page_size, &body.page_token)?;
        let (rows, next_page_token) = self.auth.list_sessions(&caller, page).await?;
        let sessions = rows
            .into_iter()
            .map(|s| pb::Session {
                current: s.id == caller.session_id,
                id: s.id,
                user_agent: s.user_agent.unwrap_or_default(),
                ip_address: s.ip_address.unwrap_or_default(),
                create_time: Some(timestamp(s.created_at)),
                last_use_time: Some(timestamp(s.last_used_at)),
                expire_time: Some(timestamp(s.expires_at)),
                organization_id: s.organization_id.unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(pb::ListSessionsResponse {
            sessions,
            next_page_token,
        }))
    }

    async fn revoke_session(
        &self,
        request: Request<pb::RevokeSessionRequest>,
    ) -> Reply<pb::RevokeSessionResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        self.auth
            .revoke_session(
                &caller,
                &SessionId::parse("session_id", &request.into_inner().session_id)?,
                &client,
            )
            .await?;
        Ok(Response::new(pb::RevokeSessionResponse {}))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Reply<pb::ChangePasswordResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        let body = request.into_inner();
        self.auth
            .change_password(&caller, &body.current_password, &body.new_password, &client)
            .await?;
        Ok(Response::new(pb::ChangePasswordResponse {}))
    }

    async fn request_password_reset(
        &self,
        request: Request<pb::RequestPasswordResetRequest>,
    ) -> Reply<pb::RequestPasswordResetResponse> {
        let client = client_info(&request);
        self.auth
            .request_password_reset(email(&request.into_inner().email)?, &client)
            .await?;
        Ok(Response::new(pb::RequestPasswordResetResponse {}))
    }

    async fn reset_password(
        &self,
        request: Request<pb::ResetPasswordRequest>,
    ) -> Reply<pb::ResetPasswordResponse> {
        let client = client_info(&request);
        let body = request.into_inner();
        self.auth
            .reset_password(&body.token, &body.new_password, &client)
            .await?;
        Ok(Response::new(pb::ResetPasswordResponse {}))
    }

    async fn send_verification_email(
        &self,
        request: Request<pb::SendVerificationEmailRequest>,
    ) -> Reply<pb::SendVerificationEmailResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        self.auth.send_verification_email(&caller, &client).await?;
        Ok(Response::new(pb::SendVerificationEmailResponse {}))
    }

    async fn verify_email(
        &self,
        request: Request<pb::VerifyEmailRequest>,
    ) -> Reply<pb::VerifyEmailResponse> {
        let client = client_info(&request);
        self.auth
            .verify_email(&request.into_inner().token, &client)
            .await?;
        Ok(Response::new(pb::VerifyEmailResponse {}))
    }

    async fn send_magic_link(
        &self,
        request: Request<pb::SendMagicLinkRequest>,
    ) -> Reply<pb::SendMagicLinkResponse> {
        let client = client_info(&request);
        let body = request.into_inner();
        self.auth
            .send_magic_link(email(&body.email)?, &body.redirect_uri, &client)
            .await?;
        Ok(Response::new(pb::SendMagicLinkResponse {}))
    }

    async fn verify_magic_link(
        &self,
        request: Request<pb::VerifyMagicLinkRequest>,
    ) -> Reply<pb::VerifyMagicLinkResponse> {
        let client = client_info(&request);
        let (user, tokens, mfa_challenge) = login_outcome(
            self.auth
                .verify_magic_link(&request.into_inner().token, &client)
                .await?,
        );
        Ok(Response::new(pb::VerifyMagicLinkResponse {
            user,
            tokens,
            mfa_challenge,
        }))
    }

    async fn switch_organization(
        &self,
        request: Request<pb::SwitchOrganizationRequest>,
    ) -> Reply<pb::SwitchOrganizationResponse> {
        let (caller, client) = (principal(&request)?, client_info(&request));
        let tokens = self
            .auth
            .switch_organization(
                &caller,
                &OrganizationId::parse("organization_id", &request.into_inner().organization_id)?,
                &client,
            )
            .await?;
        Ok(Response::new(pb::SwitchOrganizationResponse {
            tokens: Some(tokens_to_proto(tokens)),
        }))
    }

    async fn introspect_token(
        &self,
        request: Request<pb::IntrospectTokenRequest>,
    ) -> Reply<pb::IntrospectTokenResponse> {
        let caller = service(&request)?;
        let answer = self
            .auth
            .introspect(&caller, &request.into_inner().token)
            .await?;
        let Some(claims) = answer.claims.filter(|_| answer.active) else {
            return Ok(Response::new(pb::IntrospectTokenResponse::default()));
        };
        Ok(Response::new(pb::IntrospectTokenResponse {
            active: true,
            sub: claims.sub,
            sid: claims.sid,
            exp: claims.exp,
            iat: claims.iat,
            scope: claims.permissions.join(" "),
            token_type: "Bearer".into(),
            org_id: claims.org_id.unwrap_or_default(),
            email: claims.email.unwrap_or_default(),
            org_role: claims.org_role.unwrap_or_default(),
        }))
    }
}
