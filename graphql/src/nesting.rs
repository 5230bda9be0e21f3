//! How deeply a request nests, measured without parsing it. async-graphql's
//! parser, its validation and its input-object parsing all recurse once per
//! level of an input value, and its own depth limit counts selections only:
//! a `{not: {not: ...}}` a few thousand levels deep (a few kilobytes) would
//! overflow the stack before any limit applies. These scans are iterative,
//! so they can run first. The request body's JSON gets the same scan before
//! it is decoded, since the JSON decoder recurses too.

use async_graphql::{Value as ConstValue, Variables};

/// The deepest nesting in a GraphQL document, and a count of its nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DocumentNesting {
    /// Braces nested outside any argument list: selection sets.
    pub selections: usize,
    /// Objects and lists nested inside an argument list (or a variable's
    /// default value): input values. A top-level object or list is 1.
    pub values: usize,
    /// Nodes as [`crate::document::Expansion::nodes`] counts them, each
    /// once, recognised without parsing: in selection sets, field names
    /// (not aliases), `...` and `@`; in their argument lists, values; and
    /// variables, defined or used in any argument list. The measure of the
    /// parsed document counts each at least once, so this is a lower bound
    /// of it, for any valid document.
    pub nodes: usize,
}

/// A byte order mark, an ignored token anywhere in a document.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// The last significant token, as far as counting nodes needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Previous {
    Ellipsis,
    /// `on` right after `...`: a type name follows.
    On,
    At,
    Dollar,
    Other,
}

/// Scans `document` for `{`, `[` and `(`, skipping strings, block strings
/// and comments, and counts its nodes. Unbalanced brackets are the parser's
/// business; the scan only needs not to undercount nesting, and not to
/// overcount the nodes of a valid document.
pub fn document_nesting(document: &str) -> DocumentNesting {
    let bytes = document.as_bytes();
    let mut found = DocumentNesting::default();
    // Brackets open outside and inside the current argument list; `parens`
    // is how many argument lists are open (they do not nest in valid
    // GraphQL, but counting keeps the scan honest on invalid input).
    let (mut outside, mut inside, mut parens) = (0usize, 0usize, 0usize);
    let mut previous = Previous::Other;
    let mut i = 0;
    while i < bytes.len() {
        // In a selection set, and in the argument list of one of its
        // selections (operation and fragment headers are outside both).
        let in_set = outside > 0 && parens == 0;
        let in_arguments = outside > 0 && parens > 0;
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            _ if bytes[i..].starts_with(BOM) => {
                i += BOM.len();
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                found.nodes += usize::from(in_arguments);
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
                found.nodes += usize::from(in_arguments);
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                found.nodes += usize::from(in_set);
                previous = Previous::Ellipsis;
                i += 3;
                continue;
            }
            b'@' => {
                found.nodes += usize::from(in_set);
                previous = Previous::At;
                i += 1;
                continue;
            }
            b'$' => {
                // A variable used in an argument list, or defined.
                found.nodes += usize::from(parens > 0);
                previous = Previous::Dollar;
                i += 1;
                continue;
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                let start = i;
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                let name = &bytes[start..i];
                let named = next_is_colon(bytes, i);
                previous = match previous {
                    Previous::Ellipsis if name == b"on" => Previous::On,
                    // A fragment, type, directive or variable name.
                    Previous::Ellipsis | Previous::On | Previous::At | Previous::Dollar => {
                        Previous::Other
                    }
                    // A field (not an alias), or a value (not an argument
                    // or object field name).
                    _ => {
                        found.nodes += usize::from((in_set || in_arguments) && !named);
                        Previous::Other
                    }
                };
                continue;
            }
            b'-' | b'0'..=b'9' => {
                found.nodes += usize::from(in_arguments);
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || b".+-".contains(&bytes[i]))
                {
                    i += 1;
                }
                previous = Previous::Other;
                continue;
            }
            b'(' => parens += 1,
            b')' => {
                parens = parens.saturating_sub(1);
                if parens == 0 {
                    inside = 0;
                }
            }
            b'{' | b'[' if parens > 0 => {
                found.nodes += usize::from(in_arguments);
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
        previous = Previous::Other;
        i += 1;
    }
    found
}

/// Whether the next token from `i` on is `:`, ignored tokens (white
/// space, commas, comments, a byte order mark) skipped.
fn next_is_colon(bytes: &[u8], mut i: usize) -> bool {
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            _ if bytes[i..].starts_with(BOM) => i += BOM.len(),
            byte => return byte == b':',
        }
    }
    false
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
    fn nodes_are_counted_as_the_measure_counts_them() {
        let nodes = |document: &str| document_nesting(document).nodes;
        assert_eq!(nodes("{ me { id username } }"), 3);
        // Aliases, fragment and type names are not nodes; `...` are.
        assert_eq!(nodes("{ a: me { b : id ...U ... on User { id } } }"), 5);
        assert_eq!(nodes("{ x # a comment\n , : me { on } }"), 2);
        assert_eq!(nodes("{ me @include(if: $v) { id } }"), 4);
        // Values in argument lists: the object, the list, 1, 2, "s", ENUM.
        assert_eq!(nodes("{ a(f: {x: [1, 2], y: \"s\"}, e: ENUM) }"), 7);
        assert_eq!(nodes("{ a(s: \"\"\" ( { \"\"\") }"), 2);
        // Operation and fragment headers hold none but variables.
        assert_eq!(
            nodes("query Q($a: [Int] = [1, 2]) @d(x: 1) { id } fragment F on User @d { id }"),
            3
        );
        assert_eq!(nodes("{ ...\u{feff}U }"), 1);
        assert_eq!(nodes(&"{ ...U }".repeat(3)), 3);
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
