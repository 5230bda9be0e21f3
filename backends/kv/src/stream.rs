//! Streams of users in the default order (created-at, then id), read from
//! postings that are kept in that order: the n-gram postings of
//! [`Tree::UserGrams`] (blocks of them, see [`crate::block_scan`]) and the
//! created-at index itself.
//!
//! A stream yields `created-at + id` keys (see [`keys::timed`]) in walking
//! order, a superset of the users a filter matches. Intersections leapfrog
//! (each part seeks to the key the others reached), so a rare combination of
//! common n-grams costs seeks, not whole postings lists; unions merge. A
//! search reads a stream only until its page is full: the cost follows the
//! page size, not the number of candidates.

use std::ops::Bound;

use usergraph_core::Result;
use usergraph_core::filter::{StringOp, TimeField, TimeOp, UserFilter};

use crate::block_scan::BlockScan;
use crate::engine::{KeyRange, KvIter, ReadTxn, Tree, prefix_end};
use crate::{index, keys, postings};

/// The most n-grams of one `contains` a stream intersects: more narrow
/// little more and each costs seeks.
const MOST_GRAMS: usize = 6;

/// A seek this close is cheaper as a few steps than as a new scan.
const STEPS_BEFORE_RESCAN: usize = 8;

/// How to stream the users a filter may match, as data (opened by
/// [`Source::open`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// The postings of one n-gram, whose [`index::gram_prefix`] is `prefix`.
    Postings {
        prefix: Vec<u8>,
    },
    /// The keys under `prefix` of `tree`, whose remainder is `created-at + id`,
    /// bounded (on that remainder) by `range`.
    Scan {
        tree: Tree,
        prefix: Vec<u8>,
        range: KeyRange,
    },
    And(Vec<Source>),
    Or(Vec<Source>),
}

/// A stream narrower than every user for `filter`, or `None` when no
/// ordered postings narrow it (then the order index is the stream).
pub(crate) fn source(filter: &UserFilter) -> Option<Source> {
    match filter {
        UserFilter::And(parts) => {
            let mut parts: Vec<Source> = parts.iter().filter_map(source).collect();
            match parts.len() {
                0 => None,
                1 => parts.pop(),
                _ => Some(Source::And(parts)),
            }
        }
        UserFilter::Or(parts) => {
            let parts: Option<Vec<Source>> = parts.iter().map(source).collect();
            parts.filter(|p| !p.is_empty()).map(Source::Or)
        }
        UserFilter::String {
            field,
            op: StringOp::Contains(part),
            ..
        } => {
            let tag = index::field_tag(*field)?;
            let grams = index::grams(&index::fold(part));
            let mut parts: Vec<Source> = spread(grams.into_iter().collect(), MOST_GRAMS)
                .into_iter()
                .map(|gram| Source::Postings {
                    prefix: index::gram_prefix(tag, &gram),
                })
                .collect();
            match parts.len() {
                0 => None,
                1 => parts.pop(),
                _ => Some(Source::And(parts)),
            }
        }
        UserFilter::Time {
            field: TimeField::CreatedAt,
            op,
        } => created(op),
        _ => None,
    }
}

/// A stream of exactly the users `filter` matches, or `None` unless the
/// postings decide the filter alone: then counting its keys counts the
/// matches without reading a user.
///
/// A case-insensitive `contains` of exactly one n-gram is decided by that
/// n-gram's postings: the index folds case as `eval` does, except that it
/// also folds the final sigma, so a needle with a sigma is left to `eval`.
/// Longer needles are not: holding every n-gram of a text does not make a
/// value contain it.
pub(crate) fn exact(filter: &UserFilter) -> Option<Source> {
    match filter {
        UserFilter::All => Some(Source::Scan {
            tree: Tree::UsersByCreated,
            prefix: Vec::new(),
            range: KeyRange::all(),
        }),
        UserFilter::And(parts) if !parts.is_empty() => {
            let parts: Option<Vec<Source>> = parts.iter().map(exact).collect();
            parts.map(Source::And)
        }
        UserFilter::Or(parts) if !parts.is_empty() => {
            let parts: Option<Vec<Source>> = parts.iter().map(exact).collect();
            parts.map(Source::Or)
        }
        UserFilter::String {
            field,
            op: StringOp::Contains(part),
            case_sensitive: false,
        } => {
            let tag = index::field_tag(*field)?;
            let lower = part.to_lowercase();
            if lower.contains(['σ', 'ς']) || lower.chars().count() != index::GRAM {
                return None;
            }
            Some(Source::Postings {
                prefix: index::gram_prefix(tag, &lower),
            })
        }
        _ => None,
    }
}

/// At most `most` of `items`, spread over the whole list (the n-grams of
/// the start, the middle and the end of a text narrow the most together).
fn spread(items: Vec<String>, most: usize) -> Vec<String> {
    if items.len() <= most {
        return items;
    }
    let last = items.len() - 1;
    (0..most)
        .map(|i| items[i * last / (most - 1)].clone())
        .collect()
}

/// A created-at comparison as a range of the created index, inclusive of
/// the compared microsecond whatever the operator: keys truncate times.
fn created(op: &TimeOp) -> Option<Source> {
    let range = match op {
        TimeOp::Gt(t) | TimeOp::Gte(t) => KeyRange {
            start: Bound::Included(keys::time(*t).to_vec()),
            end: Bound::Unbounded,
        },
        TimeOp::Lt(t) | TimeOp::Lte(t) => KeyRange {
            start: Bound::Unbounded,
            end: prefix_end(&keys::time(*t)),
        },
        TimeOp::IsNull(_) => return None,
    };
    Some(Source::Scan {
        tree: Tree::UsersByCreated,
        prefix: Vec::new(),
        range,
    })
}

impl Source {
    /// Opens the stream, walking backward (newest first) when `reverse`.
    pub(crate) fn open<'a>(&self, txn: &'a dyn ReadTxn, reverse: bool) -> Box<dyn Stream + 'a> {
        match self {
            Source::Postings { prefix } => Box::new(BlockScan::new(txn, prefix.clone(), reverse)),
            Source::Scan {
                tree,
                prefix,
                range,
            } => Box::new(Scan {
                txn,
                tree: *tree,
                prefix: prefix.clone(),
                range: range.clone(),
                reverse,
                entries: None,
                head: None,
                done: false,
            }),
            Source::And(parts) => Box::new(And {
                parts: parts.iter().map(|p| p.open(txn, reverse)).collect(),
                reverse,
                head: None,
            }),
            Source::Or(parts) => Box::new(Or {
                parts: parts.iter().map(|p| p.open(txn, reverse)).collect(),
                heads: Vec::new(),
                reverse,
                head: None,
            }),
        }
    }
}

/// `created-at + id` keys in walking order. A stream has a head, the key
/// it last returned; it never moves backward.
pub(crate) trait Stream {
    /// Moves past the head and returns the new head (`None` at the end).
    fn advance(&mut self) -> Result<Option<Vec<u8>>>;

    /// Moves to the first key at or after `target` in walking order, which
    /// is the head itself if that is not before `target`.
    fn seek(&mut self, target: &[u8]) -> Result<Option<Vec<u8>>>;
}

/// Whether `a` comes before `b` when walking in this direction.
pub(crate) fn before(a: &[u8], b: &[u8], reverse: bool) -> bool {
    if reverse { a > b } else { a < b }
}

struct Scan<'a> {
    txn: &'a dyn ReadTxn,
    tree: Tree,
    prefix: Vec<u8>,
    /// On the keys' remainder after `prefix`.
    range: KeyRange,
    reverse: bool,
    entries: Option<KvIter<'a>>,
    head: Option<Vec<u8>>,
    done: bool,
}

impl Scan<'_> {
    fn full(&self, bound: &Bound<Vec<u8>>, outer: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
        match bound {
            Bound::Included(key) => Bound::Included([self.prefix.as_slice(), key].concat()),
            Bound::Excluded(key) => Bound::Excluded([self.prefix.as_slice(), key].concat()),
            Bound::Unbounded => outer,
        }
    }

    /// Starts (or restarts) the scan at `from`, inclusive, or at the start of
    /// the range in walking order.
    fn open(&mut self, from: Option<&[u8]>) -> Result<()> {
        let whole = KeyRange::prefix(&self.prefix);
        let mut range = KeyRange {
            start: self.full(&self.range.start, whole.start),
            end: self.full(&self.range.end, whole.end),
        };
        if let Some(from) = from {
            let from = Bound::Included([self.prefix.as_slice(), from].concat());
            if self.reverse {
                range.end = from;
            } else {
                range.start = from;
            }
        }
        if range.is_empty() {
            self.done = true;
            self.entries = None;
        } else {
            self.entries = Some(self.txn.scan(self.tree, range, self.reverse)?);
        }
        Ok(())
    }
}

impl Stream for Scan<'_> {
    fn advance(&mut self) -> Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        if self.entries.is_none() {
            self.open(None)?;
        }
        let next = match self.entries.as_mut().and_then(Iterator::next) {
            Some(entry) => {
                let (mut key, _) = entry?;
                key.drain(..self.prefix.len().min(key.len()));
                Some(key)
            }
            None => None,
        };
        self.done = next.is_none();
        self.head.clone_from(&next);
        Ok(next)
    }

    fn seek(&mut self, target: &[u8]) -> Result<Option<Vec<u8>>> {
        for _ in 0..STEPS_BEFORE_RESCAN {
            match &self.head {
                Some(head) if !before(head, target, self.reverse) => return Ok(self.head.clone()),
                _ if self.done => return Ok(None),
                _ => {
                    self.advance()?;
                }
            }
        }
        match &self.head {
            Some(head) if !before(head, target, self.reverse) => Ok(self.head.clone()),
            _ if self.done => Ok(None),
            _ => {
                self.open(Some(target))?;
                self.advance()
            }
        }
    }
}

/// Keys every part holds.
struct And<'a> {
    parts: Vec<Box<dyn Stream + 'a>>,
    reverse: bool,
    head: Option<Vec<u8>>,
}

impl And<'_> {
    /// Leapfrogs from `target` until every part stands on the same key.
    fn align(&mut self, target: Option<Vec<u8>>) -> Result<Option<Vec<u8>>> {
        let Some(mut target) = target else {
            self.head = None;
            return Ok(None);
        };
        let count = self.parts.len();
        let mut agreeing = 0;
        let mut at = 0;
        while agreeing < count {
            let Some(key) = self.parts[at].seek(&target)? else {
                self.head = None;
                return Ok(None);
            };
            if key == target {
                agreeing += 1;
            } else {
                target = key;
                agreeing = 1;
            }
            at = (at + 1) % count;
        }
        self.head = Some(target.clone());
        Ok(Some(target))
    }
}

impl Stream for And<'_> {
    fn advance(&mut self) -> Result<Option<Vec<u8>>> {
        let first = match self.parts.first_mut() {
            Some(first) => first.advance()?,
            None => None,
        };
        self.align(first)
    }

    fn seek(&mut self, target: &[u8]) -> Result<Option<Vec<u8>>> {
        match &self.head {
            Some(head) if !before(head, target, self.reverse) => Ok(self.head.clone()),
            _ => self.align(Some(target.to_vec())),
        }
    }
}

/// Keys any part holds, each once.
struct Or<'a> {
    parts: Vec<Box<dyn Stream + 'a>>,
    /// Each part's head; empty until the first move.
    heads: Vec<Option<Vec<u8>>>,
    reverse: bool,
    head: Option<Vec<u8>>,
}

impl Or<'_> {
    fn first_head(&mut self) -> Option<Vec<u8>> {
        let reverse = self.reverse;
        let first =
            self.heads
                .iter()
                .flatten()
                .fold(None, |best: Option<&Vec<u8>>, key| match best {
                    Some(best) if !before(key, best, reverse) => Some(best),
                    _ => Some(key),
                });
        self.head = first.cloned();
        self.head.clone()
    }
}

impl Stream for Or<'_> {
    fn advance(&mut self) -> Result<Option<Vec<u8>>> {
        if self.heads.is_empty() {
            self.heads = self
                .parts
                .iter_mut()
                .map(|part| part.advance())
                .collect::<Result<_>>()?;
        } else {
            for (part, head) in self.parts.iter_mut().zip(self.heads.iter_mut()) {
                if head.is_some() && *head == self.head {
                    *head = part.advance()?;
                }
            }
        }
        Ok(self.first_head())
    }

    fn seek(&mut self, target: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(head) = &self.head
            && !before(head, target, self.reverse)
        {
            return Ok(self.head.clone());
        }
        self.heads = self
            .parts
            .iter_mut()
            .map(|part| part.seek(target))
            .collect::<Result<_>>()?;
        Ok(self.first_head())
    }
}

/// How many keys the stream of `source` holds, counted up to `limit`: one
/// gram's postings from block headers alone, anything else key by key.
pub(crate) fn count(txn: &dyn ReadTxn, source: &Source, limit: u64) -> Result<u64> {
    if let Source::Postings { prefix } = source {
        return postings::count(txn, prefix, limit);
    }
    let mut total = 0u64;
    let mut stream = source.open(txn, false);
    while total < limit && stream.advance()?.is_some() {
        total += 1;
    }
    Ok(total)
}

/// The keys of a stream as an iterator, for the searches that read it.
pub(crate) struct Keys<'a> {
    stream: Box<dyn Stream + 'a>,
    /// The key to yield next, read ahead by [`keys_after`].
    next: Option<Vec<u8>>,
    started: bool,
}

impl Iterator for Keys<'_> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.started {
            match self.stream.advance() {
                Ok(key) => self.next = key,
                Err(error) => return Some(Err(error)),
            }
        }
        self.started = true;
        self.next.take().map(Ok)
    }
}

/// The keys of `source` strictly after `after` (a `created-at + id` key),
/// or from its start.
pub(crate) fn keys_after<'a>(
    txn: &'a dyn ReadTxn,
    source: &Source,
    reverse: bool,
    after: Option<&[u8]>,
) -> Result<Keys<'a>> {
    let mut stream = source.open(txn, reverse);
    let first = match after {
        None => stream.advance()?,
        Some(after) => match stream.seek(after)? {
            Some(key) if key == after => stream.advance()?,
            other => other,
        },
    };
    Ok(Keys {
        stream,
        next: first,
        started: false,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::deferred;
    use crate::engine::KvEngine;
    use crate::memory::MemoryEngine;

    /// The `created-at + id` key standing for `k`: two users a second, so
    /// that times repeat, and ids in the same order as `k`.
    fn keyed(k: u32) -> Vec<u8> {
        let at = Utc
            .timestamp_opt(1_700_000_000 + i64::from(k / 2), 0)
            .unwrap();
        keys::timed(at, &format!("{k:012}"))
    }

    fn unkeyed(key: &[u8]) -> u32 {
        keys::timed_id(key).unwrap().parse().unwrap()
    }

    /// How the lists are stored.
    #[derive(Clone, Copy, Debug)]
    enum Layout {
        /// One key per entry, under prefixes of a plain tree.
        Keys,
        /// n-gram posting blocks, written in one go (full blocks).
        Appended,
        /// n-gram posting blocks, written odd keys first and then even ones
        /// in a second transaction (blocks split in the middle).
        Interleaved,
    }

    fn prefix(list: usize) -> Vec<u8> {
        index::gram_prefix(b'n', &format!("g{list:02}"))
    }

    fn engine(layout: Layout, lists: &[&[u32]]) -> MemoryEngine {
        let engine = MemoryEngine::new();
        let passes: &[fn(u32) -> bool] = match layout {
            Layout::Interleaved => &[|k| k % 2 == 1, |k| k % 2 == 0],
            _ => &[|_| true],
        };
        for pass in passes {
            engine
                .write(&mut |txn| {
                    deferred::sorted(txn, |txn| {
                        for (list, keys) in lists.iter().enumerate() {
                            for key in keys.iter().filter(|k| pass(**k)) {
                                let full = [prefix(list), keyed(*key)].concat();
                                let tree = match layout {
                                    Layout::Keys => Tree::UsersByOrder,
                                    _ => Tree::UserGrams,
                                };
                                txn.insert(tree, &full, &[])?;
                            }
                        }
                        Ok(())
                    })
                })
                .unwrap();
        }
        engine
    }

    fn list(layout: Layout, list: usize) -> Source {
        match layout {
            Layout::Keys => Source::Scan {
                tree: Tree::UsersByOrder,
                prefix: prefix(list),
                range: KeyRange::all(),
            },
            _ => Source::Postings {
                prefix: prefix(list),
            },
        }
    }

    fn drain(txn: &dyn ReadTxn, source: &Source, reverse: bool, after: Option<u32>) -> Vec<u32> {
        let after = after.map(keyed);
        keys_after(txn, source, reverse, after.as_deref())
            .unwrap()
            .map(|key| unkeyed(&key.unwrap()))
            .collect()
    }

    #[test]
    fn intersections_and_unions_walk_both_ways_from_a_cursor() {
        let a: Vec<u32> = (0..3_000).collect();
        let b: Vec<u32> = (0..3_000).filter(|k| k % 7 == 0).collect();
        let c: Vec<u32> = (0..3_000).filter(|k| k % 3 == 0 || *k == 2_999).collect();
        // Far apart: each step of an intersection with it seeks over blocks.
        let d: Vec<u32> = (0..3_000).filter(|k| k % 997 == 0).collect();
        for layout in [Layout::Keys, Layout::Appended, Layout::Interleaved] {
            let engine = engine(layout, &[&a, &b, &c, &d]);
            let txn = engine.read().unwrap();
            let txn = txn.as_ref();
            let scan = |i| list(layout, i);
            let and = Source::And(vec![scan(0), scan(1), scan(2)]);
            let or = Source::Or(vec![scan(1), scan(2)]);
            let sparse = Source::And(vec![scan(0), scan(3), scan(2)]);
            let expect_and: Vec<u32> = (0..3_000).filter(|k| k % 21 == 0).collect();
            let expect_or: Vec<u32> = (0..3_000)
                .filter(|k| k % 7 == 0 || k % 3 == 0 || *k == 2_999)
                .collect();
            let expect_sparse: Vec<u32> = (0..3_000).filter(|k| k % 2_991 == 0).collect();
            for (source, expected) in [
                (&scan(0), &a),
                (&and, &expect_and),
                (&or, &expect_or),
                (&sparse, &expect_sparse),
            ] {
                assert_eq!(&drain(txn, source, false, None), expected, "{layout:?}");
                let mut backward = expected.clone();
                backward.reverse();
                assert_eq!(drain(txn, source, true, None), backward, "{layout:?}");
                for cursor in [0, 21, 22, 127, 128, 129, 250, 1_500, 2_998, 2_999] {
                    let after: Vec<u32> =
                        expected.iter().copied().filter(|k| *k > cursor).collect();
                    let walked = drain(txn, source, false, Some(cursor));
                    assert_eq!(walked, after, "{layout:?} after {cursor}");
                    let before: Vec<u32> =
                        backward.iter().copied().filter(|k| *k < cursor).collect();
                    let walked = drain(txn, source, true, Some(cursor));
                    assert_eq!(walked, before, "{layout:?} before {cursor}");
                }
            }
            let nested = Source::And(vec![or.clone(), scan(0)]);
            assert_eq!(drain(txn, &nested, false, None), expect_or);
            let empty = Source::And(vec![scan(1), scan(9)]);
            assert!(drain(txn, &empty, true, None).is_empty());
        }
    }

    #[test]
    fn seeks_land_on_the_first_key_at_or_after_the_target_across_blocks() {
        let every: Vec<u32> = (0..1_000).collect();
        for layout in [Layout::Appended, Layout::Interleaved] {
            let engine = engine(layout, &[&every]);
            let txn = engine.read().unwrap();
            for reverse in [false, true] {
                let mut stream = list(layout, 0).open(txn.as_ref(), reverse);
                // Seeks that stay in a block, cross one boundary, and jump
                // over many blocks; a seek behind the head stays put.
                let targets: &[u32] = match reverse {
                    false => &[5, 127, 128, 300, 301, 999, 10],
                    true => &[990, 872, 871, 500, 2, 0, 900],
                };
                let mut head = None;
                for &target in targets {
                    let found = stream.seek(&keyed(target)).unwrap().map(|k| unkeyed(&k));
                    let moves =
                        head.is_none_or(|head| before(&keyed(head), &keyed(target), reverse));
                    let expected = if moves { Some(target) } else { head };
                    assert_eq!(found, expected, "{layout:?} reverse {reverse} to {target}");
                    head = found;
                }
                // Past the last key: the end.
                let beyond = if reverse { vec![0u8; 8] } else { vec![0xFF; 8] };
                assert_eq!(stream.seek(&beyond).unwrap(), None);
                assert_eq!(stream.advance().unwrap(), None);
            }
        }
    }

    #[test]
    fn counts_sum_block_headers_up_to_the_limit() {
        let every: Vec<u32> = (0..1_000).collect();
        let odd: Vec<u32> = (0..1_000).filter(|k| k % 2 == 1).collect();
        let engine = engine(Layout::Interleaved, &[&every, &odd]);
        let txn = engine.read().unwrap();
        let txn = txn.as_ref();
        let gram = list(Layout::Interleaved, 0);
        assert_eq!(count(txn, &gram, u64::MAX).unwrap(), 1_000);
        assert_eq!(count(txn, &gram, 1_000).unwrap(), 1_000);
        assert_eq!(count(txn, &gram, 129).unwrap(), 129);
        assert_eq!(count(txn, &gram, 0).unwrap(), 0);
        let both = Source::And(vec![gram, list(Layout::Interleaved, 1)]);
        assert_eq!(count(txn, &both, u64::MAX).unwrap(), 500);
        assert_eq!(count(txn, &both, 7).unwrap(), 7);
        assert_eq!(count(txn, &list(Layout::Interleaved, 5), 10).unwrap(), 0);
    }

    #[test]
    fn a_long_contains_keeps_grams_from_both_ends() {
        let grams: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        let kept = spread(grams, 4);
        assert_eq!(kept, ["0", "3", "6", "9"]);
    }
}
