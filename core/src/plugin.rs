//! Extension points: plugins that may veto a change before it is written
//! (before-hooks) and plugins told about changes after they are committed
//! (after-hooks).
//!
//! Before-hooks run inside the operation, after core's own validation and
//! permission checks, before the storage write; the first rejection aborts
//! the operation with `REJECTED`. After-hooks never run on the request path:
//! the [`PluginHost`] hands each plugin its events through its own bounded
//! queue and task, so a slow, failing or panicking plugin delays and breaks
//! only itself.

mod event;
mod host;
#[cfg(test)]
mod tests;

use std::fmt::Debug;

use async_trait::async_trait;

pub use event::{Event, EventKind};
pub use host::{DEFAULT_QUEUE_CAPACITY, PluginHost, PluginLog};

use crate::ids::UserId;
use crate::model::{AccessToken, Identity, Role, User};

/// A change a before-hook may veto. Values are already validated and
/// normalized, exactly as they would be stored.
#[derive(Debug)]
#[non_exhaustive]
pub enum Proposal<'a> {
    CreateUser {
        user: &'a User,
    },
    /// `before` is the stored user, `after` what would replace it.
    UpdateUser {
        before: &'a User,
        after: &'a User,
    },
    /// A new password, in clear, for policy checks; never store or log it.
    SetPassword {
        user: &'a User,
        password: &'a str,
    },
    LinkIdentity {
        user: &'a User,
        provider: &'a str,
        identity: &'a Identity,
    },
    /// The roles the user would hold afterwards.
    ChangeRoles {
        user: &'a User,
        roles: &'a [Role],
    },
    CreateToken {
        user: &'a User,
        token: &'a AccessToken,
    },
    /// A sign-in whose password was correct, before the session is issued.
    SignIn {
        user: &'a User,
    },
}

/// Who asked for the change a hook sees.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HookContext {
    pub actor_id: Option<UserId>,
    pub ip: Option<String>,
}

/// A before-hook's veto: the operation fails with code `REJECTED` and this
/// message, attributed to the plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub message: String,
    /// The input field at fault, when there is one (e.g. `password`).
    pub field: Option<String>,
}

impl Rejection {
    pub fn new(message: impl Into<String>) -> Self {
        Rejection {
            message: message.into(),
            field: None,
        }
    }

    pub fn on_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

#[async_trait]
pub trait Plugin: Send + Sync + Debug + 'static {
    /// Shown in rejections and logs; unique among registered plugins.
    fn name(&self) -> &str;

    /// Which events [`Plugin::after`] wants; others are not queued for it.
    fn wants(&self, kind: EventKind) -> bool {
        let _ = kind;
        false
    }

    /// May veto `proposal`. Runs on the request path: keep it fast and
    /// free of network calls.
    async fn before(
        &self,
        context: &HookContext,
        proposal: &Proposal<'_>,
    ) -> Result<(), Rejection> {
        let _ = (context, proposal);
        Ok(())
    }

    /// Reacts to a committed change. `log` appends audit entries (e.g. a
    /// webhook delivery's outcome).
    async fn after(&self, event: &Event, log: &PluginLog) {
        let _ = (event, log);
    }
}
