//! Importing roles: matched by name (then id), created, skipped or
//! updated; the built-in admin role is left as it is.

use serde_json::json;

use super::{ImportOutcome, ImportedRole, OnExisting};
use crate::caller::{Caller, Permission};
use crate::error::Result;
use crate::ids::RoleId;
use crate::model::{Role, log_keys};
use crate::service::audit::Audit;
use crate::service::{Service, guard};
use crate::storage::WriteOp;
use crate::{time, validate};

impl Service {
    /// Imports one role: created when no role has its name (or id), else
    /// skipped or updated. Needs `roles:write` and every permission the role
    /// holds. The built-in admin role is never changed by an import.
    pub async fn import_role(
        &self,
        caller: &Caller,
        input: ImportedRole,
        on_existing: OnExisting,
    ) -> Result<ImportOutcome> {
        caller.require(Permission::RolesWrite)?;
        let id = input.id.as_deref().map(RoleId::parse).transpose()?;
        let name = validate::role_name(&input.name)?;
        let description = input
            .description
            .as_deref()
            .map(validate::role_description)
            .transpose()?;
        let permissions = validate::role_permissions(input.permissions)?;
        guard::require_grantable(caller, &permissions)?;
        let existing = match self
            .storage
            .role_by_name(&validate::identifier_key(&name))
            .await?
        {
            Some(role) => Some(role),
            None => match &id {
                Some(id) => self.storage.role(id).await?,
                None => None,
            },
        };
        let now = time::now();
        let created_at = input.created_at.map(time::truncate);
        let updated_at = input.updated_at.map(time::truncate);
        let previous = existing.clone();
        let (role, op, key) = match existing {
            None => {
                let created_at = created_at.unwrap_or(now);
                let role = Role {
                    id: id.unwrap_or_else(RoleId::generate),
                    name,
                    description,
                    permissions,
                    is_default: input.is_default,
                    created_at,
                    updated_at: updated_at.unwrap_or(created_at),
                    version: 1,
                };
                let op = WriteOp::InsertRole(Box::new(role.clone()));
                (role, op, log_keys::ROLE_CREATED)
            }
            Some(current) if on_existing == OnExisting::Skip || guard::is_admin_role(&current) => {
                return Ok(ImportOutcome::Skipped);
            }
            Some(current) => {
                let role = Role {
                    id: current.id.clone(),
                    name,
                    description,
                    permissions,
                    is_default: input.is_default,
                    created_at: created_at.unwrap_or(current.created_at),
                    updated_at: updated_at.unwrap_or(now),
                    version: current.version + 1,
                };
                // A record without `updatedAt` does not ask for a change.
                let unchanged = Role {
                    version: current.version,
                    updated_at: updated_at.unwrap_or(current.updated_at),
                    ..role.clone()
                } == current;
                if unchanged {
                    return Ok(ImportOutcome::Skipped);
                }
                let op = WriteOp::UpdateRole {
                    role: Box::new(role.clone()),
                    expected_version: current.version,
                };
                (role, op, log_keys::ROLE_UPDATED)
            }
        };
        let log = Audit::new(caller, key, now)
            .role(&role.id)
            .payload(json!({ "fields": role_fields(&role, previous.as_ref()), "imported": true }));
        self.commit(vec![op, log.op()]).await?;
        Ok(if key == log_keys::ROLE_CREATED {
            ImportOutcome::Created
        } else {
            ImportOutcome::Updated
        })
    }
}

/// The camelCase fields a role import set (new role) or changed.
fn role_fields(role: &Role, previous: Option<&Role>) -> Vec<&'static str> {
    let differs = |field: &str| match previous {
        None => match field {
            "description" => role.description.is_some(),
            "permissions" => !role.permissions.is_empty(),
            "isDefault" => role.is_default,
            _ => true,
        },
        Some(old) => match field {
            "name" => old.name != role.name,
            "description" => old.description != role.description,
            "permissions" => old.permissions != role.permissions,
            _ => old.is_default != role.is_default,
        },
    };
    ["name", "description", "permissions", "isDefault"]
        .into_iter()
        .filter(|field| differs(field))
        .collect()
}
