//! Engine-level checks of the sled backend: opening, reopening and what
//! needs the concrete type. Every `Storage` behaviour (atomic commits,
//! versions, uniqueness, searches) lives in `usergraph-conformance`, which
//! this backend also runs.

use std::sync::Arc;

use usergraph_core::{Storage, UniqueKey, WriteOp};
use usergraph_kv::engine_checks::{self, all_logs, insert, log, uid, with_email};
use usergraph_kv::{KvEngine, KvStorage, Tree};

use super::{SledEngine, SledOptions, SledStorage};

#[tokio::test]
async fn open_creates_missing_directories_and_reopening_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/sled");
    engine_checks::reopening_keeps_the_data::<SledEngine>(&path).await;
}

#[test]
fn a_store_in_an_unknown_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    engine_checks::unknown_format_is_refused::<SledEngine>(&dir.path().join("db"));
}

#[tokio::test]
async fn a_small_cache_still_serves_the_data_and_a_too_small_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sled");
    let tiny = SledOptions {
        cache_capacity: SledOptions::MIN_CACHE_CAPACITY - 1,
    };
    let err = SledEngine::open_with(&path, tiny).unwrap_err();
    assert_eq!(err.code(), "VALIDATION");
    assert!(err.to_string().contains("at least"), "{err}");

    let small = SledOptions {
        cache_capacity: SledOptions::MIN_CACHE_CAPACITY,
    };
    let storage = KvStorage::new(SledEngine::open_with(&path, small).unwrap()).unwrap();
    let ops = (0..300)
        .map(|i| {
            insert(with_email(
                &format!("u{i}"),
                &format!("user{i}@example.com"),
            ))
        })
        .collect();
    storage.commit(ops).await.unwrap();
    drop(storage);
    let reopened = KvStorage::new(SledEngine::open_with(&path, small).unwrap()).unwrap();
    for i in [0, 150, 299] {
        let email = UniqueKey::Email(format!("user{i}@example.com"));
        let found = reopened.user_by_key(&email).await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(uid(&format!("u{i}"))));
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// sled's timer flush is switched off here, so only the engine's own flush
/// can put the commit on disk before the files are copied.
#[tokio::test]
async fn a_commit_is_on_disk_when_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    let config = sled::Config::new().path(&live).flush_every_ms(None);
    let engine = SledEngine::from_config(&config, Some(live.clone())).unwrap();
    let storage = KvStorage::new(engine).unwrap();
    storage
        .commit(vec![
            insert(with_email("u1", "durable@example.com")),
            WriteOp::AppendLog(Box::new(log("l1", Some("u1")))),
        ])
        .await
        .unwrap();
    let crashed = dir.path().join("crashed");
    copy_dir(&live, &crashed);
    let recovered = SledStorage::open(&crashed).unwrap();
    let found = recovered
        .user_by_key(&UniqueKey::Email("durable@example.com".into()))
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.id), Some(uid("u1")));
    assert_eq!(all_logs(&recovered).await.len(), 1);
    drop(storage);
}

#[tokio::test]
async fn a_read_transaction_sees_no_commit_made_while_it_lives() {
    let storage = Arc::new(SledStorage::in_memory().unwrap());
    storage
        .commit(vec![insert(with_email("u1", "a@example.com"))])
        .await
        .unwrap();
    let writer = {
        let reader = storage.engine().read().unwrap();
        let writer = {
            let storage = Arc::clone(&storage);
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                runtime.block_on(storage.commit(vec![
                    WriteOp::DeleteUser { id: uid("u1") },
                    insert(with_email("u2", "a@example.com")),
                ]))
            })
        };
        // Give the commit every chance to land under the open reader.
        std::thread::sleep(std::time::Duration::from_millis(200));
        let index = reader
            .scan(Tree::UsersByCreated, usergraph_kv::KeyRange::all(), false)
            .unwrap()
            .count();
        assert_eq!(index, 1);
        assert!(reader.get(Tree::Users, b"u1").unwrap().is_some());
        assert!(reader.get(Tree::Users, b"u2").unwrap().is_none());
        writer
    };
    writer.join().unwrap().unwrap();
    assert!(storage.user(&uid("u1")).await.unwrap().is_none());
    assert!(storage.user(&uid("u2")).await.unwrap().is_some());
}

#[tokio::test]
async fn trees_do_not_leak_into_each_other() {
    let engine = SledEngine::temporary().unwrap();
    engine
        .write(&mut |txn| {
            txn.insert(Tree::Users, b"", b"first")?;
            txn.insert(Tree::Users, b"\xff\xff", b"last")?;
            txn.insert(Tree::UserKeys, b"", b"other")?;
            txn.insert(Tree::Meta, b"\xff", b"before")
        })
        .unwrap();
    let reader = engine.read().unwrap();
    for reverse in [false, true] {
        let mut keys: Vec<Vec<u8>> = reader
            .scan(Tree::Users, usergraph_kv::KeyRange::all(), reverse)
            .unwrap()
            .map(|entry| entry.unwrap().0)
            .collect();
        if reverse {
            keys.reverse();
        }
        assert_eq!(keys, [b"".to_vec(), b"\xff\xff".to_vec()]);
    }
    assert_eq!(
        reader.get(Tree::UserKeys, b"").unwrap(),
        Some(b"other".to_vec())
    );
    assert_eq!(reader.get(Tree::Roles, b"").unwrap(), None);
}

/// Every key and value of every tree of the sled store at `path`, and the
/// bytes of every file under it.
fn every_entry_and_file(path: &std::path::Path) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut entries = Vec::new();
    {
        let db = sled::open(path).unwrap();
        for name in db.tree_names() {
            for entry in db.open_tree(name).unwrap().iter() {
                let (key, value) = entry.unwrap();
                entries.push(key.to_vec());
                entries.push(value.to_vec());
            }
        }
    }
    let mut files = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                dirs.push(entry.path());
            } else {
                files.push(std::fs::read(entry.path()).unwrap());
            }
        }
    }
    (entries, files)
}

#[tokio::test]
async fn only_the_digest_of_a_token_reaches_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sled");
    let (secret, digest) = engine_checks::store_with_token::<SledEngine>(&path).await;
    let (entries, files) = every_entry_and_file(&path);
    engine_checks::assert_only_the_digest_is_stored(&entries, &secret, &digest);
    engine_checks::assert_secret_absent(&files, &secret);
}

fn paths(names: &[&str]) -> Vec<std::path::PathBuf> {
    names.iter().map(std::path::PathBuf::from).collect()
}

#[tokio::test]
async fn opening_syncs_the_store_and_every_commit_syncs_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let engine = SledEngine::open(dir.path().join("new/sled")).unwrap();
    assert_eq!(
        engine.files().unwrap().take_synced(),
        paths(&["conf", "db", "blobs", ""]),
        "the files sled made, then the directories naming them"
    );
    // A new store gets its format record: a commit.
    let storage = KvStorage::new(engine).unwrap();
    let files = storage.engine().files().unwrap();
    assert_eq!(files.take_synced(), paths(&["db"]));
    for i in 0..3 {
        storage
            .commit(vec![insert(with_email(
                &format!("u{i}"),
                &format!("user{i}@example.com"),
            ))])
            .await
            .unwrap();
        assert_eq!(files.take_synced(), paths(&["db"]), "commit {i}");
    }
    // Nothing to write, nothing to sync.
    storage.engine().write(&mut |_| Ok(())).unwrap();
    assert_eq!(files.take_synced(), paths(&[]));
    // sled keeps a temporary store in memory: there is nothing to sync.
    assert!(SledEngine::temporary().unwrap().files().is_none());
}

#[tokio::test]
async fn a_page_written_to_a_blob_is_synced_before_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let engine = SledEngine::open(dir.path()).unwrap();
    let files = engine.files().unwrap();
    files.take_synced();
    // Larger than a quarter of sled's 512 KiB segment: stored as a blob.
    let large = vec![7u8; 200 * 1024];
    engine
        .write(&mut |txn| txn.insert(Tree::Meta, b"large", &large))
        .unwrap();
    let synced = files.take_synced();
    let blobs: Vec<_> = std::fs::read_dir(dir.path().join("blobs"))
        .unwrap()
        .map(|entry| std::path::Path::new("blobs").join(entry.unwrap().file_name()))
        .collect();
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    assert_eq!(synced, [blobs[0].clone(), "blobs".into(), "db".into()]);
    // A synced blob is not synced again.
    engine
        .write(&mut |txn| txn.insert(Tree::Meta, b"small", b"1"))
        .unwrap();
    assert_eq!(files.take_synced(), paths(&["db"]));
}

#[tokio::test]
async fn after_a_failed_sync_no_write_is_acknowledged_until_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sled");
    let storage = SledStorage::open(&path).unwrap();
    storage
        .commit(vec![insert(with_email("u1", "one@example.com"))])
        .await
        .unwrap();
    let files = storage.engine().files().unwrap();
    files
        .fail_next_sync
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let failed = storage
        .commit(vec![insert(with_email("u2", "two@example.com"))])
        .await
        .unwrap_err();
    assert_eq!(failed.code(), "INTERNAL");
    // The disk would accept this one, but the failed sync may have lost
    // the commit before it.
    let refused = storage
        .commit(vec![insert(with_email("u3", "three@example.com"))])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "INTERNAL");
    assert!(storage.user(&uid("u1")).await.unwrap().is_some());
    assert!(storage.user(&uid("u3")).await.unwrap().is_none());
    drop(storage);

    let reopened = SledStorage::open(&path).unwrap();
    assert!(reopened.user(&uid("u1")).await.unwrap().is_some());
    reopened
        .commit(vec![insert(with_email("u3", "three@example.com"))])
        .await
        .unwrap();
    assert!(reopened.user(&uid("u3")).await.unwrap().is_some());
}
