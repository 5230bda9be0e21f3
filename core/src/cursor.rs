//! Opaque keyset cursors. A cursor is base64url (no padding) of a small JSON
//! array naming the list it belongs to and a position in it; only core
//! reads them. A user cursor also names the order it was made for, so that
//! a cursor from one order is refused by another rather than silently
//! skipping or repeating users.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::ids::{LogId, RoleId, UserId};
use crate::query::{
    Direction, LogSortKey, RoleSortKey, SortValue, UserOrder, UserOrderField, UserSortKey,
};
use crate::time;

/// Longer input cannot be a cursor we made; refuse it before decoding.
const MAX_CURSOR_LEN: usize = 4096;

const USERS: &str = "u";
const ROLES: &str = "r";
const LOGS: &str = "l";

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn invalid(field: &str) -> Error {
    Error::validation(field, format!("{field} is not a cursor of this list"))
}

/// The array inside the cursor, if it is one of `kind` with `len` items.
fn decode(raw: &str, kind: &str, len: usize, field: &str) -> Result<Vec<Value>> {
    if raw.len() > MAX_CURSOR_LEN {
        return Err(invalid(field));
    }
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid(field))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Array(items)) if items.len() == len && items[0] == kind => Ok(items),
        _ => Err(invalid(field)),
    }
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

/// The cursor of a user at `key` in `order`.
pub fn encode_user(order: &[UserOrder], key: &UserSortKey) -> String {
    let values: Vec<Value> = key.values.iter().map(sort_value_json).collect();
    encode(&json!([
        USERS,
        order_signature(order),
        values,
        key.id.as_str()
    ]))
}

/// The position a user cursor names, if it was made for `order`;
/// `VALIDATION` on `field` (`after` or `before`) otherwise.
pub fn decode_user(raw: &str, order: &[UserOrder], field: &str) -> Result<UserSortKey> {
    let items = decode(raw, USERS, 4, field)?;
    if items[1] != order_signature(order).as_str() {
        return Err(Error::validation(
            field,
            format!("{field} is a cursor of a different order"),
        ));
    }
    let Value::Array(raw_values) = &items[2] else {
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
    let id = items[3]
        .as_str()
        .and_then(|s| UserId::parse(s).ok())
        .ok_or_else(|| invalid(field))?;
    Ok(UserSortKey { values, id })
}

pub fn encode_role(key: &RoleSortKey) -> String {
    encode(&json!([ROLES, key.name_key, key.id.as_str()]))
}

pub fn decode_role(raw: &str, field: &str) -> Result<RoleSortKey> {
    let items = decode(raw, ROLES, 3, field)?;
    let name_key = items[1].as_str().ok_or_else(|| invalid(field))?.to_owned();
    let id = items[2]
        .as_str()
        .and_then(|s| RoleId::parse(s).ok())
        .ok_or_else(|| invalid(field))?;
    Ok(RoleSortKey { name_key, id })
}

pub fn encode_log(key: &LogSortKey) -> String {
    encode(&json!([
        LOGS,
        time::to_micros(key.created_at),
        key.id.as_str()
    ]))
}

pub fn decode_log(raw: &str, field: &str) -> Result<LogSortKey> {
    let items = decode(raw, LOGS, 3, field)?;
    let created_at = items[1]
        .as_i64()
        .and_then(time::from_micros)
        .ok_or_else(|| invalid(field))?;
    let id = items[2]
        .as_str()
        .and_then(|s| LogId::parse(s).ok())
        .ok_or_else(|| invalid(field))?;
    Ok(LogSortKey { created_at, id })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(field: UserOrderField, direction: Direction) -> UserOrder {
        UserOrder { field, direction }
    }

    fn at(micros: i64) -> crate::Timestamp {
        time::from_micros(micros).unwrap()
    }

    #[test]
    fn user_cursors_round_trip_with_nulls_and_text() {
        let order = vec![
            order(UserOrderField::LastSignInAt, Direction::Desc),
            order(UserOrderField::Username, Direction::Asc),
            order(UserOrderField::CreatedAt, Direction::Asc),
        ];
        let key = UserSortKey {
            values: vec![
                SortValue::Time(None),
                SortValue::Text(Some("ünïcode \"quoted\"".into())),
                SortValue::Time(Some(at(1_700_000_000_123_456))),
            ],
            id: UserId::parse("abc123").unwrap(),
        };
        let cursor = encode_user(&order, &key);
        assert!(
            cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(decode_user(&cursor, &order, "after").unwrap(), key);
    }

    #[test]
    fn a_cursor_of_another_order_is_refused() {
        let desc = vec![UserOrder::DEFAULT];
        let asc = vec![order(UserOrderField::CreatedAt, Direction::Asc)];
        let key = UserSortKey {
            values: vec![SortValue::Time(Some(at(1)))],
            id: UserId::parse("u1").unwrap(),
        };
        let cursor = encode_user(&desc, &key);
        let err = decode_user(&cursor, &asc, "before").unwrap_err();
        assert_eq!(err.code(), "VALIDATION");
        assert_eq!(err.field(), Some("before"));
    }

    #[test]
    fn cursors_of_other_lists_and_garbage_are_refused() {
        let role = encode_role(&RoleSortKey {
            name_key: "admin".into(),
            id: RoleId::parse("r1").unwrap(),
        });
        let log = encode_log(&LogSortKey {
            created_at: at(5),
            id: LogId::parse("l1").unwrap(),
        });
        let order = [UserOrder::DEFAULT];
        for bad in [
            role.as_str(),
            log.as_str(),
            "",
            "not base64!",
            "bm90IGpzb24",
            &URL_SAFE_NO_PAD.encode(r#"["u","createdAt:desc",["x"],"u1"]"#),
            &URL_SAFE_NO_PAD.encode(r#"["u","createdAt:desc",[1],"bad id"]"#),
            &URL_SAFE_NO_PAD.encode(r#"["u","createdAt:desc",[1,2],"u1"]"#),
            &"A".repeat(MAX_CURSOR_LEN + 4),
        ] {
            let err = decode_user(bad, &order, "after").unwrap_err();
            assert_eq!(err.field(), Some("after"), "{bad}");
        }
        assert!(decode_role(&log, "after").is_err());
        assert!(decode_log(&role, "after").is_err());
    }

    #[test]
    fn role_and_log_cursors_round_trip() {
        let role = RoleSortKey {
            name_key: "support agents".into(),
            id: RoleId::parse("r1").unwrap(),
        };
        assert_eq!(decode_role(&encode_role(&role), "after").unwrap(), role);
        let log = LogSortKey {
            created_at: at(1_700_000_000_000_001),
            id: LogId::parse("l1").unwrap(),
        };
        assert_eq!(decode_log(&encode_log(&log), "after").unwrap(), log);
    }
}
