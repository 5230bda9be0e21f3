//! Upgrading a store written by an earlier format: the index trees it lacks
//! (format 1: every search index) or keys differently (format 2: n-gram
//! postings without their created-at; format 3: one key per posting, not
//! blocks) are rebuilt from the user records, in batches, each batch one
//! write transaction. Entries are sets and a rebuild first clears what it
//! rebuilds, so an upgrade repeated after a crash does no harm; the caller
//! stamps the format only once every batch is in.
//!
//! Users are read in created-at order, the order of the n-gram postings, so
//! that each batch appends to the end of every gram's postings (a few
//! blocks per gram) instead of inserting all over them.

use std::ops::Bound;

use usergraph_core::{Error, Result, User};

use crate::codec::decode;
use crate::engine::{KeyRange, KvEngine, Tree};
use crate::{deferred, index, keys};

/// Users per write transaction: bounds the memory of one upgrade step.
const BATCH: usize = 1_000;

/// Keys removed per write transaction when clearing a tree: a removal is
/// small, and a commit costs a sync.
const CLEAR_BATCH: usize = 100_000;

/// The index trees of search, rebuilt from scratch when a store lacks them.
pub(crate) const SEARCH_TREES: [Tree; 3] = [Tree::UserText, Tree::UserGrams, Tree::UsersByOrder];

/// Empties `trees` and fills them with every user's entries.
pub(crate) fn rebuild(engine: &dyn KvEngine, trees: &[Tree]) -> Result<()> {
    for tree in trees {
        clear(engine, *tree)?;
    }
    let mut after: Option<Vec<u8>> = None;
    loop {
        // Each batch reads from a read transaction of its own that ends
        // before the write: some engines block writers while one is open.
        let (batch, last) = {
            let txn = engine.read()?;
            let range = KeyRange {
                start: after.clone().map_or(Bound::Unbounded, Bound::Excluded),
                end: Bound::Unbounded,
            };
            let mut batch: Vec<User> = Vec::with_capacity(BATCH);
            let mut last = None;
            for entry in txn.scan(Tree::UsersByCreated, range, false)?.take(BATCH) {
                let (key, _) = entry?;
                let id = keys::timed_id(&key)
                    .ok_or_else(|| Error::internal("malformed created-at key"))?;
                if let Some(bytes) = txn.get(Tree::Users, id.as_bytes())? {
                    batch.push(decode(&bytes)?);
                }
                last = Some(key);
            }
            (batch, last)
        };
        let Some(last) = last else {
            return Ok(());
        };
        after = Some(last);
        engine.write(&mut |txn| {
            deferred::sorted(txn, |txn| {
                for user in &batch {
                    for (tree, key) in index::entries(user) {
                        if trees.contains(&tree) {
                            txn.insert(tree, &key, &[])?;
                        }
                    }
                }
                Ok(())
            })
        })?;
    }
}

/// Removes every key of `tree`, a batch per write transaction.
fn clear(engine: &dyn KvEngine, tree: Tree) -> Result<()> {
    loop {
        let keys: Vec<Vec<u8>> = {
            let txn = engine.read()?;
            txn.scan(tree, KeyRange::all(), false)?
                .take(CLEAR_BATCH)
                .map(|entry| entry.map(|(key, _)| key))
                .collect::<Result<_>>()?
        };
        if keys.is_empty() {
            return Ok(());
        }
        engine.write(&mut |txn| keys.iter().try_for_each(|key| txn.remove(tree, key)))?;
    }
}
