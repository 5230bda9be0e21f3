//! Upgrading a store written by an earlier format: the index trees it lacks
//! (format 1: every search index) or keyed differently (format 2: n-gram
//! postings without their created-at) are rebuilt from the user records, in
//! batches, each batch one write transaction. Entries are sets and a
//! rebuild first clears what it rebuilds, so an upgrade repeated after a
//! crash does no harm; the caller stamps the format only once every batch
//! is in.

use std::ops::Bound;

use usergraph_core::{Result, User};

use crate::codec::decode;
use crate::engine::{KeyRange, KvEngine, Tree};
use crate::{deferred, index};

/// Users (or removed keys) per write transaction: bounds the memory of one
/// upgrade step.
const BATCH: usize = 1_000;

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
        let batch = {
            let txn = engine.read()?;
            let range = KeyRange {
                start: after.clone().map_or(Bound::Unbounded, Bound::Excluded),
                end: Bound::Unbounded,
            };
            let mut batch: Vec<User> = Vec::with_capacity(BATCH);
            for entry in txn.scan(Tree::Users, range, false)?.take(BATCH) {
                let (_, bytes) = entry?;
                batch.push(decode(&bytes)?);
            }
            batch
        };
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = Some(last.id.as_str().as_bytes().to_vec());
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
        if batch.len() < BATCH {
            return Ok(());
        }
    }
}

/// Removes every key of `tree`, a batch per write transaction.
fn clear(engine: &dyn KvEngine, tree: Tree) -> Result<()> {
    loop {
        let keys: Vec<Vec<u8>> = {
            let txn = engine.read()?;
            txn.scan(tree, KeyRange::all(), false)?
                .take(BATCH)
                .map(|entry| entry.map(|(key, _)| key))
                .collect::<Result<_>>()?
        };
        if keys.is_empty() {
            return Ok(());
        }
        engine.write(&mut |txn| keys.iter().try_for_each(|key| txn.remove(tree, key)))?;
    }
}
