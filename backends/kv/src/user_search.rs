//! User searches. Each returns exactly what `eval::search_users` returns over
//! the same data; the indexes only decide how much is read:
//!
//! 1. If the planner finds at most [`plan::CAP`] candidates, only those are
//!    loaded, verified with `eval::matches` and sorted.
//! 2. Otherwise an order of one term walks its index from the cursor and
//!    stops after one page, so a deep page costs what the first costs.
//! 3. Otherwise (several order terms) every user is read, keeping only the
//!    best page in memory.
//!
//! A count without candidates reads every user once.

use std::cmp::Ordering;
use std::ops::Bound;

use usergraph_core::eval;
use usergraph_core::query::{Direction, Page, SortValue, UserOrderField, UserSearch, UserSortKey};
use usergraph_core::{Error, Result, RoleId, User};

use crate::codec::decode;
use crate::engine::{KeyRange, ReadTxn, Tree};
use crate::plan::{self, Ids};
use crate::{index, keys, read};

pub(crate) fn users(txn: &dyn ReadTxn, search: &UserSearch) -> Result<Page<User>> {
    if let Some(ids) = plan::candidates(txn, &search.filter)? {
        return among(txn, search, &ids);
    }
    match walk_plan(search) {
        Some(walk) => walk_index(txn, search, &walk),
        None => sorted(txn, search),
    }
}

/// Loads the user if it exists and matches, with its roles when the filter
/// needs them.
fn matching(txn: &dyn ReadTxn, search: &UserSearch, id: &str) -> Result<Option<User>> {
    let Some(user) = read::user(txn, id)? else {
        return Ok(None);
    };
    let roles = roles_for(txn, &user, eval::uses_roles(&search.filter))?;
    Ok(eval::matches(&user, &roles, &search.filter).then_some(user))
}

fn roles_for(txn: &dyn ReadTxn, user: &User, needed: bool) -> Result<Vec<RoleId>> {
    if needed {
        read::role_ids_of(txn, user.id.as_str())
    } else {
        Ok(Vec::new())
    }
}

fn past_cursor(key: &UserSortKey, search: &UserSearch) -> bool {
    search
        .after
        .as_ref()
        .is_none_or(|after| eval::walk_compare(key, after, search) == Ordering::Greater)
}

/// The page among a few candidates: each loaded and verified, then sorted.
fn among(txn: &dyn ReadTxn, search: &UserSearch, ids: &Ids) -> Result<Page<User>> {
    let mut found = Vec::new();
    let mut total = 0u64;
    for id in ids {
        let Some(user) = matching(txn, search, id)? else {
            continue;
        };
        total += 1;
        let key = eval::sort_key(&user, &search.order);
        if past_cursor(&key, search) {
            found.push((key, user));
        }
    }
    found.sort_by(|a, b| eval::walk_compare(&a.0, &b.0, search));
    found.truncate(search.limit);
    Ok(Page {
        items: found.into_iter().map(|(_, user)| user).collect(),
        total: search.count_total.then_some(total),
    })
}

/// One stretch of an order index, scanned in one direction.
struct Segment {
    tree: Tree,
    range: KeyRange,
    reverse: bool,
}

/// How to walk an order of one term from its index: the segments in walking
/// order, starting strictly after the cursor. Within a section the index
/// order is (value, id), which is the order's tie rule (ids follow the
/// term's direction); nulls sit in a trailing section, so they come last
/// in either direction and first when walking backward.
fn walk_plan(search: &UserSearch) -> Option<Vec<Segment>> {
    let [term] = search.order.as_slice() else {
        return None;
    };
    let reverse = (term.direction == Direction::Desc) != search.backward;
    let (tree, mut sections, cursor) = match index::order_tag(term.field) {
        None => {
            let cursor = match &search.after {
                None => None,
                Some(UserSortKey { values, id }) => match values.as_slice() {
                    [SortValue::Time(Some(at))] => Some(keys::timed(*at, id.as_str())),
                    _ => return None,
                },
            };
            (Tree::UsersByCreated, vec![KeyRange::all()], cursor)
        }
        Some(tag) => {
            let is_time = matches!(
                term.field,
                UserOrderField::UpdatedAt | UserOrderField::LastSignInAt
            );
            let cursor = match &search.after {
                None => None,
                Some(UserSortKey { values, id }) => match values.as_slice() {
                    [value @ SortValue::Time(_)] if is_time => {
                        Some(index::order_key(tag, value, id.as_str()))
                    }
                    [value @ SortValue::Text(_)] if !is_time => {
                        Some(index::order_key(tag, value, id.as_str()))
                    }
                    _ => return None,
                },
            };
            let sections = index::order_sections(tag)
                .iter()
                .map(|prefix| KeyRange::prefix(prefix))
                .collect();
            (Tree::UsersByOrder, sections, cursor)
        }
    };
    if search.backward {
        sections.reverse();
    }
    if let Some(cursor) = cursor {
        let at = sections.iter().position(|s| s.contains(&cursor))?;
        sections.drain(..at);
        let first = &mut sections[0];
        if reverse {
            first.end = Bound::Excluded(cursor);
        } else {
            first.start = Bound::Excluded(cursor);
        }
    }
    Some(
        sections
            .into_iter()
            .filter(|range| !range.is_empty())
            .map(|range| Segment {
                tree,
                range,
                reverse,
            })
            .collect(),
    )
}

/// Streams the order index from the cursor and stops after one page.
fn walk_index(txn: &dyn ReadTxn, search: &UserSearch, walk: &[Segment]) -> Result<Page<User>> {
    let mut items = Vec::new();
    'walk: for segment in walk {
        if items.len() >= search.limit {
            break;
        }
        for entry in txn.scan(segment.tree, segment.range.clone(), segment.reverse)? {
            let (key, _) = entry?;
            let id = match segment.tree {
                Tree::UsersByCreated => keys::timed_id(&key),
                _ => index::id_of(&key),
            }
            .ok_or_else(|| Error::internal("malformed index key"))?;
            if let Some(user) = matching(txn, search, id)? {
                items.push(user);
                if items.len() >= search.limit {
                    break 'walk;
                }
            }
        }
    }
    let total = if search.count_total {
        Some(count(txn, search)?)
    } else {
        None
    };
    Ok(Page { items, total })
}

/// Every user matching the filter, read one by one.
fn count(txn: &dyn ReadTxn, search: &UserSearch) -> Result<u64> {
    let needs_roles = eval::uses_roles(&search.filter);
    let mut total = 0u64;
    for entry in txn.scan(Tree::Users, KeyRange::all(), false)? {
        let (_, bytes) = entry?;
        let user: User = decode(&bytes)?;
        let roles = roles_for(txn, &user, needs_roles)?;
        if eval::matches(&user, &roles, &search.filter) {
            total += 1;
        }
    }
    Ok(total)
}

/// Any other order: read every user, keep the best `limit` after the cursor.
/// Memory stays bounded by the page size, not the number of users.
fn sorted(txn: &dyn ReadTxn, search: &UserSearch) -> Result<Page<User>> {
    let needs_roles = eval::uses_roles(&search.filter);
    let order = &search.order;
    let by_key =
        |a: &(UserSortKey, User), b: &(UserSortKey, User)| eval::walk_compare(&a.0, &b.0, search);
    let mut best: Vec<(UserSortKey, User)> = Vec::new();
    let mut total = 0u64;
    for entry in txn.scan(Tree::Users, KeyRange::all(), false)? {
        let (_, bytes) = entry?;
        let user: User = decode(&bytes)?;
        let roles = roles_for(txn, &user, needs_roles)?;
        if !eval::matches(&user, &roles, &search.filter) {
            continue;
        }
        total += 1;
        if search.limit == 0 {
            continue;
        }
        let key = eval::sort_key(&user, order);
        if !past_cursor(&key, search) {
            continue;
        }
        best.push((key, user));
        if best.len() >= search.limit.saturating_mul(2).max(64) {
            best.sort_by(by_key);
            best.truncate(search.limit);
        }
    }
    best.sort_by(by_key);
    best.truncate(search.limit);
    Ok(Page {
        items: best.into_iter().map(|(_, user)| user).collect(),
        total: search.count_total.then_some(total),
    })
}
