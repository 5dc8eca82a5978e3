//! The clients a test calls `TestApp` with: a typed gRPC client per service, each over a
//! new channel to the real port, and one REST call through the gateway.

use janua::proto::janua::{
    audit::v1::audit_service_client::AuditServiceClient,
    auth::v1::auth_service_client::AuthServiceClient,
    mfa::v1::mfa_service_client::MfaServiceClient,
    oauth::v1::o_auth_client_service_client::OAuthClientServiceClient,
    orgs::v1::organization_service_client::OrganizationServiceClient,
    sso::v1::sso_service_client::SsoServiceClient,
    users::v1::user_service_client::UserServiceClient,
};
use serde_json::Value;
use tonic::transport::Channel;

use super::helpers::TestApp;

impl TestApp {
    /// A typed client of the authentication service over a new channel.
    pub async fn auth_client(&self) -> AuthServiceClient<Channel> {
        AuthServiceClient::new(self.channel().await)
    }

    /// A typed client of the user directory over a new channel.
    pub async fn users_client(&self) -> UserServiceClient<Channel> {
        UserServiceClient::new(self.channel().await)
    }

    /// A typed client of the organization service over a new channel.
    pub async fn orgs_client(&self) -> OrganizationServiceClient<Channel> {
        OrganizationServiceClient::new(self.channel().await)
    }

    /// A typed client of the second-factor service over a new channel.
    pub async fn mfa_client(&self) -> MfaServiceClient<Channel> {
        MfaServiceClient::new(self.channel().await)
    }

    /// A typed client of the single sign-on service over a new channel.
    pub async fn sso_client(&self) -> SsoServiceClient<Channel> {
        SsoServiceClient::new(self.channel().await)
    }

    /// A typed client of the OAuth client registry over a new channel.
    pub async fn oauth_clients_client(&self) -> OAuthClientServiceClient<Channel> {
        OAuthClientServiceClient::new(self.channel().await)
    }

    /// A typed client of the audit log over a new channel.
    pub async fn audit_client(&self) -> AuditServiceClient<Channel> {
        AuditServiceClient::new(self.channel().await)
    }

    /// One REST call through the gateway: (HTTP status, JSON body). The body is sent for
    /// every method but GET and DELETE; `token` goes in as a bearer credential.
    pub async fn rest(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (u16, Value) {
        super::auth::rest(self, method, path, token, body).await
    }
}
