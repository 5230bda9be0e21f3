//! Test databases: each test gets its own schema in the database at
//! `DATABASE_URL`, dropped when the test ends (pass or fail).

#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};
use usergraph_core::UserId;
use usergraph_postgres::{PostgresOptions, PostgresStorage};

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// Drops its schema (and everything in it) when dropped.
#[derive(Debug)]
pub struct SchemaGuard {
    pub url: String,
    pub schema: String,
}

impl SchemaGuard {
    pub fn new() -> Self {
        SchemaGuard {
            url: database_url(),
            schema: format!("ug_test_{}", UserId::generate().as_str()),
        }
    }

    pub fn options(&self) -> PostgresOptions {
        PostgresOptions {
            max_connections: 5,
            schema: Some(self.schema.clone()),
            ..PostgresOptions::default()
        }
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let url = self.url.clone();
        let drop_schema = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema);
        // Dropped inside the test's runtime, where blocking on a future is
        // not allowed: a separate thread with its own runtime does it.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut conn = PgConnection::connect(&url).await?;
                conn.execute(sqlx::AssertSqlSafe(drop_schema)).await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test schema {}", self.schema);
        }
    }
}

/// A fresh, migrated store in its own schema.
pub async fn fresh() -> (PostgresStorage, SchemaGuard) {
    let guard = SchemaGuard::new();
    let storage = PostgresStorage::connect(&guard.url, guard.options())
        .await
        .unwrap_or_else(|err| panic!("PostgreSQL at {} ({err:?}); set DATABASE_URL", guard.url));
    (storage, guard)
}

/// A second pool on the same schema: another usergraph process.
pub async fn second_process(guard: &SchemaGuard) -> PostgresStorage {
    PostgresStorage::connect(&guard.url, guard.options())
        .await
        .unwrap()
}

/// A store whose statements time out after `timeout`, on the schema
/// `fresh` migrated: checking the migrations again could itself time out on
/// a loaded machine.
pub async fn with_timeout(guard: &SchemaGuard, timeout: Duration) -> PostgresStorage {
    let options = PostgresOptions {
        statement_timeout: timeout,
        migrate: false,
        ..guard.options()
    };
    PostgresStorage::connect(&guard.url, options).await.unwrap()
}

/// A plain connection working in the guard's schema.
pub async fn admin(guard: &SchemaGuard) -> PgConnection {
    let mut conn = PgConnection::connect(&guard.url).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!(
        "SET search_path TO \"{}\", public",
        guard.schema
    )))
    .await
    .unwrap();
    conn
}
