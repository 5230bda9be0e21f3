//! Deferring every write of one transaction and applying it tree by tree,
//! in key order, at its end.
//!
//! A user owns dozens of index keys (mostly n-gram postings) scattered over
//! the index trees, and a batch of users scatters them over most pages of
//! those trees. Applied as they come, every insert descends to a different
//! page, which on a B-tree engine (redb) means a page read, a copy and a
//! descent per key. Applied in key order, consecutive inserts land on the
//! same few pages, which stay hot in the engine's cache, and each tree is
//! opened once.
//!
//! The write path reads the record trees (users, unique keys, roles, ...),
//! so their pending writes are kept in a map that reads consult. It never
//! reads the search indexes, so theirs go to a compact [`SortedBuffer`]; a
//! read of one flushes first all the same, to stay exact.
//!
//! Writes to [`Tree::UserGrams`] are single postings (see [`crate::index`]);
//! when they are applied, [`postings::rewrite`] turns them into writes of
//! the blocks that store them. Every write transaction of the store goes
//! through this layer, so no single posting ever reaches the engine, and a
//! read of the n-gram index through it sees blocks.

use usergraph_core::Result;

use crate::engine::{KeyRange, KvPair, SortedRun, Tree, WriteTxn};
use crate::overlay::{self, Pending};
use crate::postings;
use crate::sorted::SortedBuffer;

/// The trees whose writes go to the compact buffer: the search indexes.
pub(crate) fn index_tree(tree: Tree) -> bool {
    matches!(tree, Tree::UserText | Tree::UserGrams | Tree::UsersByOrder)
}

pub(crate) struct Deferred<'t> {
    inner: &'t mut dyn WriteTxn,
    /// Pending writes of the record trees: a value, or `None` for a removal.
    records: Pending,
    index: SortedBuffer,
    /// Set when some of this transaction's index entries are being built
    /// outside it (see [`Deferred::flush_with`]): a read of an index would
    /// miss them, so it fails instead.
    index_built_elsewhere: bool,
}

impl<'t> Deferred<'t> {
    pub(crate) fn new(inner: &'t mut dyn WriteTxn) -> Self {
        Self::with_index(inner, SortedBuffer::default())
    }

    /// A layer for a bulk write of `users` users, its index buffer sized
    /// for their keys up front.
    pub(crate) fn for_users(inner: &'t mut dyn WriteTxn, users: usize) -> Self {
        Self::with_index(inner, SortedBuffer::for_users(users))
    }

    fn with_index(inner: &'t mut dyn WriteTxn, index: SortedBuffer) -> Self {
        Deferred {
            inner,
            records: Pending::new(),
            index,
            index_built_elsewhere: false,
        }
    }

    /// Declares that index entries of this transaction are built outside
    /// it and handed to [`Deferred::flush_with`]. The write path never
    /// reads the search indexes; should it start to, a read fails with an
    /// internal error rather than answer without those entries.
    pub(crate) fn index_built_elsewhere(&mut self) {
        self.index_built_elsewhere = true;
    }

    /// Applies every pending change, tree by tree in key order. Must be
    /// called before the transaction commits, or the deferred writes are
    /// lost.
    pub(crate) fn flush(&mut self) -> Result<()> {
        let records = std::mem::take(&mut self.records);
        self.index.sort();
        apply(self.inner, &self.index, &records)?;
        self.index.clear();
        Ok(())
    }

    /// As [`Deferred::flush`], with `built` (sorted) holding index changes
    /// made before every change held here: the entries of new users, built
    /// on another thread while this transaction checked and wrote records.
    pub(crate) fn flush_with(&mut self, built: &SortedBuffer) -> Result<()> {
        if self.index.is_empty() {
            let records = std::mem::take(&mut self.records);
            return apply(self.inner, built, &records);
        }
        // Changes made here come after the built ones, so that the later
        // change of a key wins when both touch it.
        let mut merged = built.clone();
        merged.append(&self.index)?;
        self.index = merged;
        self.flush()
    }

    fn flush_index(&mut self, tree: Tree) -> Result<()> {
        if !index_tree(tree) {
            return Ok(());
        }
        if self.index_built_elsewhere {
            return Err(usergraph_core::Error::internal(
                "a search index was read during a bulk write",
            ));
        }
        if !self.index.is_empty() {
            self.index.sort();
            apply(self.inner, &self.index, &Pending::new())?;
            self.index.clear();
        }
        Ok(())
    }
}

/// Applies the changes `index` holds (sorted; the n-gram postings as
/// blocks) and `records`, tree by tree in key order.
fn apply(inner: &mut dyn WriteTxn, index: &SortedBuffer, records: &Pending) -> Result<()> {
    let is_postings = |(tree, _): &SortedRun<'_>| *tree == Tree::UserGrams;
    let blocks = match index.runs().into_iter().find(is_postings) {
        Some((_, run)) => postings::rewrite(inner, run)?,
        None => Vec::new(),
    };
    let mut runs = index.runs();
    runs.retain(|(tree, _)| *tree != Tree::UserGrams);
    if !blocks.is_empty() {
        let writes = blocks
            .iter()
            .map(|(key, value)| (key.as_slice(), value.as_deref()));
        runs.push((Tree::UserGrams, Box::new(writes)));
    }
    let mut rest = records.iter().peekable();
    while let Some(((tree, _), _)) = rest.peek() {
        let tree = *tree;
        let mut run = Vec::new();
        while let Some(((_, key), value)) = rest.next_if(|((t, _), _)| *t == tree) {
            run.push((key.as_slice(), value.as_deref()));
        }
        runs.push((tree, Box::new(run.into_iter())));
    }
    inner.apply_sorted_runs(runs)
}

impl WriteTxn for Deferred<'_> {
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.flush_index(tree)?;
        match self.records.get(&(tree, key.to_vec())) {
            Some(change) => Ok(change.clone()),
            None => self.inner.get(tree, key),
        }
    }

    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<()> {
        if index_tree(tree) {
            self.index.push(tree, key, Some(value))
        } else {
            self.records
                .insert((tree, key.to_vec()), Some(value.to_vec()));
            Ok(())
        }
    }

    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<()> {
        if index_tree(tree) {
            self.index.push(tree, key, None)
        } else {
            self.records.insert((tree, key.to_vec()), None);
            Ok(())
        }
    }

    fn scan_range(
        &mut self,
        tree: Tree,
        range: KeyRange,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<KvPair>> {
        self.flush_index(tree)?;
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let changes = overlay::pending_in(&self.records, tree, &range);
        let inner = &mut *self.inner;
        overlay::scan_with_changes(
            |wanted| inner.scan_range(tree, range.clone(), reverse, wanted),
            changes,
            reverse,
            limit,
        )
    }
}

/// Runs `apply` over a [`Deferred`] view of `txn` and then applies what it
/// deferred; on error nothing more is written (the engine aborts `txn`).
pub(crate) fn sorted(
    txn: &mut dyn WriteTxn,
    apply: impl FnOnce(&mut dyn WriteTxn) -> Result<()>,
) -> Result<()> {
    let mut deferred = Deferred::new(txn);
    apply(&mut deferred)?;
    deferred.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{KeyRange, KvEngine};
    use crate::memory::MemoryEngine;

    fn keys(engine: &MemoryEngine, tree: Tree) -> Vec<Vec<u8>> {
        let txn = engine.read().unwrap();
        txn.scan(tree, KeyRange::all(), false)
            .unwrap()
            .map(|entry| entry.unwrap().0)
            .collect()
    }

    #[test]
    fn deferred_writes_land_at_the_end_with_the_last_change_winning() {
        let engine = MemoryEngine::new();
        engine
            .write(&mut |txn| txn.insert(Tree::UsersByOrder, b"old", b""))
            .unwrap();
        engine
            .write(&mut |txn| {
                sorted(txn, |txn| {
                    txn.insert(Tree::UsersByOrder, b"b", b"")?;
                    txn.insert(Tree::UsersByOrder, b"a", b"")?;
                    txn.remove(Tree::UsersByOrder, b"a")?;
                    txn.remove(Tree::UsersByOrder, b"old")?;
                    txn.remove(Tree::UsersByOrder, b"c")?;
                    txn.insert(Tree::UsersByOrder, b"c", b"")?;
                    txn.insert(Tree::Users, b"u1", b"x")?;
                    // Reads see the pending writes of every tree.
                    assert_eq!(txn.get(Tree::Users, b"u1")?, Some(b"x".to_vec()));
                    txn.insert(Tree::UserRoles, b"u1\0r2", b"")?;
                    txn.insert(Tree::UserRoles, b"u2\0r1", b"")?;
                    txn.remove(Tree::UserRoles, b"u1\0r1")?;
                    let held = txn.scan_prefix(Tree::UserRoles, b"u1\0")?;
                    assert_eq!(held, [(b"u1\0r2".to_vec(), vec![])]);
                    // A read of a deferred tree sees the pending writes.
                    let seen = txn.scan_prefix(Tree::UsersByOrder, b"")?;
                    assert_eq!(seen, [(b"b".to_vec(), vec![]), (b"c".to_vec(), vec![])]);
                    txn.insert(Tree::UserText, b"t", b"")
                })
            })
            .unwrap();
        assert_eq!(
            keys(&engine, Tree::UsersByOrder),
            [b"b".to_vec(), b"c".to_vec()]
        );
        assert_eq!(keys(&engine, Tree::UserText), [b"t".to_vec()]);
    }
}
