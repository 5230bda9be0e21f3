//! Access tokens in `access_tokens`: their writes (uniqueness of id, digest
//! and live personal names is the unique indexes'; the owner's existence is
//! the foreign key's, which also drops a user's tokens with it) and reads.

use sqlx::Postgres;
use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgRow};
use sqlx::query::Query;
use usergraph_core::validate::identifier_key;
use usergraph_core::{AccessToken, Entity, Error, Result, TokenDigest, TokenId, TokenKind, UserId};

use crate::error::{FOREIGN_KEY_VIOLATION, db_error, internal, write_error};
use crate::rows::{column, version_from_db, version_to_db};
use crate::write::{delete_by_id, missed_update, require_user};

const TOKEN_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM access_tokens WHERE id = $1)";

const TOKEN_COLUMNS: &str = "t.id, t.user_id, t.kind, t.name, t.scopes, t.digest, t.created_at, \
     t.expires_at, t.last_used_at, t.revoked_at, t.version";

const INSERT_TOKEN: &str = "INSERT INTO access_tokens (id, user_id, kind, name, name_key, \
     scopes, digest, created_at, expires_at, last_used_at, revoked_at, version) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

const UPDATE_TOKEN: &str = "UPDATE access_tokens SET user_id = $2, kind = $3, name = $4, \
     name_key = $5, scopes = $6, digest = $7, created_at = $8, expires_at = $9, \
     last_used_at = $10, revoked_at = $11, version = $12 WHERE id = $1 AND version = $13";

/// Binds every column of `token` in the order of [`INSERT_TOKEN`].
fn bind_token<'q>(
    query: Query<'q, Postgres, PgArguments>,
    token: &AccessToken,
) -> Result<Query<'q, Postgres, PgArguments>> {
    Ok(query
        .bind(token.id.as_str().to_owned())
        .bind(token.user_id.as_str().to_owned())
        .bind(token.kind.as_str())
        .bind(token.name.clone())
        // Always the key; the partial unique index decides whether the
        // token holds it (personal and not revoked), as `name_key()` does.
        .bind(identifier_key(&token.name))
        .bind(token.scopes.clone())
        .bind(token.digest.as_bytes().to_vec())
        .bind(token.created_at)
        .bind(token.expires_at)
        .bind(token.last_used_at)
        .bind(token.revoked_at)
        .bind(version_to_db(token.version)?))
}

/// Unique violations map to their conflicts; the owner's foreign key failing
/// means the owner was deleted after (or before) the check.
fn token_write_error(err: sqlx::Error, owner: &UserId) -> Error {
    match db_error(&err) {
        Some((code, Some(constraint)))
            if code == FOREIGN_KEY_VIOLATION && constraint == "access_tokens_user_fkey" =>
        {
            Error::not_found(Entity::User, owner.as_str())
        }
        _ => write_error(err),
    }
}

pub(crate) async fn insert(conn: &mut PgConnection, token: &AccessToken) -> Result<()> {
    // Checked first so that a missing owner is reported before any clash,
    // as the embedded backends do.
    require_user(conn, &token.user_id).await?;
    bind_token(sqlx::query(INSERT_TOKEN), token)?
        .execute(&mut *conn)
        .await
        .map_err(|err| token_write_error(err, &token.user_id))?;
    Ok(())
}

pub(crate) async fn update(
    conn: &mut PgConnection,
    token: &AccessToken,
    expected_version: u64,
) -> Result<()> {
    let updated = bind_token(sqlx::query(UPDATE_TOKEN), token)?
        .bind(version_to_db(expected_version)?)
        .execute(&mut *conn)
        .await
        .map_err(|err| token_write_error(err, &token.user_id))?
        .rows_affected();
    if updated == 0 {
        return missed_update(conn, TOKEN_EXISTS, Entity::Token, token.id.as_str()).await;
    }
    Ok(())
}

pub(crate) async fn delete(conn: &mut PgConnection, id: &TokenId) -> Result<()> {
    delete_by_id(
        conn,
        "DELETE FROM access_tokens WHERE id = $1",
        Entity::Token,
        id.as_str(),
    )
    .await
}

fn token_from_row(row: &PgRow) -> Result<AccessToken> {
    let kind = TokenKind::parse(&column::<String>(row, "kind")?)
        .ok_or_else(|| Error::internal("stored token kind is unknown"))?;
    let digest: [u8; 32] = column::<Vec<u8>>(row, "digest")?
        .try_into()
        .map_err(|_| Error::internal("stored token digest is not 32 bytes"))?;
    Ok(AccessToken {
        id: TokenId::parse(&column::<String>(row, "id")?).map_err(Error::internal)?,
        user_id: UserId::parse(&column::<String>(row, "user_id")?).map_err(Error::internal)?,
        kind,
        name: column(row, "name")?,
        scopes: column(row, "scopes")?,
        digest: TokenDigest(digest),
        created_at: column(row, "created_at")?,
        expires_at: column(row, "expires_at")?,
        last_used_at: column(row, "last_used_at")?,
        revoked_at: column(row, "revoked_at")?,
        version: version_from_db(column(row, "version")?)?,
    })
}

pub(crate) async fn by_id(pool: &PgPool, id: &TokenId) -> Result<Option<AccessToken>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM access_tokens t WHERE t.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_optional(pool)
        .await
        .map_err(internal)?
        .as_ref()
        .map(token_from_row)
        .transpose()
}

pub(crate) async fn by_digest(pool: &PgPool, digest: &TokenDigest) -> Result<Option<AccessToken>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM access_tokens t WHERE t.digest = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(digest.as_bytes().as_slice())
        .fetch_optional(pool)
        .await
        .map_err(internal)?
        .as_ref()
        .map(token_from_row)
        .transpose()
}

/// Every token of `user_id`, by created-at then id.
pub(crate) async fn of_user(pool: &PgPool, user_id: &UserId) -> Result<Vec<AccessToken>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM access_tokens t WHERE t.user_id = $1 \
         ORDER BY t.created_at, t.id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_id.as_str())
        .fetch_all(pool)
        .await
        .map_err(internal)?
        .iter()
        .map(token_from_row)
        .collect()
}
