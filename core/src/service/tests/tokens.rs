//! Personal access tokens and authenticating with them: one-time secrets,
//! digest-only storage, rejection of dead tokens, scopes, escalation.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use chrono::TimeDelta;

use super::memory::Memory;
use super::*;
use crate::Role;
use crate::error::Error;
use crate::ids::{RoleId, TokenId};
use crate::model::{AccessToken, LogEntry, TokenDigest, TokenKind, User};
use crate::password::PasswordHasher;
use crate::query::{LogSearch, Page, RoleSearch, UserSearch};
use crate::secret;
use crate::storage::{UniqueKey, WriteOp};
use crate::throttle::Throttle;
use crate::time;

/// A service over `memory` with `settings` and cheap password hashing.
pub(super) fn service_with(memory: Arc<Memory>, settings: ServiceSettings) -> Service {
    let feed = LogFeed::default();
    Service {
        storage: Arc::new(FeedingStorage::new(memory, feed.clone())),
        feed,
        edit_turns: Arc::default(),
        throttle: Arc::new(Throttle::new(settings.throttle)),
        auth_cache: Arc::new(AuthCache::new(settings.auth_cache_ttl)),
        settings,
        passwords: Arc::new(PasswordHasher::for_tests()),
        plugins: PluginHost::empty(),
        cursor_key: Arc::default(),
    }
}

/// A user holding one role with exactly `permissions` (none: no role).
pub(super) async fn user_holding(
    service: &Service,
    username: &str,
    permissions: &[Permission],
) -> User {
    let user = service
        .create_user(&admin(), named(username))
        .await
        .unwrap();
    if !permissions.is_empty() {
        let input = CreateRole {
            name: format!("{username} role"),
            permissions: permissions.iter().map(|p| p.as_str().to_owned()).collect(),
            ..CreateRole::default()
        };
        let role = service.create_role(&admin(), input).await.unwrap();
        service
            .assign_user_roles(&admin(), user.id.as_str(), &[role.id.to_string()])
            .await
            .unwrap();
    }
    user
}

pub(super) fn new_token(name: &str) -> NewToken {
    NewToken {
        name: name.into(),
        ..NewToken::default()
    }
}

/// A fresh personal token of `user` and the caller it authenticates as.
pub(super) async fn signed_in(service: &Service, user: &User) -> (CreatedToken, Caller) {
    let name = format!("t-{}", TokenId::generate());
    let created = service
        .create_token(&admin(), &user.id, new_token(&name))
        .await
        .unwrap();
    let caller = service
        .authenticate(&created.secret, Some("192.0.2.10".into()), None)
        .await
        .unwrap();
    (created, caller)
}

fn held(caller: &Caller) -> BTreeSet<Permission> {
    match &caller.permissions {
        Permissions::Only(set) => set.clone(),
        Permissions::All => panic!("a token never grants All"),
    }
}

fn code<T: std::fmt::Debug>(result: Result<T>) -> &'static str {
    result.unwrap_err().code()
}

#[tokio::test]
async fn the_secret_is_shown_once_and_storage_holds_only_its_digest() {
    let (memory, service) = setup();
    let user = user_holding(&service, "ada", &[Permission::UsersRead]).await;
    let created = service
        .create_token(&admin(), &user.id, new_token("CI deploy"))
        .await
        .unwrap();
    assert_eq!(
        secret::parse(&created.secret),
        Some((TokenKind::Personal, secret::digest(&created.secret)))
    );
    let state = memory.snapshot();
    let stored = &state.tokens[&created.token.id];
    assert_eq!(stored.digest, secret::digest(&created.secret));
    // Nothing anywhere in the store (tokens, users, log) holds the secret.
    let everything = format!(
        "{} {} {:?}",
        serde_json::to_string(&state.tokens.values().collect::<Vec<_>>()).unwrap(),
        serde_json::to_string(&state.logs).unwrap(),
        state.users,
    );
    assert!(!everything.contains(&created.secret));
    assert!(!everything.contains(&created.secret[4..]));
    assert!(!format!("{created:?}").contains(&created.secret));
    let log = state.logs.last().unwrap();
    assert_eq!(log.key, log_keys::TOKEN_CREATED);
    assert_eq!(log.user_id.as_ref(), Some(&user.id));
    assert_eq!(log.payload["tokenId"], json!(created.token.id));
    // Listing returns the token, which has no secret to return.
    let listed = service.personal_tokens(&admin(), &user.id).await.unwrap();
    assert_eq!(listed, vec![stored.clone()]);
}

/// Storage that fails every call: proves a code path never reaches it.
#[derive(Debug)]
struct Unreachable;

fn unreachable<T>() -> Result<T> {
    Err(Error::internal("storage was called"))
}

#[async_trait]
impl Storage for Unreachable {
    async fn commit(&self, _: Vec<WriteOp>) -> Result<()> {
        unreachable()
    }
    async fn user(&self, _: &UserId) -> Result<Option<User>> {
        unreachable()
    }
    async fn users(&self, _: &[UserId]) -> Result<Vec<User>> {
        unreachable()
    }
    async fn user_by_key(&self, _: &UniqueKey) -> Result<Option<User>> {
        unreachable()
    }
    async fn search_users(&self, _: &UserSearch) -> Result<Page<User>> {
        unreachable()
    }
    async fn role(&self, _: &RoleId) -> Result<Option<Role>> {
        unreachable()
    }
    async fn roles(&self, _: &[RoleId]) -> Result<Vec<Role>> {
        unreachable()
    }
    async fn role_by_name(&self, _: &str) -> Result<Option<Role>> {
        unreachable()
    }
    async fn search_roles(&self, _: &RoleSearch) -> Result<Page<Role>> {
        unreachable()
    }
    async fn default_roles(&self) -> Result<Vec<Role>> {
        unreachable()
    }
    async fn role_ids_of_users(
        &self,
        _: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, Vec<RoleId>>> {
        unreachable()
    }
    async fn search_logs(&self, _: &LogSearch) -> Result<Page<LogEntry>> {
        unreachable()
    }
    async fn token(&self, _: &TokenId) -> Result<Option<AccessToken>> {
        unreachable()
    }
    async fn token_by_digest(&self, _: &TokenDigest) -> Result<Option<AccessToken>> {
        unreachable()
    }
    async fn tokens_of_user(&self, _: &UserId) -> Result<Vec<AccessToken>> {
        unreachable()
    }
    async fn cursor_key(&self, _: [u8; 32]) -> Result<[u8; 32]> {
        unreachable()
    }
}

#[tokio::test]
async fn a_malformed_token_is_refused_without_touching_storage() {
    let service = Service::for_tests(Arc::new(Unreachable));
    let good = secret::generate(TokenKind::Personal);
    let mut typo = good.clone();
    let last = if typo.ends_with('a') { "b" } else { "a" };
    typo.replace_range(typo.len() - 1.., last);
    for presented in ["", "Bearer abc", "ugp_short", typo.as_str(), &good[1..]] {
        let err = service
            .authenticate(presented, None, None)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "UNAUTHENTICATED", "{presented:?}");
    }
    // A well-formed secret does reach storage (here: the failing one).
    assert_eq!(
        code(service.authenticate(&good, None, None).await),
        "INTERNAL"
    );
}

#[tokio::test]
async fn an_unknown_token_is_unauthenticated_and_not_logged() {
    let (memory, service) = setup();
    let before = memory.snapshot();
    let unknown = secret::generate(TokenKind::Session);
    assert_eq!(
        code(
            service
                .authenticate(&unknown, Some("192.0.2.1".into()), None)
                .await
        ),
        "UNAUTHENTICATED"
    );
    let after = memory.snapshot();
    assert_eq!(
        (after.commits, after.logs.len()),
        (before.commits, before.logs.len())
    );
}

/// Authenticating with `secret` fails with `UNAUTHENTICATED`, and a
/// `Token.Rejected` entry says why.
async fn assert_rejected(memory: &Memory, service: &Service, created: &CreatedToken, reason: &str) {
    let err = service
        .authenticate(
            &created.secret,
            Some("198.51.100.2".into()),
            Some("curl/8".into()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "UNAUTHENTICATED", "{reason}");
    let log = memory.snapshot().logs.pop().unwrap();
    assert_eq!(log.key, log_keys::TOKEN_REJECTED);
    assert_eq!(log.result, LogResult::Error);
    assert_eq!(log.user_id.as_ref(), Some(&created.token.user_id));
    assert_eq!(log.actor_id, None);
    assert_eq!(log.ip.as_deref(), Some("198.51.100.2"));
    assert_eq!(log.user_agent.as_deref(), Some("curl/8"));
    assert_eq!(
        log.payload,
        json!({ "tokenId": created.token.id, "reason": reason })
    );
    assert!(!log.payload.to_string().contains(&created.secret));
}

#[tokio::test]
async fn expired_revoked_and_suspended_or_deleted_owners_tokens_are_rejected() {
    let (memory, service) = setup();
    let user = user_holding(&service, "ada", &[Permission::UsersRead]).await;
    let (expired, _) = signed_in(&service, &user).await;
    let (revoked, _) = signed_in(&service, &user).await;
    let (live, _) = signed_in(&service, &user).await;

    memory
        .state
        .lock()
        .unwrap()
        .tokens
        .get_mut(&expired.token.id)
        .unwrap()
        .expires_at = Some(time::now() - TimeDelta::seconds(1));
    assert_rejected(&memory, &service, &expired, "expired").await;

    service
        .revoke_token(&admin(), &revoked.token.id)
        .await
        .unwrap();
    assert_rejected(&memory, &service, &revoked, "revoked").await;

    service
        .set_user_suspended(&admin(), user.id.as_str(), true)
        .await
        .unwrap();
    assert_rejected(&memory, &service, &live, "owner suspended").await;
    service
        .set_user_suspended(&admin(), user.id.as_str(), false)
        .await
        .unwrap();
    service
        .authenticate(&live.secret, None, None)
        .await
        .unwrap();

    // Deleting a user deletes its tokens; a backend that kept one anyway
    // must not let it in.
    memory.state.lock().unwrap().users.remove(&user.id);
    assert_rejected(&memory, &service, &live, "owner deleted").await;
}

#[tokio::test]
async fn a_caller_from_a_token_carries_who_and_from_where() {
    let (_, service) = setup();
    let user = user_holding(&service, "ada", &[Permission::UsersRead]).await;
    let created = service
        .create_token(&admin(), &user.id, new_token("laptop"))
        .await
        .unwrap();
    let caller = service
        .authenticate(
            &created.secret,
            Some("192.0.2.7".into()),
            Some("curl/8".into()),
        )
        .await
        .unwrap();
    assert_eq!(caller.user_id.as_ref(), Some(&user.id));
    assert_eq!(caller.token_id.as_deref(), Some(created.token.id.as_str()));
    assert_eq!(caller.ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(caller.user_agent.as_deref(), Some("curl/8"));
    assert_eq!(held(&caller), BTreeSet::from([Permission::UsersRead]));
    assert_eq!(service.me(&caller).await.unwrap().id, user.id);
}

#[tokio::test]
async fn scopes_narrow_and_role_changes_apply_to_the_next_request() {
    let (_, service) = setup();
    let user = user_holding(
        &service,
        "ada",
        &[
            Permission::UsersRead,
            Permission::UsersWrite,
            Permission::LogsRead,
        ],
    )
    .await;
    let scoped = NewToken {
        scopes: Some(vec![
            "users:write".into(),
            "users:read".into(),
            "users:read".into(),
        ]),
        ..new_token("scoped")
    };
    let scoped = service
        .create_token(&admin(), &user.id, scoped)
        .await
        .unwrap();
    assert_eq!(
        scoped.token.scopes,
        Some(vec!["users:read".to_owned(), "users:write".to_owned()])
    );
    let (_, unscoped) = signed_in(&service, &user).await;
    assert_eq!(held(&unscoped).len(), 3);
    let caller = service
        .authenticate(&scoped.secret, None, None)
        .await
        .unwrap();
    assert_eq!(
        held(&caller),
        BTreeSet::from([Permission::UsersRead, Permission::UsersWrite])
    );

    // The owner loses users:write: both tokens lose it at once.
    let role = service
        .roles_of_users(&admin(), std::slice::from_ref(&user.id))
        .await
        .unwrap()[&user.id][0]
        .clone();
    let update = UpdateRole {
        permissions: Some(vec!["users:read".into(), "logs:read".into()]),
        ..UpdateRole::default()
    };
    service
        .update_role(&admin(), role.id.as_str(), update)
        .await
        .unwrap();
    let caller = service
        .authenticate(&scoped.secret, None, None)
        .await
        .unwrap();
    assert_eq!(held(&caller), BTreeSet::from([Permission::UsersRead]));

    // Without the role, the token is valid but may do nothing.
    service
        .remove_user_role(&admin(), user.id.as_str(), role.id.as_str())
        .await
        .unwrap();
    let caller = service
        .authenticate(&scoped.secret, None, None)
        .await
        .unwrap();
    assert!(held(&caller).is_empty());
    assert_eq!(
        code(service.search_users(&caller, UserQuery::default()).await),
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn last_used_at_is_written_at_most_once_a_minute() {
    let (memory, service) = setup();
    let user = user_holding(&service, "ada", &[]).await;
    let created = service
        .create_token(&admin(), &user.id, new_token("cli"))
        .await
        .unwrap();
    let id = created.token.id.clone();
    let stored = |memory: &Memory| memory.snapshot().tokens[&id].clone();
    assert_eq!(stored(&memory).last_used_at, None);

    service
        .authenticate(&created.secret, None, None)
        .await
        .unwrap();
    let first = stored(&memory);
    assert!(first.last_used_at.is_some());
    assert_eq!(first.version, created.token.version + 1);

    let commits = memory.snapshot().commits;
    service
        .authenticate(&created.secret, None, None)
        .await
        .unwrap();
    assert_eq!(
        memory.snapshot().commits,
        commits,
        "used again within a minute"
    );
    assert_eq!(stored(&memory), first);

    let a_while_ago = time::now() - TimeDelta::seconds(61);
    memory
        .state
        .lock()
        .unwrap()
        .tokens
        .get_mut(&id)
        .unwrap()
        .last_used_at = Some(a_while_ago);
    service
        .authenticate(&created.secret, None, None)
        .await
        .unwrap();
    let touched = stored(&memory);
    assert!(touched.last_used_at.unwrap() > a_while_ago);
    // Touching is no audit event.
    assert_eq!(
        memory
            .snapshot()
            .logs
            .iter()
            .filter(|l| l.key.starts_with("Token."))
            .count(),
        1,
        "only Token.Created"
    );
}

/// Memory whose token updates always lose the race, as when another
/// request touched the token first.
#[derive(Debug)]
struct LosesTokenRaces(Arc<Memory>);

#[async_trait]
impl Storage for LosesTokenRaces {
    async fn commit(&self, ops: Vec<WriteOp>) -> Result<()> {
        if ops
            .iter()
            .any(|op| matches!(op, WriteOp::UpdateToken { .. }))
        {
            return Err(Error::StaleVersion);
        }
        self.0.commit(ops).await
    }
    async fn user(&self, id: &UserId) -> Result<Option<User>> {
        self.0.user(id).await
    }
    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>> {
        self.0.users(ids).await
    }
    async fn user_by_key(&self, key: &UniqueKey) -> Result<Option<User>> {
        self.0.user_by_key(key).await
    }
    async fn search_users(&self, search: &UserSearch) -> Result<Page<User>> {
        self.0.search_users(search).await
    }
    async fn role(&self, id: &RoleId) -> Result<Option<Role>> {
        self.0.role(id).await
    }
    async fn roles(&self, ids: &[RoleId]) -> Result<Vec<Role>> {
        self.0.roles(ids).await
    }
    async fn role_by_name(&self, key: &str) -> Result<Option<Role>> {
        self.0.role_by_name(key).await
    }
    async fn search_roles(&self, search: &RoleSearch) -> Result<Page<Role>> {
        self.0.search_roles(search).await
    }
    async fn default_roles(&self) -> Result<Vec<Role>> {
        self.0.default_roles().await
    }
    async fn role_ids_of_users(
        &self,
        ids: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, Vec<RoleId>>> {
        self.0.role_ids_of_users(ids).await
    }
    async fn search_logs(&self, search: &LogSearch) -> Result<Page<LogEntry>> {
        self.0.search_logs(search).await
    }
    async fn token(&self, id: &TokenId) -> Result<Option<AccessToken>> {
        self.0.token(id).await
    }
    async fn token_by_digest(&self, digest: &TokenDigest) -> Result<Option<AccessToken>> {
        self.0.token_by_digest(digest).await
    }
    async fn tokens_of_user(&self, id: &UserId) -> Result<Vec<AccessToken>> {
        self.0.tokens_of_user(id).await
    }
    async fn cursor_key(&self, fresh: [u8; 32]) -> Result<[u8; 32]> {
        self.0.cursor_key(fresh).await
    }
}

#[tokio::test]
async fn losing_the_last_used_at_race_does_not_fail_the_request() {
    let (memory, service) = setup();
    let user = user_holding(&service, "ada", &[Permission::UsersRead]).await;
    let created = service
        .create_token(&admin(), &user.id, new_token("cli"))
        .await
        .unwrap();
    let racing = Service::for_tests(Arc::new(LosesTokenRaces(memory.clone())));
    let caller = racing
        .authenticate(&created.secret, None, None)
        .await
        .unwrap();
    assert_eq!(caller.user_id.as_ref(), Some(&user.id));
    assert_eq!(
        memory.snapshot().tokens[&created.token.id].last_used_at,
        None
    );
    // Other operations on tokens do report the conflict once retries run out.
    let err = racing
        .revoke_token(&admin(), &created.token.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "CONFLICT");
}

#[tokio::test]
async fn token_names_are_unique_per_owner_until_revoked() {
    let (_, service) = setup();
    let ada = user_holding(&service, "ada", &[]).await;
    let bob = user_holding(&service, "bob", &[]).await;
    let first = service
        .create_token(&admin(), &ada.id, new_token("CI"))
        .await
        .unwrap();
    let err = service
        .create_token(&admin(), &ada.id, new_token("ci"))
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("CONFLICT", Some("name")));
    // Another owner may use the name.
    service
        .create_token(&admin(), &bob.id, new_token("CI"))
        .await
        .unwrap();
    let other = service
        .create_token(&admin(), &ada.id, new_token("deploy"))
        .await
        .unwrap();
    let err = service
        .rename_token(&admin(), &other.token.id, "Ci")
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("CONFLICT", Some("name")));
    // A revoked token frees its name.
    service
        .revoke_token(&admin(), &first.token.id)
        .await
        .unwrap();
    service
        .create_token(&admin(), &ada.id, new_token("CI"))
        .await
        .unwrap();
    let listed = service.personal_tokens(&admin(), &ada.id).await.unwrap();
    assert_eq!(listed.len(), 3, "the revoked token stays listed");
}

#[tokio::test]
async fn rename_and_revoke_are_logged_and_revoking_twice_changes_nothing() {
    let (memory, service) = setup();
    let ada = user_holding(&service, "ada", &[]).await;
    let (created, me) = signed_in(&service, &ada).await;
    let renamed = service
        .rename_token(&me, &created.token.id, "Laptop")
        .await
        .unwrap();
    assert_eq!(renamed.name, "Laptop");
    let log = memory.snapshot().logs.pop().unwrap();
    assert_eq!(log.key, log_keys::TOKEN_RENAMED);
    assert_eq!(log.actor_id.as_ref(), Some(&ada.id));
    assert_eq!(log.token_id.as_deref(), Some(created.token.id.as_str()));
    assert_eq!(log.payload["name"], json!("Laptop"));

    let revoked = service.revoke_token(&me, &created.token.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    let state = memory.snapshot();
    assert_eq!(state.logs.last().unwrap().key, log_keys::TOKEN_REVOKED);
    let (commits, logs) = (state.commits, state.logs.len());
    let again = service
        .revoke_token(&admin(), &created.token.id)
        .await
        .unwrap();
    assert_eq!(again, revoked);
    let state = memory.snapshot();
    assert_eq!((state.commits, state.logs.len()), (commits, logs));
    assert_eq!(
        code(service.rename_token(&admin(), &created.token.id, "x").await),
        "VALIDATION"
    );
    let missing = TokenId::parse("nosuchtoken").unwrap();
    assert_eq!(
        code(service.revoke_token(&admin(), &missing).await),
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn token_input_is_validated() {
    let (memory, service) = setup();
    let ada = user_holding(&service, "ada", &[Permission::UsersRead]).await;
    let field = |r: Result<CreatedToken>| {
        let e = r.unwrap_err();
        (e.code(), e.field().map(str::to_owned))
    };
    let system = admin();
    let create = |input: NewToken| service.create_token(&system, &ada.id, input);
    let validation = |f: &str| ("VALIDATION", Some(f.to_owned()));
    for bad in ["", "tab\there", &"n".repeat(65)] {
        assert_eq!(field(create(new_token(bad)).await), validation("name"));
    }
    assert!(create(new_token(&"n".repeat(64))).await.is_ok());
    let unknown_scope = NewToken {
        scopes: Some(vec!["users:read".into(), "users:fly".into()]),
        ..new_token("s")
    };
    assert_eq!(field(create(unknown_scope).await), validation("scopes"));
    let past = NewToken {
        expires_at: Some(time::now() - TimeDelta::seconds(1)),
        ..new_token("p")
    };
    assert_eq!(field(create(past).await), validation("expiresAt"));
    let ghost = UserId::parse("ghost").unwrap();
    let err = service
        .create_token(&admin(), &ghost, new_token("g"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND");

    // With a maximum lifetime, expiresAt is required and bounded.
    let capped = service_with(
        memory.clone(),
        ServiceSettings {
            max_token_lifetime: Some(Duration::from_secs(30 * 86400)),
            ..ServiceSettings::default()
        },
    );
    let create = |input: NewToken| capped.create_token(&system, &ada.id, input);
    assert_eq!(
        field(create(new_token("forever")).await),
        validation("expiresAt")
    );
    let too_late = NewToken {
        expires_at: Some(time::now() + TimeDelta::days(31)),
        ..new_token("late")
    };
    assert_eq!(field(create(too_late).await), validation("expiresAt"));
    let fine = NewToken {
        expires_at: Some(time::now() + TimeDelta::days(29)),
        ..new_token("fine")
    };
    let created = create(fine).await.unwrap();
    capped
        .authenticate(&created.secret, None, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn tokens_never_grant_more_than_their_creator_holds() {
    let (memory, service) = setup();
    let admin_user = user_holding(&service, "root", &Permission::ALL).await;
    let ada = user_holding(
        &service,
        "ada",
        &[Permission::UsersRead, Permission::LogsRead],
    )
    .await;
    let minter = user_holding(
        &service,
        "minter",
        &[Permission::TokensWrite, Permission::UsersRead],
    )
    .await;
    let (_, minter) = signed_in(&service, &minter).await;
    let (_, ada_caller) = signed_in(&service, &ada).await;
    let commits = memory.snapshot().commits;

    // Scopes the owner lacks.
    let wide = NewToken {
        scopes: Some(vec!["users:write".into()]),
        ..new_token("wide")
    };
    assert_eq!(
        code(service.create_token(&admin(), &ada.id, wide.clone()).await),
        "FORBIDDEN"
    );
    assert_eq!(
        code(service.create_token(&ada_caller, &ada.id, wide).await),
        "FORBIDDEN"
    );

    // tokens:write does not let the minter mint the admin's full power...
    assert_eq!(
        code(
            service
                .create_token(&minter, &admin_user.id, new_token("all"))
                .await
        ),
        "FORBIDDEN"
    );
    // ...nor a narrow one: any token of the admin acts as the admin, a
    // user who holds more than the minter.
    let narrow = || NewToken {
        scopes: Some(vec!["users:read".into()]),
        ..new_token("narrow")
    };
    let err = service
        .create_token(&minter, &admin_user.id, narrow())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert!(
        err.to_string()
            .contains("you cannot act on a user who holds"),
        "{err}"
    );
    assert_eq!(memory.snapshot().commits, commits);
    // For a user who holds nothing more, the minter mints what it holds.
    let reader = user_holding(&service, "reader", &[Permission::UsersRead]).await;
    service
        .create_token(&minter, &reader.id, narrow())
        .await
        .unwrap();

    // A scoped token cannot mint a broader one for its own user.
    let read_only = NewToken {
        scopes: Some(vec!["users:read".into()]),
        ..new_token("read only")
    };
    let read_only = service
        .create_token(&ada_caller, &ada.id, read_only)
        .await
        .unwrap();
    let scoped = service
        .authenticate(&read_only.secret, None, None)
        .await
        .unwrap();
    assert_eq!(
        code(
            service
                .create_token(&scoped, &ada.id, new_token("full"))
                .await
        ),
        "FORBIDDEN"
    );
    let same = NewToken {
        scopes: Some(vec!["users:read".into()]),
        ..new_token("same")
    };
    service.create_token(&scoped, &ada.id, same).await.unwrap();
}

#[tokio::test]
async fn others_tokens_need_the_tokens_permissions() {
    let (_, service) = setup();
    let ada = user_holding(&service, "ada", &[Permission::UsersRead]).await;
    let bob = user_holding(&service, "bob", &[Permission::UsersRead]).await;
    let reader = user_holding(&service, "reader", &[Permission::TokensRead]).await;
    let (ada_token, ada_caller) = signed_in(&service, &ada).await;
    let (_, bob_caller) = signed_in(&service, &bob).await;
    let (_, reader) = signed_in(&service, &reader).await;
    let anonymous = Caller::anonymous();
    let id = &ada_token.token.id;

    // Self-service: no permission needed.
    assert_eq!(
        service
            .personal_tokens(&ada_caller, &ada.id)
            .await
            .unwrap()
            .len(),
        1
    );
    service
        .create_token(&ada_caller, &ada.id, new_token("mine"))
        .await
        .unwrap();
    // Someone else's: tokens:read to list, tokens:write to change.
    assert_eq!(
        code(service.personal_tokens(&bob_caller, &ada.id).await),
        "FORBIDDEN"
    );
    assert_eq!(
        service
            .personal_tokens(&reader, &ada.id)
            .await
            .unwrap()
            .len(),
        2
    );
    for caller in [&bob_caller, &reader] {
        assert_eq!(
            code(service.create_token(caller, &ada.id, new_token("x")).await),
            "FORBIDDEN"
        );
        assert_eq!(
            code(service.rename_token(caller, id, "x").await),
            "FORBIDDEN"
        );
        assert_eq!(code(service.revoke_token(caller, id).await), "FORBIDDEN");
    }
    assert_eq!(
        code(service.personal_tokens(&anonymous, &ada.id).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(
            service
                .create_token(&anonymous, &ada.id, new_token("x"))
                .await
        ),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(service.revoke_token(&anonymous, id).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(code(service.me(&anonymous).await), "UNAUTHENTICATED");
    // A user may revoke the very token it is using.
    service.revoke_token(&ada_caller, id).await.unwrap();
    assert_eq!(
        code(service.authenticate(&ada_token.secret, None, None).await),
        "UNAUTHENTICATED"
    );
}
