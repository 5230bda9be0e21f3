//! Building the log entry that goes into the same commit as a change.

use serde_json::{Value, json};

use crate::caller::Caller;
use crate::ids::{LogId, RoleId, UserId};
use crate::model::{LogEntry, LogResult};
use crate::storage::WriteOp;
use crate::time::Timestamp;

/// A log entry under construction; who did it comes from the caller.
#[derive(Debug)]
pub(super) struct Audit {
    entry: LogEntry,
}

impl Audit {
    pub(super) fn new(caller: &Caller, key: &str, at: Timestamp) -> Self {
        Audit {
            entry: LogEntry {
                id: LogId::generate(),
                key: key.to_owned(),
                result: LogResult::Success,
                user_id: None,
                role_id: None,
                actor_id: caller.user_id.clone(),
                token_id: caller.token_id.clone(),
                ip: caller.ip.clone(),
                user_agent: caller.user_agent.clone(),
                payload: json!({}),
                error: None,
                created_at: at,
            },
        }
    }

    pub(super) fn user(mut self, id: &UserId) -> Self {
        self.entry.user_id = Some(id.clone());
        self
    }

    pub(super) fn role(mut self, id: &RoleId) -> Self {
        self.entry.role_id = Some(id.clone());
        self
    }

    /// What changed; a JSON object that never holds a secret.
    pub(super) fn payload(mut self, payload: Value) -> Self {
        self.entry.payload = payload;
        self
    }

    /// Marks the entry as a failure, with why.
    pub(super) fn failed(mut self, error: &str) -> Self {
        self.entry.result = LogResult::Error;
        self.entry.error = Some(error.to_owned());
        self
    }

    pub(super) fn op(self) -> WriteOp {
        WriteOp::AppendLog(Box::new(self.entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caller::Permissions;

    #[test]
    fn entries_carry_the_caller_and_the_subject() {
        let caller = Caller {
            user_id: Some(UserId::parse("admin1").unwrap()),
            token_id: Some("tok1".into()),
            ip: Some("192.0.2.1".into()),
            user_agent: Some("curl/8".into()),
            permissions: Permissions::All,
        };
        let at = crate::time::now();
        let subject = UserId::parse("u1").unwrap();
        let WriteOp::AppendLog(entry) = Audit::new(&caller, "User.Password.Verified", at)
            .user(&subject)
            .payload(json!({ "rehashed": false }))
            .failed("password mismatch")
            .op()
        else {
            panic!("an audit is an AppendLog");
        };
        assert_eq!(entry.key, "User.Password.Verified");
        assert_eq!(entry.result, LogResult::Error);
        assert_eq!(entry.error.as_deref(), Some("password mismatch"));
        assert_eq!(entry.user_id, Some(subject));
        assert_eq!(entry.actor_id, caller.user_id);
        assert_eq!(entry.token_id.as_deref(), Some("tok1"));
        assert_eq!(entry.ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(entry.user_agent.as_deref(), Some("curl/8"));
        assert_eq!(entry.created_at, at);
        assert_eq!(entry.payload, json!({ "rehashed": false }));
    }
}
