//! The REST transcoder: `METHOD /path?query`, a newline, then the body, through route
//! matching and binding exactly as the gateway does it. A bound request must be one the gRPC
//! service can decode (the gateway hands it over as Protobuf bytes), and must render back to
//! JSON; anything the transcoder refuses must be refused as a client error, which the types
//! already guarantee (`BindError` is a 400).

use http::Method;
use prost_reflect::{DynamicMessage, ReflectMessage};

use crate::server::gateway::{
    RouteTable,
    json::{bind_request, encode_request, render_response},
};

pub struct RestTranscoderHarness {
    routes: RouteTable,
}

impl RestTranscoderHarness {
    #[expect(
        clippy::expect_used,
        reason = "the contract is compiled in; a harness may panic"
    )]
    pub fn new() -> Self {
        let pool = crate::proto::descriptor_pool().expect("the compiled-in descriptors");
        Self {
            routes: RouteTable::from_pool(&pool).expect("the contract's REST routes"),
        }
    }

    pub fn run(&self, data: &[u8]) {
        let (head, body) = match data.iter().position(|&b| b == b'\n') {
            Some(end) => (&data[..end], &data[end + 1..]),
            None => (data, &[][..]),
        };
        let Ok(head) = std::str::from_utf8(head) else {
            return;
        };
        let Some((method, target)) = head.split_once(' ') else {
            return;
        };
        let Ok(method) = Method::from_bytes(method.as_bytes()) else {
            return;
        };
        let (path, query) = target
            .split_once('?')
            .map_or((target, None), |(path, query)| (path, Some(query)));
        let Ok(matched) = self.routes.find(&method, path) else {
            return;
        };
        let Ok(request) = bind_request(matched.route, &matched.bindings, query, body) else {
            return;
        };
        assert_reaches_the_service(&request);
    }
}

impl Default for RestTranscoderHarness {
    fn default() -> Self {
        Self::new()
    }
}

/// The service decodes what the gateway encodes, to the same message (compared as JSON:
/// maps have no order and NaN is not equal to itself).
fn assert_reaches_the_service(request: &DynamicMessage) {
    let bytes = encode_request(request);
    let decoded = DynamicMessage::decode(request.descriptor(), bytes.as_slice());
    assert!(
        decoded.is_ok(),
        "a bound {} does not decode: {decoded:?}",
        request.descriptor().full_name()
    );
    let sent = render_response(request, None);
    assert!(sent.is_ok(), "a bound request does not render: {sent:?}");
    let received = decoded.ok().map(|decoded| render_response(&decoded, None));
    assert_eq!(
        received,
        Some(sent),
        "the request changed on its way to the service"
    );
}
