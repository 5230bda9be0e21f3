//! Rules for free-form JSON a client stores (custom data, identity details).
//! Its text is not held to the identifier rules, but it must be storable
//! the same way on every backend: PostgreSQL's `jsonb` cannot hold U+0000.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Refuses a NUL character in any key or string of `map`.
pub(crate) fn storable_everywhere(map: &Map<String, Value>, field: &str) -> Result<()> {
    if map
        .iter()
        .any(|(key, value)| key.contains('\0') || holds_nul(value))
    {
        return Err(Error::validation(
            field,
            format!("{field} must not contain the NUL character (U+0000)"),
        ));
    }
    Ok(())
}

/// Whether any key or string in `value` holds a NUL character.
pub(crate) fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(value: Value) -> Result<()> {
        let Value::Object(map) = value else {
            panic!("test values are objects")
        };
        storable_everywhere(&map, "customData")
    }

    #[test]
    fn nul_is_refused_wherever_it_hides() {
        for bad in [
            json!({ "a\u{0}": 1 }),
            json!({ "a": "x\u{0}y" }),
            json!({ "a": [1, ["\u{0}"]] }),
            json!({ "a": { "b\u{0}": null } }),
        ] {
            let err = check(bad).unwrap_err();
            assert_eq!(
                (err.code(), err.field()),
                ("VALIDATION", Some("customData"))
            );
        }
        assert!(check(json!({ "a": ["\u{1}", { "b": "ok" }], "n": 1.5 })).is_ok());
    }
}
