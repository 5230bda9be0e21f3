//! [`Storage`] over any [`KvEngine`]. Engines block, so writes, searches and
//! reads of many keys run on tokio's blocking pool, away from the async
//! workers. Reads of a few keys run on the calling task ([`KvStorage::looking_up`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use usergraph_core::query::{LogSearch, Page, RoleSearch, UserSearch};
use usergraph_core::{
    AccessToken, Error, LogEntry, Result, Role, RoleId, Storage, TokenDigest, TokenId, UniqueKey,
    User, UserId, WriteOp,
};

use crate::engine::{KvEngine, PathEngine, ReadTxn, Tree};
use crate::{bulk, cursor_key, deferred, migrate, read, search, tokens, user_search, write};

const FORMAT_KEY: &[u8] = b"format";
/// Format 2 added the search indexes (user text, n-grams, orders); format 3
/// keys the n-gram postings by created-at; format 4 stores them in blocks.
const FORMAT: &[u8] = &[4];
/// Reads of at most this many keys run on the calling task.
const INLINE_KEYS: usize = 8;
/// Stores of these formats are upgraded on open by rebuilding the index
/// trees they lack or key differently.
const UPGRADES: [(&[u8], &[Tree]); 3] = [
    (&[1], &migrate::SEARCH_TREES),
    (&[2], &[Tree::UserGrams]),
    (&[3], &[Tree::UserGrams]),
];

/// usergraph's storage over the engine `E`.
#[derive(Debug)]
pub struct KvStorage<E: KvEngine> {
    engine: Arc<E>,
}

impl<E: KvEngine> Clone for KvStorage<E> {
    fn clone(&self) -> Self {
        KvStorage {
            engine: Arc::clone(&self.engine),
        }
    }
}

impl<E: KvEngine> KvStorage<E> {
    /// Wraps an opened engine, marking a new store with the current format,
    /// upgrading a store of the previous format, and refusing a store
    /// written in a format this version cannot read.
    pub fn new(engine: E) -> Result<Self> {
        let mut upgrade: Option<&[Tree]> = None;
        engine.write(&mut |txn| {
            upgrade = None;
            match txn.get(Tree::Meta, FORMAT_KEY)? {
                None => txn.insert(Tree::Meta, FORMAT_KEY, FORMAT),
                Some(format) if format == FORMAT => Ok(()),
                Some(format) => match UPGRADES.iter().find(|(from, _)| *from == format) {
                    Some((_, trees)) => {
                        upgrade = Some(trees);
                        Ok(())
                    }
                    None => Err(Error::internal(format!(
                        "the store has format {format:?}, this version reads {FORMAT:?}"
                    ))),
                },
            }
        })?;
        if let Some(trees) = upgrade {
            migrate::rebuild(&engine, trees)?;
            engine.write(&mut |txn| txn.insert(Tree::Meta, FORMAT_KEY, FORMAT))?;
        }
        Ok(KvStorage {
            engine: Arc::new(engine),
        })
    }

    pub fn engine(&self) -> &E {
        &self.engine
    }

    async fn blocking<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&E) -> Result<T> + Send + 'static,
    {
        let engine = Arc::clone(&self.engine);
        tokio::task::spawn_blocking(move || job(&engine))
            .await
            .map_err(Error::internal)?
    }

    async fn reading<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn ReadTxn) -> Result<T> + Send + 'static,
    {
        self.blocking(move |engine| job(engine.read()?.as_ref()))
            .await
    }

    /// Runs a read of `keys` keys right here when they are few: a handful of
    /// B-tree lookups take microseconds, less than handing the job to the
    /// blocking pool and back, whose two thread wake-ups were half the CPU
    /// time of a `user(id)` request under load (BENCHMARKS.md, "Over HTTP").
    /// Reads of more keys go to the pool.
    async fn looking_up<T, F>(&self, keys: usize, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn ReadTxn) -> Result<T> + Send + 'static,
    {
        if keys <= INLINE_KEYS {
            job(self.engine.read()?.as_ref())
        } else {
            self.reading(job).await
        }
    }
}

impl<E: PathEngine> KvStorage<E> {
    /// Opens the store at `path`, creating it if missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::new(E::open_path(path.as_ref())?)
    }

    /// A fresh store in memory, for tests and trials.
    pub fn in_memory() -> Result<Self> {
        Self::new(E::temporary()?)
    }
}

#[async_trait]
impl<E: KvEngine> Storage for KvStorage<E> {
    async fn commit(&self, ops: Vec<WriteOp>) -> Result<()> {
        self.blocking(move |engine| {
            engine.write(&mut |txn| {
                deferred::sorted(txn, |txn| {
                    ops.iter().try_for_each(|op| write::apply(txn, op))
                })
            })
        })
        .await
    }

    async fn commit_each(&self, groups: Vec<Vec<WriteOp>>) -> Result<Vec<Result<()>>> {
        self.blocking(move |engine| bulk::commit_each(engine, &groups))
            .await
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>> {
        let id = id.clone();
        self.looking_up(1, move |txn| read::user(txn, id.as_str()))
            .await
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>> {
        let ids = ids.to_vec();
        self.looking_up(ids.len(), move |txn| read::users(txn, &ids))
            .await
    }

    async fn user_by_key(&self, key: &UniqueKey) -> Result<Option<User>> {
        let key = key.clone();
        self.looking_up(1, move |txn| read::user_by_key(txn, &key))
            .await
    }

    async fn search_users(&self, search: &UserSearch) -> Result<Page<User>> {
        let search = search.clone();
        self.reading(move |txn| user_search::users(txn, &search))
            .await
    }

    async fn role(&self, id: &RoleId) -> Result<Option<Role>> {
        let id = id.clone();
        self.looking_up(1, move |txn| read::role(txn, id.as_str()))
            .await
    }

    async fn roles(&self, ids: &[RoleId]) -> Result<Vec<Role>> {
        let ids = ids.to_vec();
        self.looking_up(ids.len(), move |txn| read::roles(txn, &ids))
            .await
    }

    async fn role_by_name(&self, name_key: &str) -> Result<Option<Role>> {
        let name_key = name_key.to_owned();
        self.looking_up(1, move |txn| read::role_by_name(txn, &name_key))
            .await
    }

    async fn search_roles(&self, search: &RoleSearch) -> Result<Page<Role>> {
        let search = search.clone();
        self.reading(move |txn| search::roles(txn, &search)).await
    }

    async fn default_roles(&self) -> Result<Vec<Role>> {
        self.reading(read::default_roles).await
    }

    async fn role_ids_of_users(&self, user_ids: &[UserId]) -> Result<HashMap<UserId, Vec<RoleId>>> {
        let user_ids = user_ids.to_vec();
        self.looking_up(user_ids.len(), move |txn| {
            read::role_ids_of_users(txn, &user_ids)
        })
        .await
    }

    async fn search_logs(&self, search: &LogSearch) -> Result<Page<LogEntry>> {
        let search = search.clone();
        self.reading(move |txn| search::logs(txn, &search)).await
    }

    async fn token(&self, id: &TokenId) -> Result<Option<AccessToken>> {
        let id = id.clone();
        self.looking_up(1, move |txn| tokens::token(txn, id.as_str()))
            .await
    }

    async fn token_by_digest(&self, digest: &TokenDigest) -> Result<Option<AccessToken>> {
        let digest = *digest;
        self.looking_up(1, move |txn| tokens::by_digest(txn, &digest))
            .await
    }

    async fn tokens_of_user(&self, user_id: &UserId) -> Result<Vec<AccessToken>> {
        let user_id = user_id.clone();
        self.reading(move |txn| tokens::of_user(txn, user_id.as_str()))
            .await
    }
    async fn cursor_key(&self, fresh: [u8; 32]) -> Result<[u8; 32]> {
        self.blocking(move |engine| cursor_key::get_or_insert(engine, fresh))
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use chrono::Utc;
    use serde_json::Map;
    use usergraph_core::{Profile, Storage};

    use super::*;
    use crate::MemoryStorage;

    fn user(id: &str, email: &str) -> User {
        let now = usergraph_core::time::truncate(Utc::now());
        User {
            id: UserId::parse(id).unwrap(),
            username: None,
            primary_email: Some(email.into()),
            primary_phone: None,
            name: None,
            avatar: None,
            profile: Profile::default(),
            custom_data: Map::new(),
            identities: BTreeMap::new(),
            password: None,
            is_suspended: false,
            last_sign_in_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn serialized_overlay_writes_keep_identifiers_unique() {
        let storage = Arc::new(MemoryStorage::in_memory().unwrap());
        let attempts: Vec<_> = (0..50)
            .map(|i| {
                let storage = Arc::clone(&storage);
                tokio::spawn(async move {
                    let op =
                        WriteOp::InsertUser(Box::new(user(&format!("u{i}"), "same@example.com")));
                    storage.commit(vec![op]).await
                })
            })
            .collect();
        let mut wins = 0;
        for attempt in attempts {
            match attempt.await.unwrap() {
                Ok(()) => wins += 1,
                Err(Error::EmailAlreadyInUse) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(wins, 1);
        let found = storage
            .user_by_key(&UniqueKey::Email("same@example.com".into()))
            .await
            .unwrap();
        assert!(found.is_some());
    }
}
