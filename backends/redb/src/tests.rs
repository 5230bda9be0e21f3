//! Engine-level checks of the redb backend: opening and reopening from a
//! path. Every `Storage` behaviour (atomic commits, versions, uniqueness,
//! searches) lives in `usergraph-conformance`, which this backend also runs.

use usergraph_kv::engine_checks;

use super::RedbEngine;

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
