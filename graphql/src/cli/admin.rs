//! `usergraph admin ...`: commands that act on the store directly, with
//! the process's own authority (whoever can run them can read the store
//! anyway).

use clap::{Args, Subcommand};

use super::StoreArgs;

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Mint a personal access token for a user and print its secret (and
    /// nothing else) on stdout. Embedded stores (redb, sled) are locked by
    /// a running server: stop it first.
    Token(TokenArgs),
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Whose token it is; it acts with that user's permissions.
    #[arg(long)]
    pub username: String,

    /// The token's name, unique among the user's tokens (default: `cli`
    /// and the current time).
    #[arg(long)]
    pub name: Option<String>,

    /// Days until the token expires (default: never).
    #[arg(long)]
    pub expires_in_days: Option<u32>,

    /// The store, as for `serve`.
    #[arg(
        long,
        env = "USERGRAPH_DATABASE_URL",
        default_value = "redb://./data/usergraph.redb"
    )]
    pub database_url: String,

    #[command(flatten)]
    pub store: StoreArgs,
}
