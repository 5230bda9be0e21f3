//! Log entries in commit order, and the signal of each commit, across
//! every process writing the database (see `Storage::log_commits`).
//!
//! Each transaction that appends log entries takes a transaction advisory
//! lock (held to its end) before inserting them, reads the newest committed
//! entry's position, places its own entries after it by core's rule
//! (`feed::time_after`), and queues a `NOTIFY` that PostgreSQL delivers at
//! commit.
//! So entries are stored in the order their transactions commit, and a
//! process that reads the entries after the last one it saw, on each
//! notification, misses none. The lock makes such transactions commit one
//! at a time, across processes.

use std::time::Duration;

use sqlx::postgres::{PgConnection, PgListener, PgPool};
use tokio::sync::watch;
use usergraph_core::feed::{self, Position};
use usergraph_core::{LogEntry, LogId, Result, Timestamp};

use crate::error::internal;

/// How long the listener waits before connecting again after a failure.
const RECONNECT: Duration = Duration::from_secs(1);

/// The channel and lock of one store (one schema of a database).
#[derive(Clone, Debug)]
pub(crate) struct LogOrder {
    channel: String,
}

/// The newest committed entry's position when a transaction took the lock.
pub(crate) struct Floor(Position);

impl LogOrder {
    pub(crate) fn new(schema: Option<&str>) -> Self {
        LogOrder {
            channel: match schema {
                Some(schema) => format!("usergraph_logs_{schema}"),
                None => "usergraph_logs".to_owned(),
            },
        }
    }

    /// Takes the lock for the rest of the transaction, queues the commit's
    /// notification, and returns where the newest committed entry sorts.
    pub(crate) async fn enter(&self, conn: &mut PgConnection) -> Result<Option<Floor>> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(&self.channel)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(&self.channel)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        let newest: Option<(Timestamp, String)> = sqlx::query_as(
            "SELECT created_at, id FROM logs ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
        newest
            .map(|(at, id)| {
                Ok(Floor((
                    at,
                    LogId::parse(&id).map_err(usergraph_core::Error::internal)?,
                )))
            })
            .transpose()
    }

    /// A signal that changes after every commit with log entries, by any
    /// process, and after the listening connection was lost and made
    /// again. Listens on a connection of its own, on the current runtime.
    pub(crate) fn listen(&self, pool: &PgPool) -> watch::Receiver<u64> {
        let (signal, receiver) = watch::channel(0);
        tokio::spawn(listen(pool.clone(), self.channel.clone(), signal));
        receiver
    }
}

impl Floor {
    /// `entry` as it must be stored (core's rule, `feed::time_after`):
    /// `None` when it can stay as it is.
    pub(crate) fn place(&self, entry: &LogEntry) -> Option<LogEntry> {
        let at = feed::time_after(entry, &self.0)?;
        let mut moved = entry.clone();
        moved.created_at = at;
        Some(moved)
    }
}

async fn listen(pool: PgPool, channel: String, signal: watch::Sender<u64>) {
    let wake = || signal.send_modify(|count| *count = count.wrapping_add(1));
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(&channel).await {
                Ok(()) => {
                    // Commits made while nobody listened are read now.
                    wake();
                    // `None`: the connection was lost; the next call
                    // connects again, and notifications sent meanwhile are
                    // gone, hence the wake after listening again.
                    while let Ok(Some(_)) = listener.try_recv().await {
                        if signal.is_closed() {
                            return;
                        }
                        wake();
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot listen for log commits"),
            },
            Err(error) => tracing::warn!(%error, "cannot connect to listen for log commits"),
        }
        if signal.is_closed() {
            return;
        }
        tokio::time::sleep(RECONNECT).await;
    }
}
