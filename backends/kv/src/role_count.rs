//! Counting the holders of roles from the role index alone, without reading
//! a user: the count behind a role's holder list and `roles: { any: [...] }`.

use std::collections::HashSet;

use usergraph_core::filter::{RoleMembership, UserFilter};
use usergraph_core::{Error, Result};

use crate::engine::{KeyRange, ReadTxn, Tree};
use crate::{index, keys};

/// The users holding any of the roles of a filter that is exactly
/// `roles: { any: [...] }`, counted up to `limit`; `None` for any other
/// filter. Each holder counts once, however many of the roles it holds.
pub(crate) fn exact_count(
    txn: &dyn ReadTxn,
    filter: &UserFilter,
    limit: u64,
) -> Result<Option<u64>> {
    let UserFilter::Roles(RoleMembership {
        any: Some(role_ids),
        all: None,
        none: None,
    }) = filter
    else {
        return Ok(None);
    };
    let mut holders: HashSet<Vec<u8>> = HashSet::new();
    let mut total = 0u64;
    for role_id in role_ids {
        let range = KeyRange::prefix(&keys::owner_prefix(role_id.as_str()));
        for entry in txn.scan(Tree::RoleUsers, range, false)? {
            if total >= limit {
                return Ok(Some(total));
            }
            let (key, _) = entry?;
            let holder =
                index::id_of(&key).ok_or_else(|| Error::internal("malformed index key"))?;
            // One role's holders are distinct; only a second role repeats them.
            if role_ids.len() == 1 || holders.insert(holder.as_bytes().to_vec()) {
                total += 1;
            }
        }
    }
    Ok(Some(total.min(limit)))
}
