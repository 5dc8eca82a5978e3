//! Three nodes on one PostgreSQL and one Redis: node A in this process, nodes B and C
//! `janua serve` processes. A session revoked on one node is refused by the others at once;
//! failed sign-ins on all three count toward one limit; a key rotated with `janua keys rotate`
//! is published by every node within the keyring's snapshot age and verifies everywhere.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{
    Node, node_env,
    services::{Postgres, Redis, available},
    session_id, unique_email,
};
use crate::{
    auth::PASSWORD,
    helpers::{JanuaProcess, TestApp, random_key},
};

const LIMITS: [(&str, &str); 3] = [
    ("LOGIN_DELAY_AFTER_FAILURES", "3"),
    ("LOGIN_LOCK_AFTER_FAILURES", "3"),
    ("LOGIN_LOCK_SECONDS", "120"),
];
/// A node re-reads the signing keys when its snapshot is older than this (the keyring's
/// `SNAPSHOT_MAX_AGE`): the bound on "a rotated key is published by every node".
const SNAPSHOT_MAX_AGE: Duration = Duration::from_secs(5);
/// Slack for a slow machine on top of that bound.
const SLACK: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_share_revocations_limits_and_keys() {
    if !available("three_nodes_share_revocations_limits_and_keys") {
        return;
    }
    let postgres = Postgres::start().await;
    let redis = Redis::start().await;
    let env = node_env(&postgres.url(), Some(&redis.url()), &random_key(), &LIMITS);
    let app_a = TestApp::spawn_on(env).await;
    let process_b = JanuaProcess::start_beside(&app_a, &[]).await;
    let process_c = JanuaProcess::start_beside(&app_a, &[]).await;
    let nodes = [
        Node::of(&app_a),
        Node::of_process(&process_b),
        Node::of_process(&process_c),
    ];

    revocation_on_one_node_is_refused_by_the_others_at_once(&nodes).await;
    failed_sign_ins_on_every_node_count_toward_one_limit(&nodes).await;
    a_rotated_key_is_published_and_verified_by_every_node(&app_a, &nodes).await;
}

async fn revocation_on_one_node_is_refused_by_the_others_at_once(nodes: &[Node; 3]) {
    let [a, b, c] = nodes;
    let admin = a.admin_session().await;
    let email = unique_email("revoked");
    a.register(&email).await;
    let logged_out = a.session(&email).await;
    let revoked = b.session(&email).await;
    let kept = c.session(&email).await;
    for node in nodes {
        assert_eq!(node.me(&logged_out).await, 200);
        assert_eq!(node.me(&revoked).await, 200);
    }

    assert_eq!(
        a.post("/api/v1/auth/logout", Some(&logged_out), json!({}))
            .await
            .0,
        200
    );
    for node in [b, c] {
        assert_eq!(
            node.me(&logged_out).await,
            401,
            "logout on A, refused at once"
        );
        assert!(!node.active(&admin, &logged_out).await);
    }
    let path = format!("/api/v1/auth/sessions/{}", session_id(&revoked));
    let (status, _) = b
        .call(reqwest::Method::DELETE, &path, Some(&kept), Value::Null)
        .await;
    assert_eq!(status, 200);
    for node in [a, c] {
        assert_eq!(
            node.me(&revoked).await,
            401,
            "revoked on B, refused at once"
        );
        assert!(!node.active(&admin, &revoked).await);
    }
    for node in nodes {
        assert_eq!(node.me(&kept).await, 200);
    }
}

async fn failed_sign_ins_on_every_node_count_toward_one_limit(nodes: &[Node; 3]) {
    let email = unique_email("limited");
    nodes[0].register(&email).await;
    for node in nodes {
        assert_eq!(node.login(&email, "not the password").await.0, 401);
    }
    for node in nodes {
        assert_eq!(
            node.login(&email, PASSWORD).await.0,
            423,
            "one failure on each node locks the account everywhere"
        );
    }
}

async fn a_rotated_key_is_published_and_verified_by_every_node(app: &TestApp, nodes: &[Node; 3]) {
    let email = unique_email("rotation");
    nodes[0].register(&email).await;
    let rotate = tokio::process::Command::new(env!("CARGO_BIN_EXE_janua"))
        .args(["keys", "rotate"])
        .env_clear()
        .envs(app.env.iter().cloned())
        .output()
        .await
        .unwrap();
    assert!(rotate.status.success(), "{rotate:?}");
    let rotated = Instant::now();
    let kid = String::from_utf8(rotate.stdout).unwrap().trim().to_owned();

    for node in nodes {
        while !publishes(node, &kid).await {
            assert!(
                rotated.elapsed() < SNAPSHOT_MAX_AGE + SLACK,
                "{kid} not published within {SNAPSHOT_MAX_AGE:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    for (signer, node) in nodes.iter().enumerate() {
        let token = node.session(&email).await;
        assert_eq!(
            header_kid(&token),
            kid,
            "node {signer} signs with the new key"
        );
        for verifier in nodes {
            assert_eq!(verifier.me(&token).await, 200);
        }
    }
}

async fn publishes(node: &Node, kid: &str) -> bool {
    let (status, jwks) = node.get("/.well-known/jwks.json").await;
    assert_eq!(status, 200);
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|key| key["kid"] == kid)
}

fn header_kid(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    serde_json::from_slice::<Value>(&json).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned()
}
