//! The first start (an admin user and its first token on an empty store),
//! the built-in admin role, and minting tokens from the command line. All of
//! it acts on the process's own authority ([`Caller::system`]).

use serde_json::json;

use super::audit::Audit;
use super::guard::ADMIN_ROLE_NAME;
use super::new_user::CheckedUser;
use super::tokens::{created_log, issue};
use super::{Backoff, Bootstrap, CreateUser, CreatedToken, NewToken, Service};
use crate::caller::{Caller, Permission};
use crate::error::{Entity, Error, Result};
use crate::filter::UserFilter;
use crate::ids::RoleId;
use crate::model::{Role, TokenKind, log_keys};
use crate::plugin::EventKind;
use crate::query::{Direction, UserOrder, UserOrderField, UserSearch};
use crate::storage::{UniqueKey, WriteOp};
use crate::{time, validate};

/// The admin user the first start creates.
const ADMIN_USERNAME: &str = "admin";
/// The name of the token the first start prints.
const BOOTSTRAP_TOKEN_NAME: &str = "bootstrap";

fn all_permissions() -> Vec<String> {
    let mut names: Vec<String> = Permission::ALL
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    names.sort();
    names
}

impl Service {
    /// The built-in admin role, created if missing. A role of that name made
    /// before usergraph protected it gets every permission back, so that
    /// the admin role always means what its name says.
    pub async fn ensure_admin_role(&self) -> Result<Role> {
        let caller = Caller::system();
        let all = all_permissions();
        let mut backoff = Backoff::new();
        loop {
            let now = time::now();
            let key = validate::identifier_key(ADMIN_ROLE_NAME);
            let (role, op, key) = match self.storage.role_by_name(&key).await? {
                Some(role) if all.iter().all(|p| role.permissions.contains(p)) => return Ok(role),
                Some(current) => {
                    let mut role = current.clone();
                    role.permissions = all.clone();
                    role.updated_at = now;
                    role.version = current.version + 1;
                    let op = WriteOp::UpdateRole {
                        role: Box::new(role.clone()),
                        expected_version: current.version,
                    };
                    (role, op, log_keys::ROLE_UPDATED)
                }
                None => {
                    let role = Role {
                        id: RoleId::generate(),
                        name: ADMIN_ROLE_NAME.to_owned(),
                        description: Some("Built-in: every permission".to_owned()),
                        permissions: all.clone(),
                        is_default: false,
                        created_at: now,
                        updated_at: now,
                        version: 1,
                    };
                    (
                        role.clone(),
                        WriteOp::InsertRole(Box::new(role)),
                        log_keys::ROLE_CREATED,
                    )
                }
            };
            let log = Audit::new(&caller, key, now)
                .role(&role.id)
                .payload(json!({ "fields": ["permissions"], "builtIn": true }));
            match self.commit(vec![op, log.op()]).await {
                Ok(()) => return Ok(role),
                // Another process created or changed it meanwhile: look again.
                Err(Error::StaleVersion) | Err(Error::Conflict { .. }) => backoff.lost().await?,
                Err(e) => return Err(e),
            }
        }
    }

    /// On a store without any user: the admin role, a user `admin` (no
    /// password) holding it, and a personal token without expiry whose
    /// secret the caller prints once. On any other store: only the admin
    /// role, and `None`.
    pub async fn bootstrap(&self) -> Result<Option<Bootstrap>> {
        let admin_role = self.ensure_admin_role().await?;
        if self.store_has_users().await? {
            return Ok(None);
        }
        let caller = Caller::system();
        let new_user = CheckedUser::check(CreateUser {
            username: Some(ADMIN_USERNAME.to_owned()),
            ..CreateUser::default()
        })?
        .finish(&self.passwords)
        .await?;
        let mut role_ids = self.default_role_ids().await?;
        role_ids.push(admin_role.id.clone());
        role_ids.sort();
        role_ids.dedup();
        let (user, mut ops) = new_user.ops(&caller, &role_ids);
        let (token, secret) = issue(
            &user.id,
            TokenKind::Personal,
            BOOTSTRAP_TOKEN_NAME.to_owned(),
            None,
            None,
            user.created_at,
        );
        ops.push(WriteOp::InsertToken(Box::new(token.clone())));
        ops.push(created_log(&caller, &token));
        // No before-hooks: a plugin must not be able to keep a store from
        // ever getting its first admin. Plugins still hear of it.
        match self.commit(ops).await {
            Ok(()) => {
                self.publish_created(&caller, &user, &role_ids);
                self.publish_token(&caller, EventKind::TokenCreated, &token);
                Ok(Some(Bootstrap {
                    user,
                    token,
                    secret,
                }))
            }
            // Another process bootstrapped first; its token is the one.
            Err(Error::UsernameAlreadyInUse) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn store_has_users(&self) -> Result<bool> {
        let search = UserSearch {
            filter: UserFilter::All,
            order: vec![UserOrder {
                field: UserOrderField::CreatedAt,
                direction: Direction::Asc,
            }],
            after: None,
            backward: false,
            limit: 1,
            count_limit: None,
        };
        Ok(!self.storage.search_users(&search).await?.items.is_empty())
    }

    /// A new personal token for the user named `username`, made by the
    /// process itself (the `usergraph admin token` command): no permission
    /// check, since whoever runs it can read the store anyway. Creating a
    /// token is still validated and logged as usual.
    pub async fn mint_token_for(
        &self,
        username: &str,
        name: &str,
        expires_at: Option<time::Timestamp>,
    ) -> Result<CreatedToken> {
        let username = validate::username(username)?;
        let key = UniqueKey::Username(validate::identifier_key(&username));
        let user = self
            .storage
            .user_by_key(&key)
            .await?
            .ok_or_else(|| Error::not_found(Entity::User, username.as_str()))?;
        let input = NewToken {
            name: name.to_owned(),
            expires_at,
            scopes: None,
        };
        self.create_token(&Caller::system(), &user.id, input).await
    }
}
