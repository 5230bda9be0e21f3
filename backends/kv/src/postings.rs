//! The n-gram postings of [`Tree::UserGrams`], stored as blocks: each
//! gram's postings (`created-at + id` of its users, ascending) cut into runs
//! of at most [`MOST_POSTINGS`], each run one entry keyed by the gram
//! prefix and its first posting, its value the rest delta-encoded
//! ([`crate::block`]). One 26-byte key per posting was most of a store's
//! bytes; at 100,000 users a posting now takes about 10, in 68 times fewer
//! entries (BENCHMARKS.md, "Postings in blocks").
//!
//! Blocks sort in posting order, so the block holding a posting is the last
//! one keyed at or before it: one bounded scan finds it. Writes arrive as
//! single postings (see [`crate::index`]) and [`rewrite`] turns a sorted
//! batch of them into block writes, reading and writing each affected block
//! once however many of the batch's postings fall in it: a bulk load of new
//! users appends to the last block of each gram and then writes full ones.

use std::collections::BTreeMap;
use std::ops::Bound;

use usergraph_core::{Error, Result};

use crate::block;
use crate::engine::{KeyRange, ReadTxn, Tree, WriteTxn};
use crate::index;
use crate::keys::{self, TIME_LEN};

/// The most postings of a block. Bigger blocks cost a bigger rewrite per
/// changed posting (and sled rewrites a gram's last block on every commit
/// that adds to it); smaller ones more entries and key bytes (BENCHMARKS.md,
/// "Where the bytes of a redb store go").
const MOST_POSTINGS: usize = 128;

/// The most bytes of a block's value: a block of long imported ids is split
/// further, so that an engine page holds a few blocks.
const MOST_BYTES: usize = 4096;

/// A write of one block: its key and value, or `None` for a removal.
pub(crate) type BlockChange = (Vec<u8>, Option<Vec<u8>>);

fn malformed() -> Error {
    Error::internal("malformed n-gram posting")
}

/// The block writes that apply `changes` to the blocks `txn` holds:
/// `changes` are posting keys of [`Tree::UserGrams`] (gram prefix +
/// `created-at + id`), ascending and each once, with `Some` to hold the
/// posting (its value is ignored) or `None` to drop it. The writes come out
/// ascending by key, each key once, for [`WriteTxn::apply_sorted`].
pub(crate) fn rewrite<'a>(
    txn: &mut dyn WriteTxn,
    changes: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
) -> Result<Vec<BlockChange>> {
    let mut out = Vec::new();
    let mut changes = changes.peekable();
    while let Some((key, _)) = changes.peek() {
        let len = index::gram_prefix_len(key).ok_or_else(malformed)?;
        let prefix = key[..len].to_vec();
        // Gram prefixes are prefix-free (they hold their length), so the
        // postings of one gram are exactly the keys starting with it.
        let mut gram = Vec::new();
        while let Some((key, change)) = changes.next_if(|(key, _)| key.starts_with(&prefix)) {
            let posting = &key[len..];
            if posting.len() <= TIME_LEN {
                return Err(malformed());
            }
            gram.push((posting, change.is_some()));
        }
        rewrite_gram(txn, &prefix, &gram, &mut out)?;
    }
    Ok(out)
}

/// A stored block: its key and postings, ascending.
struct Block {
    key: Option<Vec<u8>>,
    postings: Vec<Vec<u8>>,
}

/// Applies the changes of one gram (ascending, at least one).
fn rewrite_gram(
    txn: &mut dyn WriteTxn,
    prefix: &[u8],
    changes: &[(&[u8], bool)],
    out: &mut Vec<BlockChange>,
) -> Result<()> {
    let (Some((first, _)), Some((last, _))) = (changes.first(), changes.last()) else {
        return Ok(());
    };
    let mut blocks = affected(txn, prefix, first, last)?;
    if blocks.is_empty() {
        blocks.push(Block {
            key: None,
            postings: Vec::new(),
        });
    }
    let mut writes: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
    let mut rest = changes;
    for (i, block) in blocks.iter().enumerate() {
        // A block takes the changes before the next block's first posting;
        // the first also those before its own (there is no earlier block).
        let mine = match blocks.get(i + 1).and_then(|next| next.postings.first()) {
            Some(next) => rest.partition_point(|(posting, _)| *posting < next.as_slice()),
            None => rest.len(),
        };
        let (own, after) = rest.split_at(mine);
        rest = after;
        let Some((postings, appended)) = merge(&block.postings, own) else {
            continue;
        };
        if let Some(key) = &block.key {
            writes.insert(key.clone(), None);
        }
        for chunk in chunks(postings, appended)? {
            let key = [prefix, &chunk[0]].concat();
            writes.insert(key, Some(block::encode(&chunk)?));
        }
    }
    out.extend(writes);
    Ok(())
}

/// The blocks the postings from `first` to `last` fall in, ascending: from
/// the last block keyed at or before `first` (or the gram's first block)
/// to the last keyed at or before `last`.
fn affected(
    txn: &mut dyn WriteTxn,
    prefix: &[u8],
    first: &[u8],
    last: &[u8],
) -> Result<Vec<Block>> {
    let whole = KeyRange::prefix(prefix);
    let up_to = |posting: &[u8]| Bound::Included([prefix, posting].concat());
    let before_first = KeyRange {
        start: whole.start.clone(),
        end: up_to(first),
    };
    let floor = txn
        .scan_range(Tree::UserGrams, before_first, true, 1)?
        .pop();
    let range = KeyRange {
        start: floor.map_or(whole.start.clone(), |(key, _)| Bound::Included(key)),
        end: up_to(last),
    };
    let mut entries = txn.scan_range(Tree::UserGrams, range, false, usize::MAX)?;
    if entries.is_empty() {
        // Postings before the gram's first block join it, so that postings
        // added in descending order fill one block instead of making a
        // block each.
        entries = txn.scan_range(Tree::UserGrams, whole, false, 1)?;
    }
    entries
        .into_iter()
        .map(|(key, value)| {
            let postings = block::decode(&key[prefix.len()..], &value)?;
            Ok(Block {
                key: Some(key),
                postings,
            })
        })
        .collect()
}

/// `postings` with `changes` applied (both ascending), and whether every
/// added posting went after the old ones; `None` if nothing changed.
fn merge(postings: &[Vec<u8>], changes: &[(&[u8], bool)]) -> Option<(Vec<Vec<u8>>, bool)> {
    let mut merged = Vec::with_capacity(postings.len() + changes.len());
    let mut changed = false;
    let mut appended = true;
    let mut old = postings.iter().peekable();
    for &(posting, present) in changes {
        while let Some(kept) = old.next_if(|kept| kept.as_slice() < posting) {
            merged.push(kept.clone());
        }
        let held = old.next_if(|kept| kept.as_slice() == posting).is_some();
        if present {
            merged.push(posting.to_vec());
            appended &= old.peek().is_none();
        }
        changed |= held != present;
    }
    merged.extend(old.cloned());
    changed.then_some((merged, appended))
}

/// `postings` cut into blocks (none if there are none): filled in order
/// when they were appended, so that a growing gram leaves full blocks
/// behind; split evenly otherwise, leaving room for more in each. Every
/// block keeps to [`MOST_BYTES`] unless it holds a single posting.
fn chunks(postings: Vec<Vec<u8>>, appended: bool) -> Result<Vec<Vec<Vec<u8>>>> {
    let len = postings.len();
    let count = len.div_ceil(MOST_POSTINGS);
    if count == 0 {
        return Ok(Vec::new());
    }
    let mut sizes = vec![len / count; count];
    if appended {
        sizes.fill(MOST_POSTINGS);
        sizes[count - 1] = len - (count - 1) * MOST_POSTINGS;
    } else {
        for size in sizes.iter_mut().take(len % count) {
            *size += 1;
        }
    }
    let mut out = Vec::with_capacity(count);
    let mut rest = postings.into_iter();
    for size in sizes {
        let chunk: Vec<Vec<u8>> = rest.by_ref().take(size).collect();
        within_bytes(chunk, &mut out)?;
    }
    Ok(out)
}

/// Pushes `chunk` to `out`, halved until each part encodes within
/// [`MOST_BYTES`].
fn within_bytes(mut chunk: Vec<Vec<u8>>, out: &mut Vec<Vec<Vec<u8>>>) -> Result<()> {
    if chunk.len() > 1 && block::encode(&chunk)?.len() > MOST_BYTES {
        let second = chunk.split_off(chunk.len() / 2);
        within_bytes(chunk, out)?;
        within_bytes(second, out)
    } else {
        out.push(chunk);
        Ok(())
    }
}

/// How many postings the gram `prefix` holds, counted up to `limit` from
/// block headers alone.
pub(crate) fn count(txn: &dyn ReadTxn, prefix: &[u8], limit: u64) -> Result<u64> {
    let mut total = 0u64;
    for entry in txn.scan(Tree::UserGrams, KeyRange::prefix(prefix), false)? {
        if total >= limit {
            break;
        }
        let (_, value) = entry?;
        total = total.saturating_add(block::count(&value)?);
    }
    Ok(total.min(limit))
}

/// The ids of the users the gram `prefix` holds, or `None` if there are
/// more than `cap` (then only block headers past the cap are read).
pub(crate) fn ids(txn: &dyn ReadTxn, prefix: &[u8], cap: usize) -> Result<Option<Vec<String>>> {
    let mut ids = Vec::new();
    for entry in txn.scan(Tree::UserGrams, KeyRange::prefix(prefix), false)? {
        let (key, value) = entry?;
        let held = usize::try_from(block::count(&value)?).unwrap_or(usize::MAX);
        if ids.len().saturating_add(held) > cap {
            return Ok(None);
        }
        for posting in block::decode(&key[prefix.len()..], &value)? {
            let id = keys::timed_id(&posting).ok_or_else(malformed)?;
            ids.push(id.to_owned());
        }
    }
    Ok(Some(ids))
}
