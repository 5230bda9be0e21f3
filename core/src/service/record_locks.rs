//! Writers of one record in this process take turns: a read-modify-write
//! of a user waits for the one before it instead of racing it. Without
//! this, writers kept hammering one user lose to each other again and again
//! and, after the retries run out, get `CONFLICT`. Races with other
//! processes (several instances on PostgreSQL) are still settled by the
//! stored version and the retries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::sync::OwnedMutexGuard;

/// Above this many remembered records, the ones nobody holds are forgotten.
const SWEEP_AT: usize = 1024;

#[derive(Debug, Default)]
pub(super) struct RecordLocks {
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl RecordLocks {
    /// Waits for the turn of `key`, held until the guard is dropped.
    pub(super) async fn turn(&self, key: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            if locks.len() >= SWEEP_AT {
                locks.retain(|_, lock| lock.strong_count() > 0);
            }
            match locks.get(key).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    locks.insert(key.to_owned(), Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn one_key_at_a_time_other_keys_free() {
        let locks = Arc::new(RecordLocks::default());
        let held = locks.turn("a").await;
        // Another key is free.
        let other = tokio::time::timeout(Duration::from_millis(100), locks.turn("b")).await;
        assert!(other.is_ok(), "another key waits for nothing");
        // The same key waits until the holder lets go.
        let waiting = {
            let locks = Arc::clone(&locks);
            tokio::spawn(async move { locks.turn("a").await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the second writer waits its turn");
        drop(held);
        let turn = tokio::time::timeout(Duration::from_secs(1), waiting).await;
        assert!(matches!(turn, Ok(Ok(_))), "then it gets it");
    }
}
