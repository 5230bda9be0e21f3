//! The `usergraph` command line (binary only). Every flag has an
//! environment fallback, so the server can be configured either way.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use usergraph::ApiSettings;
use usergraph_core::ServiceSettings;
use usergraph_core::service::Argon2Params;

use crate::backend::PgSettings;

#[derive(Debug, Parser)]
#[command(
    name = "usergraph",
    version,
    about = "User management as a GraphQL API"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Flags of `serve`, which runs when no command is given.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the GraphQL API (the default).
    Serve(ServeArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Apply pending database migrations (PostgreSQL; embedded stores need none).
    Migrate(MigrateArgs),
}

/// What to do, once the command line is read.
#[derive(Debug)]
pub enum Action {
    Serve(ServeArgs),
    PrintSchema,
    Migrate(MigrateArgs),
}

impl Cli {
    pub fn action(self) -> Action {
        match self.command {
            None => Action::Serve(self.serve),
            Some(Command::Serve(args)) => Action::Serve(args),
            Some(Command::Schema) => Action::PrintSchema,
            Some(Command::Migrate(args)) => Action::Migrate(args),
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "USERGRAPH_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Where the data lives; the scheme picks the backend
    /// (`redb://PATH`, `sled://DIR`, `postgres://USER@HOST/DB`).
    #[arg(
        long,
        env = "USERGRAPH_DATABASE_URL",
        default_value = "redb://./data/usergraph.redb"
    )]
    pub database_url: String,

    /// Argon2id memory cost of new password digests, in KiB (at least 19456).
    #[arg(long, env = "USERGRAPH_ARGON2_MEMORY_KIB", default_value_t = Argon2Params::default().memory_kib)]
    pub argon2_memory_kib: u32,

    /// Argon2id iterations of new password digests (at least 2).
    #[arg(long, env = "USERGRAPH_ARGON2_ITERATIONS", default_value_t = Argon2Params::default().iterations)]
    pub argon2_iterations: u32,

    /// Argon2id parallelism of new password digests (at least 1).
    #[arg(long, env = "USERGRAPH_ARGON2_PARALLELISM", default_value_t = Argon2Params::default().parallelism)]
    pub argon2_parallelism: u32,

    /// How many password hashes may run at once.
    #[arg(long, env = "USERGRAPH_MAX_CONCURRENT_HASHES", default_value_t = ServiceSettings::default().max_concurrent_hashes)]
    pub max_concurrent_hashes: usize,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "USERGRAPH_MAX_BODY_BYTES", default_value_t = ApiSettings::default().max_body_bytes)]
    pub max_body_bytes: usize,

    /// Deepest accepted query nesting.
    #[arg(long, env = "USERGRAPH_MAX_QUERY_DEPTH", default_value_t = ApiSettings::default().max_depth)]
    pub max_query_depth: usize,

    /// Highest accepted query complexity (a connection multiplies the cost
    /// of its selection by its page size).
    #[arg(long, env = "USERGRAPH_MAX_QUERY_COMPLEXITY", default_value_t = ApiSettings::default().max_complexity)]
    pub max_query_complexity: usize,

    /// Most operations in one batch request.
    #[arg(long, env = "USERGRAPH_MAX_BATCH", default_value_t = ApiSettings::default().max_batch)]
    pub max_batch: usize,

    #[command(flatten)]
    pub pg: PgArgs,
}

/// Flags of `usergraph migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The database to migrate, as for `serve`.
    #[arg(
        long,
        env = "USERGRAPH_DATABASE_URL",
        default_value = "redb://./data/usergraph.redb"
    )]
    pub database_url: String,

    #[command(flatten)]
    pub pg: PgArgs,
}

/// PostgreSQL connection settings (ignored by the embedded backends).
#[derive(Debug, Args)]
pub struct PgArgs {
    /// Most connections to PostgreSQL this process keeps open.
    #[arg(long, env = "USERGRAPH_PG_MAX_CONNECTIONS", default_value_t = 10)]
    pub pg_max_connections: u32,

    /// Longest one SQL statement may run, in milliseconds (0: no limit).
    #[arg(
        long,
        env = "USERGRAPH_PG_STATEMENT_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub pg_statement_timeout_ms: u64,
}

impl PgArgs {
    pub fn settings(&self) -> PgSettings {
        PgSettings {
            max_connections: self.pg_max_connections,
            statement_timeout: Duration::from_millis(self.pg_statement_timeout_ms),
        }
    }
}

impl ServeArgs {
    pub fn service_settings(&self) -> ServiceSettings {
        ServiceSettings {
            argon2: Argon2Params {
                memory_kib: self.argon2_memory_kib,
                iterations: self.argon2_iterations,
                parallelism: self.argon2_parallelism,
            },
            max_concurrent_hashes: self.max_concurrent_hashes,
        }
    }

    pub fn api_settings(&self) -> ApiSettings {
        ApiSettings {
            max_body_bytes: self.max_body_bytes,
            max_depth: self.max_query_depth,
            max_complexity: self.max_query_complexity,
            max_batch: self.max_batch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Action {
        Cli::try_parse_from(args).unwrap().action()
    }

    #[test]
    fn serve_is_the_default_command() {
        let Action::Serve(args) = parse(&["usergraph", "--listen", "0.0.0.0:9000"]) else {
            panic!("expected serve");
        };
        assert_eq!(args.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(args.api_settings(), ApiSettings::default());
        assert_eq!(args.service_settings(), ServiceSettings::default());
    }

    #[test]
    fn serve_and_schema_subcommands() {
        let Action::Serve(args) = parse(&["usergraph", "serve", "--max-batch", "3"]) else {
            panic!("expected serve");
        };
        assert_eq!(args.api_settings().max_batch, 3);
        assert!(matches!(
            parse(&["usergraph", "schema"]),
            Action::PrintSchema
        ));
    }

    #[test]
    fn postgres_flags_and_migrate() {
        let Action::Serve(args) = parse(&[
            "usergraph",
            "--pg-max-connections",
            "3",
            "--pg-statement-timeout-ms",
            "250",
        ]) else {
            panic!("expected serve");
        };
        assert_eq!(
            args.pg.settings(),
            PgSettings {
                max_connections: 3,
                statement_timeout: Duration::from_millis(250),
            }
        );
        let Action::Migrate(args) = parse(&[
            "usergraph",
            "migrate",
            "--database-url",
            "postgres://db/usergraph",
        ]) else {
            panic!("expected migrate");
        };
        assert_eq!(args.database_url, "postgres://db/usergraph");
        assert_eq!(args.pg.settings().max_connections, 10);
    }

    #[test]
    fn bad_flags_are_refused() {
        assert!(Cli::try_parse_from(["usergraph", "--listen", "nowhere"]).is_err());
        assert!(Cli::try_parse_from(["usergraph", "schema", "--listen", "1.2.3.4:5"]).is_err());
    }
}
