//! The kv engine contract over sled 0.34.
//!
//! Layout: every usergraph tree lives in ONE sled tree, each key prefixed by
//! its tree's tag byte ([`tag`]). A commit is then a single `sled::Batch`,
//! which sled applies atomically (a crash recovers all of it or none of it)
//! without the retrying closures of sled's multi-tree transactions.
//!
//! Writes: sled transactions cannot scan, so a write runs as an [`Overlay`]
//! over the committed state while `writer` keeps every other writer out (the
//! state it read cannot change under it). Its changes become one batch,
//! applied, flushed (sled otherwise writes on a timer) and synced
//! ([`DataFiles`]: sled's flush alone does not survive a power loss) before
//! `write` returns. Commits are serialized by `writer`, so no two are ever
//! waiting to share one sync: each pays its own.
//!
//! Reads: sled has no snapshots; an iterator sees whatever is committed when
//! it reaches a key, and a search reads an index and then the records it
//! points to. So readers share `visible` and a batch is applied and flushed
//! only while holding it exclusively: a read transaction sees no change at
//! all while it lives, and never a commit that is not yet on disk. The price
//! is that a long scan delays the next commit until it ends (and readers
//! wait out one apply + fsync), where redb's MVCC lets both run at once.

use std::fmt;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use usergraph_core::{Error, Result};
use usergraph_kv::{
    KeyRange, KvEngine, KvIter, KvPair, Overlay, PathEngine, ReadTxn, Tree, WriteTxn,
};

use crate::durable::{self, DataFiles};

/// The sled tree holding all of usergraph's trees.
const DATA_TREE: &str = "usergraph";

/// The stable on-disk tag of each tree: the first byte of its keys. Never
/// renumber; a new tree takes a new byte below `u8::MAX`.
fn tag(tree: Tree) -> u8 {
    match tree {
        Tree::Meta => 1,
        Tree::Users => 2,
        Tree::UserKeys => 3,
        Tree::UsersByCreated => 4,
        Tree::UserRoles => 5,
        Tree::RoleUsers => 6,
        Tree::Roles => 7,
        Tree::RoleNames => 8,
        Tree::Logs => 9,
        Tree::LogsByUser => 10,
        Tree::LogsByRole => 11,
        Tree::UserText => 12,
        Tree::UserGrams => 13,
        Tree::UsersByOrder => 14,
        Tree::Tokens => 15,
        Tree::TokenDigests => 16,
        Tree::TokenNames => 17,
        Tree::TokensByUser => 18,
    }
}

fn tagged(tree: Tree, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 1);
    out.push(tag(tree));
    out.extend_from_slice(key);
    out
}

/// `range` within `tree`, as a range of the data tree.
fn tagged_range(tree: Tree, range: &KeyRange) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let start = match &range.start {
        Bound::Included(key) => Bound::Included(tagged(tree, key)),
        Bound::Excluded(key) => Bound::Excluded(tagged(tree, key)),
        Bound::Unbounded => Bound::Included(vec![tag(tree)]),
    };
    let end = match &range.end {
        Bound::Included(key) => Bound::Included(tagged(tree, key)),
        Bound::Excluded(key) => Bound::Excluded(tagged(tree, key)),
        // Tags stay below u8::MAX, so this is the first key past the tree.
        Bound::Unbounded => Bound::Excluded(vec![tag(tree) + 1]),
    };
    (start, end)
}

fn internal(error: sled::Error) -> Error {
    Error::internal(error)
}

/// Neither lock guards data (sled holds it), only who may run: a panic while
/// holding one leaves nothing inconsistent, so poisoning is ignored rather
/// than failing every later request.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub struct SledEngine {
    db: sled::Db,
    data: sled::Tree,
    /// One writer at a time, so that an overlay's base stays current.
    writer: Mutex<()>,
    /// Shared by read transactions, taken exclusively to apply a commit.
    visible: RwLock<()>,
    /// Where the store is, for diagnostics; `None` when temporary.
    path: Option<PathBuf>,
    /// What to sync after each flush; `None` when temporary (sled does not
    /// write a temporary store to disk either).
    files: Option<DataFiles>,
    /// Set when a flush or sync failed. The kernel may then have dropped
    /// the pages it could not write, and a later sync succeeds without
    /// them: acknowledging a later commit would claim a log with a hole is
    /// durable. So every later write fails until the store is reopened
    /// (sled then recovers what is really on disk).
    failed: AtomicBool,
}

impl fmt::Debug for SledEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SledEngine")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// How to run sled.
///
/// sled counts its cache in serialized page bytes, but keeps the pages
/// decoded, so its resident memory is a multiple of the setting. While
/// seeding usergraph stores, sled's own default of 1 GiB kept growing past
/// 6 GB at 250,000 users, where 256 MiB levelled off near 1.5 GB
/// (BENCHMARKS.md); hence the smaller default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SledOptions {
    /// The most bytes of pages sled keeps in memory.
    pub cache_capacity: u64,
}

impl SledOptions {
    /// The smallest cache sled accepts.
    pub const MIN_CACHE_CAPACITY: u64 = 1024 * 1024;

    /// A cache of `megabytes` MiB, as the server's `sled_cache_mb` sets it.
    pub fn with_cache_mb(megabytes: u64) -> Self {
        SledOptions {
            cache_capacity: megabytes.saturating_mul(1024 * 1024),
        }
    }
}

impl Default for SledOptions {
    fn default() -> Self {
        SledOptions {
            cache_capacity: 256 * 1024 * 1024,
        }
    }
}

impl SledEngine {
    /// Opens the sled store in the directory `path`, creating it (and its
    /// parents) if missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SledOptions::default())
    }

    /// [`SledEngine::open`] with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: SledOptions) -> Result<Self> {
        let path = path.as_ref();
        durable::create_dirs(path).map_err(Error::internal)?;
        let config = configured(sled::Config::new().path(path), options)?;
        Self::from_config(&config, Some(path.to_path_buf()))
    }

    /// A store in a temporary directory that sled removes when it is dropped.
    pub fn temporary() -> Result<Self> {
        let config = configured(sled::Config::new().temporary(true), SledOptions::default())?;
        Self::from_config(&config, None)
    }

    /// `path` is where `config` puts a store on disk, `None` when it is
    /// temporary.
    pub(crate) fn from_config(config: &sled::Config, path: Option<PathBuf>) -> Result<Self> {
        let db = config.open().map_err(internal)?;
        let data = db.open_tree(DATA_TREE).map_err(internal)?;
        let files = match &path {
            Some(path) => Some(DataFiles::open(path).map_err(Error::internal)?),
            None => None,
        };
        Ok(SledEngine {
            db,
            data,
            writer: Mutex::new(()),
            visible: RwLock::new(()),
            path,
            files,
            failed: AtomicBool::new(false),
        })
    }

    /// What this store has synced, for tests.
    #[cfg(test)]
    pub(crate) fn files(&self) -> Option<&DataFiles> {
        self.files.as_ref()
    }

    /// Flushes sled's log and syncs its files. After a failure, nothing
    /// later is acknowledged (see `failed`).
    fn make_durable(&self) -> Result<()> {
        let result = self
            .db
            .flush()
            .map_err(internal)
            .and_then(|_| match &self.files {
                Some(files) => files.sync().map_err(Error::internal),
                None => Ok(()),
            });
        if result.is_err() {
            self.failed.store(true, Ordering::SeqCst);
        }
        result
    }

    /// Applies one commit's changes atomically and makes them durable.
    fn apply(&self, changes: Vec<usergraph_kv::Change>) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let changes_len = changes.len();
        let mut batch = sled::Batch::default();
        for (tree, key, change) in changes {
            let key = tagged(tree, &key);
            match change {
                Some(value) => batch.insert(key, value),
                None => batch.remove(key),
            }
        }
        let exclusive = self.visible.write().unwrap_or_else(PoisonError::into_inner);
        self.data.apply_batch(batch).map_err(internal)?;
        // If this fails the batch is applied in memory but perhaps not on
        // disk: the caller gets an error, as for any commit of unknown outcome.
        self.make_durable()?;
        drop(exclusive);
        reclaim(changes_len);
        Ok(())
    }
}

fn configured(config: sled::Config, options: SledOptions) -> Result<sled::Config> {
    if options.cache_capacity < SledOptions::MIN_CACHE_CAPACITY {
        return Err(Error::validation(
            "cacheCapacity",
            format!(
                "sled's cache must be at least {} bytes",
                SledOptions::MIN_CACHE_CAPACITY
            ),
        ));
    }
    Ok(config.cache_capacity(options.cache_capacity))
}

/// sled 0.34 frees the pages a write replaces (or evicts) through
/// crossbeam-epoch's global collector, which frees at most 8 bags of 64 per
/// collection and collects once every 128 pins. A batch runs under one pin,
/// so a large commit retires far more than later pins ever collect and the
/// backlog grew with every commit (16 GB at 200k seeded users). Collecting
/// in proportion to the commit's size keeps pace with what it retired.
fn reclaim(changes: usize) {
    const OBJECTS_PER_COLLECT: usize = 8 * 64;
    // A change retires a few objects (node versions, evicted pages); eight
    // times as many rounds measured no lower memory when seeding 100k users.
    let rounds = changes.saturating_mul(8) / OBJECTS_PER_COLLECT + 1;
    for _ in 0..rounds {
        crossbeam_epoch::pin().flush();
    }
}

impl PathEngine for SledEngine {
    fn open_path(path: &Path) -> Result<Self> {
        SledEngine::open(path)
    }

    fn temporary() -> Result<Self> {
        SledEngine::temporary()
    }
}

impl KvEngine for SledEngine {
    fn read(&self) -> Result<Box<dyn ReadTxn + '_>> {
        let guard = self.visible.read().unwrap_or_else(PoisonError::into_inner);
        Ok(Box::new(SledRead {
            committed: Committed(&self.data),
            _visible: guard,
        }))
    }

    /// A commit is built in memory (an overlay, then a `sled::Batch`) and
    /// sled keeps a batch's pages decoded: 10,000 users in one commit took
    /// 7 GB at 100,000 users, 500 keep it as it was before bulk writes.
    fn bulk_groups_per_write(&self) -> usize {
        500
    }

    fn write(&self, apply: &mut dyn FnMut(&mut dyn WriteTxn) -> Result<()>) -> Result<()> {
        let _writer = lock(&self.writer);
        if self.failed.load(Ordering::SeqCst) {
            return Err(Error::internal(
                "an earlier write to the sled store failed to reach the disk; restart to recover",
            ));
        }
        // Only writers change the data, and this is the only one, so reading
        // the committed state without `visible` is reading a stable snapshot.
        let base = Committed(&self.data);
        let mut overlay = Overlay::new(&base);
        apply(&mut overlay)?;
        self.apply(overlay.into_changes())
    }
}

/// Reads of the committed data, without any isolation of their own.
struct Committed<'a>(&'a sled::Tree);

fn owned(entry: sled::Result<(sled::IVec, sled::IVec)>) -> Result<KvPair> {
    let (key, value) = entry.map_err(internal)?;
    // Every key in the range starts with the tree's tag byte.
    let key = key.get(1..).unwrap_or_default().to_vec();
    Ok((key, value.to_vec()))
}

impl ReadTxn for Committed<'_> {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let value = self.0.get(tagged(tree, key)).map_err(internal)?;
        Ok(value.map(|v| v.to_vec()))
    }

    fn scan(&self, tree: Tree, range: KeyRange, reverse: bool) -> Result<KvIter<'_>> {
        if range.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        let entries = self.0.range(tagged_range(tree, &range));
        Ok(if reverse {
            Box::new(entries.rev().map(owned))
        } else {
            Box::new(entries.map(owned))
        })
    }
}

/// A read transaction: the committed data, frozen while the guard lives.
struct SledRead<'a> {
    committed: Committed<'a>,
    _visible: RwLockReadGuard<'a, ()>,
}

impl ReadTxn for SledRead<'_> {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.committed.get(tree, key)
    }

    fn scan(&self, tree: Tree, range: KeyRange, reverse: bool) -> Result<KvIter<'_>> {
        self.committed.scan(tree, range, reverse)
    }
}
