//! `usergraph export` and `usergraph import` (binary only): core's
//! transfer engine over the store the URL names, with a progress bar on a
//! terminal and a plain progress line every few seconds otherwise.

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use usergraph_core::service::OnExisting;
use usergraph_core::transfer::{self, ImportOptions, ImportReport, Progress};
use usergraph_core::{Caller, Service, ServiceSettings};

use crate::backend;
use crate::cli::{ExportArgs, ImportArgs, ImportFormat};

/// How often a progress line is printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

async fn service(url: &str, pg: backend::StoreSettings) -> Result<Service, String> {
    let storage = backend::connect(url, pg).await.map_err(|e| e.to_string())?;
    Service::new(storage, ServiceSettings::default()).map_err(|e| format!("invalid settings: {e}"))
}

pub async fn export(args: ExportArgs) -> Result<(), String> {
    let service = service(&args.database_url, args.store.settings()).await?;
    let mut progress = Display::new("exported");
    let summary = match &args.output {
        Some(path) => {
            let file =
                File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            transfer::export(
                &service,
                &Caller::system(),
                BufWriter::new(file),
                &mut progress,
            )
            .await
        }
        None => {
            let stdout = std::io::stdout().lock();
            transfer::export(
                &service,
                &Caller::system(),
                BufWriter::new(stdout),
                &mut progress,
            )
            .await
        }
    }
    .map_err(|e| format!("export failed: {e}"))?;
    let _ = writeln!(
        std::io::stderr(),
        "exported {} users and {} roles",
        summary.users,
        summary.roles
    );
    Ok(())
}

pub async fn import(args: ImportArgs) -> Result<(), String> {
    let service = service(&args.database_url, args.store.settings()).await?;
    let file =
        File::open(&args.file).map_err(|e| format!("cannot open {}: {e}", args.file.display()))?;
    let options = ImportOptions {
        on_existing: if args.update_existing {
            OnExisting::Update
        } else {
            OnExisting::Skip
        },
        fail_fast: args.fail_fast,
    };
    let mut progress = Display::new("imported");
    let caller = Caller::system();
    let input = BufReader::new(file);
    let report = match args.format() {
        ImportFormat::Jsonl => {
            transfer::import_jsonl(&service, &caller, input, options, &mut progress).await
        }
        ImportFormat::Csv => {
            transfer::import_csv(&service, &caller, input, options, &mut progress).await
        }
    }
    .map_err(|e| format!("import of {} failed: {e}", args.file.display()))?;
    print_report(&report);
    if report.failed > 0 {
        return Err(format!(
            "{} line(s) of {} were not imported",
            report.failed,
            args.file.display()
        ));
    }
    Ok(())
}

/// Every failed line, then the counts, on stderr.
fn print_report(report: &ImportReport) {
    let mut err = std::io::stderr().lock();
    for error in &report.errors {
        let _ = writeln!(err, "{error}");
    }
    let unlisted = report.failed - report.errors.len() as u64;
    if unlisted > 0 {
        let _ = writeln!(err, "... and {unlisted} more failed lines");
    }
    let _ = writeln!(
        err,
        "{} created, {} updated, {} skipped (existing), {} failed{}",
        report.created,
        report.updated,
        report.skipped,
        report.failed,
        if report.stopped_early {
            "; stopped at the first bad line (--fail-fast)"
        } else {
            ""
        }
    );
}

/// A progress bar with rate and ETA on a terminal; otherwise a line every
/// [`PLAIN_EVERY`], which reads well in logs.
enum Display {
    Bar(Option<ProgressBar>),
    Plain {
        verb: &'static str,
        total: Option<u64>,
        done: u64,
        started: Instant,
        printed: Instant,
    },
}

impl Display {
    fn new(verb: &'static str) -> Self {
        if std::io::stderr().is_terminal() {
            Display::Bar(None)
        } else {
            let now = Instant::now();
            Display::Plain {
                verb,
                total: None,
                done: 0,
                started: now,
                printed: now,
            }
        }
    }
}

impl Progress for Display {
    fn start(&mut self, total: Option<u64>) {
        match self {
            Display::Bar(bar) => {
                let (new, template) = match total {
                    Some(total) => (
                        ProgressBar::new(total),
                        "{bar:40} {pos}/{len} records  {rate}  ETA {eta}",
                    ),
                    None => (
                        ProgressBar::new_spinner(),
                        "{spinner} {pos} records  {rate}  {elapsed}",
                    ),
                };
                if let Ok(style) = ProgressStyle::with_template(template) {
                    // Whole records per second: indicatif's own `per_sec` shows decimals.
                    new.set_style(style.with_key(
                        "rate",
                        |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                            let _ = write!(out, "{:.0}/s", state.per_sec());
                        },
                    ));
                }
                new.enable_steady_tick(Duration::from_millis(200));
                *bar = Some(new);
            }
            Display::Plain {
                total: slot,
                started,
                printed,
                ..
            } => {
                *slot = total;
                *started = Instant::now();
                *printed = *started;
            }
        }
    }

    fn advance(&mut self, n: u64) {
        match self {
            Display::Bar(bar) => {
                if let Some(bar) = bar {
                    bar.inc(n);
                }
            }
            Display::Plain {
                verb,
                total,
                done,
                started,
                printed,
            } => {
                *done += n;
                if printed.elapsed() >= PLAIN_EVERY {
                    *printed = Instant::now();
                    let rate = *done as f64 / started.elapsed().as_secs_f64().max(0.001);
                    let of = total.map(|t| format!(" of {t}")).unwrap_or_default();
                    let eta = match total {
                        Some(t) if rate > 0.0 => format!(
                            ", about {:.0} s left",
                            t.saturating_sub(*done) as f64 / rate
                        ),
                        _ => String::new(),
                    };
                    let _ = writeln!(
                        std::io::stderr(),
                        "{verb} {done}{of} records ({rate:.0}/s{eta})"
                    );
                }
            }
        }
    }

    fn finish(&mut self) {
        if let Display::Bar(Some(bar)) = self {
            bar.finish();
        }
    }
}
