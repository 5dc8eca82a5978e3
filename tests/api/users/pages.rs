//! ListUsers through the real port: administrators only, filters, and keyset pages that
//! return every user exactly once while users are created and deleted between pages.

use std::collections::{HashMap, HashSet};

use janua::proto::janua::users::v1::{
    CreateUserRequest, ListUsersRequest, UserStatus, user_service_client::UserServiceClient,
};
use serde_json::{Value, json};
use tonic::{Code, transport::Channel};

use super::{admin_creates, authed, create_organization, error_code, id_of};
use crate::{
    auth::{admin_app, rest, unique_email},
    helpers::TestApp,
};

#[tokio::test]
async fn only_admins_list_and_create_users() {
    let app = admin_app().await;
    let (token, _) = app.user_session(&unique_email("plain")).await;
    let (status, body) = rest(&app, "GET", "/api/v1/users", Some(&token), Value::Null).await;
    assert_eq!((status, error_code(&body)), (403, "AUTHORIZATION_ERROR"));
    let (status, body) = rest(
        &app,
        "POST",
        "/api/v1/users",
        Some(&token),
        json!({"email": unique_email("x")}),
    )
    .await;
    assert_eq!((status, error_code(&body)), (403, "AUTHORIZATION_ERROR"));
    let mut grpc = app.users_client().await;
    let refused = grpc
        .list_users(authed(ListUsersRequest::default(), &token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let refused = grpc
        .create_user(authed(
            CreateUserRequest {
                email: unique_email("y"),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn list_users_filters_by_organization_email_prefix_and_status() {
    let app = admin_app().await;
    let (admin, _) = app.admin_session().await;
    let (owner, owner_id) = app.user_session(&unique_email("owner")).await;
    let organization = create_organization(&app, &owner, "Filters").await;
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let underscore = admin_creates(
        &app,
        &admin,
        json!({"email": format!("Pre_{tag}@example.test")}),
    )
    .await;
    let lookalike = admin_creates(
        &app,
        &admin,
        json!({"email": format!("prex{tag}@example.test")}),
    )
    .await;
    let member = admin_creates(
        &app,
        &admin,
        json!({"email": format!("member-{tag}@example.test"), "organization_id": organization}),
    )
    .await;
    rest(
        &app,
        "POST",
        &format!("/api/v1/users/{}/suspend", id_of(&lookalike)),
        Some(&admin),
        json!({}),
    )
    .await;
    let listed = |query: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let (status, body) = rest(
                app,
                "GET",
                &format!("/api/v1/users?{query}"),
                Some(&admin),
                Value::Null,
            )
            .await;
            assert_eq!(status, 200, "{query}: {body}");
            let mut ids: Vec<String> = body["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(id_of)
                .collect();
            ids.sort();
            ids
        }
    };
    let mut expected = vec![owner_id, id_of(&member)];
    expected.sort();
    assert_eq!(
        listed(format!("organization_id={organization}")).await,
        expected
    );
    assert_eq!(
        listed(format!("email_prefix=PRE_{tag}")).await,
        [id_of(&underscore)],
        "`_` is no wildcard"
    );
    assert_eq!(
        listed("email_prefix=pre%25".into()).await,
        Vec::<String>::new(),
        "nor is `%`"
    );
    assert_eq!(
        listed(format!(
            "emailPrefix=prex{tag}&status=USER_STATUS_SUSPENDED"
        ))
        .await,
        [id_of(&lookalike)]
    );
    assert_eq!(
        listed(format!("email_prefix=prex{tag}&status=USER_STATUS_ACTIVE")).await,
        Vec::<String>::new()
    );
    assert_eq!(
        listed(format!("email_prefix=prex{tag}")).await,
        [id_of(&lookalike)],
        "suspended users are listed by default"
    );
}

/// Page ids from ListUsers with `page_size`; after each page, deletes the first user of that
/// page that is not in `keep` (so a list read by offset would skip users).
async fn page_through_while_deleting(
    grpc: &mut UserServiceClient<Channel>,
    admin: &str,
    keep: &HashSet<String>,
    app: &TestApp,
) -> Vec<String> {
    let (mut seen, mut token, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let page = grpc
            .list_users(authed(
                ListUsersRequest {
                    page_size: 7,
                    page_token: token,
                    ..Default::default()
                },
                admin,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(page.users.len() <= 7);
        pages += 1;
        assert!(pages < 100, "the pages never end");
        if let Some(victim) = page.users.iter().find(|u| !keep.contains(&u.id)) {
            let (status, body) = rest(
                app,
                "DELETE",
                &format!("/api/v1/users/{}", victim.id),
                Some(admin),
                Value::Null,
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        seen.extend(page.users.into_iter().map(|u| u.id));
        if page.next_page_token.is_empty() {
            assert!(pages > 8, "{pages} pages");
            return seen;
        }
        token = page.next_page_token;
    }
}

/// How many users the concurrent task creates at most while the test pages.
const LATE_USERS: usize = 40;

#[tokio::test]
async fn list_users_returns_every_user_once_while_users_come_and_go() {
    let app = admin_app().await;
    let (admin, admin_id) = app.admin_session().await;
    let mut grpc = app.users_client().await;
    let mut existing = vec![admin_id.clone()];
    for n in 0..60 {
        let user = admin_creates(
            &app,
            &admin,
            json!({"email": format!("page{n:02}-{}", unique_email("p"))}),
        )
        .await;
        existing.push(id_of(&user));
    }
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let creator = {
        let mut grpc = app.users_client().await;
        let admin = admin.clone();
        tokio::spawn(async move {
            // Bounded, or the pages would chase the creator forever.
            let mut created = 0;
            while created < LATE_USERS && stopped.try_recv().is_err() {
                let request = authed(
                    CreateUserRequest {
                        email: unique_email("late"),
                        ..Default::default()
                    },
                    &admin,
                );
                grpc.create_user(request).await.unwrap();
                created += 1;
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            created
        })
    };
    let keep: HashSet<String> = [admin_id].into();
    let seen = page_through_while_deleting(&mut grpc, &admin, &keep, &app).await;
    let _ = stop.send(()); // the creator may have finished on its own
    assert!(
        creator.await.unwrap() > 0,
        "users were created while paging"
    );

    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &seen {
        *counts.entry(id).or_default() += 1;
    }
    assert!(counts.values().all(|n| *n == 1), "an id came twice");
    for id in &existing {
        assert_eq!(counts.get(id.as_str()), Some(&1), "{id} was skipped");
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "oldest first");

    let first = grpc
        .list_users(authed(
            ListUsersRequest {
                page_size: 7,
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let refused = grpc
        .list_users(authed(
            ListUsersRequest {
                page_size: 7,
                page_token: first.next_page_token.clone(),
                status: UserStatus::Suspended.into(),
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let (status, body) = rest(
        &app,
        "GET",
        &format!(
            "/api/v1/users?page_size=7&email_prefix=page&page_token={}",
            first.next_page_token
        ),
        Some(&admin),
        Value::Null,
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "VALIDATION_ERROR"),
        "{body}"
    );
}
