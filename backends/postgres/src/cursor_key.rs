//! The store's cursor key, one row of `cursor_key` shared by every instance.

use sqlx::PgPool;
use usergraph_core::{Error, Result};

use crate::error::internal;

const SELECT_KEY: &str = "SELECT key FROM cursor_key";
const INSERT_KEY: &str = "INSERT INTO cursor_key (key) VALUES ($1) ON CONFLICT DO NOTHING";

/// The stored key, or `fresh` stored now. When instances race to store
/// theirs, the insert of all but one does nothing, and each reads back the
/// one that won (a new statement sees every committed row).
pub(crate) async fn get_or_insert(pool: &PgPool, fresh: [u8; 32]) -> Result<[u8; 32]> {
    if let Some(key) = stored(pool).await? {
        return Ok(key);
    }
    sqlx::query(INSERT_KEY)
        .bind(fresh.to_vec())
        .execute(pool)
        .await
        .map_err(internal)?;
    stored(pool)
        .await?
        .ok_or_else(|| Error::internal("the cursor key was not stored"))
}

async fn stored(pool: &PgPool) -> Result<Option<[u8; 32]>> {
    let key: Option<Vec<u8>> = sqlx::query_scalar(SELECT_KEY)
        .fetch_optional(pool)
        .await
        .map_err(internal)?;
    key.map(|bytes| {
        <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| Error::internal("the stored cursor key is not 32 bytes long"))
    })
    .transpose()
}
