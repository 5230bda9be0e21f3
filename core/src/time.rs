//! Timestamps are UTC with microsecond precision everywhere, so that every
//! backend (PostgreSQL's `timestamptz` included) stores and orders exactly the
//! values core produced.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

pub type Timestamp = DateTime<Utc>;

/// Now, truncated to whole microseconds.
pub fn now() -> Timestamp {
    truncate(Utc::now())
}

/// Drops sub-microsecond precision.
pub fn truncate(at: Timestamp) -> Timestamp {
    at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at)
}

/// Microseconds since the Unix epoch: the sortable integer form of a timestamp.
pub fn to_micros(at: Timestamp) -> i64 {
    at.timestamp_micros()
}

pub fn from_micros(micros: i64) -> Option<Timestamp> {
    DateTime::from_timestamp_micros(micros)
}
