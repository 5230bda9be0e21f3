//! Counting failed credential checks (passwords, tokens) so that guessing
//! is slow: per account and per client address, in a sliding window. The
//! counts live in an [`AttemptStore`]: this process's memory by default, or
//! the database when the backend offers a shared one
//! ([`crate::Storage::shared_attempts`], PostgreSQL's), so that the limits
//! hold across every instance sharing it.

mod clear_addresses;
mod memory;
mod store;

use std::sync::Arc;
use std::time::Duration;

use clear_addresses::ClearAddresses;
pub use memory::MemoryAttempts;
pub use store::{AttemptKind, AttemptStore, Retain};

use crate::error::{Error, Result};
use crate::storage::Storage;
use crate::time::{self, Timestamp};
use store::{blocked_for, window_start};

/// How many failures are allowed in `window` before further attempts are
/// refused with `RATE_LIMITED` (without checking the credential).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleSettings {
    /// Failures against one account (a user, or an identifier nobody has).
    pub max_failures_per_account: u32,
    /// Failures from one client address, whatever the account; the limit on
    /// spraying one password over many accounts.
    pub max_failures_per_address: u32,
    pub window: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        ThrottleSettings {
            max_failures_per_account: 5,
            max_failures_per_address: 50,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// The bucket of callers whose address the transport did not know.
const UNKNOWN_ADDRESS: &str = "unknown";

/// The counters the service over `storage` uses: the backend's shared ones
/// when it has them, else a fresh in-memory store.
pub fn attempts_for(storage: &dyn Storage) -> Arc<dyn AttemptStore> {
    storage
        .shared_attempts()
        .unwrap_or_else(|| Arc::new(MemoryAttempts::new()))
}

/// The failure counters. Cheap to share: one per service.
#[derive(Debug)]
pub struct Throttle {
    settings: ThrottleSettings,
    store: Arc<dyn AttemptStore>,
    /// For [`Throttle::check_address`]; `None` reads the store every time.
    clear_addresses: Option<ClearAddresses>,
}

impl Throttle {
    /// Counting in this process's memory.
    pub fn new(settings: ThrottleSettings) -> Self {
        Self::with_store(settings, Arc::new(MemoryAttempts::new()))
    }

    pub fn with_store(settings: ThrottleSettings, store: Arc<dyn AttemptStore>) -> Self {
        Throttle {
            settings,
            store,
            clear_addresses: None,
        }
    }

    /// This throttle, remembering for `ttl` that a client address was found
    /// under its limit, for [`Throttle::check_address`]. Worth it when the
    /// store is another process's (a database): a read of this process's
    /// memory costs less than the remembering.
    pub fn remembering_clear_addresses(mut self, ttl: Duration) -> Self {
        self.clear_addresses = (!ttl.is_zero()).then(|| ClearAddresses::new(ttl));
        self
    }

    pub fn settings(&self) -> &ThrottleSettings {
        &self.settings
    }

    /// `RATE_LIMITED` (with the time until one failure ages out) when the
    /// account or the address has reached its limit. Called before the
    /// credential is checked, so a blocked guess costs nothing and reveals
    /// nothing.
    pub async fn check(&self, account: Option<&str>, address: Option<&str>) -> Result<()> {
        self.check_at(account, address, time::now()).await
    }

    /// [`Throttle::check`] of the address alone, as every request with a
    /// token makes it. With [`Throttle::remembering_clear_addresses`], an
    /// address found under its limit within the time to live is not read
    /// again; a failure counted through this throttle forgets it at once,
    /// so only failures counted by other processes are seen that late.
    pub async fn check_address(&self, address: Option<&str>) -> Result<()> {
        let Some(clear) = &self.clear_addresses else {
            return self.check(None, address).await;
        };
        let key = address_key(address);
        if clear.is_clear(key) {
            return Ok(());
        }
        let generation = clear.generation();
        let blocked = self.blocked(AttemptKind::Address, key, time::now()).await?;
        if blocked.is_none() {
            clear.remember(key, generation);
        }
        refuse(blocked)
    }

    /// Checks like [`Throttle::check`] and, atomically for the account,
    /// counts the attempt as a failure of `account` until
    /// [`Throttle::record_success`] clears it. Counting before the
    /// credential is checked closes the gap in which parallel guesses at one
    /// account (on any instance sharing the store) would all pass the check
    /// before any of them failed. The caller still reports a failure with
    /// `record_failure(None, address)` for the address's count.
    pub async fn begin(&self, account: &str, address: Option<&str>) -> Result<()> {
        self.begin_at(account, address, time::now()).await
    }

    pub async fn record_failure(&self, account: Option<&str>, address: Option<&str>) -> Result<()> {
        self.record_failure_at(account, address, time::now()).await
    }

    /// The account's owner proved who they are: forget its failures. The
    /// address keeps its count, or one correct password would reset a
    /// spraying attacker's budget.
    pub async fn record_success(&self, account: &str) -> Result<()> {
        self.store.clear(AttemptKind::Account, account).await
    }

    /// [`Throttle::check`] at `now` (a test's clock).
    pub async fn check_at(
        &self,
        account: Option<&str>,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let by_account = match account {
            Some(key) => self.blocked(AttemptKind::Account, key, now).await?,
            None => None,
        };
        let by_address = self
            .blocked(AttemptKind::Address, address_key(address), now)
            .await?;
        refuse(by_account.into_iter().chain(by_address).max())
    }

    /// [`Throttle::begin`] at `now` (a test's clock).
    pub async fn begin_at(
        &self,
        account: &str,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        if let Some(by_address) = self
            .blocked(AttemptKind::Address, address_key(address), now)
            .await?
        {
            let by_account = self.blocked(AttemptKind::Account, account, now).await?;
            return refuse(Some(by_address.max(by_account.unwrap_or_default())));
        }
        let limit = self.settings.max_failures_per_account;
        let retain = self.retain(limit, now);
        let refused = self
            .store
            .record_if_fewer(AttemptKind::Account, account, now, retain)
            .await?;
        refuse(
            refused.and_then(|failures| blocked_for(&failures, limit, self.settings.window, now)),
        )
    }

    /// [`Throttle::record_failure`] at `now` (a test's clock).
    pub async fn record_failure_at(
        &self,
        account: Option<&str>,
        address: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        if let Some(key) = account {
            let retain = self.retain(self.settings.max_failures_per_account, now);
            self.store
                .record(AttemptKind::Account, key, now, retain)
                .await?;
        }
        let key = address_key(address);
        if let Some(clear) = &self.clear_addresses {
            clear.forget(key);
        }
        let retain = self.retain(self.settings.max_failures_per_address, now);
        self.store
            .record(AttemptKind::Address, key, now, retain)
            .await
    }

    async fn blocked(
        &self,
        kind: AttemptKind,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<Duration>> {
        let limit = match kind {
            AttemptKind::Account => self.settings.max_failures_per_account,
            AttemptKind::Address => self.settings.max_failures_per_address,
        };
        let failures = self.store.failures(kind, key).await?;
        Ok(blocked_for(&failures, limit, self.settings.window, now))
    }

    fn retain(&self, limit: u32, now: Timestamp) -> Retain {
        Retain {
            since: window_start(now, self.settings.window),
            keep: limit.max(1),
        }
    }
}

fn address_key(address: Option<&str>) -> &str {
    address.unwrap_or(UNKNOWN_ADDRESS)
}

fn refuse(wait: Option<Duration>) -> Result<()> {
    match wait {
        Some(wait) => Err(Error::RateLimited {
            retry_after: Some(wait.max(Duration::from_secs(1))),
        }),
        None => Ok(()),
    }
}
