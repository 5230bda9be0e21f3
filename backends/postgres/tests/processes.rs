//! What only a shared server database shows: two usergraph processes (two
//! pools) racing for one identifier or guessing at one account, a
//! connection lost mid-call, and a statement that runs past its timeout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::Map;
use sqlx::{Connection, Executor, PgConnection, Row};
use usergraph_core::throttle::{Throttle, ThrottleSettings, attempts_for};
use usergraph_core::{Error, Profile, Role, RoleId, Storage, User, UserId, WriteOp};
use usergraph_postgres::PostgresStorage;

fn user(id: &str) -> User {
    let now = usergraph_core::time::truncate(Utc::now());
    User {
        id: UserId::parse(id).unwrap(),
        username: None,
        primary_email: None,
        primary_phone: None,
        name: None,
        avatar: None,
        profile: Profile::default(),
        custom_data: Map::new(),
        identities: BTreeMap::new(),
        password: None,
        is_suspended: false,
        last_sign_in_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// Runs `make(i)` for i in 0..40 on alternating processes, all at once, and
/// returns how many succeeded; every failure must have `code`.
async fn race(
    processes: [Arc<PostgresStorage>; 2],
    code: &str,
    make: impl Fn(usize) -> WriteOp,
) -> usize {
    let attempts: Vec<_> = (0..40)
        .map(|i| {
            let storage = Arc::clone(&processes[i % 2]);
            let op = make(i);
            tokio::spawn(async move { storage.commit(vec![op]).await })
        })
        .collect();
    let mut wins = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(()) => wins += 1,
            Err(err) => assert_eq!(err.code(), code, "{err:?}"),
        }
    }
    wins
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_processes_get_one_winner_per_identifier() {
    let (first, guard) = common::fresh().await;
    let second = common::second_process(&guard).await;
    let processes = [Arc::new(first), Arc::new(second)];

    let wins = race(processes.clone(), "EMAIL_ALREADY_IN_USE", |i| {
        let mut u = user(&format!("email{i}"));
        // Differently cased: the unique index is on the lower-cased key.
        u.primary_email = Some(
            if i % 2 == 0 {
                "Same@Example.com"
            } else {
                "same@example.COM"
            }
            .into(),
        );
        WriteOp::InsertUser(Box::new(u))
    })
    .await;
    assert_eq!(wins, 1);

    let wins = race(processes.clone(), "USERNAME_ALREADY_IN_USE", |i| {
        let mut u = user(&format!("name{i}"));
        u.username = Some(if i % 2 == 0 { "Racer" } else { "racer" }.into());
        WriteOp::InsertUser(Box::new(u))
    })
    .await;
    assert_eq!(wins, 1);

    let wins = race(processes.clone(), "PHONE_ALREADY_IN_USE", |i| {
        let mut u = user(&format!("phone{i}"));
        u.primary_phone = Some("15550100000".into());
        WriteOp::InsertUser(Box::new(u))
    })
    .await;
    assert_eq!(wins, 1);

    let wins = race(processes.clone(), "CONFLICT", |i| {
        let now = usergraph_core::time::now();
        WriteOp::InsertRole(Box::new(Role {
            id: RoleId::parse(&format!("role{i}")).unwrap(),
            name: if i % 2 == 0 { "Admins" } else { "ADMINS" }.into(),
            description: None,
            permissions: vec![],
            is_default: false,
            created_at: now,
            updated_at: now,
            version: 1,
        }))
    })
    .await;
    assert_eq!(wins, 1);

    // Both processes see the one winner.
    for storage in &processes {
        let holder = storage
            .user_by_key(&usergraph_core::UniqueKey::Email("same@example.com".into()))
            .await
            .unwrap();
        assert!(holder.is_some());
    }
}

/// Each process's throttle, over its own pool, with a limit of 3 failures
/// per account and 4 per address.
fn throttles(processes: &[Arc<PostgresStorage>; 2]) -> [Arc<Throttle>; 2] {
    let settings = ThrottleSettings {
        max_failures_per_account: 3,
        max_failures_per_address: 4,
        window: Duration::from_secs(15 * 60),
    };
    processes.each_ref().map(|storage| {
        Arc::new(Throttle::with_store(
            settings,
            attempts_for(storage.as_ref()),
        ))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processes_share_the_failure_counts() {
    let (first, guard) = common::fresh().await;
    let second = common::second_process(&guard).await;
    let [a, b] = throttles(&[Arc::new(first), Arc::new(second)]);

    // Account failures, alternating: the third is the last either allows.
    a.begin("u1", Some("192.0.2.1")).await.unwrap();
    b.begin("u1", Some("192.0.2.2")).await.unwrap();
    a.begin("u1", Some("192.0.2.3")).await.unwrap();
    for throttle in [&a, &b] {
        let err = throttle.begin("u1", Some("192.0.2.4")).await.unwrap_err();
        assert_eq!(err.code(), "RATE_LIMITED", "{err:?}");
    }
    // A success on one process clears the account for both.
    b.record_success("u1").await.unwrap();
    a.begin("u1", Some("192.0.2.1")).await.unwrap();

    // Address failures, alternating: 2 + 2 reach the limit of 4.
    for throttle in [&a, &b, &a, &b] {
        throttle.check(None, Some("198.51.100.7")).await.unwrap();
        throttle
            .record_failure(None, Some("198.51.100.7"))
            .await
            .unwrap();
    }
    for throttle in [&a, &b] {
        let err = throttle
            .check(None, Some("198.51.100.7"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "RATE_LIMITED", "{err:?}");
        throttle.check(None, Some("198.51.100.8")).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_guesses_on_two_processes_stop_at_one_limit() {
    let (first, guard) = common::fresh().await;
    let second = common::second_process(&guard).await;
    let throttles = throttles(&[Arc::new(first), Arc::new(second)]);
    let guesses: Vec<_> = (0..40)
        .map(|i| {
            let throttle = Arc::clone(&throttles[i % 2]);
            tokio::spawn(async move {
                let address = format!("192.0.2.{i}");
                throttle.begin("target", Some(&address)).await
            })
        })
        .collect();
    let mut passed = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            Ok(()) => passed += 1,
            Err(err) => assert_eq!(err.code(), "RATE_LIMITED", "{err:?}"),
        }
    }
    assert_eq!(passed, 3);
}

/// Holds a row lock on `id` in another session until dropped (rolled back),
/// so that a write to that user waits.
async fn lock_user(guard: &common::SchemaGuard, id: &UserId) -> PgConnection {
    let mut conn = common::admin(guard).await;
    conn.execute("BEGIN").await.unwrap();
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
        .bind(id.as_str())
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

/// The backends waiting on `locker`'s locks, once there is one.
async fn waiting_on(locker: &mut PgConnection) -> i32 {
    let locker_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *locker)
        .await
        .unwrap();
    let mut watcher = PgConnection::connect(&common::database_url())
        .await
        .unwrap();
    for _ in 0..200 {
        let waiting =
            sqlx::query("SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))")
                .bind(locker_pid)
                .fetch_optional(&mut watcher)
                .await
                .unwrap();
        if let Some(row) = waiting {
            return row.get("pid");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no statement ever waited on the lock");
}

fn update_of(u: &User) -> WriteOp {
    let mut changed = u.clone();
    changed.name = Some("Changed".into());
    changed.version += 1;
    WriteOp::UpdateUser {
        user: Box::new(changed),
        expected_version: u.version,
    }
}

fn assert_internal_and_opaque(err: &Error) {
    assert_eq!(err.code(), "INTERNAL", "{err:?}");
    assert_eq!(err.to_string(), "internal error");
    let debug = format!("{err:?}");
    for leak in ["UPDATE", "users", "SELECT", "version"] {
        assert!(!debug.contains(leak), "{debug} mentions {leak}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_is_internal_and_the_next_call_recovers() {
    let (storage, guard) = common::fresh().await;
    let storage = Arc::new(storage);
    let u = user("victim");
    storage
        .commit(vec![WriteOp::InsertUser(Box::new(u.clone()))])
        .await
        .unwrap();

    let mut locker = lock_user(&guard, &u.id).await;
    let pending = {
        let storage = Arc::clone(&storage);
        let op = update_of(&u);
        tokio::spawn(async move { storage.commit(vec![op]).await })
    };
    let victim = waiting_on(&mut locker).await;
    let mut killer = PgConnection::connect(&guard.url).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(victim)
        .execute(&mut killer)
        .await
        .unwrap();
    let err = pending.await.unwrap().unwrap_err();
    assert_internal_and_opaque(&err);
    locker.close().await.unwrap();

    // Nothing was written, and the pool serves the next calls.
    assert_eq!(storage.user(&u.id).await.unwrap().unwrap().name, None);
    storage.commit(vec![update_of(&u)]).await.unwrap();
    assert_eq!(
        storage.user(&u.id).await.unwrap().unwrap().name.as_deref(),
        Some("Changed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_past_its_timeout_is_internal() {
    let (plain, guard) = common::fresh().await;
    let u = user("slowpoke");
    plain
        .commit(vec![WriteOp::InsertUser(Box::new(u.clone()))])
        .await
        .unwrap();
    let hasty = common::with_timeout(&guard, Duration::from_millis(200)).await;

    let locker = lock_user(&guard, &u.id).await;
    let err = hasty.commit(vec![update_of(&u)]).await.unwrap_err();
    assert_internal_and_opaque(&err);
    locker.close().await.unwrap();

    hasty.commit(vec![update_of(&u)]).await.unwrap();
}
