//! `Storage::commit_each` on PostgreSQL: runs of new users (an insert, its
//! role assignments, its log entries: what imports and batch creates
//! write) go in with `COPY`, one transaction per run; any other group is
//! committed on its own, in order.
//!
//! `COPY` stops at the first row that breaks a constraint, so the groups
//! that would fail are found first: their ids and unique keys are looked up
//! in one query per column, and checked against the groups before them in
//! the run, in the order a single insert checks them (id, username, email,
//! phone, then the roles, then the log ids). The others are copied. Should
//! a concurrent writer take a key (or delete a role) between that check
//! and the copy, the constraint still holds: the copy fails, nothing of it
//! is written, and the run is committed group by group instead.

use std::collections::HashSet;

use chrono::SecondsFormat;
use sqlx::PgConnection;
use sqlx::postgres::PgPool;
use usergraph_core::storage::new_user_group;
use usergraph_core::{Entity, Error, LogEntry, Result, RoleId, Timestamp, UserId, WriteOp};

use crate::error::{FOREIGN_KEY_VIOLATION, UNIQUE_VIOLATION, db_error, internal, unique_violation};
use crate::log_order::LogOrder;
use crate::rows::UserRow;
use crate::write;

/// Each group as its own commit would do it; see the module docs.
pub(crate) async fn commit_each(
    pool: &PgPool,
    order: &LogOrder,
    groups: Vec<Vec<WriteOp>>,
) -> Result<Vec<Result<()>>> {
    let mut results = Vec::with_capacity(groups.len());
    let mut groups = groups.into_iter().peekable();
    while groups.peek().is_some() {
        let mut run = Vec::new();
        while let Some(group) = groups.next_if(|ops| new_user_group(ops).is_some()) {
            run.push(group);
        }
        if run.is_empty() {
            if let Some(ops) = groups.next() {
                results.push(single(pool, order, &ops).await?);
            }
        } else {
            results.extend(copy_run(pool, order, run).await?);
        }
    }
    Ok(results)
}

fn is_constraint_violation(error: &sqlx::Error) -> bool {
    db_error(error)
        .is_some_and(|(code, _)| code == UNIQUE_VIOLATION || code == FOREIGN_KEY_VIOLATION)
}

/// A group's own error, or the call's when storage itself failed.
async fn single(pool: &PgPool, order: &LogOrder, ops: &[WriteOp]) -> Result<Result<()>> {
    match write::commit(pool, order, ops).await {
        Err(e @ Error::Internal(_)) => Err(e),
        outcome => Ok(outcome),
    }
}

fn assigned(ops: &[WriteOp]) -> impl Iterator<Item = &RoleId> {
    ops.iter().flat_map(|op| match op {
        WriteOp::AssignRoles { role_ids, .. } => role_ids.as_slice(),
        _ => &[],
    })
}

fn logged(ops: &[WriteOp]) -> impl Iterator<Item = &LogEntry> {
    ops.iter().filter_map(|op| match op {
        WriteOp::AppendLog(entry) => Some(entry.as_ref()),
        _ => None,
    })
}

/// The values among `candidates` that `query` finds stored.
async fn taken(
    conn: &mut PgConnection,
    query: &'static str,
    candidates: Vec<String>,
) -> Result<HashSet<String>> {
    if candidates.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<String> = sqlx::query_scalar(query)
        .bind(candidates)
        .fetch_all(conn)
        .await
        .map_err(internal)?;
    Ok(found.into_iter().collect())
}

/// What is already stored, for the checks of one run.
struct Stored {
    ids: HashSet<String>,
    usernames: HashSet<String>,
    emails: HashSet<String>,
    phones: HashSet<String>,
    roles: HashSet<String>,
    logs: HashSet<String>,
}

/// Looked up in one snapshot, with bitmap scans off: pg_trgm's GIN
/// indexes answer `=` too, and for ten thousand values the planner picks
/// them over the unique B-trees (one lookup of 10,000 usernames took 62 s
/// instead of 18 ms), and GIN indexes are read only through bitmap scans.
async fn stored(pool: &PgPool, rows: &[(UserRow, &[WriteOp])]) -> Result<Stored> {
    let column = |pick: fn(&UserRow) -> Option<&String>| -> Vec<String> {
        rows.iter()
            .filter_map(|(row, _)| pick(row).cloned())
            .collect()
    };
    let roles: HashSet<String> = rows
        .iter()
        .flat_map(|(_, ops)| assigned(ops).map(|id| id.as_str().to_owned()))
        .collect();
    let logs = rows
        .iter()
        .flat_map(|(_, ops)| logged(ops).map(|e| e.id.as_str().to_owned()))
        .collect();
    let mut tx = pool.begin().await.map_err(internal)?;
    sqlx::query("SET LOCAL enable_bitmapscan = off")
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    let stored = Stored {
        ids: taken(
            &mut tx,
            "SELECT id FROM users WHERE id = ANY($1)",
            column(|r| Some(&r.id)),
        )
        .await?,
        usernames: taken(
            &mut tx,
            "SELECT username_key FROM users WHERE username_key = ANY($1)",
            column(|r| r.username_key.as_ref()),
        )
        .await?,
        emails: taken(
            &mut tx,
            "SELECT email_key FROM users WHERE email_key = ANY($1)",
            column(|r| r.email_key.as_ref()),
        )
        .await?,
        phones: taken(
            &mut tx,
            "SELECT primary_phone FROM users WHERE primary_phone = ANY($1)",
            column(|r| r.primary_phone.as_ref()),
        )
        .await?,
        roles: taken(
            &mut tx,
            "SELECT id FROM roles WHERE id = ANY($1)",
            roles.into_iter().collect(),
        )
        .await?,
        logs: taken(&mut tx, "SELECT id FROM logs WHERE id = ANY($1)", logs).await?,
    };
    tx.commit().await.map_err(internal)?;
    Ok(stored)
}

/// The error the group's own commit would give, given what is stored and
/// what the groups kept before it hold (`kept`, updated when it passes):
/// the error of the constraint that commit would break first.
fn check(row: &UserRow, ops: &[WriteOp], stored: &Stored, kept: &mut Stored) -> Result<()> {
    let keys = [
        ("users_pkey", Some(&row.id), &stored.ids, &kept.ids),
        (
            "users_username_key",
            row.username_key.as_ref(),
            &stored.usernames,
            &kept.usernames,
        ),
        (
            "users_email_key",
            row.email_key.as_ref(),
            &stored.emails,
            &kept.emails,
        ),
        (
            "users_phone_key",
            row.primary_phone.as_ref(),
            &stored.phones,
            &kept.phones,
        ),
    ];
    for (constraint, value, stored, kept) in keys {
        if value.is_some_and(|v| stored.contains(v) || kept.contains(v)) {
            return Err(violated(constraint));
        }
    }
    for op in ops {
        match op {
            WriteOp::AssignRoles { role_ids, .. } => {
                if let Some(missing) = role_ids
                    .iter()
                    .find(|id| !stored.roles.contains(id.as_str()))
                {
                    return Err(Error::not_found(Entity::Role, missing.as_str()));
                }
            }
            WriteOp::AppendLog(entry) => {
                let id = entry.id.as_str();
                if stored.logs.contains(id) || kept.logs.contains(id) {
                    return Err(violated("logs_pkey"));
                }
            }
            _ => {}
        }
    }
    kept.ids.insert(row.id.clone());
    kept.usernames.extend(row.username_key.clone());
    kept.emails.extend(row.email_key.clone());
    kept.phones.extend(row.primary_phone.clone());
    kept.logs
        .extend(logged(ops).map(|e| e.id.as_str().to_owned()));
    Ok(())
}

/// What a write that broke `constraint` answers (the mapping every write
/// of this backend uses).
fn violated(constraint: &str) -> Error {
    unique_violation(constraint)
        .unwrap_or_else(|| Error::internal(format!("no error for constraint {constraint}")))
}

async fn copy_run(
    pool: &PgPool,
    order: &LogOrder,
    run: Vec<Vec<WriteOp>>,
) -> Result<Vec<Result<()>>> {
    let mut rows = Vec::with_capacity(run.len());
    for ops in &run {
        if let Some(user) = new_user_group(ops) {
            rows.push((UserRow::new(user)?, ops.as_slice()));
        }
    }
    let stored = stored(pool, &rows).await?;
    let mut kept = Stored {
        ids: HashSet::new(),
        usernames: HashSet::new(),
        emails: HashSet::new(),
        phones: HashSet::new(),
        roles: HashSet::new(),
        logs: HashSet::new(),
    };
    let mut results = Vec::with_capacity(rows.len());
    let mut files = CopyFiles::default();
    for (row, ops) in &rows {
        let outcome = check(row, ops, &stored, &mut kept);
        if outcome.is_ok() {
            files.add(row, ops);
        }
        results.push(outcome);
    }
    if files.users.is_empty() {
        return Ok(results);
    }
    match files.copy(pool, order).await {
        Ok(()) => Ok(results),
        // A concurrent writer got in between: one commit per group says
        // which groups still can be written.
        Err(CopyError::Database(e)) if is_constraint_violation(&e) => {
            let mut results = Vec::with_capacity(run.len());
            for ops in &run {
                results.push(single(pool, order, ops).await?);
            }
            Ok(results)
        }
        Err(CopyError::Database(e)) => Err(internal(e)),
        Err(CopyError::Order(e)) => Err(e),
    }
}

/// The `COPY` input (CSV) of the three tables.
#[derive(Default)]
struct CopyFiles {
    users: String,
    users_roles: String,
    /// Rendered in the copy's transaction: an entry may have to move
    /// after the newest committed one (see `log_order.rs`).
    logs: Vec<LogEntry>,
}

const COPY_USERS: &str = "COPY users (id, username, primary_email, primary_phone, name, avatar, \
     profile, custom_data, identities, providers, provider_keys, password_digest, \
     password_algorithm, is_suspended, last_sign_in_at, created_at, updated_at, version, \
     username_key, email_key, name_key) FROM STDIN WITH (FORMAT csv)";
const COPY_USERS_ROLES: &str = "COPY users_roles (user_id, role_id) FROM STDIN WITH (FORMAT csv)";
const COPY_LOGS: &str = "COPY logs (id, key, result, user_id, role_id, actor_id, token_id, ip, \
     user_agent, payload, error, created_at) FROM STDIN WITH (FORMAT csv)";

impl CopyFiles {
    fn add(&mut self, row: &UserRow, ops: &[WriteOp]) {
        let json = |value: &serde_json::Value| value.to_string();
        let (profile, custom_data, identities) = (
            json(&row.profile.0),
            json(&row.custom_data.0),
            json(&row.identities.0),
        );
        let (providers, provider_keys) = (array(&row.providers), array(&row.provider_keys));
        let last_sign_in_at = row.last_sign_in_at.map(stamp);
        let (created_at, updated_at) = (stamp(row.created_at), stamp(row.updated_at));
        let version = row.version.to_string();
        csv_row(
            &mut self.users,
            &[
                Some(&row.id),
                row.username.as_deref(),
                row.primary_email.as_deref(),
                row.primary_phone.as_deref(),
                row.name.as_deref(),
                row.avatar.as_deref(),
                Some(&profile),
                Some(&custom_data),
                Some(&identities),
                Some(&providers),
                Some(&provider_keys),
                row.password_digest.as_deref(),
                row.password_algorithm.as_deref(),
                Some(if row.is_suspended { "t" } else { "f" }),
                last_sign_in_at.as_deref(),
                Some(&created_at),
                Some(&updated_at),
                Some(&version),
                row.username_key.as_deref(),
                row.email_key.as_deref(),
                row.name_key.as_deref(),
            ],
        );
        let mut roles: Vec<&RoleId> = assigned(ops).collect();
        roles.sort();
        roles.dedup();
        for role in roles {
            csv_row(&mut self.users_roles, &[Some(&row.id), Some(role.as_str())]);
        }
        self.logs.extend(logged(ops).cloned());
    }

    /// Copies the three files in one transaction: all of it or nothing.
    async fn copy(&self, pool: &PgPool, order: &LogOrder) -> std::result::Result<(), CopyError> {
        let mut tx = pool.begin().await?;
        // The statement timeout guards requests against runaway queries; a
        // copy is bounded by its chunk, but under load it can outlast a
        // timeout made for one request.
        sqlx::query("SET LOCAL statement_timeout = 0")
            .execute(&mut *tx)
            .await?;
        let mut logs = String::new();
        if !self.logs.is_empty() {
            let floor = order.enter(&mut tx).await.map_err(CopyError::Order)?;
            for entry in &self.logs {
                let moved = floor.as_ref().and_then(|floor| floor.place(entry));
                log_row(&mut logs, moved.as_ref().unwrap_or(entry));
            }
        }
        for (statement, data) in [
            (COPY_USERS, &self.users),
            (COPY_USERS_ROLES, &self.users_roles),
            (COPY_LOGS, &logs),
        ] {
            if data.is_empty() {
                continue;
            }
            let mut copy = tx.copy_in_raw(statement).await?;
            copy.send(data.as_bytes()).await?;
            copy.finish().await?;
        }
        Ok(tx.commit().await?)
    }
}

/// Why a copy failed: the database refused it, or the log order could not
/// be taken.
enum CopyError {
    Database(sqlx::Error),
    Order(Error),
}

impl From<sqlx::Error> for CopyError {
    fn from(error: sqlx::Error) -> Self {
        CopyError::Database(error)
    }
}

/// One `logs` CSV line.
fn log_row(out: &mut String, entry: &LogEntry) {
    let (payload, created_at) = (entry.payload.to_string(), stamp(entry.created_at));
    csv_row(
        out,
        &[
            Some(entry.id.as_str()),
            Some(&entry.key),
            Some(entry.result.as_str()),
            entry.user_id.as_ref().map(UserId::as_str),
            entry.role_id.as_ref().map(RoleId::as_str),
            entry.actor_id.as_ref().map(UserId::as_str),
            entry.token_id.as_deref(),
            entry.ip.as_deref(),
            entry.user_agent.as_deref(),
            Some(&payload),
            entry.error.as_deref(),
            Some(&created_at),
        ],
    );
}

/// One CSV line: `None` is SQL NULL (an empty field); a value is quoted,
/// so that an empty string stays one.
fn csv_row(out: &mut String, fields: &[Option<&str>]) {
    for (n, field) in fields.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        if let Some(value) = field {
            out.push('"');
            for c in value.chars() {
                if c == '"' {
                    out.push('"');
                }
                out.push(c);
            }
            out.push('"');
        }
    }
    out.push('\n');
}

/// A `text[]` literal: every element quoted, `"` and `\` escaped.
fn array(values: &[String]) -> String {
    let mut out = String::from("{");
    for (n, value) in values.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('"');
        for c in value.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

fn stamp(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}
