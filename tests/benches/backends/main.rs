//! The backend benchmark: seeds N generated users into each backend through
//! `Service::create_users_batch`, then times the common operations through
//! the service and prints markdown tables (see BENCHMARKS.md).
//!
//! ```text
//! cargo bench -p usergraph-tests --bench backends -- \
//!     --users 10000,100000 --backends redb,sled,postgres [--iterations 200] [--seed 42]
//! ```
//!
//! PostgreSQL is reached through `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each run uses its own
//! schema, dropped at the end. It is skipped with a note when unreachable.

// The report is the program's output.
#![allow(clippy::print_stdout)]

mod measure;
mod people;
mod scenario;
mod stores;

use std::collections::BTreeMap;
use std::time::Duration;

use measure::Summary;
use stores::Backend;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "usage: backends [--users 10000,100000] [--backends redb,sled,postgres] \
                     [--iterations 200] [--seed 42]";

#[derive(Debug)]
struct Args {
    users: Vec<u64>,
    backends: Vec<Backend>,
    iterations: usize,
    seed: u64,
}

fn number<T: std::str::FromStr>(raw: &str) -> Result<T, String> {
    raw.replace('_', "")
        .parse()
        .map_err(|_| format!("not a number: {raw:?}"))
}

fn parse_args(raw: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        users: vec![10_000, 100_000],
        backends: vec![Backend::Redb, Backend::Sled, Backend::Postgres],
        iterations: 200,
        seed: 42,
    };
    let mut raw = raw;
    while let Some(flag) = raw.next() {
        // `cargo bench` passes `--bench` to every bench binary.
        if flag == "--bench" {
            continue;
        }
        let value = raw
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--users" => args.users = value.split(',').map(number).collect::<Result<_, _>>()?,
            "--backends" => {
                args.backends = value
                    .split(',')
                    .map(Backend::parse)
                    .collect::<Result<_, _>>()?;
            }
            "--iterations" => args.iterations = number(&value)?,
            "--seed" => args.seed = number(&value)?,
            _ => return Err(format!("unknown argument {flag:?}\n{USAGE}")),
        }
    }
    if args.iterations == 0 || args.users.contains(&0) {
        return Err(format!(
            "--users and --iterations must be positive\n{USAGE}"
        ));
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = parse_args(std::env::args().skip(1))?;
    let mut runs: BTreeMap<u64, Vec<scenario::Run>> = BTreeMap::new();
    for &users in &args.users {
        for &backend in &args.backends {
            if let Some(run) = scenario::run(backend, users, args.iterations, args.seed).await? {
                runs.entry(users).or_default().push(run);
            }
        }
    }
    print_report(&runs, args.iterations);
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
