//! Creating, reading, listing and deleting users.

use serde_json::{Value, json};

use super::audit::Audit;
use super::new_user::CheckedUser;
use super::{CreateUser, MAX_ATTEMPTS, Service, UserQuery, guard};
use crate::caller::{Caller, Permission};
use crate::cursor::{Scope, UserList};
use crate::error::{Entity, Error, Result};
use crate::eval;
use crate::filter::UserFilter;
use crate::ids::{RoleId, UserId};
use crate::model::{User, log_keys};
use crate::page::{Connection, PageArgs};
use crate::plugin::EventKind;
use crate::query::{UserOrder, UserSearch};
use crate::storage::WriteOp;
use crate::{cursor, time, validate};

impl Service {
    pub async fn create_user(&self, caller: &Caller, input: CreateUser) -> Result<User> {
        caller.require(Permission::UsersWrite)?;
        let new_user = CheckedUser::check(input)?.finish(&self.passwords).await?;
        self.vet_new_user(caller, &new_user).await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let role_ids = self.default_role_ids().await?;
            let (user, ops) = new_user.ops(caller, &role_ids);
            match self.commit(ops).await {
                Ok(()) => {
                    self.publish_created(caller, &user, &role_ids);
                    return Ok(user);
                }
                // A default role deleted since we listed them: list again.
                Err(Error::NotFound {
                    entity: Entity::Role,
                    ..
                }) if attempt < MAX_ATTEMPTS => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// `UserCreated` for a user just committed with `role_ids`.
    pub(super) fn publish_created(&self, caller: &Caller, user: &User, role_ids: &[RoleId]) {
        let details = json!({ "roleIds": role_ids });
        self.publish_user(caller, EventKind::UserCreated, user, details);
    }

    /// The roles every new user gets.
    pub(super) async fn default_role_ids(&self) -> Result<Vec<RoleId>> {
        Ok(self
            .storage
            .default_roles()
            .await?
            .into_iter()
            .map(|role| role.id)
            .collect())
    }

    /// `None` when no user has this (well-formed) id.
    pub async fn user(&self, caller: &Caller, id: &str) -> Result<Option<User>> {
        let id = guard::user_id_for(caller, Permission::UsersRead, id)?;
        self.storage.user(&id).await
    }

    /// Users by id, in the order of `ids`, absent ones left out. A user may
    /// always read itself.
    pub async fn users_by_ids(&self, caller: &Caller, ids: &[UserId]) -> Result<Vec<User>> {
        if !guard::all_self(caller, ids) {
            caller.require(Permission::UsersRead)?;
        }
        self.storage.users(ids).await
    }

    /// The users of `ids` this caller may read, by id: its own user always,
    /// the others with `users:read`. Never refuses: the ids it may not read
    /// are left out, like the ids of deleted users, so that a list showing
    /// who did what (`LogEntry.user`, `LogEntry.actor`) shows what it can
    /// rather than failing whole.
    pub async fn readable_users(
        &self,
        caller: &Caller,
        ids: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, User>> {
        let readable: Vec<UserId> = if caller.permissions.allows(Permission::UsersRead) {
            ids.to_vec()
        } else {
            ids.iter()
                .filter(|id| guard::is_self(caller, id))
                .cloned()
                .collect()
        };
        if readable.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        Ok(self
            .storage
            .users(&readable)
            .await?
            .into_iter()
            .map(|user| (user.id.clone(), user))
            .collect())
    }

    pub async fn search_users(
        &self,
        caller: &Caller,
        query: UserQuery,
    ) -> Result<Connection<User>> {
        caller.require(Permission::UsersRead)?;
        let search = validate::search_text(query.search.as_deref())?
            .map_or(UserFilter::All, |text| UserFilter::simple_search(&text));
        let filter = match query.filter {
            Some(filter) => search.and(validate::user_filter(filter)?),
            None => search,
        };
        let order = validate::user_order(query.order)?;
        self.user_page(
            UserList::Users,
            filter,
            order,
            &query.page,
            query.count_total,
        )
        .await
    }

    /// One page of the user list `list`: the users matching `filter` in
    /// `order` (both already validated).
    pub(super) async fn user_page(
        &self,
        list: UserList,
        filter: UserFilter,
        order: Vec<UserOrder>,
        page: &PageArgs,
        count_total: bool,
    ) -> Result<Connection<User>> {
        let request = page.validate()?;
        let cursors = self.cursors(Scope::users(list, &order, &filter)?).await?;
        let after = request
            .cursor
            .as_deref()
            .map(|raw| cursor::decode_user(&cursors, raw, &order, request.cursor_field()))
            .transpose()?;
        // A cursor names a position, not a direction: the same key serves as
        // `after` when storage walks the order backward.
        let search = UserSearch {
            filter,
            order: order.clone(),
            after,
            backward: request.backward,
            limit: request.limit(),
            count_limit: self.count_limit(count_total),
        };
        let found = self.storage.search_users(&search).await?;
        let total = self.total_count(found.total);
        Ok(request.connection(found.items, total, |user| {
            cursor::encode_user(&cursors, &eval::sort_key(user, &order))
        }))
    }

    /// Deletes the user, its role assignments and tokens; its log entries
    /// stay. Never the last admin, nor a user who holds a permission the
    /// caller lacks.
    pub async fn delete_user(&self, caller: &Caller, id: &str) -> Result<UserId> {
        caller.require(Permission::UsersDelete)?;
        let id = UserId::parse(id)?;
        self.require_outranks(caller, &id).await?;
        let last_admin_guard = self.refuse_if_last_admin(&id, "delete").await?;
        let log = Audit::new(caller, log_keys::USER_DELETED, time::now())
            .user(&id)
            .payload(Value::Object(Default::default()));
        let mut ops = vec![WriteOp::DeleteUser { id: id.clone() }, log.op()];
        ops.extend(last_admin_guard);
        self.commit(ops).await?;
        self.publish(
            caller,
            EventKind::UserDeleted,
            Some(&id),
            || json!({ "userId": id }),
        );
        Ok(id)
    }

    /// The stored user, or `NOT_FOUND`.
    pub(super) async fn load_user(&self, id: &UserId) -> Result<User> {
        self.storage
            .user(id)
            .await?
            .ok_or_else(|| Error::not_found(Entity::User, id.as_str()))
    }
}
