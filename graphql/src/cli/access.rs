//! Flags of `serve` about access control: sessions, tokens, sign-in
//! throttling (and which proxies name the client) and introspection.

use clap::{ArgAction, Args};
use usergraph::TrustedProxies;

use crate::config::Config;

#[derive(Debug, Default, Args)]
pub struct AccessArgs {
    /// How long a `signIn` session lasts, in seconds.
    #[arg(long)]
    pub session_lifetime_secs: Option<u64>,

    /// Longest lifetime of a personal access token, in days; when set, every
    /// new token must have an `expiresAt` within it. Unset: no limit.
    #[arg(long)]
    pub max_token_lifetime_days: Option<u64>,

    /// Failed sign-ins (and password checks) of one account, within the
    /// window, before further attempts are refused with `RATE_LIMITED`.
    #[arg(long)]
    pub throttle_max_failures_per_account: Option<u32>,

    /// Failed sign-ins, password checks and refused tokens from one client
    /// address, within the window, before it is refused with `RATE_LIMITED`.
    #[arg(long)]
    pub throttle_max_failures_per_address: Option<u32>,

    /// The sliding window failures are counted in, in seconds.
    #[arg(long)]
    pub throttle_window_secs: Option<u64>,

    /// How long an authenticated token is trusted without reading it again,
    /// in seconds (0: read on every request). This server's own changes
    /// take effect at once; it bounds how late another instance sharing a
    /// PostgreSQL database sees a token revoked, an owner suspended or a
    /// role changed.
    #[arg(long)]
    pub auth_cache_ttl_secs: Option<u64>,

    /// Proxies whose `X-Forwarded-For` / `Forwarded` headers name the
    /// client, as comma-separated CIDR blocks or addresses
    /// (`10.0.0.0/8,192.0.2.7`). Other peers' headers are ignored.
    #[arg(long, value_name = "CIDRS")]
    pub trusted_proxies: Option<TrustedProxies>,

    /// Whether the schema answers introspection queries.
    #[arg(long, action = ArgAction::Set)]
    pub introspection: Option<bool>,

    /// Refuse introspection queries (the same as `--introspection false`).
    #[arg(long)]
    pub no_introspection: bool,
}

impl AccessArgs {
    pub fn apply(&self, config: &mut Config) {
        if let Some(secs) = self.session_lifetime_secs {
            config.session_lifetime_secs = secs;
        }
        if let Some(days) = self.max_token_lifetime_days {
            config.max_token_lifetime_days = Some(days);
        }
        if let Some(max) = self.throttle_max_failures_per_account {
            config.throttle_max_failures_per_account = max;
        }
        if let Some(max) = self.throttle_max_failures_per_address {
            config.throttle_max_failures_per_address = max;
        }
        if let Some(secs) = self.throttle_window_secs {
            config.throttle_window_secs = secs;
        }
        if let Some(secs) = self.auth_cache_ttl_secs {
            config.auth_cache_ttl_secs = secs;
        }
        if let Some(proxies) = &self.trusted_proxies {
            config.trusted_proxies = proxies.clone();
        }
        if let Some(on) = self.introspection {
            config.introspection = on;
        }
        if self.no_introspection {
            config.introspection = false;
        }
    }
}
