//! Writing every user, then every role, as JSON Lines. Users are read in
//! keyset pages (oldest first, then by id), so memory stays the same
//! whatever the number of users; roles, which are few, are held to name
//! each user's roles.

use std::collections::HashMap;
use std::io::Write;

use super::error::TransferError;
use super::format::{Header, Record, RoleRecord, UserRecord};
use super::progress::Progress;
use crate::caller::{Caller, Permission};
use crate::filter::UserFilter;
use crate::ids::RoleId;
use crate::model::Role;
use crate::query::{
    Direction, RoleSearch, RoleSortKey, SortValue, UserOrder, UserOrderField, UserSearch,
    UserSortKey,
};
use crate::service::Service;
use crate::storage::Storage;

/// Users (and roles) read per storage call.
const PAGE: usize = 500;

const OLDEST_FIRST: UserOrder = UserOrder {
    field: UserOrderField::CreatedAt,
    direction: Direction::Asc,
};

/// How much an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub users: u64,
    pub roles: u64,
}

/// Writes the export of everything `service` stores to `out`: the header,
/// each user, each role, one JSON object per line. The same data always
/// gives the same bytes, whichever backend holds it (nothing in the output
/// says when it was made). Needs `users:read`, `roles:read` and, since
/// password digests are written, `users:password`.
///
/// Users created while the export runs may or may not be in it; each line
/// is a user as it was when its page was read.
pub async fn export<W: Write>(
    service: &Service,
    caller: &Caller,
    mut out: W,
    progress: &mut dyn Progress,
) -> Result<ExportSummary, TransferError> {
    for permission in [
        Permission::UsersRead,
        Permission::RolesRead,
        Permission::UsersPassword,
    ] {
        caller.require(permission)?;
    }
    let storage = service.storage().as_ref();
    let roles = all_roles(storage).await?;
    let names: HashMap<&RoleId, &str> = roles
        .iter()
        .map(|role| (&role.id, role.name.as_str()))
        .collect();
    write_line(&mut out, &Header::current())?;

    let mut summary = ExportSummary::default();
    let mut after = None;
    let mut first = true;
    loop {
        let search = UserSearch {
            filter: UserFilter::All,
            order: vec![OLDEST_FIRST],
            after,
            backward: false,
            limit: PAGE,
            count_limit: first.then_some(u64::MAX),
        };
        let page = storage.search_users(&search).await?;
        if first {
            progress.start(page.total.map(|users| users + roles.len() as u64));
            first = false;
        }
        let ids: Vec<_> = page.items.iter().map(|user| user.id.clone()).collect();
        let mut held = storage.role_ids_of_users(&ids).await?;
        let full = page.items.len() == PAGE;
        after = page.items.last().map(|user| UserSortKey {
            values: vec![SortValue::Time(Some(user.created_at))],
            id: user.id.clone(),
        });
        let count = page.items.len() as u64;
        for user in page.items {
            let role_names = held
                .remove(&user.id)
                .unwrap_or_default()
                .iter()
                .filter_map(|id| names.get(id).map(|name| (*name).to_owned()))
                .collect();
            let record = Record::User(Box::new(UserRecord::from_user(user, role_names)));
            write_line(&mut out, &record)?;
        }
        summary.users += count;
        progress.advance(count);
        if !full {
            break;
        }
    }

    for role in &roles {
        write_line(&mut out, &Record::Role(RoleRecord::from_role(role.clone())))?;
    }
    summary.roles = roles.len() as u64;
    progress.advance(summary.roles);
    out.flush()?;
    progress.finish();
    Ok(summary)
}

/// Every role, by name (case-insensitive), then id.
async fn all_roles(storage: &dyn Storage) -> Result<Vec<Role>, TransferError> {
    let mut roles: Vec<Role> = Vec::new();
    loop {
        let search = RoleSearch {
            search: None,
            after: roles.last().map(|role| RoleSortKey {
                name_key: role.name_key(),
                id: role.id.clone(),
            }),
            limit: PAGE,
            count_limit: None,
        };
        let page = storage.search_roles(&search).await?.items;
        let full = page.len() == PAGE;
        roles.extend(page);
        if !full {
            return Ok(roles);
        }
    }
}

fn write_line<T: serde::Serialize>(out: &mut impl Write, value: &T) -> Result<(), TransferError> {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}
