//! User rows as the contract's `User` message.

use prost_types::{Struct, Timestamp, Value as ProtoValue, value::Kind};

use crate::{proto::janua::users::v1 as pb, store::entities::user};

pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

pub fn user_to_proto(model: &user::Model) -> pb::User {
    let status = match model.status.as_str() {
        "active" => pb::UserStatus::Active,
        "suspended" => pb::UserStatus::Suspended,
        "deleted" => pb::UserStatus::Deleted,
        _ => pb::UserStatus::Unspecified,
    };
    pb::User {
        id: model.id.clone(),
        email: model.email.clone(),
        email_verified: model.email_verified,
        display_name: model.display_name.clone(),
        status: status.into(),
        metadata: model.metadata.as_ref().and_then(json_to_struct),
        is_admin: model.is_admin,
        mfa_enabled: false,
        last_login_at: model.last_login_at.map(timestamp),
        created_at: Some(timestamp(model.created_at)),
        updated_at: Some(timestamp(model.updated_at)),
    }
}

/// A JSON object as a `google.protobuf.Struct` (None for anything but an object).
pub fn json_to_struct(value: &serde_json::Value) -> Option<Struct> {
    let serde_json::Value::Object(object) = value else {
        return None;
    };
    Some(Struct {
        fields: object
            .iter()
            .map(|(k, v)| (k.clone(), json_to_value(v)))
            .collect(),
    })
}

fn json_to_value(value: &serde_json::Value) -> ProtoValue {
    use serde_json::Value as J;
    let kind = match value {
        J::Null => Kind::NullValue(0),
        J::Bool(b) => Kind::BoolValue(*b),
        J::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        J::String(s) => Kind::StringValue(s.clone()),
        J::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.iter().map(json_to_value).collect(),
        }),
        J::Object(_) => Kind::StructValue(json_to_struct(value).unwrap_or_default()),
    };
    ProtoValue { kind: Some(kind) }
}
