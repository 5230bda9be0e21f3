//! The backend conformance suite, run against redb files in temporary
//! directories (one fresh database per behaviour, reopened by the behaviours
//! that check what outlives a restart).

// A panic is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use usergraph_conformance::{Fixture, conformance_suite};
use usergraph_core::Storage;
use usergraph_redb::RedbStorage;

async fn fresh_redb() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("usergraph.redb");
    let storage = RedbStorage::open(&path).expect("a fresh redb file");
    Fixture::new(Arc::new(storage), dir).reopen_with(move || {
        let storage = RedbStorage::open(&path).expect("the redb file reopens");
        async move { Arc::new(storage) as Arc<dyn Storage> }
    })
}

conformance_suite!(fresh_redb);
