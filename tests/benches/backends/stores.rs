//! Opening a fresh, empty store of each backend, and removing it afterwards.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tempfile::TempDir;
use usergraph_core::Storage;
use usergraph_postgres::{PostgresOptions, PostgresStorage};

use crate::BoxError;

/// Where the benchmark looks for PostgreSQL without `DATABASE_URL`: the
/// default the test suites use.
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// sled's settings for every sled store of this run (`--sled-cache-mb`).
static SLED_OPTIONS: OnceLock<usergraph_sled::SledOptions> = OnceLock::new();

/// Sets sled's cache for the run; the first call wins.
pub fn set_sled_cache_mb(megabytes: u64) {
    let _ = SLED_OPTIONS.set(usergraph_sled::SledOptions::with_cache_mb(megabytes));
}

fn open_sled(path: &Path) -> Result<usergraph_sled::SledStorage, BoxError> {
    let options = SLED_OPTIONS.get().copied().unwrap_or_default();
    let engine = usergraph_sled::SledEngine::open_with(path, options)?;
    Ok(usergraph_sled::SledStorage::new(engine)?)
}

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
    /// A store kept for later runs (`--keep DIR`): nothing to remove.
    Kept,
    /// A PostgreSQL database kept for later runs: analyzed, not removed.
    KeptDatabase(PostgresStorage),
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
                let storage = open_sled(&dir.path().join("sled"))?;
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

    /// The store named `name` under `dir`, created when missing and kept
    /// afterwards, with the seed time of the run that filled it (`None`:
    /// still to be seeded). The embedded backends keep their files in
    /// `dir`; PostgreSQL keeps a database of its own ([`kept_database`]),
    /// with its marker in `dir` too.
    pub async fn open_kept(
        backend: Backend,
        dir: &Path,
        name: &str,
    ) -> Result<(Store, Option<Duration>), BoxError> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{name}.{backend}"));
        let marker = SeedMarker::for_store(dir, name, backend);
        let seeded = marker.read()?;
        if seeded.is_none() && backend != Backend::Postgres && path.exists() {
            // A run stopped while seeding: the store holds part of the set.
            return Err(format!(
                "{} exists but was never fully seeded; delete it and rerun",
                path.display()
            )
            .into());
        }
        let (storage, leftover): (Arc<dyn Storage>, _) = match backend {
            Backend::Redb => (
                Arc::new(usergraph_redb::RedbStorage::open(&path)?),
                Leftover::Kept,
            ),
            Backend::Sled => (Arc::new(open_sled(&path)?), Leftover::Kept),
            Backend::Postgres => {
                let storage = open_kept_database(name, seeded.is_some()).await?;
                (Arc::new(storage.clone()), Leftover::KeptDatabase(storage))
            }
        };
        Ok((Store { storage, leftover }, seeded))
    }

    /// Brings the store to its steady state after a bulk load, as an operator
    /// would: PostgreSQL's planner statistics still describe the empty tables
    /// until autovacuum catches up, and stale ones make it pick sequential
    /// scans for joins that indexes serve.
    pub async fn settle(&self) -> Result<(), BoxError> {
        if let Leftover::Schema { storage, .. } | Leftover::KeptDatabase(storage) = &self.leftover {
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
            Leftover::Kept => {}
            Leftover::KeptDatabase(storage) => storage.pool().close().await,
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

/// The database a kept PostgreSQL store named `name` lives in:
/// `usergraph_bench_search_1000000_seed42` for `search-1000000-seed42`, on
/// the server `DATABASE_URL` names. `scripts/http-bench` builds the same name.
pub fn kept_database(name: &str) -> String {
    format!("usergraph_bench_{}", name.replace('-', "_"))
}

/// `url` with its database replaced by `database` (query parameters kept).
fn with_database(url: &str, database: &str) -> Result<String, BoxError> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("DATABASE_URL {url:?} has no scheme"))?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.find('?').map_or("", |at| &tail[at..]);
    Ok(format!("{scheme}://{authority}/{database}{query}"))
}

/// Connects to the kept database for `name`, made afresh (dropped first if
/// a stopped run left part of a seed in it) unless it was `seeded`.
async fn open_kept_database(name: &str, seeded: bool) -> Result<PostgresStorage, BoxError> {
    let server = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    let database = kept_database(name);
    let admin = PostgresStorage::connect(
        &server,
        PostgresOptions {
            migrate: false,
            ..PostgresOptions::default()
        },
    )
    .await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&database)
            .fetch_one(admin.pool())
            .await?;
    if seeded && !exists {
        return Err(format!(
            "the marker says {name} was seeded, but the database {database} is gone; delete the marker and rerun"
        )
        .into());
    }
    if !seeded {
        // The name is built from the store's name: letters, digits and '_'.
        for statement in [
            format!("DROP DATABASE IF EXISTS \"{database}\""),
            format!("CREATE DATABASE \"{database}\""),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(admin.pool())
                .await?;
        }
    }
    admin.pool().close().await;
    eprintln!("postgres: the store is the database {database}");
    let url = with_database(&server, &database)?;
    Ok(PostgresStorage::connect(&url, PostgresOptions::default()).await?)
}

/// The file that says a kept store was seeded completely, holding the seed
/// time in seconds.
pub struct SeedMarker(PathBuf);

impl SeedMarker {
    pub fn for_store(dir: &Path, name: &str, backend: Backend) -> SeedMarker {
        SeedMarker(dir.join(format!("{name}.{backend}.seeded")))
    }

    fn read(&self) -> Result<Option<Duration>, BoxError> {
        if !self.0.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&self.0)?;
        let seconds: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("{}: not a number of seconds", self.0.display()))?;
        Ok(Some(Duration::try_from_secs_f64(seconds)?))
    }

    pub fn write(&self, seed_time: Duration) -> Result<(), BoxError> {
        std::fs::write(&self.0, format!("{}\n", seed_time.as_secs_f64()))?;
        Ok(())
    }
}
