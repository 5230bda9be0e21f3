//! Checks every kv engine must pass that need a concrete engine rather than
//! a `Storage` (those live in `usergraph-conformance`): a store reopened from
//! its path keeps everything, a store in an unknown format is refused, and a
//! token's secret is nowhere in the store's bytes.
//! Engine crates call these from their own tests, with the
//! `engine-checks` feature; the fixtures serve their engine-specific tests.

// A panic is a failed check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::{Map, json};
use usergraph_core::query::{LogFilter, LogSearch};
use usergraph_core::service::{CreateUser, NewToken};
use usergraph_core::{
    AccessToken, Caller, LogEntry, LogId, LogResult, Profile, Role, RoleId, Service,
    ServiceSettings, Storage, TokenDigest, TokenId, TokenKind, UniqueKey, User, UserId, WriteOp,
};

use crate::{KvStorage, PathEngine, Tree};

/// A fixed instant, so that records read back compare equal.
pub fn epoch() -> usergraph_core::Timestamp {
    Utc.timestamp_opt(1_700_000_000, 0).unwrap()
}

pub fn uid(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

pub fn rid(id: &str) -> RoleId {
    RoleId::parse(id).unwrap()
}

/// A user with only an id and an email, created at [`epoch`].
pub fn with_email(id: &str, email: &str) -> User {
    User {
        id: uid(id),
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
        created_at: epoch(),
        updated_at: epoch(),
        version: 1,
    }
}

pub fn role(id: &str, name: &str) -> Role {
    Role {
        id: rid(id),
        name: name.into(),
        description: None,
        permissions: vec![],
        is_default: false,
        created_at: epoch(),
        updated_at: epoch(),
        version: 1,
    }
}

pub fn log(id: &str, user_id: Option<&str>) -> LogEntry {
    LogEntry {
        id: LogId::parse(id).unwrap(),
        key: "User.Created".into(),
        result: LogResult::Success,
        user_id: user_id.map(uid),
        role_id: None,
        actor_id: None,
        token_id: None,
        ip: None,
        user_agent: None,
        payload: json!({}),
        error: None,
        created_at: epoch(),
    }
}

/// A personal token of `user_id` named `name`, created at [`epoch`].
pub fn token(id: &str, user_id: &str, name: &str) -> AccessToken {
    AccessToken {
        id: TokenId::parse(id).unwrap(),
        user_id: uid(user_id),
        kind: TokenKind::Personal,
        name: name.into(),
        scopes: Some(vec!["users:read".into()]),
        digest: TokenDigest([0x5a; 32]),
        created_at: epoch(),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
        version: 1,
    }
}

pub fn insert(user: User) -> WriteOp {
    WriteOp::InsertUser(Box::new(user))
}

pub async fn all_logs(storage: &dyn Storage) -> Vec<LogEntry> {
    let search = LogSearch {
        filter: LogFilter::default(),
        after: None,
        limit: 1000,
        count_limit: None,
        oldest_first: false,
    };
    storage.search_logs(&search).await.unwrap().items
}

/// Opens a store at `path` (whose parent directories need not exist),
/// writes a user, a role, an assignment and a log, reopens it, and finds
/// them all, through every lookup.
pub async fn reopening_keeps_the_data<E: PathEngine>(path: &Path) {
    {
        let storage = KvStorage::<E>::open(path).unwrap();
        storage
            .commit(vec![
                WriteOp::InsertRole(Box::new(role("r1", "Admin"))),
                insert(with_email("u1", "Ann@Example.com")),
                WriteOp::AssignRoles {
                    user_id: uid("u1"),
                    role_ids: vec![rid("r1")],
                },
                WriteOp::AppendLog(Box::new(log("l1", Some("u1")))),
                WriteOp::InsertToken(Box::new(token("t1", "u1", "CI"))),
            ])
            .await
            .unwrap();
    }
    assert!(path.exists());
    let storage = KvStorage::<E>::open(path).unwrap();
    let found = storage.user(&uid("u1")).await.unwrap().unwrap();
    assert_eq!(found, with_email("u1", "Ann@Example.com"));
    let by_email = storage
        .user_by_key(&UniqueKey::Email("ann@example.com".into()))
        .await
        .unwrap();
    assert_eq!(by_email.map(|u| u.id), Some(uid("u1")));
    assert_eq!(
        storage.role_by_name("admin").await.unwrap().map(|r| r.id),
        Some(rid("r1"))
    );
    let held = storage
        .role_ids_of_users(&[uid("u1"), uid("ghost")])
        .await
        .unwrap();
    assert_eq!(held.get(&uid("u1")), Some(&vec![rid("r1")]));
    assert!(!held.contains_key(&uid("ghost")));
    assert_eq!(all_logs(&storage).await.len(), 1);
    let kept = token("t1", "u1", "CI");
    let t1 = TokenId::parse("t1").unwrap();
    assert_eq!(storage.token(&t1).await.unwrap().as_ref(), Some(&kept));
    assert_eq!(
        storage
            .token_by_digest(&kept.digest)
            .await
            .unwrap()
            .as_ref(),
        Some(&kept)
    );
    assert_eq!(storage.tokens_of_user(&uid("u1")).await.unwrap(), [kept]);
    // The name index came back too.
    let clash = storage
        .commit(vec![WriteOp::InsertToken(Box::new(AccessToken {
            digest: TokenDigest([0x5b; 32]),
            ..token("t2", "u1", "ci")
        }))])
        .await;
    assert_eq!(clash.unwrap_err().field(), Some("name"));
}

/// A store stamped with a format this code does not know is refused, not
/// misread.
pub fn unknown_format_is_refused<E: PathEngine>(path: &Path) {
    let engine = E::open_path(path).unwrap();
    engine
        .write(&mut |txn| txn.insert(Tree::Meta, b"format", &[9]))
        .unwrap();
    let err = KvStorage::new(engine).unwrap_err();
    assert_eq!(err.code(), "INTERNAL");
}

/// Opens a store at `path`, creates a user and one personal token for it
/// through the service (so its `Token.Created` log entry is stored too),
/// and closes the store. Returns the token's secret and digest, for a test
/// that then reads the store's bytes directly.
pub async fn store_with_token<E: PathEngine>(path: &Path) -> (String, TokenDigest) {
    let storage: Arc<dyn Storage> = Arc::new(KvStorage::<E>::open(path).unwrap());
    let service = Service::new(storage, ServiceSettings::default()).unwrap();
    let owner = service
        .create_user(
            &Caller::system(),
            CreateUser {
                username: Some("holder".into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    let created = service
        .create_token(
            &Caller::system(),
            &owner.id,
            NewToken {
                name: "digest only".into(),
                expires_at: None,
                scopes: None,
            },
        )
        .await
        .unwrap();
    (created.secret, created.token.digest)
}

fn contains(blob: &[u8], needle: &[u8]) -> bool {
    blob.windows(needle.len()).any(|w| w == needle)
}

/// Asserts that no blob (a key, a value, a file) holds the secret, not even
/// its random part without the prefix.
#[track_caller]
pub fn assert_secret_absent(blobs: &[Vec<u8>], secret: &str) {
    let random_part = &secret.as_bytes()[4..];
    for blob in blobs {
        assert!(!contains(blob, secret.as_bytes()), "the secret is stored");
        assert!(!contains(blob, random_part), "the secret's body is stored");
    }
}

/// [`assert_secret_absent`], and one blob holds the digest, so the scan did
/// reach the token.
#[track_caller]
pub fn assert_only_the_digest_is_stored(blobs: &[Vec<u8>], secret: &str, digest: &TokenDigest) {
    assert_secret_absent(blobs, secret);
    assert!(
        blobs.iter().any(|blob| contains(blob, digest.as_bytes())),
        "the digest is stored"
    );
}
