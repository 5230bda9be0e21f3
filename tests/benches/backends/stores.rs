//! Opening a fresh, empty store of each backend, and removing it afterwards.

use std::fmt;
use std::sync::Arc;

use tempfile::TempDir;
use usergraph_core::Storage;
use usergraph_postgres::{PostgresOptions, PostgresStorage};

use crate::BoxError;

/// Where the benchmark looks for PostgreSQL without `DATABASE_URL`: the
/// default the test suites use.
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Redb,
    Sled,
    Postgres,
}

impl Backend {
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "redb" => Ok(Backend::Redb),
            "sled" => Ok(Backend::Sled),
            "postgres" => Ok(Backend::Postgres),
            other => Err(format!(
                "unknown backend {other:?} (expected redb, sled or postgres)"
            )),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Redb => "redb",
            Backend::Sled => "sled",
            Backend::Postgres => "postgres",
        })
    }
}

/// A store for one run, with what must be cleaned up after it.
pub struct Store {
    pub storage: Arc<dyn Storage>,
    // Declared after `storage`, so the engine closes before its files go.
    leftover: Leftover,
}

enum Leftover {
    Directory(TempDir),
    Schema {
        storage: PostgresStorage,
        schema: String,
    },
}

impl Store {
    /// A fresh store, or `Ok(None)` (with the reason on stderr) when the
    /// backend cannot be reached.
    pub async fn open(backend: Backend, run: &str) -> Result<Option<Store>, BoxError> {
        match backend {
            Backend::Redb => {
                let dir = tempfile::tempdir()?;
                let storage = usergraph_redb::RedbStorage::open(dir.path().join("bench.redb"))?;
                Ok(Some(Store {
                    storage: Arc::new(storage),
                    leftover: Leftover::Directory(dir),
                }))
            }
            Backend::Sled => {
                let dir = tempfile::tempdir()?;
                let storage = usergraph_sled::SledStorage::open(dir.path().join("sled"))?;
                Ok(Some(Store {
                    storage: Arc::new(storage),
                    leftover: Leftover::Directory(dir),
                }))
            }
            Backend::Postgres => {
                let url = std::env::var("DATABASE_URL")
                    .unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
                let schema = format!("usergraph_bench_{}_{run}", std::process::id());
                let options = PostgresOptions {
                    schema: Some(schema.clone()),
                    ..PostgresOptions::default()
                };
                match PostgresStorage::connect(&url, options).await {
                    Ok(storage) => Ok(Some(Store {
                        storage: Arc::new(storage.clone()),
                        leftover: Leftover::Schema { storage, schema },
                    })),
                    Err(e) => {
                        eprintln!(
                            "skipping postgres: cannot use DATABASE_URL ({e}); set DATABASE_URL to a reachable server"
                        );
                        Ok(None)
                    }
                }
            }
        }
    }

    /// Brings the store to its steady state after a bulk load, as an operator
    /// would: PostgreSQL's planner statistics still describe the empty tables
    /// until autovacuum catches up, and stale ones make it pick sequential
    /// scans for joins that indexes serve.
    pub async fn settle(&self) -> Result<(), BoxError> {
        if let Leftover::Schema { storage, .. } = &self.leftover {
            sqlx::query("ANALYZE").execute(storage.pool()).await?;
        }
        Ok(())
    }

    /// Removes the store's files or schema.
    pub async fn remove(self) -> Result<(), BoxError> {
        let Store { storage, leftover } = self;
        drop(storage);
        match leftover {
            Leftover::Directory(dir) => dir.close()?,
            Leftover::Schema { storage, schema } => {
                // The name was built above from digits and underscores only.
                let drop_schema = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                sqlx::query(sqlx::AssertSqlSafe(drop_schema))
                    .execute(storage.pool())
                    .await?;
                storage.pool().close().await;
            }
        }
        Ok(())
    }
}
