//! The service's side of plugins: asking before-hooks about a change before
//! it is written, and handing after-hooks the event once it is committed.

use serde_json::{Map, Value};

use super::Service;
use super::new_user::NewUser;
use crate::caller::Caller;
use crate::error::Result;
use crate::ids::UserId;
use crate::model::User;
use crate::plugin::{Event, EventKind, HookContext, Proposal};

/// Who asks, as before-hooks see it.
fn context(caller: &Caller) -> HookContext {
    HookContext {
        actor_id: caller.user_id.clone(),
        ip: caller.ip.clone(),
    }
}

/// `{"user": …}` followed by the fields of `details` (an object).
fn user_data(user: &User, details: Value) -> Value {
    let mut data = Map::new();
    data.insert("user".into(), Event::user_data(user));
    if let Value::Object(fields) = details {
        data.extend(fields);
    }
    Value::Object(data)
}

impl Service {
    /// Whether any plugin is registered: work done only for plugins (extra
    /// reads, event data) is skipped otherwise.
    pub(super) fn has_plugins(&self) -> bool {
        !self.plugins.names().is_empty()
    }

    /// Asks every plugin about `proposal`; the first veto is the error
    /// (`REJECTED`). Call it after core's own checks, before the write.
    pub(super) async fn vet(&self, caller: &Caller, proposal: Proposal<'_>) -> Result<()> {
        self.plugins.before(&context(caller), &proposal).await
    }

    /// A new user as `createUser` proposes it: the user, then its clear
    /// password if it has one (an imported digest has no password to judge).
    pub(super) async fn vet_new_user(&self, caller: &Caller, new_user: &NewUser) -> Result<()> {
        let user = new_user.user();
        self.vet(caller, Proposal::CreateUser { user }).await?;
        if let Some(password) = new_user.clear_password() {
            self.vet(caller, Proposal::SetPassword { user, password })
                .await?;
        }
        Ok(())
    }

    /// Queues a committed change for the plugins that want it; never waits
    /// and never fails. `data` is only built when some plugin is registered.
    pub(super) fn publish(
        &self,
        caller: &Caller,
        kind: EventKind,
        user_id: Option<&UserId>,
        data: impl FnOnce() -> Value,
    ) {
        if !self.has_plugins() {
            return;
        }
        let event = Event::new(kind, user_id.cloned(), caller.user_id.clone(), data());
        self.plugins.publish(&event);
    }

    /// An event about `user` as it is after the change: data
    /// `{"user": …}` plus the fields of `details`.
    pub(super) fn publish_user(
        &self,
        caller: &Caller,
        kind: EventKind,
        user: &User,
        details: Value,
    ) {
        self.publish(caller, kind, Some(&user.id), || user_data(user, details));
    }
}
