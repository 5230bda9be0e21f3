//! Changes held back to be applied in key order: a compact buffer of many
//! keys (one byte arena and a small fixed-size entry per change, not one
//! allocation per key), sorted once and handed to the engine a tree at a
//! time through [`WriteTxn::apply_sorted`].
//!
//! A bulk write of ten thousand users holds close to a million index keys
//! here; at about 60 bytes each instead of about 110 as owned vectors in a
//! map, a chunk stays a few tens of megabytes.

use usergraph_core::Result;

use crate::engine::{SortedRun, Tree};

/// Marks a removal in [`Entry::value_len`].
const REMOVED: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Entry {
    tree: Tree,
    /// The key's first 16 bytes, big-endian and zero-padded: most
    /// comparisons of a sort end here, without reaching the arena (an
    /// n-gram posting's gram and time take 14). Two `u64`s rather than a
    /// `u128`, whose 16-byte alignment would pad every entry.
    prefix: [u64; 2],
    /// Where the key starts in the arena; its value follows it. Grows with
    /// each change, so it also orders the changes of one key.
    start: usize,
    key_len: u32,
    value_len: u32,
}

const PREFIX_LEN: usize = 16;

/// The first 16 bytes of `key`, zero-padded, as numbers in byte order.
fn prefix_of(key: &[u8]) -> [u64; 2] {
    let mut bytes = [0u8; PREFIX_LEN];
    let len = key.len().min(PREFIX_LEN);
    bytes[..len].copy_from_slice(&key[..len]);
    let (high, low) = bytes.split_at(PREFIX_LEN / 2);
    let number = |half: &[u8]| {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(half);
        u64::from_be_bytes(eight)
    };
    [number(high), number(low)]
}

#[derive(Clone, Debug, Default)]
pub(crate) struct SortedBuffer {
    bytes: Vec<u8>,
    /// In the order made; a key may appear more than once.
    entries: Vec<Entry>,
}

fn len32(len: usize) -> Result<u32> {
    u32::try_from(len)
        .ok()
        .filter(|&len| len != REMOVED)
        .ok_or_else(|| usergraph_core::Error::internal("a key or value too large to buffer"))
}

impl SortedBuffer {
    /// A buffer with room for `entries` changes of `bytes` bytes of keys
    /// and values: a bulk write knows about how many it will hold, and
    /// growing a buffer of tens of megabytes by doubling copies it each time.
    pub(crate) fn with_capacity(entries: usize, bytes: usize) -> Self {
        SortedBuffer {
            bytes: Vec::with_capacity(bytes),
            entries: Vec::with_capacity(entries),
        }
    }

    /// A buffer sized for the index keys of `users` users (about a hundred
    /// keys of some thirty bytes a user; a rough guess costs nothing, as
    /// memory never touched is never mapped).
    pub(crate) fn for_users(users: usize) -> Self {
        const KEYS_PER_USER: usize = 100;
        const KEY_BYTES: usize = 32;
        let keys = users.saturating_mul(KEYS_PER_USER);
        Self::with_capacity(keys, keys.saturating_mul(KEY_BYTES))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where the next change will start in the arena: the changes pushed
    /// between two such marks are the ones [`SortedBuffer::retain_made`]
    /// names by their range.
    pub(crate) fn mark(&self) -> usize {
        self.bytes.len()
    }

    /// Keeps only the changes whose mark satisfies `keep` (each change's
    /// mark being [`SortedBuffer::mark`] just before it was pushed).
    pub(crate) fn retain_made(&mut self, keep: impl Fn(usize) -> bool) {
        self.entries.retain(|entry| keep(entry.start));
    }

    /// Pushes the changes `other` holds, in its order (the order made
    /// until it is sorted), after those of this buffer.
    pub(crate) fn append(&mut self, other: &SortedBuffer) -> Result<()> {
        for entry in &other.entries {
            self.push(entry.tree, other.key(entry), other.value(entry))?;
        }
        Ok(())
    }

    /// Holds back a change: a new value, or `None` for a removal.
    pub(crate) fn push(&mut self, tree: Tree, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(key);
        let value_len = match value {
            Some(value) => {
                self.bytes.extend_from_slice(value);
                len32(value.len())?
            }
            None => REMOVED,
        };
        self.entries.push(Entry {
            tree,
            prefix: prefix_of(key),
            start,
            key_len: len32(key.len())?,
            value_len,
        });
        Ok(())
    }

    fn key(&self, entry: &Entry) -> &[u8] {
        &self.bytes[entry.start..entry.start + entry.key_len as usize]
    }

    fn value(&self, entry: &Entry) -> Option<&[u8]> {
        if entry.value_len == REMOVED {
            return None;
        }
        let start = entry.start + entry.key_len as usize;
        Some(&self.bytes[start..start + entry.value_len as usize])
    }

    /// Sorts the held changes by tree and key, the last change of a key
    /// winning; [`SortedBuffer::runs`] then reads them.
    pub(crate) fn sort(&mut self) {
        let mut entries = std::mem::take(&mut self.entries);
        // Equal keys with the latest change first, so that it is the one
        // `dedup_by` keeps. Equal prefixes may still differ past them (or
        // in a padding zero), so the whole keys decide then.
        entries.sort_unstable_by(|a, b| {
            a.tree
                .cmp(&b.tree)
                .then(a.prefix.cmp(&b.prefix))
                .then_with(|| self.key(a).cmp(self.key(b)))
                .then(b.start.cmp(&a.start))
        });
        entries.dedup_by(|later, earlier| {
            later.tree == earlier.tree
                && later.prefix == earlier.prefix
                && self.key(later) == self.key(earlier)
        });
        self.entries = entries;
    }

    /// One run per tree, for [`WriteTxn::apply_sorted_runs`]; sorted only
    /// after [`SortedBuffer::sort`].
    pub(crate) fn runs(&self) -> Vec<SortedRun<'_>> {
        let mut runs: Vec<SortedRun<'_>> = Vec::new();
        let mut rest = self.entries.as_slice();
        while let Some(first) = rest.first() {
            let tree = first.tree;
            let end = rest
                .iter()
                .position(|e| e.tree != tree)
                .unwrap_or(rest.len());
            let (run, after) = rest.split_at(end);
            runs.push((
                tree,
                Box::new(run.iter().map(|e| (self.key(e), self.value(e)))),
            ));
            rest = after;
        }
        runs
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.bytes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{KeyRange, KvEngine};
    use crate::memory::MemoryEngine;

    #[test]
    fn keys_that_share_their_first_sixteen_bytes_or_a_padded_prefix_sort_by_their_bytes()
    -> Result<()> {
        let mut buffer = SortedBuffer::default();
        let keys: [&[u8]; 6] = [
            b"abcdefghijklmnop\x02",
            b"ab\0",
            b"abcdefghijklmnop",
            b"ab",
            b"abcdefghijklmnop\x01\xff",
            b"abcdefghijklmnop\x01",
        ];
        for key in keys {
            buffer.push(Tree::UserText, key, Some(b""))?;
        }
        buffer.push(Tree::UserText, b"ab", Some(b"later"))?;
        buffer.sort();
        let runs = buffer.runs();
        let sorted: Vec<(Vec<u8>, Option<Vec<u8>>)> = runs
            .into_iter()
            .flat_map(|(_, run)| run)
            .map(|(key, value)| (key.to_vec(), value.map(<[u8]>::to_vec)))
            .collect();
        let mut expected: Vec<&[u8]> = keys.to_vec();
        expected.sort();
        let found: Vec<&[u8]> = sorted.iter().map(|(key, _)| key.as_slice()).collect();
        assert_eq!(found, expected);
        assert_eq!(sorted[0], (b"ab".to_vec(), Some(b"later".to_vec())));
        Ok(())
    }

    fn entries(engine: &MemoryEngine, tree: Tree) -> Vec<(Vec<u8>, Vec<u8>)> {
        let txn = engine.read().unwrap();
        txn.scan(tree, KeyRange::all(), false)
            .unwrap()
            .map(|entry| entry.unwrap())
            .collect()
    }

    #[test]
    fn flushes_per_tree_in_key_order_with_the_last_change_winning() {
        let engine = MemoryEngine::new();
        engine
            .write(&mut |txn| txn.insert(Tree::UsersByOrder, b"old", b""))
            .unwrap();
        engine
            .write(&mut |txn| {
                let mut buffer = SortedBuffer::default();
                buffer.push(Tree::UsersByOrder, b"b", Some(b""))?;
                buffer.push(Tree::UserText, b"t", Some(b"v1"))?;
                buffer.push(Tree::UsersByOrder, b"a", Some(b""))?;
                buffer.push(Tree::UsersByOrder, b"a", None)?;
                buffer.push(Tree::UsersByOrder, b"old", None)?;
                buffer.push(Tree::UsersByOrder, b"c", None)?;
                buffer.push(Tree::UsersByOrder, b"c", Some(b"x"))?;
                buffer.push(Tree::UserText, b"t", Some(b"v2"))?;
                assert!(!buffer.is_empty());
                buffer.sort();
                txn.apply_sorted_runs(buffer.runs())?;
                buffer.clear();
                assert!(buffer.is_empty());
                Ok(())
            })
            .unwrap();
        assert_eq!(
            entries(&engine, Tree::UsersByOrder),
            [(b"b".to_vec(), vec![]), (b"c".to_vec(), b"x".to_vec())]
        );
        assert_eq!(
            entries(&engine, Tree::UserText),
            [(b"t".to_vec(), b"v2".to_vec())]
        );
    }
}
