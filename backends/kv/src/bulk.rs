//! [`Storage::commit_each`](usergraph_core::Storage::commit_each) for the
//! key-value engines: every group in ONE engine transaction, each group
//! applied on a layer of its own that is kept when all its ops succeed and
//! dropped when one fails, and everything kept written tree by tree in key
//! order at the end (see [`crate::deferred`]).
//!
//! One transaction per chunk instead of one per few hundred users is what
//! makes a bulk load cheap on a copy-on-write B-tree (redb): a commit
//! rewrites every page it touched, and a chunk of users touches most pages
//! of the n-gram index whatever its size, so the fewer commits, the fewer
//! times each page is written. Checks (ids, unique identifiers, roles) read
//! through the layers, so a group sees every group kept before it, and the
//! engine's single writer keeps the outcome that of committing the groups
//! one after another.

use usergraph_core::{Error, Result, WriteOp};

use crate::deferred::Deferred;
use crate::engine::{KeyRange, KvEngine, KvPair, Tree, WriteTxn};
use crate::{overlay, write};

/// Applies each group as its own commit would, in one engine transaction;
/// one result per group. Only an engine failure fails the whole call (and
/// then nothing of it is written).
pub(crate) fn commit_each<E: KvEngine>(
    engine: &E,
    groups: &[Vec<WriteOp>],
) -> Result<Vec<Result<()>>> {
    let mut results = Vec::with_capacity(groups.len());
    for part in groups.chunks(engine.bulk_groups_per_write().max(1)) {
        results.extend(commit_part(engine, part)?);
    }
    Ok(results)
}

/// The groups of one engine transaction.
fn commit_part<E: KvEngine>(engine: &E, groups: &[Vec<WriteOp>]) -> Result<Vec<Result<()>>> {
    let mut results = Vec::with_capacity(groups.len());
    engine.write(&mut |txn| {
        // An engine may run this more than once.
        results.clear();
        let mut deferred = Deferred::for_users(txn, groups.len());
        for ops in groups {
            let mut group = Group::new(&mut deferred);
            match ops.iter().try_for_each(|op| write::apply(&mut group, op)) {
                Ok(()) => {
                    let changes = group.into_changes();
                    keep(&mut deferred, changes)?;
                    results.push(Ok(()));
                }
                Err(e @ Error::Internal(_)) => return Err(e),
                Err(e) => results.push(Err(e)),
            }
        }
        deferred.flush()
    })?;
    Ok(results)
}

fn keep(txn: &mut dyn WriteTxn, changes: Vec<Change>) -> Result<()> {
    for (tree, key, change) in changes {
        match change {
            Some(value) => txn.insert(tree, &key, &value)?,
            None => txn.remove(tree, &key)?,
        }
    }
    Ok(())
}

type Change = (Tree, Vec<u8>, Option<Vec<u8>>);

/// The writes of one group, held until the group has succeeded. A group
/// is one user's few ops (some hundred keys), so its changes are a list in
/// the order made, and a read looks through it from the end.
struct Group<'a> {
    inner: &'a mut dyn WriteTxn,
    changes: Vec<Change>,
}

impl<'a> Group<'a> {
    fn new(inner: &'a mut dyn WriteTxn) -> Self {
        Group {
            inner,
            changes: Vec::new(),
        }
    }

    fn into_changes(self) -> Vec<Change> {
        self.changes
    }
}

impl WriteTxn for Group<'_> {
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let own = self
            .changes
            .iter()
            .rev()
            .find(|(t, k, _)| *t == tree && k.as_slice() == key);
        match own {
            Some((_, _, change)) => Ok(change.clone()),
            None => self.inner.get(tree, key),
        }
    }

    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<()> {
        self.changes
            .push((tree, key.to_vec(), Some(value.to_vec())));
        Ok(())
    }

    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<()> {
        self.changes.push((tree, key.to_vec(), None));
        Ok(())
    }

    fn scan_range(
        &mut self,
        tree: Tree,
        range: KeyRange,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<KvPair>> {
        // Only the last change of a key counts: the merge applies them in
        // the order made.
        let changes = self
            .changes
            .iter()
            .filter(|(t, key, _)| *t == tree && range.contains(key))
            .map(|(_, key, change)| (key, change))
            .collect();
        let inner = &mut *self.inner;
        overlay::scan_with_changes(
            |wanted| inner.scan_range(tree, range.clone(), reverse, wanted),
            changes,
            reverse,
            limit,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryEngine;

    #[test]
    fn a_failed_group_leaves_nothing_and_later_groups_see_kept_ones() -> Result<()> {
        let engine = MemoryEngine::new();
        engine.write(&mut |txn| {
            let mut deferred = Deferred::new(txn);
            let mut group = Group::new(&mut deferred);
            group.insert(Tree::UserRoles, b"u1\0r1", b"")?;
            group.remove(Tree::UserRoles, b"u1\0r1")?;
            group.insert(Tree::UserRoles, b"u1\0r2", b"")?;
            assert_eq!(group.get(Tree::UserRoles, b"u1\0r1")?, None);
            let seen = group.scan_prefix(Tree::UserRoles, b"u1\0")?;
            assert_eq!(seen, [(b"u1\0r2".to_vec(), vec![])]);
            let kept = group.into_changes();
            keep(&mut deferred, kept)?;
            let mut failed = Group::new(&mut deferred);
            failed.insert(Tree::UserRoles, b"u9\0r1", b"")?;
            assert_eq!(failed.get(Tree::UserRoles, b"u1\0r2")?, Some(Vec::new()));
            drop(failed);
            deferred.flush()
        })?;
        let txn = engine.read()?;
        let keys = txn
            .scan(Tree::UserRoles, KeyRange::all(), false)?
            .map(|entry| entry.map(|(key, _)| key))
            .collect::<Result<Vec<_>>>()?;
        assert_eq!(keys, [b"u1\0r2".to_vec()]);
        Ok(())
    }
}
