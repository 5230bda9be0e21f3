//! The server's configuration (binary only): defaults, then the TOML file,
//! then `USERGRAPH_*` environment variables, then command-line flags, each
//! overriding the one before. A setting has one name everywhere: the file
//! key `throttle_window_secs` is the variable `USERGRAPH_THROTTLE_WINDOW_SECS`
//! and the flag `--throttle-window-secs`. Plugin settings are nested: the
//! `[plugins.webhooks]` key `timeout_ms` is the variable
//! `USERGRAPH_PLUGINS__WEBHOOKS__TIMEOUT_MS`. An unknown key, in the file or
//! among the variables, is an error that names it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use usergraph::{ApiSettings, TrustedProxies};
use usergraph_core::ServiceSettings;
use usergraph_core::page::CountCap;
use usergraph_core::service::Argon2Params;
use usergraph_plugins::PluginsSettings;

use crate::backend::{self, StoreSettings};

/// Read when present and no `--config` is given.
pub const DEFAULT_FILE: &str = "usergraph.toml";

/// The prefix of the environment variables read.
const ENV_PREFIX: &str = "USERGRAPH_";

/// Variables under the prefix that are not settings: `USERGRAPH_CONFIG`
/// names the file itself.
const ENV_NOT_SETTINGS: &[&str] = &["config"];

/// Shown instead of a secret by `usergraph config`.
const REDACTED: &str = "***";

const SECS_PER_DAY: u64 = 86_400;

/// `usergraph_sled::SledOptions::default()`'s cache, in MiB (the binary
/// may be built without sled, so the value is repeated here).
pub const DEFAULT_SLED_CACHE_MB: u64 = 256;

/// `usergraph_redb::RedbOptions::DEFAULT_CACHE_MB` (repeated for the same
/// reason).
pub const DEFAULT_REDB_CACHE_MB: u64 = 128;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event (coloured on a terminal).
    #[default]
    Text,
    /// One JSON object per event, for log collectors.
    Json,
}

/// Every setting of `usergraph serve`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the API (and /healthz, /readyz, /metrics) listens on.
    pub listen: SocketAddr,
    /// Where the data lives; the scheme picks the backend.
    pub database_url: String,
    pub pg_max_connections: u32,
    /// 0: no limit.
    pub pg_statement_timeout_ms: u64,
    /// sled's page cache, in MiB.
    pub sled_cache_mb: u64,
    /// redb's cache (reads and the open write's pages), in MiB.
    pub redb_cache_mb: u64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub max_concurrent_hashes: usize,
    pub max_body_bytes: usize,
    pub max_query_depth: usize,
    pub max_query_complexity: usize,
    pub max_query_nodes: usize,
    pub max_batch: usize,
    /// The most matches a list's `totalCount` counts (at least 1).
    pub count_cap: u64,
    pub introspection: bool,
    /// Longest a request may take before it is answered with `TIMEOUT`.
    pub request_timeout_secs: u64,
    /// Whether the admin console is served at `/console/`.
    pub console: bool,
    /// Subscription (WebSocket) connections one token may hold open.
    pub live_max_connections_per_token: usize,
    /// Subscriptions one connection may run at once.
    pub live_max_subscriptions_per_connection: usize,
    /// Largest WebSocket message a client may send, in bytes.
    pub live_max_message_bytes: usize,
    /// Seconds between the server's pings on a subscription connection.
    pub live_keepalive_secs: u64,
    /// Seconds a connection may stay open without a subscription.
    pub live_idle_timeout_secs: u64,
    /// Log entries a subscriber may fall behind before it gets `LAGGED`.
    pub live_buffer: usize,
    /// Seconds between two checks that a subscriber's token still holds.
    pub live_recheck_secs: u64,
    pub session_lifetime_secs: u64,
    /// Unset: personal access tokens may live forever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_token_lifetime_days: Option<u64>,
    pub throttle_max_failures_per_account: u32,
    pub throttle_max_failures_per_address: u32,
    pub throttle_window_secs: u64,
    /// How long an authenticated token is trusted without reading it again;
    /// 0: read on every request.
    pub auth_cache_ttl_secs: u64,
    /// Proxies (CIDR blocks) whose forwarding headers name the client.
    pub trusted_proxies: TrustedProxies,
    pub log_format: LogFormat,
    /// Whether `GET /metrics` is served.
    pub metrics: bool,
    /// How long shutdown waits for in-flight requests, then for plugins
    /// to finish delivering events.
    pub shutdown_timeout_secs: u64,
    /// Events each plugin may have waiting before new ones are dropped.
    pub plugin_queue_capacity: usize,
    /// The plugins to run: see [`PluginsSettings`]. Kept as a table here so
    /// that `usergraph config` can print it back.
    pub plugins: toml::Table,
}

impl Default for Config {
    fn default() -> Self {
        let service = ServiceSettings::default();
        let api = ApiSettings::default();
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "redb://./data/usergraph.redb".to_owned(),
            pg_max_connections: 10,
            pg_statement_timeout_ms: 30_000,
            sled_cache_mb: DEFAULT_SLED_CACHE_MB,
            redb_cache_mb: DEFAULT_REDB_CACHE_MB,
            argon2_memory_kib: service.argon2.memory_kib,
            argon2_iterations: service.argon2.iterations,
            argon2_parallelism: service.argon2.parallelism,
            max_concurrent_hashes: service.max_concurrent_hashes,
            max_body_bytes: api.max_body_bytes,
            max_query_depth: api.max_depth,
            max_query_complexity: api.max_complexity,
            max_query_nodes: api.max_nodes,
            max_batch: api.max_batch,
            count_cap: service.count_cap.get(),
            introspection: api.introspection,
            request_timeout_secs: api.request_timeout.as_secs(),
            console: api.console,
            live_max_connections_per_token: api.max_live_connections_per_token,
            live_max_subscriptions_per_connection: api.max_subscriptions_per_connection,
            live_max_message_bytes: api.max_live_message_bytes,
            live_keepalive_secs: api.live_keepalive.as_secs(),
            live_idle_timeout_secs: api.live_idle_timeout.as_secs(),
            live_buffer: service.live_buffer,
            live_recheck_secs: service.live_recheck.as_secs(),
            session_lifetime_secs: service.session_lifetime.as_secs(),
            max_token_lifetime_days: service
                .max_token_lifetime
                .map(|lifetime| lifetime.as_secs() / SECS_PER_DAY),
            throttle_max_failures_per_account: service.throttle.max_failures_per_account,
            throttle_max_failures_per_address: service.throttle.max_failures_per_address,
            throttle_window_secs: service.throttle.window.as_secs(),
            auth_cache_ttl_secs: service.auth_cache_ttl.as_secs(),
            trusted_proxies: api.trusted_proxies.clone(),
            log_format: LogFormat::Text,
            metrics: true,
            shutdown_timeout_secs: 10,
            plugin_queue_capacity: 1024,
            plugins: toml::Table::new(),
        }
    }
}

/// The file and environment layers; flags are applied on the result.
pub fn layers(file: Option<&Path>, env: Env) -> Figment {
    let figment = Figment::from(Serialized::defaults(Config::default()));
    let figment = match file {
        Some(path) => figment.merge(Toml::file_exact(path)),
        None => figment,
    };
    figment.merge(env)
}

/// The `USERGRAPH_*` variables of this process.
pub fn env() -> Env {
    Env::prefixed(ENV_PREFIX)
        .ignore(ENV_NOT_SETTINGS)
        .split("__")
}

/// The file to read: `--config` (or `USERGRAPH_CONFIG`) if given, else
/// `./usergraph.toml` if it exists.
pub fn file(given: Option<PathBuf>) -> Option<PathBuf> {
    given.or_else(|| {
        let default = PathBuf::from(DEFAULT_FILE);
        default.is_file().then_some(default)
    })
}

/// The settings `figment` holds, with the plugin table checked too.
pub fn extract(figment: &Figment) -> Result<Config, String> {
    let config: Config = figment
        .extract()
        .map_err(|e| format!("invalid configuration: {e}"))?;
    // Read through figment rather than from `config.plugins`, so that a bad
    // key is traced to the file or the variable it came from.
    if let Err(error) = figment.extract_inner::<PluginsSettings>("plugins") {
        return Err(format!(
            "invalid configuration: {}",
            plugin_key_error(figment, error)
        ));
    }
    config.check()?;
    Ok(config)
}

/// `error` (about the `[plugins]` table) with its full key and its origin:
/// the file's path or the environment variable's name.
fn plugin_key_error(figment: &Figment, error: figment::Error) -> String {
    // figment 0.10 puts the inner key after the path within it
    // (`webhooks.timeout.plugins`); accept it on either side.
    let mut path = error.path.clone();
    if path.last().map(String::as_str) == Some("plugins") {
        path.pop();
    } else if path.first().map(String::as_str) == Some("plugins") {
        path.remove(0);
    }
    if let figment::error::Kind::UnknownField(field, _) = &error.kind
        && path.last() != Some(field)
    {
        path.push(field.clone());
    }
    let mut key = vec!["plugins".to_owned()];
    key.extend(path);
    let dotted = key.join(".");
    let metadata = error
        .metadata
        .as_ref()
        .or_else(|| figment.find_metadata(&dotted));
    let origin = match metadata {
        Some(metadata) => match &metadata.source {
            Some(figment::Source::File(path)) => format!(" in {}", path.display()),
            _ if metadata.name.contains("environment") => {
                let variable: Vec<String> = key.iter().map(|k| k.to_ascii_uppercase()).collect();
                format!(" in the variable {ENV_PREFIX}{}", variable.join("__"))
            }
            _ => format!(" in {}", metadata.name),
        },
        None => String::new(),
    };
    format!("{}: key `{dotted}`{origin}", error.kind)
}

impl Config {
    /// Refuses values no server could run with.
    pub fn check(&self) -> Result<(), String> {
        if self.request_timeout_secs == 0 {
            return Err(
                "invalid configuration: request_timeout_secs must be at least 1".to_owned(),
            );
        }
        if CountCap::new(self.count_cap).is_err() {
            return Err("invalid configuration: count_cap must be at least 1".to_owned());
        }
        for (key, value) in [
            ("live_keepalive_secs", self.live_keepalive_secs),
            ("live_idle_timeout_secs", self.live_idle_timeout_secs),
            ("live_recheck_secs", self.live_recheck_secs),
            ("live_buffer", self.live_buffer as u64),
            (
                "live_max_subscriptions_per_connection",
                self.live_max_subscriptions_per_connection as u64,
            ),
            (
                "live_max_connections_per_token",
                self.live_max_connections_per_token as u64,
            ),
        ] {
            if value == 0 {
                return Err(format!("invalid configuration: {key} must be at least 1"));
            }
        }
        Ok(())
    }

    pub fn service_settings(&self) -> ServiceSettings {
        let mut settings = ServiceSettings {
            argon2: Argon2Params {
                memory_kib: self.argon2_memory_kib,
                iterations: self.argon2_iterations,
                parallelism: self.argon2_parallelism,
            },
            max_concurrent_hashes: self.max_concurrent_hashes,
            session_lifetime: Duration::from_secs(self.session_lifetime_secs),
            max_token_lifetime: self
                .max_token_lifetime_days
                .map(|days| Duration::from_secs(days.saturating_mul(SECS_PER_DAY))),
            // `check` refused a cap of 0.
            count_cap: CountCap::new(self.count_cap).unwrap_or_default(),
            auth_cache_ttl: Duration::from_secs(self.auth_cache_ttl_secs),
            live_buffer: self.live_buffer,
            live_recheck: Duration::from_secs(self.live_recheck_secs),
            ..ServiceSettings::default()
        };
        settings.throttle.max_failures_per_account = self.throttle_max_failures_per_account;
        settings.throttle.max_failures_per_address = self.throttle_max_failures_per_address;
        settings.throttle.window = Duration::from_secs(self.throttle_window_secs);
        settings
    }

    pub fn api_settings(&self) -> ApiSettings {
        ApiSettings {
            max_body_bytes: self.max_body_bytes,
            max_depth: self.max_query_depth,
            max_complexity: self.max_query_complexity,
            max_nodes: self.max_query_nodes,
            max_batch: self.max_batch,
            introspection: self.introspection,
            trusted_proxies: self.trusted_proxies.clone(),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            console: self.console,
            max_live_connections_per_token: self.live_max_connections_per_token,
            max_subscriptions_per_connection: self.live_max_subscriptions_per_connection,
            max_live_message_bytes: self.live_max_message_bytes,
            live_keepalive: Duration::from_secs(self.live_keepalive_secs),
            live_idle_timeout: Duration::from_secs(self.live_idle_timeout_secs),
            ..ApiSettings::default()
        }
    }

    pub fn store_settings(&self) -> StoreSettings {
        StoreSettings {
            max_connections: self.pg_max_connections,
            statement_timeout: Duration::from_millis(self.pg_statement_timeout_ms),
            sled_cache_mb: self.sled_cache_mb,
            redb_cache_mb: self.redb_cache_mb,
        }
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }

    /// The `[plugins]` table as the plugins crate reads it; an unknown key
    /// in it is an error naming the key.
    pub fn plugin_settings(&self) -> Result<PluginsSettings, String> {
        PluginsSettings::deserialize(toml::Value::Table(self.plugins.clone()))
            .map_err(|e| format!("invalid configuration: plugins: {e}"))
    }

    /// The configuration as TOML, fit to show: the database password and
    /// every plugin `secret` are replaced by `***`.
    pub fn to_redacted_toml(&self) -> Result<String, String> {
        let mut shown = self.clone();
        shown.database_url = backend::redacted(&shown.database_url);
        redact_secrets(&mut shown.plugins);
        toml::to_string(&shown).map_err(|e| format!("cannot print the configuration: {e}"))
    }
}

fn redact_secrets(table: &mut toml::Table) {
    for (key, value) in table.iter_mut() {
        if key.contains("secret") {
            *value = toml::Value::String(REDACTED.to_owned());
        } else {
            redact_value(value);
        }
    }
}

fn redact_value(value: &mut toml::Value) {
    match value {
        toml::Value::Table(table) => redact_secrets(table),
        toml::Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stands for the environment: variables under a test-only prefix.
    fn no_env() -> Env {
        Env::prefixed("USERGRAPH_TEST_NOTHING_SET_").split("__")
    }

    fn from_toml(text: &str) -> Result<Config, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("usergraph.toml");
        std::fs::write(&path, text).unwrap();
        extract(&layers(Some(&path), no_env()))
    }

    #[test]
    fn defaults_match_the_service_and_api_defaults() {
        let config = extract(&layers(None, no_env())).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.service_settings(), ServiceSettings::default());
        assert_eq!(config.api_settings(), ApiSettings::default());
        assert_eq!(
            config.plugin_settings().unwrap(),
            PluginsSettings::default()
        );
    }

    #[test]
    fn the_file_sets_values() {
        let config = from_toml(
            "listen = \"0.0.0.0:9000\"\nthrottle_window_secs = 60\n\
             max_token_lifetime_days = 90\nintrospection = false\nlog_format = \"json\"\n\
             console = false\n\
             [plugins.email_domains]\nallow = [\"example.com\"]\n",
        )
        .unwrap();
        assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(
            config.service_settings().throttle.window,
            Duration::from_secs(60)
        );
        assert_eq!(
            config.service_settings().max_token_lifetime,
            Some(Duration::from_secs(90 * SECS_PER_DAY))
        );
        assert!(!config.api_settings().introspection);
        assert!(!config.api_settings().console);
        assert_eq!(config.log_format, LogFormat::Json);
        assert!(config.plugin_settings().unwrap().email_domains.is_some());
    }

    #[test]
    fn the_count_cap_is_read_and_a_zero_cap_is_refused() {
        let err = from_toml("count_cap = 0\n").unwrap_err();
        assert!(err.contains("count_cap must be at least 1"), "{err}");
        let config = from_toml("count_cap = 250\n").unwrap();
        assert_eq!(config.service_settings().count_cap.get(), 250);
    }

    #[test]
    fn the_embedded_caches_reach_the_store_settings() {
        let defaults = Config::default().store_settings();
        assert_eq!(defaults.redb_cache_mb, 128);
        assert_eq!(defaults.sled_cache_mb, 256);
        let config = from_toml("redb_cache_mb = 64\nsled_cache_mb = 32\n").unwrap();
        assert_eq!(config.store_settings().redb_cache_mb, 64);
        assert_eq!(config.store_settings().sled_cache_mb, 32);
    }

    #[test]
    fn live_settings_reach_the_api_and_the_service_and_zeros_are_refused() {
        for key in [
            "live_keepalive_secs",
            "live_idle_timeout_secs",
            "live_recheck_secs",
            "live_buffer",
            "live_max_subscriptions_per_connection",
            "live_max_connections_per_token",
        ] {
            let err = from_toml(&format!("{key} = 0\n")).unwrap_err();
            assert!(err.contains(&format!("{key} must be at least 1")), "{err}");
        }
        let config = from_toml(
            "live_max_connections_per_token = 2\nlive_max_subscriptions_per_connection = 3\n\
             live_max_message_bytes = 4096\nlive_keepalive_secs = 5\nlive_idle_timeout_secs = 6\n\
             live_buffer = 7\nlive_recheck_secs = 8\n",
        )
        .unwrap();
        let api = config.api_settings();
        assert_eq!(api.max_live_connections_per_token, 2);
        assert_eq!(api.max_subscriptions_per_connection, 3);
        assert_eq!(api.max_live_message_bytes, 4096);
        assert_eq!(api.live_keepalive, Duration::from_secs(5));
        assert_eq!(api.live_idle_timeout, Duration::from_secs(6));
        let service = config.service_settings();
        assert_eq!(service.live_buffer, 7);
        assert_eq!(service.live_recheck, Duration::from_secs(8));
    }

    #[test]
    fn a_zero_request_timeout_is_refused() {
        let err = from_toml("request_timeout_secs = 0\n").unwrap_err();
        assert!(err.contains("request_timeout_secs"), "{err}");
        let config = from_toml("request_timeout_secs = 5\nmax_query_nodes = 200\n").unwrap();
        assert_eq!(
            config.api_settings().request_timeout,
            Duration::from_secs(5)
        );
        assert_eq!(config.api_settings().max_nodes, 200);
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = from_toml("listen = \"0.0.0.0:9000\"\nthrotle_window_secs = 60\n").unwrap_err();
        assert!(err.contains("throtle_window_secs"), "{err}");
        let err = from_toml("[plugins.webhooks]\nendpoints = []\ntimeout = 5\n").unwrap_err();
        assert!(err.contains("timeout"), "{err}");
        let err = from_toml("[plugins.spam_filter]\n").unwrap_err();
        assert!(err.contains("spam_filter"), "{err}");
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let err = extract(&layers(
            Some(Path::new("/no/such/usergraph.toml")),
            no_env(),
        ))
        .unwrap_err();
        assert!(err.contains("/no/such/usergraph.toml"), "{err}");
    }

    #[test]
    fn printed_config_hides_secrets_and_reads_back() {
        let config = from_toml(
            "database_url = \"postgres://app:hunter2@db/ug\"\n\
             [[plugins.webhooks.endpoints]]\nurl = \"https://hooks.example.com/x\"\n\
             secret = \"whsec-topsecret-value\"\nevents = [\"User.Created\"]\n",
        )
        .unwrap();
        let shown = config.to_redacted_toml().unwrap();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("whsec-topsecret-value"), "{shown}");
        assert!(shown.contains("postgres://app:***@db/ug"), "{shown}");
        let back = from_toml(&shown).unwrap();
        assert_eq!(back.listen, config.listen);
        assert_eq!(back.max_batch, config.max_batch);
    }
}
