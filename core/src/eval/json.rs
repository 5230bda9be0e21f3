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

/// Numbers are equal by exact value, as PostgreSQL's `numeric` compares
/// them: an integer equals a float only if the float is that very integer
/// (so 2^53 + 1 is not 2^53 as a float, though both become the same `f64`).
fn numbers_eq(a: &Number, b: &Number) -> bool {
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => x == y,
        (Some(int), None) => b.as_f64().is_some_and(|float| float_is_int(float, int)),
        (None, Some(int)) => a.as_f64().is_some_and(|float| float_is_int(float, int)),
        (None, None) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

fn as_int(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

fn float_is_int(float: f64, int: i128) -> bool {
    // Every integral f64 below 2^127 converts to i128 exactly.
    const LIMIT: f64 = 1.7e38;
    float.is_finite() && float.fract() == 0.0 && float.abs() < LIMIT && float as i128 == int
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
    fn integers_and_floats_are_equal_only_when_exactly_equal() {
        assert!(json_eq(&json!(5), &json!(5.0)));
        assert!(json_eq(&json!(-7.0), &json!(-7)));
        assert!(json_eq(
            &json!(9007199254740992u64),
            &json!(9007199254740992.0)
        ));
        assert!(!json_eq(
            &json!(9007199254740993u64),
            &json!(9007199254740992.0)
        ));
        assert!(!json_eq(
            &json!(9007199254740992.0),
            &json!(9007199254740993u64)
        ));
        assert!(!json_eq(&json!(5), &json!(5.5)));
        assert!(!json_eq(&json!(u64::MAX), &json!(1e300)));
        assert!(json_eq(&json!(0.5), &json!(0.5)));
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
