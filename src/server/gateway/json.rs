//! JSON ⇄ message for the gateway: binds the body, query and path variables of an HTTP
//! request into the RPC's request message (both proto and lowerCamelCase names accepted),
//! and writes response messages as proto3 JSON with the proto field names.
//!
//! Deviation from canonical proto3 JSON, on purpose: 64-bit integers are written as JSON
//! numbers (RFC 7662 `exp`/`iat`, `expires_in`), not strings. Both forms are accepted on input.

use prost_reflect::{
    DeserializeOptions, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, SerializeOptions,
    Value as ProtoValue,
};
use serde_json::{Map, Value};

use super::route::{BodyTarget, Route};

/// Why a request could not be bound; becomes a 400 VALIDATION_ERROR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindError {
    pub field: Option<String>,
    pub description: String,
}

impl BindError {
    fn field(field: &str, description: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            description: description.into(),
        }
    }

    fn request(description: impl Into<String>) -> Self {
        Self {
            field: None,
            description: description.into(),
        }
    }
}

/// Builds the request message from the body, the query string and the path variables; path
/// variables win over the same field in the body.
pub fn bind_request(
    route: &Route,
    path_bindings: &[(String, String)],
    query: Option<&str>,
    body: &[u8],
) -> Result<DynamicMessage, BindError> {
    let input = route.method.input();
    let mut object = match &route.body {
        BodyTarget::None => Map::new(),
        BodyTarget::Whole => match parse_body(body)? {
            Value::Object(object) => object,
            Value::Null => Map::new(),
            _ => return Err(BindError::request("the request body must be a JSON object")),
        },
        BodyTarget::Field(name) => {
            let mut object = Map::new();
            let value = parse_body(body)?;
            if !value.is_null() {
                object.insert(name.clone(), value);
            }
            object
        }
    };
    if route.body != BodyTarget::Whole {
        for (key, raw) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            set_path(&mut object, &input, &key, &raw, true)?;
        }
    }
    for (field_path, raw) in path_bindings {
        set_path(&mut object, &input, field_path, raw, false)?;
    }
    camel_case_field_masks(&mut object, &input);
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    // Tracks where in the JSON a value was refused, so the error names the field.
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(Value::Object(object), &mut track);
    DynamicMessage::deserialize_with_options(input, tracked, &options).map_err(|err| {
        let path = track.path().to_string();
        BindError {
            field: (!path.is_empty() && path != ".").then_some(path),
            description: err.to_string(),
        }
    })
}

/// The response message (or its `response_body` field) as proto3 JSON.
pub fn render_response(
    message: &DynamicMessage,
    response_body: Option<&str>,
) -> Result<Value, String> {
    let options = SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(false)
        .stringify_64_bit_integers(false);
    let selected = match response_body {
        None => None,
        Some(field) => match message.get_field_by_name(field).as_deref() {
            Some(ProtoValue::Message(inner)) => Some(inner.clone()),
            _ => return Err(format!("response_body {field:?} is not a message field")),
        },
    };
    let target = selected.as_ref().unwrap_or(message);
    target
        .serialize_with_options(serde_json::value::Serializer, &options)
        .map_err(|err| err.to_string())
}

fn parse_body(body: &[u8]) -> Result<Value, BindError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body)
        .map_err(|err| BindError::request(format!("the request body is not valid JSON: {err}")))
}

/// Sets `dotted` (proto or JSON names) inside `object` to `raw`, converted for the field's
/// type. Query parameters append to repeated fields; path variables replace.
fn set_path(
    object: &mut Map<String, Value>,
    message: &MessageDescriptor,
    dotted: &str,
    raw: &str,
    append: bool,
) -> Result<(), BindError> {
    let (head, rest) = match dotted.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (dotted, None),
    };
    let field = message
        .get_field_by_name(head)
        .or_else(|| message.get_field_by_json_name(head))
        .ok_or_else(|| BindError::field(dotted, "unknown field"))?;
    // One spelling per field, or the message parser sees the field twice.
    let existing = object
        .remove(field.json_name())
        .or_else(|| object.remove(field.name()));
    let slot = object
        .entry(field.name().to_owned())
        .or_insert(existing.unwrap_or(Value::Null));
    match rest {
        Some(rest) => {
            let Kind::Message(inner) = field.kind() else {
                return Err(BindError::field(dotted, "is not a message field"));
            };
            if field.is_list() || field.is_map() || is_well_known(&inner) {
                return Err(BindError::field(dotted, "cannot be set from a URL"));
            }
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            match slot {
                Value::Object(inner_object) => set_path(inner_object, &inner, rest, raw, append),
                _ => Err(BindError::field(dotted, "cannot be set from a URL")),
            }
        }
        None => {
            let value = scalar(&field, raw).map_err(|d| BindError::field(dotted, d))?;
            if field.is_list() {
                match slot {
                    Value::Array(items) if append => items.push(value),
                    _ => *slot = Value::Array(vec![value]),
                }
            } else if field.is_map() {
                return Err(BindError::field(dotted, "cannot be set from a URL"));
            } else {
                *slot = value;
            }
            Ok(())
        }
    }
}

/// Field masks in either spelling: proto3 JSON wants `displayName`, but REST users write
/// `display_name` (the proto names they see everywhere else), so both are accepted.
fn camel_case_field_masks(object: &mut Map<String, Value>, message: &MessageDescriptor) {
    for field in message.fields() {
        let Kind::Message(inner) = field.kind() else {
            continue;
        };
        if inner.full_name() != "google.protobuf.FieldMask" {
            continue;
        }
        for key in [field.name(), field.json_name()] {
            if let Some(Value::String(mask)) = object.get_mut(key) {
                *mask = mask
                    .split(',')
                    .map(|path| {
                        path.trim()
                            .split('.')
                            .map(lower_camel_case)
                            .collect::<Vec<_>>()
                            .join(".")
                    })
                    .collect::<Vec<_>>()
                    .join(",");
            }
        }
    }
}

fn lower_camel_case(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut upper = false;
    for c in segment.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A URL string as the JSON the message parser expects for this field. Proto3 JSON accepts
/// numbers, enums and well-known types as strings, so only booleans need converting.
fn scalar(field: &FieldDescriptor, raw: &str) -> Result<Value, String> {
    match field.kind() {
        Kind::Bool => match raw {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("expected true or false, got {raw:?}")),
        },
        Kind::Message(inner) if !is_well_known(&inner) => Err("cannot be set from a URL".into()),
        _ => Ok(Value::String(raw.to_owned())),
    }
}

fn is_well_known(message: &MessageDescriptor) -> bool {
    message.full_name().starts_with("google.protobuf.")
}

/// Decodes a response message of the route's output type.
pub fn decode_response(route: &Route, bytes: &[u8]) -> Result<DynamicMessage, prost::DecodeError> {
    DynamicMessage::decode(route.method.output(), bytes)
}

/// Encodes a bound request for the in-process gRPC call.
pub fn encode_request(message: &DynamicMessage) -> Vec<u8> {
    use prost::Message as _;
    message.encode_to_vec()
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
    use http::Method;
    use prost_reflect::ReflectMessage;
    use serde_json::json;

    use super::*;
    use crate::server::gateway::route::RouteTable;

    fn table() -> RouteTable {
        RouteTable::from_pool(&crate::proto::descriptor_pool().unwrap()).unwrap()
    }

    fn bind(method: Method, path_and_query: &str, body: &str) -> Result<Value, BindError> {
        let table = table();
        let (path, query) = path_and_query
            .split_once('?')
            .map_or((path_and_query, None), |(p, q)| (p, Some(q)));
        let matched = table.find(&method, path).expect("route");
        let message = bind_request(matched.route, &matched.bindings, query, body.as_bytes())?;
        Ok(message
            .serialize_with_options(
                serde_json::value::Serializer,
                &SerializeOptions::new().use_proto_field_name(true),
            )
            .unwrap())
    }

    #[test]
    fn path_variables_and_body_fill_the_request() {
        let bound = bind(
            Method::PATCH,
            "/api/v1/organizations/o1/members/u2",
            r#"{"role": "admin"}"#,
        )
        .unwrap();
        assert_eq!(
            bound,
            json!({"organization_id": "o1", "user_id": "u2", "role": "admin"})
        );
    }

    #[test]
    fn path_variables_win_over_the_body_in_either_spelling() {
        let bound = bind(
            Method::PATCH,
            "/api/v1/organizations/o1/members/u2",
            r#"{"userId": "u9", "role": "x"}"#,
        )
        .unwrap();
        assert_eq!(bound["user_id"], "u2");
    }

    #[test]
    fn query_parameters_bind_by_type_in_either_spelling() {
        let bound = bind(
            Method::GET,
            "/api/v1/users?page_size=5&emailPrefix=ab&status=USER_STATUS_ACTIVE",
            "",
        )
        .unwrap();
        assert_eq!(
            bound,
            json!({"page_size": 5, "email_prefix": "ab", "status": "USER_STATUS_ACTIVE"})
        );
    }

    #[test]
    fn query_values_of_the_wrong_type_name_their_field() {
        let err = bind(Method::GET, "/api/v1/users?status=SLEEPING", "").unwrap_err();
        assert!(
            err.description.contains("SLEEPING") || err.description.contains("status"),
            "{err:?}"
        );
        let err = bind(Method::GET, "/api/v1/users?nope=1", "").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("nope"));
    }

    #[test]
    fn field_masks_bind_in_snake_case_and_camel_case() {
        for query in [
            "update_mask=display_name,metadata",
            "update_mask=displayName,metadata",
        ] {
            let bound = bind(
                Method::PATCH,
                &format!("/api/v1/users/u1?{query}"),
                r#"{"display_name": "Ada"}"#,
            )
            .unwrap();
            assert_eq!(bound["update_mask"], "displayName,metadata", "{query}");
        }
    }

    /// Found while writing the fuzz harness: prost-reflect binds `Struct` values by encoding
    /// and decoding them, so a request nested past prost's recursion limit, which the service
    /// could not decode, is already refused here as the client's error.
    #[test]
    fn a_request_nested_past_the_decoding_limit_is_refused_before_the_service() {
        let metadata = (0..60).fold(json!("leaf"), |inner, _| json!({ "k": inner }));
        let body = json!({"email": "a@b.c", "metadata": metadata}).to_string();
        let refused = bind(Method::POST, "/api/v1/users", &body).unwrap_err();
        assert_eq!(refused.field.as_deref(), Some("metadata"));
        assert!(
            refused.description.contains("recursion limit"),
            "{refused:?}"
        );
    }

    #[test]
    fn response_body_selects_the_resource_field() {
        let table = table();
        let route = table
            .find(&Method::GET, "/api/v1/auth/me")
            .expect("route")
            .route;
        let mut response = DynamicMessage::new(route.method.output());
        let user_field = response.descriptor().get_field_by_name("user").unwrap();
        let mut user = DynamicMessage::new(match user_field.kind() {
            Kind::Message(m) => m,
            _ => unreachable!("user is a message"),
        });
        user.set_field_by_name("id", ProtoValue::String("u1".into()));
        user.set_field_by_name("email", ProtoValue::String("a@b.c".into()));
        response.set_field(&user_field, ProtoValue::Message(user));
        let rendered = render_response(&response, route.response_body.as_deref()).unwrap();
        assert_eq!(rendered["id"], "u1");
        assert_eq!(
            rendered["email_verified"], false,
            "defaults are written so clients see every field"
        );
        assert!(rendered.get("user").is_none());
    }
}
