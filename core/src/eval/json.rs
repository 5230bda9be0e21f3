//! JSON lookups and equality for `customData` filters.

use serde_json::{Map, Number, Value};

/// The value at `path` inside `root`, descending through objects only. An
/// empty path is the whole object.
pub(crate) fn lookup<'a>(root: &'a Map<String, Value>, path: &[String]) -> Option<Lookup<'a>> {
    let Some((first, rest)) = path.split_first() else {
        return Some(Lookup::Root(root));
    };
    let mut current = root.get(first)?;
    for segment in rest {
        current = current.as_object()?.get(segment)?;
    }
    Some(Lookup::Value(current))
}

/// A found value: the root object itself or a value inside it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Lookup<'a> {
    Root(&'a Map<String, Value>),
    Value(&'a Value),
}

impl<'a> Lookup<'a> {
    pub(crate) fn equals(self, other: &Value) -> bool {
        match (self, other) {
            (Lookup::Value(v), other) => json_eq(v, other),
            (Lookup::Root(map), Value::Object(other)) => objects_eq(map, other),
            (Lookup::Root(_), _) => false,
        }
    }

    pub(crate) fn as_str(self) -> Option<&'a str> {
        match self {
            Lookup::Value(Value::String(s)) => Some(s),
            _ => None,
        }
    }
}

/// JSON equality with numbers compared by value, so that `1` equals `1.0`
/// (as in PostgreSQL's `jsonb`), and objects compared regardless of key order.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_eq(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => objects_eq(x, y),
        _ => a == b,
    }
}

fn objects_eq(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(key, x)| b.get(key).is_some_and(|y| json_eq(x, y)))
}

fn numbers_eq(a: &Number, b: &Number) -> bool {
    let as_int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => x == y,
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn lookup_descends_objects_and_stops_at_anything_else() {
        let data = object(json!({"a": {"b": {"c": 1}}, "list": [1, 2], "n": null}));
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(
            lookup(&data, &path(&["a", "b", "c"]))
                .unwrap()
                .equals(&json!(1))
        );
        assert!(lookup(&data, &path(&["a", "x"])).is_none());
        assert!(lookup(&data, &path(&["list", "0"])).is_none());
        assert!(lookup(&data, &path(&["n"])).unwrap().equals(&Value::Null));
        assert!(
            lookup(&data, &[])
                .unwrap()
                .equals(&Value::Object(data.clone()))
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!([1, {"x": 2.0}]), &json!([1.0, {"x": 2}])));
        assert!(!json_eq(&json!(1), &json!(1.5)));
        assert!(!json_eq(&json!(1), &json!("1")));
        assert!(json_eq(&json!(u64::MAX), &json!(u64::MAX)));
        assert!(!json_eq(&json!(-1), &json!(u64::MAX)));
    }

    #[test]
    fn objects_compare_regardless_of_key_order() {
        assert!(json_eq(&json!({"a": 1, "b": 2}), &json!({"b": 2, "a": 1})));
        assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }
}
