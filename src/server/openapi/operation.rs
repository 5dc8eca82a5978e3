//! One OpenAPI operation per gateway route: path parameters from the template, query
//! parameters for every other URL-settable field when the body is not the whole message
//! (as `gateway/json.rs` binds them), the request body (`body: "*"` or `body: "field"`), the
//! response (the output message or its `response_body` field), the error response, and
//! the security the RPC's access declaration asks for.

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Value, json};

use super::{comments::Comments, schema::Schemas, security};
use crate::{
    principal::Requirement,
    server::gateway::route::{BodyTarget, Route},
};

/// How deep query parameters follow nested messages (`filter.actor.id`); recursive
/// messages stop there.
const MAX_QUERY_DEPTH: usize = 4;

/// The operation object for `route`.
pub fn operation(
    route: &Route,
    operation_id: &str,
    requirement: Option<&Requirement>,
    schemas: &mut Schemas<'_>,
    comments: &Comments,
) -> Value {
    let method = &route.method;
    let service = method.parent_service();
    let input = method.input();
    let path_fields = route.template.variables();

    let mut parameters: Vec<Value> = path_fields
        .iter()
        .filter_map(|dotted| {
            let field = field_at(&input, dotted)?;
            Some(json!({
                "name": dotted,
                "in": "path",
                "required": true,
                "schema": schemas.field(&field),
            }))
        })
        .collect();
    if route.body != BodyTarget::Whole {
        let body_field = match &route.body {
            BodyTarget::Field(name) => Some(name.as_str()),
            _ => None,
        };
        query_parameters(
            &input,
            "",
            path_fields,
            body_field,
            schemas,
            &mut parameters,
            0,
        );
    }

    let mut description = comments
        .get(&method.parent_file(), method.path())
        .map(|text| format!("{text}\n\n"))
        .unwrap_or_default();
    let mut operation = json!({
        "operationId": operation_id,
        "tags": [service.name()],
        "summary": method.name(),
        "responses": {
            "200": {
                "description": format!("`{}`", response_name(route)),
                "content": { "application/json": { "schema": response_schema(route, schemas) } },
            },
            "default": { "$ref": "#/components/responses/Error" },
        },
    });
    if let Some(requirement) = requirement {
        description.push_str(&security::sentence(requirement));
        operation["security"] = security::requirement(requirement);
        operation["x-janua-access"] = security::extension(requirement);
    }
    operation["description"] = description.trim_end().into();
    if !parameters.is_empty() {
        operation["parameters"] = parameters.into();
    }
    if let Some(body) = request_body(route, path_fields, schemas) {
        // An empty body binds as `{}`, so the body is never required.
        operation["requestBody"] = json!({
            "required": false,
            "content": { "application/json": { "schema": body } },
        });
    }
    operation
}

/// The request body's schema: the whole message less its path fields, or one field.
fn request_body(route: &Route, path_fields: &[String], schemas: &mut Schemas<'_>) -> Option<Value> {
    let input = route.method.input();
    match &route.body {
        BodyTarget::None => None,
        BodyTarget::Field(name) => Some(schemas.field(&input.get_field_by_name(name)?)),
        BodyTarget::Whole => {
            let omit: Vec<&str> = path_fields
                .iter()
                .map(String::as_str)
                .filter(|name| input.get_field_by_name(name).is_some())
                .collect();
            Some(if omit.is_empty() {
                schemas.message(&input)
            } else {
                schemas.object(&input, &omit)
            })
        }
    }
}

fn response_schema(route: &Route, schemas: &mut Schemas<'_>) -> Value {
    let output = route.method.output();
    match route
        .response_body
        .as_deref()
        .and_then(|name| output.get_field_by_name(name))
    {
        Some(field) => schemas.field(&field),
        None => schemas.message(&output),
    }
}

fn response_name(route: &Route) -> String {
    let output = route.method.output();
    match &route.response_body {
        Some(field) => format!("{}.{field}", output.name()),
        None => output.name().to_owned(),
    }
}

/// Appends a query parameter for every field the gateway can set from the query string:
/// scalars, enums, repeated scalars, the well-known types written as JSON strings, and the
/// fields of nested messages by dotted name. Maps, repeated messages, `Struct` and the
/// like cannot come from a URL.
fn query_parameters(
    message: &MessageDescriptor,
    prefix: &str,
    path_fields: &[String],
    body_field: Option<&str>,
    schemas: &mut Schemas<'_>,
    out: &mut Vec<Value>,
    depth: usize,
) {
    for field in message.fields() {
        let name = format!("{prefix}{}", field.name());
        if path_fields.contains(&name) || (prefix.is_empty() && body_field == Some(field.name())) {
            continue;
        }
        if field.is_map() {
            continue;
        }
        match field.kind() {
            Kind::Message(inner) if url_settable(&inner) => {}
            Kind::Message(inner) => {
                let is_plain = !inner.full_name().starts_with("google.protobuf.");
                if is_plain && !field.is_list() && depth < MAX_QUERY_DEPTH {
                    let prefix = format!("{name}.");
                    query_parameters(&inner, &prefix, path_fields, None, schemas, out, depth + 1);
                }
                continue;
            }
            _ => {}
        }
        out.push(json!({
            "name": name,
            "in": "query",
            "schema": schemas.field(&field),
        }));
    }
}

/// Well-known types whose proto3 JSON is a string the gateway binds from a URL as it is.
fn url_settable(message: &MessageDescriptor) -> bool {
    matches!(
        message.full_name(),
        "google.protobuf.Timestamp"
            | "google.protobuf.Duration"
            | "google.protobuf.FieldMask"
            | "google.protobuf.StringValue"
            | "google.protobuf.BytesValue"
            | "google.protobuf.Int32Value"
            | "google.protobuf.Int64Value"
            | "google.protobuf.UInt32Value"
            | "google.protobuf.UInt64Value"
            | "google.protobuf.FloatValue"
            | "google.protobuf.DoubleValue"
    )
}

/// The field at a dotted path such as `user.id`.
fn field_at(message: &MessageDescriptor, dotted: &str) -> Option<FieldDescriptor> {
    let (head, rest) = match dotted.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (dotted, None),
    };
    let field = message.get_field_by_name(head)?;
    match (rest, field.kind()) {
        (None, _) => Some(field),
        (Some(rest), Kind::Message(inner)) => field_at(&inner, rest),
        (Some(_), _) => None,
    }
}
