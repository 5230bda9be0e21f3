//! Where failure times are kept: [`AttemptStore`]. Stores keep and return
//! times; what they mean (the limit, the window, how long to wait) is
//! decided here once, by [`blocked_for`], whichever store holds them.

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;
use chrono::TimeDelta;

use crate::error::Result;
use crate::time::Timestamp;

/// Which counter a key belongs to. The same text may be a key of both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttemptKind {
    /// A user, or an identifier nobody has.
    Account,
    /// A client address.
    Address,
}

impl AttemptKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Account => "account",
            AttemptKind::Address => "address",
        }
    }
}

/// Which of a key's failures still matter when one is recorded: those after
/// `since` (the start of the window), and of them only the `keep` latest
/// (the limit: more cannot change the answer). A store may drop the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retain {
    pub since: Timestamp,
    pub keep: u32,
}

/// Failure times per key. The in-memory store is the default; a backend
/// whose data several processes share (PostgreSQL) offers one through
/// [`crate::Storage::shared_attempts`], so that the limits hold across all
/// of them.
#[async_trait]
pub trait AttemptStore: Send + Sync + Debug + 'static {
    /// The failure times kept for `key`, in any order; empty when none.
    async fn failures(&self, kind: AttemptKind, key: &str) -> Result<Vec<Timestamp>>;

    /// Adds a failure of `key` at `at`, keeping what `retain` asks.
    async fn record(
        &self,
        kind: AttemptKind,
        key: &str,
        at: Timestamp,
        retain: Retain,
    ) -> Result<()>;

    /// Adds a failure of `key` at `at` only when `key` has fewer than
    /// `retain.keep` failures after `retain.since`, and answers `None`;
    /// otherwise records nothing and answers the failures as
    /// [`AttemptStore::failures`] would. Atomic per key: of concurrent calls
    /// for one key, from any process sharing the store, no more are let
    /// through than the limit allows.
    async fn record_if_fewer(
        &self,
        kind: AttemptKind,
        key: &str,
        at: Timestamp,
        retain: Retain,
    ) -> Result<Option<Vec<Timestamp>>>;

    /// Forgets `key`'s failures.
    async fn clear(&self, kind: AttemptKind, key: &str) -> Result<()>;
}

/// The start of the window that ends at `now`: failures after it count.
pub(super) fn window_start(now: Timestamp, window: Duration) -> Timestamp {
    TimeDelta::from_std(window)
        .ok()
        .and_then(|window| now.checked_sub_signed(window))
        .unwrap_or(Timestamp::MIN_UTC)
}

/// How long until `key` may try again, given its failure times: `None`
/// while fewer than `limit` fall in the window ending at `now`; otherwise
/// the time until the oldest of the latest `limit` leaves the window (then
/// the count drops below the limit).
pub(super) fn blocked_for(
    failures: &[Timestamp],
    limit: u32,
    window: Duration,
    now: Timestamp,
) -> Option<Duration> {
    let since = window_start(now, window);
    let mut recent: Vec<Timestamp> = failures.iter().copied().filter(|at| *at > since).collect();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX).max(1);
    if recent.len() < limit {
        return None;
    }
    // Stores shared by several processes may return them out of order.
    recent.sort_unstable();
    let oldest = recent.get(recent.len() - limit)?;
    let age = (now - *oldest).to_std().unwrap_or(Duration::ZERO);
    Some(window.saturating_sub(age))
}
