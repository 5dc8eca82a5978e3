//! Every method of the contract answers over gRPC, gRPC-web and its REST route with a real
//! gRPC status (an answer to the empty request, or UNIMPLEMENTED while its capability is not
//! built) — never a missing route, an internal error or a transport error — and methods that
//! need credentials refuse a caller without them. Server-streaming methods have no REST
//! route (the gateway transcodes unary calls only).

use janua::server::gateway::route::RouteTable;
use prost_reflect::DescriptorPool;
use serde_json::Value;
use tonic::Code;

use super::helpers::{TestApp, call_raw, grpc_web_frame};

struct Rpc {
    path: String,
    public: bool,
    /// Server-streaming: gRPC and gRPC-web only (the gateway transcodes unary calls).
    streaming: bool,
}

fn janua_rpcs(pool: &DescriptorPool) -> Vec<Rpc> {
    let requirements = janua::server::access::requirements(pool).unwrap();
    let mut rpcs: Vec<Rpc> = pool
        .services()
        .filter(|s| s.full_name().starts_with("janua."))
        .flat_map(|s| s.methods().collect::<Vec<_>>())
        .map(|m| {
            let path = format!("/{}/{}", m.parent_service().full_name(), m.name());
            let public = requirements[&path].audience == janua::principal::Audience::Public;
            Rpc {
                path,
                public,
                streaming: m.is_server_streaming(),
            }
        })
        .collect();
    rpcs.sort_by(|a, b| a.path.cmp(&b.path));
    rpcs
}

fn answer_code<T>(answer: Result<T, tonic::Status>) -> Code {
    answer.map_or_else(|status| status.code(), |_| Code::Ok)
}

/// An answer from the RPC itself: not a failure of the server or the transport.
fn is_real_answer(code: Code) -> bool {
    !matches!(
        code,
        Code::Unknown | Code::Internal | Code::Unavailable | Code::DataLoss | Code::Cancelled
    )
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
        let anonymous = answer_code(call_raw(channel.clone(), &rpc.path, None).await);
        if rpc.public {
            assert!(
                is_real_answer(anonymous),
                "{} without a token: {anonymous:?}",
                rpc.path
            );
        } else {
            assert_eq!(
                anonymous,
                Code::Unauthenticated,
                "{} without a token",
                rpc.path
            );
        }
        let signed_in = answer_code(call_raw(channel.clone(), &rpc.path, Some(&token)).await);
        assert!(
            is_real_answer(signed_in),
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
        for bearer in [None, Some(&token)] {
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
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                content_type.starts_with("application/grpc-web"),
                "{}",
                rpc.path
            );
            let headers = response.headers().clone();
            let body = response.bytes().await.unwrap();
            let code = grpc_web_status(&headers, &body)
                .unwrap_or_else(|| panic!("{}: no grpc-status", rpc.path));
            if bearer.is_none() && !rpc.public {
                assert_eq!(code, Code::Unauthenticated, "{}", rpc.path);
            } else {
                assert!(
                    is_real_answer(code),
                    "{} (token: {}): {code:?}",
                    rpc.path,
                    bearer.is_some()
                );
            }
        }
    }
}

/// The status of a gRPC-web answer: in the headers (trailers-only) or in the trailer frame.
fn grpc_web_status(headers: &reqwest::header::HeaderMap, body: &[u8]) -> Option<Code> {
    let parse = |v: &str| v.trim().parse::<i32>().ok().map(Code::from_i32);
    if let Some(value) = headers.get("grpc-status") {
        return parse(value.to_str().ok()?);
    }
    let mut rest = body;
    while rest.len() >= 5 {
        let length = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        let (frame, tail) = rest[5..].split_at(length.min(rest.len() - 5));
        if rest[0] & 0x80 != 0 {
            let trailers = String::from_utf8_lossy(frame);
            let line = trailers
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("grpc-status:"))?;
            return parse(&line["grpc-status:".len()..]);
        }
        rest = tail;
    }
    None
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
    for rpc in janua_rpcs(&app.app.descriptors) {
        let routes: Vec<_> = table.routes().filter(|r| r.grpc_path == rpc.path).collect();
        if rpc.streaming {
            assert!(routes.is_empty(), "{} streams: no REST route", rpc.path);
            continue;
        }
        assert!(!routes.is_empty(), "{} has no REST route", rpc.path);
        for route in routes {
            let url = app.url(&concrete_path(&route.template_source));
            for bearer in [None, Some(&token)] {
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
                let what = format!(
                    "{} {url} (token: {}): {status} {body}",
                    route.http_method,
                    bearer.is_some()
                );
                if bearer.is_none() && !rpc.public {
                    assert_eq!(
                        (status, body["error"]["code"].as_str()),
                        (401, Some("TOKEN_ERROR")),
                        "{what}"
                    );
                    continue;
                }
                assert!(
                    status == 200 || status == 501 || (400..500).contains(&status),
                    "{what}"
                );
                assert_ne!(status, 405, "{what}");
                assert_ne!(body["error"]["message"], "no such route", "{what}");
            }
        }
    }
}
