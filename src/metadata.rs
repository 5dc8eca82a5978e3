//! Free-form application metadata on users and organizations: a JSON object of at most
//! 16 KiB, stored as JSON and shown as `google.protobuf.Struct`. Janua never interprets it.

use prost_types::{Struct, Timestamp, Value as ProtoValue, value::Kind};
use serde_json::{Map, Number, Value};

use crate::error::Error;

const MAX_METADATA_BYTES: usize = 16 * 1024;

/// The metadata of a request, checked: None when absent; an object of at most 16 KiB.
pub fn parse(field: &str, metadata: Option<Struct>) -> Result<Option<Value>, Error> {
    let Some(metadata) = metadata else {
        return Ok(None);
    };
    let value = struct_to_json(metadata);
    if value.to_string().len() > MAX_METADATA_BYTES {
        return Err(Error::invalid(field, "must be at most 16 KiB of JSON"));
    }
    Ok(Some(value))
}

/// A JSON object as a `google.protobuf.Struct` (None for anything but an object).
pub fn json_to_struct(value: &Value) -> Option<Struct> {
    let Value::Object(object) = value else {
        return None;
    };
    Some(Struct {
        fields: object
            .iter()
            .map(|(k, v)| (k.clone(), json_to_value(v)))
            .collect(),
    })
}

fn json_to_value(value: &Value) -> ProtoValue {
    let kind = match value {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(*b),
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Value::String(s) => Kind::StringValue(s.clone()),
        Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.iter().map(json_to_value).collect(),
        }),
        Value::Object(_) => Kind::StructValue(json_to_struct(value).unwrap_or_default()),
    };
    ProtoValue { kind: Some(kind) }
}

pub fn struct_to_json(value: Struct) -> Value {
    Value::Object(
        value
            .fields
            .into_iter()
            .map(|(k, v)| (k, value_to_json(v)))
            .collect::<Map<_, _>>(),
    )
}

fn value_to_json(value: ProtoValue) -> Value {
    match value.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(b),
        Some(Kind::NumberValue(n)) => Number::from_f64(n).map_or(Value::Null, Value::Number),
        Some(Kind::StringValue(s)) => Value::String(s),
        Some(Kind::ListValue(list)) => {
            Value::Array(list.values.into_iter().map(value_to_json).collect())
        }
        Some(Kind::StructValue(inner)) => struct_to_json(inner),
    }
}

pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// A request timestamp as a UTC time; None when unset.
pub fn parse_timestamp(
    field: &str,
    at: Option<Timestamp>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Error> {
    let Some(at) = at else {
        return Ok(None);
    };
    let nanos =
        u32::try_from(at.nanos).map_err(|_| Error::invalid(field, "is not a valid time"))?;
    chrono::DateTime::from_timestamp(at.seconds, nanos)
        .map(Some)
        .ok_or_else(|| Error::invalid(field, "is not a valid time"))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn metadata_round_trips_and_is_capped() {
        let json = serde_json::json!({"plan": "pro", "seats": 3.0, "tags": ["a"], "x": null});
        let back = struct_to_json(json_to_struct(&json).unwrap());
        assert_eq!(back, json);
        let big = serde_json::json!({"blob": "x".repeat(17 * 1024)});
        assert!(parse("metadata", json_to_struct(&big)).is_err());
        assert_eq!(parse("metadata", None).unwrap(), None);
    }
}
