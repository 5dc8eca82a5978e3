//! The parts of the document that are not read from the contract because the server writes
//! them by hand: the error body of `rpc::reply` (one shape for the gateway and the plain
//! HTTP routes), and the plain routes anyone may call: health and the well-known documents
//! (`server/health.rs`, `server/wellknown.rs`). Each schema here describes exactly what
//! that code writes; the test command's schemathesis run holds them to it.

use serde_json::{Map, Value, json};

/// `components.responses.Error` and the schemas it uses.
pub fn error_response() -> Value {
    json!({
        "description": "An error: the HTTP status follows the reason in `error.code` \
                        (400 VALIDATION_ERROR, 401 AUTHENTICATION_ERROR / TOKEN_ERROR / \
                        MFA_REQUIRED, 403 AUTHORIZATION_ERROR / EMAIL_NOT_VERIFIED, 404 \
                        NOT_FOUND_ERROR, 409 CONFLICT_ERROR, 423 ACCOUNT_LOCKED, 429 \
                        RATE_LIMIT_ERROR with a `Retry-After` header, 500 INTERNAL_ERROR).",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait, on 429 RATE_LIMIT_ERROR.",
                "schema": { "type": "integer", "minimum": 0 },
            },
        },
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
    })
}

/// The error schemas, to add to `components.schemas`.
pub fn error_schemas() -> Map<String, Value> {
    let mut schemas = Map::new();
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["error"],
            "additionalProperties": false,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "status", "request_id", "details"],
                    "additionalProperties": false,
                    "properties": {
                        "code": {
                            "type": "string",
                            "description": "A stable reason, such as VALIDATION_ERROR or \
                                            TOKEN_ERROR (the `google.rpc.ErrorInfo` reason).",
                        },
                        "message": {
                            "type": "string",
                            "description": "For people; never parsed. \"internal error\" on 500.",
                        },
                        "status": { "type": "integer", "description": "The HTTP status." },
                        "request_id": {
                            "type": ["string", "null"],
                            "description": "The request's `x-request-id` (the client's, or \
                                            one the server made); quote it in a report.",
                        },
                        "details": {
                            "type": "array",
                            "items": { "$ref": "#/components/schemas/ErrorDetail" },
                        },
                    },
                },
            },
        }),
    );
    schemas.insert(
        "ErrorDetail".into(),
        json!({
            "description": "A `google.rpc` error detail in proto3 JSON with proto field names.",
            "oneOf": [
                detail("ErrorInfo", json!({
                    "reason": { "type": "string" },
                    "domain": { "type": "string", "description": "`janua`." },
                    "metadata": { "type": "object", "additionalProperties": { "type": "string" } },
                })),
                detail("BadRequest", json!({
                    "field_violations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["field", "description"],
                            "additionalProperties": false,
                            "properties": {
                                "field": { "type": "string" },
                                "description": { "type": "string" },
                            },
                        },
                    },
                })),
                detail("RetryInfo", json!({
                    "retry_delay": {
                        "type": "string",
                        "description": "A duration such as `30s`.",
                    },
                })),
            ],
        }),
    );
    schemas
}

/// One detail kind: its `@type` and its fields, all present.
fn detail(name: &str, fields: Value) -> Value {
    let mut properties = Map::new();
    properties.insert(
        "@type".into(),
        json!({ "const": format!("type.googleapis.com/google.rpc.{name}") }),
    );
    let mut required = vec![Value::from("@type")];
    if let Value::Object(fields) = fields {
        for (key, schema) in fields {
            required.push(key.clone().into());
            properties.insert(key, schema);
        }
    }
    json!({
        "title": name,
        "type": "object",
        "required": required,
        "additionalProperties": false,
        "properties": properties,
    })
}

/// The public plain routes, by path.
pub fn plain_routes() -> Map<String, Value> {
    let health = json!({
        "type": "object",
        "required": ["status", "database", "redis", "version"],
        "additionalProperties": false,
        "properties": {
            "status": { "enum": ["ok", "degraded"] },
            "database": { "enum": ["ok", "unavailable"] },
            "redis": { "enum": ["ok", "unavailable", "not_configured"] },
            "version": { "type": "string" },
        },
    });
    let json_body = |schema: &Value| json!({ "application/json": { "schema": schema } });
    let mut paths = Map::new();
    paths.insert(
        "/health".into(),
        get(
            "health",
            "Liveness: 200 while the process serves. `degraded` when Redis is configured but \
             does not answer.",
            json!({ "200": { "description": "Serving.", "content": json_body(&health) } }),
        ),
    );
    paths.insert(
        "/health/ready".into(),
        get(
            "readiness",
            "Readiness: 503 while the database does not answer. A node without Redis stays \
             ready (`degraded`).",
            json!({
                "200": { "description": "Ready.", "content": json_body(&health) },
                "503": { "description": "The database does not answer.", "content": json_body(&health) },
            }),
        ),
    );
    let jwks = json!({
        "type": "object",
        "required": ["keys"],
        "properties": {
            "keys": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kty", "kid", "alg"],
                    "properties": {
                        "kty": { "type": "string" },
                        "kid": { "type": "string" },
                        "alg": { "type": "string" },
                        "use": { "type": "string" },
                    },
                },
            },
        },
    });
    paths.insert(
        "/.well-known/jwks.json".into(),
        get(
            "jwks",
            "The public keys that verify access tokens (RFC 7517): every key not yet retired.",
            json!({
                "200": { "description": "The key set.", "content": json_body(&jwks) },
                "default": { "$ref": "#/components/responses/Error" },
            }),
        ),
    );
    let discovery = json!({
        "type": "object",
        "required": ["issuer", "jwks_uri"],
        "properties": {
            "issuer": { "type": "string" },
            "jwks_uri": { "type": "string" },
            "userinfo_endpoint": { "type": "string" },
            "introspection_endpoint": { "type": "string" },
            "revocation_endpoint": { "type": "string" },
            "token_endpoint": { "type": "string" },
            "grant_types_supported": { "type": "array", "items": { "type": "string" } },
            "token_endpoint_auth_methods_supported": { "type": "array", "items": { "type": "string" } },
            "scopes_supported": { "type": "array", "items": { "type": "string" } },
        },
    });
    paths.insert(
        "/.well-known/openid-configuration".into(),
        get(
            "openidConfiguration",
            "Discovery for relying parties that verify Janua's access tokens themselves.",
            json!({ "200": { "description": "The discovery document.", "content": json_body(&discovery) } }),
        ),
    );
    paths.insert(
        "/.well-known/oauth-authorization-server".into(),
        get(
            "oauthAuthorizationServer",
            "OAuth 2.0 authorization server metadata (RFC 8414): the token, introspection and revocation endpoints.",
            json!({ "200": { "description": "The metadata document.", "content": json_body(&discovery) } }),
        ),
    );
    paths
}

fn get(operation_id: &str, description: &str, responses: Value) -> Value {
    json!({
        "get": {
            "operationId": operation_id,
            "tags": ["Discovery and health"],
            "summary": operation_id,
            "description": description,
            "security": [],
            "responses": responses,
        },
    })
}
