//! `customData`: a JSON object of at most 64 KiB, merged at the top level
//! (RFC 7396 one level deep) or replaced whole.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

pub const CUSTOM_DATA_MAX_BYTES: usize = 65536;

/// The object after a merge or replace, and the top-level keys that differ.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomDataChange {
    pub data: Map<String, Value>,
    pub changed_keys: Vec<String>,
}

/// Checks that `value` is a JSON object within the size limit.
pub fn custom_data(value: Value) -> Result<Map<String, Value>> {
    let Value::Object(map) = value else {
        return Err(Error::validation(
            "customData",
            "customData must be a JSON object",
        ));
    };
    check_size(&map)?;
    super::json::storable_everywhere(&map, "customData")?;
    Ok(map)
}

fn check_size(map: &Map<String, Value>) -> Result<()> {
    let size = serde_json::to_vec(map).map_err(Error::internal)?.len();
    if size > CUSTOM_DATA_MAX_BYTES {
        return Err(Error::validation(
            "customData",
            format!("customData must be at most {CUSTOM_DATA_MAX_BYTES} bytes as JSON"),
        ));
    }
    Ok(())
}

/// Applies `input` to `current`: with `replace`, `input` becomes the object
/// (nulls kept); otherwise each input key replaces the stored one and a null
/// removes it. The result must fit the size limit too.
pub fn merge_custom_data(
    current: &Map<String, Value>,
    input: &Map<String, Value>,
    replace: bool,
) -> Result<CustomDataChange> {
    let data = if replace {
        input.clone()
    } else {
        let mut data = current.clone();
        for (key, value) in input {
            if value.is_null() {
                data.remove(key);
            } else {
                data.insert(key.clone(), value.clone());
            }
        }
        data
    };
    check_size(&data)?;
    let mut changed_keys: Vec<String> = current
        .keys()
        .chain(data.keys())
        .filter(|key| current.get(*key) != data.get(*key))
        .cloned()
        .collect();
    changed_keys.sort();
    changed_keys.dedup();
    Ok(CustomDataChange { data, changed_keys })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        custom_data(value).unwrap()
    }

    #[test]
    fn only_objects_within_64_kib_are_accepted() {
        for bad in [json!([1]), json!("x"), json!(null), json!(3)] {
            assert_eq!(custom_data(bad).unwrap_err().field(), Some("customData"));
        }
        // {"k":"..."} is 8 bytes plus the string.
        assert!(custom_data(json!({ "k": "a".repeat(CUSTOM_DATA_MAX_BYTES - 8) })).is_ok());
        assert!(custom_data(json!({ "k": "a".repeat(CUSTOM_DATA_MAX_BYTES - 7) })).is_err());
    }

    #[test]
    fn merge_replaces_top_level_keys_and_null_removes() {
        let current = object(json!({ "plan": "free", "prefs": { "a": 1, "b": 2 }, "old": true }));
        let input = object(json!({ "prefs": { "a": 3 }, "old": null, "new": 1, "gone": null }));
        let change = merge_custom_data(&current, &input, false).unwrap();
        assert_eq!(
            Value::Object(change.data),
            json!({ "plan": "free", "prefs": { "a": 3 }, "new": 1 })
        );
        assert_eq!(change.changed_keys, vec!["new", "old", "prefs"]);
    }

    #[test]
    fn replace_takes_the_input_whole_with_its_nulls() {
        let current = object(json!({ "plan": "free", "x": 1 }));
        let input = object(json!({ "x": 1, "y": null }));
        let change = merge_custom_data(&current, &input, true).unwrap();
        assert_eq!(Value::Object(change.data), json!({ "x": 1, "y": null }));
        assert_eq!(change.changed_keys, vec!["plan", "y"]);
    }

    #[test]
    fn a_merge_that_outgrows_the_limit_is_rejected() {
        let half = "a".repeat(CUSTOM_DATA_MAX_BYTES / 2);
        let current = object(json!({ "a": half }));
        let input = object(json!({ "b": half }));
        let err = merge_custom_data(&current, &input, false).unwrap_err();
        assert_eq!(err.field(), Some("customData"));
    }

    #[test]
    fn equal_values_are_no_change() {
        let current = object(json!({ "a": [1, 2] }));
        let input = object(json!({ "a": [1, 2], "missing": null }));
        let change = merge_custom_data(&current, &input, false).unwrap();
        assert!(change.changed_keys.is_empty());
    }
}
