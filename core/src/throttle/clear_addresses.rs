//! Client addresses this process found under their failure limit moments
//! ago, for the check every request with a token makes. With a store shared
//! by several processes (PostgreSQL's) that check was a database round trip
//! on every authenticated request, as costly as the request's own read.
//!
//! A failure counted through this process forgets the address before the
//! call that counted it returns, so on one process the next attempt reads
//! the store again and meets the limit exactly. Failures another process
//! counted are seen when the address is next read: within the time to live.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Most addresses remembered at once; past it, expired ones are dropped,
/// and if that frees nothing, all of them.
const MAX_ADDRESSES: usize = 10_000;

#[derive(Debug)]
pub(super) struct ClearAddresses {
    ttl: Duration,
    /// Bumped by every forgotten address: a read of the store that started
    /// before a failure was counted must not be remembered after it.
    generation: AtomicU64,
    seen: Mutex<HashMap<String, Instant>>,
}

impl ClearAddresses {
    pub(super) fn new(ttl: Duration) -> Self {
        ClearAddresses {
            ttl,
            generation: AtomicU64::new(0),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The generation to pass to [`ClearAddresses::remember`] for what the
    /// store answers after this call.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether `address` was found under its limit within the time to live.
    pub(super) fn is_clear(&self, address: &str) -> bool {
        self.lock()
            .get(address)
            .is_some_and(|at| at.elapsed() < self.ttl)
    }

    /// Remembers that the store, read after [`ClearAddresses::generation`]
    /// returned `generation`, found `address` under its limit.
    pub(super) fn remember(&self, address: &str, generation: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut seen = self.lock();
        // Checked under the lock `forget` bumps under: a read that raced a
        // failure either fails this or is removed after it.
        if generation != self.generation() {
            return;
        }
        if seen.len() >= MAX_ADDRESSES && !seen.contains_key(address) {
            let ttl = self.ttl;
            seen.retain(|_, at| at.elapsed() < ttl);
            if seen.len() >= MAX_ADDRESSES {
                seen.clear();
            }
        }
        seen.insert(address.to_owned(), Instant::now());
    }

    /// A failure of `address` is being counted: it is read from the store
    /// again next time.
    pub(super) fn forget(&self, address: &str) {
        let mut seen = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        seen.remove(address);
    }

    /// Usable after a panic elsewhere: a lost entry only costs a read.
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_raced_a_failure_is_not_remembered() {
        let clear = ClearAddresses::new(Duration::from_secs(60));
        let before = clear.generation();
        clear.forget("203.0.113.5");
        clear.remember("203.0.113.5", before);
        assert!(!clear.is_clear("203.0.113.5"));
        clear.remember("203.0.113.5", clear.generation());
        assert!(clear.is_clear("203.0.113.5"));
        assert!(!clear.is_clear("203.0.113.6"));
    }

    #[test]
    fn memory_stays_bounded() {
        let clear = ClearAddresses::new(Duration::from_secs(60));
        for i in 0..MAX_ADDRESSES + 10 {
            clear.remember(&format!("10.0.{}.{}", i / 256, i % 256), clear.generation());
        }
        assert!(clear.lock().len() <= MAX_ADDRESSES);
    }

    #[test]
    fn a_zero_time_to_live_remembers_nothing() {
        let clear = ClearAddresses::new(Duration::ZERO);
        clear.remember("203.0.113.5", clear.generation());
        assert!(!clear.is_clear("203.0.113.5"));
    }
}
