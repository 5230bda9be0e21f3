//! What the HTTP benchmark's floors (`examples/bare_handler.rs`,
//! `examples/minimal_graphql.rs`) share: a listener whose address the
//! benchmark script reads from the first line of stdout.

use std::io::Write;

use tokio::net::TcpListener;

/// Binds the address given as the first argument (default `127.0.0.1:0`)
/// and prints the address bound, for `scripts/http-bench` to read.
pub async fn announced_listener() -> std::io::Result<TcpListener> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = TcpListener::bind(&address).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", listener.local_addr()?)?;
    out.flush()?;
    Ok(listener)
}
