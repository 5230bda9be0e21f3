//! How deeply a request nests, measured without parsing it. async-graphql's
//! parser, its validation and its input-object parsing all recurse once per
//! level of an input value, and its own depth limit counts selections only:
//! a `{not: {not: ...}}` a few thousand levels deep (a few kilobytes) would
//! overflow the stack before any limit applies. These scans are iterative,
//! so they can run first. The request body's JSON gets the same scan before
//! it is decoded, since the JSON decoder recurses too.

use async_graphql::{Value as ConstValue, Variables};

/// The deepest nesting in a GraphQL document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DocumentNesting {
    /// Braces nested outside any argument list: selection sets.
    pub selections: usize,
    /// Objects and lists nested inside an argument list (or a variable's
    /// default value): input values. A top-level object or list is 1.
    pub values: usize,
}

/// Scans `document` for `{`, `[` and `(`, skipping strings, block strings
/// and comments. Unbalanced brackets are the parser's business; the scan
/// only needs not to undercount.
pub fn document_nesting(document: &str) -> DocumentNesting {
    let bytes = document.as_bytes();
    let mut found = DocumentNesting::default();
    // Brackets open outside and inside the current argument list; `parens`
    // is how many argument lists are open (they do not nest in valid
    // GraphQL, but counting keeps the scan honest on invalid input).
    let (mut outside, mut inside, mut parens) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // `\"""` is an escaped delimiter inside a block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' => parens += 1,
            b')' => {
                parens = parens.saturating_sub(1);
                if parens == 0 {
                    inside = 0;
                }
            }
            b'{' | b'[' if parens > 0 => {
                inside += 1;
                found.values = found.values.max(inside);
            }
            b'}' | b']' if parens > 0 => inside = inside.saturating_sub(1),
            b'{' | b'[' => {
                outside += 1;
                found.selections = found.selections.max(outside);
            }
            b'}' | b']' => outside = outside.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    found
}

/// The deepest nesting of objects and arrays in a JSON text, strings
/// skipped; a top-level object is 1. Invalid JSON is the decoder's
/// business; the scan only needs not to undercount.
pub fn json_nesting(json: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            b'"' => {
                i += 1;
                while i < json.len() && json[i] != b'"' {
                    i += if json[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// The deepest nesting of objects and lists in any variable's value; a
/// top-level object or list is 1, a scalar 0.
pub fn variables_nesting(variables: &Variables) -> usize {
    variables.values().map(value_nesting).max().unwrap_or(0)
}

fn value_nesting(value: &ConstValue) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        match value {
            ConstValue::List(items) => stack.extend(items.iter().map(|v| (v, depth + 1))),
            ConstValue::Object(map) => stack.extend(map.values().map(|v| (v, depth + 1))),
            _ => continue,
        }
        deepest = deepest.max(depth + 1);
    }
    deepest
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn nesting(document: &str) -> (usize, usize) {
        let found = document_nesting(document);
        (found.selections, found.values)
    }

    #[test]
    fn selections_and_values_are_counted_apart() {
        assert_eq!(nesting("{ users { nodes { id } } }"), (3, 0));
        assert_eq!(
            nesting("{ users(filter: {or: [{name: {eq: \"a\"}}]}) { nodes { id } } }"),
            (3, 4)
        );
        assert_eq!(nesting("query($f: [[Int!]] = [[1]]) { a }"), (1, 2));
        assert_eq!(nesting("{ a(x: 1) { b(y: [1, [2]]) { c } } }"), (3, 2));
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        assert_eq!(nesting("{ a(x: \"{{[[((\") }"), (1, 0));
        assert_eq!(nesting("{ a(x: \"\\\"{{\") }"), (1, 0));
        assert_eq!(nesting("{ a(x: \"\"\"{ \\\"\"\" [[ \"\"\") }"), (1, 0));
        assert_eq!(nesting("# {{{{{\n{ a }"), (1, 0));
    }

    #[test]
    fn deep_documents_are_measured_without_recursion() {
        let deep = format!(
            "{{ a(f: {}{}) }}",
            "{n: ".repeat(100_000),
            "}".repeat(100_000)
        );
        assert_eq!(nesting(&deep), (1, 100_000));
    }

    #[test]
    fn json_nesting_skips_strings() {
        assert_eq!(
            json_nesting(br#"{"query": "{ a { b } }", "variables": {"x": [[1]]}}"#),
            4
        );
        assert_eq!(json_nesting(br#"[{"query": "\"[[[[", "v": {}}]"#), 3);
        assert_eq!(json_nesting(b"17"), 0);
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(json_nesting(deep.as_bytes()), 100_000);
    }

    #[test]
    fn variables_are_measured_per_value() {
        let mut deep = json!(1);
        for _ in 0..100 {
            deep = json!({ "not": deep });
        }
        let variables = Variables::from_json(json!({ "a": [1, [2, [3]]], "b": "x", "c": deep }));
        assert_eq!(variables_nesting(&variables), 100);
        let flat = Variables::from_json(json!({ "a": 1, "b": {"c": [1]}, "d": [] }));
        assert_eq!(variables_nesting(&flat), 2);
        assert_eq!(variables_nesting(&Variables::default()), 0);
    }
}
