//! Creating many users at once (`Service::create_users_batch`): the outcome
//! of creating each input in order, with far fewer commits. The commits hold
//! many users each, so these behaviours check that a backend enforces
//! uniqueness between the users of one transaction, not only against what
//! was stored before it.

use std::collections::BTreeSet;

use usergraph_core::model::log_keys;
use usergraph_core::service::{CreateRole, CreateUser};
use usergraph_core::storage::UniqueKey;
use usergraph_core::{Result, Role, RoleId, Service, User};

use crate::Fixture;
use crate::support::{all_users, create_with_email, payload_set, set, sys, user_logs};

fn named(username: &str) -> CreateUser {
    CreateUser {
        username: Some(username.to_owned()),
        ..CreateUser::default()
    }
}

fn codes(results: &[Result<User>]) -> Vec<&'static str> {
    results
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| e.code(), |_| "OK"))
        .collect()
}

async fn default_role(svc: &Service, name: &str) -> Role {
    svc.create_role(
        &sys(),
        CreateRole {
            name: name.to_owned(),
            is_default: true,
            ..CreateRole::default()
        },
    )
    .await
    .unwrap()
}

async fn held_roles(fx: &Fixture, user: &User) -> BTreeSet<RoleId> {
    let held = fx
        .storage()
        .role_ids_of_users(std::slice::from_ref(&user.id))
        .await
        .unwrap();
    held.get(&user.id).into_iter().flatten().cloned().collect()
}

pub async fn results_follow_input_order_with_item_errors(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let member = default_role(&svc, "Member").await;
    let existing = create_with_email(&svc, "taken@example.com").await;

    let inputs = vec![
        CreateUser {
            primary_email: Some("Ada@Example.com".into()),
            name: Some("Ada Lovelace".into()),
            password: Some("analytical engine".into()),
            ..named("ada")
        },
        named("not valid"),
        CreateUser {
            primary_email: Some("TAKEN@example.com".into()),
            ..named("grace")
        },
        named("ADA"),
        CreateUser {
            primary_phone: Some("+1 (555) 010-9999".into()),
            ..named("linus")
        },
        CreateUser {
            primary_phone: Some("15550109999".into()),
            ..named("linus2")
        },
        CreateUser {
            id: Some(existing.id.as_str().to_owned()),
            ..named("clash")
        },
    ];
    let results = svc.create_users_batch(&sys(), inputs).await.unwrap();
    assert_eq!(
        codes(&results),
        [
            "OK",
            "VALIDATION",
            "EMAIL_ALREADY_IN_USE",
            "USERNAME_ALREADY_IN_USE",
            "OK",
            "PHONE_ALREADY_IN_USE",
            "CONFLICT",
        ]
    );
    assert_eq!(
        results[1].as_ref().unwrap_err().field(),
        Some("username"),
        "a validation error names its field"
    );

    let ada = results[0].as_ref().unwrap();
    let linus = results[4].as_ref().unwrap();
    assert_eq!(linus.primary_phone.as_deref(), Some("15550109999"));
    assert!(ada.password.is_some());
    assert!(
        svc.verify_user_password(&sys(), ada.id.as_str(), "analytical engine".into())
            .await
            .unwrap()
    );

    let stored: BTreeSet<_> = all_users(storage).await.into_iter().map(|u| u.id).collect();
    let expected: BTreeSet<_> = [&existing, ada, linus]
        .into_iter()
        .map(|u| u.id.clone())
        .collect();
    assert_eq!(stored, expected, "only the good items were written");
    let by_email = storage
        .user_by_key(&UniqueKey::Email("ada@example.com".into()))
        .await
        .unwrap();
    assert_eq!(by_email.map(|u| u.id), Some(ada.id.clone()));

    for user in [ada, linus] {
        assert_eq!(
            held_roles(&fx, user).await,
            BTreeSet::from([member.id.clone()]),
            "default roles are assigned"
        );
        let logs = user_logs(storage, &user.id).await;
        let created: Vec<_> = logs
            .iter()
            .filter(|l| l.key == log_keys::USER_CREATED)
            .collect();
        assert_eq!(created.len(), 1, "one User.Created per created user");
        assert_eq!(
            payload_set(created[0], "roleIds"),
            set([member.id.as_str()])
        );
    }
    let ada_logs = user_logs(storage, &ada.id).await;
    let ada_log = ada_logs
        .iter()
        .find(|l| l.key == log_keys::USER_CREATED)
        .unwrap();
    assert_eq!(
        payload_set(ada_log, "fields"),
        set(["username", "primaryEmail", "name", "password"])
    );
    assert!(!ada_log.payload.to_string().contains("analytical"));
    assert_eq!(
        user_logs(storage, &existing.id).await.len(),
        1,
        "the id clash did not log against the existing user"
    );
}

pub async fn duplicates_across_chunks_are_found(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    // More than two commits' worth, with duplicates of an earlier chunk, of
    // the same chunk, and of each other.
    let mut inputs: Vec<CreateUser> = (0..1100)
        .map(|i| CreateUser {
            primary_email: Some(format!("user{i}@example.com")),
            ..named(&format!("user{i}"))
        })
        .collect();
    inputs[20] = named("User3");
    inputs[700] = CreateUser {
        primary_email: Some("USER5@example.com".into()),
        ..named("fresh700")
    };
    inputs[1099] = named("user1098");
    let results = svc.create_users_batch(&sys(), inputs).await.unwrap();
    assert_eq!(results.len(), 1100);
    let failed: Vec<_> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e.code())))
        .collect();
    assert_eq!(
        failed,
        [
            (20, "USERNAME_ALREADY_IN_USE"),
            (700, "EMAIL_ALREADY_IN_USE"),
            (1099, "USERNAME_ALREADY_IN_USE"),
        ]
    );
    for (i, result) in results.iter().enumerate() {
        if let Ok(user) = result {
            assert_eq!(user.username, Some(format!("user{i}")), "result {i}");
        }
    }
    assert_eq!(all_users(storage).await.len(), 1097);
    let created = crate::support::logs_where(
        storage,
        usergraph_core::query::LogFilter {
            key: Some(log_keys::USER_CREATED.to_owned()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(created.len(), 1097, "one User.Created per created user");
}
