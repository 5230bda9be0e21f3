//! The compact form of a log entry. The field order here is the format:
//! changing it, or the model's fields, needs a new format byte (the golden
//! test in `tests.rs` fails first).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use usergraph_core::model::LogResult;
use usergraph_core::{LogEntry, LogId, Result, RoleId, UserId};

use super::{exact_micros, from_msgpack, time, to_msgpack};

#[derive(Serialize)]
struct Out<'a> {
    id: &'a LogId,
    key: &'a str,
    success: bool,
    user_id: &'a Option<UserId>,
    role_id: &'a Option<RoleId>,
    actor_id: &'a Option<UserId>,
    token_id: &'a Option<String>,
    ip: &'a Option<String>,
    user_agent: &'a Option<String>,
    payload: &'a Value,
    error: &'a Option<String>,
    created_at: i64,
}

#[derive(Deserialize)]
struct In {
    id: LogId,
    key: String,
    success: bool,
    user_id: Option<UserId>,
    role_id: Option<RoleId>,
    actor_id: Option<UserId>,
    token_id: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    payload: Value,
    error: Option<String>,
    created_at: i64,
}

pub(super) fn encode(entry: &LogEntry) -> Option<Result<Vec<u8>>> {
    // Destructured so that a field added to the model fails to compile here
    // until the format decides where it goes.
    let LogEntry {
        id,
        key,
        result,
        user_id,
        role_id,
        actor_id,
        token_id,
        ip,
        user_agent,
        payload,
        error,
        created_at,
    } = entry;
    let out = Out {
        id,
        key,
        success: match result {
            LogResult::Success => true,
            LogResult::Error => false,
        },
        user_id,
        role_id,
        actor_id,
        token_id,
        ip,
        user_agent,
        payload,
        error,
        created_at: exact_micros(*created_at)?,
    };
    Some(to_msgpack(&out))
}

pub(super) fn decode(bytes: &[u8]) -> Result<LogEntry> {
    let stored: In = from_msgpack(bytes)?;
    Ok(LogEntry {
        id: stored.id,
        key: stored.key,
        result: if stored.success {
            LogResult::Success
        } else {
            LogResult::Error
        },
        user_id: stored.user_id,
        role_id: stored.role_id,
        actor_id: stored.actor_id,
        token_id: stored.token_id,
        ip: stored.ip,
        user_agent: stored.user_agent,
        payload: stored.payload,
        error: stored.error,
        created_at: time(stored.created_at)?,
    })
}
