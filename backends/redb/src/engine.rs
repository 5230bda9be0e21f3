//! The kv engine contract over redb: one redb table per tree, redb's MVCC
//! read transactions as snapshots, and its single serialized writer for
//! write transactions (committed with redb's default, immediate durability:
//! a write is on disk when `commit` returns).

use std::cmp::Ordering;
use std::fmt;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use redb::{
    AccessGuard, Database, ReadOnlyTable, ReadTransaction, ReadableDatabase, ReadableTable,
    StorageError, TableDefinition, WriteTransaction,
};
use usergraph_core::{Error, Result};
use usergraph_kv::{
    KeyRange, KvEngine, KvIter, KvPair, PathEngine, ReadTxn, SortedChanges, SortedRun, Tree,
    WriteTxn,
};

type Bytes = &'static [u8];

fn table(tree: Tree) -> TableDefinition<'static, Bytes, Bytes> {
    TableDefinition::new(tree.name())
}

fn internal(error: impl Into<redb::Error>) -> Error {
    Error::internal(error.into())
}

pub struct RedbEngine {
    db: Database,
    /// Where the file is, for diagnostics; `None` in memory.
    path: Option<PathBuf>,
}

impl fmt::Debug for RedbEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedbEngine")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// How a redb file is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedbOptions {
    /// The most bytes redb keeps in memory: its read cache and the dirty
    /// pages of the open write transaction together. redb's own default is
    /// 1 GiB, which a bulk import fills; the operating system's page cache
    /// still holds the file, so a smaller cache costs a copy, not a disk read.
    pub cache_bytes: usize,
}

impl RedbOptions {
    /// The default cache, in MiB (the server's `redb_cache_mb`).
    pub const DEFAULT_CACHE_MB: u64 = 128;

    /// A cache of `megabytes` MiB, as the server's `redb_cache_mb` sets it.
    pub fn with_cache_mb(megabytes: u64) -> Self {
        let bytes = megabytes.saturating_mul(1024 * 1024);
        RedbOptions {
            cache_bytes: usize::try_from(bytes).unwrap_or(usize::MAX),
        }
    }
}

impl Default for RedbOptions {
    fn default() -> Self {
        Self::with_cache_mb(Self::DEFAULT_CACHE_MB)
    }
}

impl RedbEngine {
    /// Opens the database file at `path`, creating it (and its parent
    /// directories) if missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, RedbOptions::default())
    }

    /// [`RedbEngine::open`] with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: RedbOptions) -> Result<Self> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(Error::internal)?;
        }
        let db = Database::builder()
            .set_cache_size(options.cache_bytes)
            .create(path)
            .map_err(internal)?;
        Self::with_tables(db, Some(path.to_path_buf()))
    }

    /// A database held in memory only.
    pub fn in_memory() -> Result<Self> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(internal)?;
        Self::with_tables(db, None)
    }

    /// Creates every tree up front, so that read transactions never meet a
    /// missing table.
    fn with_tables(db: Database, path: Option<PathBuf>) -> Result<Self> {
        let txn = db.begin_write().map_err(internal)?;
        for tree in Tree::ALL {
            txn.open_table(table(tree)).map_err(internal)?;
        }
        txn.commit().map_err(internal)?;
        Ok(RedbEngine { db, path })
    }
}

impl PathEngine for RedbEngine {
    fn open_path(path: &Path) -> Result<Self> {
        RedbEngine::open(path)
    }

    fn temporary() -> Result<Self> {
        RedbEngine::in_memory()
    }
}

impl KvEngine for RedbEngine {
    fn read(&self) -> Result<Box<dyn ReadTxn + '_>> {
        let txn = self.db.begin_read().map_err(internal)?;
        Ok(Box::new(RedbRead { txn }))
    }

    fn write(&self, apply: &mut dyn FnMut(&mut dyn WriteTxn) -> Result<()>) -> Result<()> {
        let txn = self.db.begin_write().map_err(internal)?;
        let outcome = apply(&mut RedbWrite { txn: &txn });
        match outcome {
            Ok(()) => txn.commit().map_err(internal),
            Err(error) => {
                // The caller's error is what matters; a failed abort changes
                // nothing on disk either way.
                if let Err(abort) = txn.abort() {
                    tracing::warn!(error = %abort, "aborting a redb write failed");
                }
                Err(error)
            }
        }
    }
}

type Entry<'a> = (AccessGuard<'a, Bytes>, AccessGuard<'a, Bytes>);

fn owned(entry: std::result::Result<Entry<'_>, StorageError>) -> Result<KvPair> {
    let (key, value) = entry.map_err(internal)?;
    Ok((key.value().to_vec(), value.value().to_vec()))
}

struct RedbRead {
    txn: ReadTransaction,
}

impl RedbRead {
    fn table(&self, tree: Tree) -> Result<ReadOnlyTable<Bytes, Bytes>> {
        self.txn.open_table(table(tree)).map_err(internal)
    }
}

impl ReadTxn for RedbRead {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let value = self.table(tree)?.get(key).map_err(internal)?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    fn scan(&self, tree: Tree, range: KeyRange, reverse: bool) -> Result<KvIter<'_>> {
        let start = range.start.as_ref().map(Vec::as_slice);
        let end = range.end.as_ref().map(Vec::as_slice);
        let entries = self
            .table(tree)?
            .range::<&[u8]>((start, end))
            .map_err(internal)?;
        Ok(if reverse {
            Box::new(entries.rev().map(owned))
        } else {
            Box::new(entries.map(owned))
        })
    }
}

/// Writes one sorted run to its table, opened once for the whole run
/// (opening a table per key costs a lookup in redb's table tree each time),
/// through one cursor for as long as the run's keys fall into the cursor's
/// gap, seeking again past an existing key. redb buffers the inserts
/// made in one gap and packs them into full leaves, where inserting them one
/// by one would split each leaf in half as it filled: a bulk load's appends
/// (the created-at and log indexes, a trigram's new posting blocks) then
/// take half the pages, and each insert does not descend the tree again.
fn apply_run(txn: &WriteTransaction, tree: Tree, changes: &mut SortedChanges<'_>) -> Result<()> {
    let mut table = txn.open_table(table(tree)).map_err(internal)?;
    let mut changes = changes.peekable();
    while let Some(&(first, _)) = changes.peek() {
        let mut cursor = table
            .lower_bound_mut(Bound::Included(first))
            .map_err(internal)?;
        while let Some(&(key, change)) = changes.peek() {
            let next = cursor
                .peek_next()
                .map_err(internal)?
                .map(|(existing, _)| existing.value().cmp(key));
            match next {
                // The key lies beyond the gap.
                Some(Ordering::Less) => break,
                Some(Ordering::Equal) => {
                    cursor.remove_next().map_err(internal)?;
                }
                Some(Ordering::Greater) | None => {}
            }
            if let Some(value) = change {
                // A run is strictly ascending, so the key fits the gap.
                cursor.insert_before(key, value).map_err(internal)?;
            }
            changes.next();
        }
        cursor.close().map_err(internal)?;
    }
    Ok(())
}

/// redb lets a write transaction hold each table open once at a time, so
/// every operation opens its table and closes it again.
struct RedbWrite<'t> {
    txn: &'t WriteTransaction,
}

impl WriteTxn for RedbWrite<'_> {
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let table = self.txn.open_table(table(tree)).map_err(internal)?;
        let value = table.get(key).map_err(internal)?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<()> {
        let mut table = self.txn.open_table(table(tree)).map_err(internal)?;
        table.insert(key, value).map_err(internal)?;
        Ok(())
    }

    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<()> {
        let mut table = self.txn.open_table(table(tree)).map_err(internal)?;
        table.remove(key).map_err(internal)?;
        Ok(())
    }

    fn apply_sorted(&mut self, tree: Tree, changes: &mut SortedChanges<'_>) -> Result<()> {
        apply_run(self.txn, tree, changes)
    }

    fn apply_sorted_runs(&mut self, mut runs: Vec<SortedRun<'_>>) -> Result<()> {
        // A write transaction may write several tables at once from
        // different threads (`WriteTransaction: Sync`): the largest run (the
        // n-gram postings of a bulk load) gets a thread of its own while
        // this one writes the others.
        let largest = runs
            .iter()
            .enumerate()
            .max_by_key(|(_, (_, changes))| changes.size_hint().0)
            .map(|(index, _)| index);
        let Some(largest) = largest.filter(|_| runs.len() > 1) else {
            return runs
                .into_iter()
                .try_for_each(|(tree, mut changes)| apply_run(self.txn, tree, &mut changes));
        };
        let (big_tree, mut big) = runs.swap_remove(largest);
        let txn = self.txn;
        std::thread::scope(|scope| {
            let apart = scope.spawn(move || apply_run(txn, big_tree, &mut big));
            let here = runs
                .into_iter()
                .try_for_each(|(tree, mut changes)| apply_run(txn, tree, &mut changes));
            let apart = apart
                .join()
                .unwrap_or_else(|_| Err(Error::internal("a redb writer thread panicked")));
            here.and(apart)
        })
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
        let table = self.txn.open_table(table(tree)).map_err(internal)?;
        let start = range.start.as_ref().map(Vec::as_slice);
        let end = range.end.as_ref().map(Vec::as_slice);
        let entries = table.range::<&[u8]>((start, end)).map_err(internal)?;
        if reverse {
            entries.rev().take(limit).map(owned).collect()
        } else {
            entries.take(limit).map(owned).collect()
        }
    }
}
