//! The backend conformance suite, run against sled stores in temporary
//! directories (one fresh store per behaviour, reopened by the behaviours
//! that check what outlives a restart).

// A panic is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use usergraph_conformance::{Fixture, conformance_suite};
use usergraph_core::Storage;
use usergraph_sled::SledStorage;

async fn fresh_sled() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("sled");
    let storage = SledStorage::open(&path).expect("a fresh sled store");
    Fixture::new(Arc::new(storage), dir).reopen_with(move || {
        let storage = SledStorage::open(&path).expect("the sled store reopens");
        async move { Arc::new(storage) as Arc<dyn Storage> }
    })
}

conformance_suite!(fresh_sled);
