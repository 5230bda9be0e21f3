//! User searches. Each returns exactly what `eval::search_users` returns over
//! the same data; the indexes only decide how much is read:
//!
//! 1. In the default order (created-at), a filter that ordered postings
//!    narrow (see [`stream`]) streams them from the cursor and stops after
//!    one page, unless the planner finds at most [`FEW`] candidates.
//! 2. If the planner finds at most [`plan::CAP`] candidates: an order of one
//!    term walks its index, loading only candidates, while that stays
//!    cheaper than loading them all; otherwise (or to count them) every
//!    candidate is loaded, verified with `eval::matches` and sorted.
//! 3. Otherwise an order of one term walks its index from the cursor and
//!    stops after one page, so a deep page costs what the first costs.
//! 4. Otherwise (several order terms) every user is read, keeping only the
//!    best page in memory.
//!
//! Every user is loaded and verified with `eval::matches`, so the indexes
//! may keep too many users (they fold case, truncate times) but never too
//! few.
//!
//! A count stops at the search's `count_limit` (see [`count`]): it reads
//! postings only, without loading a user, when they decide the filter
//! alone; otherwise it verifies candidates, the stream, or every user, in
//! that order of preference, until it has counted enough.

use std::cmp::Ordering;
use std::ops::Bound;

use usergraph_core::eval;
use usergraph_core::query::{Direction, Page, SortValue, UserOrderField, UserSearch, UserSortKey};
use usergraph_core::{Error, Result, RoleId, User};

use crate::codec::decode;
use crate::engine::{KeyRange, ReadTxn, Tree};
use crate::plan::{self, Ids};
use crate::stream::{self, Source};
use crate::{index, keys, read, role_count, roles_first};

/// Candidates this few are loaded outright: cheaper than any walk.
pub(crate) const FEW: usize = 256;

/// Index keys a walk may read per candidate before loading the candidates
/// outright is the cheaper way: a key read costs a fraction of a user load.
const KEYS_PER_CANDIDATE: usize = 16;

pub(crate) fn users(txn: &dyn ReadTxn, search: &UserSearch) -> Result<Page<User>> {
    let (items, matches) = page(txn, search)?;
    let total = match (search.count_limit, matches) {
        (None, _) => None,
        (Some(limit), Some(matches)) => Some(matches.min(limit)),
        (Some(limit), None) => Some(count(txn, search, limit)?),
    };
    Ok(Page { items, total })
}

/// The page, and the number of matches when reading the page counted
/// them all anyway.
fn page(txn: &dyn ReadTxn, search: &UserSearch) -> Result<(Vec<User>, Option<u64>)> {
    if let Some(source) = created_walk(search).and_then(|_| stream::source(&search.filter)) {
        if let Some(ids) = plan::candidates(txn, &search.filter, FEW, FEW)? {
            return among(txn, search, &ids);
        }
        if let Some(items) = streamed(txn, search, &source)? {
            return Ok((items, None));
        }
    }
    let walk = walk_plan(search);
    // A walk checks roles before loading users; a sort loads every
    // candidate, so there many holders are still worth reading.
    let role_cap = if walk.is_some() { FEW } else { plan::CAP };
    match (
        plan::candidates(txn, &search.filter, plan::CAP, role_cap)?,
        walk,
    ) {
        (Some(ids), Some(walk)) if ids.len() > FEW => {
            let budget = ids.len().saturating_mul(KEYS_PER_CANDIDATE);
            match walk_index(txn, search, &walk, Some((&ids, budget)))? {
                Some(items) => Ok((items, None)),
                None => among(txn, search, &ids),
            }
        }
        (Some(ids), _) => among(txn, search, &ids),
        (None, Some(walk)) => Ok((
            walk_index(txn, search, &walk, None)?
                .ok_or_else(|| Error::internal("an unbounded walk gave up"))?,
            None,
        )),
        (None, None) => sorted(txn, search),
    }
}

/// The matches of the search's filter, counted up to `limit`, reading as
/// little as the indexes allow.
fn count(txn: &dyn ReadTxn, search: &UserSearch, limit: u64) -> Result<u64> {
    if let Some(source) = stream::exact(&search.filter) {
        return stream::count(txn, &source, limit);
    }
    if let Some(held) = role_count::exact_count(txn, &search.filter, limit)? {
        return Ok(held);
    }
    let verified = |id: &str| Ok(matching(txn, search, id)?.is_some());
    if let Some(source) = stream::source(&search.filter) {
        let keys = stream::keys_after(txn, &source, false, None)?;
        return up_to(limit, keys.map(|key| verified(timed_id(&key?)?)));
    }
    if let Some(ids) = plan::candidates(txn, &search.filter, plan::CAP, plan::CAP)? {
        return up_to(limit, ids.iter().map(|id| verified(id)));
    }
    up_to(
        limit,
        every_match(txn, search)?.map(|user| user.map(|_| true)),
    )
}

/// How many of `hits` are true, counted up to `limit`: reading stops there.
fn up_to(limit: u64, hits: impl Iterator<Item = Result<bool>>) -> Result<u64> {
    let mut total = 0u64;
    if limit == 0 {
        return Ok(total);
    }
    for hit in hits {
        if hit? {
            total += 1;
            if total >= limit {
                break;
            }
        }
    }
    Ok(total)
}

/// Every user matching the search's filter, read one by one in id order.
fn every_match<'a>(
    txn: &'a dyn ReadTxn,
    search: &'a UserSearch,
) -> Result<impl Iterator<Item = Result<User>> + 'a> {
    let needs_roles = eval::uses_roles(&search.filter);
    let entries = txn.scan(Tree::Users, KeyRange::all(), false)?;
    Ok(entries.filter_map(move |entry| {
        entry
            .and_then(|(id, bytes)| matching_record(txn, search, needs_roles, &id, &bytes))
            .transpose()
    }))
}

/// The user stored as `bytes` under `id`, if it matches the search's filter;
/// its roles are checked first, which may spare decoding it.
fn matching_record(
    txn: &dyn ReadTxn,
    search: &UserSearch,
    needs_roles: bool,
    id: &[u8],
    bytes: &[u8],
) -> Result<Option<User>> {
    let roles = roles_for(txn, &read::utf8(id)?, needs_roles)?;
    if !roles_first::may_match(&search.filter, &roles) {
        return Ok(None);
    }
    let user: User = decode(bytes)?;
    Ok(eval::matches(&user, &roles, &search.filter).then_some(user))
}

/// The walking direction of a search in created-at order (`true`: newest
/// first), or `None` for any other order.
fn created_walk(search: &UserSearch) -> Option<bool> {
    match search.order.as_slice() {
        [term] if term.field == UserOrderField::CreatedAt => {
            Some((term.direction == Direction::Desc) != search.backward)
        }
        _ => None,
    }
}

/// The page read from the stream of `source`, from the cursor on; `None`
/// if the cursor is not a created-at position.
fn streamed(txn: &dyn ReadTxn, search: &UserSearch, source: &Source) -> Result<Option<Vec<User>>> {
    let Some(reverse) = created_walk(search) else {
        return Ok(None);
    };
    let after = match &search.after {
        None => None,
        Some(UserSortKey { values, id }) => match values.as_slice() {
            [SortValue::Time(Some(at))] => Some(keys::timed(*at, id.as_str())),
            _ => return Ok(None),
        },
    };
    let mut items = Vec::new();
    if search.limit > 0 {
        for key in stream::keys_after(txn, source, reverse, after.as_deref())? {
            if let Some(user) = matching(txn, search, timed_id(&key?)?)? {
                items.push(user);
                if items.len() >= search.limit {
                    break;
                }
            }
        }
    }
    Ok(Some(items))
}

fn timed_id(key: &[u8]) -> Result<&str> {
    keys::timed_id(key).ok_or_else(|| Error::internal("malformed index key"))
}

/// Loads the user if it exists and matches, with its roles when the filter
/// needs them; those come first, and may spare loading the user.
fn matching(txn: &dyn ReadTxn, search: &UserSearch, id: &str) -> Result<Option<User>> {
    let roles = roles_for(txn, id, eval::uses_roles(&search.filter))?;
    if !roles_first::may_match(&search.filter, &roles) {
        return Ok(None);
    }
    let Some(user) = read::user(txn, id)? else {
        return Ok(None);
    };
    Ok(eval::matches(&user, &roles, &search.filter).then_some(user))
}

fn roles_for(txn: &dyn ReadTxn, user_id: &str, needed: bool) -> Result<Vec<RoleId>> {
    if needed {
        read::role_ids_of(txn, user_id)
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

/// The page among a few candidates: each loaded and verified, then sorted;
/// with the number of matches.
fn among(txn: &dyn ReadTxn, search: &UserSearch, ids: &Ids) -> Result<(Vec<User>, Option<u64>)> {
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
    let items = found.into_iter().map(|(_, user)| user).collect();
    Ok((items, Some(total)))
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
/// With `among`, only those ids are loaded, and the walk gives up (`None`)
/// after reading its budget of index keys.
fn walk_index(
    txn: &dyn ReadTxn,
    search: &UserSearch,
    walk: &[Segment],
    among: Option<(&Ids, usize)>,
) -> Result<Option<Vec<User>>> {
    let mut items = Vec::new();
    let mut read = 0usize;
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
            if let Some((ids, budget)) = among {
                read += 1;
                if read > budget {
                    return Ok(None);
                }
                if !ids.contains(id) {
                    continue;
                }
            }
            if let Some(user) = matching(txn, search, id)? {
                items.push(user);
                if items.len() >= search.limit {
                    break 'walk;
                }
            }
        }
    }
    Ok(Some(items))
}

/// Any other order: read every user, keep the best `limit` after the cursor.
/// Memory stays bounded by the page size, not the number of users.
fn sorted(txn: &dyn ReadTxn, search: &UserSearch) -> Result<(Vec<User>, Option<u64>)> {
    let order = &search.order;
    let by_key =
        |a: &(UserSortKey, User), b: &(UserSortKey, User)| eval::walk_compare(&a.0, &b.0, search);
    let mut best: Vec<(UserSortKey, User)> = Vec::new();
    let mut total = 0u64;
    for user in every_match(txn, search)? {
        let user = user?;
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
    let items = best.into_iter().map(|(_, user)| user).collect();
    Ok((items, Some(total)))
}
