//! Applying [`WriteOp`]s in one transaction. Uniqueness is left to the unique
//! indexes (so that it holds across processes); existence and versions are
//! checked by the statements themselves (`WHERE id = .. AND version = ..`).

use std::collections::HashSet;

use sqlx::postgres::{PgArguments, PgConnection, PgPool};
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{Postgres, Row};
use usergraph_core::validate::identifier_key;
use usergraph_core::{Entity, Error, LogEntry, Result, Role, RoleId, User, UserId, WriteOp};

use crate::error::{FOREIGN_KEY_VIOLATION, db_error, internal, write_error};
use crate::log_order::LogOrder;
use crate::rows::{UserRow, version_to_db};
use crate::tokens;

/// Applies `ops` in order in one transaction; the first error rolls back
/// all. Log entries go in commit order (see `log_order.rs`).
pub(crate) async fn commit(pool: &PgPool, order: &LogOrder, ops: &[WriteOp]) -> Result<()> {
    let mut tx = pool.begin().await.map_err(internal)?;
    if ops
        .iter()
        .any(|op| matches!(op, WriteOp::RequireActiveHolder { .. }))
    {
        // The holder check relies on a snapshot per statement, whatever the
        // server's default_transaction_isolation says.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
    }
    // Log entries go last, after the log order lock, so that the lock
    // (which makes such transactions commit one at a time) is held for
    // their inserts and the commit only. Nothing else refers to them.
    let mut entries = Vec::new();
    for op in ops {
        match op {
            WriteOp::AppendLog(entry) => entries.push(entry),
            // Returning drops `tx`, which rolls the transaction back.
            op => apply(&mut tx, op).await?,
        }
    }
    if !entries.is_empty() {
        let floor = order.enter(&mut tx).await?;
        for entry in entries {
            match floor.as_ref().and_then(|floor| floor.place(entry)) {
                Some(moved) => append_log(&mut tx, &moved).await?,
                None => append_log(&mut tx, entry).await?,
            }
        }
    }
    tx.commit().await.map_err(write_error)
}

async fn apply(conn: &mut PgConnection, op: &WriteOp) -> Result<()> {
    match op {
        WriteOp::InsertUser(user) => insert_user(conn, user).await,
        WriteOp::UpdateUser {
            user,
            expected_version,
        } => update_user(conn, user, *expected_version).await,
        WriteOp::DeleteUser { id } => delete_user(conn, id).await,
        WriteOp::InsertRole(role) => insert_role(conn, role).await,
        WriteOp::UpdateRole {
            role,
            expected_version,
        } => update_role(conn, role, *expected_version).await,
        WriteOp::DeleteRole { id } => delete_role(conn, id).await,
        WriteOp::AssignRoles { user_id, role_ids } => {
            require_user(conn, user_id).await?;
            require_roles(conn, role_ids).await?;
            assign(conn, user_id, role_ids).await
        }
        WriteOp::UnassignRoles { user_id, role_ids } => {
            require_user(conn, user_id).await?;
            sqlx::query("DELETE FROM users_roles WHERE user_id = $1 AND role_id = ANY($2)")
                .bind(user_id.as_str())
                .bind(ids(role_ids))
                .execute(&mut *conn)
                .await
                .map_err(internal)?;
            Ok(())
        }
        WriteOp::ReplaceRoles { user_id, role_ids } => {
            require_user(conn, user_id).await?;
            require_roles(conn, role_ids).await?;
            sqlx::query("DELETE FROM users_roles WHERE user_id = $1 AND NOT (role_id = ANY($2))")
                .bind(user_id.as_str())
                .bind(ids(role_ids))
                .execute(&mut *conn)
                .await
                .map_err(internal)?;
            assign(conn, user_id, role_ids).await
        }
        WriteOp::AppendLog(entry) => append_log(conn, entry).await,
        WriteOp::InsertToken(token) => tokens::insert(conn, token).await,
        WriteOp::UpdateToken {
            token,
            expected_version,
        } => tokens::update(conn, token, *expected_version).await,
        WriteOp::DeleteToken { id } => tokens::delete(conn, id).await,
        WriteOp::RequireActiveHolder { role_id, refusal } => {
            require_active_holder(conn, role_id, refusal).await
        }
    }
}

/// Two transactions that each take away one of the last two holders touch
/// different rows, so each would still see the other's holder. Both lock
/// the role's row first; the one that waits counts in a statement that
/// starts after the other committed (READ COMMITTED takes a snapshot per
/// statement), so it sees that holder gone.
async fn require_active_holder(
    conn: &mut PgConnection,
    role_id: &RoleId,
    refusal: &str,
) -> Result<()> {
    sqlx::query("SELECT 1 FROM roles WHERE id = $1 FOR UPDATE")
        .bind(role_id.as_str())
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    let held: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM users_roles ur JOIN users u ON u.id = ur.user_id \
         WHERE ur.role_id = $1 AND NOT u.is_suspended)",
    )
    .bind(role_id.as_str())
    .fetch_one(&mut *conn)
    .await
    .map_err(internal)?;
    if held {
        Ok(())
    } else {
        Err(Error::Forbidden(refusal.to_owned()))
    }
}

fn ids<T: AsRef<str>>(ids: &[T]) -> Vec<String> {
    ids.iter().map(|id| id.as_ref().to_owned()).collect()
}

/// Binds every column of `row` after whatever the query bound already, in
/// the column order of [`INSERT_USER`].
fn bind_user(
    query: Query<'_, Postgres, PgArguments>,
    row: UserRow,
) -> Query<'_, Postgres, PgArguments> {
    query
        .bind(row.id)
        .bind(row.username)
        .bind(row.primary_email)
        .bind(row.primary_phone)
        .bind(row.name)
        .bind(row.avatar)
        .bind(row.profile)
        .bind(row.custom_data)
        .bind(row.identities)
        .bind(row.providers)
        .bind(row.provider_keys)
        .bind(row.password_digest)
        .bind(row.password_algorithm)
        .bind(row.is_suspended)
        .bind(row.last_sign_in_at)
        .bind(row.created_at)
        .bind(row.updated_at)
        .bind(row.version)
        .bind(row.username_key)
        .bind(row.email_key)
        .bind(row.name_key)
}

const INSERT_USER: &str = "INSERT INTO users (id, username, primary_email, primary_phone, name, \
     avatar, profile, custom_data, identities, providers, provider_keys, password_digest, \
     password_algorithm, is_suspended, last_sign_in_at, created_at, updated_at, version, \
     username_key, email_key, name_key) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
     $19, $20, $21)";

const UPDATE_USER: &str = "UPDATE users SET username = $2, primary_email = $3, \
     primary_phone = $4, name = $5, avatar = $6, profile = $7, custom_data = $8, \
     identities = $9, providers = $10, provider_keys = $11, password_digest = $12, \
     password_algorithm = $13, is_suspended = $14, last_sign_in_at = $15, created_at = $16, \
     updated_at = $17, version = $18, username_key = $19, email_key = $20, name_key = $21 \
     WHERE id = $1 AND version = $22";

async fn insert_user(conn: &mut PgConnection, user: &User) -> Result<()> {
    bind_user(sqlx::query(INSERT_USER), UserRow::new(user)?)
        .execute(&mut *conn)
        .await
        .map_err(write_error)?;
    Ok(())
}

async fn update_user(conn: &mut PgConnection, user: &User, expected_version: u64) -> Result<()> {
    let updated = bind_user(sqlx::query(UPDATE_USER), UserRow::new(user)?)
        .bind(version_to_db(expected_version)?)
        .execute(&mut *conn)
        .await
        .map_err(write_error)?
        .rows_affected();
    if updated == 0 {
        return missed_update(conn, USER_EXISTS, Entity::User, user.id.as_str()).await;
    }
    Ok(())
}

async fn delete_user(conn: &mut PgConnection, id: &UserId) -> Result<()> {
    // Assignments and tokens go with it (ON DELETE CASCADE); logs have no
    // foreign key.
    delete_by_id(
        conn,
        "DELETE FROM users WHERE id = $1",
        Entity::User,
        id.as_str(),
    )
    .await
}

const USER_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)";
const ROLE_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM roles WHERE id = $1)";

async fn exists(conn: &mut PgConnection, exists_sql: &'static str, id: &str) -> Result<bool> {
    sqlx::query_scalar::<_, bool>(exists_sql)
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(internal)
}

async fn user_exists(conn: &mut PgConnection, id: &UserId) -> Result<bool> {
    exists(conn, USER_EXISTS, id.as_str()).await
}

/// Runs `delete_sql` (one `$1`, the id); `NOT_FOUND` when it removed no row.
pub(crate) async fn delete_by_id(
    conn: &mut PgConnection,
    delete_sql: &'static str,
    entity: Entity,
    id: &str,
) -> Result<()> {
    let deleted = sqlx::query(delete_sql)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(internal)?
        .rows_affected();
    if deleted == 0 {
        return Err(Error::not_found(entity, id));
    }
    Ok(())
}

/// The error of a versioned UPDATE that matched no row: the record is gone
/// (`NOT_FOUND`), or another write bumped its version (`StaleVersion`).
pub(crate) async fn missed_update(
    conn: &mut PgConnection,
    exists_sql: &'static str,
    entity: Entity,
    id: &str,
) -> Result<()> {
    Err(if exists(conn, exists_sql, id).await? {
        Error::StaleVersion
    } else {
        Error::not_found(entity, id)
    })
}

pub(crate) async fn require_user(conn: &mut PgConnection, id: &UserId) -> Result<()> {
    if user_exists(conn, id).await? {
        Ok(())
    } else {
        Err(Error::not_found(Entity::User, id.as_str()))
    }
}

/// `NOT_FOUND` naming the first of `role_ids` (in their order) that is absent.
async fn require_roles(conn: &mut PgConnection, role_ids: &[RoleId]) -> Result<()> {
    if role_ids.is_empty() {
        return Ok(());
    }
    let found: HashSet<String> = sqlx::query("SELECT id FROM roles WHERE id = ANY($1)")
        .bind(ids(role_ids))
        .fetch_all(&mut *conn)
        .await
        .map_err(internal)?
        .iter()
        .map(|row| row.try_get::<String, _>("id"))
        .collect::<Result<_, _>>()
        .map_err(internal)?;
    match role_ids.iter().find(|id| !found.contains(id.as_str())) {
        Some(missing) => Err(Error::not_found(Entity::Role, missing.as_str())),
        None => Ok(()),
    }
}

async fn assign(conn: &mut PgConnection, user_id: &UserId, role_ids: &[RoleId]) -> Result<()> {
    sqlx::query(
        "INSERT INTO users_roles (user_id, role_id) SELECT $1, unnest($2::text[]) \
         ON CONFLICT DO NOTHING",
    )
    .bind(user_id.as_str())
    .bind(ids(role_ids))
    .execute(&mut *conn)
    .await
    .map_err(|err| assignment_error(err, user_id, role_ids))?;
    Ok(())
}

/// The user or a role was deleted by a concurrent transaction after this one
/// checked it: the foreign key says which.
fn assignment_error(err: sqlx::Error, user_id: &UserId, role_ids: &[RoleId]) -> Error {
    match db_error(&err) {
        Some((code, Some(constraint))) if code == FOREIGN_KEY_VIOLATION => {
            if constraint == "users_roles_user_fkey" {
                Error::not_found(Entity::User, user_id.as_str())
            } else {
                Error::not_found(Entity::Role, ids(role_ids).join(", "))
            }
        }
        _ => internal(err),
    }
}

const INSERT_ROLE: &str = "INSERT INTO roles (id, name, name_key, description, description_key, \
     permissions, is_default, created_at, updated_at, version) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

const UPDATE_ROLE: &str = "UPDATE roles SET name = $2, name_key = $3, description = $4, \
     description_key = $5, permissions = $6, is_default = $7, created_at = $8, updated_at = $9, \
     version = $10 WHERE id = $1 AND version = $11";

fn bind_role<'q>(
    query: Query<'q, Postgres, PgArguments>,
    role: &Role,
) -> Result<Query<'q, Postgres, PgArguments>> {
    Ok(query
        .bind(role.id.as_str().to_owned())
        .bind(role.name.clone())
        .bind(role.name_key())
        .bind(role.description.clone())
        .bind(role.description.as_deref().map(identifier_key))
        .bind(role.permissions.clone())
        .bind(role.is_default)
        .bind(role.created_at)
        .bind(role.updated_at)
        .bind(version_to_db(role.version)?))
}

async fn insert_role(conn: &mut PgConnection, role: &Role) -> Result<()> {
    bind_role(sqlx::query(INSERT_ROLE), role)?
        .execute(&mut *conn)
        .await
        .map_err(write_error)?;
    Ok(())
}

async fn update_role(conn: &mut PgConnection, role: &Role, expected_version: u64) -> Result<()> {
    let updated = bind_role(sqlx::query(UPDATE_ROLE), role)?
        .bind(version_to_db(expected_version)?)
        .execute(&mut *conn)
        .await
        .map_err(write_error)?
        .rows_affected();
    if updated == 0 {
        return missed_update(conn, ROLE_EXISTS, Entity::Role, role.id.as_str()).await;
    }
    Ok(())
}

async fn delete_role(conn: &mut PgConnection, id: &RoleId) -> Result<()> {
    delete_by_id(
        conn,
        "DELETE FROM roles WHERE id = $1",
        Entity::Role,
        id.as_str(),
    )
    .await
}

async fn append_log(conn: &mut PgConnection, entry: &LogEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO logs (id, key, result, user_id, role_id, actor_id, token_id, ip, \
         user_agent, payload, error, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(entry.id.as_str())
    .bind(entry.key.as_str())
    .bind(entry.result.as_str())
    .bind(entry.user_id.as_ref().map(UserId::as_str))
    .bind(entry.role_id.as_ref().map(RoleId::as_str))
    .bind(entry.actor_id.as_ref().map(UserId::as_str))
    .bind(entry.token_id.as_deref())
    .bind(entry.ip.as_deref())
    .bind(entry.user_agent.as_deref())
    .bind(Json(&entry.payload))
    .bind(entry.error.as_deref())
    .bind(entry.created_at)
    .execute(&mut *conn)
    .await
    .map_err(write_error)?;
    Ok(())
}
