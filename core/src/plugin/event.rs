//! What after-hooks receive: a committed change, already in the JSON shape
//! that webhooks send, with no secret in it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{LogId, UserId};
use crate::model::{AccessToken, User};
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventKind {
    UserCreated,
    UserUpdated,
    UserDeleted,
    PasswordSet,
    UserSuspended,
    UserUnsuspended,
    IdentityLinked,
    IdentityUnlinked,
    UserRolesChanged,
    TokenCreated,
    TokenRevoked,
    SignIn,
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
        EventKind::UserCreated,
        EventKind::UserUpdated,
        EventKind::UserDeleted,
        EventKind::PasswordSet,
        EventKind::UserSuspended,
        EventKind::UserUnsuspended,
        EventKind::IdentityLinked,
        EventKind::IdentityUnlinked,
        EventKind::UserRolesChanged,
        EventKind::TokenCreated,
        EventKind::TokenRevoked,
        EventKind::SignIn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::UserCreated => "UserCreated",
            EventKind::UserUpdated => "UserUpdated",
            EventKind::UserDeleted => "UserDeleted",
            EventKind::PasswordSet => "PasswordSet",
            EventKind::UserSuspended => "UserSuspended",
            EventKind::UserUnsuspended => "UserUnsuspended",
            EventKind::IdentityLinked => "IdentityLinked",
            EventKind::IdentityUnlinked => "IdentityUnlinked",
            EventKind::UserRolesChanged => "UserRolesChanged",
            EventKind::TokenCreated => "TokenCreated",
            EventKind::TokenRevoked => "TokenRevoked",
            EventKind::SignIn => "SignIn",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// One committed change. `id` is unique per event, so receivers can drop
/// duplicates of a retried delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    pub kind: EventKind,
    pub created_at: Timestamp,
    /// The user the change is about, if any.
    pub user_id: Option<UserId>,
    /// Who made the change, if anyone authenticated.
    pub actor_id: Option<UserId>,
    /// Event-specific details (see [`Event::user_data`] and
    /// [`Event::token_data`]); never a secret.
    pub data: Value,
}

impl Event {
    pub fn new(
        kind: EventKind,
        user_id: Option<UserId>,
        actor_id: Option<UserId>,
        data: Value,
    ) -> Self {
        Event {
            id: LogId::generate().into_string(),
            kind,
            created_at: crate::time::now(),
            user_id,
            actor_id,
            data,
        }
    }

    /// A user as events show it: every field the API shows, no password
    /// digest, no internal version.
    pub fn user_data(user: &User) -> Value {
        let mut value = serde_json::to_value(user).unwrap_or(Value::Null);
        if let Value::Object(fields) = &mut value {
            fields.remove("password");
            fields.remove("version");
            fields.insert("hasPassword".into(), Value::Bool(user.has_password()));
        }
        value
    }

    /// A token as events show it: no digest.
    pub fn token_data(token: &AccessToken) -> Value {
        let mut value = serde_json::to_value(token).unwrap_or(Value::Null);
        if let Value::Object(fields) = &mut value {
            fields.remove("digest");
            fields.remove("version");
        }
        value
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn kinds_round_trip_by_name() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("Nope"), None);
    }

    #[test]
    fn token_data_leaves_out_the_digest() {
        let token = AccessToken {
            id: crate::ids::TokenId::parse("t1").unwrap(),
            user_id: UserId::parse("u1").unwrap(),
            kind: crate::model::TokenKind::Personal,
            name: "ci".into(),
            scopes: None,
            digest: crate::model::TokenDigest([7; 32]),
            created_at: crate::time::now(),
            expires_at: None,
            last_used_at: None,
            revoked_at: None,
            version: 1,
        };
        let data = Event::token_data(&token);
        assert!(data.get("digest").is_none());
        assert_eq!(data["name"], "ci");
    }
}
