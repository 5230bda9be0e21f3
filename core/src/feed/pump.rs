//! The feed of a store that several processes write (PostgreSQL): every
//! time the store signals a commit with log entries, by any process, the
//! entries after the last one released are read from the store, oldest
//! first, and released. The store keeps entries in commit order, so that
//! read misses none; a signal after a lost connection closes the gap the
//! same way.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::watch;

use super::LogFeed;
use crate::error::Result;
use crate::query::{LogFilter, LogSearch, LogSortKey};
use crate::storage::Storage;

/// Entries read at a time.
const PAGE: usize = 256;

/// How long the pump waits before reading again after the store failed.
const RETRY: Duration = Duration::from_secs(1);

/// Starts the pump on the current Tokio runtime. It ends when the store's
/// signal does, or once the services over the store are gone: it holds
/// the store only while it reads, so that the store closes with them.
pub(crate) fn spawn(storage: &Arc<dyn Storage>, feed: LogFeed, signal: watch::Receiver<u64>) {
    tokio::spawn(run(Arc::downgrade(storage), feed, signal));
}

async fn run(storage: Weak<dyn Storage>, feed: LogFeed, mut signal: watch::Receiver<u64>) {
    // Subscribers replay what was committed before the pump started.
    loop {
        let Some(store) = storage.upgrade() else {
            return;
        };
        let read = newest(store.as_ref()).await;
        drop(store);
        match read {
            Ok(newest) => {
                feed.start_after(newest);
                break;
            }
            Err(error) => {
                tracing::warn!(%error, "live feed: cannot read the newest log entry; retrying");
                tokio::time::sleep(RETRY).await;
            }
        }
    }
    loop {
        let Some(store) = storage.upgrade() else {
            return;
        };
        let read = catch_up(store.as_ref(), &feed).await;
        drop(store);
        if let Err(error) = read {
            tracing::warn!(%error, "live feed: cannot read new log entries; retrying");
            tokio::time::sleep(RETRY).await;
            continue;
        }
        if signal.changed().await.is_err() {
            return;
        }
    }
}

async fn newest(storage: &dyn Storage) -> Result<Option<LogSortKey>> {
    let page = storage
        .search_logs(&LogSearch {
            filter: LogFilter::default(),
            after: None,
            limit: 1,
            count_limit: None,
            oldest_first: false,
        })
        .await?;
    Ok(page.items.first().map(crate::eval::log_sort_key))
}

/// Releases every stored entry after the last one released.
async fn catch_up(storage: &dyn Storage, feed: &LogFeed) -> Result<()> {
    loop {
        let after = feed
            .released()
            .map(|(created_at, id)| LogSortKey { created_at, id });
        let page = storage
            .search_logs(&LogSearch {
                filter: LogFilter::default(),
                after,
                limit: PAGE,
                count_limit: None,
                oldest_first: true,
            })
            .await?;
        let full = page.items.len() == PAGE;
        feed.release_stored(page.items);
        if !full {
            return Ok(());
        }
    }
}
