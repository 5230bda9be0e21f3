//! The service: every operation of usergraph, with its rules, permission
//! checks and audit entries. Transports (GraphQL, CLI, embedding code) call
//! only this; it calls only [`Storage`].

mod inputs;

use std::collections::HashMap;
use std::sync::Arc;

pub use inputs::*;

use crate::caller::Caller;
use crate::error::Result;
use crate::ids::{RoleId, UserId};
use crate::model::{LogEntry, Role, User};
use crate::page::{Connection, PageArgs};
use crate::query::LogFilter;
use crate::storage::Storage;

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
}

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            argon2: Argon2Params::default(),
            max_concurrent_hashes: 4,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Service {
    storage: Arc<dyn Storage>,
    settings: ServiceSettings,
}

impl Service {
    /// Fails with `VALIDATION` when the settings are below the floors.
    pub fn new(storage: Arc<dyn Storage>, settings: ServiceSettings) -> Result<Self> {
        todo!()
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    pub fn settings(&self) -> &ServiceSettings {
        &self.settings
    }

    // ---- users ----
    pub async fn create_user(&self, caller: &Caller, input: CreateUser) -> Result<User> {
        todo!()
    }
    pub async fn user(&self, caller: &Caller, id: &str) -> Result<Option<User>> {
        todo!()
    }
    /// Users by id, in the order of `ids`, absent ones left out.
    pub async fn users_by_ids(&self, caller: &Caller, ids: &[UserId]) -> Result<Vec<User>> {
        todo!()
    }
    pub async fn search_users(&self, caller: &Caller, query: UserQuery) -> Result<Connection<User>> {
        todo!()
    }
    pub async fn update_user(&self, caller: &Caller, id: &str, input: UpdateUser) -> Result<User> {
        todo!()
    }
    pub async fn update_user_profile(
        &self,
        caller: &Caller,
        id: &str,
        profile: ProfileInput,
    ) -> Result<User> {
        todo!()
    }
    pub async fn update_user_custom_data(
        &self,
        caller: &Caller,
        id: &str,
        custom_data: serde_json::Value,
        replace: bool,
    ) -> Result<User> {
        todo!()
    }
    pub async fn delete_user(&self, caller: &Caller, id: &str) -> Result<UserId> {
        todo!()
    }
    pub async fn set_user_password(&self, caller: &Caller, id: &str, password: String) -> Result<User> {
        todo!()
    }
    pub async fn verify_user_password(&self, caller: &Caller, id: &str, password: String) -> Result<bool> {
        todo!()
    }
    pub async fn set_user_suspended(&self, caller: &Caller, id: &str, suspended: bool) -> Result<User> {
        todo!()
    }
    pub async fn link_user_identity(
        &self,
        caller: &Caller,
        id: &str,
        provider: &str,
        identity: IdentityInput,
    ) -> Result<User> {
        todo!()
    }
    pub async fn unlink_user_identity(&self, caller: &Caller, id: &str, provider: &str) -> Result<User> {
        todo!()
    }

    // ---- roles ----
    pub async fn create_role(&self, caller: &Caller, input: CreateRole) -> Result<Role> {
        todo!()
    }
    pub async fn update_role(&self, caller: &Caller, id: &str, input: UpdateRole) -> Result<Role> {
        todo!()
    }
    pub async fn delete_role(&self, caller: &Caller, id: &str) -> Result<RoleId> {
        todo!()
    }
    pub async fn role(&self, caller: &Caller, id: &str) -> Result<Option<Role>> {
        todo!()
    }
    pub async fn search_roles(
        &self,
        caller: &Caller,
        search: Option<String>,
        page: PageArgs,
        count_total: bool,
    ) -> Result<Connection<Role>> {
        todo!()
    }
    pub async fn assign_user_roles(&self, caller: &Caller, user_id: &str, role_ids: &[String]) -> Result<User> {
        todo!()
    }
    pub async fn replace_user_roles(&self, caller: &Caller, user_id: &str, role_ids: &[String]) -> Result<User> {
        todo!()
    }
    pub async fn remove_user_role(&self, caller: &Caller, user_id: &str, role_id: &str) -> Result<User> {
        todo!()
    }
    /// The roles of each user, in one storage round trip (for DataLoaders).
    pub async fn roles_of_users(
        &self,
        caller: &Caller,
        user_ids: &[UserId],
    ) -> Result<HashMap<UserId, Vec<Role>>> {
        todo!()
    }
    /// The users holding a role, paged like `search_users`.
    pub async fn role_users(
        &self,
        caller: &Caller,
        role_id: &RoleId,
        page: PageArgs,
        count_total: bool,
    ) -> Result<Connection<User>> {
        todo!()
    }

    // ---- logs ----
    pub async fn search_logs(
        &self,
        caller: &Caller,
        filter: LogFilter,
        page: PageArgs,
        count_total: bool,
    ) -> Result<Connection<LogEntry>> {
        todo!()
    }
}
