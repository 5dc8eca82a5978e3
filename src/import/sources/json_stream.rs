//! Walking a JSON array element by element without holding it: either the whole document is
//! the array, or it is an object whose `key` member is (other members are skipped unread).
//! Each element is handed over as a `serde_json::Value`; a syntax error anywhere is fatal.

use std::{fmt, io::Read};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// What the walker calls per element (1-based index); false stops the walk.
pub type OnElement<'a> = dyn FnMut(u64, Value) -> bool + 'a;

/// Calls `on_element` for each element of the top-level array.
pub fn each_in_array(reader: impl Read, on_element: &mut OnElement<'_>) -> anyhow::Result<()> {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    Elements { on_element }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(())
}

/// Calls `on_element` for each element of the array under `key` of the top-level object
/// (no such member: no calls), and returns the member named `keep` (small: it is held);
/// the object's other members are skipped.
pub fn each_in_member(
    reader: impl Read,
    key: &str,
    keep: &str,
    on_element: &mut OnElement<'_>,
) -> anyhow::Result<Option<Value>> {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let kept = Member {
        key,
        keep,
        on_element,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(kept)
}

struct Elements<'a, 'b> {
    on_element: &'a mut OnElement<'b>,
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of users")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0u64;
        while let Some(value) = seq.next_element::<Value>()? {
            index += 1;
            if !(self.on_element)(index, value) {
                return Err(de::Error::custom("the import stopped reading"));
            }
        }
        Ok(())
    }
}

struct Member<'k, 'a, 'b> {
    key: &'k str,
    keep: &'k str,
    on_element: &'a mut OnElement<'b>,
}

impl<'de> DeserializeSeed<'de> for Member<'_, '_, '_> {
    type Value = Option<Value>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<Value>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Member<'_, '_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object with a `{}` array", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let mut kept = None;
        while let Some(name) = map.next_key::<String>()? {
            if name == self.key {
                map.next_value_seed(Elements {
                    on_element: &mut *self.on_element,
                })?;
            } else if name == self.keep {
                kept = Some(map.next_value::<Value>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn elements_of_a_member_arrive_in_order_and_other_members_are_skipped() {
        let text = r#"{"realm":"x","groups":[{"a":1}],"users":[{"id":"1"},{"id":"2"}],"z":[]}"#;
        let mut seen = Vec::new();
        let kept = each_in_member(text.as_bytes(), "users", "realm", &mut |i, v| {
            seen.push((i, v["id"].as_str().unwrap().to_owned()));
            true
        })
        .unwrap();
        assert_eq!(seen, [(1, "1".to_owned()), (2, "2".to_owned())]);
        assert_eq!(kept, Some(Value::String("x".into())));
    }

    #[test]
    fn a_syntax_error_is_fatal_and_a_top_level_array_is_walked() {
        let mut count = 0;
        assert!(
            each_in_array(&b"[{}, {}, {"[..], &mut |_, _| {
                count += 1;
                true
            })
            .is_err()
        );
        let mut count = 0;
        each_in_array(&b"[{}, {}]"[..], &mut |_, _| {
            count += 1;
            true
        })
        .unwrap();
        assert_eq!(count, 2);
    }
}
