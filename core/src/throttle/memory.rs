//! Failure times in this process's memory: the default [`AttemptStore`].
//! A restart forgets them, which is acceptable for throttling (it only has
//! to make guessing impractically slow), and keeps the embedded backends
//! free of a write per failed attempt.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use super::store::{AttemptKind, AttemptStore, Retain};
use crate::error::Result;
use crate::time::Timestamp;

/// Keys tracked per kind (accounts, addresses). Past it, the key whose last
/// failure is oldest is forgotten, so memory stays bounded however many
/// accounts or addresses an attacker cycles through.
const MAX_TRACKED_KEYS: usize = 100_000;

#[derive(Debug)]
pub struct MemoryAttempts {
    max_keys: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    accounts: Failures,
    addresses: Failures,
}

impl State {
    fn of(&mut self, kind: AttemptKind) -> &mut Failures {
        match kind {
            AttemptKind::Account => &mut self.accounts,
            AttemptKind::Address => &mut self.addresses,
        }
    }
}

/// Recent failure times per key, oldest first. A key keeps at most
/// `retain.keep` entries: whether the limit is reached depends only on the
/// latest ones.
#[derive(Debug, Default)]
struct Failures {
    by_key: HashMap<String, VecDeque<Timestamp>>,
}

impl Failures {
    fn times(&self, key: &str) -> Vec<Timestamp> {
        self.by_key
            .get(key)
            .map(|times| times.iter().copied().collect())
            .unwrap_or_default()
    }

    fn recent(&self, key: &str, since: Timestamp) -> usize {
        self.by_key
            .get(key)
            .map_or(0, |times| times.iter().filter(|at| **at > since).count())
    }

    fn record(&mut self, key: &str, at: Timestamp, retain: Retain, max_keys: usize) {
        if !self.by_key.contains_key(key) && self.by_key.len() >= max_keys {
            self.make_room(retain.since, max_keys);
        }
        let keep = usize::try_from(retain.keep).unwrap_or(usize::MAX).max(1);
        let times = self.by_key.entry(key.to_owned()).or_default();
        times.push_back(at);
        while times.len() > keep {
            times.pop_front();
        }
    }

    /// Drops keys with no failure after `since`; if every key is still
    /// live, the one whose latest failure is oldest.
    fn make_room(&mut self, since: Timestamp, max_keys: usize) {
        self.by_key
            .retain(|_, times| times.back().is_some_and(|at| *at > since));
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
}

impl Default for MemoryAttempts {
    fn default() -> Self {
        Self::with_capacity(MAX_TRACKED_KEYS)
    }
}

impl MemoryAttempts {
    pub fn new() -> Self {
        Self::default()
    }

    fn with_capacity(max_keys: usize) -> Self {
        MemoryAttempts {
            max_keys,
            state: Mutex::new(State::default()),
        }
    }

    /// Counters stay usable after a panic elsewhere: they hold no invariant
    /// a half-finished update could break.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl AttemptStore for MemoryAttempts {
    async fn failures(&self, kind: AttemptKind, key: &str) -> Result<Vec<Timestamp>> {
        Ok(self.lock().of(kind).times(key))
    }

    async fn record(
        &self,
        kind: AttemptKind,
        key: &str,
        at: Timestamp,
        retain: Retain,
    ) -> Result<()> {
        let max_keys = self.max_keys;
        self.lock().of(kind).record(key, at, retain, max_keys);
        Ok(())
    }

    async fn record_if_fewer(
        &self,
        kind: AttemptKind,
        key: &str,
        at: Timestamp,
        retain: Retain,
    ) -> Result<Option<Vec<Timestamp>>> {
        let max_keys = self.max_keys;
        let mut state = self.lock();
        let failures = state.of(kind);
        let limit = usize::try_from(retain.keep).unwrap_or(usize::MAX).max(1);
        if failures.recent(key, retain.since) >= limit {
            return Ok(Some(failures.times(key)));
        }
        failures.record(key, at, retain, max_keys);
        Ok(None)
    }

    async fn clear(&self, kind: AttemptKind, key: &str) -> Result<()> {
        self.lock().of(kind).by_key.remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::time::Duration;

    use super::*;
    use crate::throttle::{Throttle, ThrottleSettings};

    const MINUTE: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn memory_stays_bounded() {
        let store = std::sync::Arc::new(MemoryAttempts::with_capacity(10));
        let t = Throttle::with_store(ThrottleSettings::default(), store.clone());
        let start = crate::time::now();
        for i in 0..100 {
            let key = format!("u{i}");
            t.record_failure_at(Some(&key), Some(&key), start)
                .await
                .unwrap();
        }
        let tracked = |store: &MemoryAttempts| {
            let state = store.lock();
            (state.accounts.by_key.len(), state.addresses.by_key.len())
        };
        assert_eq!(tracked(&store), (10, 10));
        // Expired keys make room first, so live ones survive a new key.
        let later = start + 16 * MINUTE;
        for i in 0..3 {
            t.record_failure_at(Some("live"), Some("live"), later + i * MINUTE)
                .await
                .unwrap();
        }
        t.record_failure_at(Some("new"), Some("new"), later + 4 * MINUTE)
            .await
            .unwrap();
        assert_eq!(tracked(&store), (2, 2));
        // A key never holds more entries than its limit needs.
        for _ in 0..20 {
            t.record_failure_at(Some("live"), None, later + 5 * MINUTE)
                .await
                .unwrap();
        }
        let state = store.lock();
        assert!(state.accounts.by_key.values().all(|times| times.len() <= 5));
    }
}
