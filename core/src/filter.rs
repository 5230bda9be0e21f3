//! The user filter language as core's validated AST. Transports build a
//! [`UserFilter`] (through [`crate::validate::filter`] which enforces depth,
//! size and pattern bounds); storage receives only validated filters and must
//! return exactly what [`crate::eval`] says they match.

pub mod pattern;

use serde::Serialize;
use serde_json::Value;

use crate::ids::RoleId;
use crate::time::Timestamp;

/// A boolean expression over user fields.
// Serialize: cursors digest the validated filter (see `cursor::Scope`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum UserFilter {
    /// Matches every user (the empty AND).
    All,
    And(Vec<UserFilter>),
    Or(Vec<UserFilter>),
    Not(Box<UserFilter>),
    String {
        field: StringField,
        op: StringOp,
        /// When false (the default), both sides are compared lower-cased.
        case_sensitive: bool,
    },
    IsSuspended(bool),
    HasPassword(bool),
    Roles(RoleMembership),
    Time {
        field: TimeField,
        op: TimeOp,
    },
    CustomData {
        path: Vec<String>,
        op: JsonOp,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum StringField {
    Id,
    Username,
    PrimaryEmail,
    PrimaryPhone,
    Name,
    /// Matches if any linked identity's provider matches.
    IdentityProvider,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum StringOp {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    Contains(String),
    StartsWith(String),
    EndsWith(String),
    /// SQL LIKE: `%` any run, `_` one character, `\` escapes the next.
    Like(String),
    /// A regular expression of the portable subset documented in
    /// [`pattern`]: a match anywhere in the value unless anchored with
    /// `^`/`$`.
    Regex(String),
    /// SQL `SIMILAR TO`: the whole value must match; `%` any run, `_` one
    /// character, `|`, `*`, `+`, `?`, `{m,n}`, `( )`, `[...]`, `\` escapes.
    SimilarTo(String),
    IsNull(bool),
}

/// Role membership; every given part must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RoleMembership {
    /// Holds at least one of these roles.
    pub any: Option<Vec<RoleId>>,
    /// Holds all of these roles.
    pub all: Option<Vec<RoleId>>,
    /// Holds none of these roles.
    pub none: Option<Vec<RoleId>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum TimeField {
    CreatedAt,
    UpdatedAt,
    LastSignInAt,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum TimeOp {
    Gt(Timestamp),
    Gte(Timestamp),
    Lt(Timestamp),
    Lte(Timestamp),
    IsNull(bool),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum JsonOp {
    Eq(Value),
    Ne(Value),
    Exists(bool),
    /// Case-insensitive substring of a string value.
    Contains(String),
}

impl UserFilter {
    /// The simple search of `users(search: "...")`: a case-insensitive
    /// substring of id, username, name, primary email or primary phone.
    pub fn simple_search(text: &str) -> UserFilter {
        let contains = |field| UserFilter::String {
            field,
            op: StringOp::Contains(text.to_owned()),
            case_sensitive: false,
        };
        UserFilter::Or(vec![
            contains(StringField::Id),
            contains(StringField::Username),
            contains(StringField::Name),
            contains(StringField::PrimaryEmail),
            contains(StringField::PrimaryPhone),
        ])
    }

    /// Both filters must hold.
    pub fn and(self, other: UserFilter) -> UserFilter {
        match (self, other) {
            (UserFilter::All, f) | (f, UserFilter::All) => f,
            (a, b) => UserFilter::And(vec![a, b]),
        }
    }
}
