//! Bounds on a user filter, so that one request cannot make a search
//! arbitrarily expensive, and NFC on its strings, so that they compare with
//! stored values (which are NFC) as the user means.

use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};
use crate::filter::pattern::Dialect;
use crate::filter::{JsonOp, RoleMembership, StringOp, UserFilter};

/// How deep `and`/`or`/`not` may nest.
pub const FILTER_MAX_DEPTH: usize = 8;
/// How many conditions (nodes) one filter may hold in all.
pub const FILTER_MAX_NODES: usize = 256;
const STRING_MAX: usize = 256;
const LIST_MAX: usize = 100;
const PATH_MAX_SEGMENTS: usize = 16;
const PATH_SEGMENT_MAX: usize = 128;
const JSON_VALUE_MAX_BYTES: usize = 4096;

fn invalid(message: impl Into<String>) -> Error {
    Error::validation("filter", message)
}

struct Walk {
    nodes: usize,
}

impl Walk {
    fn visit(&mut self, filter: UserFilter, depth: usize) -> Result<UserFilter> {
        self.nodes += 1;
        if self.nodes > FILTER_MAX_NODES {
            return Err(invalid(format!(
                "filter must have at most {FILTER_MAX_NODES} conditions"
            )));
        }
        if depth > FILTER_MAX_DEPTH {
            return Err(invalid(format!(
                "filter must nest at most {FILTER_MAX_DEPTH} levels deep"
            )));
        }
        Ok(match filter {
            UserFilter::And(parts) => UserFilter::And(self.visit_all(parts, depth)?),
            UserFilter::Or(parts) => UserFilter::Or(self.visit_all(parts, depth)?),
            UserFilter::Not(inner) => UserFilter::Not(Box::new(self.visit(*inner, depth + 1)?)),
            UserFilter::String {
                field,
                op,
                case_sensitive,
            } => UserFilter::String {
                field,
                op: string_op(op, case_sensitive)?,
                case_sensitive,
            },
            UserFilter::Roles(membership) => UserFilter::Roles(roles(membership)?),
            UserFilter::CustomData { path, op } => UserFilter::CustomData {
                path: json_path(path)?,
                op: json_op(op)?,
            },
            leaf @ (UserFilter::All
            | UserFilter::IsSuspended(_)
            | UserFilter::HasPassword(_)
            | UserFilter::Time { .. }) => leaf,
        })
    }

    fn visit_all(&mut self, parts: Vec<UserFilter>, depth: usize) -> Result<Vec<UserFilter>> {
        parts
            .into_iter()
            .map(|part| self.visit(part, depth + 1))
            .collect()
    }
}

fn string(raw: String) -> Result<String> {
    let value: String = raw.nfc().collect();
    if value.chars().count() > STRING_MAX {
        return Err(invalid(format!(
            "filter strings must be at most {STRING_MAX} characters"
        )));
    }
    // No stored value holds one, and PostgreSQL cannot even be asked.
    if value.contains('\0') {
        return Err(invalid("filter strings must not contain NUL (U+0000)"));
    }
    Ok(value)
}

/// A pattern is NFC-normalized like every filter string (stored values are
/// NFC), then parsed and compiled exactly as it will be evaluated, so that
/// an accepted pattern runs on every backend.
fn pattern(dialect: Dialect, raw: String, case_sensitive: bool) -> Result<String> {
    let source = string(raw)?;
    crate::eval::compile_pattern(dialect, &source, case_sensitive)?;
    Ok(source)
}

fn string_op(op: StringOp, case_sensitive: bool) -> Result<StringOp> {
    Ok(match op {
        StringOp::Eq(s) => StringOp::Eq(string(s)?),
        StringOp::Ne(s) => StringOp::Ne(string(s)?),
        StringOp::Contains(s) => StringOp::Contains(string(s)?),
        StringOp::StartsWith(s) => StringOp::StartsWith(string(s)?),
        StringOp::EndsWith(s) => StringOp::EndsWith(string(s)?),
        StringOp::Like(s) => StringOp::Like(string(s)?),
        StringOp::In(list) => {
            if list.len() > LIST_MAX {
                return Err(invalid(format!(
                    "filter lists must have at most {LIST_MAX} values"
                )));
            }
            StringOp::In(list.into_iter().map(string).collect::<Result<_>>()?)
        }
        StringOp::IsNull(b) => StringOp::IsNull(b),
        StringOp::Regex(s) => StringOp::Regex(pattern(Dialect::Regex, s, case_sensitive)?),
        StringOp::SimilarTo(s) => {
            StringOp::SimilarTo(pattern(Dialect::SimilarTo, s, case_sensitive)?)
        }
    })
}

fn roles(membership: RoleMembership) -> Result<RoleMembership> {
    for list in [&membership.any, &membership.all, &membership.none]
        .into_iter()
        .flatten()
    {
        if list.len() > LIST_MAX {
            return Err(invalid(format!(
                "filter lists must have at most {LIST_MAX} values"
            )));
        }
    }
    Ok(membership)
}

fn json_path(path: Vec<String>) -> Result<Vec<String>> {
    if path.is_empty() || path.len() > PATH_MAX_SEGMENTS {
        return Err(invalid(format!(
            "customData paths must have 1 to {PATH_MAX_SEGMENTS} segments"
        )));
    }
    if path.iter().any(|s| s.chars().count() > PATH_SEGMENT_MAX) {
        return Err(invalid(format!(
            "customData path segments must be at most {PATH_SEGMENT_MAX} characters"
        )));
    }
    if path.iter().any(|s| s.contains('\0')) {
        return Err(invalid("filter strings must not contain NUL (U+0000)"));
    }
    Ok(path)
}

fn json_op(op: JsonOp) -> Result<JsonOp> {
    match &op {
        JsonOp::Eq(value) | JsonOp::Ne(value) => {
            let size = serde_json::to_vec(value).map_err(Error::internal)?.len();
            if size > JSON_VALUE_MAX_BYTES {
                return Err(invalid(format!(
                    "customData filter values must be at most {JSON_VALUE_MAX_BYTES} bytes as JSON"
                )));
            }
            if super::json::holds_nul(value) {
                return Err(invalid("filter strings must not contain NUL (U+0000)"));
            }
            Ok(op)
        }
        JsonOp::Contains(s) => Ok(JsonOp::Contains(string(s.clone())?)),
        JsonOp::Exists(_) => Ok(op),
    }
}

/// Checks a filter's size and depth and normalizes its strings to NFC.
pub fn user_filter(filter: UserFilter) -> Result<UserFilter> {
    Walk { nodes: 0 }.visit(filter, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::StringField;

    #[test]
    fn nul_is_refused_in_every_filter_string() {
        let string = |op| UserFilter::String {
            field: StringField::Name,
            op,
            case_sensitive: false,
        };
        let json = |path: &str, op| UserFilter::CustomData {
            path: vec![path.to_owned()],
            op,
        };
        for bad in [
            string(StringOp::Contains("a\0".into())),
            string(StringOp::In(vec!["ok".into(), "\0".into()])),
            json("k\0", JsonOp::Exists(true)),
            json("k", JsonOp::Eq(serde_json::json!({ "a": ["\u{0}"] }))),
            json("k", JsonOp::Contains("\0".into())),
        ] {
            assert_eq!(user_filter(bad).unwrap_err().field(), Some("filter"));
        }
    }

    fn name_eq(value: &str) -> UserFilter {
        UserFilter::String {
            field: StringField::Name,
            op: StringOp::Eq(value.to_owned()),
            case_sensitive: false,
        }
    }

    #[test]
    fn strings_are_normalized_to_nfc() {
        let got = user_filter(name_eq("Rene\u{0301}e")).unwrap();
        assert_eq!(got, name_eq("Ren\u{00E9}e"));
    }

    #[test]
    fn nesting_beyond_the_limit_is_rejected() {
        let mut ok = name_eq("a");
        for _ in 0..FILTER_MAX_DEPTH {
            ok = UserFilter::Not(Box::new(ok));
        }
        assert!(user_filter(ok.clone()).is_ok());
        let err = user_filter(UserFilter::Not(Box::new(ok))).unwrap_err();
        assert_eq!(err.field(), Some("filter"));
    }

    #[test]
    fn too_many_conditions_are_rejected() {
        let wide = UserFilter::Or(vec![name_eq("a"); FILTER_MAX_NODES]);
        assert_eq!(user_filter(wide).unwrap_err().field(), Some("filter"));
        let fits = UserFilter::Or(vec![name_eq("a"); FILTER_MAX_NODES - 1]);
        assert!(user_filter(fits).is_ok());
    }

    #[test]
    fn oversized_values_are_rejected() {
        assert!(user_filter(name_eq(&"a".repeat(257))).is_err());
        let long_list = UserFilter::String {
            field: StringField::Username,
            op: StringOp::In(vec!["a".into(); LIST_MAX + 1]),
            case_sensitive: false,
        };
        assert!(user_filter(long_list).is_err());
        let no_path = UserFilter::CustomData {
            path: vec![],
            op: JsonOp::Exists(true),
        };
        assert!(user_filter(no_path).is_err());
    }
}
