//! JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the contract's messages, exactly as
//! the gateway writes and reads them (`gateway/json.rs`): proto field names, 64-bit
//! integers as JSON numbers, enums by value name, bytes as base64, the well-known types in
//! their proto3 JSON forms (a Timestamp is an RFC 3339 string), at most one member of a
//! `oneof`, and no property the message does not have (the gateway refuses unknown fields).
//! Messages become components named by their full proto name; well-known types are inlined.
//!
//! The gateway writes every field without presence (defaults included) and omits unset
//! message, `optional` and `oneof` fields; one schema serves requests and responses, so only
//! `google.api.field_behavior` REQUIRED fields are listed as required.

use prost_reflect::{
    DescriptorPool, EnumDescriptor, ExtensionDescriptor, FieldDescriptor, Kind, MessageDescriptor,
    Value as ProtoValue,
};
use serde_json::{Map, Value, json};

use super::comments::Comments;

const COMPONENT_PREFIX: &str = "#/components/schemas/";

/// The schemas built so far, as `components.schemas`.
pub struct Schemas<'a> {
    comments: &'a Comments,
    field_behavior: Option<ExtensionDescriptor>,
    components: Map<String, Value>,
}

impl<'a> Schemas<'a> {
    pub fn new(pool: &DescriptorPool, comments: &'a Comments) -> Self {
        Self {
            comments,
            field_behavior: pool.get_extension_by_name("google.api.field_behavior"),
            components: Map::new(),
        }
    }

    pub fn into_components(self) -> Map<String, Value> {
        self.components
    }

    /// A message's schema: a well-known type inline, any other a `$ref` to its component.
    pub fn message(&mut self, message: &MessageDescriptor) -> Value {
        if let Some(schema) = self.well_known(message) {
            return schema;
        }
        let name = message.full_name().to_owned();
        if !self.components.contains_key(&name) {
            // Claimed before the fields are walked, so a recursive message refers to itself.
            self.components.insert(name.clone(), Value::Null);
            let schema = self.object(message, &[]);
            self.components.insert(name.clone(), schema);
        }
        json!({ "$ref": format!("{COMPONENT_PREFIX}{name}") })
    }

    /// The object schema of a message without the fields named in `omit` (those a request
    /// takes from its URL path).
    pub fn object(&mut self, message: &MessageDescriptor, omit: &[&str]) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in message.fields().filter(|f| !omit.contains(&f.name())) {
            if self.behaviors(&field).iter().any(|b| b == "REQUIRED") {
                required.push(field.name().to_owned());
            }
            properties.insert(field.name().to_owned(), self.field(&field));
        }
        let mut schema = json!({
            "type": "object",
            "properties": properties,
            "additionalProperties": false,
        });
        if let Some(text) = self.comments.get(&message.parent_file(), message.path()) {
            schema["description"] = text.into();
        }
        if !required.is_empty() {
            schema["required"] = required.into();
        }
        let pairs = oneof_pairs(message, omit);
        if !pairs.is_empty() {
            schema["not"] = json!({ "anyOf": pairs });
        }
        schema
    }

    /// A field's schema (a list or a map when it is one) with its comment and behaviour.
    pub fn field(&mut self, field: &FieldDescriptor) -> Value {
        let mut schema = match field.kind() {
            Kind::Message(entry) if field.is_map() => {
                let key = entry.map_entry_key_field().kind();
                let mut map = json!({
                    "type": "object",
                    "additionalProperties": self.singular(&entry.map_entry_value_field().kind()),
                });
                // Proto3 JSON writes every map key as a string; integer keys as digits.
                if !matches!(key, Kind::String) {
                    map["propertyNames"] = map_key_pattern(&key);
                }
                map
            }
            kind if field.is_list() => json!({ "type": "array", "items": self.singular(&kind) }),
            kind => self.singular(&kind),
        };
        let mut description = self
            .comments
            .get(&field.parent_file(), field.path())
            .map(str::to_owned)
            .unwrap_or_default();
        if let Some(oneof) = field.containing_oneof().filter(|o| !o.is_synthetic()) {
            let members: Vec<String> = oneof.fields().map(|f| format!("`{}`", f.name())).collect();
            description.push_str(&format!(
                "\n\nOne of `{}`: at most one of {} is set.",
                oneof.name(),
                members.join(", ")
            ));
        }
        if !description.trim().is_empty() {
            schema["description"] = description.trim().into();
        }
        for behavior in self.behaviors(field) {
            match behavior.as_str() {
                "OUTPUT_ONLY" => schema["readOnly"] = true.into(),
                "INPUT_ONLY" => schema["writeOnly"] = true.into(),
                _ => {}
            }
        }
        schema
    }

    /// The schema of one value of a field's type.
    fn singular(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Double | Kind::Float => json!({
                "oneOf": [
                    { "type": "number" },
                    // Proto3 JSON spells the non-finite values as strings.
                    { "type": "string", "enum": ["NaN", "Infinity", "-Infinity"] },
                ],
            }),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                integer("int32", i32::MIN.into(), i32::MAX.into())
            }
            Kind::Uint32 | Kind::Fixed32 => integer("int64", 0.into(), u32::MAX.into()),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
                integer("int64", i64::MIN.into(), i64::MAX.into())
            }
            Kind::Uint64 | Kind::Fixed64 => integer("uint64", 0.into(), u64::MAX.into()),
            Kind::Bool => json!({ "type": "boolean" }),
            Kind::String => json!({ "type": "string" }),
            Kind::Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
            Kind::Message(message) => self.message(message),
            Kind::Enum(enumeration) => self.enumeration(enumeration),
        }
    }

    /// Enums travel by value name; the component lists each value with its comment.
    fn enumeration(&mut self, enumeration: &EnumDescriptor) -> Value {
        if enumeration.full_name() == "google.protobuf.NullValue" {
            return json!({ "type": "null" });
        }
        let name = enumeration.full_name().to_owned();
        if !self.components.contains_key(&name) {
            let file = enumeration.parent_file();
            let mut description = self
                .comments
                .get(&file, enumeration.path())
                .map(|text| format!("{text}\n\n"))
                .unwrap_or_default();
            for value in enumeration.values() {
                let text = self.comments.get(&file, value.path()).unwrap_or_default();
                description.push_str(&format!("- `{}`: {}\n", value.name(), text));
            }
            let names: Vec<String> = enumeration.values().map(|v| v.name().to_owned()).collect();
            let schema = json!({
                "type": "string",
                "enum": names,
                "description": description.trim_end(),
            });
            self.components.insert(name.clone(), schema);
        }
        json!({ "$ref": format!("{COMPONENT_PREFIX}{name}") })
    }

    /// The proto3 JSON form of a well-known type, or None for any other message.
    fn well_known(&mut self, message: &MessageDescriptor) -> Option<Value> {
        Some(match message.full_name() {
            "google.protobuf.Timestamp" => json!({ "type": "string", "format": "date-time" }),
            "google.protobuf.Duration" => json!({
                "type": "string",
                "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$",
                "description": "A duration in seconds with an `s` suffix, such as `1.5s`.",
            }),
            "google.protobuf.FieldMask" => json!({
                "type": "string",
                "description": "Comma-separated field paths, such as `display_name,metadata` \
                                (snake_case or lowerCamelCase).",
            }),
            "google.protobuf.Struct" => json!({ "type": "object" }),
            "google.protobuf.ListValue" => json!({ "type": "array" }),
            "google.protobuf.Value" => json!({}),
            "google.protobuf.Empty" => json!({ "type": "object", "additionalProperties": false }),
            "google.protobuf.Any" => json!({
                "type": "object",
                "properties": { "@type": { "type": "string" } },
                "required": ["@type"],
            }),
            // The wrappers (Int64Value, StringValue, ...) are their `value` field's JSON.
            name if name.starts_with("google.protobuf.") && name.ends_with("Value") => {
                let value = message.get_field_by_name("value")?;
                self.singular(&value.kind())
            }
            _ => return None,
        })
    }

    /// The field's `google.api.field_behavior` values, by name.
    fn behaviors(&self, field: &FieldDescriptor) -> Vec<String> {
        let Some(extension) = &self.field_behavior else {
            return Vec::new();
        };
        let options = field.options();
        if !options.has_extension(extension) {
            return Vec::new();
        }
        let declared = options.get_extension(extension);
        let (ProtoValue::List(values), Kind::Enum(names)) = (declared.as_ref(), extension.kind())
        else {
            return Vec::new();
        };
        values
            .iter()
            .filter_map(ProtoValue::as_enum_number)
            .filter_map(|number| names.get_value(number))
            .map(|value| value.name().to_owned())
            .collect()
    }
}

fn integer(format: &str, minimum: Value, maximum: Value) -> Value {
    json!({ "type": "integer", "format": format, "minimum": minimum, "maximum": maximum })
}

fn map_key_pattern(key: &Kind) -> Value {
    match key {
        Kind::Bool => json!({ "enum": ["true", "false"] }),
        _ => json!({ "pattern": "^-?[0-9]+$" }),
    }
}

/// `{"required": [a, b]}` for every two members of the same real `oneof` (not a proto3
/// `optional`), to be forbidden together: at most one member may be set.
fn oneof_pairs(message: &MessageDescriptor, omit: &[&str]) -> Vec<Value> {
    let mut pairs = Vec::new();
    for oneof in message.oneofs().filter(|o| !o.is_synthetic()) {
        let members: Vec<String> = oneof
            .fields()
            .map(|f| f.name().to_owned())
            .filter(|name| !omit.contains(&name.as_str()))
            .collect();
        for (i, first) in members.iter().enumerate() {
            for second in &members[i + 1..] {
                pairs.push(json!({ "required": [first, second] }));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn with_schemas(test: impl FnOnce(&DescriptorPool, &mut Schemas<'_>)) {
        let pool = crate::proto::descriptor_pool().unwrap();
        let comments = Comments::of(&pool);
        let mut schemas = Schemas::new(&pool, &comments);
        test(&pool, &mut schemas);
    }

    #[test]
    fn messages_are_components_with_proto_field_names() {
        with_schemas(|pool, schemas| {
            let user = pool.get_message_by_name("janua.users.v1.User").unwrap();
            let reference = schemas.message(&user);
            assert_eq!(
                reference["$ref"],
                "#/components/schemas/janua.users.v1.User"
            );
            let components = std::mem::replace(&mut schemas.components, Map::new());
            let user = &components["janua.users.v1.User"];
            assert_eq!(user["additionalProperties"], false);
            let properties = user["properties"].as_object().unwrap();
            assert!(properties.contains_key("email_verified"), "{properties:?}");
            assert_eq!(properties["create_time"]["format"], "date-time");
            assert_eq!(properties["create_time"]["readOnly"], true);
            assert_eq!(properties["metadata"]["type"], "object");
            assert_eq!(
                properties["status"]["$ref"],
                "#/components/schemas/janua.users.v1.UserStatus"
            );
            let status = &components["janua.users.v1.UserStatus"];
            assert_eq!(status["type"], "string");
            assert!(
                status["enum"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("USER_STATUS_ACTIVE"))
            );
        });
    }

    #[test]
    fn sixty_four_bit_integers_are_json_numbers_as_the_gateway_writes_them() {
        with_schemas(|pool, schemas| {
            let tokens = pool.get_message_by_name("janua.auth.v1.TokenPair").unwrap();
            let schema = schemas.object(&tokens, &[]);
            let expires_in = &schema["properties"]["expires_in"];
            assert_eq!(expires_in["type"], "integer");
            assert_eq!(expires_in["format"], "int64");
        });
    }

    #[test]
    fn oneof_members_may_not_be_set_together() {
        with_schemas(|pool, schemas| {
            let verify = pool
                .get_message_by_name("janua.mfa.v1.VerifyMfaChallengeRequest")
                .unwrap();
            let schema = schemas.object(&verify, &[]);
            let pairs = schema["not"]["anyOf"].as_array().unwrap();
            assert!(pairs.contains(&json!({ "required": ["totp_code", "recovery_code"] })));
            assert_eq!(schema["properties"]["totp_code"]["writeOnly"], true);
            let required = schema["required"].as_array().unwrap();
            assert!(required.contains(&json!("challenge_id")), "{required:?}");
        });
    }

    #[test]
    fn omitted_fields_leave_the_object() {
        with_schemas(|pool, schemas| {
            let request = pool
                .get_message_by_name("janua.orgs.v1.UpdateMemberRequest")
                .unwrap();
            let schema = schemas.object(&request, &["organization_id", "user_id"]);
            let properties = schema["properties"].as_object().unwrap();
            assert!(!properties.contains_key("organization_id"));
            assert!(properties.contains_key("role"));
        });
    }
}
