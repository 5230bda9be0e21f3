//! The `users(filter: ...)` language: GraphQL input objects and their
//! conversion to core's filter AST. Core validates the result (size, string
//! and list bounds, NFC); this module only bounds how deep it recurses, since
//! the conversion runs before core sees anything.

use async_graphql::{ID, InputObject, MaybeUndefined};
use usergraph_core::filter::{
    JsonOp, RoleMembership, StringField, StringOp, TimeField, TimeOp, UserFilter as CoreFilter,
};
use usergraph_core::validate::FILTER_MAX_DEPTH;
use usergraph_core::{Error, RoleId};

use super::scalars::{DateTime, Json};

/// A condition on users. Every field given in one object must hold (they
/// are AND-ed); an object with no field matches every user.
///
/// `and` holds when all of its filters hold (an empty list matches every
/// user), `or` when at least one does (an empty list matches none), `not`
/// when its filter does not.
///
/// Nulls: a test on a field without a value is false, except `ne` (a
/// missing value equals nothing) and `isNull: true`. `not` negates exactly,
/// so `not: {name: {eq: "x"}}` also matches users without a name.
///
/// Limits: a filter nests at most 8 levels deep, where each `and`, `or`
/// and `not` is a level and so is an object combining several conditions
/// (an implicit `and`); it holds at most 256 conditions in all; strings are
/// at most 256 characters and lists at most 100 values. Beyond a limit the
/// query fails with a `VALIDATION` error on the field `filter`. (Any input
/// nesting more than 32 objects and lists is refused before parsing, with
/// `LIMIT_EXCEEDED`.)
#[derive(Debug, Default, InputObject)]
pub struct UserFilter {
    /// Every filter holds.
    pub and: Option<Vec<UserFilter>>,
    /// At least one filter holds.
    pub or: Option<Vec<UserFilter>>,
    /// The filter does not hold.
    pub not: Option<Box<UserFilter>>,
    pub id: Option<StringFilter>,
    pub username: Option<StringFilter>,
    pub primary_email: Option<StringFilter>,
    /// Phones are stored as digits only (no `+`, spaces or dashes).
    pub primary_phone: Option<StringFilter>,
    pub name: Option<StringFilter>,
    pub is_suspended: Option<bool>,
    pub has_password: Option<bool>,
    pub roles: Option<RoleMembershipFilter>,
    /// Holds when any linked identity's provider passes; `ne` holds when
    /// none equals, `isNull: true` when no identity is linked.
    pub identity_provider: Option<StringFilter>,
    pub created_at: Option<DateTimeFilter>,
    pub updated_at: Option<DateTimeFilter>,
    /// Null until the user first signs in.
    pub last_sign_in_at: Option<DateTimeFilter>,
    /// Conditions on values inside `customData`; all must hold.
    pub custom_data: Option<Vec<JsonPathFilter>>,
}

/// Tests on a text field. Several operators given together must all hold
/// (`{startsWith: "a", endsWith: "z"}` is both), and an object with no
/// operator matches every user. Comparisons ignore case unless
/// `caseSensitive` is true.
#[derive(Debug, Default, InputObject)]
pub struct StringFilter {
    /// Equal to.
    pub eq: Option<String>,
    /// Not equal to; also holds when the field is null.
    pub ne: Option<String>,
    /// Equal to one of these (at most 100).
    #[graphql(name = "in")]
    pub in_list: Option<Vec<String>>,
    /// Contains this text. Every character stands for itself: `%`, `_`, `'`
    /// and `\` are not wildcards here.
    pub contains: Option<String>,
    pub starts_with: Option<String>,
    pub ends_with: Option<String>,
    /// SQL LIKE over the whole value: `%` matches any run of characters,
    /// `_` exactly one, and `\` makes the next character literal (`\%`,
    /// `\_`, `\\`).
    pub like: Option<String>,
    /// SQL SIMILAR TO over the whole value: `%` any run, `_` one character,
    /// `|` alternatives, `*` `+` `?` `{m,n}` repetition, `( )` groups,
    /// `[...]` classes, and `\` escapes; `.`, `^` and `$` are literal.
    pub similar_to: Option<String>,
    /// A regular expression that may match anywhere in the value (anchor
    /// with `^` and `$`), in a subset that behaves the same on every
    /// backend: literals, `.`, classes `[a-z]` `[^...]`, `^` `$`, `*` `+`
    /// `?` `{m}` `{m,}` `{m,n}` (bounds at most 100), `|`, groups `( )`
    /// `(?: )`, `\` before punctuation, and `\d` `\w` `\s` (`\D` `\W` `\S`)
    /// as ASCII classes. Anything else (backreferences, lookaround, flags,
    /// Unicode classes) is a `VALIDATION` error.
    pub regex: Option<String>,
    /// True: the field has no value. False: it has one.
    pub is_null: Option<bool>,
    /// Compare exactly instead of ignoring case.
    #[graphql(default_with = "Some(false)")]
    pub case_sensitive: Option<bool>,
}

/// Which roles a user holds. Every part given must hold; role ids must be
/// well-formed, but need not exist.
#[derive(Debug, Default, InputObject)]
pub struct RoleMembershipFilter {
    /// Holds at least one of these (an empty list matches no user).
    pub any: Option<Vec<ID>>,
    /// Holds every one of these.
    pub all: Option<Vec<ID>>,
    /// Holds none of these.
    pub none: Option<Vec<ID>>,
}

/// Bounds on a time. Several bounds given together must all hold, so
/// `{gte: a, lt: b}` is the half-open range from `a` to `b`. A null time
/// passes no bound; `isNull` tests for it.
#[derive(Debug, Default, InputObject)]
pub struct DateTimeFilter {
    pub gt: Option<DateTime>,
    pub gte: Option<DateTime>,
    pub lt: Option<DateTime>,
    pub lte: Option<DateTime>,
    pub is_null: Option<bool>,
}

/// A test on the value at `path` inside `customData`, e.g. `["plan",
/// "tier"]` for `{"plan": {"tier": ...}}`. The path descends through objects
/// only (1 to 16 keys). Several operators given together must all hold.
#[derive(Debug, InputObject)]
pub struct JsonPathFilter {
    pub path: Vec<String>,
    /// Equal JSON (numbers by value, objects regardless of key order);
    /// `eq: null` matches a stored JSON null.
    pub eq: MaybeUndefined<Json>,
    /// Not equal; holds when the path is missing.
    pub ne: MaybeUndefined<Json>,
    /// Whether the path holds a value (a JSON null counts as one).
    pub exists: Option<bool>,
    /// The value is a string containing this text, ignoring case.
    pub contains: Option<String>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::validation("filter", message)
}

impl UserFilter {
    /// The core filter this input means. Refuses nesting deeper than core
    /// allows before descending into it, so that a hostile input cannot
    /// exhaust the stack here; core's validation checks everything else.
    pub fn into_core(self) -> Result<CoreFilter, Error> {
        self.convert(0)
    }

    fn convert(self, depth: usize) -> Result<CoreFilter, Error> {
        if depth > FILTER_MAX_DEPTH {
            return Err(invalid(format!(
                "filter must nest at most {FILTER_MAX_DEPTH} levels deep"
            )));
        }
        let mut all = Vec::new();
        if let Some(parts) = self.and {
            for part in parts {
                // AND is associative: splicing keeps the tree shallow.
                match part.convert(depth + 1)? {
                    CoreFilter::All => {}
                    CoreFilter::And(inner) => all.extend(inner),
                    other => all.push(other),
                }
            }
        }
        if let Some(parts) = self.or {
            let parts = parts
                .into_iter()
                .map(|part| part.convert(depth + 1))
                .collect::<Result<_, _>>()?;
            all.push(CoreFilter::Or(parts));
        }
        if let Some(inner) = self.not {
            all.push(CoreFilter::Not(Box::new(inner.convert(depth + 1)?)));
        }
        let strings = [
            (StringField::Id, self.id),
            (StringField::Username, self.username),
            (StringField::PrimaryEmail, self.primary_email),
            (StringField::PrimaryPhone, self.primary_phone),
            (StringField::Name, self.name),
            (StringField::IdentityProvider, self.identity_provider),
        ];
        for (field, filter) in strings {
            if let Some(filter) = filter {
                filter.push_conditions(field, &mut all);
            }
        }
        all.extend(self.is_suspended.map(CoreFilter::IsSuspended));
        all.extend(self.has_password.map(CoreFilter::HasPassword));
        if let Some(roles) = self.roles {
            all.push(CoreFilter::Roles(roles.into_core()?));
        }
        let times = [
            (TimeField::CreatedAt, self.created_at),
            (TimeField::UpdatedAt, self.updated_at),
            (TimeField::LastSignInAt, self.last_sign_in_at),
        ];
        for (field, filter) in times {
            if let Some(filter) = filter {
                filter.push_conditions(field, &mut all);
            }
        }
        for filter in self.custom_data.into_iter().flatten() {
            filter.push_conditions(&mut all);
        }
        Ok(conjunction(all))
    }
}

fn conjunction(mut parts: Vec<CoreFilter>) -> CoreFilter {
    match parts.len() {
        0 => CoreFilter::All,
        1 => parts.pop().unwrap_or(CoreFilter::All),
        _ => CoreFilter::And(parts),
    }
}

impl StringFilter {
    fn push_conditions(self, field: StringField, all: &mut Vec<CoreFilter>) {
        let case_sensitive = self.case_sensitive.unwrap_or(false);
        let ops = [
            self.eq.map(StringOp::Eq),
            self.ne.map(StringOp::Ne),
            self.in_list.map(StringOp::In),
            self.contains.map(StringOp::Contains),
            self.starts_with.map(StringOp::StartsWith),
            self.ends_with.map(StringOp::EndsWith),
            self.like.map(StringOp::Like),
            self.similar_to.map(StringOp::SimilarTo),
            self.regex.map(StringOp::Regex),
            self.is_null.map(StringOp::IsNull),
        ];
        all.extend(ops.into_iter().flatten().map(|op| CoreFilter::String {
            field,
            op,
            case_sensitive,
        }));
    }
}

impl RoleMembershipFilter {
    fn into_core(self) -> Result<RoleMembership, Error> {
        let parse = |ids: Option<Vec<ID>>, part: &str| {
            ids.map(|ids| {
                ids.iter()
                    .map(|id| {
                        RoleId::parse(id).map_err(|_| {
                            invalid(format!(
                                "filter.roles.{part}: role ids must be 1 to 64 characters of \
                                 letters, digits, '_' or '-'"
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()
        };
        Ok(RoleMembership {
            any: parse(self.any, "any")?,
            all: parse(self.all, "all")?,
            none: parse(self.none, "none")?,
        })
    }
}

impl DateTimeFilter {
    fn push_conditions(self, field: TimeField, all: &mut Vec<CoreFilter>) {
        let ops = [
            self.gt.map(TimeOp::Gt),
            self.gte.map(TimeOp::Gte),
            self.lt.map(TimeOp::Lt),
            self.lte.map(TimeOp::Lte),
            self.is_null.map(TimeOp::IsNull),
        ];
        all.extend(
            ops.into_iter()
                .flatten()
                .map(|op| CoreFilter::Time { field, op }),
        );
    }
}

impl JsonPathFilter {
    fn push_conditions(self, all: &mut Vec<CoreFilter>) {
        let json = |value: MaybeUndefined<Json>| match value {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(serde_json::Value::Null),
            MaybeUndefined::Value(json) => Some(json.0),
        };
        let ops = [
            json(self.eq).map(JsonOp::Eq),
            json(self.ne).map(JsonOp::Ne),
            self.exists.map(JsonOp::Exists),
            self.contains.map(JsonOp::Contains),
        ];
        let path = self.path;
        all.extend(ops.into_iter().flatten().map(|op| CoreFilter::CustomData {
            path: path.clone(),
            op,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_eq(value: &str) -> UserFilter {
        UserFilter {
            name: Some(StringFilter {
                eq: Some(value.to_owned()),
                case_sensitive: Some(false),
                ..StringFilter::default()
            }),
            ..UserFilter::default()
        }
    }

    fn core_name_eq(value: &str) -> CoreFilter {
        CoreFilter::String {
            field: StringField::Name,
            op: StringOp::Eq(value.to_owned()),
            case_sensitive: false,
        }
    }

    #[test]
    fn an_empty_object_matches_everyone() {
        assert_eq!(UserFilter::default().into_core().unwrap(), CoreFilter::All);
    }

    #[test]
    fn fields_and_operators_of_one_object_are_anded() {
        let filter = UserFilter {
            username: Some(StringFilter {
                starts_with: Some("a".into()),
                ends_with: Some("z".into()),
                case_sensitive: Some(true),
                ..StringFilter::default()
            }),
            is_suspended: Some(false),
            ..UserFilter::default()
        };
        let string = |op| CoreFilter::String {
            field: StringField::Username,
            op,
            case_sensitive: true,
        };
        assert_eq!(
            filter.into_core().unwrap(),
            CoreFilter::And(vec![
                string(StringOp::StartsWith("a".into())),
                string(StringOp::EndsWith("z".into())),
                CoreFilter::IsSuspended(false),
            ])
        );
    }

    #[test]
    fn nested_ands_are_merged_and_empty_ones_vanish() {
        let filter = UserFilter {
            and: Some(vec![
                UserFilter {
                    and: Some(vec![name_eq("a"), name_eq("b")]),
                    ..UserFilter::default()
                },
                UserFilter::default(),
                name_eq("c"),
            ]),
            ..UserFilter::default()
        };
        assert_eq!(
            filter.into_core().unwrap(),
            CoreFilter::And(vec![
                core_name_eq("a"),
                core_name_eq("b"),
                core_name_eq("c")
            ])
        );
    }

    #[test]
    fn or_and_not_keep_their_shape() {
        let filter = UserFilter {
            or: Some(vec![]),
            not: Some(Box::new(name_eq("a"))),
            ..UserFilter::default()
        };
        assert_eq!(
            filter.into_core().unwrap(),
            CoreFilter::And(vec![
                CoreFilter::Or(vec![]),
                CoreFilter::Not(Box::new(core_name_eq("a"))),
            ])
        );
    }

    #[test]
    fn json_null_is_a_value_to_compare_with() {
        let filter = UserFilter {
            custom_data: Some(vec![JsonPathFilter {
                path: vec!["k".into()],
                eq: MaybeUndefined::Null,
                ne: MaybeUndefined::Undefined,
                exists: None,
                contains: None,
            }]),
            ..UserFilter::default()
        };
        assert_eq!(
            filter.into_core().unwrap(),
            CoreFilter::CustomData {
                path: vec!["k".into()],
                op: JsonOp::Eq(serde_json::Value::Null),
            }
        );
    }

    #[test]
    fn nesting_is_bounded_before_descending() {
        let chain = |levels: usize| {
            let mut filter = name_eq("a");
            for _ in 0..levels {
                filter = UserFilter {
                    and: Some(vec![filter]),
                    ..UserFilter::default()
                };
            }
            filter
        };
        // Merged `and`s would pass core's depth check; the input's own
        // nesting is still bounded.
        assert_eq!(
            chain(FILTER_MAX_DEPTH).into_core().unwrap(),
            core_name_eq("a")
        );
        let err = chain(FILTER_MAX_DEPTH + 1).into_core().unwrap_err();
        assert_eq!(err.code(), "VALIDATION");
        assert_eq!(err.field(), Some("filter"));
    }

    #[test]
    fn role_ids_must_be_well_formed() {
        let filter = UserFilter {
            roles: Some(RoleMembershipFilter {
                none: Some(vec![ID::from("ok-id"), ID::from("not ok")]),
                ..RoleMembershipFilter::default()
            }),
            ..UserFilter::default()
        };
        let err = filter.into_core().unwrap_err();
        assert_eq!(err.field(), Some("filter"));
        assert!(err.to_string().contains("roles.none"), "{err}");
    }
}
