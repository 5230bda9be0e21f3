//! Whether one user matches a [`UserFilter`].
//!
//! Null handling is two-valued, not SQL's three-valued logic: a comparison
//! with an absent value is false, except `ne`, which holds (an absent value
//! is not equal to anything), and `isNull: true`. `not` simply negates.

use crate::filter::pattern::Dialect;
use crate::filter::{JsonOp, RoleMembership, StringField, StringOp, TimeField, TimeOp, UserFilter};
use crate::ids::RoleId;
use crate::model::User;
use crate::time::Timestamp;

use super::json::lookup;
use super::like::like;
use super::pattern_match::any_matches;

pub(super) fn matches(user: &User, role_ids: &[RoleId], filter: &UserFilter) -> bool {
    match filter {
        UserFilter::All => true,
        UserFilter::And(parts) => parts.iter().all(|f| matches(user, role_ids, f)),
        UserFilter::Or(parts) => parts.iter().any(|f| matches(user, role_ids, f)),
        UserFilter::Not(inner) => !matches(user, role_ids, inner),
        UserFilter::String {
            field,
            op,
            case_sensitive,
        } => string_matches(user, *field, op, *case_sensitive),
        UserFilter::IsSuspended(wanted) => user.is_suspended == *wanted,
        UserFilter::HasPassword(wanted) => user.has_password() == *wanted,
        UserFilter::Roles(membership) => roles_match(role_ids, membership),
        UserFilter::Time { field, op } => time_matches(time_field(user, *field), op),
        UserFilter::CustomData { path, op } => {
            let found = lookup(&user.custom_data, path);
            match op {
                JsonOp::Eq(value) => found.is_some_and(|v| v.equals(value)),
                JsonOp::Ne(value) => !found.is_some_and(|v| v.equals(value)),
                JsonOp::Exists(wanted) => found.is_some() == *wanted,
                JsonOp::Contains(needle) => found
                    .and_then(|v| v.as_str())
                    .is_some_and(|s| s.to_lowercase().contains(&needle.to_lowercase())),
            }
        }
    }
}

fn string_matches(user: &User, field: StringField, op: &StringOp, case_sensitive: bool) -> bool {
    let fold = |s: &str| {
        if case_sensitive {
            s.to_owned()
        } else {
            s.to_lowercase()
        }
    };
    let values: Vec<String> = match field {
        StringField::Id => vec![fold(user.id.as_str())],
        StringField::Username => user.username.as_deref().map(fold).into_iter().collect(),
        StringField::PrimaryEmail => user
            .primary_email
            .as_deref()
            .map(fold)
            .into_iter()
            .collect(),
        StringField::PrimaryPhone => user
            .primary_phone
            .as_deref()
            .map(fold)
            .into_iter()
            .collect(),
        StringField::Name => user.name.as_deref().map(fold).into_iter().collect(),
        // A user may have several providers: a test holds if any of them
        // passes, and `ne` holds if none of them equals.
        StringField::IdentityProvider => user.identities.keys().map(|p| fold(p)).collect(),
    };
    match op {
        StringOp::IsNull(wanted) => values.is_empty() == *wanted,
        StringOp::Ne(other) => {
            let other = fold(other);
            !values.contains(&other)
        }
        StringOp::Eq(other) => {
            let other = fold(other);
            values.contains(&other)
        }
        StringOp::In(options) => {
            let options: Vec<String> = options.iter().map(|o| fold(o)).collect();
            values.iter().any(|v| options.contains(v))
        }
        StringOp::Contains(part) => {
            let part = fold(part);
            values.iter().any(|v| v.contains(&part))
        }
        StringOp::StartsWith(part) => {
            let part = fold(part);
            values.iter().any(|v| v.starts_with(&part))
        }
        StringOp::EndsWith(part) => {
            let part = fold(part);
            values.iter().any(|v| v.ends_with(&part))
        }
        StringOp::Like(pattern) => {
            let pattern = fold(pattern);
            values.iter().any(|v| like(v, &pattern))
        }
        StringOp::Regex(pattern) => any_matches(&values, Dialect::Regex, pattern, case_sensitive),
        StringOp::SimilarTo(pattern) => {
            any_matches(&values, Dialect::SimilarTo, pattern, case_sensitive)
        }
    }
}

fn roles_match(held: &[RoleId], membership: &RoleMembership) -> bool {
    let holds = |id: &RoleId| held.contains(id);
    membership
        .any
        .as_ref()
        .is_none_or(|ids| ids.iter().any(holds))
        && membership
            .all
            .as_ref()
            .is_none_or(|ids| ids.iter().all(holds))
        && membership
            .none
            .as_ref()
            .is_none_or(|ids| !ids.iter().any(holds))
}

fn time_field(user: &User, field: TimeField) -> Option<Timestamp> {
    match field {
        TimeField::CreatedAt => Some(user.created_at),
        TimeField::UpdatedAt => Some(user.updated_at),
        TimeField::LastSignInAt => user.last_sign_in_at,
    }
}

fn time_matches(value: Option<Timestamp>, op: &TimeOp) -> bool {
    match (op, value) {
        (TimeOp::IsNull(wanted), value) => value.is_none() == *wanted,
        (_, None) => false,
        (TimeOp::Gt(t), Some(v)) => v > *t,
        (TimeOp::Gte(t), Some(v)) => v >= *t,
        (TimeOp::Lt(t), Some(v)) => v < *t,
        (TimeOp::Lte(t), Some(v)) => v <= *t,
    }
}
