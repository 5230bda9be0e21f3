//! The backend benchmark: seeds N generated users into each backend through
//! `Service::create_users_batch`, then times the common operations through
//! the service and prints markdown tables (see BENCHMARKS.md).
//!
//! ```text
//! cargo bench -p usergraph-tests --bench backends -- \
//!     --users 10000,100000 --backends redb,sled,postgres [--iterations 200] [--seed 42]
//! ```
//!
//! The search scenario (BENCHMARKS.md, "Search at a million users") seeds
//! one store per N with a larger name pool and times advanced searches:
//!
//! ```text
//! cargo bench -p usergraph-tests --bench backends -- --scenario search \
//!     --users 1000000 [--backends redb] [--iterations 100] [--budget 30] \
//!     [--walk-budget 120] [--keep DIR] [--seed-only]
//! ```
//!
//! `--keep DIR` keeps the seeded redb/sled store in DIR (PostgreSQL: a
//! database of its own, with its marker in DIR) and reuses it on the next
//! run with the same N and seed (delete it after a storage format change). `--seed-only` (with `--keep`) stops once the store is seeded
//! (or found seeded), for runs that only need the store, such as
//! `scripts/console-first-screen`. `--sled-cache-mb` sets sled's cache (default 256, as the
//! server's) for every sled store of the run. `--budget` caps the seconds spent timing one row (at least 5
//! samples); `--walk-budget` caps the walk to the deep page.
//!
//! PostgreSQL is reached through `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each run uses its own
//! schema, dropped at the end. It is skipped with a note when unreachable.

// The report is the program's output.
#![allow(clippy::print_stdout)]

/// The `usergraph` binary's allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod measure;
mod people;
mod scenario;
mod search;
mod search_ops;
mod stores;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use measure::Summary;
use stores::Backend;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "usage: backends [--scenario backends|search] [--users 10000,100000] \
                     [--backends redb,sled,postgres] [--iterations 200] [--seed 42] \
                     [search only: --budget SECS] [--walk-budget SECS] [--keep DIR] \
                     [--seed-only] [--sled-cache-mb MB]";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    Backends,
    Search,
}

#[derive(Debug)]
struct Args {
    scenario: Scenario,
    users: Option<Vec<u64>>,
    backends: Option<Vec<Backend>>,
    iterations: Option<usize>,
    seed: u64,
    budget: Duration,
    walk_budget: Duration,
    keep: Option<PathBuf>,
    /// Search only, with `--keep`: seed the store and stop, timing nothing.
    seed_only: bool,
}

fn seconds(raw: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(number(raw)?).map_err(|e| format!("{raw:?}: {e}"))
}

fn number<T: std::str::FromStr>(raw: &str) -> Result<T, String> {
    raw.replace('_', "")
        .parse()
        .map_err(|_| format!("not a number: {raw:?}"))
}

fn parse_args(raw: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        scenario: Scenario::Backends,
        users: None,
        backends: None,
        iterations: None,
        seed: 42,
        budget: Duration::from_secs(30),
        walk_budget: Duration::from_secs(120),
        keep: None,
        seed_only: false,
    };
    let mut raw = raw;
    while let Some(flag) = raw.next() {
        // `cargo bench` passes `--bench` to every bench binary.
        if flag == "--bench" {
            continue;
        }
        if flag == "--seed-only" {
            args.seed_only = true;
            continue;
        }
        let value = raw
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--scenario" => {
                args.scenario = match value.as_str() {
                    "backends" => Scenario::Backends,
                    "search" => Scenario::Search,
                    other => return Err(format!("unknown scenario {other:?}\n{USAGE}")),
                }
            }
            "--users" => {
                args.users = Some(value.split(',').map(number).collect::<Result<_, _>>()?);
            }
            "--backends" => {
                args.backends = Some(
                    value
                        .split(',')
                        .map(Backend::parse)
                        .collect::<Result<_, _>>()?,
                );
            }
            "--iterations" => args.iterations = Some(number(&value)?),
            "--seed" => args.seed = number(&value)?,
            "--budget" => args.budget = seconds(&value)?,
            "--walk-budget" => args.walk_budget = seconds(&value)?,
            "--keep" => args.keep = Some(PathBuf::from(value)),
            "--sled-cache-mb" => stores::set_sled_cache_mb(number(&value)?),
            _ => return Err(format!("unknown argument {flag:?}\n{USAGE}")),
        }
    }
    if args.iterations == Some(0) || args.users.as_ref().is_some_and(|u| u.contains(&0)) {
        return Err(format!(
            "--users and --iterations must be positive\n{USAGE}"
        ));
    }
    if args.seed_only && (args.scenario != Scenario::Search || args.keep.is_none()) {
        return Err(format!(
            "--seed-only is for --scenario search with --keep\n{USAGE}"
        ));
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = parse_args(std::env::args().skip(1))?;
    match args.scenario {
        Scenario::Backends => backends(args).await,
        Scenario::Search => search(args).await,
    }
}

async fn search(args: Args) -> Result<(), BoxError> {
    let options = search::Options {
        budget: measure::Budget {
            iterations: args.iterations.unwrap_or(100),
            time: args.budget,
        },
        walk_budget: args.walk_budget,
        keep: args.keep.as_deref(),
        seed_only: args.seed_only,
    };
    for users in args.users.unwrap_or_else(|| vec![100_000]) {
        for &backend in args.backends.as_deref().unwrap_or(&[Backend::Redb]) {
            if let Some(run) = search::run(backend, users, args.seed, &options).await? {
                search_ops::print(&run);
            }
        }
    }
    Ok(())
}

async fn backends(args: Args) -> Result<(), BoxError> {
    if args.keep.is_some() {
        return Err(format!("--keep is for --scenario search\n{USAGE}").into());
    }
    let iterations = args.iterations.unwrap_or(200);
    let mut runs: BTreeMap<u64, Vec<scenario::Run>> = BTreeMap::new();
    let all = [Backend::Redb, Backend::Sled, Backend::Postgres];
    for users in args.users.unwrap_or_else(|| vec![10_000, 100_000]) {
        for &backend in args.backends.as_deref().unwrap_or(&all) {
            if let Some(run) = scenario::run(backend, users, iterations, args.seed).await? {
                runs.entry(users).or_default().push(run);
            }
        }
    }
    print_report(&runs, iterations);
    Ok(())
}

fn print_report(runs: &BTreeMap<u64, Vec<scenario::Run>>, iterations: usize) {
    println!("## Seeding (create_users_batch)\n");
    println!("| backend | users | seed time | users/s |");
    println!("|---|---:|---:|---:|");
    for (users, list) in runs {
        for run in list {
            println!(
                "| {} | {users} | {:.1} s | {:.0} |",
                run.backend,
                run.seed_time.as_secs_f64(),
                rate(*users, run.seed_time)
            );
        }
    }
    for (users, list) in runs {
        println!("\n## {users} users ({iterations} iterations per operation)\n");
        let mut header = String::from("| operation |");
        let mut rule = String::from("|---|");
        for run in list {
            header.push_str(&format!(" {0} p50 | {0} p95 | {0} mean |", run.backend));
            rule.push_str("---:|---:|---:|");
        }
        println!("{header}\n{rule}");
        let Some(first) = list.first() else { continue };
        for (row, (operation, _)) in first.timings.iter().enumerate() {
            let mut line = format!("| {operation} |");
            for run in list {
                match run.timings.get(row) {
                    Some((_, Summary { p50, p95, mean })) => line.push_str(&format!(
                        " {} | {} | {} |",
                        measure::millis(*p50),
                        measure::millis(*p95),
                        measure::millis(*mean)
                    )),
                    None => line.push_str(" | | |"),
                }
            }
            println!("{line}");
        }
    }
}

fn rate(users: u64, elapsed: Duration) -> f64 {
    users as f64 / elapsed.as_secs_f64().max(f64::EPSILON)
}
