//! Records are stored behind a format byte, so that a later format can be
//! told apart and migrated rather than misread.
//!
//! Format 1 is JSON, and stays readable forever. Format 2 is the compact
//! form of the two records a store holds millions of (users and log
//! entries): MessagePack arrays in a fixed field order and times as
//! microseconds, so no field name is repeated in every record. Other
//! records (roles, tokens) are few and stay JSON.

mod log;
mod user;

use serde::Serialize;
use serde::de::DeserializeOwned;
use usergraph_core::model::{AccessToken, Role};
use usergraph_core::time::{from_micros, to_micros};
use usergraph_core::{Error, LogEntry, Result, Timestamp, User};

const FORMAT_JSON_V1: u8 = 1;
const FORMAT_COMPACT_V2: u8 = 2;

/// A record kept in a tree. Types without a compact form are JSON.
pub(crate) trait Record: Serialize + DeserializeOwned {
    /// The compact encoding (without the format byte), or `None` when this
    /// type has none or this value cannot be held in it exactly.
    fn to_compact(&self) -> Option<Result<Vec<u8>>> {
        None
    }

    fn from_compact(_bytes: &[u8]) -> Result<Self> {
        Err(Error::internal("this record has no compact format"))
    }
}

impl Record for Role {}
impl Record for AccessToken {}

impl Record for User {
    fn to_compact(&self) -> Option<Result<Vec<u8>>> {
        user::encode(self)
    }

    fn from_compact(bytes: &[u8]) -> Result<Self> {
        user::decode(bytes)
    }
}

impl Record for LogEntry {
    fn to_compact(&self) -> Option<Result<Vec<u8>>> {
        log::encode(self)
    }

    fn from_compact(bytes: &[u8]) -> Result<Self> {
        log::decode(bytes)
    }
}

pub(crate) fn encode<T: Record>(record: &T) -> Result<Vec<u8>> {
    if let Some(compact) = record.to_compact() {
        let compact = compact?;
        let mut bytes = Vec::with_capacity(compact.len() + 1);
        bytes.push(FORMAT_COMPACT_V2);
        bytes.extend_from_slice(&compact);
        return Ok(bytes);
    }
    let mut bytes = vec![FORMAT_JSON_V1];
    serde_json::to_writer(&mut bytes, record).map_err(Error::internal)?;
    Ok(bytes)
}

pub(crate) fn decode<T: Record>(bytes: &[u8]) -> Result<T> {
    match bytes.split_first() {
        Some((&FORMAT_JSON_V1, json)) => serde_json::from_slice(json).map_err(Error::internal),
        Some((&FORMAT_COMPACT_V2, compact)) => T::from_compact(compact),
        Some((format, _)) => Err(Error::internal(format!("unknown record format {format}"))),
        None => Err(Error::internal("empty record")),
    }
}

/// `at` as whole microseconds, or `None` if that would drop precision (core
/// truncates every time it makes to microseconds; a record holding another
/// one is kept in JSON rather than altered).
fn exact_micros(at: Timestamp) -> Option<i64> {
    let micros = to_micros(at);
    (from_micros(micros) == Some(at)).then_some(micros)
}

fn time(micros: i64) -> Result<Timestamp> {
    from_micros(micros).ok_or_else(|| Error::internal(format!("time out of range: {micros}")))
}

fn to_msgpack<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    rmp_serde::to_vec(value).map_err(Error::internal)
}

fn from_msgpack<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    rmp_serde::from_slice(bytes).map_err(Error::internal)
}

#[cfg(test)]
mod tests;
