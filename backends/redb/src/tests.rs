//! Engine-level checks of the redb backend: opening and reopening from a
//! path, and what only the file itself can show. Every `Storage` behaviour
//! (atomic commits, versions, uniqueness, searches) lives in
//! `usergraph-conformance`, which this backend also runs.

use redb::{ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use usergraph_core::{Storage, WriteOp};
use usergraph_kv::Tree;
use usergraph_kv::engine_checks::{self, insert, token, uid, with_email};

use super::{RedbEngine, RedbStorage};

#[tokio::test]
async fn open_creates_missing_directories_and_reopening_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/usergraph.redb");
    engine_checks::reopening_keeps_the_data::<RedbEngine>(&path).await;
}

#[test]
fn a_store_in_an_unknown_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    engine_checks::unknown_format_is_refused::<RedbEngine>(&dir.path().join("db.redb"));
}

/// Every key and value of every table of the redb file at `path`.
fn every_entry(path: &std::path::Path) -> Vec<Vec<u8>> {
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let mut blobs = Vec::new();
    for handle in txn.list_tables().unwrap() {
        let name = handle.name().to_owned();
        let table = txn
            .open_table(TableDefinition::<&[u8], &[u8]>::new(&name))
            .unwrap();
        for entry in table.iter().unwrap() {
            let (key, value) = entry.unwrap();
            blobs.push(key.value().to_vec());
            blobs.push(value.value().to_vec());
        }
    }
    blobs
}

#[tokio::test]
async fn only_the_digest_of_a_token_reaches_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usergraph.redb");
    let (secret, digest) = engine_checks::store_with_token::<RedbEngine>(&path).await;
    engine_checks::assert_only_the_digest_is_stored(&every_entry(&path), &secret, &digest);
    engine_checks::assert_secret_absent(&[std::fs::read(&path).unwrap()], &secret);
}

/// A store written before tokens existed lacks their tables: opening it
/// creates them, and tokens then work as in a new store.
#[tokio::test]
async fn a_store_without_token_tables_opens_and_keeps_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usergraph.redb");
    {
        let storage = RedbStorage::open(&path).unwrap();
        storage
            .commit(vec![insert(with_email("u1", "old@example.com"))])
            .await
            .unwrap();
    }
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        for tree in [
            Tree::Tokens,
            Tree::TokenDigests,
            Tree::TokenNames,
            Tree::TokensByUser,
        ] {
            let definition = TableDefinition::<&[u8], &[u8]>::new(tree.name());
            assert!(txn.delete_table(definition).unwrap(), "{tree:?}");
        }
        txn.commit().unwrap();
    }
    let storage = RedbStorage::open(&path).unwrap();
    let held = token("t1", "u1", "CI");
    assert_eq!(storage.token_by_digest(&held.digest).await.unwrap(), None);
    assert!(storage.tokens_of_user(&uid("u1")).await.unwrap().is_empty());
    storage
        .commit(vec![WriteOp::InsertToken(Box::new(held.clone()))])
        .await
        .unwrap();
    assert_eq!(storage.tokens_of_user(&uid("u1")).await.unwrap(), [held]);
}
