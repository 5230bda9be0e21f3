//! A write transaction for engines whose own transactions cannot scan (sled's
//! cannot): writes are buffered over a snapshot and handed back as one batch
//! for the engine to apply atomically. Sound only if the engine lets one
//! writer run at a time (e.g. behind a mutex), so the snapshot cannot go
//! stale while the batch is built.

use std::collections::BTreeMap;
use std::ops::Bound;

use usergraph_core::Result;

use crate::engine::{KeyRange, KvPair, ReadTxn, Tree, WriteTxn};

/// One buffered change: a new value, or `None` for a removal.
pub type Change = (Tree, Vec<u8>, Option<Vec<u8>>);

pub struct Overlay<'r> {
    base: &'r dyn ReadTxn,
    pending: Pending,
}

impl std::fmt::Debug for Overlay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay")
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl<'r> Overlay<'r> {
    pub fn new(base: &'r dyn ReadTxn) -> Self {
        Overlay {
            base,
            pending: BTreeMap::new(),
        }
    }

    /// The changes to apply, in tree and key order.
    pub fn into_changes(self) -> Vec<Change> {
        self.pending
            .into_iter()
            .map(|((tree, key), value)| (tree, key, value))
            .collect()
    }
}

impl WriteTxn for Overlay<'_> {
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.pending.get(&(tree, key.to_vec())) {
            Some(change) => Ok(change.clone()),
            None => self.base.get(tree, key),
        }
    }

    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<()> {
        self.pending
            .insert((tree, key.to_vec()), Some(value.to_vec()));
        Ok(())
    }

    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<()> {
        self.pending.insert((tree, key.to_vec()), None);
        Ok(())
    }

    fn scan_range(
        &mut self,
        tree: Tree,
        range: KeyRange,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<KvPair>> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let changes = pending_in(&self.pending, tree, &range);
        let base = self.base;
        scan_with_changes(
            |wanted| base.scan(tree, range, reverse)?.take(wanted).collect(),
            changes,
            reverse,
            limit,
        )
    }
}

/// Buffered changes, per tree and key: a value, or `None` for a removal.
pub(crate) type Pending = BTreeMap<(Tree, Vec<u8>), Option<Vec<u8>>>;

/// The changes of `pending` to keys of `range` (not empty) in `tree`,
/// ascending.
pub(crate) fn pending_in<'a>(
    pending: &'a Pending,
    tree: Tree,
    range: &KeyRange,
) -> Vec<(&'a Vec<u8>, &'a Option<Vec<u8>>)> {
    // Unbounded ends stay within `tree`: from its first key, and until a
    // key of the next tree.
    let start = match range.start.clone() {
        Bound::Unbounded => Bound::Included((tree, Vec::new())),
        bound => bound.map(|key| (tree, key)),
    };
    let end = range.end.clone().map(|key| (tree, key));
    pending
        .range((start, end))
        .take_while(|((t, _), _)| *t == tree)
        .map(|((_, key), change)| (key, change))
        .collect()
}

/// The first `limit` entries of a range in walking order, as buffered
/// `changes` (those within the range; a later change to a key wins over an
/// earlier one) leave them. `base(n)` reads the first `n` entries of the
/// range beneath the changes: `limit` plus one per change is always enough,
/// since each change removes at most one of them.
pub(crate) fn scan_with_changes<'a>(
    base: impl FnOnce(usize) -> Result<Vec<KvPair>>,
    changes: Vec<(&'a Vec<u8>, &'a Option<Vec<u8>>)>,
    reverse: bool,
    limit: usize,
) -> Result<Vec<KvPair>> {
    let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = base(limit.saturating_add(changes.len()))?
        .into_iter()
        .collect();
    for (key, change) in changes {
        match change {
            Some(value) => merged.insert(key.clone(), value.clone()),
            None => merged.remove(key),
        };
    }
    Ok(if reverse {
        merged.into_iter().rev().take(limit).collect()
    } else {
        merged.into_iter().take(limit).collect()
    })
}

#[cfg(test)]
mod tests {
    use usergraph_core::Error;

    use super::*;
    use crate::engine::KvEngine;
    use crate::memory::MemoryEngine;

    fn seeded() -> MemoryEngine {
        let engine = MemoryEngine::new();
        engine
            .write(&mut |txn| {
                txn.insert(Tree::UserRoles, b"u1\0r1", b"")?;
                txn.insert(Tree::UserRoles, b"u1\0r2", b"")?;
                txn.insert(Tree::UserRoles, b"u10\0r1", b"")?;
                txn.insert(Tree::RoleUsers, b"u1\0zz", b"")
            })
            .unwrap();
        engine
    }

    #[test]
    fn reads_and_scans_see_the_transactions_own_writes() {
        let engine = seeded();
        let snapshot = engine.read().unwrap();
        let mut overlay = Overlay::new(snapshot.as_ref());
        overlay.remove(Tree::UserRoles, b"u1\0r1").unwrap();
        overlay.insert(Tree::UserRoles, b"u1\0r3", b"x").unwrap();
        overlay.insert(Tree::UserRoles, b"u2\0r1", b"").unwrap();
        assert_eq!(overlay.get(Tree::UserRoles, b"u1\0r1").unwrap(), None);
        assert_eq!(
            overlay.get(Tree::UserRoles, b"u1\0r3").unwrap(),
            Some(b"x".to_vec())
        );
        let keys: Vec<Vec<u8>> = overlay
            .scan_prefix(Tree::UserRoles, b"u1\0")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, [b"u1\0r2".to_vec(), b"u1\0r3".to_vec()]);
        assert_eq!(overlay.into_changes().len(), 3);
    }

    #[test]
    fn a_failed_write_changes_nothing_and_snapshots_stay_put() {
        let engine = seeded();
        let before = engine.read().unwrap();
        let failed = engine.write(&mut |txn| {
            txn.remove(Tree::UserRoles, b"u1\0r1")?;
            Err(Error::StaleVersion)
        });
        assert!(matches!(failed, Err(Error::StaleVersion)));
        engine
            .write(&mut |txn| txn.remove(Tree::UserRoles, b"u1\0r2"))
            .unwrap();
        let count = |txn: &dyn ReadTxn| {
            txn.scan(Tree::UserRoles, KeyRange::prefix(b"u1\0"), false)
                .unwrap()
                .count()
        };
        assert_eq!(count(before.as_ref()), 2);
        assert_eq!(count(engine.read().unwrap().as_ref()), 1);
    }
}
