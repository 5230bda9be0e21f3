//! Counting failed credential checks (passwords, tokens) so that guessing
//! is slow: per account and per client address, in a sliding window, in
//! this process's memory. A restart forgets the counts, which is acceptable
//! for throttling (it only has to make guessing impractically slow), and
//! keeps every backend free of a write per failed attempt.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How many failures are allowed in `window` before further attempts are
/// refused with `RATE_LIMITED` (without checking the credential).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleSettings {
    /// Failures against one account (a user, or an identifier nobody has).
    pub max_failures_per_account: u32,
    /// Failures from one client address, whatever the account; the limit on
    /// spraying one password over many accounts.
    pub max_failures_per_address: u32,
    pub window: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        ThrottleSettings {
            max_failures_per_account: 5,
            max_failures_per_address: 50,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// The bucket of callers whose address the transport did not know.
const UNKNOWN_ADDRESS: &str = "unknown";
/// Keys tracked per kind (accounts, addresses). Past it, the key whose last
/// failure is oldest is forgotten, so memory stays bounded however many
/// accounts or addresses an attacker cycles through.
const MAX_TRACKED_KEYS: usize = 100_000;

/// The failure counters. Cheap to share: one per service.
#[derive(Debug)]
pub struct Throttle {
    settings: ThrottleSettings,
    max_keys: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    accounts: Failures,
    addresses: Failures,
}

/// Recent failure times per key, oldest first. A key keeps at most `limit`
/// entries: whether the limit is reached depends only on the latest ones.
#[derive(Debug, Default)]
struct Failures {
    by_key: HashMap<String, VecDeque<Instant>>,
}

impl Failures {
    /// How long until a failure ages out, when `key` is at `limit`.
    fn blocked_for(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: Instant,
    ) -> Option<Duration> {
        let times = self.by_key.get(key)?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let recent: Vec<&Instant> = times
            .iter()
            .filter(|at| now.saturating_duration_since(**at) < window)
            .collect();
        if recent.len() < limit.max(1) {
            return None;
        }
        // The count drops below the limit when the oldest counted failure
        // leaves the window.
        let oldest = recent.get(recent.len() - limit.max(1))?;
        Some(window.saturating_sub(now.saturating_duration_since(**oldest)))
    }

    fn record(&mut self, key: &str, limit: u32, window: Duration, max_keys: usize, now: Instant) {
        if !self.by_key.contains_key(key) && self.by_key.len() >= max_keys {
            self.make_room(window, max_keys, now);
        }
        let keep = usize::try_from(limit).unwrap_or(usize::MAX).max(1);
        let times = self.by_key.entry(key.to_owned()).or_default();
        times.push_back(now);
        while times.len() > keep {
            times.pop_front();
        }
    }

    /// Drops keys with no failure in the window; if every key is still
    /// live, the one whose latest failure is oldest.
    fn make_room(&mut self, window: Duration, max_keys: usize, now: Instant) {
        self.by_key.retain(|_, times| {
            times
                .back()
                .is_some_and(|at| now.saturating_duration_since(*at) < window)
        });
        if self.by_key.len() < max_keys {
            return;
        }
        let stalest = self
            .by_key
            .iter()
            .min_by_key(|(_, times)| times.back().copied())
            .map(|(key, _)| key.clone());
        if let Some(key) = stalest {
            self.by_key.remove(&key);
        }
    }

    fn clear(&mut self, key: &str) {
        self.by_key.remove(key);
    }
}

impl Throttle {
    pub fn new(settings: ThrottleSettings) -> Self {
        Self::with_capacity(settings, MAX_TRACKED_KEYS)
    }

    fn with_capacity(settings: ThrottleSettings, max_keys: usize) -> Self {
        Throttle {
            settings,
            max_keys,
            state: Mutex::new(State::default()),
        }
    }

    pub fn settings(&self) -> &ThrottleSettings {
        &self.settings
    }

    /// `RATE_LIMITED` (with the time until one failure ages out) when the
    /// account or the address has reached its limit. Called before the
    /// credential is checked, so a blocked guess costs nothing and reveals
    /// nothing.
    pub fn check(&self, account: Option<&str>, address: Option<&str>) -> Result<()> {
        self.check_at(account, address, Instant::now())
    }

    /// Checks like [`Throttle::check`] and, in the same critical section,
    /// counts the attempt as a failure of `account` until
    /// [`Throttle::record_success`] clears it. Counting before the
    /// credential is checked closes the gap in which parallel guesses at one
    /// account would all pass the check before any of them failed. The
    /// caller still reports a failure with `record_failure(None, address)`
    /// for the address's count.
    pub fn begin(&self, account: &str, address: Option<&str>) -> Result<()> {
        let now = Instant::now();
        let mut state = self.lock();
        Self::check_state(&state, &self.settings, Some(account), address, now)?;
        let settings = self.settings;
        state.accounts.record(
            account,
            settings.max_failures_per_account,
            settings.window,
            self.max_keys,
            now,
        );
        Ok(())
    }

    pub fn record_failure(&self, account: Option<&str>, address: Option<&str>) {
        self.record_failure_at(account, address, Instant::now());
    }

    /// The account's owner proved who they are: forget its failures. The
    /// address keeps its count, or one correct password would reset a
    /// spraying attacker's budget.
    pub fn record_success(&self, account: &str) {
        self.lock().accounts.clear(account);
    }

    fn check_at(&self, account: Option<&str>, address: Option<&str>, now: Instant) -> Result<()> {
        Self::check_state(&self.lock(), &self.settings, account, address, now)
    }

    fn check_state(
        state: &State,
        settings: &ThrottleSettings,
        account: Option<&str>,
        address: Option<&str>,
        now: Instant,
    ) -> Result<()> {
        let ThrottleSettings {
            max_failures_per_account,
            max_failures_per_address,
            window,
        } = *settings;
        let by_account = account.and_then(|key| {
            state
                .accounts
                .blocked_for(key, max_failures_per_account, window, now)
        });
        let by_address = state.addresses.blocked_for(
            address.unwrap_or(UNKNOWN_ADDRESS),
            max_failures_per_address,
            window,
            now,
        );
        match by_account.into_iter().chain(by_address).max() {
            Some(wait) => Err(Error::RateLimited {
                retry_after: Some(wait.max(Duration::from_secs(1))),
            }),
            None => Ok(()),
        }
    }

    fn record_failure_at(&self, account: Option<&str>, address: Option<&str>, now: Instant) {
        let settings = self.settings;
        let max_keys = self.max_keys;
        let mut state = self.lock();
        if let Some(key) = account {
            let limit = settings.max_failures_per_account;
            state
                .accounts
                .record(key, limit, settings.window, max_keys, now);
        }
        let address = address.unwrap_or(UNKNOWN_ADDRESS);
        let limit = settings.max_failures_per_address;
        state
            .addresses
            .record(address, limit, settings.window, max_keys, now);
    }

    /// Counters stay usable after a panic elsewhere: they hold no invariant
    /// a half-finished update could break.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn tracked(&self) -> (usize, usize) {
        let state = self.lock();
        (state.accounts.by_key.len(), state.addresses.by_key.len())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn throttle() -> Throttle {
        Throttle::new(ThrottleSettings {
            max_failures_per_account: 5,
            max_failures_per_address: 8,
            window: 15 * MINUTE,
        })
    }

    fn retry_after(result: Result<()>) -> Duration {
        match result {
            Err(Error::RateLimited {
                retry_after: Some(wait),
            }) => wait,
            other => panic!("expected RATE_LIMITED, got {other:?}"),
        }
    }

    #[test]
    fn the_sixth_attempt_after_five_failures_is_refused() {
        let t = throttle();
        let start = Instant::now();
        for i in 0..5 {
            t.check_at(Some("u1"), Some("192.0.2.1"), start).unwrap();
            t.record_failure_at(Some("u1"), Some("192.0.2.1"), start + i * MINUTE);
        }
        let now = start + 5 * MINUTE;
        let wait = retry_after(t.check_at(Some("u1"), Some("192.0.2.1"), now));
        // The first failure (at start) ages out 15 minutes after it.
        assert_eq!(wait, 10 * MINUTE);
        // Another account from the same address is still fine.
        t.check_at(Some("u2"), Some("192.0.2.1"), now).unwrap();
        // The same account from another address is not: the account counts.
        assert!(t.check_at(Some("u1"), Some("198.51.100.7"), now).is_err());
    }

    #[test]
    fn failures_age_out_of_the_window() {
        let t = throttle();
        let start = Instant::now();
        for i in 0..5 {
            t.record_failure_at(Some("u1"), None, start + i * MINUTE);
        }
        assert!(t.check_at(Some("u1"), None, start + 14 * MINUTE).is_err());
        // At 15 minutes the first failure leaves the window: 4 remain.
        t.check_at(Some("u1"), None, start + 15 * MINUTE).unwrap();
        t.record_failure_at(Some("u1"), None, start + 15 * MINUTE);
        assert!(t.check_at(Some("u1"), None, start + 15 * MINUTE).is_err());
    }

    #[test]
    fn a_success_clears_the_account_but_not_the_address() {
        let t = throttle();
        let now = Instant::now();
        for _ in 0..5 {
            t.record_failure_at(Some("u1"), Some("a"), now);
        }
        t.record_success("u1");
        t.check_at(Some("u1"), Some("b"), now).unwrap();
        for _ in 0..3 {
            t.record_failure_at(Some("u2"), Some("a"), now);
        }
        // 8 failures from address "a" in all, across two accounts.
        assert!(t.check_at(Some("u3"), Some("a"), now).is_err());
        t.check_at(Some("u3"), Some("b"), now).unwrap();
    }

    #[test]
    fn callers_without_an_address_share_one_bucket() {
        let t = throttle();
        let now = Instant::now();
        for i in 0..8 {
            t.record_failure_at(Some(&format!("u{i}")), None, now);
        }
        assert!(t.check_at(Some("fresh"), None, now).is_err());
        t.check_at(Some("fresh"), Some("192.0.2.1"), now).unwrap();
        // Address-only checks (token authentication) count the same way.
        assert!(t.check_at(None, None, now).is_err());
    }

    #[test]
    fn memory_stays_bounded() {
        let t = Throttle::with_capacity(ThrottleSettings::default(), 10);
        let start = Instant::now();
        for i in 0..100 {
            let key = format!("u{i}");
            t.record_failure_at(Some(&key), Some(&key), start);
        }
        assert_eq!(t.tracked(), (10, 10));
        // Expired keys make room first, so live ones survive a new key.
        let later = start + 16 * MINUTE;
        for i in 0..3 {
            t.record_failure_at(Some("live"), Some("live"), later + i * MINUTE);
        }
        t.record_failure_at(Some("new"), Some("new"), later + 4 * MINUTE);
        assert_eq!(t.tracked(), (2, 2));
        // A key never holds more entries than its limit needs.
        let state = t.lock();
        assert!(state.accounts.by_key.values().all(|times| times.len() <= 5));
    }

    #[test]
    fn parallel_attempts_at_one_account_are_counted_before_they_finish() {
        let t = throttle();
        // Five attempts in flight, none finished: the sixth is refused.
        for _ in 0..5 {
            t.begin("u1", Some("192.0.2.1")).unwrap();
        }
        assert!(t.begin("u1", Some("192.0.2.9")).is_err());
        // One of them succeeds: the account's count is cleared.
        t.record_success("u1");
        t.begin("u1", Some("192.0.2.1")).unwrap();
    }
}
