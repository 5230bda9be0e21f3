//! An engine in process memory: the kv layer's own test engine, and a
//! worked example of [`Overlay`] for engines without scanning transactions.
//! Every write copies the whole store, so it suits tests, not production.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use usergraph_core::{Error, Result};

use crate::engine::{KeyRange, KvEngine, KvIter, PathEngine, ReadTxn, Tree, WriteTxn};
use crate::overlay::Overlay;

type Trees = BTreeMap<Tree, BTreeMap<Vec<u8>, Vec<u8>>>;

#[derive(Debug, Default)]
pub struct MemoryEngine {
    /// The committed state; readers take a snapshot by cloning the `Arc`.
    state: RwLock<Arc<Trees>>,
    /// One writer at a time, so that an overlay's snapshot stays current.
    writer: Mutex<()>,
}

impl MemoryEngine {
    pub fn new() -> Self {
        Self::default()
    }

    fn snapshot(&self) -> Result<Arc<Trees>> {
        let state = self
            .state
            .read()
            .map_err(|_| Error::internal("memory engine lock poisoned"))?;
        Ok(Arc::clone(&state))
    }
}

impl PathEngine for MemoryEngine {
    /// Memory has no path: every store starts empty.
    fn open_path(_path: &Path) -> Result<Self> {
        Ok(Self::new())
    }

    fn temporary() -> Result<Self> {
        Ok(Self::new())
    }
}

struct Snapshot(Arc<Trees>);

impl ReadTxn for Snapshot {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.0.get(&tree).and_then(|t| t.get(key)).cloned())
    }

    fn scan(&self, tree: Tree, range: KeyRange, reverse: bool) -> Result<KvIter<'_>> {
        let Some(entries) = self.0.get(&tree).filter(|_| !range.is_empty()) else {
            return Ok(Box::new(std::iter::empty()));
        };
        let found = entries
            .range((range.start, range.end))
            .map(|(k, v)| Ok((k.clone(), v.clone())));
        Ok(if reverse {
            Box::new(found.rev())
        } else {
            Box::new(found)
        })
    }
}

impl KvEngine for MemoryEngine {
    fn read(&self) -> Result<Box<dyn ReadTxn + '_>> {
        Ok(Box::new(Snapshot(self.snapshot()?)))
    }

    fn write(&self, apply: &mut dyn FnMut(&mut dyn WriteTxn) -> Result<()>) -> Result<()> {
        let _writer = self
            .writer
            .lock()
            .map_err(|_| Error::internal("memory engine lock poisoned"))?;
        let base = Snapshot(self.snapshot()?);
        let mut overlay = Overlay::new(&base);
        apply(&mut overlay)?;
        let mut next: Trees = (*base.0).clone();
        for (tree, key, change) in overlay.into_changes() {
            let entries = next.entry(tree).or_default();
            match change {
                Some(value) => entries.insert(key, value),
                None => entries.remove(&key),
            };
        }
        let mut state = self
            .state
            .write()
            .map_err(|_| Error::internal("memory engine lock poisoned"))?;
        *state = Arc::new(next);
        Ok(())
    }
}
