//! The REST/JSON gateway: one generic transcoder driven by the `google.api.http` annotations
//! of the compiled descriptor set.
//!
//! Why our own transcoder over prost-reflect rather than a crate: the existing crates either
//! generate per-RPC code at build time (so the gateway would not be generic over the
//! descriptor) or expect a separate proxy process. Reading the annotations at start-up and
//! calling the very same tonic service stack in-process (auth and metrics layers included)
//! keeps one code path for every transport and gives a route to any annotated RPC.
//!
//! It must never hold business rules: it binds, calls, and renders (errors through
//! `rpc::reply`, shared with the plain HTTP routes). One request timeout
//! covers it all, from reading the body to the RPC's answer.

pub(crate) mod json;
pub mod route;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    response::{IntoResponse, Response},
};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use http_body_util::BodyExt;
use tokio::time::{Instant, timeout_at};
use tonic::Status;
use tower::ServiceExt;

use super::request_log::RequestFacts;
use crate::{client_address::ClientAddress, rpc::reply};

pub use reply::{from_status as status_response, http_status};
pub use route::RouteTable;

/// Request headers passed on to the RPC as metadata. (Not `x-forwarded-for`: the client's
/// address travels as the `ClientAddress` the edge decided.)
const FORWARDED_HEADERS: [&str; 5] = [
    "authorization",
    "x-api-key",
    "user-agent",
    "x-request-id",
    "accept-language",
];

#[derive(Clone)]
pub struct Gateway {
    routes: Arc<RouteTable>,
    grpc: Router,
    max_body_bytes: usize,
    timeout: Duration,
}

impl Gateway {
    pub fn new(routes: RouteTable, grpc: Router, max_body_bytes: usize, timeout: Duration) -> Self {
        Self {
            routes: Arc::new(routes),
            grpc,
            max_body_bytes,
            timeout,
        }
    }

    /// Transcodes one REST request.
    pub async fn handle(&self, request: Request<Body>) -> Response {
        let deadline = Instant::now() + self.timeout;
        let (parts, body) = request.into_parts();
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let request_id = request_id.as_deref();
        let matched = match self.routes.find(&parts.method, parts.uri.path()) {
            Ok(matched) => matched,
            Err(other_method) => return route_missing(other_method, request_id),
        };
        let body = match timeout_at(deadline, axum::body::to_bytes(body, self.max_body_bytes)).await
        {
            Ok(Ok(body)) => body,
            Err(_) => {
                return reply::gateway_error(
                    StatusCode::REQUEST_TIMEOUT,
                    "DEADLINE_EXCEEDED",
                    "the request body did not arrive in time",
                    None,
                    request_id,
                );
            }
            Ok(Err(_)) => {
                let message = format!("the request body exceeds {} bytes", self.max_body_bytes);
                return reply::gateway_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "VALIDATION_ERROR",
                    &message,
                    None,
                    request_id,
                );
            }
        };
        let route = matched.route;
        if let Some(facts) = parts.extensions.get::<RequestFacts>() {
            facts.note_route(&route.template_source);
        }
        let message = match json::bind_request(route, &matched.bindings, parts.uri.query(), &body) {
            Ok(message) => message,
            Err(err) => {
                let message = match &err.field {
                    Some(field) => format!("{field}: {}", err.description),
                    None => err.description.clone(),
                };
                return reply::gateway_error(
                    StatusCode::BAD_REQUEST,
                    "VALIDATION_ERROR",
                    &message,
                    Some((err.field.as_deref(), &err.description)),
                    request_id,
                );
            }
        };
        let call = grpc_request(
            &route.grpc_path,
            &parts.headers,
            &parts.extensions,
            json::encode_request(&message),
        );
        let reply = match timeout_at(deadline, self.call(call)).await {
            Ok(reply) => reply,
            Err(_) => Err(Status::deadline_exceeded("the request took too long")),
        };
        match reply.and_then(|bytes| {
            json::decode_response(route, &bytes)
                .map_err(|_| Status::internal("undecodable response"))
        }) {
            Ok(response) => {
                match json::render_response(&response, route.response_body.as_deref()) {
                    Ok(value) => axum::Json(value).into_response(),
                    Err(cause) => {
                        tracing::error!(rpc = %route.grpc_path, cause, "response could not be rendered");
                        reply::from_status(&Status::internal("internal error"), request_id)
                    }
                }
            }
            Err(status) => reply::from_status(&status, request_id),
        }
    }

    /// Calls the gRPC stack in-process and returns the single response message.
    async fn call(&self, request: Request<Body>) -> Result<Bytes, Status> {
        let response = self
            .grpc
            .clone()
            .oneshot(request)
            .await
            .map_err(|_| Status::internal("in-process call failed"))?;
        let (parts, body) = response.into_parts();
        failed_status(&parts.headers).map_or(Ok(()), Err)?;
        let collected = body
            .collect()
            .await
            .map_err(|_| Status::internal("response body could not be read"))?;
        if let Some(status) = collected.trailers().and_then(failed_status) {
            return Err(status);
        }
        unframe(collected.to_bytes())
    }
}

fn route_missing(other_method: bool, request_id: Option<&str>) -> Response {
    if other_method {
        reply::gateway_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "this route does not accept that HTTP method",
            None,
            request_id,
        )
    } else {
        reply::gateway_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND_ERROR",
            "no such route",
            None,
            request_id,
        )
    }
}

/// A status from headers or trailers, when it is not OK.
fn failed_status(headers: &HeaderMap) -> Option<Status> {
    Status::from_header_map(headers).filter(|status| status.code() != tonic::Code::Ok)
}

/// An in-process gRPC request carrying the forwarded headers, the client's address and the
/// request's log facts.
fn grpc_request(
    path: &str,
    headers: &HeaderMap,
    extensions: &http::Extensions,
    message: Vec<u8>,
) -> Request<Body> {
    let mut frame = BytesMut::with_capacity(5 + message.len());
    frame.put_u8(0);
    frame.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    frame.extend_from_slice(&message);
    let mut request = Request::new(Body::from(frame.freeze()));
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = path.parse().unwrap_or_default();
    *request.version_mut() = http::Version::HTTP_2;
    let out = request.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    out.insert(header::TE, HeaderValue::from_static("trailers"));
    for name in FORWARDED_HEADERS {
        for value in headers.get_all(name) {
            out.append(name, value.clone());
        }
    }
    if let Some(client) = extensions.get::<ClientAddress>() {
        request.extensions_mut().insert(*client);
    }
    if let Some(facts) = extensions.get::<RequestFacts>() {
        request.extensions_mut().insert(facts.clone());
    }
    request
}

/// The one uncompressed message of a unary gRPC response body.
fn unframe(mut body: Bytes) -> Result<Bytes, Status> {
    if body.len() < 5 || body[0] != 0 {
        return Err(Status::internal("malformed response frame"));
    }
    body.advance(1);
    let length = body.get_u32() as usize;
    if body.len() < length {
        return Err(Status::internal("truncated response frame"));
    }
    Ok(body.split_to(length))
}
