//! The service's own rules, over a small in-memory storage. The full
//! behaviour on real backends is the conformance suite's job.

mod authz;
mod batch;
mod bootstrap;
mod cached_tokens;
mod contention;
mod escalation;
mod last_admin;
mod memory;
mod outranking;
mod plugins;
mod sessions;
mod throttle;
mod tokens;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::json;

use self::memory::Memory;
use super::*;
use crate::caller::{Permission, Permissions};
use crate::model::{LogResult, PasswordAlgorithm, log_keys};
use crate::page::PageArgs;
use crate::query::{Direction, UserOrder, UserOrderField};

fn setup() -> (Arc<Memory>, Service) {
    let memory = Arc::new(Memory::default());
    let service = Service::for_tests(memory.clone());
    (memory, service)
}

fn admin() -> Caller {
    Caller::system()
}

/// A signed-in user (not stored) holding exactly `permissions`; without a
/// user a caller would be anonymous.
fn caller_with(permissions: &[Permission]) -> Caller {
    Caller {
        user_id: Some(UserId::parse("signed-in-caller").unwrap()),
        permissions: Permissions::Only(permissions.iter().copied().collect::<BTreeSet<_>>()),
        ..Caller::system()
    }
}

fn named(username: &str) -> CreateUser {
    CreateUser {
        username: Some(username.into()),
        ..CreateUser::default()
    }
}

async fn role(service: &Service, name: &str, is_default: bool) -> crate::Role {
    let input = CreateRole {
        name: name.into(),
        is_default,
        ..CreateRole::default()
    };
    service.create_role(&admin(), input).await.unwrap()
}

#[test]
fn weak_settings_are_refused() {
    let memory: Arc<dyn Storage> = Arc::new(Memory::default());
    let weak = ServiceSettings {
        argon2: Argon2Params {
            memory_kib: 4096,
            ..Argon2Params::default()
        },
        ..ServiceSettings::default()
    };
    assert_eq!(
        Service::new(memory.clone(), weak).unwrap_err().code(),
        "VALIDATION"
    );
    assert!(Service::new(memory, ServiceSettings::default()).is_ok());
}

#[tokio::test]
async fn a_new_user_gets_default_roles_and_one_log_in_one_commit() {
    let (memory, service) = setup();
    let member = role(&service, "Member", true).await;
    role(&service, "Staff", false).await;
    let before = memory.snapshot().commits;
    let input = CreateUser {
        username: Some("Ada".into()),
        primary_phone: Some("+44 20 7946 0958".into()),
        password: Some("analytical engine".into()),
        ..CreateUser::default()
    };
    let user = service.create_user(&admin(), input).await.unwrap();
    let state = memory.snapshot();
    assert_eq!(state.commits, before + 1);
    assert_eq!(user.primary_phone.as_deref(), Some("442079460958"));
    assert_eq!(user.created_at, user.updated_at);
    assert_eq!(
        user.password.as_ref().unwrap().algorithm,
        PasswordAlgorithm::Argon2id
    );
    let held: Vec<_> = state.assignments[&user.id].iter().cloned().collect();
    assert_eq!(held, vec![member.id.clone()]);
    let log = state.logs.last().unwrap();
    assert_eq!(log.key, log_keys::USER_CREATED);
    assert_eq!(log.user_id.as_ref(), Some(&user.id));
    assert_eq!(
        log.payload,
        json!({ "fields": ["username", "primaryPhone", "password"], "roleIds": [member.id] })
    );
    assert!(!log.payload.to_string().contains("analytical"));
}

#[tokio::test]
async fn bad_input_writes_nothing() {
    let (memory, service) = setup();
    let input = CreateUser {
        username: Some("ok".into()),
        primary_email: Some("not-an-email".into()),
        ..CreateUser::default()
    };
    let err = service.create_user(&admin(), input).await.unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("VALIDATION", Some("primaryEmail"))
    );
    assert_eq!(memory.snapshot().commits, 0);
}

#[tokio::test]
async fn permissions_are_checked_before_anything_happens() {
    let (memory, service) = setup();
    let reader = caller_with(&[Permission::UsersRead]);
    let err = service.create_user(&reader, named("x")).await.unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    let user = service.create_user(&admin(), named("x")).await.unwrap();
    let commits = memory.snapshot().commits;
    for err in [
        service
            .delete_user(&reader, user.id.as_str())
            .await
            .unwrap_err(),
        service
            .set_user_password(&reader, user.id.as_str(), "long enough".into())
            .await
            .unwrap_err(),
        service
            .search_logs(&reader, Default::default(), PageArgs::default(), false)
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err.code(), "FORBIDDEN");
    }
    assert_eq!(memory.snapshot().commits, commits);
    // Reading is allowed, and so is reading oneself without the permission.
    assert!(
        service
            .user(&reader, user.id.as_str())
            .await
            .unwrap()
            .is_some()
    );
    let me = Caller {
        user_id: Some(user.id.clone()),
        ..caller_with(&[])
    };
    assert!(service.user(&me, user.id.as_str()).await.unwrap().is_some());
    let other = service.create_user(&admin(), named("y")).await.unwrap();
    assert_eq!(
        service
            .user(&me, other.id.as_str())
            .await
            .unwrap_err()
            .code(),
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn an_update_that_changes_nothing_writes_nothing() {
    let (memory, service) = setup();
    let user = service.create_user(&admin(), named("Ada")).await.unwrap();
    let commits = memory.snapshot().commits;
    let same = UpdateUser {
        username: Patch::Value("Ada".into()),
        name: Patch::Null,
        ..UpdateUser::default()
    };
    let got = service
        .update_user(&admin(), user.id.as_str(), same)
        .await
        .unwrap();
    assert_eq!(got, user);
    assert_eq!(memory.snapshot().commits, commits);

    let renamed = UpdateUser {
        username: Patch::Value("ada".into()),
        name: Patch::Value("Ada Lovelace".into()),
        ..UpdateUser::default()
    };
    let got = service
        .update_user(&admin(), user.id.as_str(), renamed)
        .await
        .unwrap();
    assert_eq!(got.version, user.version + 1);
    assert!(got.updated_at >= user.updated_at);
    let log = memory.snapshot().logs.pop().unwrap();
    assert_eq!(log.key, log_keys::USER_UPDATED);
    assert_eq!(log.payload, json!({ "fields": ["username", "name"] }));
}

// Paused time: the waits between attempts pass at once.
#[tokio::test(start_paused = true)]
async fn stale_versions_are_retried_then_reported() {
    let (memory, service) = setup();
    let user = service.create_user(&admin(), named("Ada")).await.unwrap();
    memory
        .stale_updates
        .store(MAX_ATTEMPTS - 1, Ordering::SeqCst);
    let got = service
        .set_user_suspended(&admin(), user.id.as_str(), true)
        .await
        .unwrap();
    assert!(got.is_suspended);

    memory.stale_updates.store(MAX_ATTEMPTS, Ordering::SeqCst);
    let err = service
        .set_user_suspended(&admin(), user.id.as_str(), false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "CONFLICT");
    assert!(memory.snapshot().users[&user.id].is_suspended);
}

#[tokio::test]
async fn a_good_verify_of_an_imported_digest_upgrades_it_quietly() {
    let (memory, service) = setup();
    let input = CreateUser {
        username: Some("legacy".into()),
        password_digest: Some(bcrypt::hash("old secret", 4).unwrap()),
        password_algorithm: Some(PasswordAlgorithm::Bcrypt),
        ..CreateUser::default()
    };
    let user = service.create_user(&admin(), input).await.unwrap();
    let id = user.id.as_str();

    assert!(
        !service
            .verify_user_password(&admin(), id, "wrong".into())
            .await
            .unwrap()
    );
    let log = memory.snapshot().logs.pop().unwrap();
    assert_eq!(
        (log.result, log.error.as_deref()),
        (LogResult::Error, Some("password mismatch"))
    );
    assert_eq!(memory.snapshot().users[&user.id].password, user.password);

    assert!(
        service
            .verify_user_password(&admin(), id, "old secret".into())
            .await
            .unwrap()
    );
    let state = memory.snapshot();
    let stored = &state.users[&user.id];
    assert_eq!(
        stored.password.as_ref().unwrap().algorithm,
        PasswordAlgorithm::Argon2id
    );
    assert_eq!(stored.updated_at, user.updated_at);
    assert_eq!(stored.version, user.version + 1);
    let log = state.logs.last().unwrap();
    assert_eq!(log.key, log_keys::USER_PASSWORD_VERIFIED);
    assert_eq!(log.result, LogResult::Success);
    assert_eq!(log.payload, json!({ "rehashed": true }));

    // Now current: verifying again stores nothing new.
    assert!(
        service
            .verify_user_password(&admin(), id, "old secret".into())
            .await
            .unwrap()
    );
    let state = memory.snapshot();
    assert_eq!(state.users[&user.id].version, user.version + 1);
    assert_eq!(
        state.logs.last().unwrap().payload,
        json!({ "rehashed": false })
    );
}

#[tokio::test]
async fn a_user_without_password_never_verifies() {
    let (memory, service) = setup();
    let user = service
        .create_user(&admin(), named("nopass"))
        .await
        .unwrap();
    assert!(
        !service
            .verify_user_password(&admin(), user.id.as_str(), "".into())
            .await
            .unwrap()
    );
    let log = memory.snapshot().logs.pop().unwrap();
    assert_eq!(log.error.as_deref(), Some("no password set"));
    let missing = service
        .verify_user_password(&admin(), "nobody", "whatever".into())
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "NOT_FOUND");
}

#[tokio::test]
async fn replacing_roles_logs_both_differences_in_one_commit() {
    let (memory, service) = setup();
    let a = role(&service, "A", false).await;
    let b = role(&service, "B", false).await;
    let c = role(&service, "C", false).await;
    let user = service.create_user(&admin(), named("u")).await.unwrap();
    let id = user.id.as_str();
    service
        .assign_user_roles(&admin(), id, &[a.id.to_string(), b.id.to_string()])
        .await
        .unwrap();
    let commits = memory.snapshot().commits;
    // Assigning what is held already is no write.
    service
        .assign_user_roles(&admin(), id, &[a.id.to_string()])
        .await
        .unwrap();
    assert_eq!(memory.snapshot().commits, commits);

    service
        .replace_user_roles(&admin(), id, &[b.id.to_string(), c.id.to_string()])
        .await
        .unwrap();
    let state = memory.snapshot();
    assert_eq!(state.commits, commits + 1);
    let keys: Vec<_> = state
        .logs
        .iter()
        .rev()
        .take(2)
        .map(|l| (l.key.clone(), l.payload.clone()))
        .collect();
    assert_eq!(
        keys,
        vec![
            (
                log_keys::USER_ROLES_REMOVED.to_owned(),
                json!({ "roleIds": [a.id] })
            ),
            (
                log_keys::USER_ROLES_ASSIGNED.to_owned(),
                json!({ "roleIds": [c.id] })
            ),
        ]
    );
    let err = service
        .assign_user_roles(&admin(), id, &["nosuchrole".into()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND");
}

#[tokio::test]
async fn roles_of_a_page_of_users_take_two_storage_calls() {
    let (memory, service) = setup();
    let zeta = role(&service, "zeta", true).await;
    let alpha = role(&service, "Alpha", true).await;
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        ids.push(service.create_user(&admin(), named(name)).await.unwrap().id);
    }
    ids.push(UserId::parse("ghost").unwrap());
    let (before_ids, before_roles) = (
        memory.role_ids_calls.load(Ordering::SeqCst),
        memory.roles_calls.load(Ordering::SeqCst),
    );
    let roles = service.roles_of_users(&admin(), &ids).await.unwrap();
    assert_eq!(memory.role_ids_calls.load(Ordering::SeqCst), before_ids + 1);
    assert_eq!(memory.roles_calls.load(Ordering::SeqCst), before_roles + 1);
    let names: Vec<_> = roles[&ids[0]].iter().map(|r| r.id.clone()).collect();
    assert_eq!(
        names,
        vec![alpha.id, zeta.id],
        "ordered by name, case-insensitively"
    );
    assert!(roles[&ids[3]].is_empty());
}

#[tokio::test]
async fn paging_forward_and_back_has_no_gaps_or_repeats() {
    let (_, service) = setup();
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(
            service
                .create_user(&admin(), named(&format!("user{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let order = vec![UserOrder {
        field: UserOrderField::Username,
        direction: Direction::Asc,
    }];
    let query = |page: PageArgs| UserQuery {
        order: order.clone(),
        page,
        count_total: true,
        ..UserQuery::default()
    };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = PageArgs {
            first: Some(3),
            after: after.clone(),
            ..PageArgs::default()
        };
        let got = service.search_users(&admin(), query(page)).await.unwrap();
        assert_eq!(got.total(), Some(7));
        seen.extend(got.nodes().map(|u| u.username.clone().unwrap()));
        if !got.has_next_page {
            break;
        }
        after = got.end_cursor().map(str::to_owned);
    }
    let expected: Vec<_> = (0..7).map(|i| format!("user{i}")).collect();
    assert_eq!(seen, expected);

    // The two users before the last page's first one, in list order.
    let last_page = service
        .search_users(
            &admin(),
            query(PageArgs {
                last: Some(2),
                ..PageArgs::default()
            }),
        )
        .await
        .unwrap();
    let names: Vec<_> = last_page
        .nodes()
        .map(|u| u.username.clone().unwrap())
        .collect();
    assert_eq!(names, vec!["user5", "user6"]);
    assert!(last_page.has_previous_page);
    let before = PageArgs {
        last: Some(2),
        before: last_page.start_cursor().map(str::to_owned),
        ..PageArgs::default()
    };
    let got = service.search_users(&admin(), query(before)).await.unwrap();
    let names: Vec<_> = got.nodes().map(|u| u.username.clone().unwrap()).collect();
    assert_eq!(names, vec!["user3", "user4"]);
    assert!(got.has_next_page);

    // A cursor made for one order is refused by another.
    let default_order = UserQuery {
        page: PageArgs {
            first: Some(1),
            after: last_page.start_cursor().map(str::to_owned),
            ..PageArgs::default()
        },
        ..UserQuery::default()
    };
    let err = service
        .search_users(&admin(), default_order)
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("VALIDATION", Some("after")));
}

#[tokio::test]
async fn custom_data_merges_and_reports_changed_keys() {
    let (memory, service) = setup();
    let user = service.create_user(&admin(), named("u")).await.unwrap();
    let id = user.id.as_str();
    service
        .update_user_custom_data(&admin(), id, json!({ "plan": "free", "seats": 1 }), false)
        .await
        .unwrap();
    let got = service
        .update_user_custom_data(&admin(), id, json!({ "plan": null, "seats": 2 }), false)
        .await
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(got.custom_data),
        json!({ "seats": 2 })
    );
    let log = memory.snapshot().logs.pop().unwrap();
    assert_eq!(
        log.payload,
        json!({ "keys": ["plan", "seats"], "replace": false })
    );
    let err = service
        .update_user_custom_data(&admin(), id, json!([1]), true)
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("customData"));
}

#[tokio::test]
async fn unlinking_an_unknown_provider_is_not_found() {
    let (_, service) = setup();
    let user = service.create_user(&admin(), named("u")).await.unwrap();
    let identity = IdentityInput {
        user_id: "g-123".into(),
        details: None,
    };
    let linked = service
        .link_user_identity(&admin(), user.id.as_str(), "google", identity)
        .await
        .unwrap();
    assert_eq!(linked.identities["google"].linked_at, linked.updated_at);
    let err = service
        .unlink_user_identity(&admin(), user.id.as_str(), "github")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND");
    let unlinked = service
        .unlink_user_identity(&admin(), user.id.as_str(), "google")
        .await
        .unwrap();
    assert!(unlinked.identities.is_empty());
}

#[tokio::test]
async fn role_names_are_unique_case_insensitively() {
    let (_, service) = setup();
    role(&service, "Support", false).await;
    let input = CreateRole {
        name: "SUPPORT".into(),
        ..CreateRole::default()
    };
    let err = service.create_role(&admin(), input).await.unwrap_err();
    assert_eq!((err.code(), err.field()), ("CONFLICT", Some("name")));
    let other = role(&service, "Other", false).await;
    let rename = UpdateRole {
        name: Some("support".into()),
        ..UpdateRole::default()
    };
    let err = service
        .update_role(&admin(), other.id.as_str(), rename)
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("name"));
}
