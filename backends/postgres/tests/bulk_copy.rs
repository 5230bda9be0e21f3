//! The bulk write (`COPY`) at the size of an import chunk, against a table
//! that already holds a chunk: every clash the checks find gets the error
//! its own commit would, and the rest of the chunk is written.
//!
//! The plan the checks' lookups once got (the trigram indexes, 62 s for
//! 10,000 usernames against 20,000 rows) did not show at this size; the
//! import benchmark at 100,000 users is where it shows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use usergraph_conformance::{log_record, user_record};
use usergraph_core::model::log_keys;
use usergraph_core::{Storage, User, UserId, WriteOp};
use usergraph_postgres::PostgresStorage;

const CHUNK: usize = 10_000;

fn person(n: usize) -> User {
    let mut user = user_record(&format!("user_{n}"));
    user.primary_phone = Some(format!("+1555{n:07}"));
    user.name = Some(format!("Bulk Person {n}"));
    user
}

/// What an import writes for a new user: the insert and its log entry.
fn import(user: &User) -> Vec<WriteOp> {
    vec![
        WriteOp::InsertUser(Box::new(user.clone())),
        WriteOp::AppendLog(Box::new(log_record(
            log_keys::USER_IMPORTED,
            Some(&user.id),
        ))),
    ]
}

async fn stored(storage: &PostgresStorage, users: &[User]) -> usize {
    let ids: Vec<UserId> = users.iter().map(|u| u.id.clone()).collect();
    storage.users(&ids).await.unwrap().len()
}

#[tokio::test]
async fn a_chunk_over_a_stored_chunk_is_checked_and_copied() {
    let (storage, _guard) = common::fresh().await;

    let first: Vec<User> = (0..CHUNK).map(person).collect();
    let written = storage
        .commit_each(first.iter().map(import).collect())
        .await
        .unwrap();
    assert!(written.iter().all(Result::is_ok));
    assert_eq!(stored(&storage, &first).await, CHUNK);
    // As autovacuum does early in a long import.
    storage.optimize_after_bulk_load().await.unwrap();

    let mut second: Vec<User> = (CHUNK..2 * CHUNK).map(person).collect();
    // Each of the three unique identifiers of a stored user, and one that
    // an earlier group of the same chunk takes.
    second[10].username = first[3].username.clone();
    second[20].primary_email = first[4].primary_email.as_ref().map(|e| e.to_uppercase());
    second[30].primary_phone = first[5].primary_phone.clone();
    second[41].username = second[40].username.clone();
    let groups = second.iter().map(import).collect();
    let written = storage.commit_each(groups).await.unwrap();

    let refused: Vec<(usize, &str)> = written
        .iter()
        .enumerate()
        .filter_map(|(n, result)| result.as_ref().err().map(|e| (n, e.code())))
        .collect();
    assert_eq!(
        refused,
        [
            (10, "USERNAME_ALREADY_IN_USE"),
            (20, "EMAIL_ALREADY_IN_USE"),
            (30, "PHONE_ALREADY_IN_USE"),
            (41, "USERNAME_ALREADY_IN_USE"),
        ]
    );
    assert_eq!(stored(&storage, &second).await, CHUNK - 4);
    assert!(storage.user(&second[40].id).await.unwrap().is_some());
    assert!(storage.user(&second[41].id).await.unwrap().is_none());
}
