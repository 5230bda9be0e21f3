//! The cursor key of the service's store, read once and kept: every list
//! seals and checks its cursors with it.

use rand::RngCore;
use rand::rngs::OsRng;

use super::Service;
use crate::cursor::{Binding, CursorKey, Scope};
use crate::error::Result;

impl Service {
    /// What makes and checks the cursors of the list `scope` names (the
    /// lists use it; so may a tool that needs a cursor for a known
    /// position). The first call reads the store's key, which the store
    /// creates from the bytes offered here if it has none; a failed read is
    /// retried by the next call.
    pub async fn cursors(&self, scope: Scope) -> Result<Binding> {
        let key = self
            .cursor_key
            .get_or_try_init(|| async {
                let mut fresh = [0; 32];
                OsRng.fill_bytes(&mut fresh);
                self.storage.cursor_key(fresh).await.map(CursorKey::new)
            })
            .await?;
        Binding::new(key, &scope)
    }
}
