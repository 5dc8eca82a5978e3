//! What introspection reads on every call, whatever this node remembers of a token's
//! signature: a user's access and refresh tokens go inactive the moment their session is
//! revoked or expires, their user is no longer active or their client is disabled, and come
//! back when that is undone; a client's own token goes with its client. Each state is set
//! in the database directly, one at a time, so each rule is seen alone.

use janua::{
    clock::Clock,
    store::entities::{oauth_client, session, user},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use super::{confidential_client, form, read, token_by_post};
use crate::{
    auth::PASSWORD,
    helpers::{TestApp, jwt_claims},
    oauth_clients::{create_client, web_client},
    oauth_flow::{authorize_path, browser::Browser, callback_params, exchange},
    orgs::new_api_key,
};

/// `token` introspected with the API key `key`: whether it is active.
async fn active(app: &TestApp, key: &str, token: &str) -> Value {
    let request = form(app, "/oauth/introspect", &[("token", token)]).bearer_auth(key);
    let (status, _, body) = read(request.send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    body["active"].clone()
}

#[tokio::test]
async fn a_users_tokens_go_inactive_with_their_session_user_or_client_and_come_back() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in_user("live-owner").await;
    let org = app.organization_of(&owner, "Live").await;
    let answer = create_client(
        &app,
        &owner.token,
        &org,
        web_client("OAUTH_CLIENT_TYPE_PUBLIC"),
    )
    .await;
    let client_id = answer["client"]["client_id"].as_str().unwrap().to_owned();
    let (key, _) = new_api_key(&app, &owner, &org, "admin").await;
    let mut browser = Browser::new(&app);
    let sign_in = browser.get_redirect(&authorize_path(&client_id, "")).await;
    let page = browser.get_page(&sign_in).await;
    let callback = browser
        .submit(
            &page,
            &[("email", owner.email.as_str()), ("password", PASSWORD)],
        )
        .await;
    let (status, tokens) = exchange(&app, &client_id, &callback_params(&callback)["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let sid = jwt_claims(&access)["sid"].as_str().unwrap().to_owned();
    assert_eq!(active(&app, &key, &access).await, json!(true));
    assert_eq!(active(&app, &key, &refresh).await, json!(true));

    let db = &app.app.db;
    let now = app.clock.now();
    let live_until = session::Entity::find_by_id(sid.clone())
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .expires_at;
    let set_session = |column: session::Column, value: Expr| {
        session::Entity::update_many()
            .col_expr(column, value)
            .filter(session::Column::Id.eq(sid.as_str()))
            .exec(db)
    };
    let set_user = |status: &str| {
        user::Entity::update_many()
            .col_expr(user::Column::Status, Expr::value(status))
            .filter(user::Column::Id.eq(owner.id.as_str()))
            .exec(db)
    };
    let set_disabled = |disabled: bool| {
        oauth_client::Entity::update_many()
            .col_expr(oauth_client::Column::Disabled, Expr::value(disabled))
            .filter(oauth_client::Column::Id.eq(client_id.as_str()))
            .exec(db)
    };

    let expired = now - chrono::Duration::seconds(1);
    set_session(session::Column::ExpiresAt, Expr::value(expired))
        .await
        .unwrap();
    assert_eq!(active(&app, &key, &access).await, json!(false), "expired");
    assert_eq!(active(&app, &key, &refresh).await, json!(false), "expired");
    set_session(session::Column::ExpiresAt, Expr::value(live_until))
        .await
        .unwrap();
    assert_eq!(active(&app, &key, &access).await, json!(true));

    set_session(session::Column::RevokedAt, Expr::value(now))
        .await
        .unwrap();
    assert_eq!(active(&app, &key, &access).await, json!(false), "revoked");
    assert_eq!(active(&app, &key, &refresh).await, json!(false), "revoked");
    set_session(
        session::Column::RevokedAt,
        Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
    )
    .await
    .unwrap();
    assert_eq!(active(&app, &key, &access).await, json!(true));

    for status in ["suspended", "deleted"] {
        set_user(status).await.unwrap();
        assert_eq!(active(&app, &key, &access).await, json!(false), "{status}");
        assert_eq!(active(&app, &key, &refresh).await, json!(false), "{status}");
        set_user("active").await.unwrap();
        assert_eq!(active(&app, &key, &access).await, json!(true), "{status}");
    }

    set_disabled(true).await.unwrap();
    assert_eq!(active(&app, &key, &access).await, json!(false), "disabled");
    assert_eq!(active(&app, &key, &refresh).await, json!(false), "disabled");
    set_disabled(false).await.unwrap();
    assert_eq!(active(&app, &key, &access).await, json!(true));
    assert_eq!(active(&app, &key, &refresh).await, json!(true));
}

#[tokio::test]
async fn a_clients_own_token_goes_inactive_while_its_client_is_disabled() {
    let app = TestApp::spawn().await;
    let machine = confidential_client(&app, &["client_credentials"]).await;
    let token = token_by_post(&app, &machine.client_id, &machine.secret).await;
    let (key, _) = new_api_key(&app, &machine.owner, &machine.org, "admin").await;
    assert_eq!(active(&app, &key, &token).await, json!(true));
    let set_disabled = |disabled: bool| {
        oauth_client::Entity::update_many()
            .col_expr(oauth_client::Column::Disabled, Expr::value(disabled))
            .filter(oauth_client::Column::Id.eq(machine.client_id.as_str()))
            .exec(&app.app.db)
    };
    set_disabled(true).await.unwrap();
    assert_eq!(active(&app, &key, &token).await, json!(false));
    set_disabled(false).await.unwrap();
    assert_eq!(active(&app, &key, &token).await, json!(true));
}
