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

use std::ops::Range;

use usergraph_core::storage::new_user_group;
use usergraph_core::{Error, Result, WriteOp};

use crate::deferred::{self, Deferred};
use crate::engine::{KeyRange, KvEngine, KvPair, Tree, WriteTxn};
use crate::sorted::SortedBuffer;
use crate::{index, overlay, write};

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
///
/// The search-index entries of new users (most of a chunk's keys, and a
/// pure function of each user) are built and sorted on a second thread
/// while this one checks the groups and writes their records; entries of a
/// group that fails are dropped before they are applied.
fn commit_part<E: KvEngine>(engine: &E, groups: &[Vec<WriteOp>]) -> Result<Vec<Result<()>>> {
    let mut results = Vec::with_capacity(groups.len());
    std::thread::scope(|scope| {
        let mut building = Some(scope.spawn(|| BuiltIndex::of_new_users(groups)));
        let mut built: Option<BuiltIndex> = None;
        engine.write(&mut |txn| {
            // An engine may run this more than once.
            results.clear();
            let others = groups
                .iter()
                .filter(|ops| new_user_group(ops).is_none())
                .count();
            let mut deferred = Deferred::for_users(txn, others);
            deferred.index_built_elsewhere();
            for ops in groups {
                let mut group = Group::new(&mut deferred, new_user_group(ops).is_some());
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
            let index = match (&built, building.take()) {
                (Some(index), _) => index,
                (None, Some(handle)) => built.insert(
                    handle
                        .join()
                        .map_err(|_| Error::internal("building index entries failed"))??,
                ),
                (None, None) => return Err(Error::internal("index entries were not built")),
            };
            index.flush_kept(&mut deferred, &results)
        })
    })?;
    Ok(results)
}

/// The index entries of the new users of a chunk, sorted.
struct BuiltIndex {
    entries: SortedBuffer,
    /// For each group, the marks its entries were pushed between (none
    /// for a group that is not a new user).
    made: Vec<Range<usize>>,
}

impl BuiltIndex {
    fn of_new_users(groups: &[Vec<WriteOp>]) -> Result<Self> {
        let mut entries = SortedBuffer::for_users(groups.len());
        let mut made = Vec::with_capacity(groups.len());
        for ops in groups {
            let start = entries.mark();
            if let Some(user) = new_user_group(ops) {
                for (tree, key) in index::entries(user) {
                    entries.push(tree, &key, Some(&[]))?;
                }
            }
            made.push(start..entries.mark());
        }
        entries.sort();
        Ok(BuiltIndex { entries, made })
    }

    /// Flushes `deferred` with the entries of the groups that succeeded.
    fn flush_kept(&self, deferred: &mut Deferred<'_>, results: &[Result<()>]) -> Result<()> {
        let failed: Vec<&Range<usize>> = self
            .made
            .iter()
            .zip(results)
            .filter(|(made, result)| result.is_err() && !made.is_empty())
            .map(|(made, _)| made)
            .collect();
        if failed.is_empty() {
            return deferred.flush_with(&self.entries);
        }
        let mut kept = self.entries.clone();
        kept.retain_made(|mark| !failed.iter().any(|made| made.contains(&mark)));
        deferred.flush_with(&kept)
    }
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
    /// The group's search-index entries are built elsewhere
    /// ([`BuiltIndex`]), so its writes to the index trees are dropped here.
    index_built_elsewhere: bool,
}

impl<'a> Group<'a> {
    fn new(inner: &'a mut dyn WriteTxn, index_built_elsewhere: bool) -> Self {
        Group {
            inner,
            changes: Vec::new(),
            index_built_elsewhere,
        }
    }

    fn dropped(&self, tree: Tree) -> bool {
        self.index_built_elsewhere && deferred::index_tree(tree)
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
        if self.dropped(tree) {
            return Ok(());
        }
        self.changes
            .push((tree, key.to_vec(), Some(value.to_vec())));
        Ok(())
    }

    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<()> {
        if self.dropped(tree) {
            return Ok(());
        }
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
    use std::collections::BTreeMap;

    use serde_json::Map;
    use usergraph_core::{Profile, User, UserId};

    use super::*;
    use crate::memory::MemoryEngine;

    fn person(username: &str, email: &str) -> Result<User> {
        let now = usergraph_core::time::now();
        Ok(User {
            id: UserId::parse(username)?,
            username: Some(username.into()),
            primary_email: Some(email.into()),
            primary_phone: None,
            name: Some(format!("{username} Lovelace")),
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
        })
    }

    fn index_keys(engine: &MemoryEngine) -> Result<Vec<Vec<u8>>> {
        let txn = engine.read()?;
        let mut keys = Vec::new();
        for tree in [Tree::UserText, Tree::UserGrams, Tree::UsersByOrder] {
            for entry in txn.scan(tree, KeyRange::all(), false)? {
                keys.push(entry?.0);
            }
        }
        Ok(keys)
    }

    /// Index entries are built apart from the groups' checks; those of a
    /// group that fails must not be written. Its user's id (`refused`) is
    /// in every key it would own (postings hold it in their blocks, so
    /// they are compared whole with a store written without it).
    #[test]
    fn a_failed_new_user_leaves_no_index_key() -> Result<()> {
        let kept = person("kept", "same@example.com")?;
        let refused = person("refused", "same@example.com")?;
        let with_failure = MemoryEngine::new();
        let results = commit_each(
            &with_failure,
            &[
                vec![WriteOp::InsertUser(Box::new(kept.clone()))],
                vec![WriteOp::InsertUser(Box::new(refused))],
            ],
        )?;
        assert!(results[0].is_ok());
        assert!(matches!(results[1], Err(Error::EmailAlreadyInUse)));
        let alone = MemoryEngine::new();
        commit_each(&alone, &[vec![WriteOp::InsertUser(Box::new(kept))]])?;
        assert_eq!(index_keys(&with_failure)?, index_keys(&alone)?);
        Ok(())
    }

    #[test]
    fn a_failed_group_leaves_nothing_and_later_groups_see_kept_ones() -> Result<()> {
        let engine = MemoryEngine::new();
        engine.write(&mut |txn| {
            let mut deferred = Deferred::new(txn);
            let mut group = Group::new(&mut deferred, false);
            group.insert(Tree::UserRoles, b"u1\0r1", b"")?;
            group.remove(Tree::UserRoles, b"u1\0r1")?;
            group.insert(Tree::UserRoles, b"u1\0r2", b"")?;
            assert_eq!(group.get(Tree::UserRoles, b"u1\0r1")?, None);
            let seen = group.scan_prefix(Tree::UserRoles, b"u1\0")?;
            assert_eq!(seen, [(b"u1\0r2".to_vec(), vec![])]);
            let kept = group.into_changes();
            keep(&mut deferred, kept)?;
            let mut failed = Group::new(&mut deferred, false);
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
