//! How postings are cut into blocks as they come and go, read back through
//! the engine as its blocks.

use chrono::{TimeZone, Utc};

use crate::block;
use crate::deferred;
use crate::engine::{KeyRange, KvEngine, Tree};
use crate::memory::MemoryEngine;
use crate::{index, keys};

fn prefix() -> Vec<u8> {
    index::gram_prefix(b'n', "abc")
}

/// The posting of user `k`: three users a second, ids in the order of `k`.
fn posting(k: u32) -> Vec<u8> {
    let at = Utc
        .timestamp_opt(1_700_000_000 + i64::from(k / 3), 0)
        .unwrap();
    keys::timed(at, &format!("{k:012}"))
}

/// Adds (`true`) or drops postings in one write transaction, through the
/// deferring layer as every write of the store.
fn write(engine: &MemoryEngine, changes: &[(u32, bool)]) {
    engine
        .write(&mut |txn| {
            deferred::sorted(txn, |txn| {
                for &(k, present) in changes {
                    let key = [prefix(), posting(k)].concat();
                    if present {
                        txn.insert(Tree::UserGrams, &key, &[])?;
                    } else {
                        txn.remove(Tree::UserGrams, &key)?;
                    }
                }
                Ok(())
            })
        })
        .unwrap();
}

fn add(engine: &MemoryEngine, ks: impl IntoIterator<Item = u32>) {
    let changes: Vec<(u32, bool)> = ks.into_iter().map(|k| (k, true)).collect();
    write(engine, &changes);
}

/// The gram's blocks, each as the `k`s it holds; checks that each is keyed
/// by its first posting.
fn blocks(engine: &MemoryEngine) -> Vec<Vec<u32>> {
    let txn = engine.read().unwrap();
    let prefix = prefix();
    txn.scan(Tree::UserGrams, KeyRange::prefix(&prefix), false)
        .unwrap()
        .map(|entry| {
            let (key, value) = entry.unwrap();
            let postings = block::decode(&key[prefix.len()..], &value).unwrap();
            assert_eq!(block::count(&value).unwrap(), postings.len() as u64);
            postings
                .iter()
                .map(|p| keys::timed_id(p).unwrap().parse().unwrap())
                .collect()
        })
        .collect()
}

fn sizes(blocks: &[Vec<u32>]) -> Vec<usize> {
    blocks.iter().map(Vec::len).collect()
}

fn flat(blocks: &[Vec<u32>]) -> Vec<u32> {
    blocks.concat()
}

#[test]
fn appended_postings_fill_blocks_to_the_cap() {
    let engine = MemoryEngine::new();
    add(&engine, 0..300);
    assert_eq!(sizes(&blocks(&engine)), [128, 128, 44]);
    // One more commit's worth at the end tops up the last block first.
    add(&engine, 300..400);
    assert_eq!(sizes(&blocks(&engine)), [128, 128, 128, 16]);
    add(&engine, [400]);
    assert_eq!(flat(&blocks(&engine)), (0..401).collect::<Vec<_>>());
}

#[test]
fn a_full_block_splits_evenly_when_a_posting_lands_inside_it() {
    let engine = MemoryEngine::new();
    add(&engine, (0..256).map(|k| k * 2));
    assert_eq!(sizes(&blocks(&engine)), [128, 128]);
    add(&engine, [11]);
    assert_eq!(sizes(&blocks(&engine)), [65, 64, 128]);
    // Many postings inside a block split it into blocks of even sizes.
    add(&engine, (0..128).map(|k| 257 + k * 2));
    let found = blocks(&engine);
    assert!(
        found.iter().all(|b| b.len() <= 128 && b.len() >= 64),
        "{:?}",
        sizes(&found)
    );
    let mut expected: Vec<u32> = (0..256).map(|k| k * 2).collect();
    expected.push(11);
    expected.extend((0..128).map(|k| 257 + k * 2));
    expected.sort_unstable();
    assert_eq!(flat(&found), expected);
}

#[test]
fn postings_older_than_every_block_join_the_first_one() {
    let engine = MemoryEngine::new();
    for k in (0..200).rev() {
        add(&engine, [k]);
    }
    // Each one re-keyed the first block, until it split.
    let found = blocks(&engine);
    assert!(found.len() <= 3, "{:?}", sizes(&found));
    assert_eq!(flat(&found), (0..200).collect::<Vec<_>>());
}

#[test]
fn removing_postings_rekeys_or_drops_their_block() {
    let engine = MemoryEngine::new();
    add(&engine, 0..300);
    // The first posting of the second block: the block is keyed anew.
    write(&engine, &[(128, false)]);
    let found = blocks(&engine);
    assert_eq!(sizes(&found), [128, 127, 44]);
    assert_eq!(found[1][0], 129);
    // Every posting of the last block, and one absent: the block goes.
    let last: Vec<(u32, bool)> = (256..300).map(|k| (k, false)).collect();
    write(&engine, &last);
    write(&engine, &[(5_000, false)]);
    assert_eq!(sizes(&blocks(&engine)), [128, 127]);
    // The last posting of a block, alone in it.
    add(&engine, [1_000]);
    assert_eq!(sizes(&blocks(&engine)), [128, 128]);
    write(&engine, &[(1_000, false), (0, false)]);
    let found = blocks(&engine);
    assert_eq!(sizes(&found), [127, 127]);
    assert_eq!(found[0][0], 1);
    // Added and dropped in one transaction: the last change wins.
    write(
        &engine,
        &[(7_000, true), (7_000, false), (0, false), (0, true)],
    );
    assert_eq!(flat(&blocks(&engine))[0], 0);
    let all: Vec<(u32, bool)> = (0..1_000).map(|k| (k, false)).collect();
    write(&engine, &all);
    assert!(blocks(&engine).is_empty());
}

#[test]
fn long_ids_make_smaller_blocks() {
    let engine = MemoryEngine::new();
    let long = |k: u32| {
        let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        keys::timed(at, &format!("{k:064}"))
    };
    engine
        .write(&mut |txn| {
            deferred::sorted(txn, |txn| {
                for k in 0..128 {
                    txn.insert(Tree::UserGrams, &[prefix(), long(k)].concat(), &[])?;
                }
                Ok(())
            })
        })
        .unwrap();
    let txn = engine.read().unwrap();
    let values: Vec<usize> = txn
        .scan(Tree::UserGrams, KeyRange::prefix(&prefix()), false)
        .unwrap()
        .map(|entry| entry.unwrap().1.len())
        .collect();
    assert!(values.len() > 1);
    assert!(values.iter().all(|len| *len <= 4096), "{values:?}");
}

#[test]
fn a_transaction_reads_the_blocks_it_wrote_before() {
    let engine = MemoryEngine::new();
    add(&engine, 0..100);
    engine
        .write(&mut |txn| {
            deferred::sorted(txn, |txn| {
                for k in 100..200 {
                    txn.insert(Tree::UserGrams, &[prefix(), posting(k)].concat(), &[])?;
                }
                // A read of the index applies the postings so far as blocks;
                // the later ones merge into what it wrote, not into what
                // the snapshot holds.
                let seen = txn.scan_prefix(Tree::UserGrams, &prefix())?;
                assert_eq!(seen.len(), 2);
                for k in 200..300 {
                    txn.insert(Tree::UserGrams, &[prefix(), posting(k)].concat(), &[])?;
                }
                Ok(())
            })
        })
        .unwrap();
    let found = blocks(&engine);
    assert_eq!(sizes(&found), [128, 128, 44]);
    assert_eq!(flat(&found), (0..300).collect::<Vec<_>>());
}
