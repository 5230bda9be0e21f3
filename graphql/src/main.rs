//! The `usergraph` server: `usergraph [serve]` runs the GraphQL API,
//! `usergraph schema` prints its SDL, `usergraph migrate` applies database
//! migrations.

mod backend;
mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use usergraph_core::Service;

use crate::cli::{Action, Cli, MigrateArgs, ServeArgs};

fn main() -> ExitCode {
    match Cli::parse().action() {
        Action::PrintSchema => print_schema(),
        Action::Serve(args) => run(serve(args)),
        Action::Migrate(args) => run(migrate(args)),
    }
}

/// Runs `job` on a fresh multi-threaded runtime, with logging on.
fn run(job: impl Future<Output = Result<(), String>>) -> ExitCode {
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(job) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(message),
    }
}

async fn migrate(args: MigrateArgs) -> Result<(), String> {
    let done = backend::migrate(&args.database_url, args.pg.settings())
        .await
        .map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{done}").map_err(|e| format!("cannot write: {e}"))
}

fn print_schema() -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out
        .write_all(usergraph::sdl().as_bytes())
        .and_then(|()| out.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("cannot write the schema: {e}")),
    }
}

fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only for a person watching, not for log collectors.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .init();
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let storage = backend::connect(&args.database_url, args.pg.settings())
        .await
        .map_err(|e| e.to_string())?;
    let service = Service::new(storage, args.service_settings())
        .map_err(|e| format!("invalid settings: {e}"))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let address = listener.local_addr().unwrap_or(args.listen);
    tracing::info!(
        %address,
        database = %backend::redacted(&args.database_url),
        "usergraph listening; GraphiQL at http://{address}/graphql"
    );
    let app = usergraph::router(service, args.api_settings());
    usergraph::serve(listener, app, shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))?;
    tracing::info!("usergraph stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish what is in flight.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

fn fail(message: String) -> ExitCode {
    // A one-line error for the operator; no backtrace, no debug dump.
    let _ = writeln!(std::io::stderr(), "usergraph: {message}");
    ExitCode::FAILURE
}
