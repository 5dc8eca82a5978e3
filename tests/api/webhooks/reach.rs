//! Webhook URLs are tenants': with loopback and private networks not allowed (as in
//! production), a URL naming or resolving to such an address is refused at create, and a
//! delivery to one (a name that resolves elsewhere now, as DNS rebinding would make it) is
//! refused before any connection, its error in the delivery log.

use janua::store::entities::webhook_endpoint;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::json;

use super::{Receiver, create_endpoint, delivery_log, org_webhooks};
use crate::{helpers::TestApp, orgs::reason};

#[tokio::test]
async fn private_addresses_are_refused_at_create_and_at_delivery() {
    let Some(receiver) = Receiver::start() else {
        return;
    };
    let app = TestApp::spawn_with(&[("WEBHOOK_ALLOW_LOOPBACK", "false")]).await;
    let owner = app.signed_in_user("owner").await;
    let org = app.organization_of(&owner, "Acme").await;
    for url in [
        receiver.url("x"),
        "http://localhost:9/hook".to_owned(),
        "https://10.0.0.1/hook".to_owned(),
        "https://169.254.169.254/latest/meta-data".to_owned(),
        "https://[::1]/hook".to_owned(),
        "https://user:pw@93.184.216.34/hook".to_owned(),
    ] {
        let (status, body) = app
            .rest(
                "POST",
                &org_webhooks(&org),
                Some(&owner.token),
                json!({ "url": url }),
            )
            .await;
        assert_eq!(
            (status, reason(&body)),
            (400, "VALIDATION_ERROR"),
            "{url}: {body}"
        );
        assert_eq!(
            body["error"]["details"][1]["field_violations"][0]["field"], "url",
            "{body}"
        );
    }

    // Other refusals name their field too.
    for (body, field) in [
        (
            json!({"url": "https://93.184.216.34/hook", "event_types": ["user.nope"]}),
            "event_types",
        ),
        (
            json!({"url": "https://93.184.216.34/hook", "description": "x".repeat(501)}),
            "description",
        ),
        (json!({"url": ""}), "url"),
    ] {
        let (status, answer) = app
            .rest("POST", &org_webhooks(&org), Some(&owner.token), body)
            .await;
        assert_eq!(
            (status, reason(&answer)),
            (400, "VALIDATION_ERROR"),
            "{answer}"
        );
        assert_eq!(
            answer["error"]["details"][1]["field_violations"][0]["field"], field,
            "{answer}"
        );
    }

    // A public address passes at create; the stored URL then points at the receiver on
    // loopback (what a rebinding name would do): the delivery is refused, nothing arrives.
    let created = create_endpoint(
        &app,
        &owner.token,
        &org_webhooks(&org),
        json!({"url": "https://93.184.216.34/hook", "event_types": ["organization.updated"]}),
    )
    .await;
    let id = created["endpoint"]["id"].as_str().unwrap().to_owned();
    receiver
        .configure("x", created["secret"].as_str().unwrap(), 0)
        .await;
    let row = webhook_endpoint::Entity::find_by_id(id.clone())
        .one(&app.app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row = row.into_active_model();
    row.url = Set(receiver.url("x"));
    row.update(&app.app.db).await.unwrap();
    let (status, body) = app
        .rest(
            "PATCH",
            &format!("/api/v1/organizations/{org}?update_mask=name"),
            Some(&owner.token),
            json!({"name": "Acme 2"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let path = format!("{}/{id}", org_webhooks(&org));
    let (status, answer) = app
        .rest(
            "PATCH",
            &format!("{path}?update_mask=state"),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, reason(&answer)),
        (400, "VALIDATION_ERROR"),
        "{answer}"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let logged = loop {
        let log = delivery_log(&app, &owner.token, &path).await;
        if let Some(first) = log.first()
            && first["attempt_count"] == 1
        {
            break first.clone();
        }
        assert!(std::time::Instant::now() < deadline, "{log:#?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let error = logged["error"].as_str().unwrap();
    assert!(error.contains("refused"), "{error}");
    assert_eq!(logged["response_status_code"], 0);
    assert!(receiver.deliveries("x").await.is_empty());
}
