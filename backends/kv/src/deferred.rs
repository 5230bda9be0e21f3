//! Deferring the search-index writes of one transaction and applying them
//! in key order at its end.
//!
//! A user owns dozens of index keys (mostly n-gram postings) scattered over
//! the index trees, and a batch of users scatters them over most pages of
//! those trees. Applied as they come, every insert descends to a different
//! page, which on a B-tree engine (redb) means a page read, a copy and a
//! descent per key. Applied in key order, consecutive inserts land on the
//! same few pages, which stay hot in the engine's cache. The write path
//! never reads these trees, so holding their writes back changes nothing it
//! sees; a read of one flushes first all the same, to stay exact.

use usergraph_core::Result;

use crate::engine::{KvPair, Tree, WriteTxn};

/// The trees whose writes are deferred: the search indexes.
fn deferred(tree: Tree) -> bool {
    matches!(tree, Tree::UserText | Tree::UserGrams | Tree::UsersByOrder)
}

/// One held-back change: a new value, or `None` for a removal.
type Pending = (Tree, Vec<u8>, Option<Vec<u8>>);

pub(crate) struct Deferred<'t> {
    inner: &'t mut dyn WriteTxn,
    /// In the order they were made; a key may appear more than once.
    pending: Vec<Pending>,
}

impl<'t> Deferred<'t> {
    pub(crate) fn new(inner: &'t mut dyn WriteTxn) -> Self {
        Deferred {
            inner,
            pending: Vec::new(),
        }
    }

    /// Applies every pending change, in tree and key order, the last change
    /// of a key winning. Must be called before the transaction commits, or
    /// the deferred writes are lost.
    pub(crate) fn flush(&mut self) -> Result<()> {
        let mut pending = std::mem::take(&mut self.pending);
        // Stable, so that the changes of one key stay in the order made.
        pending.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut changes: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::with_capacity(pending.len());
        let mut current: Option<Tree> = None;
        for (tree, key, change) in pending {
            if current != Some(tree) {
                if let Some(done) = current {
                    self.inner.apply_sorted(done, &changes)?;
                }
                changes.clear();
                current = Some(tree);
            }
            match changes.last_mut() {
                Some(last) if last.0 == key => last.1 = change,
                _ => changes.push((key, change)),
            }
        }
        if let Some(done) = current {
            self.inner.apply_sorted(done, &changes)?;
        }
        Ok(())
    }

    fn flush_for(&mut self, tree: Tree) -> Result<()> {
        if deferred(tree) && !self.pending.is_empty() {
            self.flush()?;
        }
        Ok(())
    }
}

impl WriteTxn for Deferred<'_> {
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.flush_for(tree)?;
        self.inner.get(tree, key)
    }

    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<()> {
        if deferred(tree) {
            self.pending
                .push((tree, key.to_vec(), Some(value.to_vec())));
            Ok(())
        } else {
            self.inner.insert(tree, key, value)
        }
    }

    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<()> {
        if deferred(tree) {
            self.pending.push((tree, key.to_vec(), None));
            Ok(())
        } else {
            self.inner.remove(tree, key)
        }
    }

    fn scan_prefix(&mut self, tree: Tree, prefix: &[u8]) -> Result<Vec<KvPair>> {
        self.flush_for(tree)?;
        self.inner.scan_prefix(tree, prefix)
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
            .write(&mut |txn| txn.insert(Tree::UserGrams, b"old", b""))
            .unwrap();
        engine
            .write(&mut |txn| {
                sorted(txn, |txn| {
                    txn.insert(Tree::UserGrams, b"b", b"")?;
                    txn.insert(Tree::UserGrams, b"a", b"")?;
                    txn.remove(Tree::UserGrams, b"a")?;
                    txn.remove(Tree::UserGrams, b"old")?;
                    txn.remove(Tree::UserGrams, b"c")?;
                    txn.insert(Tree::UserGrams, b"c", b"")?;
                    txn.insert(Tree::Users, b"u1", b"x")?;
                    // Trees the write path reads are never held back.
                    assert_eq!(txn.get(Tree::Users, b"u1")?, Some(b"x".to_vec()));
                    // A read of a deferred tree sees the pending writes.
                    let seen = txn.scan_prefix(Tree::UserGrams, b"")?;
                    assert_eq!(seen, [(b"b".to_vec(), vec![]), (b"c".to_vec(), vec![])]);
                    txn.insert(Tree::UserText, b"t", b"")
                })
            })
            .unwrap();
        assert_eq!(
            keys(&engine, Tree::UserGrams),
            [b"b".to_vec(), b"c".to_vec()]
        );
        assert_eq!(keys(&engine, Tree::UserText), [b"t".to_vec()]);
    }
}
