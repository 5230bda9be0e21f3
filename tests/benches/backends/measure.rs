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
