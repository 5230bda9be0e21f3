//! The `usergraph` server: `usergraph [serve]` runs the GraphQL API,
//! `usergraph config` prints its effective configuration,
//! `usergraph schema` prints its SDL, `usergraph migrate` applies database
//! migrations, `usergraph admin token` mints an access token.

mod admin;
mod backend;
mod cli;
mod config;
mod logging;
mod server;
mod transfer;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::cli::{Action, Cli, MigrateArgs, ServeArgs};
use crate::config::LogFormat;
use crate::logging::Sink;

/// mimalloc instead of the C library's allocator: a request, and above all
/// a bulk import, makes many short-lived allocations of mixed sizes, and
/// glibc's malloc and free took about a quarter of an import's CPU time
/// (BENCHMARKS.md, "Import").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long exiting waits for blocking work still running.
const BLOCKING_WORK_GRACE: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    match Cli::parse().action() {
        Action::PrintSchema => print_schema(),
        Action::Serve(args) => serve(&args),
        Action::PrintConfig(args) => print_config(&args),
        Action::Migrate(args) => run(migrate(args)),
        // Its stdout is the secret alone: logs go to stderr.
        Action::AdminToken(args) => run_quietly(admin::mint_token(args)),
        // An export may go to stdout; reports and progress go to stderr.
        Action::Export(args) => run_quietly(transfer::export(args)),
        Action::Import(args) => run_quietly(transfer::import(args)),
    }
}

/// Runs `job` on a fresh multi-threaded runtime, with logging on.
fn run(job: impl Future<Output = Result<(), String>>) -> ExitCode {
    let _log = logging::init(LogFormat::Text, Sink::Stdout);
    block_on(job)
}

/// [`run`], logging to stderr.
fn run_quietly(job: impl Future<Output = Result<(), String>>) -> ExitCode {
    let _log = logging::init(LogFormat::Text, Sink::Stderr);
    block_on(job)
}

/// `usergraph serve`, logging as configured.
fn serve(args: &ServeArgs) -> ExitCode {
    match args.config() {
        Ok(config) => {
            // Held to the end: dropping it writes the lines still queued.
            let _log = logging::init(config.log_format, Sink::StdoutInBackground);
            block_on(server::serve(config))
        }
        Err(message) => fail(message),
    }
}

/// `usergraph config`: what `serve` would run with, secrets redacted.
fn print_config(args: &ServeArgs) -> ExitCode {
    let shown = args.config().and_then(|config| config.to_redacted_toml());
    match shown {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(format!("cannot write the configuration: {e}")),
            }
        }
        Err(message) => fail(message),
    }
}

fn block_on(job: impl Future<Output = Result<(), String>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(job);
    // Blocking work left over from requests cut off at the shutdown
    // deadline (a password hash) gets a moment, not a veto over exiting.
    runtime.shutdown_timeout(BLOCKING_WORK_GRACE);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(message),
    }
}

async fn migrate(args: MigrateArgs) -> Result<(), String> {
    let done = backend::migrate(&args.database_url, args.store.settings())
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

fn fail(message: String) -> ExitCode {
    // A one-line error for the operator; no backtrace, no debug dump.
    let _ = writeln!(std::io::stderr(), "usergraph: {message}");
    ExitCode::FAILURE
}
