//! Opaque, tamper-evident keyset cursors. A cursor is base64url (no
//! padding) of a small JSON array naming a position in a list, followed by
//! a 16-byte HMAC-SHA256 tag. The tag is keyed with the store's secret
//! cursor key ([`crate::Storage::cursor_key`]) and covers the position and
//! the cursor's [`Scope`]: which list, in which order, under which filter
//! and search. So a made-up or edited cursor, one from another list, order,
//! filter or search, or one issued by another store is refused as
//! `VALIDATION` rather than silently skipping or repeating items. Only core
//! reads them.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::filter::UserFilter;
use crate::ids::{LogId, RoleId, UserId};
use crate::query::{
    Direction, LogFilter, LogSortKey, RoleSortKey, SortValue, UserOrder, UserOrderField,
    UserSortKey,
};
use crate::time;

/// Longer input cannot be a cursor we made; refuse it before decoding.
const MAX_CURSOR_LEN: usize = 4096;

/// Bytes of the HMAC-SHA256 tag kept: 128 bits, short enough for URLs.
const TAG_LEN: usize = 16;

/// Changes whenever the payload or the scope changes meaning, so that no
/// cursor of one format is read as another.
const FORMAT: &[u8] = b"usergraph cursor v1";

type HmacSha256 = Hmac<Sha256>;

/// The store's secret for cursor tags (32 random bytes, created by the
/// store on first use and shared by every instance over it).
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl CursorKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        CursorKey(bytes)
    }
}

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

/// Which user list a user cursor belongs to: the same users in the same
/// order are still two lists when reached through two fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserList {
    /// `users(...)`.
    Users,
    /// `Role.users`.
    RoleHolders,
}

impl UserList {
    fn name(self) -> &'static str {
        match self {
            UserList::Users => "users",
            UserList::RoleHolders => "role holders",
        }
    }
}

/// What a cursor is valid for: a digest of the list, its order, and its
/// validated filter and search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope([u8; 32]);

impl Scope {
    /// `filter` is the validated filter with the search folded in.
    pub fn users(list: UserList, order: &[UserOrder], filter: &UserFilter) -> Result<Scope> {
        Ok(Self::digest(&[
            list.name().as_bytes(),
            order_signature(order).as_bytes(),
            &canonical(filter)?,
        ]))
    }

    /// `search` as validated (`None` when absent or empty).
    pub fn roles(search: Option<&str>) -> Result<Scope> {
        Ok(Self::digest(&[b"roles", &canonical(&search)?]))
    }

    pub fn logs(filter: &LogFilter) -> Result<Scope> {
        Ok(Self::digest(&[b"logs", &canonical(filter)?]))
    }

    /// SHA-256 over the length-prefixed parts, so that no two different
    /// lists of parts give the same input.
    fn digest(parts: &[&[u8]]) -> Scope {
        let mut hasher = Sha256::new();
        hasher.update(FORMAT);
        for part in parts {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        Scope(hasher.finalize().into())
    }
}

/// The JSON of a validated filter: one text per filter, the same on every
/// instance (serde_json keeps object keys sorted).
fn canonical(value: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(Error::internal)
}

/// A cursor key bound to one scope: makes the cursors of that list and
/// checks the ones a client sends back.
#[derive(Clone)]
pub struct Binding {
    mac: HmacSha256,
}

impl fmt::Debug for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Binding(..)")
    }
}

impl Binding {
    pub fn new(key: &CursorKey, scope: &Scope) -> Result<Binding> {
        let mac = HmacSha256::new_from_slice(&key.0)
            .map_err(|_| Error::internal("HMAC refused a 32-byte key"))?;
        Ok(Binding {
            mac: mac.chain_update(scope.0),
        })
    }

    fn seal(&self, payload: &Value) -> String {
        let mut bytes = payload.to_string().into_bytes();
        let tag = self
            .mac
            .clone()
            .chain_update(&bytes)
            .finalize()
            .into_bytes();
        bytes.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The array inside a cursor this binding made, with `len` items.
    fn open(&self, raw: &str, len: usize, field: &str) -> Result<Vec<Value>> {
        if raw.len() > MAX_CURSOR_LEN {
            return Err(invalid(field));
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid(field))?;
        let split = bytes
            .len()
            .checked_sub(TAG_LEN)
            .ok_or_else(|| invalid(field))?;
        let (payload, tag) = bytes.split_at(split);
        // Constant-time: timing tells nothing about how much of a guess was right.
        self.mac
            .clone()
            .chain_update(payload)
            .verify_truncated_left(tag)
            .map_err(|_| invalid(field))?;
        match serde_json::from_slice::<Value>(payload) {
            Ok(Value::Array(items)) if items.len() == len => Ok(items),
            _ => Err(invalid(field)),
        }
    }
}

/// The error for a cursor that this list, order, filter and search never
/// issued.
pub fn invalid(field: &str) -> Error {
    Error::validation(
        field,
        format!("{field} is not a cursor of this list, order, filter and search"),
    )
}

fn field_name(field: UserOrderField) -> &'static str {
    match field {
        UserOrderField::CreatedAt => "createdAt",
        UserOrderField::UpdatedAt => "updatedAt",
        UserOrderField::LastSignInAt => "lastSignInAt",
        UserOrderField::Username => "username",
        UserOrderField::Name => "name",
        UserOrderField::PrimaryEmail => "primaryEmail",
    }
}

fn is_time(field: UserOrderField) -> bool {
    matches!(
        field,
        UserOrderField::CreatedAt | UserOrderField::UpdatedAt | UserOrderField::LastSignInAt
    )
}

/// e.g. `createdAt:desc,username:asc`.
fn order_signature(order: &[UserOrder]) -> String {
    order
        .iter()
        .map(|term| {
            let direction = match term.direction {
                Direction::Asc => "asc",
                Direction::Desc => "desc",
            };
            format!("{}:{direction}", field_name(term.field))
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn sort_value_json(value: &SortValue) -> Value {
    match value {
        SortValue::Time(Some(at)) => json!(time::to_micros(*at)),
        SortValue::Text(Some(text)) => json!(text),
        SortValue::Time(None) | SortValue::Text(None) => Value::Null,
    }
}

fn sort_value(field: UserOrderField, value: &Value) -> Option<SortValue> {
    if is_time(field) {
        match value {
            Value::Null => Some(SortValue::Time(None)),
            Value::Number(n) => n
                .as_i64()
                .and_then(time::from_micros)
                .map(|at| SortValue::Time(Some(at))),
            _ => None,
        }
    } else {
        match value {
            Value::Null => Some(SortValue::Text(None)),
            Value::String(s) => Some(SortValue::Text(Some(s.clone()))),
            _ => None,
        }
    }
}

/// The cursor of a user at `key`; `binding` names the order.
pub fn encode_user(binding: &Binding, key: &UserSortKey) -> String {
    let values: Vec<Value> = key.values.iter().map(sort_value_json).collect();
    binding.seal(&json!([values, key.id.as_str()]))
}

/// The position a user cursor names, if `binding` made it (so for this
/// list, `order` and filter); `VALIDATION` on `field` (`after` or
/// `before`) otherwise.
pub fn decode_user(
    binding: &Binding,
    raw: &str,
    order: &[UserOrder],
    field: &str,
) -> Result<UserSortKey> {
    let items = binding.open(raw, 2, field)?;
    let Value::Array(raw_values) = &items[0] else {
        return Err(invalid(field));
    };
    if raw_values.len() != order.len() {
        return Err(invalid(field));
    }
    let values = order
        .iter()
        .zip(raw_values)
        .map(|(term, value)| sort_value(term.field, value))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| invalid(field))?;
    let id = items[1]
        .as_str()
        .and_then(|s| UserId::parse(s).ok())
        .ok_or_else(|| invalid(field))?;
    Ok(UserSortKey { values, id })
}

pub fn encode_role(binding: &Binding, key: &RoleSortKey) -> String {
    binding.seal(&json!([key.name_key, key.id.as_str()]))
}

pub fn decode_role(binding: &Binding, raw: &str, field: &str) -> Result<RoleSortKey> {
    let items = binding.open(raw, 2, field)?;
    let name_key = items[0].as_str().ok_or_else(|| invalid(field))?.to_owned();
    let id = items[1]
        .as_str()
        .and_then(|s| RoleId::parse(s).ok())
        .ok_or_else(|| invalid(field))?;
    Ok(RoleSortKey { name_key, id })
}

pub fn encode_log(binding: &Binding, key: &LogSortKey) -> String {
    binding.seal(&json!([time::to_micros(key.created_at), key.id.as_str()]))
}

pub fn decode_log(binding: &Binding, raw: &str, field: &str) -> Result<LogSortKey> {
    let items = binding.open(raw, 2, field)?;
    let created_at = items[0]
        .as_i64()
        .and_then(time::from_micros)
        .ok_or_else(|| invalid(field))?;
    let id = items[1]
        .as_str()
        .and_then(|s| LogId::parse(s).ok())
        .ok_or_else(|| invalid(field))?;
    Ok(LogSortKey { created_at, id })
}

#[cfg(test)]
mod tests;
