//! The flags of the subscription (WebSocket) settings; see README "Live
//! updates".

use clap::Args;

use crate::config::Config;

#[derive(Args, Debug, Clone, Default, PartialEq)]
pub struct LiveArgs {
    /// Subscription (WebSocket) connections one token may hold open.
    #[arg(long)]
    pub live_max_connections_per_token: Option<usize>,

    /// Subscriptions one connection may run at once.
    #[arg(long)]
    pub live_max_subscriptions_per_connection: Option<usize>,

    /// Largest WebSocket message a client may send, in bytes.
    #[arg(long)]
    pub live_max_message_bytes: Option<usize>,

    /// Seconds between the server's pings; a connection silent for twice
    /// that is closed.
    #[arg(long)]
    pub live_keepalive_secs: Option<u64>,

    /// Seconds a connection may stay open without a subscription.
    #[arg(long)]
    pub live_idle_timeout_secs: Option<u64>,

    /// Log entries a subscription's reader may fall behind before `LAGGED`.
    #[arg(long)]
    pub live_buffer: Option<usize>,

    /// Seconds between two checks that a subscriber's token and permission
    /// still hold.
    #[arg(long)]
    pub live_recheck_secs: Option<u64>,
}

impl LiveArgs {
    pub fn apply(&self, config: &mut Config) {
        let sizes = [
            (
                &mut config.live_max_connections_per_token,
                self.live_max_connections_per_token,
            ),
            (
                &mut config.live_max_subscriptions_per_connection,
                self.live_max_subscriptions_per_connection,
            ),
            (
                &mut config.live_max_message_bytes,
                self.live_max_message_bytes,
            ),
            (&mut config.live_buffer, self.live_buffer),
        ];
        for (slot, flag) in sizes {
            if let Some(value) = flag {
                *slot = value;
            }
        }
        let seconds = [
            (&mut config.live_keepalive_secs, self.live_keepalive_secs),
            (
                &mut config.live_idle_timeout_secs,
                self.live_idle_timeout_secs,
            ),
            (&mut config.live_recheck_secs, self.live_recheck_secs),
        ];
        for (slot, flag) in seconds {
            if let Some(value) = flag {
                *slot = value;
            }
        }
    }
}
