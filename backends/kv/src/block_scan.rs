//! The stream of one gram's postings, read block by block (see
//! [`crate::postings`]): the same `created-at + id` keys, in the same
//! order, as one key per posting would give.
//!
//! A seek first looks in the block at hand, then skips the next few blocks
//! by their keys alone (a block keyed at or before the target's next one
//! cannot hold it) without decoding them, and only then starts a new scan
//! at the block holding the target: the last one keyed at or before it.

use std::ops::Bound;

use usergraph_core::Result;

use crate::block;
use crate::engine::{KeyRange, KvIter, KvPair, ReadTxn, Tree};
use crate::stream::{Stream, before};

/// Blocks a seek reads ahead (by key only) before it scans anew.
const BLOCKS_BEFORE_RESCAN: usize = 4;

pub(crate) struct BlockScan<'a> {
    txn: &'a dyn ReadTxn,
    prefix: Vec<u8>,
    reverse: bool,
    /// The blocks after the current one in walking order; `None` until the
    /// first read.
    entries: Option<KvIter<'a>>,
    /// A block taken from `entries` but not decoded yet.
    ahead: Option<KvPair>,
    /// The current block's postings, in walking order.
    block: Vec<Vec<u8>>,
    /// How many of `block` the stream has passed (the head is the one before).
    at: usize,
    head: Option<Vec<u8>>,
    done: bool,
}

impl<'a> BlockScan<'a> {
    pub(crate) fn new(txn: &'a dyn ReadTxn, prefix: Vec<u8>, reverse: bool) -> Self {
        BlockScan {
            txn,
            prefix,
            reverse,
            entries: None,
            ahead: None,
            block: Vec::new(),
            at: 0,
            head: None,
            done: false,
        }
    }

    /// The next block in walking order, undecoded.
    fn next_block(&mut self) -> Result<Option<KvPair>> {
        if let Some(block) = self.ahead.take() {
            return Ok(Some(block));
        }
        if self.entries.is_none() {
            let range = KeyRange::prefix(&self.prefix);
            self.entries = Some(self.txn.scan(Tree::UserGrams, range, self.reverse)?);
        }
        self.entries.as_mut().and_then(Iterator::next).transpose()
    }

    fn load(&mut self, (key, value): KvPair) -> Result<()> {
        self.block = block::decode(&key[self.prefix.len()..], &value)?;
        if self.reverse {
            self.block.reverse();
        }
        self.at = 0;
        Ok(())
    }

    /// Moves to the first posting of the current block not before
    /// `target`, if there is one.
    fn find_in_block(&mut self, target: &[u8]) -> Option<Vec<u8>> {
        let reverse = self.reverse;
        let rest = &self.block[self.at..];
        let skip = rest.partition_point(|posting| before(posting, target, reverse));
        let found = rest.get(skip).cloned()?;
        self.at += skip + 1;
        self.head = Some(found.clone());
        Some(found)
    }

    /// The first key of the block `key` (of this gram) starts with.
    fn first_of<'k>(&self, key: &'k [u8]) -> &'k [u8] {
        &key[self.prefix.len().min(key.len())..]
    }

    /// Reads on by block keys alone: `Some` once the block holding `target`
    /// (or the first after it) is loaded, `None` if that takes more than a
    /// few blocks.
    fn skip_to(&mut self, target: &[u8]) -> Result<Option<()>> {
        for _ in 0..BLOCKS_BEFORE_RESCAN {
            let Some(block) = self.next_block()? else {
                return Ok(Some(()));
            };
            if self.reverse {
                // Walking backward, a block keyed after the target holds
                // nothing at or before it.
                if before(target, self.first_of(&block.0), false) {
                    continue;
                }
            } else if let Some(next) = self.next_block()? {
                let beyond = before(target, self.first_of(&next.0), false);
                self.ahead = Some(next);
                // The next block starts at or before the target: this one
                // ends before it.
                if !beyond {
                    continue;
                }
            }
            self.load(block)?;
            return Ok(Some(()));
        }
        Ok(None)
    }

    /// Restarts at the block holding `target`, the last one keyed at or
    /// before it (loaded), followed by the rest in walking order.
    fn rescan(&mut self, target: &[u8]) -> Result<()> {
        let whole = KeyRange::prefix(&self.prefix);
        let at_target = Bound::Included([self.prefix.as_slice(), target].concat());
        let up_to_target = KeyRange {
            start: whole.start.clone(),
            end: at_target,
        };
        self.ahead = None;
        self.block.clear();
        self.at = 0;
        if self.reverse {
            self.entries = Some(self.txn.scan(Tree::UserGrams, up_to_target, true)?);
            if let Some(block) = self.next_block()? {
                self.load(block)?;
            }
            return Ok(());
        }
        let floor = self
            .txn
            .scan(Tree::UserGrams, up_to_target, true)?
            .next()
            .transpose()?;
        let rest = KeyRange {
            start: match &floor {
                Some((key, _)) => Bound::Excluded(key.clone()),
                None => whole.start,
            },
            end: whole.end,
        };
        self.entries = Some(self.txn.scan(Tree::UserGrams, rest, false)?);
        if let Some(block) = floor {
            self.load(block)?;
        }
        Ok(())
    }
}

impl Stream for BlockScan<'_> {
    fn advance(&mut self) -> Result<Option<Vec<u8>>> {
        while !self.done {
            if let Some(posting) = self.block.get(self.at) {
                self.at += 1;
                self.head = Some(posting.clone());
                return Ok(self.head.clone());
            }
            match self.next_block()? {
                Some(block) => self.load(block)?,
                None => self.done = true,
            }
        }
        self.head = None;
        Ok(None)
    }

    fn seek(&mut self, target: &[u8]) -> Result<Option<Vec<u8>>> {
        match &self.head {
            Some(head) if !before(head, target, self.reverse) => return Ok(self.head.clone()),
            _ if self.done => return Ok(None),
            _ => {}
        }
        if let Some(found) = self.find_in_block(target) {
            return Ok(Some(found));
        }
        // Reading from the start to a cursor deep in the gram would read
        // every block before it: a first move that is a seek scans anew.
        let skipped = match self.entries {
            Some(_) => self.skip_to(target)?,
            None => None,
        };
        if skipped.is_none() {
            self.rescan(target)?;
        }
        if let Some(found) = self.find_in_block(target) {
            return Ok(Some(found));
        }
        // Nothing at or after the target in the block found (or none was):
        // the next posting in walking order is the answer.
        self.block.clear();
        self.at = 0;
        self.advance()
    }
}
