//! The life of an account through the real port: suspension and deletion end sessions at
//! once, a deleted user's email signs up again, the last owner of an organization stays,
//! and an administrator lifts a brute-force lock.

use serde_json::{Value, json};

use super::{admin_creates, create_organization, error_code, id_of};
use crate::{
    auth::{
        ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, access, admin_app, login, me_status, register, rest,
        rotate, unique_email,
    },
    helpers::TestApp,
};

#[tokio::test]
async fn suspension_ends_sessions_at_once_and_reactivation_restores_sign_in() {
    let app = admin_app().await;
    let (admin, admin_id) = app.admin_session().await;
    let email = unique_email("suspend");
    let registered = register(&app, &email).await;
    let (token, id) = (access(&registered), id_of(&registered["user"]));
    let refresh = registered["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(me_status(&app, &token).await, 200);

    let suspend = format!("/api/v1/users/{id}/suspend");
    let (status, body) = rest(&app, "POST", &suspend, Some(&token), json!({})).await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "AUTHORIZATION_ERROR"),
        "not an admin"
    );
    let (status, user) = rest(
        &app,
        "POST",
        &suspend,
        Some(&admin),
        json!({"reason": "abuse"}),
    )
    .await;
    assert_eq!(
        (status, &user["status"]),
        (200, &json!("USER_STATUS_SUSPENDED")),
        "{user}"
    );
    assert_eq!(
        me_status(&app, &token).await,
        401,
        "the access token died at once"
    );
    assert_eq!(rotate(&app, &refresh).await.0, 401);
    let (status, body) = login(&app, &email, PASSWORD).await;
    let (wrong_status, wrong) = login(&app, &email, "a wrong password!").await;
    assert_eq!(
        (status, &body["error"]["message"]),
        (wrong_status, &wrong["error"]["message"]),
        "a suspended account answers like a wrong password"
    );
    assert_eq!(status, 401);
    let (status, again) = rest(&app, "POST", &suspend, Some(&admin), json!({})).await;
    assert_eq!(
        (status, &again["update_time"]),
        (200, &user["update_time"]),
        "unchanged"
    );
    let (status, body) = rest(
        &app,
        "POST",
        &format!("/api/v1/users/{admin_id}/suspend"),
        Some(&admin),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "VALIDATION_ERROR"),
        "not oneself"
    );

    let reactivate = format!("/api/v1/users/{id}/reactivate");
    let (status, user) = rest(&app, "POST", &reactivate, Some(&admin), json!({})).await;
    assert_eq!(
        (status, &user["status"]),
        (200, &json!("USER_STATUS_ACTIVE")),
        "{user}"
    );
    let (status, signed_in) = login(&app, &email, PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(me_status(&app, &access(&signed_in)).await, 200);
}

#[tokio::test]
async fn deleted_users_lose_their_sessions_and_free_their_email() {
    let app = admin_app().await;
    let (admin, _) = app.admin_session().await;
    let email = unique_email("gone");
    let (token, id) = app.user_session(&email).await;
    let (_, other) = app.user_session(&unique_email("other")).await;
    let (status, body) = rest(
        &app,
        "DELETE",
        &format!("/api/v1/users/{other}"),
        Some(&token),
        Value::Null,
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "NOT_FOUND_ERROR"),
        "only oneself"
    );

    let (status, body) = rest(
        &app,
        "DELETE",
        &format!("/api/v1/users/{id}"),
        Some(&token),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(me_status(&app, &token).await, 401);
    assert_eq!(login(&app, &email, PASSWORD).await.0, 401);
    let (status, record) = rest(
        &app,
        "GET",
        &format!("/api/v1/users/{id}"),
        Some(&admin),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "admins still see the record");
    assert_eq!(
        (&record["status"], &record["email"]),
        (&json!("USER_STATUS_DELETED"), &json!(email))
    );
    let (status, body) = rest(
        &app,
        "DELETE",
        &format!("/api/v1/users/{id}"),
        Some(&admin),
        Value::Null,
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "NOT_FOUND_ERROR"),
        "already deleted"
    );

    let again = register(&app, &email).await;
    assert_ne!(id_of(&again["user"]), id, "the address signs up afresh");
    let (_, deleted) = rest(
        &app,
        "GET",
        "/api/v1/users?status=USER_STATUS_DELETED",
        Some(&admin),
        Value::Null,
    )
    .await;
    let ids: Vec<&str> = deleted["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    let (_, listed) = rest(&app, "GET", "/api/v1/users", Some(&admin), Value::Null).await;
    assert!(
        !listed.to_string().contains(&id),
        "deleted users are not listed by default"
    );
}

#[tokio::test]
async fn the_last_owner_of_an_organization_cannot_be_deleted() {
    let app = admin_app().await;
    let (admin, _) = app.admin_session().await;
    let (owner, owner_id) = app.user_session(&unique_email("owner")).await;
    let heir_email = unique_email("heir");
    let (heir, heir_id) = app.user_session(&heir_email).await;
    let organization = create_organization(&app, &owner, "Solo").await;
    let delete_owner = format!("/api/v1/users/{owner_id}");
    let (status, body) = rest(&app, "DELETE", &delete_owner, Some(&admin), Value::Null).await;
    assert_eq!(
        (status, error_code(&body)),
        (409, "CONFLICT_ERROR"),
        "{body}"
    );
    assert_eq!(me_status(&app, &owner).await, 200, "nothing happened");

    let (status, body) = rest(
        &app,
        "POST",
        &format!("/api/v1/organizations/{organization}/members"),
        Some(&owner),
        json!({"user_id": heir_id, "role": "owner"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    crate::orgs::accept_mailed_invitation_as(&app, &heir_email, &heir).await;
    let (status, body) = rest(&app, "DELETE", &delete_owner, Some(&admin), Value::Null).await;
    assert_eq!(status, 200, "{body}");
    let (status, members) = rest(
        &app,
        "GET",
        &format!("/api/v1/organizations/{organization}/members"),
        Some(&heir),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{members}");
    let ids: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [heir_id.as_str()],
        "the deleted owner left the organization"
    );
}

#[tokio::test]
async fn unlock_user_lifts_a_brute_force_lock() {
    let app = TestApp::spawn_with(&[
        ("ADMIN_BOOTSTRAP_EMAIL", ADMIN_EMAIL),
        ("ADMIN_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD),
        ("LOGIN_DELAY_AFTER_FAILURES", "3"),
        ("LOGIN_LOCK_AFTER_FAILURES", "3"),
        ("LOGIN_LOCK_SECONDS", "600"),
    ])
    .await;
    let (admin, _) = app.admin_session().await;
    let email = unique_email("locked");
    let (token, id) = app.user_session(&email).await;
    for _ in 0..3 {
        assert_eq!(login(&app, &email, "wrong wrong wrong").await.0, 401);
    }
    assert_eq!(login(&app, &email, PASSWORD).await.0, 423, "locked");
    let unlock = format!("/api/v1/users/{id}/unlock");
    let (status, _) = rest(&app, "POST", &unlock, Some(&token), json!({})).await;
    assert_eq!(status, 403, "not an admin");
    let (status, body) = rest(&app, "POST", &unlock, Some(&admin), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        login(&app, &email, PASSWORD).await.0,
        200,
        "the lock is gone"
    );
}

#[tokio::test]
async fn a_deleted_bootstrap_admin_is_not_recreated_while_another_admin_lives() {
    let app = admin_app().await;
    let (root, root_id) = app.admin_session().await;
    let email = unique_email("second-admin");
    admin_creates(
        &app,
        &root,
        json!({"email": email, "password": PASSWORD, "is_admin": true, "email_verified": true}),
    )
    .await;
    let second = access(&login(&app, &email, PASSWORD).await.1);
    let (status, body) = rest(
        &app,
        "DELETE",
        &format!("/api/v1/users/{root_id}"),
        Some(&second),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // A restart with the same ADMIN_BOOTSTRAP_* settings.
    let restarted = app.spawn_beside(&[]).await;
    assert_eq!(login(&restarted, ADMIN_EMAIL, ADMIN_PASSWORD).await.0, 401);
}
