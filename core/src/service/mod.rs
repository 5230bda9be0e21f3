//! The service: every operation of usergraph, with its rules, permission
//! checks and audit entries. Transports (GraphQL, CLI, embedding code) call
//! only this; it calls only [`Storage`].

mod assignments;
mod audit;
mod auth_cache;
mod authenticate;
mod batch;
mod bootstrap;
mod cursors;
mod guard;
pub(crate) mod halving;
mod hooks;
mod import;
mod inputs;
mod live;
mod logs;
mod new_user;
mod passwords;
mod record_locks;
mod retry;
mod roles;
mod sessions;
mod tokens;
mod user_edits;
mod users;

use std::sync::Arc;
use std::time::Duration;

pub use import::{ImportOutcome, ImportedIdentity, ImportedRole, ImportedUser, OnExisting};
pub use inputs::*;
pub use live::{LiveLog, LiveStream, Subscriber, UserChange, UserChangeKind};

use tokio::sync::OnceCell;

use crate::caller::{Caller, Permission};
use crate::cursor::CursorKey;
use crate::error::Result;
use crate::feed::{FeedingStorage, LogFeed};
use crate::ids::UserId;
use crate::page::{CountCap, TotalCount};
use crate::password::PasswordHasher;
use crate::plugin::PluginHost;
use crate::storage::{Storage, WriteOp};
use crate::throttle::{Throttle, ThrottleSettings};
use auth_cache::AuthCache;
use retry::{Backoff, MAX_ATTEMPTS};

/// Argon2id cost parameters for new password digests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB; at least 19456 (OWASP).
    pub memory_kib: u32,
    /// Iterations; at least 2.
    pub iterations: u32,
    /// Parallelism; at least 1.
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Argon2Params {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSettings {
    pub argon2: Argon2Params,
    /// How many password hashes may run at once (each takes a blocking
    /// thread and `memory_kib` of memory).
    pub max_concurrent_hashes: usize,
    /// How long a `signIn` session lasts.
    pub session_lifetime: Duration,
    /// The longest a personal access token may live; `None` allows tokens
    /// without expiry. When set, `expiresAt` is required.
    pub max_token_lifetime: Option<Duration>,
    /// Limits on failed sign-ins, password checks and token uses.
    pub throttle: ThrottleSettings,
    /// The most matches a list's `totalCount` counts.
    pub count_cap: CountCap,
    /// How long an authenticated token is trusted without reading it again
    /// (zero: read on every request). This service's own changes take
    /// effect at once whatever it is; it bounds how long another process
    /// sharing the store (a second instance on PostgreSQL) may be out of
    /// date about a token revoked, an owner suspended or a role changed.
    pub auth_cache_ttl: Duration,
    /// How many committed log entries a live subscriber may fall behind
    /// before its subscription ends with `LAGGED`.
    pub live_buffer: usize,
    /// How often a live subscription authenticates its token again, so
    /// that a revoked token or a permission taken away ends it.
    pub live_recheck: Duration,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            argon2: Argon2Params::default(),
            max_concurrent_hashes: 4,
            session_lifetime: Duration::from_secs(60 * 60),
            max_token_lifetime: None,
            throttle: ThrottleSettings::default(),
            count_cap: CountCap::DEFAULT,
            auth_cache_ttl: Duration::from_secs(5),
            live_buffer: crate::feed::DEFAULT_BUFFER,
            live_recheck: Duration::from_secs(2),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Service {
    storage: Arc<dyn Storage>,
    settings: ServiceSettings,
    passwords: Arc<PasswordHasher>,
    throttle: Arc<Throttle>,
    plugins: PluginHost,
    /// The store's cursor key, read on the first list and kept.
    cursor_key: Arc<OnceCell<CursorKey>>,
    auth_cache: Arc<AuthCache>,
    /// Every log entry this service commits, as it is committed.
    feed: LogFeed,
    /// Writers of one user in this process take turns.
    edit_turns: Arc<record_locks::RecordLocks>,
}

impl Service {
    /// Fails with `VALIDATION` when the settings are below the floors.
    pub fn new(storage: Arc<dyn Storage>, settings: ServiceSettings) -> Result<Self> {
        let passwords = PasswordHasher::new(settings.argon2, settings.max_concurrent_hashes)?;
        sessions::check_settings(&settings)?;
        // A shared store is a database: the token check's read of the
        // address's count is remembered as long as a token is.
        let throttle = match storage.shared_attempts() {
            Some(shared) => Throttle::with_store(settings.throttle, shared)
                .remembering_clear_addresses(settings.auth_cache_ttl),
            None => Throttle::new(settings.throttle),
        };
        let signal = storage.log_commits();
        let feed = match signal {
            Some(_) => LogFeed::read_from_store(settings.live_buffer),
            None => LogFeed::new(settings.live_buffer),
        };
        if let Some(signal) = signal {
            if tokio::runtime::Handle::try_current().is_err() {
                return Err(crate::Error::Validation {
                    field: None,
                    message: "make the service inside a Tokio runtime: on a store that several \
                              processes write, its live feed reads commits on a task of its own"
                        .to_owned(),
                });
            }
            crate::feed::spawn_pump(&storage, feed.clone(), signal);
        }
        let storage: Arc<dyn Storage> = Arc::new(FeedingStorage::new(storage, feed.clone()));
        Ok(Service {
            storage,
            feed,
            edit_turns: Arc::default(),
            throttle: Arc::new(throttle),
            auth_cache: Arc::new(AuthCache::new(settings.auth_cache_ttl)),
            settings,
            passwords: Arc::new(passwords),
            plugins: PluginHost::empty(),
            cursor_key: Arc::default(),
        })
    }

    /// The service with `plugins` asked before its changes and told after
    /// them. Build the host over this service's [`Self::storage`] (not the
    /// backend it was made with): the host gives it to plugins that write
    /// log entries of their own, which the live feed must see.
    pub fn with_plugins(mut self, plugins: PluginHost) -> Self {
        self.plugins = plugins;
        self
    }

    /// The plugins this service runs, e.g. to drain their queues at shutdown.
    pub fn plugins(&self) -> &PluginHost {
        &self.plugins
    }

    /// The storage every write of this service goes through: the backend,
    /// with each commit's log entries passed on to the live feed.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    pub fn settings(&self) -> &ServiceSettings {
        &self.settings
    }

    /// What a list asks storage to count: nothing, or one past the cap.
    fn count_limit(&self, count_total: bool) -> Option<u64> {
        count_total.then(|| self.settings.count_cap.storage_limit())
    }

    /// A list's count from what storage counted for [`Self::count_limit`].
    fn total_count(&self, counted: Option<u64>) -> Option<TotalCount> {
        counted.map(|n| self.settings.count_cap.total(n))
    }

    /// Commits `ops` in one transaction. Every write of the service goes
    /// through here, so that a change to what a token allows is never
    /// hidden by the authentication cache: it is forgotten once the commit
    /// is done, before the caller hears of it (and on failure too, since a
    /// commit whose answer was lost may have happened).
    async fn commit(&self, ops: Vec<WriteOp>) -> Result<()> {
        let affects = auth_cache::affects_authentication(&ops);
        let result = self.storage.commit(ops).await;
        if affects {
            self.auth_cache.forget_all();
        }
        result
    }

    /// [`Storage::commit_each`] with the same care for the authentication
    /// cache as [`Self::commit`]: an import that updates existing users may
    /// suspend them or change their roles.
    async fn commit_each(&self, groups: Vec<Vec<WriteOp>>) -> Result<Vec<Result<()>>> {
        let affects = groups
            .iter()
            .any(|ops| auth_cache::affects_authentication(ops));
        let result = self.storage.commit_each(groups).await;
        if affects {
            self.auth_cache.forget_all();
        }
        result
    }
}

/// `permission`, unless the caller is acting on its own user record (a user
/// may always read and edit its own profile).
fn require_or_self(caller: &Caller, permission: Permission, user_id: &UserId) -> Result<()> {
    if caller.user_id.as_ref() == Some(user_id) {
        Ok(())
    } else {
        caller.require(permission)
    }
}

#[cfg(test)]
impl Service {
    /// A service with cheap password hashing, for core's own tests. It
    /// authenticates from storage every time: the tests change storage
    /// behind its back, as another process would (`tests/cached_tokens.rs`
    /// covers the cache).
    fn for_tests(storage: Arc<dyn Storage>) -> Self {
        let feed = LogFeed::default();
        Service {
            storage: Arc::new(FeedingStorage::new(storage, feed.clone())),
            feed,
            edit_turns: Arc::default(),
            auth_cache: Arc::new(AuthCache::new(Duration::ZERO)),
            settings: ServiceSettings::default(),
            passwords: Arc::new(PasswordHasher::for_tests()),
            throttle: Arc::new(Throttle::new(ThrottleSettings::default())),
            plugins: PluginHost::empty(),
            cursor_key: Arc::default(),
        }
    }
}

#[cfg(test)]
mod tests;
