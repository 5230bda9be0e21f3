//! The throttle's failure counters in `throttle_failures`, shared by every
//! usergraph instance on the database: the per-account and per-address
//! limits hold across all of them, not per instance.
//!
//! Each call is one statement (two when it adds a key, which also deletes
//! up to [`PURGE_BATCH`] rows whose failures have all left the window, or
//! when an attempt is refused, which then reads the failures for the
//! wait). Rows never hold more than the limit's worth of times, and since
//! every new row deletes up to 16 expired ones, expired rows do not pile
//! up: the table holds about one row per key that failed within the last
//! window, i.e. at most the failures of one window.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::postgres::PgPool;
use usergraph_core::throttle::{AttemptKind, AttemptStore, Retain};
use usergraph_core::{Result, Timestamp};

use crate::error::internal;

/// Expired rows deleted when a key is added.
const PURGE_BATCH: i64 = 16;

/// Appends `$3` to the row of (`$1`, `$2`), keeping the `$5` newest
/// failures after `$4`; a new key gets a row.
const UPSERT: &str = "INSERT INTO throttle_failures AS t \
         (kind, key_digest, failures, last_failure_at) \
     VALUES ($1, $2, ARRAY[$3::timestamptz], $3) \
     ON CONFLICT (kind, key_digest) DO UPDATE SET \
         failures = ARRAY(SELECT f FROM unnest(array_append(t.failures, $3)) AS f \
                          WHERE f > $4 ORDER BY f DESC LIMIT $5), \
         last_failure_at = GREATEST(t.last_failure_at, $3)";

/// The conflicting row is locked before the condition is checked, so
/// concurrent calls for one key, from any instance, take turns.
const UNLESS_FULL: &str = " WHERE (SELECT count(*) FROM unnest(t.failures) AS f WHERE f > $4) < $5";

/// `xmax` is zero on a row this statement inserted (not updated).
const RETURNING_INSERTED: &str = " RETURNING (xmax = 0) AS inserted";

const FAILURES: &str = "SELECT failures FROM throttle_failures WHERE kind = $1 AND key_digest = $2";

const CLEAR: &str = "DELETE FROM throttle_failures WHERE kind = $1 AND key_digest = $2";

/// Rows locked by another call are skipped, not waited for: a purge never
/// blocks a failure being counted.
const PURGE: &str = "DELETE FROM throttle_failures WHERE (kind, key_digest) IN ( \
         SELECT kind, key_digest FROM throttle_failures WHERE last_failure_at <= $1 \
         ORDER BY last_failure_at LIMIT $2 FOR UPDATE SKIP LOCKED)";

#[derive(Clone, Debug)]
pub(crate) struct PostgresAttempts {
    pool: PgPool,
}

impl PostgresAttempts {
    pub(crate) fn new(pool: PgPool) -> Self {
        PostgresAttempts { pool }
    }

    /// Runs the upsert (with `condition`, if any): `None` when no row was
    /// written (the condition failed), else whether the key was new.
    async fn upsert(
        &self,
        condition: &str,
        kind: AttemptKind,
        key: &str,
        at: Timestamp,
        retain: Retain,
    ) -> Result<Option<bool>> {
        let sql = format!("{UPSERT}{condition}{RETURNING_INSERTED}");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(kind.as_str())
            .bind(digest(key))
            .bind(at)
            .bind(retain.since)
            .bind(i64::from(retain.keep.max(1)))
            .fetch_optional(&self.pool)
            .await
            .map_err(internal)?;
        let inserted = row
            .map(|row| row.try_get::<bool, _>("inserted"))
            .transpose()
            .map_err(internal)?;
        if inserted == Some(true) {
            self.purge(retain.since).await?;
        }
        Ok(inserted)
    }

    async fn purge(&self, since: Timestamp) -> Result<()> {
        sqlx::query(PURGE)
            .bind(since)
            .bind(PURGE_BATCH)
            .execute(&self.pool)
            .await
            .map_err(internal)?;
        Ok(())
    }
}

fn digest(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

#[async_trait]
impl AttemptStore for PostgresAttempts {
    async fn failures(&self, kind: AttemptKind, key: &str) -> Result<Vec<Timestamp>> {
        let row = sqlx::query(FAILURES)
            .bind(kind.as_str())
            .bind(digest(key))
            .fetch_optional(&self.pool)
            .await
            .map_err(internal)?;
        match row {
            Some(row) => row.try_get("failures").map_err(internal),
            None => Ok(Vec::new()),
        }
    }

    async fn record(
        &self,
        kind: AttemptKind,
        key: &str,
        at: Timestamp,
        retain: Retain,
    ) -> Result<()> {
        self.upsert("", kind, key, at, retain).await?;
        Ok(())
    }

    async fn record_if_fewer(
        &self,
        kind: AttemptKind,
        key: &str,
        at: Timestamp,
        retain: Retain,
    ) -> Result<Option<Vec<Timestamp>>> {
        match self.upsert(UNLESS_FULL, kind, key, at, retain).await? {
            Some(_) => Ok(None),
            None => Ok(Some(self.failures(kind, key).await?)),
        }
    }

    async fn clear(&self, kind: AttemptKind, key: &str) -> Result<()> {
        sqlx::query(CLEAR)
            .bind(kind.as_str())
            .bind(digest(key))
            .execute(&self.pool)
            .await
            .map_err(internal)?;
        Ok(())
    }
}
