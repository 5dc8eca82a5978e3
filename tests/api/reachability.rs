//! Every method of the contract answers over gRPC, gRPC-web and its REST route with a real
//! gRPC status (UNIMPLEMENTED while its capability is not built) — never a 404 or a
//! transport error — and methods that need credentials refuse a caller without them.

use janua::server::gateway::route::RouteTable;
use prost_reflect::DescriptorPool;
use serde_json::Value;
use tonic::Code;

use super::helpers::{TestApp, call_raw, grpc_web_frame};

struct Rpc {
    path: String,
    public: bool,
}

fn janua_rpcs(pool: &DescriptorPool) -> Vec<Rpc> {
    let requirements = janua::server::access::requirements(pool).unwrap();
    let mut rpcs: Vec<Rpc> = pool
        .services()
        .filter(|s| s.full_name().starts_with("janua."))
        .flat_map(|s| s.methods().collect::<Vec<_>>())
        .map(|m| {
            let path = format!("/{}/{}", m.parent_service().full_name(), m.name());
            let public = requirements[&path].audience == janua::auth::Audience::Public;
            Rpc { path, public }
        })
        .collect();
    rpcs.sort_by(|a, b| a.path.cmp(&b.path));
    rpcs
}

#[tokio::test]
async fn every_rpc_answers_over_grpc() {
    let app = TestApp::spawn().await;
    let token = app.access_token().await;
    let channel = app.channel().await;
    let rpcs = janua_rpcs(&app.app.descriptors);
    assert!(
        rpcs.len() >= 67,
        "the whole contract is served, found {}",
        rpcs.len()
    );
    for rpc in &rpcs {
        let anonymous = call_raw(channel.clone(), &rpc.path, None)
            .await
            .unwrap_err();
        let expected = if rpc.public {
            Code::Unimplemented
        } else {
            Code::Unauthenticated
        };
        assert_eq!(
            anonymous.code(),
            expected,
            "{} without a token: {anonymous:?}",
            rpc.path
        );
        let signed_in = call_raw(channel.clone(), &rpc.path, Some(&token))
            .await
            .unwrap_err();
        assert_eq!(
            signed_in.code(),
            Code::Unimplemented,
            "{} with a token: {signed_in:?}",
            rpc.path
        );
    }
}

#[tokio::test]
async fn every_rpc_answers_over_grpc_web() {
    let app = TestApp::spawn().await;
    let token = app.access_token().await;
    for rpc in janua_rpcs(&app.app.descriptors) {
        for (bearer, expected) in [
            (None, if rpc.public { "12" } else { "16" }),
            (Some(&token), "12"),
        ] {
            let mut request = app
                .http
                .post(app.url(&rpc.path))
                .header("content-type", "application/grpc-web+proto")
                .header("x-grpc-web", "1")
                .body(grpc_web_frame());
            if let Some(token) = bearer {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{}", rpc.path);
            assert!(
                response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/grpc-web"),
                "{}",
                rpc.path
            );
            let status = response
                .headers()
                .get("grpc-status")
                .map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(
                status.as_deref(),
                Some(expected),
                "{} (token: {})",
                rpc.path,
                bearer.is_some()
            );
        }
    }
}

/// A concrete URL for a route: each path variable becomes a plausible id.
fn concrete_path(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str("0190a000-0000-7000-8000-000000000001");
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn every_rpc_answers_on_its_rest_route() {
    let app = TestApp::spawn().await;
    let token = app.access_token().await;
    let table = RouteTable::from_pool(&app.app.descriptors).unwrap();
    let rpcs = janua_rpcs(&app.app.descriptors);
    for rpc in &rpcs {
        let routes: Vec<_> = table.routes().filter(|r| r.grpc_path == rpc.path).collect();
        assert!(!routes.is_empty(), "{} has no REST route", rpc.path);
        for route in routes {
            let url = app.url(&concrete_path(&route.template_source));
            for (bearer, expected_status, expected_code) in [
                (
                    None,
                    if rpc.public { 501 } else { 401 },
                    if rpc.public {
                        "UNIMPLEMENTED"
                    } else {
                        "TOKEN_ERROR"
                    },
                ),
                (Some(&token), 501, "UNIMPLEMENTED"),
            ] {
                let mut request = app.http.request(route.http_method.clone(), &url);
                if route.body != janua::server::gateway::route::BodyTarget::None {
                    request = request
                        .header("content-type", "application/json")
                        .body("{}");
                }
                if let Some(token) = bearer {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                assert_eq!(
                    status, expected_status,
                    "{} {url}: {body}",
                    route.http_method
                );
                assert_eq!(
                    body["error"]["code"], expected_code,
                    "{} {url}: {body}",
                    route.http_method
                );
                assert_eq!(body["error"]["status"], expected_status);
            }
        }
    }
}
