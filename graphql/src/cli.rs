//! The `usergraph` command line (binary only). The flags of `serve`
//! override its configuration file and environment (see `config.rs`); the
//! other commands' flags fall back to `USERGRAPH_*` variables.

mod access;
mod admin;
mod live;
mod transfer;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};

pub use self::access::AccessArgs;
pub use self::admin::{AdminArgs, AdminCommand, TokenArgs};
pub use self::live::LiveArgs;
pub use self::transfer::{ExportArgs, ImportArgs, ImportFormat};
use crate::backend::StoreSettings;
use crate::config::{self, Config, LogFormat};

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
    /// Print the effective configuration (file, environment and flags
    /// merged) as TOML, secrets redacted.
    Config(ServeArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Apply pending database migrations (PostgreSQL; embedded stores need none).
    Migrate(MigrateArgs),
    /// Administer the store directly, with the process's own authority.
    Admin(AdminArgs),
    /// Write every user, then every role, as JSON Lines.
    Export(ExportArgs),
    /// Import an export file (JSON Lines) or a CSV file of users.
    Import(ImportArgs),
}

/// What to do, once the command line is read.
#[derive(Debug)]
pub enum Action {
    Serve(ServeArgs),
    PrintConfig(ServeArgs),
    PrintSchema,
    Migrate(MigrateArgs),
    AdminToken(TokenArgs),
    Export(ExportArgs),
    Import(ImportArgs),
}

impl Cli {
    pub fn action(self) -> Action {
        match self.command {
            None => Action::Serve(self.serve),
            Some(Command::Serve(args)) => Action::Serve(args),
            Some(Command::Config(args)) => Action::PrintConfig(args),
            Some(Command::Schema) => Action::PrintSchema,
            Some(Command::Migrate(args)) => Action::Migrate(args),
            Some(Command::Admin(AdminArgs {
                command: AdminCommand::Token(args),
            })) => Action::AdminToken(args),
            Some(Command::Export(args)) => Action::Export(args),
            Some(Command::Import(args)) => Action::Import(args),
        }
    }
}

/// Flags of `serve` (and of `config`, which shows what `serve` would use).
/// Each overrides the configuration file and the `USERGRAPH_*` variables
/// when given (see `config.rs`); defaults are listed by `usergraph config`.
#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// The configuration file (TOML). Default: `./usergraph.toml` when it
    /// exists.
    #[arg(long, env = "USERGRAPH_CONFIG")]
    pub config: Option<PathBuf>,

    /// Address to listen on.
    #[arg(long)]
    pub listen: Option<SocketAddr>,

    /// Where the data lives; the scheme picks the backend
    /// (`redb://PATH`, `sled://DIR`, `postgres://USER@HOST/DB`).
    #[arg(long)]
    pub database_url: Option<String>,

    /// Argon2id memory cost of new password digests, in KiB (at least 19456).
    #[arg(long)]
    pub argon2_memory_kib: Option<u32>,

    /// Argon2id iterations of new password digests (at least 2).
    #[arg(long)]
    pub argon2_iterations: Option<u32>,

    /// Argon2id parallelism of new password digests (at least 1).
    #[arg(long)]
    pub argon2_parallelism: Option<u32>,

    /// How many password hashes may run at once.
    #[arg(long)]
    pub max_concurrent_hashes: Option<usize>,

    /// Largest accepted request body, in bytes.
    #[arg(long)]
    pub max_body_bytes: Option<usize>,

    /// Deepest accepted query nesting.
    #[arg(long)]
    pub max_query_depth: Option<usize>,

    /// Highest accepted query complexity (a connection multiplies the cost
    /// of its selection by its page size).
    #[arg(long)]
    pub max_query_complexity: Option<usize>,

    /// Largest accepted document once its fragments are spread, in nodes
    /// (fields, fragments, directives and argument values).
    #[arg(long)]
    pub max_query_nodes: Option<usize>,

    /// Most operations in one batch request.
    #[arg(long)]
    pub max_batch: Option<usize>,

    /// The most matches a list's `totalCount` counts; past it the count
    /// says `totalCountCapped`.
    #[arg(long)]
    pub count_cap: Option<u64>,

    /// Longest a request may take, in seconds, before it is answered with
    /// `TIMEOUT`.
    #[arg(long)]
    pub request_timeout_secs: Option<u64>,

    /// Most connections to PostgreSQL this process keeps open.
    #[arg(long)]
    pub pg_max_connections: Option<u32>,

    /// Longest one SQL statement may run, in milliseconds (0: no limit).
    #[arg(long)]
    pub pg_statement_timeout_ms: Option<u64>,

    /// sled's page cache, in MiB (sled's resident memory is a multiple of it).
    #[arg(long)]
    pub sled_cache_mb: Option<u64>,

    /// redb's cache, in MiB: its read cache and a write's dirty pages together.
    #[arg(long)]
    pub redb_cache_mb: Option<u64>,

    /// Log lines as human-readable text or as JSON objects.
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,

    /// Whether `GET /metrics` is served.
    #[arg(long, action = ArgAction::Set)]
    pub metrics: Option<bool>,

    /// Whether the admin console is served at `/console/` (`/` redirects there).
    #[arg(long, action = ArgAction::Set)]
    pub console: Option<bool>,

    /// How long shutdown waits for in-flight requests, in seconds.
    #[arg(long)]
    pub shutdown_timeout_secs: Option<u64>,

    #[command(flatten)]
    pub access: AccessArgs,

    #[command(flatten)]
    pub live: LiveArgs,
}

impl ServeArgs {
    /// The effective configuration: defaults, the file, the environment,
    /// then these flags.
    pub fn config(&self) -> Result<Config, String> {
        let file = config::file(self.config.clone());
        let mut config = config::extract(&config::layers(file.as_deref(), config::env()))?;
        self.apply(&mut config);
        config.check()?;
        Ok(config)
    }

    fn apply(&self, config: &mut Config) {
        set(&mut config.listen, self.listen);
        set(&mut config.database_url, self.database_url.clone());
        set(&mut config.argon2_memory_kib, self.argon2_memory_kib);
        set(&mut config.argon2_iterations, self.argon2_iterations);
        set(&mut config.argon2_parallelism, self.argon2_parallelism);
        set(
            &mut config.max_concurrent_hashes,
            self.max_concurrent_hashes,
        );
        set(&mut config.max_body_bytes, self.max_body_bytes);
        set(&mut config.max_query_depth, self.max_query_depth);
        set(&mut config.max_query_complexity, self.max_query_complexity);
        set(&mut config.max_query_nodes, self.max_query_nodes);
        set(&mut config.max_batch, self.max_batch);
        set(&mut config.count_cap, self.count_cap);
        set(&mut config.request_timeout_secs, self.request_timeout_secs);
        set(&mut config.pg_max_connections, self.pg_max_connections);
        set(
            &mut config.pg_statement_timeout_ms,
            self.pg_statement_timeout_ms,
        );
        set(&mut config.sled_cache_mb, self.sled_cache_mb);
        set(&mut config.redb_cache_mb, self.redb_cache_mb);
        set(&mut config.log_format, self.log_format);
        set(&mut config.metrics, self.metrics);
        set(&mut config.console, self.console);
        set(
            &mut config.shutdown_timeout_secs,
            self.shutdown_timeout_secs,
        );
        self.access.apply(config);
        self.live.apply(config);
    }
}

/// Overrides `slot` with a flag that was given.
fn set<T>(slot: &mut T, flag: Option<T>) {
    if let Some(value) = flag {
        *slot = value;
    }
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
    pub store: StoreArgs,
}

/// Backend settings of the commands that open the store; each backend
/// reads only its own.
#[derive(Debug, Args)]
pub struct StoreArgs {
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

    /// sled's page cache, in MiB.
    #[arg(
        long,
        env = "USERGRAPH_SLED_CACHE_MB",
        default_value_t = config::DEFAULT_SLED_CACHE_MB
    )]
    pub sled_cache_mb: u64,

    /// redb's cache, in MiB: its read cache and a write's dirty pages together.
    #[arg(
        long,
        env = "USERGRAPH_REDB_CACHE_MB",
        default_value_t = config::DEFAULT_REDB_CACHE_MB
    )]
    pub redb_cache_mb: u64,
}

impl StoreArgs {
    pub fn settings(&self) -> StoreSettings {
        StoreSettings {
            max_connections: self.pg_max_connections,
            statement_timeout: Duration::from_millis(self.pg_statement_timeout_ms),
            sled_cache_mb: self.sled_cache_mb,
            redb_cache_mb: self.redb_cache_mb,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Action {
        Cli::try_parse_from(args).unwrap().action()
    }

    /// The flags of a `serve` command line over the default configuration.
    fn served(args: &[&str]) -> Config {
        let Action::Serve(args) = parse(args) else {
            panic!("expected serve");
        };
        let mut config = Config::default();
        args.apply(&mut config);
        config
    }

    #[test]
    fn live_flags_override_the_configuration() {
        let config = served(&[
            "usergraph",
            "--live-max-connections-per-token",
            "2",
            "--live-max-subscriptions-per-connection",
            "3",
            "--live-max-message-bytes",
            "4096",
            "--live-keepalive-secs",
            "5",
            "--live-idle-timeout-secs",
            "6",
            "--live-buffer",
            "7",
            "--live-recheck-secs",
            "8",
        ]);
        assert_eq!(
            (
                config.live_max_connections_per_token,
                config.live_max_subscriptions_per_connection,
                config.live_max_message_bytes,
                config.live_keepalive_secs,
                config.live_idle_timeout_secs,
                config.live_buffer,
                config.live_recheck_secs,
            ),
            (2, 3, 4096, 5, 6, 7, 8)
        );
    }

    #[test]
    fn serve_is_the_default_command() {
        let config = served(&["usergraph", "--listen", "0.0.0.0:9000"]);
        assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(
            Config {
                listen: Config::default().listen,
                ..config
            },
            Config::default()
        );
    }

    #[test]
    fn serve_config_and_schema_subcommands() {
        let config = served(&["usergraph", "serve", "--max-batch", "3"]);
        assert_eq!(config.api_settings().max_batch, 3);
        let config = served(&[
            "usergraph",
            "--max-query-nodes",
            "500",
            "--request-timeout-secs",
            "7",
        ]);
        assert_eq!(config.api_settings().max_nodes, 500);
        assert_eq!(
            config.api_settings().request_timeout,
            Duration::from_secs(7)
        );
        assert!(matches!(
            parse(&["usergraph", "schema"]),
            Action::PrintSchema
        ));
        let Action::PrintConfig(args) = parse(&["usergraph", "config", "--config", "x.toml"])
        else {
            panic!("expected config");
        };
        assert_eq!(args.config, Some(PathBuf::from("x.toml")));
    }

    #[test]
    fn operations_flags() {
        let config = served(&[
            "usergraph",
            "--log-format",
            "json",
            "--metrics",
            "false",
            "--console",
            "false",
            "--shutdown-timeout-secs",
            "3",
        ]);
        assert_eq!(config.log_format, LogFormat::Json);
        assert!(!config.metrics);
        assert!(!config.api_settings().console);
        assert_eq!(config.shutdown_timeout(), Duration::from_secs(3));
    }

    #[test]
    fn postgres_flags_and_migrate() {
        let config = served(&[
            "usergraph",
            "--pg-max-connections",
            "3",
            "--pg-statement-timeout-ms",
            "250",
            "--sled-cache-mb",
            "64",
            "--redb-cache-mb",
            "32",
        ]);
        assert_eq!(
            config.store_settings(),
            StoreSettings {
                max_connections: 3,
                statement_timeout: Duration::from_millis(250),
                sled_cache_mb: 64,
                redb_cache_mb: 32,
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
        assert_eq!(args.store.settings().max_connections, 10);
        assert_eq!(args.store.settings().sled_cache_mb, 256);
        assert_eq!(args.store.settings().redb_cache_mb, 128);
    }

    #[test]
    fn access_flags() {
        let config = served(&[
            "usergraph",
            "--session-lifetime-secs",
            "600",
            "--max-token-lifetime-days",
            "90",
            "--throttle-max-failures-per-account",
            "3",
            "--throttle-max-failures-per-address",
            "30",
            "--throttle-window-secs",
            "60",
            "--trusted-proxies",
            "10.0.0.0/8,192.0.2.7",
            "--no-introspection",
        ]);
        let settings = config.service_settings();
        assert_eq!(settings.session_lifetime, Duration::from_secs(600));
        assert_eq!(
            settings.max_token_lifetime,
            Some(Duration::from_secs(90 * 86_400))
        );
        assert_eq!(settings.throttle.max_failures_per_account, 3);
        assert_eq!(settings.throttle.max_failures_per_address, 30);
        assert_eq!(settings.throttle.window, Duration::from_secs(60));
        assert!(!config.api_settings().introspection);
        assert_eq!(
            config.api_settings().trusted_proxies,
            usergraph::TrustedProxies::parse(["10.0.0.0/8", "192.0.2.7/32"]).unwrap()
        );
        let config = served(&["usergraph", "--introspection", "false"]);
        assert!(!config.api_settings().introspection);
    }

    #[test]
    fn admin_token_command() {
        let Action::AdminToken(args) = parse(&[
            "usergraph",
            "admin",
            "token",
            "--username",
            "root",
            "--name",
            "laptop",
            "--expires-in-days",
            "7",
            "--database-url",
            "sled://./x",
        ]) else {
            panic!("expected admin token");
        };
        assert_eq!(args.username, "root");
        assert_eq!(args.name.as_deref(), Some("laptop"));
        assert_eq!(args.expires_in_days, Some(7));
        assert_eq!(args.database_url, "sled://./x");
        assert!(Cli::try_parse_from(["usergraph", "admin", "token"]).is_err());
    }

    #[test]
    fn bad_flags_are_refused() {
        assert!(Cli::try_parse_from(["usergraph", "--listen", "nowhere"]).is_err());
        assert!(Cli::try_parse_from(["usergraph", "schema", "--listen", "1.2.3.4:5"]).is_err());
        assert!(Cli::try_parse_from(["usergraph", "--trusted-proxies", "10.0.0.0/33"]).is_err());
    }
}
