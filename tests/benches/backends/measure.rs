//! Timing repeated calls and summarizing them.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::BoxError;

/// Untimed calls before the timed ones, to warm caches and connections.
pub const WARMUP: usize = 20;

#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub p50: Duration,
    pub p95: Duration,
    pub mean: Duration,
}

/// Runs `call(i)` `WARMUP` times untimed, then `iterations` times timed.
pub async fn time<F, Fut>(iterations: usize, mut call: F) -> Result<Summary, BoxError>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<(), BoxError>>,
{
    for i in 0..WARMUP {
        call(i).await?;
    }
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let start = Instant::now();
        call(WARMUP + i).await?;
        samples.push(start.elapsed());
    }
    Ok(summarize(samples))
}

/// How long a slow operation may be timed, and how little of it is enough.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub iterations: usize,
    /// Timing stops once this much time went by and `MIN_SAMPLES` were
    /// taken: a search that scans a million users cannot be run 100 times
    /// for every row.
    pub time: Duration,
}

/// Samples a budgeted operation always gets.
pub const MIN_SAMPLES: usize = 5;

/// Like [`time`], within `budget`: a few warm-up calls (fewer for slow
/// operations), then up to `budget.iterations` timed ones. Returns the
/// summary and the number of timed calls.
pub async fn time_within<F, Fut>(budget: Budget, mut call: F) -> Result<(Summary, usize), BoxError>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<(), BoxError>>,
{
    let warmup_until = Instant::now() + budget.time / 10;
    let mut calls = 0;
    while calls < WARMUP && (calls == 0 || Instant::now() < warmup_until) {
        call(calls).await?;
        calls += 1;
    }
    let started = Instant::now();
    let mut samples = Vec::with_capacity(budget.iterations);
    while samples.len() < budget.iterations
        && (samples.len() < MIN_SAMPLES || started.elapsed() < budget.time)
    {
        let start = Instant::now();
        call(calls).await?;
        samples.push(start.elapsed());
        calls += 1;
    }
    let taken = samples.len();
    Ok((summarize(samples), taken))
}

fn summarize(mut samples: Vec<Duration>) -> Summary {
    samples.sort_unstable();
    let total: Duration = samples.iter().sum();
    let count = u32::try_from(samples.len().max(1)).unwrap_or(u32::MAX);
    Summary {
        p50: percentile(&samples, 50),
        p95: percentile(&samples, 95),
        mean: total / count,
    }
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], pct: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

/// `0.123 ms`, with precision that suits the size.
pub fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{ms:.3} ms")
    } else if ms < 100.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}
