//! Upgrading a store written before the search indexes existed: every
//! user's index entries are built in batches, each batch one write
//! transaction. Entries are sets, so a batch repeated after a crash does no
//! harm; the format is stamped only once every batch is in.

use std::ops::Bound;

use usergraph_core::{Result, User};

use crate::codec::decode;
use crate::engine::{KeyRange, KvEngine, Tree};
use crate::{deferred, index};

/// Users per write transaction: bounds the memory of one upgrade step.
const BATCH: usize = 1_000;

pub(crate) fn build_search_indexes(engine: &dyn KvEngine) -> Result<()> {
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
                batch
                    .iter()
                    .try_for_each(|user| index::update(txn, None, Some(user)))
            })
        })?;
        if batch.len() < BATCH {
            return Ok(());
        }
    }
}
