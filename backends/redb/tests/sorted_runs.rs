//! A sorted run of changes, as the kv layer hands one table at a time to
//! redb (`WriteTxn::apply_sorted_runs`), written through redb cursors:
//! new keys before, between and after stored ones, replaced and removed
//! stored keys, removals of keys never stored, and long runs of new keys in
//! one gap must leave exactly what applying them one by one would.

use std::collections::BTreeMap;

use usergraph_core::Result;
use usergraph_kv::{KeyRange, KvEngine, PathEngine, SortedRun, Tree};
use usergraph_redb::RedbEngine;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;
type Changes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

fn key(i: u32) -> Vec<u8> {
    format!("key{i:06}").into_bytes()
}

fn apply(engine: &RedbEngine, tree: Tree, changes: &Changes) -> Result<()> {
    engine.write(&mut |txn| {
        let run: SortedRun<'_> = (
            tree,
            Box::new(
                changes
                    .iter()
                    .map(|(key, value)| (key.as_slice(), value.as_deref())),
            ),
        );
        txn.apply_sorted_runs(vec![run])
    })
}

fn apply_to_model(model: &mut Model, changes: &Changes) {
    for (key, change) in changes {
        match change {
            Some(value) => model.insert(key.clone(), value.clone()),
            None => model.remove(key),
        };
    }
}

fn stored(engine: &RedbEngine, tree: Tree) -> Result<Model> {
    let txn = engine.read()?;
    txn.scan(tree, KeyRange::all(), false)?.collect()
}

#[test]
fn a_mixed_sorted_run_leaves_what_applying_each_change_would() -> Result<()> {
    let dir = tempfile::tempdir().map_err(usergraph_core::Error::internal)?;
    let engine = RedbEngine::open_path(&dir.path().join("runs.redb"))?;
    let tree = Tree::UserText;
    let mut model = Model::new();

    // Every third key, with values long enough to fill many leaves.
    let first: Changes = (0..6_000)
        .step_by(3)
        .map(|i| (key(i), Some(vec![b'o'; 40])))
        .collect();
    apply(&engine, tree, &first)?;
    apply_to_model(&mut model, &first);
    assert_eq!(stored(&engine, tree)?, model);

    // Stored keys replaced or removed, new keys between them, removals of
    // keys never stored, and a long run of new keys past the last one.
    let mut mixed = Changes::new();
    for i in 0..9_000u32 {
        let change = match i % 3 {
            0 if i < 6_000 && i % 2 == 0 => Some(Some(format!("new{i}").into_bytes())),
            0 if i < 6_000 && i % 5 == 0 => Some(None),
            0 if i < 6_000 => None,
            1 if i < 6_000 => Some(Some(b"between".to_vec())),
            2 if i % 7 == 0 => Some(None),
            _ if i >= 6_000 => Some(Some(vec![b'a'; 60])),
            _ => None,
        };
        if let Some(change) = change {
            mixed.push((key(i), change));
        }
    }
    apply(&engine, tree, &mixed)?;
    apply_to_model(&mut model, &mixed);
    assert_eq!(stored(&engine, tree)?, model);

    // A run in front of every stored key, and one into an empty table.
    let front: Changes = (0..500)
        .map(|i| (format!("aaa{i:04}").into_bytes(), Some(vec![1])))
        .collect();
    apply(&engine, tree, &front)?;
    apply_to_model(&mut model, &front);
    assert_eq!(stored(&engine, tree)?, model);
    apply(&engine, Tree::UsersByOrder, &front)?;
    let mut fresh = Model::new();
    apply_to_model(&mut fresh, &front);
    assert_eq!(stored(&engine, Tree::UsersByOrder)?, fresh);
    Ok(())
}

#[test]
fn a_run_that_removes_every_stored_key_empties_the_table() -> Result<()> {
    let dir = tempfile::tempdir().map_err(usergraph_core::Error::internal)?;
    let engine = RedbEngine::open_path(&dir.path().join("runs.redb"))?;
    let tree = Tree::UsersByOrder;
    let all: Changes = (0..3_000).map(|i| (key(i), Some(vec![b'v'; 30]))).collect();
    apply(&engine, tree, &all)?;
    let gone: Changes = (0..3_000).map(|i| (key(i), None)).collect();
    apply(&engine, tree, &gone)?;
    assert!(stored(&engine, tree)?.is_empty());
    Ok(())
}
