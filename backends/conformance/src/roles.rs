//! Roles: their records, unique names, default roles, and assignments.

use std::collections::BTreeSet;

use serde_json::json;
use usergraph_core::model::log_keys;
use usergraph_core::page::PageArgs;
use usergraph_core::query::LogFilter;
use usergraph_core::service::{CreateRole, Patch, UpdateRole};
use usergraph_core::{Role, RoleId, Service, User, UserId};

use crate::Fixture;
use crate::support::{
    all_logs, create_named, expect_err, keys, logs_where, payload_set, set, sys, user_logs,
};

pub(crate) async fn create_role(svc: &Service, name: &str, is_default: bool) -> Role {
    svc.create_role(
        &sys(),
        CreateRole {
            name: name.to_owned(),
            description: None,
            permissions: vec!["users:read".into()],
            is_default,
        },
    )
    .await
    .unwrap()
}

/// The ids of the user's roles, as the service reports them.
async fn role_ids_of(svc: &Service, user: &UserId) -> BTreeSet<RoleId> {
    let mut map = svc
        .roles_of_users(&sys(), std::slice::from_ref(user))
        .await
        .unwrap();
    map.remove(user)
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

fn ids<'a>(roles: impl IntoIterator<Item = &'a Role>) -> BTreeSet<RoleId> {
    roles.into_iter().map(|r| r.id.clone()).collect()
}

fn id_strings(roles: &[&Role]) -> Vec<String> {
    roles.iter().map(|r| r.id.to_string()).collect()
}

fn role_log_filter(role: &Role) -> LogFilter {
    LogFilter {
        role_id: Some(role.id.clone()),
        ..LogFilter::default()
    }
}

pub async fn create_update_delete(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let role = svc
        .create_role(
            &sys(),
            CreateRole {
                name: "Caf\u{65}\u{301} Staff".into(),
                description: Some("Runs the caf\u{e9}".into()),
                permissions: vec![
                    "users:write".into(),
                    "users:read".into(),
                    "users:write".into(),
                    "custom:thing".into(),
                ],
                is_default: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(role.name, "Caf\u{e9} Staff", "names are NFC");
    assert_eq!(role.description.as_deref(), Some("Runs the caf\u{e9}"));
    assert_eq!(
        role.permissions,
        vec!["custom:thing", "users:read", "users:write"],
        "permissions are deduplicated and sorted"
    );
    assert!(!role.is_default);
    assert_eq!(role.created_at, role.updated_at);
    assert_eq!(
        svc.role(&sys(), role.id.as_str()).await.unwrap().as_ref(),
        Some(&role)
    );
    assert_eq!(storage.role(&role.id).await.unwrap().as_ref(), Some(&role));

    let updated = svc
        .update_role(
            &sys(),
            role.id.as_str(),
            UpdateRole {
                name: Some("Caf\u{e9} Crew".into()),
                description: Patch::Null,
                permissions: Some(vec!["logs:read".into()]),
                is_default: Some(true),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "Caf\u{e9} Crew");
    assert_eq!(updated.description, None);
    assert_eq!(updated.permissions, vec!["logs:read"]);
    assert!(updated.is_default);
    assert_eq!(updated.created_at, role.created_at);
    assert!(updated.version > role.version);
    assert_eq!(
        storage.role(&role.id).await.unwrap().as_ref(),
        Some(&updated)
    );

    let untouched = svc
        .update_role(
            &sys(),
            role.id.as_str(),
            UpdateRole {
                description: Patch::Value("New description".into()),
                ..UpdateRole::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(untouched.name, "Caf\u{e9} Crew", "absent name kept");
    assert_eq!(
        untouched.permissions,
        vec!["logs:read"],
        "absent permissions kept"
    );

    let deleted = svc.delete_role(&sys(), role.id.as_str()).await.unwrap();
    assert_eq!(deleted, role.id);
    assert_eq!(svc.role(&sys(), role.id.as_str()).await.unwrap(), None);
    assert_eq!(storage.role(&role.id).await.unwrap(), None);
    expect_err(
        svc.delete_role(&sys(), role.id.as_str()).await,
        "NOT_FOUND",
        None,
    );
    expect_err(
        svc.update_role(&sys(), role.id.as_str(), UpdateRole::default())
            .await,
        "NOT_FOUND",
        None,
    );
    expect_err(svc.role(&sys(), "bad id!").await, "VALIDATION", None);

    let logs = logs_where(storage, role_log_filter(&role)).await;
    assert_eq!(
        keys(&logs),
        vec![
            log_keys::ROLE_DELETED,
            log_keys::ROLE_UPDATED,
            log_keys::ROLE_UPDATED,
            log_keys::ROLE_CREATED,
        ]
    );
    assert_eq!(logs[0].payload, json!({"name": "Caf\u{e9} Crew"}));
    assert_eq!(payload_set(&logs[1], "fields"), set(["description"]));
    assert_eq!(
        payload_set(&logs[2], "fields"),
        set(["name", "description", "permissions", "isDefault"])
    );
    assert!(payload_set(&logs[3], "fields").contains("name"));
    assert!(logs.iter().all(|l| l.role_id.as_ref() == Some(&role.id)));
}

pub async fn names_are_unique_case_insensitively(fx: Fixture) {
    let svc = fx.service();
    let editors = create_role(&svc, "Editors", false).await;
    let viewers = create_role(&svc, "Viewers", false).await;
    for taken in ["editors", "EDITORS", "Editors"] {
        let result = svc
            .create_role(
                &sys(),
                CreateRole {
                    name: taken.into(),
                    ..CreateRole::default()
                },
            )
            .await;
        expect_err(result, "CONFLICT", Some("name"));
    }
    expect_err(
        svc.update_role(
            &sys(),
            viewers.id.as_str(),
            UpdateRole {
                name: Some("eDiToRs".into()),
                ..UpdateRole::default()
            },
        )
        .await,
        "CONFLICT",
        Some("name"),
    );
    // A role may change the case of its own name.
    let renamed = svc
        .update_role(
            &sys(),
            editors.id.as_str(),
            UpdateRole {
                name: Some("EDITORS".into()),
                ..UpdateRole::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "EDITORS");
    // Deleting frees the name.
    svc.delete_role(&sys(), editors.id.as_str()).await.unwrap();
    create_role(&svc, "editors", false).await;
}

pub async fn role_input_is_validated(fx: Fixture) {
    let svc = fx.service();
    let bad = [
        CreateRole {
            name: String::new(),
            ..CreateRole::default()
        },
        CreateRole {
            name: "r".repeat(129),
            ..CreateRole::default()
        },
        CreateRole {
            name: "bell\u{7}".into(),
            ..CreateRole::default()
        },
        CreateRole {
            name: "ok".into(),
            description: Some("d".repeat(1025)),
            ..CreateRole::default()
        },
        CreateRole {
            name: "ok".into(),
            permissions: vec!["has space".into()],
            ..CreateRole::default()
        },
        CreateRole {
            name: "ok".into(),
            permissions: vec![String::new()],
            ..CreateRole::default()
        },
        CreateRole {
            name: "ok".into(),
            permissions: vec!["p".repeat(129)],
            ..CreateRole::default()
        },
    ];
    for input in bad {
        expect_err(svc.create_role(&sys(), input).await, "VALIDATION", None);
    }
    let at_limits = svc
        .create_role(
            &sys(),
            CreateRole {
                name: "\u{e9}".repeat(128),
                description: Some("d".repeat(1024)),
                permissions: vec!["p".repeat(128)],
                is_default: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(at_limits.name.chars().count(), 128);
    let roles = svc
        .search_roles(&sys(), None, PageArgs::default(), true)
        .await
        .unwrap();
    assert_eq!(roles.total(), Some(1), "only the valid role exists");
}

pub async fn default_roles_are_assigned_at_create(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let member = create_role(&svc, "Member", true).await;
    let reader = create_role(&svc, "Reader", true).await;
    let admin = create_role(&svc, "Admin", false).await;

    let user = create_named(&svc, "newcomer").await;
    assert_eq!(role_ids_of(&svc, &user.id).await, ids([&member, &reader]));
    assert!(!role_ids_of(&svc, &user.id).await.contains(&admin.id));
    let created = &user_logs(storage, &user.id).await[0];
    assert_eq!(created.key, log_keys::USER_CREATED);
    assert_eq!(
        payload_set(created, "roleIds"),
        id_strings(&[&member, &reader]).into_iter().collect()
    );
    assert_eq!(payload_set(created, "fields"), set(["username"]));
    // The assignment is part of the creation, not a separate change.
    assert_eq!(user_logs(storage, &user.id).await.len(), 1);

    // A role that stops being default is not given to later users.
    svc.update_role(
        &sys(),
        reader.id.as_str(),
        UpdateRole {
            is_default: Some(false),
            ..UpdateRole::default()
        },
    )
    .await
    .unwrap();
    let later = create_named(&svc, "later").await;
    assert_eq!(role_ids_of(&svc, &later.id).await, ids([&member]));
    assert_eq!(role_ids_of(&svc, &user.id).await, ids([&member, &reader]));
}

pub async fn assign_is_idempotent(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let a = create_role(&svc, "A", false).await;
    let b = create_role(&svc, "B", false).await;
    let user = create_named(&svc, "assignee").await;
    let id = user.id.as_str();

    let after = svc
        .assign_user_roles(&sys(), id, &id_strings(&[&a]))
        .await
        .unwrap();
    assert_eq!(
        after.version, user.version,
        "assignments do not touch the user record"
    );
    assert_eq!(after.updated_at, user.updated_at);
    svc.assign_user_roles(&sys(), id, &id_strings(&[&a]))
        .await
        .unwrap();
    svc.assign_user_roles(&sys(), id, &id_strings(&[&a, &b, &a]))
        .await
        .unwrap();
    assert_eq!(role_ids_of(&svc, &user.id).await, ids([&a, &b]));
    assert_eq!(
        storage
            .role_ids_of_users(std::slice::from_ref(&user.id))
            .await
            .unwrap()[&user.id],
        {
            let mut sorted = vec![a.id.clone(), b.id.clone()];
            sorted.sort();
            sorted
        },
        "storage lists role ids sorted"
    );

    let logs = user_logs(storage, &user.id).await;
    assert_eq!(
        keys(&logs),
        vec![
            log_keys::USER_ROLES_ASSIGNED,
            log_keys::USER_ROLES_ASSIGNED,
            log_keys::USER_CREATED,
        ],
        "assigning what is held already writes nothing"
    );
    assert_eq!(payload_set(&logs[0], "roleIds"), set([b.id.as_str()]));
    assert_eq!(payload_set(&logs[1], "roleIds"), set([a.id.as_str()]));
}

pub async fn replace_and_remove(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let a = create_role(&svc, "A", false).await;
    let b = create_role(&svc, "B", false).await;
    let c = create_role(&svc, "C", false).await;
    let user = create_named(&svc, "juggler").await;
    let id = user.id.as_str();

    svc.assign_user_roles(&sys(), id, &id_strings(&[&a, &b]))
        .await
        .unwrap();
    svc.replace_user_roles(&sys(), id, &id_strings(&[&b, &c]))
        .await
        .unwrap();
    assert_eq!(role_ids_of(&svc, &user.id).await, ids([&b, &c]));
    let logs = user_logs(storage, &user.id).await;
    let recent: Vec<_> = logs[..2].iter().collect();
    let assigned = recent
        .iter()
        .find(|l| l.key == log_keys::USER_ROLES_ASSIGNED)
        .expect("replace logs what it added");
    let removed = recent
        .iter()
        .find(|l| l.key == log_keys::USER_ROLES_REMOVED)
        .expect("replace logs what it removed");
    assert_eq!(payload_set(assigned, "roleIds"), set([c.id.as_str()]));
    assert_eq!(payload_set(removed, "roleIds"), set([a.id.as_str()]));

    // Replacing with the same set changes nothing.
    let count = logs.len();
    svc.replace_user_roles(&sys(), id, &id_strings(&[&c, &b]))
        .await
        .unwrap();
    assert_eq!(user_logs(storage, &user.id).await.len(), count);

    svc.remove_user_role(&sys(), id, b.id.as_str())
        .await
        .unwrap();
    assert_eq!(role_ids_of(&svc, &user.id).await, ids([&c]));
    let removed = &user_logs(storage, &user.id).await[0];
    assert_eq!(removed.key, log_keys::USER_ROLES_REMOVED);
    assert_eq!(payload_set(removed, "roleIds"), set([b.id.as_str()]));

    svc.replace_user_roles(&sys(), id, &[]).await.unwrap();
    assert!(role_ids_of(&svc, &user.id).await.is_empty());
    let logs = user_logs(storage, &user.id).await;
    assert_eq!(logs[0].key, log_keys::USER_ROLES_REMOVED);
    assert_eq!(payload_set(&logs[0], "roleIds"), set([c.id.as_str()]));
}

pub async fn delete_role_removes_assignments(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let doomed = create_role(&svc, "Doomed", false).await;
    let kept = create_role(&svc, "Kept", false).await;
    let mut users = Vec::new();
    for name in ["one", "two", "three"] {
        let user = create_named(&svc, name).await;
        svc.assign_user_roles(&sys(), user.id.as_str(), &id_strings(&[&doomed, &kept]))
            .await
            .unwrap();
        users.push(user.id);
    }
    svc.delete_role(&sys(), doomed.id.as_str()).await.unwrap();

    let by_user = svc.roles_of_users(&sys(), &users).await.unwrap();
    for id in &users {
        let held = by_user.get(id).map(ids).unwrap_or_default();
        assert_eq!(held, ids([&kept]), "the deleted role is gone from {id}");
    }
    let raw = storage.role_ids_of_users(&users).await.unwrap();
    for id in &users {
        assert_eq!(raw.get(id), Some(&vec![kept.id.clone()]));
    }
    let holders = svc
        .role_users(&sys(), &kept.id, PageArgs::default(), true)
        .await
        .unwrap();
    assert_eq!(holders.total(), Some(3));
    // The role's users list is gone with it.
    let after = svc
        .role_users(&sys(), &doomed.id, PageArgs::default(), true)
        .await;
    if let Ok(page) = after {
        assert_eq!(page.total(), Some(0));
        assert!(page.edges.is_empty());
    } else {
        expect_err(after, "NOT_FOUND", None);
    }
    let deleted = &logs_where(storage, role_log_filter(&doomed)).await[0];
    assert_eq!(deleted.key, log_keys::ROLE_DELETED);
    assert_eq!(deleted.payload, json!({"name": "Doomed"}));
}

pub async fn missing_role_or_user_is_not_found(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let real = create_role(&svc, "Real", false).await;
    let user = create_named(&svc, "someone").await;
    let id = user.id.as_str();
    let ghost = RoleId::generate().to_string();
    let logs_before = all_logs(storage).await.len();

    expect_err(
        svc.assign_user_roles(&sys(), id, &[real.id.to_string(), ghost.clone()])
            .await,
        "NOT_FOUND",
        None,
    );
    expect_err(
        svc.replace_user_roles(&sys(), id, &[real.id.to_string(), ghost.clone()])
            .await,
        "NOT_FOUND",
        None,
    );
    expect_err(
        svc.assign_user_roles(&sys(), id, &["not a role id".into()])
            .await,
        "VALIDATION",
        None,
    );
    expect_err(
        svc.assign_user_roles(&sys(), UserId::generate().as_str(), &[real.id.to_string()])
            .await,
        "NOT_FOUND",
        None,
    );
    assert!(
        role_ids_of(&svc, &user.id).await.is_empty(),
        "nothing was assigned"
    );
    assert_eq!(
        all_logs(storage).await.len(),
        logs_before,
        "nothing was logged"
    );
    assert_eq!(svc.role(&sys(), &ghost).await.unwrap(), None);
}

pub async fn role_users_pages(fx: Fixture) {
    let svc = fx.service();
    let role = create_role(&svc, "Club", false).await;
    let mut members: Vec<User> = Vec::new();
    for i in 0..5 {
        let user = create_named(&svc, &format!("member{i}")).await;
        svc.assign_user_roles(&sys(), user.id.as_str(), &[role.id.to_string()])
            .await
            .unwrap();
        members.push(user);
    }
    create_named(&svc, "outsider").await;

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = svc
            .role_users(
                &sys(),
                &role.id,
                PageArgs {
                    first: Some(2),
                    after: after.clone(),
                    ..PageArgs::default()
                },
                true,
            )
            .await
            .unwrap();
        assert_eq!(page.total(), Some(5));
        assert!(page.edges.len() <= 2);
        seen.extend(page.nodes().map(|u| u.id.clone()));
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor().map(str::to_owned);
    }
    // Newest first, like every user list.
    let expected: Vec<_> = members.iter().rev().map(|u| u.id.clone()).collect();
    assert_eq!(seen, expected);
}

pub async fn roles_list_by_name(fx: Fixture) {
    let svc = fx.service();
    for name in ["beta", "Alpha", "gamma", "Delta", "epsilon"] {
        create_role(&svc, name, false).await;
    }
    let mut names = Vec::new();
    let mut after = None;
    loop {
        let page = svc
            .search_roles(
                &sys(),
                None,
                PageArgs {
                    first: Some(2),
                    after: after.clone(),
                    ..PageArgs::default()
                },
                true,
            )
            .await
            .unwrap();
        assert_eq!(page.total(), Some(5));
        names.extend(page.nodes().map(|r| r.name.clone()));
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor().map(str::to_owned);
    }
    assert_eq!(names, vec!["Alpha", "beta", "Delta", "epsilon", "gamma"]);

    let found = svc
        .search_roles(&sys(), Some("ELTA".into()), PageArgs::default(), true)
        .await
        .unwrap();
    assert_eq!(
        found.nodes().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        vec!["Delta"]
    );
    assert_eq!(found.total(), Some(1));
}
