//! DataLoaders, built per request (they carry the request's caller, and
//! their cache must not outlive the request).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use usergraph_core::{Caller, Error, Role, Service, User, UserId};

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
