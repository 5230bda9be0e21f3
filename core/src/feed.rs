//! The committed audit log as a live stream: what `logAdded` and
//! `userChanged` subscriptions are built from. Every change and every
//! authentication event writes a log entry in the transaction that makes
//! it, so the entries committed, in order, are the one stream of events.
//!
//! Entries are released to subscribers in the order a `logs` list sorts
//! them (`createdAt`, then id), and never before every entry that sorts
//! before them is committed or failed. That is what makes a cursor a
//! position to resume from: an entry that could still appear behind a
//! delivered one would be skipped by a client resuming after it. To keep
//! waits short, each commit's entries are stamped on their way to storage
//! with a time later than every entry stamped before (an entry made a few
//! milliseconds before a concurrent one but committed after it is moved
//! after it), and the stamps in flight hold back only the entries that
//! sort after them.
//!
//! On a store only this process writes (redb, sled), the feed is fed by
//! this process's commits. On a store several processes write
//! (PostgreSQL, see [`crate::Storage::log_commits`]), it reads every
//! commit from the store when the store signals one, whichever process
//! made it ([`pump`]); the store keeps entries in commit order there.

mod pump;
mod storage;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::TimeDelta;
use tokio::sync::{broadcast, watch};

use crate::ids::LogId;
use crate::model::LogEntry;
use crate::storage::WriteOp;
use crate::time::Timestamp;

pub(crate) use pump::spawn as spawn_pump;
pub use storage::FeedingStorage;

/// Where an entry sorts in the log: `(createdAt, id)`, oldest first.
pub type Position = (Timestamp, LogId);

/// How many released entries a subscriber may fall behind by default
/// before it is told it lagged.
pub const DEFAULT_BUFFER: usize = 4096;

/// The position of `entry`.
pub fn position(entry: &LogEntry) -> Position {
    (entry.created_at, entry.id.clone())
}

/// The time `entry` must be written with to sort after `floor` (the
/// newest entry already committed, or stamped): `None` when it sorts after
/// it as it is, else 1 µs after the floor's time. The one rule that keeps
/// log entries in the order they are committed, applied by this process to
/// its own commits and by stores that several processes write
/// ([`crate::Storage::log_commits`]) under their lock.
pub fn time_after(entry: &LogEntry, floor: &Position) -> Option<Timestamp> {
    let (floor_at, floor_id) = floor;
    ((entry.created_at, &entry.id) <= (*floor_at, floor_id))
        .then(|| *floor_at + TimeDelta::microseconds(1))
}

/// The live stream of committed log entries of one service. Cheap to
/// clone: clones share the stream.
#[derive(Clone, Debug)]
pub struct LogFeed {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
    sender: broadcast::Sender<Arc<LogEntry>>,
    /// False until a feed read from the store knows where the store was
    /// when it started: a subscription begun before would not know what
    /// to replay.
    started: watch::Sender<bool>,
}

#[derive(Debug, Default)]
struct State {
    /// The last entry stamped: the floor of the next.
    last_stamp: Option<Position>,
    /// Entries on their way to storage.
    pending: BTreeSet<Position>,
    /// Committed entries waiting for an earlier pending one.
    ready: BTreeMap<Position, LogEntry>,
    /// The last entry released; every entry before it has been released
    /// or has failed.
    released: Option<Position>,
}

/// A subscription to the feed: entries released after `released`, which
/// storage holds every earlier one of.
#[derive(Debug)]
pub struct Subscription {
    pub receiver: broadcast::Receiver<Arc<LogEntry>>,
    /// The last entry released before the subscription began, if any.
    pub released: Option<Position>,
}

/// The entries of one commit, stamped and pending until it finishes.
#[derive(Debug, Default)]
pub(crate) struct Stamped {
    /// One list per group of the commit.
    groups: Vec<Vec<LogEntry>>,
}

impl Stamped {
    pub(crate) fn is_empty(&self) -> bool {
        self.groups.iter().all(Vec::is_empty)
    }
}

impl Default for LogFeed {
    fn default() -> Self {
        LogFeed::new(DEFAULT_BUFFER)
    }
}

impl LogFeed {
    /// A feed whose subscribers may fall `buffer` entries behind (at least
    /// one) before they are told they lagged.
    pub fn new(buffer: usize) -> Self {
        let (sender, _) = broadcast::channel(buffer.max(1));
        LogFeed {
            inner: Arc::new(Inner {
                state: Mutex::default(),
                sender,
                started: watch::Sender::new(true),
            }),
        }
    }

    /// A feed that will read from the store: subscriptions wait for
    /// [`Self::start_after`].
    pub(crate) fn read_from_store(buffer: usize) -> Self {
        let feed = LogFeed::new(buffer);
        feed.inner.started.send_replace(false);
        feed
    }

    /// Waits until subscriptions can begin.
    pub(crate) async fn started(&self) {
        let mut started = self.inner.started.subscribe();
        // The sender lives as long as the feed.
        let _ = started.wait_for(|started| *started).await;
    }

    /// Starts receiving the entries released from now on.
    pub fn subscribe(&self) -> Subscription {
        let state = self.state();
        Subscription {
            receiver: self.inner.sender.subscribe(),
            released: state.released.clone(),
        }
    }

    /// The last entry released, if any.
    pub(crate) fn released(&self) -> Option<Position> {
        self.state().released.clone()
    }

    /// Where a feed read from the store starts: after `newest`, what the
    /// store held when it started (subscribers replay that).
    pub(crate) fn start_after(&self, newest: Option<crate::query::LogSortKey>) {
        let mut state = self.state();
        if state.released.is_none() {
            state.released = newest.map(|key| (key.created_at, key.id));
        }
        drop(state);
        self.inner.started.send_replace(true);
    }

    /// Releases entries read from the store, oldest first, skipping any
    /// at or before the last one released.
    pub(crate) fn release_stored(&self, entries: Vec<LogEntry>) {
        let mut state = self.state();
        for entry in entries {
            let at = position(&entry);
            if state.released.as_ref().is_some_and(|done| at <= *done) {
                continue;
            }
            state.released = Some(at);
            let _ = self.inner.sender.send(Arc::new(entry));
        }
    }

    /// How many subscriptions are receiving.
    pub fn subscribers(&self) -> usize {
        self.inner.sender.receiver_count()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is consistent between statements: a panic elsewhere
        // while it was held leaves nothing half-done.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Stamps the log entries of each group with times after every entry
    /// stamped before, and holds back what sorts after them until
    /// [`Self::finish`] is told how the commit went.
    pub(crate) fn stamp<'a>(&self, groups: impl Iterator<Item = &'a mut Vec<WriteOp>>) -> Stamped {
        let mut state = self.state();
        let mut stamped = Stamped::default();
        for ops in groups {
            let mut entries = Vec::new();
            for op in ops.iter_mut() {
                if let WriteOp::AppendLog(entry) = op {
                    if let Some(at) = state
                        .last_stamp
                        .as_ref()
                        .and_then(|floor| time_after(entry, floor))
                    {
                        entry.created_at = at;
                    }
                    state.last_stamp = Some(position(entry));
                    state.pending.insert(position(entry));
                    entries.push((**entry).clone());
                }
            }
            stamped.groups.push(entries);
        }
        stamped
    }

    /// Ends the wait for a commit's entries: those of the groups for which
    /// `committed` says yes are released in order, with every entry they
    /// held back that nothing earlier still holds.
    pub(crate) fn finish(&self, stamped: Stamped, committed: impl Fn(usize) -> bool) {
        let mut state = self.state();
        for (index, entries) in stamped.groups.into_iter().enumerate() {
            let keep = committed(index);
            for entry in entries {
                let at = position(&entry);
                state.pending.remove(&at);
                if keep {
                    state.ready.insert(at, entry);
                }
            }
        }
        let state = &mut *state;
        while let Some(entry) = state.ready.first_entry() {
            if state.pending.first().is_some_and(|held| held < entry.key()) {
                break;
            }
            let (at, entry) = entry.remove_entry();
            state.released = Some(at);
            // No receiver is not an error: nobody is listening.
            let _ = self.inner.sender.send(Arc::new(entry));
        }
    }
}

#[cfg(test)]
mod tests;
