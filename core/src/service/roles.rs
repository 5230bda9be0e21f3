//! Roles: create, update, delete, read and list.

use serde_json::json;

use super::audit::Audit;
use super::{Backoff, CreateRole, Patch, Service, UpdateRole, guard};
use crate::caller::{Caller, Permission};
use crate::cursor::Scope;
use crate::error::{Entity, Error, Result};
use crate::eval;
use crate::ids::RoleId;
use crate::model::{Role, log_keys};
use crate::page::{Connection, PageArgs};
use crate::query::RoleSearch;
use crate::storage::WriteOp;
use crate::{cursor, time, validate};

fn name_taken() -> Error {
    Error::conflict(Some("name"), "a role with this name already exists")
}

/// Storage reports a taken name as a conflict without a field; say which.
fn name_conflict(error: Error) -> Error {
    match error {
        Error::Conflict { field: None, .. } => name_taken(),
        other => other,
    }
}

impl Service {
    /// Needs `roles:write` and every permission the new role holds.
    pub async fn create_role(&self, caller: &Caller, input: CreateRole) -> Result<Role> {
        caller.require(Permission::RolesWrite)?;
        let name = validate::role_name(&input.name)?;
        let description = input
            .description
            .as_deref()
            .map(validate::role_description)
            .transpose()?;
        let permissions = validate::role_permissions(input.permissions)?;
        guard::require_grantable(caller, &permissions)?;
        let name_key = validate::identifier_key(&name);
        if self.storage.role_by_name(&name_key).await?.is_some() {
            return Err(name_taken());
        }
        let now = time::now();
        let role = Role {
            id: RoleId::generate(),
            name,
            description,
            permissions,
            is_default: input.is_default,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let fields: Vec<&str> = [
            ("name", true),
            ("description", role.description.is_some()),
            ("permissions", !role.permissions.is_empty()),
            ("isDefault", role.is_default),
        ]
        .into_iter()
        .filter_map(|(field, set)| set.then_some(field))
        .collect();
        let log = Audit::new(caller, log_keys::ROLE_CREATED, now)
            .role(&role.id)
            .payload(json!({ "fields": fields }));
        self.commit(vec![WriteOp::InsertRole(Box::new(role.clone())), log.op()])
            .await
            .map_err(name_conflict)?;
        Ok(role)
    }

    /// Needs `roles:write`, and every permission the update adds to the
    /// role; making a role the default needs every permission it holds,
    /// since every new user will get them. The built-in admin role keeps
    /// its name and permissions.
    pub async fn update_role(&self, caller: &Caller, id: &str, input: UpdateRole) -> Result<Role> {
        caller.require(Permission::RolesWrite)?;
        let id = RoleId::parse(id)?;
        let name = input.name.as_deref().map(validate::role_name).transpose()?;
        let description = match input.description {
            Patch::Value(raw) => Patch::Value(validate::role_description(&raw)?),
            Patch::Null => Patch::Null,
            Patch::Absent => Patch::Absent,
        };
        let permissions = input
            .permissions
            .map(validate::role_permissions)
            .transpose()?;

        let mut backoff = Backoff::new();
        loop {
            let current = self.load_role(&id).await?;
            let builtin = guard::is_admin_role(&current);
            let mut role = current.clone();
            let mut fields = Vec::new();
            if let Some(name) = &name
                && *name != role.name
            {
                if builtin {
                    return Err(guard::admin_role_is_fixed());
                }
                let key = validate::identifier_key(name);
                if let Some(other) = self.storage.role_by_name(&key).await?
                    && other.id != id
                {
                    return Err(name_taken());
                }
                role.name = name.clone();
                fields.push("name");
            }
            let new_description = match &description {
                Patch::Absent => role.description.clone(),
                Patch::Null => None,
                Patch::Value(v) => Some(v.clone()),
            };
            if new_description != role.description {
                role.description = new_description;
                fields.push("description");
            }
            if let Some(permissions) = &permissions
                && *permissions != role.permissions
            {
                if builtin {
                    return Err(guard::admin_role_is_fixed());
                }
                guard::require_grantable(
                    caller,
                    permissions
                        .iter()
                        .filter(|p| !current.permissions.contains(p)),
                )?;
                role.permissions = permissions.clone();
                fields.push("permissions");
            }
            if let Some(is_default) = input.is_default
                && is_default != role.is_default
            {
                if is_default {
                    guard::require_grantable(caller, &role.permissions)?;
                }
                role.is_default = is_default;
                fields.push("isDefault");
            }
            if fields.is_empty() {
                return Ok(current);
            }
            let now = time::now();
            role.updated_at = now;
            role.version = current.version + 1;
            let log = Audit::new(caller, log_keys::ROLE_UPDATED, now)
                .role(&id)
                .payload(json!({ "fields": fields }));
            let ops = vec![
                WriteOp::UpdateRole {
                    role: Box::new(role.clone()),
                    expected_version: current.version,
                },
                log.op(),
            ];
            match self.commit(ops).await {
                Ok(()) => return Ok(role),
                Err(Error::StaleVersion) => backoff.lost().await?,
                Err(e) => return Err(name_conflict(e)),
            }
        }
    }

    /// Deletes the role and every assignment of it; never the built-in
    /// admin role.
    pub async fn delete_role(&self, caller: &Caller, id: &str) -> Result<RoleId> {
        caller.require(Permission::RolesWrite)?;
        let id = RoleId::parse(id)?;
        let role = self.load_role(&id).await?;
        if guard::is_admin_role(&role) {
            return Err(guard::admin_role_is_fixed());
        }
        let log = Audit::new(caller, log_keys::ROLE_DELETED, time::now())
            .role(&id)
            .payload(json!({ "name": role.name }));
        self.commit(vec![WriteOp::DeleteRole { id: id.clone() }, log.op()])
            .await?;
        Ok(id)
    }

    /// `None` when no role has this (well-formed) id.
    pub async fn role(&self, caller: &Caller, id: &str) -> Result<Option<Role>> {
        caller.require(Permission::RolesRead)?;
        let id = RoleId::parse(id)?;
        self.storage.role(&id).await
    }

    /// Roles by name (case-insensitive), then id; `search` is a
    /// case-insensitive substring of id, name or description.
    pub async fn search_roles(
        &self,
        caller: &Caller,
        search: Option<String>,
        page: PageArgs,
        count_total: bool,
    ) -> Result<Connection<Role>> {
        caller.require(Permission::RolesRead)?;
        let search = validate::search_text(search.as_deref())?;
        let request = page.validate_forward()?;
        let cursors = self.cursors(Scope::roles(search.as_deref())?).await?;
        let after = request
            .cursor
            .as_deref()
            .map(|raw| cursor::decode_role(&cursors, raw, request.cursor_field()))
            .transpose()?;
        let query = RoleSearch {
            search,
            after,
            limit: request.limit(),
            count_limit: self.count_limit(count_total),
        };
        let found = self.storage.search_roles(&query).await?;
        let total = self.total_count(found.total);
        Ok(request.connection(found.items, total, |role| {
            cursor::encode_role(&cursors, &eval::role_sort_key(role))
        }))
    }

    /// The stored role, or `NOT_FOUND`.
    pub(super) async fn load_role(&self, id: &RoleId) -> Result<Role> {
        self.storage
            .role(id)
            .await?
            .ok_or_else(|| Error::not_found(Entity::Role, id.as_str()))
    }
}
