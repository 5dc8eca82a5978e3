//! The fixtures every test area shares, as methods of `TestApp`: a signed-in user, an
//! organization owned by one, a member who accepted a mailed invitation, the bootstrap
//! administrator's session. Each goes through the real port like a client; none reaches
//! into the database.

use serde_json::{Value, json};

use super::{
    auth::{ADMIN_EMAIL, ADMIN_PASSWORD, access, login, register, unique_email},
    helpers::TestApp,
    orgs::accept_mailed_invitation,
    users::id_of,
};

/// A registered user, signed in.
pub struct User {
    pub id: String,
    pub email: String,
    pub token: String,
}

impl TestApp {
    /// Registers a new user (email from `tag`) over REST; the user holds an access token.
    pub async fn signed_in_user(&self, tag: &str) -> User {
        let email = unique_email(tag);
        let body = register(self, &email).await;
        User {
            id: id_of(&body["user"]),
            email,
            token: access(&body),
        }
    }

    /// Creates an organization owned by `owner` over REST; returns its id.
    pub async fn organization_of(&self, owner: &User, name: &str) -> String {
        let (status, body) = self
            .rest(
                "POST",
                "/api/v1/organizations",
                Some(&owner.token),
                json!({"name": name}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        id_of(&body)
    }

    /// Makes `user` a member of `org` with `role`: AddMember by `by` (an invitation,
    /// mailed) and the user's acceptance with the mailed token, read from the outbox (no
    /// SMTP server is configured).
    pub async fn member_of(&self, by: &User, org: &str, user: &User, role: &str) {
        let (status, body) = self
            .rest(
                "POST",
                &format!("/api/v1/organizations/{org}/members"),
                Some(&by.token),
                json!({"user_id": user.id, "role": role}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["invitation"]["status"], "INVITATION_STATUS_PENDING",
            "{body}"
        );
        assert!(body.get("member").is_none_or(Value::is_null), "{body}");
        accept_mailed_invitation(self, user).await;
    }

    /// Signs the bootstrap administrator in over REST (an app from `admin_app`); returns
    /// (access token, user id).
    pub async fn admin_session(&self) -> (String, String) {
        let (status, body) = login(self, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        (access(&body), id_of(&body["user"]))
    }

    /// Registers `email` over REST; returns (access token, user id).
    pub async fn user_session(&self, email: &str) -> (String, String) {
        let body = register(self, email).await;
        (access(&body), id_of(&body["user"]))
    }
}
