//! The OpenAPI 3.1 document of the REST API, generated from the contract: the gateway's own
//! route table (the `google.api.http` annotations), the access declarations the access layer
//! enforces, and the proto comments of the compiled descriptor set. Nothing here names an
//! RPC: a new annotated RPC appears in the document as it gets its route.
//!
//! Generated once at start-up (served at `/openapi.json`) and by `janua openapi` (committed
//! as `openapi/janua.json`, which the test command holds to what the server serves).

mod comments;
mod fixed;
mod operation;
mod schema;
mod security;

use std::collections::HashMap;

use anyhow::Context;
use prost_reflect::DescriptorPool;
use serde_json::{Map, Value, json};

use super::{access, gateway::RouteTable};
use comments::Comments;
use schema::Schemas;

/// The document, as JSON text (pretty, with a final newline): what `/openapi.json` serves
/// and `janua openapi` prints, byte for byte.
pub fn document_text(pool: &DescriptorPool) -> anyhow::Result<String> {
    let document = document(pool)?;
    let mut text = serde_json::to_string_pretty(&document).context("writing the document")?;
    text.push('\n');
    Ok(text)
}

/// The document for the contract in `pool`.
pub fn document(pool: &DescriptorPool) -> anyhow::Result<Value> {
    let routes = RouteTable::from_pool(pool)?;
    let requirements = access::requirements(pool)?;
    let comments = Comments::of(pool);
    let mut schemas = Schemas::new(pool, &comments);

    let mut sorted: Vec<_> = routes.routes().collect();
    sorted.sort_by(|a, b| {
        (&a.template_source, a.http_method.as_str())
            .cmp(&(&b.template_source, b.http_method.as_str()))
    });
    let mut paths = Map::new();
    let mut bindings_seen: HashMap<String, usize> = HashMap::new();
    for route in sorted {
        let method = &route.method;
        let base_id = format!("{}_{}", method.parent_service().name(), method.name());
        let seen = bindings_seen.entry(base_id.clone()).or_default();
        *seen += 1;
        // Additional bindings of one RPC get their own operation ids.
        let operation_id = match *seen {
            1 => base_id,
            n => format!("{base_id}_{n}"),
        };
        let operation = operation::operation(
            route,
            &operation_id,
            requirements.get(&route.grpc_path),
            &mut schemas,
            &comments,
        );
        let item = paths
            .entry(openapi_path(&route.template_source))
            .or_insert_with(|| json!({}));
        item[route.http_method.as_str().to_ascii_lowercase()] = operation;
    }
    paths.extend(fixed::plain_routes());

    let tags: Vec<Value> = pool
        .services()
        .filter(|service| {
            routes
                .routes()
                .any(|r| r.method.parent_service() == service)
        })
        .map(|service| {
            let description = comments
                .get(&service.parent_file(), service.path())
                .unwrap_or_default();
            json!({ "name": service.name(), "description": description })
        })
        .chain([json!({
            "name": "Discovery and health",
            "description": "Plain HTTP routes for load balancers and relying parties.",
        })])
        .collect();

    let mut components = schemas.into_components();
    components.extend(fixed::error_schemas());
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Janua REST API",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "Self-hosted identity: sign-up, sign-in, sessions, users, organizations, \
                        MFA and single sign-on.",
            "description": "Generated from the Protobuf contract: every route is a gRPC method \
                            transcoded by the gateway, with the same rules. JSON keys are the \
                            proto field names (requests also accept lowerCamelCase); 64-bit \
                            integers are JSON numbers (strings are accepted on input); enums \
                            are value names; timestamps are RFC 3339 strings. Fields without \
                            presence are always written, defaults included.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
        },
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": { "Error": fixed::error_response() },
            "securitySchemes": security::schemes(),
        },
    }))
}

/// A `google.api.http` template as an OpenAPI path: `{field=pattern}` becomes `{field}`.
pub fn openapi_path(template: &str) -> String {
    let mut path = String::with_capacity(template.len());
    let mut in_pattern = false;
    for c in template.chars() {
        match c {
            '=' if path.rfind('{') > path.rfind('}') => in_pattern = true,
            '}' => {
                in_pattern = false;
                path.push(c);
            }
            _ if in_pattern => {}
            _ => path.push(c),
        }
    }
    path
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn generated() -> Value {
        document(&crate::proto::descriptor_pool().unwrap()).unwrap()
    }

    fn parameter_names<'a>(operation: &'a Value, location: &str) -> Vec<&'a str> {
        operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == location)
            .map(|p| p["name"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn templates_become_openapi_paths() {
        assert_eq!(openapi_path("/v1/users/{user_id}"), "/v1/users/{user_id}");
        assert_eq!(openapi_path("/v1/{name=orgs/*}:get"), "/v1/{name}:get");
        assert_eq!(openapi_path("/v1/{a.b}/x"), "/v1/{a.b}/x");
    }

    #[test]
    fn every_gateway_route_is_an_operation() {
        let pool = crate::proto::descriptor_pool().unwrap();
        let document = generated();
        let routes = RouteTable::from_pool(&pool).unwrap();
        let mut ids = std::collections::HashSet::new();
        for route in routes.routes() {
            let path = openapi_path(&route.template_source);
            let method = route.http_method.as_str().to_ascii_lowercase();
            let operation = &document["paths"][&path][&method];
            assert!(operation.is_object(), "{method} {path}");
            assert!(
                ids.insert(operation["operationId"].as_str().unwrap().to_owned()),
                "duplicate id at {path}"
            );
        }
    }

    #[test]
    fn path_fields_are_parameters_and_leave_the_body() {
        let document = generated();
        let patch = &document["paths"]["/api/v1/organizations/{organization_id}/members/{user_id}"]
            ["patch"];
        assert_eq!(
            parameter_names(patch, "path"),
            ["organization_id", "user_id"]
        );
        let body = &patch["requestBody"]["content"]["application/json"]["schema"];
        assert!(body["properties"]["role"].is_object(), "{body}");
        assert!(body["properties"].get("user_id").is_none(), "{body}");
    }

    #[test]
    fn list_requests_take_their_fields_from_the_query() {
        let document = generated();
        let list = &document["paths"]["/api/v1/audit-events"]["get"];
        let names = parameter_names(list, "query");
        for expected in ["page_size", "page_token", "organization_id", "start_time"] {
            assert!(names.contains(&expected), "{names:?}");
        }
        assert!(list.get("requestBody").is_none());
    }

    #[test]
    fn body_field_routes_take_that_field_and_the_rest_from_the_query() {
        let document = generated();
        let update = &document["paths"]["/api/v1/users/{user_id}"]["patch"];
        let body = &update["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(body["$ref"], "#/components/schemas/janua.users.v1.User");
        assert_eq!(parameter_names(update, "query"), ["update_mask"]);
        let response = &update["responses"]["200"]["content"]["application/json"]["schema"];
        assert_eq!(response["$ref"], "#/components/schemas/janua.users.v1.User");
    }
}
