//! Role conditions checked before a user is loaded. A user's roles are a
//! short scan of [`Tree::UserRoles`](crate::Tree::UserRoles), much cheaper
//! than decoding the user record; when the roles alone rule a user out
//! (most users hold neither Editor nor Support), the record is never read.

use usergraph_core::RoleId;
use usergraph_core::filter::{RoleMembership, UserFilter};

/// Whether `filter` can still hold for a user holding `held`: `false` only
/// when role conditions alone make it fail, whatever the user's fields.
/// `eval::matches` decides every user this lets through.
pub(crate) fn may_match(filter: &UserFilter, held: &[RoleId]) -> bool {
    match filter {
        UserFilter::Roles(membership) => holds(held, membership),
        UserFilter::And(parts) => parts.iter().all(|part| may_match(part, held)),
        UserFilter::Or(parts) => parts.iter().any(|part| may_match(part, held)),
        UserFilter::Not(inner) => match inner.as_ref() {
            UserFilter::Roles(membership) => !holds(held, membership),
            _ => true,
        },
        UserFilter::All
        | UserFilter::String { .. }
        | UserFilter::IsSuspended(_)
        | UserFilter::HasPassword(_)
        | UserFilter::Time { .. }
        | UserFilter::CustomData { .. } => true,
    }
}

/// Role membership as `eval` defines it: every given list must hold.
fn holds(held: &[RoleId], membership: &RoleMembership) -> bool {
    let has = |id: &RoleId| held.contains(id);
    membership
        .any
        .as_ref()
        .is_none_or(|ids| ids.iter().any(has))
        && membership
            .all
            .as_ref()
            .is_none_or(|ids| ids.iter().all(has))
        && membership
            .none
            .as_ref()
            .is_none_or(|ids| !ids.iter().any(has))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::BTreeMap;

    use chrono::Utc;
    use serde_json::Map;
    use usergraph_core::{Profile, User, UserId, eval};

    use super::*;

    fn user() -> User {
        let now = usergraph_core::time::truncate(Utc::now());
        User {
            id: UserId::parse("u1").unwrap(),
            username: Some("ann".into()),
            primary_email: None,
            primary_phone: None,
            name: None,
            avatar: None,
            profile: Profile::default(),
            custom_data: Map::new(),
            identities: BTreeMap::new(),
            password: None,
            is_suspended: false,
            last_sign_in_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    fn roles(ids: &[&str]) -> Vec<RoleId> {
        ids.iter().map(|id| RoleId::parse(id).unwrap()).collect()
    }

    /// A role condition never rules out a user the evaluator keeps.
    #[test]
    fn only_users_the_evaluator_rejects_are_ruled_out() {
        let a = roles(&["a"]);
        let membership = |any: Option<&[&str]>, all: Option<&[&str]>, none: Option<&[&str]>| {
            UserFilter::Roles(RoleMembership {
                any: any.map(roles),
                all: all.map(roles),
                none: none.map(roles),
            })
        };
        let any_a = membership(Some(&["a"]), None, None);
        let all_ab = membership(None, Some(&["a", "b"]), None);
        let none_a = membership(None, None, Some(&["a"]));
        let empty_any = membership(Some(&[]), None, None);
        let suspended = UserFilter::IsSuspended(true);
        // Decided by roles alone: exactly as the evaluator decides.
        let role_only = [
            any_a.clone(),
            all_ab.clone(),
            none_a.clone(),
            empty_any,
            UserFilter::Not(Box::new(any_a.clone())),
            UserFilter::Or(vec![all_ab.clone(), none_a.clone()]),
        ];
        // Mixed with other conditions: never stricter than the evaluator.
        let mixed = [
            UserFilter::Not(Box::new(suspended.clone())),
            UserFilter::And(vec![any_a.clone(), suspended.clone()]),
            UserFilter::Or(vec![all_ab, suspended.clone()]),
            UserFilter::Not(Box::new(UserFilter::And(vec![any_a, suspended]))),
        ];
        let user = user();
        for held in [roles(&[]), a.clone(), roles(&["a", "b"]), roles(&["b"])] {
            for filter in &role_only {
                let kept = eval::matches(&user, &held, filter);
                assert_eq!(kept, may_match(filter, &held), "{filter:?} {held:?}");
            }
            for filter in &mixed {
                let kept = eval::matches(&user, &held, filter);
                assert!(!kept || may_match(filter, &held), "{filter:?} {held:?}");
            }
        }
    }
}
