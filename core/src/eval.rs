//! The reference evaluator: the specification of search. Given users and a
//! search, it says which users match and in which order. Backends may use
//! indexes to answer faster, never to answer differently; the conformance
//! suite compares them with this.

mod json;
mod like;
mod matching;
mod order;
mod pattern_match;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;

pub use pattern_match::compile as compile_pattern;

use crate::filter::UserFilter;
use crate::ids::RoleId;
use crate::model::{LogEntry, Role, User};
use crate::query::{
    LogFilter, LogSearch, LogSortKey, Page, RoleSearch, RoleSortKey, UserOrder, UserSearch,
    UserSortKey,
};

/// Whether `user`, holding `role_ids`, matches `filter`.
///
/// Absent values: `eq`, `in`, `contains`, `startsWith`, `endsWith`, `like`,
/// `regex`, `similarTo` and time comparisons are false on a null field;
/// `ne` is true (null is not equal to the value); `isNull` says whether it
/// is null. An identity provider test holds if any linked provider passes
/// it (`ne`: none equals, `isNull: true`: none linked). A `customData` path
/// descends objects only; `ne` holds when the path is missing, `exists`
/// counts a JSON `null` as present, `contains` is a case-insensitive
/// substring of a string value.
pub fn matches(user: &User, role_ids: &[RoleId], filter: &UserFilter) -> bool {
    matching::matches(user, role_ids, filter)
}

/// Whether evaluating `filter` needs the user's role ids, so that a backend
/// can skip loading them when it does not.
pub fn uses_roles(filter: &UserFilter) -> bool {
    match filter {
        UserFilter::Roles(_) => true,
        UserFilter::And(parts) | UserFilter::Or(parts) => parts.iter().any(uses_roles),
        UserFilter::Not(inner) => uses_roles(inner),
        UserFilter::All
        | UserFilter::String { .. }
        | UserFilter::IsSuspended(_)
        | UserFilter::HasPassword(_)
        | UserFilter::Time { .. }
        | UserFilter::CustomData { .. } => false,
    }
}

/// The user's position in `order`.
pub fn sort_key(user: &User, order: &[UserOrder]) -> UserSortKey {
    order::sort_key(user, order)
}

/// Compares two positions in `order`: nulls last in either direction; ties
/// broken by id in the direction of the last order term.
pub fn compare(a: &UserSortKey, b: &UserSortKey, order: &[UserOrder]) -> Ordering {
    order::compare(a, b, order)
}

/// Compares two positions in the order `search` walks: `order`, or its exact
/// reverse when `backward`.
pub fn walk_compare(a: &UserSortKey, b: &UserSortKey, search: &UserSearch) -> Ordering {
    let ordering = compare(a, b, &search.order);
    if search.backward {
        ordering.reverse()
    } else {
        ordering
    }
}

/// The total a search reports when it counts: the matches, up to the limit.
pub fn counted(matches: usize, count_limit: Option<u64>) -> Option<u64> {
    count_limit.map(|limit| (matches as u64).min(limit))
}

/// The reference answer to a user search over all users (with their roles).
pub fn search_users<'a>(
    users: impl IntoIterator<Item = (&'a User, &'a [RoleId])>,
    search: &UserSearch,
) -> Page<User> {
    let mut matched: Vec<(UserSortKey, &User)> = users
        .into_iter()
        .filter(|(user, roles)| matches(user, roles, &search.filter))
        .map(|(user, _)| (sort_key(user, &search.order), user))
        .collect();
    let total = counted(matched.len(), search.count_limit);
    matched.sort_by(|(a, _), (b, _)| walk_compare(a, b, search));
    let items = matched
        .into_iter()
        .filter(|(key, _)| {
            search
                .after
                .as_ref()
                .is_none_or(|after| walk_compare(key, after, search) == Ordering::Greater)
        })
        .take(search.limit)
        .map(|(_, user)| user.clone())
        .collect();
    Page { items, total }
}

pub fn role_sort_key(role: &Role) -> RoleSortKey {
    RoleSortKey {
        name_key: role.name_key(),
        id: role.id.clone(),
    }
}

/// Roles order by name key, then id, both ascending.
pub fn compare_roles(a: &RoleSortKey, b: &RoleSortKey) -> Ordering {
    a.name_key.cmp(&b.name_key).then_with(|| a.id.cmp(&b.id))
}

/// Whether the role's id, name or description contains the search text,
/// ignoring case. No search (or an empty one) matches every role.
pub fn role_matches(role: &Role, search: &RoleSearch) -> bool {
    let Some(needle) = search.search.as_deref().filter(|s| !s.is_empty()) else {
        return true;
    };
    let needle = needle.to_lowercase();
    let has = |text: &str| text.to_lowercase().contains(&needle);
    has(role.id.as_str()) || has(&role.name) || role.description.as_deref().is_some_and(has)
}

/// The reference answer to a role search.
pub fn search_roles<'a>(
    roles: impl IntoIterator<Item = &'a Role>,
    search: &RoleSearch,
) -> Page<Role> {
    let mut matched: Vec<(RoleSortKey, &Role)> = roles
        .into_iter()
        .filter(|role| role_matches(role, search))
        .map(|role| (role_sort_key(role), role))
        .collect();
    let total = counted(matched.len(), search.count_limit);
    matched.sort_by(|(a, _), (b, _)| compare_roles(a, b));
    let items = matched
        .into_iter()
        .filter(|(key, _)| {
            search
                .after
                .as_ref()
                .is_none_or(|after| compare_roles(key, after) == Ordering::Greater)
        })
        .take(search.limit)
        .map(|(_, role)| role.clone())
        .collect();
    Page { items, total }
}

pub fn log_sort_key(entry: &LogEntry) -> LogSortKey {
    LogSortKey {
        created_at: entry.created_at,
        id: entry.id.clone(),
    }
}

/// Logs order newest first: `createdAt` descending, then id descending.
pub fn compare_logs(a: &LogSortKey, b: &LogSortKey) -> Ordering {
    b.created_at
        .cmp(&a.created_at)
        .then_with(|| b.id.cmp(&a.id))
}

/// Every given part of the filter must hold; `created_from` is inclusive,
/// `created_until` exclusive.
pub fn log_matches(entry: &LogEntry, filter: &LogFilter) -> bool {
    filter
        .user_id
        .as_ref()
        .is_none_or(|id| entry.user_id.as_ref() == Some(id))
        && filter
            .role_id
            .as_ref()
            .is_none_or(|id| entry.role_id.as_ref() == Some(id))
        && filter
            .actor_id
            .as_ref()
            .is_none_or(|id| entry.actor_id.as_ref() == Some(id))
        && filter.key.as_ref().is_none_or(|key| entry.key == *key)
        && filter.result.is_none_or(|result| entry.result == result)
        && filter
            .created_from
            .is_none_or(|from| entry.created_at >= from)
        && filter
            .created_until
            .is_none_or(|until| entry.created_at < until)
}

/// The reference answer to a log search (newest first, or oldest first
/// when it says).
pub fn search_logs<'a>(
    entries: impl IntoIterator<Item = &'a LogEntry>,
    search: &LogSearch,
) -> Page<LogEntry> {
    let mut matched: Vec<(LogSortKey, &LogEntry)> = entries
        .into_iter()
        .filter(|entry| log_matches(entry, &search.filter))
        .map(|entry| (log_sort_key(entry), entry))
        .collect();
    let total = counted(matched.len(), search.count_limit);
    let order = |a: &LogSortKey, b: &LogSortKey| {
        if search.oldest_first {
            compare_logs(b, a)
        } else {
            compare_logs(a, b)
        }
    };
    matched.sort_by(|(a, _), (b, _)| order(a, b));
    let items = matched
        .into_iter()
        .filter(|(key, _)| {
            search
                .after
                .as_ref()
                .is_none_or(|after| order(key, after) == Ordering::Greater)
        })
        .take(search.limit)
        .map(|(_, entry)| entry.clone())
        .collect();
    Page { items, total }
}
