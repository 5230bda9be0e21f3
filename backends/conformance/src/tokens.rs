//! Access tokens as storage keeps them, called through `Storage` directly:
//! lookups by id and digest, the listing order, uniqueness of ids, digests
//! and live personal names, versions, deletion with the owner, and atomicity
//! of commits that carry token writes. Then the service's token and session
//! life cycles over the same store.

use std::sync::Arc;

use usergraph_core::model::log_keys;
use usergraph_core::service::{CreateUser, NewToken};
use usergraph_core::{
    AccessToken, Caller, Entity, Error, Storage, TokenDigest, TokenId, TokenKind, User, UserId,
    WriteOp, secret,
};

use crate::Fixture;
use crate::support::{all_logs, create_named, expect_err, log_record, sys, user_record};

/// A personal token of `owner` named `name`, version 1, with the digest of
/// a freshly generated secret.
fn token_record(owner: &User, name: &str) -> AccessToken {
    AccessToken {
        id: TokenId::generate(),
        user_id: owner.id.clone(),
        kind: TokenKind::Personal,
        name: name.to_owned(),
        scopes: None,
        digest: secret::digest(&secret::generate(TokenKind::Personal)),
        created_at: usergraph_core::time::now(),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
        version: 1,
    }
}

fn session_record(owner: &User) -> AccessToken {
    AccessToken {
        kind: TokenKind::Session,
        name: "session".into(),
        expires_at: Some(usergraph_core::time::now() + chrono::TimeDelta::hours(1)),
        digest: secret::digest(&secret::generate(TokenKind::Session)),
        ..token_record(owner, "session")
    }
}

fn at(micros: i64) -> usergraph_core::Timestamp {
    usergraph_core::time::from_micros(1_700_000_000_000_000 + micros).unwrap()
}

fn insert_user(user: &User) -> WriteOp {
    WriteOp::InsertUser(Box::new(user.clone()))
}

fn insert(token: &AccessToken) -> WriteOp {
    WriteOp::InsertToken(Box::new(token.clone()))
}

/// `token` changed by `change`, as the next version.
fn next(token: &AccessToken, change: impl FnOnce(&mut AccessToken)) -> WriteOp {
    let mut changed = token.clone();
    change(&mut changed);
    changed.version = token.version + 1;
    WriteOp::UpdateToken {
        token: Box::new(changed),
        expected_version: token.version,
    }
}

fn revoke(token: &AccessToken) -> WriteOp {
    next(token, |t| t.revoked_at = Some(usergraph_core::time::now()))
}

async fn owners(storage: &dyn Storage, names: &[&str]) -> Vec<User> {
    let users: Vec<User> = names.iter().map(|n| user_record(n)).collect();
    storage
        .commit(users.iter().map(insert_user).collect())
        .await
        .unwrap();
    users
}

async fn ids_of(storage: &dyn Storage, owner: &UserId) -> Vec<TokenId> {
    storage
        .tokens_of_user(owner)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect()
}

pub async fn insert_and_read_back(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let users = owners(storage, &["holder", "other"]).await;
    let (holder, other) = (&users[0], &users[1]);

    let mut scoped = token_record(holder, "CI deploy");
    scoped.scopes = Some(vec!["users:read".into(), "users:write".into()]);
    scoped.expires_at = Some(at(10_000_000));
    scoped.last_used_at = Some(at(3));
    scoped.created_at = at(2);
    let mut unscoped = token_record(holder, "laptop");
    unscoped.scopes = Some(vec![]);
    unscoped.created_at = at(1);
    let mut session = session_record(holder);
    session.created_at = at(2);
    session.revoked_at = Some(at(5));
    let mut foreign = token_record(other, "CI deploy");
    foreign.created_at = at(0);
    storage
        .commit(vec![
            insert(&scoped),
            insert(&unscoped),
            insert(&session),
            insert(&foreign),
        ])
        .await
        .unwrap();

    for token in [&scoped, &unscoped, &session, &foreign] {
        assert_eq!(
            storage.token(&token.id).await.unwrap().as_ref(),
            Some(token),
            "by id"
        );
        assert_eq!(
            storage
                .token_by_digest(&token.digest)
                .await
                .unwrap()
                .as_ref(),
            Some(token),
            "by digest"
        );
    }
    // Created-at first, then id for the two created at the same instant.
    let mut tied = [&scoped, &session];
    tied.sort_by(|a, b| a.id.cmp(&b.id));
    let expected: Vec<AccessToken> = [&unscoped, tied[0], tied[1]].into_iter().cloned().collect();
    assert_eq!(storage.tokens_of_user(&holder.id).await.unwrap(), expected);
    assert_eq!(
        storage.tokens_of_user(&other.id).await.unwrap(),
        vec![foreign.clone()]
    );
    assert!(
        storage
            .tokens_of_user(&UserId::generate())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(storage.token(&TokenId::generate()).await.unwrap(), None);
    assert_eq!(
        storage
            .token_by_digest(&TokenDigest([7; 32]))
            .await
            .unwrap(),
        None
    );
}

pub async fn ids_and_digests_are_unique(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let users = owners(storage, &["first", "second"]).await;
    let original = token_record(&users[0], "original");
    storage.commit(vec![insert(&original)]).await.unwrap();

    let mut same_id = token_record(&users[1], "elsewhere");
    same_id.id = original.id.clone();
    expect_err(
        storage.commit(vec![insert(&same_id)]).await,
        "CONFLICT",
        Some("id"),
    );
    let mut same_digest = token_record(&users[1], "elsewhere");
    same_digest.digest = original.digest;
    expect_err(
        storage.commit(vec![insert(&same_digest)]).await,
        "CONFLICT",
        None,
    );
    // A session clashes on its digest all the same.
    let mut session = session_record(&users[0]);
    session.digest = original.digest;
    expect_err(
        storage.commit(vec![insert(&session)]).await,
        "CONFLICT",
        None,
    );
    assert_eq!(ids_of(storage, &users[1].id).await, Vec::<TokenId>::new());
    assert_eq!(
        storage.token_by_digest(&original.digest).await.unwrap(),
        Some(original)
    );
}

pub async fn live_personal_names_are_unique_per_owner(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let users = owners(storage, &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let first = token_record(ann, "Deploy");
    storage.commit(vec![insert(&first)]).await.unwrap();

    // Case-insensitively taken for the same owner.
    expect_err(
        storage
            .commit(vec![insert(&token_record(ann, "DEPLOY"))])
            .await,
        "CONFLICT",
        Some("name"),
    );
    // Free for another owner.
    storage
        .commit(vec![insert(&token_record(bob, "deploy"))])
        .await
        .unwrap();
    // Sessions hold no name: any number of them, named alike.
    let sessions = [session_record(ann), session_record(ann)];
    storage
        .commit(sessions.iter().map(insert).collect())
        .await
        .unwrap();
    let mut session_named_deploy = session_record(ann);
    session_named_deploy.name = "Deploy".into();
    storage
        .commit(vec![insert(&session_named_deploy)])
        .await
        .unwrap();

    // Renaming another token onto the name is refused too.
    let second = token_record(ann, "Build");
    storage.commit(vec![insert(&second)]).await.unwrap();
    expect_err(
        storage
            .commit(vec![next(&second, |t| t.name = "deploy".into())])
            .await,
        "CONFLICT",
        Some("name"),
    );
    // A token keeps its own name through a change of case.
    storage
        .commit(vec![next(&first, |t| t.name = "DEPLOY".into())])
        .await
        .unwrap();
    let first = storage.token(&first.id).await.unwrap().unwrap();

    // Revoking releases the name; the revoked token stays listed.
    storage.commit(vec![revoke(&first)]).await.unwrap();
    let reused = token_record(ann, "deploy");
    storage.commit(vec![insert(&reused)]).await.unwrap();
    let revoked = storage.token(&first.id).await.unwrap().unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(ids_of(storage, &ann.id).await.contains(&first.id));
    // ... and a revoked token does not take it back by a rename.
    storage
        .commit(vec![next(&revoked, |t| t.name = "deploy again".into())])
        .await
        .unwrap();
    // Deleting releases it as well.
    storage
        .commit(vec![WriteOp::DeleteToken {
            id: reused.id.clone(),
        }])
        .await
        .unwrap();
    storage
        .commit(vec![insert(&token_record(ann, "Deploy"))])
        .await
        .unwrap();
}

pub async fn concurrent_creates_of_one_name_have_one_winner(fx: Fixture) {
    const WRITERS: usize = 16;
    let storage: Arc<dyn Storage> = fx.storage().clone();
    let owner = owners(storage.as_ref(), &["racer"]).await.remove(0);
    let barrier = Arc::new(tokio::sync::Barrier::new(WRITERS));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|_| {
            let storage = storage.clone();
            let barrier = barrier.clone();
            let token = token_record(&owner, "contended");
            tokio::spawn(async move {
                barrier.wait().await;
                storage.commit(vec![insert(&token)]).await
            })
        })
        .collect();
    let mut wins = 0;
    for result in futures::future::join_all(tasks).await {
        match result.unwrap() {
            Ok(()) => wins += 1,
            Err(err) => {
                assert_eq!(err.code(), "CONFLICT", "{err:?}");
                assert_eq!(err.field(), Some("name"), "{err:?}");
            }
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(ids_of(storage.as_ref(), &owner.id).await.len(), 1);
}

pub async fn updates_check_versions_and_existence(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let owner = owners(storage, &["versioned"]).await.remove(0);
    let token = token_record(&owner, "cli");
    storage.commit(vec![insert(&token)]).await.unwrap();

    let used = next(&token, |t| t.last_used_at = Some(at(42)));
    storage.commit(vec![used]).await.unwrap();
    let stored = storage.token(&token.id).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.last_used_at), (2, Some(at(42))));

    // Written against version 1 again: refused, nothing changes.
    let stale = next(&token, |t| t.name = "stale".into());
    let result = storage.commit(vec![stale]).await;
    assert!(matches!(result, Err(Error::StaleVersion)), "{result:?}");
    expect_err(result, "CONFLICT", None);
    assert_eq!(storage.token(&token.id).await.unwrap(), Some(stored));

    let ghost = token_record(&owner, "ghost");
    for op in [
        next(&ghost, |_| {}),
        WriteOp::DeleteToken {
            id: ghost.id.clone(),
        },
    ] {
        let err = expect_err(storage.commit(vec![op]).await, "NOT_FOUND", None);
        assert!(
            matches!(
                err,
                Error::NotFound {
                    entity: Entity::Token,
                    ..
                }
            ),
            "names the missing token: {err:?}"
        );
    }
    assert_eq!(storage.token(&ghost.id).await.unwrap(), None);
}

pub async fn delete_token_removes_every_lookup(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let owner = owners(storage, &["pruner"]).await.remove(0);
    let kept = token_record(&owner, "kept");
    let expired = session_record(&owner);
    storage
        .commit(vec![insert(&kept), insert(&expired)])
        .await
        .unwrap();
    storage
        .commit(vec![WriteOp::DeleteToken {
            id: expired.id.clone(),
        }])
        .await
        .unwrap();
    assert_eq!(storage.token(&expired.id).await.unwrap(), None);
    assert_eq!(
        storage.token_by_digest(&expired.digest).await.unwrap(),
        None
    );
    assert_eq!(ids_of(storage, &owner.id).await, vec![kept.id.clone()]);
    expect_err(
        storage
            .commit(vec![WriteOp::DeleteToken {
                id: expired.id.clone(),
            }])
            .await,
        "NOT_FOUND",
        None,
    );
    // Its digest is free again (a digest names one token at a time).
    let mut again = session_record(&owner);
    again.digest = expired.digest;
    storage.commit(vec![insert(&again)]).await.unwrap();
}

pub async fn tokens_of_missing_users_are_not_found(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let ghost = user_record("ghost");
    let token = token_record(&ghost, "orphan");
    let err = expect_err(
        storage.commit(vec![insert(&token)]).await,
        "NOT_FOUND",
        None,
    );
    assert!(
        matches!(
            err,
            Error::NotFound {
                entity: Entity::User,
                ..
            }
        ),
        "names the missing user: {err:?}"
    );
    assert_eq!(storage.token(&token.id).await.unwrap(), None);
    assert_eq!(storage.token_by_digest(&token.digest).await.unwrap(), None);
}

pub async fn delete_user_removes_its_tokens(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let users = owners(storage, &["leaver", "stayer"]).await;
    let (leaver, stayer) = (&users[0], &users[1]);
    let personal = token_record(leaver, "Deploy");
    let session = session_record(leaver);
    let survivor = token_record(stayer, "Deploy");
    storage
        .commit(vec![insert(&personal), insert(&session), insert(&survivor)])
        .await
        .unwrap();

    storage
        .commit(vec![WriteOp::DeleteUser {
            id: leaver.id.clone(),
        }])
        .await
        .unwrap();
    for token in [&personal, &session] {
        assert_eq!(storage.token(&token.id).await.unwrap(), None);
        assert_eq!(storage.token_by_digest(&token.digest).await.unwrap(), None);
    }
    assert!(storage.tokens_of_user(&leaver.id).await.unwrap().is_empty());
    assert_eq!(ids_of(storage, &stayer.id).await, vec![survivor.id.clone()]);

    // Nothing of the old tokens lingers: the same id, digest and name go
    // to a user re-created under the same id.
    storage.commit(vec![insert_user(leaver)]).await.unwrap();
    storage.commit(vec![insert(&personal)]).await.unwrap();
    assert_eq!(ids_of(storage, &leaver.id).await, vec![personal.id.clone()]);
}

/// A commit whose token op fails writes nothing, and a commit that fails
/// after a token op leaves the token as it was.
pub async fn failed_commits_write_no_token(fx: Fixture) {
    let storage = fx.storage().as_ref();
    let owner = owners(storage, &["atomic"]).await.remove(0);
    let held = token_record(&owner, "held");
    storage.commit(vec![insert(&held)]).await.unwrap();

    let newcomer = user_record("newcomer");
    let fresh = token_record(&newcomer, "fresh");
    let result = storage
        .commit(vec![
            insert_user(&newcomer),
            insert(&fresh),
            WriteOp::AppendLog(Box::new(log_record(
                log_keys::USER_CREATED,
                Some(&newcomer.id),
            ))),
            revoke(&held),
            insert(&token_record(&newcomer, "FRESH")),
        ])
        .await;
    expect_err(result, "CONFLICT", Some("name"));
    assert_eq!(storage.user(&newcomer.id).await.unwrap(), None);
    assert_eq!(storage.token(&fresh.id).await.unwrap(), None);
    assert_eq!(storage.token_by_digest(&fresh.digest).await.unwrap(), None);
    assert!(all_logs(storage).await.is_empty());
    assert_eq!(storage.token(&held.id).await.unwrap(), Some(held.clone()));

    // Token writes first, then a failing op: all undone.
    let result = storage
        .commit(vec![
            insert(&token_record(&owner, "later")),
            WriteOp::DeleteToken {
                id: held.id.clone(),
            },
            WriteOp::DeleteUser {
                id: owner.id.clone(),
            },
            WriteOp::DeleteUser {
                id: UserId::generate(),
            },
        ])
        .await;
    expect_err(result, "NOT_FOUND", None);
    assert_eq!(storage.user(&owner.id).await.unwrap(), Some(owner.clone()));
    assert_eq!(
        storage.tokens_of_user(&owner.id).await.unwrap(),
        vec![held.clone()]
    );
    assert_eq!(
        storage.token_by_digest(&held.digest).await.unwrap(),
        Some(held.clone())
    );
    // The name "held" is still held: the rolled-back delete freed nothing.
    expect_err(
        storage
            .commit(vec![insert(&token_record(&owner, "held"))])
            .await,
        "CONFLICT",
        Some("name"),
    );
}

fn new_token(name: &str) -> NewToken {
    NewToken {
        name: name.to_owned(),
        expires_at: None,
        scopes: None,
    }
}

/// The service's token life cycle over this store: a created token
/// authenticates as its owner and records its use, a rename and a revocation
/// reach storage, and a revoked token or one of a deleted owner no longer
/// authenticates.
pub async fn service_tokens_work_until_revoked_or_owner_deleted(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let owner = create_named(&svc, "bearer").await;
    let first = svc
        .create_token(&sys(), &owner.id, new_token("first"))
        .await
        .unwrap();
    let second = svc
        .create_token(&sys(), &owner.id, new_token("second"))
        .await
        .unwrap();

    let caller = svc.authenticate(&first.secret, None, None).await.unwrap();
    assert_eq!(caller.user_id.as_ref(), Some(&owner.id));
    assert_eq!(caller.token_id.as_deref(), Some(first.token.id.as_str()));
    let used = storage.token(&first.token.id).await.unwrap().unwrap();
    assert!(
        used.last_used_at.is_some(),
        "authenticating records the use"
    );

    // Names stay unique through the service's own writes.
    expect_err(
        svc.rename_token(&caller, &second.token.id, "FIRST").await,
        "CONFLICT",
        Some("name"),
    );
    let renamed = svc
        .rename_token(&caller, &first.token.id, "renamed")
        .await
        .unwrap();
    assert_eq!(
        storage.token(&first.token.id).await.unwrap().as_ref(),
        Some(&renamed)
    );

    svc.revoke_token(&caller, &first.token.id).await.unwrap();
    expect_err(
        svc.authenticate(&first.secret, None, None).await,
        "UNAUTHENTICATED",
        None,
    );
    let listed = svc.personal_tokens(&sys(), &owner.id).await.unwrap();
    assert_eq!(listed.len(), 2, "a revoked token stays listed");

    svc.delete_user(&sys(), owner.id.as_str()).await.unwrap();
    expect_err(
        svc.authenticate(&second.secret, None, None).await,
        "UNAUTHENTICATED",
        None,
    );
    assert_eq!(
        storage.token_by_digest(&second.token.digest).await.unwrap(),
        None
    );
}

/// A session from `signIn` authenticates until `signOut`.
pub async fn sessions_end_at_sign_out(fx: Fixture) {
    let svc = fx.service();
    svc.create_user(
        &sys(),
        CreateUser {
            username: Some("visitor".into()),
            password: Some("a long enough passphrase".into()),
            ..CreateUser::default()
        },
    )
    .await
    .unwrap();
    let signed_in = svc
        .sign_in(&Caller::anonymous(), "visitor", "a long enough passphrase")
        .await
        .unwrap();
    assert_eq!(signed_in.token.kind, TokenKind::Session);
    let stored = fx.storage().token(&signed_in.token.id).await.unwrap();
    assert_eq!(stored.map(|t| t.digest), Some(signed_in.token.digest));

    let caller = svc
        .authenticate(&signed_in.secret, None, None)
        .await
        .unwrap();
    assert_eq!(caller.user_id.as_ref(), Some(&signed_in.user.id));
    svc.sign_out(&caller).await.unwrap();
    expect_err(
        svc.authenticate(&signed_in.secret, None, None).await,
        "UNAUTHENTICATED",
        None,
    );
}
