//! Opening the pool and applying the embedded migrations.

use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use tokio::sync::watch;
use usergraph_core::{Error, Result};

use crate::error::internal;
use crate::log_order::LogOrder;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How to reach and use the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostgresOptions {
    /// Connections the pool keeps open at most.
    pub max_connections: u32,
    /// Longest a single SQL statement may run before the server cancels it
    /// (reported as `INTERNAL`). Zero disables the limit.
    pub statement_timeout: Duration,
    /// Longest a call waits for a free pooled connection.
    pub acquire_timeout: Duration,
    /// A schema to keep usergraph's tables in (created if missing); `None`
    /// uses the server's `search_path` (normally `public`).
    pub schema: Option<String>,
    /// Whether [`PostgresStorage::connect`] applies pending migrations.
    pub migrate: bool,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            max_connections: 10,
            statement_timeout: Duration::from_secs(30),
            acquire_timeout: Duration::from_secs(10),
            schema: None,
            migrate: true,
        }
    }
}

/// usergraph's storage in PostgreSQL.
#[derive(Clone, Debug)]
pub struct PostgresStorage {
    pool: PgPool,
    schema: Option<String>,
    log_order: LogOrder,
    /// The commit signal, listened for from its first use on.
    log_commits: Arc<OnceLock<watch::Receiver<u64>>>,
}

impl PostgresStorage {
    /// Connects to `url` (`postgres://` or `postgresql://`) and, unless
    /// `options.migrate` is false, applies pending migrations.
    pub async fn connect(url: &str, options: PostgresOptions) -> Result<Self> {
        if let Some(schema) = &options.schema {
            check_schema_name(schema)?;
        }
        let mut connect = PgConnectOptions::from_str(url)
            .map_err(|_| Error::validation("databaseUrl", "not a valid PostgreSQL URL"))?;
        let mut settings = vec![(
            "statement_timeout",
            options.statement_timeout.as_millis().to_string(),
        )];
        if let Some(schema) = &options.schema {
            // `public` stays on the path for pg_trgm's operator classes.
            settings.push(("search_path", format!("{schema},public")));
        }
        connect = connect.options(settings);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(internal)?;
        let storage = PostgresStorage {
            pool,
            log_order: LogOrder::new(options.schema.as_deref()),
            log_commits: Arc::default(),
            schema: options.schema,
        };
        if options.migrate {
            storage.migrate().await?;
        }
        Ok(storage)
    }

    /// Applies the migrations not applied yet. Safe to run from several
    /// instances at once: sqlx serializes them with an advisory lock.
    pub async fn migrate(&self) -> Result<()> {
        if let Some(schema) = &self.schema {
            // The name was checked to be a plain identifier, so quoting it is
            // enough to splice it safely.
            let create = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
            sqlx::query(sqlx::AssertSqlSafe(create))
                .execute(&self.pool)
                .await
                .map_err(internal)?;
        }
        MIGRATOR.run(&self.pool).await.map_err(|err| {
            tracing::warn!(error = %err, "applying PostgreSQL migrations failed");
            Error::internal("applying migrations failed")
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) fn log_order(&self) -> &LogOrder {
        &self.log_order
    }

    /// The signal of log commits; `None` outside a Tokio runtime, where
    /// nothing could listen.
    pub(crate) fn log_commit_signal(&self) -> Option<watch::Receiver<u64>> {
        if let Some(signal) = self.log_commits.get() {
            return Some(signal.clone());
        }
        tokio::runtime::Handle::try_current().ok()?;
        Some(
            self.log_commits
                .get_or_init(|| self.log_order.listen(&self.pool))
                .clone(),
        )
    }
}

/// Schema names are spliced into SQL (identifiers cannot be bound), so only
/// plain lower-case identifiers are accepted.
fn check_schema_name(schema: &str) -> Result<()> {
    let mut chars = schema.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && schema.len() <= 63;
    if valid {
        Ok(())
    } else {
        Err(Error::validation(
            "schema",
            "schema must be 1 to 63 characters of a-z, 0-9 and '_', not starting with a digit",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_schema_names_are_accepted() {
        assert!(check_schema_name("ug_test_1").is_ok());
        for bad in ["", "1abc", "Abc", "a-b", "a\"; drop", &"a".repeat(64)] {
            assert_eq!(check_schema_name(bad).unwrap_err().code(), "VALIDATION");
        }
    }
}
