//! DataLoaders, built per request (they carry the request's caller, and
//! their cache must not outlive the request), and only when a resolver
//! first asks for one: most requests use neither, and building both was a
//! share of a small request's own work (BENCHMARKS.md, "Over HTTP").

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_graphql::dataloader::{DataLoader, Loader};
use usergraph_core::{Caller, Error, Role, Service, User, UserId};

/// A request's loaders, each built by its first use.
#[derive(Default)]
pub struct Loaders {
    roles: OnceLock<DataLoader<RolesLoader>>,
    users: OnceLock<DataLoader<UsersLoader>>,
}

impl Loaders {
    /// The request's [`RolesLoader`], for `caller` through `service`.
    pub fn roles(&self, service: &Service, caller: &Caller) -> &DataLoader<RolesLoader> {
        self.roles
            .get_or_init(|| RolesLoader::new(service.clone(), caller.clone()))
    }

    /// The request's [`UsersLoader`], for `caller` through `service`.
    pub fn users(&self, service: &Service, caller: &Caller) -> &DataLoader<UsersLoader> {
        self.users
            .get_or_init(|| UsersLoader::new(service.clone(), caller.clone()))
    }
}

impl std::fmt::Debug for Loaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaders")
            .field("roles", &self.roles.get().is_some())
            .field("users", &self.users.get().is_some())
            .finish()
    }
}

/// The roles of users: every `User.roles` in a response is gathered into one
/// `Service::roles_of_users` call.
#[derive(Debug)]
pub struct RolesLoader {
    service: Service,
    caller: Caller,
}

impl RolesLoader {
    pub fn new(service: Service, caller: Caller) -> DataLoader<Self> {
        DataLoader::new(RolesLoader { service, caller }, tokio::spawn)
    }
}

impl Loader<UserId> for RolesLoader {
    type Value = Vec<Role>;
    // Shared because every waiter of the batch gets the same error.
    type Error = Arc<Error>;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, Vec<Role>>, Arc<Error>> {
        self.service
            .roles_of_users(&self.caller, keys)
            .await
            .map_err(Arc::new)
    }
}

/// Users by id, as far as the caller may read them: every `LogEntry.user`
/// and `LogEntry.actor` of a page is gathered into one
/// `Service::readable_users` call. A user the caller may not read is
/// absent, like a deleted one.
#[derive(Debug)]
pub struct UsersLoader {
    service: Service,
    caller: Caller,
}

impl UsersLoader {
    pub fn new(service: Service, caller: Caller) -> DataLoader<Self> {
        DataLoader::new(UsersLoader { service, caller }, tokio::spawn)
    }
}

impl Loader<UserId> for UsersLoader {
    type Value = User;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, User>, Arc<Error>> {
        self.service
            .readable_users(&self.caller, keys)
            .await
            .map_err(Arc::new)
    }
}
