//! Compiles core's [`UserFilter`] to a SQL condition over `users u`, with
//! every value bound, never spliced.
//!
//! Core's evaluator is two-valued (a comparison with an absent value is
//! false, `ne` true), while SQL is three-valued; every leaf here therefore
//! yields TRUE or FALSE, never NULL, so that `NOT` negates exactly as the
//! evaluator does. Case-insensitive tests compare the `*_key` columns, which
//! Rust lower-cased exactly as the evaluator folds, with values lower-cased
//! by Rust too.

use std::collections::BTreeSet;

use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};
use usergraph_core::filter::pattern::{Dialect, Pattern};
use usergraph_core::filter::{
    JsonOp, RoleMembership, StringField, StringOp, TimeField, TimeOp, UserFilter,
};

pub(crate) fn push_filter(qb: &mut QueryBuilder<Postgres>, filter: &UserFilter) {
    match filter {
        UserFilter::All => {
            qb.push("TRUE");
        }
        UserFilter::And(parts) => push_joined(qb, parts, " AND ", "TRUE"),
        UserFilter::Or(parts) => push_joined(qb, parts, " OR ", "FALSE"),
        UserFilter::Not(inner) => {
            qb.push("NOT (");
            push_filter(qb, inner);
            qb.push(")");
        }
        UserFilter::String {
            field,
            op,
            case_sensitive,
        } => push_string(qb, *field, op, *case_sensitive),
        UserFilter::IsSuspended(wanted) => {
            qb.push("u.is_suspended = ").push_bind(*wanted);
        }
        UserFilter::HasPassword(wanted) => {
            qb.push(if *wanted {
                "u.password_digest IS NOT NULL"
            } else {
                "u.password_digest IS NULL"
            });
        }
        UserFilter::Roles(membership) => push_roles(qb, membership),
        UserFilter::Time { field, op } => push_time(qb, *field, op),
        UserFilter::CustomData { path, op } => push_custom_data(qb, path, op),
    }
}

fn push_joined(
    qb: &mut QueryBuilder<Postgres>,
    parts: &[UserFilter],
    separator: &str,
    empty: &str,
) {
    if parts.is_empty() {
        qb.push(empty);
        return;
    }
    qb.push("(");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            qb.push(separator);
        }
        push_filter(qb, part);
    }
    qb.push(")");
}

/// Makes every character of `text` literal in a LIKE pattern (escape `\`).
pub(crate) fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Rewrites a filter's LIKE pattern into one PostgreSQL reads exactly as the
/// evaluator does: a `\` escapes the next character, and a trailing lone `\`
/// stands for itself (PostgreSQL would reject it).
fn like_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 1);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' | '_' => out.push(c),
            '\\' => out.push_str(&like_literal(&chars.next().unwrap_or('\\').to_string())),
            other => out.push_str(&like_literal(&other.to_string())),
        }
    }
    out
}

fn fold(text: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        text.to_owned()
    } else {
        // Exactly the evaluator's folding (and `identifier_key`'s).
        text.to_lowercase()
    }
}

/// The column holding `field`'s single value as the evaluator compares it.
fn scalar_column(field: StringField, case_sensitive: bool) -> &'static str {
    match (field, case_sensitive) {
        // Ids are ASCII, where SQL lower() and Rust agree.
        (StringField::Id, true) => "u.id",
        (StringField::Id, false) => "lower(u.id)",
        (StringField::Username, true) => "u.username",
        (StringField::Username, false) => "u.username_key",
        (StringField::PrimaryEmail, true) => "u.primary_email",
        (StringField::PrimaryEmail, false) => "u.email_key",
        // Stored as digits only, which have no case.
        (StringField::PrimaryPhone, _) => "u.primary_phone",
        (StringField::Name, true) => "u.name",
        (StringField::Name, false) => "u.name_key",
        (StringField::IdentityProvider, true) => "u.providers",
        (StringField::IdentityProvider, false) => "u.provider_keys",
    }
}

/// A LIKE pattern for the pattern-shaped ops, already folded.
fn pattern_of(op: &StringOp, case_sensitive: bool) -> Option<String> {
    let f = |text: &str| fold(text, case_sensitive);
    Some(match op {
        StringOp::Contains(part) => format!("%{}%", like_literal(&f(part))),
        StringOp::StartsWith(part) => format!("{}%", like_literal(&f(part))),
        StringOp::EndsWith(part) => format!("%{}", like_literal(&f(part))),
        StringOp::Like(pattern) => like_pattern(&f(pattern)),
        StringOp::Eq(_)
        | StringOp::Ne(_)
        | StringOp::In(_)
        | StringOp::IsNull(_)
        | StringOp::Regex(_)
        | StringOp::SimilarTo(_) => return None,
    })
}

/// For `regex` and `similarTo`: the pattern as a PostgreSQL ARE, rendered
/// by core from its parsed (and, unless case-sensitive, folded) form, to be
/// matched with `~` against the same column the evaluator folds; `None`
/// inside for a pattern validation refuses, which the evaluator says
/// matches nothing.
fn regex_of(op: &StringOp, case_sensitive: bool) -> Option<Option<String>> {
    let (dialect, source) = match op {
        StringOp::Regex(source) => (Dialect::Regex, source),
        StringOp::SimilarTo(source) => (Dialect::SimilarTo, source),
        _ => return None,
    };
    Some(
        Pattern::for_matching(dialect, source, case_sensitive)
            .ok()
            .map(|pattern| pattern.to_posix_are()),
    )
}

fn push_string(
    qb: &mut QueryBuilder<Postgres>,
    field: StringField,
    op: &StringOp,
    case_sensitive: bool,
) {
    let column = scalar_column(field, case_sensitive);
    if field == StringField::IdentityProvider {
        return push_providers(qb, column, op, case_sensitive);
    }
    if let Some(regex) = regex_of(op, case_sensitive) {
        match regex {
            Some(are) => qb
                .push(format_args!("({column} IS NOT NULL AND {column} ~ "))
                .push_bind(are)
                .push(")"),
            None => qb.push("FALSE"),
        };
        return;
    }
    if let Some(pattern) = pattern_of(op, case_sensitive) {
        qb.push(format_args!("({column} IS NOT NULL AND {column} LIKE "))
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
        return;
    }
    match op {
        StringOp::IsNull(true) => {
            qb.push(format_args!("{column} IS NULL"));
        }
        StringOp::IsNull(false) => {
            qb.push(format_args!("{column} IS NOT NULL"));
        }
        StringOp::Eq(value) => {
            qb.push(format_args!("({column} IS NOT NULL AND {column} = "))
                .push_bind(fold(value, case_sensitive))
                .push(")");
        }
        StringOp::Ne(value) => {
            qb.push(format_args!("({column} IS NULL OR {column} <> "))
                .push_bind(fold(value, case_sensitive))
                .push(")");
        }
        StringOp::In(options) => {
            let options: Vec<String> = options.iter().map(|o| fold(o, case_sensitive)).collect();
            qb.push(format_args!("({column} IS NOT NULL AND {column} = ANY("))
                .push_bind(options)
                .push("))");
        }
        StringOp::Contains(_)
        | StringOp::StartsWith(_)
        | StringOp::EndsWith(_)
        | StringOp::Like(_)
        | StringOp::Regex(_)
        | StringOp::SimilarTo(_) => {
            // Handled by `regex_of` and `pattern_of` above.
            qb.push("FALSE");
        }
    }
}

/// A provider test holds if any linked provider passes it; `ne` if none
/// equals; `isNull: true` if none is linked.
fn push_providers(
    qb: &mut QueryBuilder<Postgres>,
    column: &str,
    op: &StringOp,
    case_sensitive: bool,
) {
    if let Some(regex) = regex_of(op, case_sensitive) {
        match regex {
            Some(are) => qb
                .push(format_args!(
                    "EXISTS (SELECT 1 FROM unnest({column}) AS p(v) WHERE p.v ~ "
                ))
                .push_bind(are)
                .push(")"),
            None => qb.push("FALSE"),
        };
        return;
    }
    if let Some(pattern) = pattern_of(op, case_sensitive) {
        qb.push(format_args!(
            "EXISTS (SELECT 1 FROM unnest({column}) AS p(v) WHERE p.v LIKE "
        ))
        .push_bind(pattern)
        .push(" ESCAPE '\\')");
        return;
    }
    match op {
        StringOp::IsNull(true) => {
            qb.push(format_args!("cardinality({column}) = 0"));
        }
        StringOp::IsNull(false) => {
            qb.push(format_args!("cardinality({column}) > 0"));
        }
        StringOp::Eq(value) => {
            qb.push(format_args!("{column} @> ARRAY["))
                .push_bind(fold(value, case_sensitive))
                .push("]::text[]");
        }
        StringOp::Ne(value) => {
            qb.push(format_args!("NOT ({column} @> ARRAY["))
                .push_bind(fold(value, case_sensitive))
                .push("]::text[])");
        }
        StringOp::In(options) => {
            let options: Vec<String> = options.iter().map(|o| fold(o, case_sensitive)).collect();
            qb.push(format_args!("{column} && "))
                .push_bind(options)
                .push("::text[]");
        }
        StringOp::Contains(_)
        | StringOp::StartsWith(_)
        | StringOp::EndsWith(_)
        | StringOp::Like(_)
        | StringOp::Regex(_)
        | StringOp::SimilarTo(_) => {
            qb.push("FALSE");
        }
    }
}

fn push_roles(qb: &mut QueryBuilder<Postgres>, membership: &RoleMembership) {
    let ids = |ids: &[usergraph_core::RoleId]| -> Vec<String> {
        ids.iter()
            .map(|id| id.as_str().to_owned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    const HELD: &str = "SELECT 1 FROM users_roles ur WHERE ur.user_id = u.id AND ur.role_id = ANY(";
    qb.push("(TRUE");
    if let Some(any) = &membership.any {
        qb.push(format_args!(" AND EXISTS ({HELD}"))
            .push_bind(ids(any))
            .push("))");
    }
    if let Some(all) = &membership.all {
        let all = ids(all);
        let wanted = i64::try_from(all.len()).unwrap_or(i64::MAX);
        qb.push(" AND (SELECT count(*) FROM users_roles ur WHERE ur.user_id = u.id AND ur.role_id = ANY(")
            .push_bind(all)
            .push(")) = ")
            .push_bind(wanted);
    }
    if let Some(none) = &membership.none {
        qb.push(format_args!(" AND NOT EXISTS ({HELD}"))
            .push_bind(ids(none))
            .push("))");
    }
    qb.push(")");
}

fn push_time(qb: &mut QueryBuilder<Postgres>, field: TimeField, op: &TimeOp) {
    let column = match field {
        TimeField::CreatedAt => "u.created_at",
        TimeField::UpdatedAt => "u.updated_at",
        TimeField::LastSignInAt => "u.last_sign_in_at",
    };
    let (operator, at) = match op {
        TimeOp::IsNull(true) => {
            qb.push(format_args!("{column} IS NULL"));
            return;
        }
        TimeOp::IsNull(false) => {
            qb.push(format_args!("{column} IS NOT NULL"));
            return;
        }
        TimeOp::Gt(at) => (">", at),
        TimeOp::Gte(at) => (">=", at),
        TimeOp::Lt(at) => ("<", at),
        TimeOp::Lte(at) => ("<=", at),
    };
    qb.push(format_args!(
        "({column} IS NOT NULL AND {column} {operator} "
    ))
    .push_bind(*at)
    .push(")");
}

/// The value at `path`, descending objects only: `->` with a text key is NULL
/// on anything but an object (unlike `#>`, which also indexes arrays).
fn push_json_path(qb: &mut QueryBuilder<Postgres>, path: &[String]) {
    qb.push("(u.custom_data");
    for segment in path {
        qb.push(" -> ").push_bind(segment.clone()).push("::text");
    }
    qb.push(")");
}

fn push_custom_data(qb: &mut QueryBuilder<Postgres>, path: &[String], op: &JsonOp) {
    match op {
        JsonOp::Exists(wanted) => {
            push_json_path(qb, path);
            // A JSON null is a jsonb value, not SQL NULL: it counts as present.
            qb.push(if *wanted { " IS NOT NULL" } else { " IS NULL" });
        }
        JsonOp::Eq(value) => {
            // jsonb equality compares numbers by value and objects regardless
            // of key order, as the evaluator does.
            qb.push("COALESCE(");
            push_json_path(qb, path);
            qb.push(" = ")
                .push_bind(Json(value.clone()))
                .push("::jsonb, FALSE)");
        }
        JsonOp::Ne(value) => {
            qb.push("NOT COALESCE(");
            push_json_path(qb, path);
            qb.push(" = ")
                .push_bind(Json(value.clone()))
                .push("::jsonb, FALSE)");
        }
        JsonOp::Contains(needle) => {
            // The stored value is arbitrary, so it is lower-cased in SQL:
            // ICU's root locale maps case as Rust's `to_lowercase` does.
            qb.push("COALESCE(jsonb_typeof(");
            push_json_path(qb, path);
            qb.push(") = 'string' AND strpos(lower((");
            push_json_path(qb, path);
            qb.push(" #>> '{}') COLLATE \"und-x-icu\"), ")
                .push_bind(needle.to_lowercase())
                .push(") > 0, FALSE)");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_every_wildcard_and_the_escape() {
        assert_eq!(like_literal("100%_a\\b"), "100\\%\\_a\\\\b");
    }

    #[test]
    fn patterns_keep_wildcards_and_escapes_and_fix_a_trailing_backslash() {
        assert_eq!(like_pattern("a%b_c"), "a%b_c");
        assert_eq!(like_pattern("100\\%"), "100\\%");
        assert_eq!(like_pattern("a\\b"), "ab");
        assert_eq!(like_pattern("ends\\"), "ends\\\\");
        assert_eq!(like_pattern("a\\\\b"), "a\\\\b");
    }

    #[test]
    fn values_are_bound_not_spliced() {
        let mut qb = QueryBuilder::<Postgres>::new("");
        push_filter(
            &mut qb,
            &UserFilter::String {
                field: StringField::Username,
                op: StringOp::Eq("x'; DROP TABLE users; --".into()),
                case_sensitive: false,
            },
        );
        let sql = qb.into_string();
        assert_eq!(sql, "(u.username_key IS NOT NULL AND u.username_key = $1)");
    }

    fn sql(filter: &UserFilter) -> String {
        let mut qb = QueryBuilder::<Postgres>::new("");
        push_filter(&mut qb, filter);
        qb.into_string()
    }

    #[test]
    fn patterns_match_the_column_the_evaluator_folds_and_are_bound() {
        let string = |field, op, case_sensitive| UserFilter::String {
            field,
            op,
            case_sensitive,
        };
        assert_eq!(
            sql(&string(
                StringField::Name,
                StringOp::Regex("^A.".into()),
                false
            )),
            "(u.name_key IS NOT NULL AND u.name_key ~ $1)"
        );
        assert_eq!(
            sql(&string(
                StringField::Name,
                StringOp::SimilarTo("A%".into()),
                true
            )),
            "(u.name IS NOT NULL AND u.name ~ $1)"
        );
        assert_eq!(
            sql(&string(
                StringField::IdentityProvider,
                StringOp::Regex("x".into()),
                false
            )),
            "EXISTS (SELECT 1 FROM unnest(u.provider_keys) AS p(v) WHERE p.v ~ $1)"
        );
        // What validation refuses, the evaluator says matches nothing.
        assert_eq!(
            sql(&string(
                StringField::Name,
                StringOp::Regex("(?i)a".into()),
                false
            )),
            "FALSE"
        );
        assert_eq!(
            regex_of(&StringOp::SimilarTo("A_%".into()), false),
            Some(Some("^a..*$".to_owned()))
        );
        assert_eq!(regex_of(&StringOp::Like("a".into()), false), None);
    }
}
