//! The throttle over the failure counters a service on this store uses:
//! the backend's shared ones (PostgreSQL's) or the in-memory default. Every
//! store must give the same answers: the same limits, the same sliding
//! window, the same `retryAfter`, and no more parallel guesses at one
//! account than its limit.

use std::sync::Arc;
use std::time::Duration;

use usergraph_core::throttle::{Throttle, ThrottleSettings, attempts_for};
use usergraph_core::{Error, Result, Timestamp};

use crate::Fixture;

const MINUTE: Duration = Duration::from_secs(60);

fn throttle(fixture: &Fixture) -> Throttle {
    Throttle::with_store(
        ThrottleSettings {
            max_failures_per_account: 5,
            max_failures_per_address: 8,
            window: 15 * MINUTE,
        },
        attempts_for(fixture.storage().as_ref()),
    )
}

fn start() -> Timestamp {
    usergraph_core::time::now()
}

#[track_caller]
fn retry_after(result: Result<()>) -> Duration {
    match result {
        Err(Error::RateLimited {
            retry_after: Some(wait),
        }) => wait,
        other => panic!("expected RATE_LIMITED, got {other:?}"),
    }
}

pub async fn the_sixth_attempt_after_five_failures_is_refused(fixture: Fixture) {
    let t = throttle(&fixture);
    let start = start();
    for i in 0..5 {
        let at = start + i * MINUTE;
        t.check_at(Some("u1"), Some("192.0.2.1"), at).await.unwrap();
        t.record_failure_at(Some("u1"), Some("192.0.2.1"), at)
            .await
            .unwrap();
    }
    let now = start + 5 * MINUTE;
    let wait = retry_after(t.check_at(Some("u1"), Some("192.0.2.1"), now).await);
    // The first failure (at start) ages out 15 minutes after it.
    assert_eq!(wait, 10 * MINUTE);
    // Another account from the same address is still fine.
    t.check_at(Some("u2"), Some("192.0.2.1"), now)
        .await
        .unwrap();
    // The same account from another address is not: the account counts.
    let wait = retry_after(t.check_at(Some("u1"), Some("198.51.100.7"), now).await);
    assert_eq!(wait, 10 * MINUTE);
    // `begin` refuses the same way, and counts nothing while refusing.
    let wait = retry_after(t.begin_at("u1", Some("198.51.100.7"), now).await);
    assert_eq!(wait, 10 * MINUTE);
    t.check_at(Some("u1"), None, start + 15 * MINUTE)
        .await
        .unwrap();
}

pub async fn failures_age_out_of_the_window(fixture: Fixture) {
    let t = throttle(&fixture);
    let start = start();
    for i in 0..5 {
        t.record_failure_at(Some("u1"), None, start + i * MINUTE)
            .await
            .unwrap();
    }
    let wait = retry_after(t.check_at(Some("u1"), None, start + 14 * MINUTE).await);
    assert_eq!(wait, MINUTE);
    // At 15 minutes the first failure leaves the window: 4 remain.
    t.check_at(Some("u1"), None, start + 15 * MINUTE)
        .await
        .unwrap();
    t.record_failure_at(Some("u1"), None, start + 15 * MINUTE)
        .await
        .unwrap();
    // Five again; the oldest of them (at 1 minute) leaves at 16.
    let wait = retry_after(t.check_at(Some("u1"), None, start + 15 * MINUTE).await);
    assert_eq!(wait, MINUTE);
    // Long after, everything has aged out, and a new count starts.
    let later = start + 60 * MINUTE;
    t.check_at(Some("u1"), None, later).await.unwrap();
    for _ in 0..5 {
        t.begin_at("u1", None, later).await.unwrap();
    }
    let wait = retry_after(t.begin_at("u1", None, later).await);
    assert_eq!(wait, 15 * MINUTE);
}

/// A wait under a second is rounded up: `retryAfter` is in whole seconds
/// and never zero.
pub async fn the_wait_is_at_least_a_second(fixture: Fixture) {
    let t = throttle(&fixture);
    let start = start();
    for _ in 0..5 {
        t.record_failure_at(Some("u1"), None, start).await.unwrap();
    }
    let almost = start + 15 * MINUTE - Duration::from_millis(300);
    let wait = retry_after(t.check_at(Some("u1"), None, almost).await);
    assert_eq!(wait, Duration::from_secs(1));
}

pub async fn a_success_clears_the_account_but_not_the_address(fixture: Fixture) {
    let t = throttle(&fixture);
    let now = start();
    for _ in 0..5 {
        t.record_failure_at(Some("u1"), Some("a"), now)
            .await
            .unwrap();
    }
    t.record_success("u1").await.unwrap();
    t.check_at(Some("u1"), Some("b"), now).await.unwrap();
    for _ in 0..3 {
        t.record_failure_at(Some("u2"), Some("a"), now)
            .await
            .unwrap();
    }
    // 8 failures from address "a" in all, across two accounts.
    assert!(t.check_at(Some("u3"), Some("a"), now).await.is_err());
    assert!(t.begin_at("u3", Some("a"), now).await.is_err());
    t.check_at(Some("u3"), Some("b"), now).await.unwrap();
}

pub async fn callers_without_an_address_share_one_bucket(fixture: Fixture) {
    let t = throttle(&fixture);
    let now = start();
    for i in 0..8 {
        t.record_failure_at(Some(&format!("u{i}")), None, now)
            .await
            .unwrap();
    }
    assert!(t.check_at(Some("fresh"), None, now).await.is_err());
    t.check_at(Some("fresh"), Some("192.0.2.1"), now)
        .await
        .unwrap();
    // Address-only checks (token authentication) count the same way.
    assert!(t.check_at(None, None, now).await.is_err());
}

/// An account key and an address key with the same text count apart.
pub async fn accounts_and_addresses_count_apart(fixture: Fixture) {
    let t = throttle(&fixture);
    let now = start();
    for _ in 0..5 {
        t.begin_at("same", Some("elsewhere"), now).await.unwrap();
    }
    assert!(t.check_at(Some("same"), Some("x"), now).await.is_err());
    t.check_at(None, Some("same"), now).await.unwrap();
}

pub async fn parallel_attempts_at_one_account_are_counted_before_they_finish(fixture: Fixture) {
    let t = throttle(&fixture);
    let now = start();
    // Five attempts in flight, none finished: the sixth is refused.
    for _ in 0..5 {
        t.begin_at("u1", Some("192.0.2.1"), now).await.unwrap();
    }
    assert!(t.begin_at("u1", Some("192.0.2.9"), now).await.is_err());
    // One of them succeeds: the account's count is cleared.
    t.record_success("u1").await.unwrap();
    t.begin_at("u1", Some("192.0.2.1"), now).await.unwrap();
}

/// Twenty guesses at one account at once, from different addresses: the
/// store lets exactly the limit through.
pub async fn concurrent_attempts_at_one_account_stop_at_the_limit(fixture: Fixture) {
    let t = Arc::new(throttle(&fixture));
    let now = start();
    let attempts: Vec<_> = (0..20)
        .map(|i| {
            let t = Arc::clone(&t);
            tokio::spawn(async move {
                let address = format!("192.0.2.{i}");
                t.begin_at("target", Some(&address), now).await
            })
        })
        .collect();
    let mut passed = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(()) => passed += 1,
            Err(err) => assert_eq!(err.code(), "RATE_LIMITED", "{err:?}"),
        }
    }
    assert_eq!(passed, 5);
}
