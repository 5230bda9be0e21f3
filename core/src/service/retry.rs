//! Retrying a read-modify-write that lost a race: storage refused its write
//! because another write to the same record got in between
//! (`StaleVersion`). The change was not made conditional on a version by
//! the client, so it is re-read and re-applied until it lands; the writers
//! that collided wait a random time first, so that they spread out instead
//! of colliding again.

use std::time::Duration;

use rand::Rng;

use crate::error::{Error, Result};

/// How many times a read-modify-write is tried before the service gives up
/// with `CONFLICT`. With [`FIRST_WAIT`] and [`LONGEST_WAIT`] the waits add
/// up to at most about 1.3 s.
pub(super) const MAX_ATTEMPTS: usize = 20;

/// The longest wait after the first lost attempt; it doubles with each
/// further loss up to [`LONGEST_WAIT`].
const FIRST_WAIT: Duration = Duration::from_millis(1);
const LONGEST_WAIT: Duration = Duration::from_millis(100);

/// The attempts of one read-modify-write.
#[derive(Debug, Default)]
pub(super) struct Backoff {
    lost: usize,
}

impl Backoff {
    pub(super) fn new() -> Self {
        Backoff::default()
    }

    /// Whether an attempt lost already (so the next one must re-read).
    pub(super) fn retrying(&self) -> bool {
        self.lost > 0
    }

    /// Called when an attempt lost to another write: waits before the next
    /// one, a random time up to a ceiling that doubles with every loss
    /// ("full jitter"). `StaleVersion` (`CONFLICT`) once [`MAX_ATTEMPTS`]
    /// attempts have lost.
    pub(super) async fn lost(&mut self) -> Result<()> {
        self.lost += 1;
        if self.lost >= MAX_ATTEMPTS {
            return Err(Error::StaleVersion);
        }
        let ceiling = FIRST_WAIT
            .saturating_mul(1u32 << (self.lost - 1).min(16))
            .min(LONGEST_WAIT);
        let wait = rand::thread_rng().gen_range(Duration::ZERO..=ceiling);
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_grow_up_to_a_bound_then_give_up() {
        let started = tokio::time::Instant::now();
        let mut backoff = Backoff::new();
        assert!(!backoff.retrying());
        for _ in 1..MAX_ATTEMPTS {
            backoff.lost().await.unwrap();
        }
        assert!(backoff.retrying());
        let err = backoff.lost().await.unwrap_err();
        assert_eq!(err.code(), "CONFLICT");
        let waited = started.elapsed();
        // 1 + 2 + 4 + ... + 64 ms, then 100 ms for each further loss.
        let bound = Duration::from_millis(127 + 100 * (MAX_ATTEMPTS as u64 - 8));
        assert!(waited <= bound, "{waited:?}");
    }
}
