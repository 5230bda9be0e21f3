//! The store's cursor key, kept in the meta tree beside the format marker.

use usergraph_core::{Error, Result};

use crate::engine::{KvEngine, Tree};

const CURSOR_KEY: &[u8] = b"cursor_key";

/// The stored key, or `fresh` stored now. Reads first, so that only the
/// first call on a store writes.
pub(crate) fn get_or_insert(engine: &dyn KvEngine, fresh: [u8; 32]) -> Result<[u8; 32]> {
    if let Some(stored) = engine.read()?.get(Tree::Meta, CURSOR_KEY)? {
        return parse(&stored);
    }
    let mut key = fresh;
    // Checked again inside the write: another caller may have stored one
    // since the read, and the first stored key is the key for good.
    engine.write(&mut |txn| match txn.get(Tree::Meta, CURSOR_KEY)? {
        Some(stored) => {
            key = parse(&stored)?;
            Ok(())
        }
        None => {
            key = fresh;
            txn.insert(Tree::Meta, CURSOR_KEY, &fresh)
        }
    })?;
    Ok(key)
}

fn parse(stored: &[u8]) -> Result<[u8; 32]> {
    stored
        .try_into()
        .map_err(|_| Error::internal("the stored cursor key is not 32 bytes long"))
}
