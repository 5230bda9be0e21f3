//! PostgreSQL stores for the tests and benchmarks, each in a schema of its
//! own in the database at `DATABASE_URL`.

use usergraph_postgres::{PostgresOptions, PostgresStorage};

/// The database the tests use: `DATABASE_URL`, else the local default.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The schema of `name` in this process: `usergraph_<name>_<pid>`.
pub fn schema_name(name: &str) -> String {
    format!("usergraph_{name}_{}", std::process::id())
}

/// A store (a connection pool) over `schema`, made if missing. An
/// unreachable database fails the caller.
pub async fn store_in(schema: &str) -> PostgresStorage {
    let url = database_url();
    let options = PostgresOptions {
        schema: Some(schema.to_owned()),
        ..PostgresOptions::default()
    };
    PostgresStorage::connect(&url, options)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} ({e}); set DATABASE_URL"))
}

/// A store in a schema of its own, named from `name`; the caller drops the
/// schema with [`drop_schema`].
pub async fn store_in_own_schema(name: &str) -> (PostgresStorage, String) {
    let schema = schema_name(name);
    (store_in(&schema).await, schema)
}

/// Drops `schema` and everything in it.
pub async fn drop_schema(store: &PostgresStorage, schema: &str) -> Result<(), sqlx::Error> {
    // The schema names are made above from a name and the process id.
    let drop_schema = format!("DROP SCHEMA {schema} CASCADE");
    sqlx::query(sqlx::AssertSqlSafe(drop_schema))
        .execute(store.pool())
        .await
        .map(|_| ())
}
