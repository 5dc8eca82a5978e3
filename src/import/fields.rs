//! Reading the fields of a janua-v2 record (a `serde_json::Value`) leniently: a missing or
//! mistyped field reads as empty, and the rules that follow decide whether that is allowed.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// The array under `key` (empty when missing).
pub fn items<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value[key].as_array().map(Vec::as_slice).unwrap_or_default()
}

/// The strings of the array under `key`.
pub fn strings(value: &Value, key: &str) -> Vec<String> {
    items(value, key)
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// An RFC 3339 time.
pub fn time(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

pub fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

pub fn optional_text(value: &Value, key: &str) -> Option<String> {
    value[key].as_str().map(str::to_owned)
}
