//! The audit log: every mutation appends its entry in the same transaction,
//! never a secret; entries outlive their user and page newest first.

use std::collections::BTreeSet;

use serde_json::json;
use usergraph_core::model::log_keys;
use usergraph_core::page::PageArgs;
use usergraph_core::query::LogFilter;
use usergraph_core::service::{CreateUser, IdentityInput, Patch, ProfileInput, UpdateUser};
use usergraph_core::{Caller, LogEntry, LogResult, PasswordAlgorithm, Service};

use crate::Fixture;
use crate::passwords::bcrypt_digest;
use crate::roles::create_role;
use crate::support::{
    all_logs, all_users, create_named, create_with_email, expect_err, keys, logs_where,
    payload_set, set, sys, user_logs,
};

pub async fn every_mutation_logs_its_key_and_payload(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let role = create_role(&svc, "Staff", false).await;
    let s = sys();
    let user = svc
        .create_user(
            &s,
            CreateUser {
                username: Some("audited".into()),
                primary_email: Some("audited@example.com".into()),
                custom_data: Some(json!({"a": 1})),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    let id = user.id.as_str();
    let name = UpdateUser {
        name: Patch::Value("Audited".into()),
        ..UpdateUser::default()
    };
    svc.update_user(&s, id, name).await.unwrap();
    let nick = ProfileInput {
        nickname: Patch::Value("aud".into()),
        ..ProfileInput::default()
    };
    svc.update_user_profile(&s, id, nick).await.unwrap();
    svc.update_user_custom_data(&s, id, json!({"b": 2}), false)
        .await
        .unwrap();
    svc.set_user_password(&s, id, "audited password".into())
        .await
        .unwrap();
    svc.verify_user_password(&s, id, "audited password".into())
        .await
        .unwrap();
    svc.set_user_suspended(&s, id, true).await.unwrap();
    svc.set_user_suspended(&s, id, false).await.unwrap();
    let identity = IdentityInput {
        user_id: "gh-1".into(),
        details: None,
    };
    svc.link_user_identity(&s, id, "github", identity)
        .await
        .unwrap();
    svc.unlink_user_identity(&s, id, "github").await.unwrap();
    svc.assign_user_roles(&s, id, &[role.id.to_string()])
        .await
        .unwrap();
    svc.remove_user_role(&s, id, role.id.as_str())
        .await
        .unwrap();
    svc.delete_user(&s, id).await.unwrap();

    let logs = user_logs(storage, &user.id).await;
    let mut expected = vec![
        log_keys::USER_CREATED,
        log_keys::USER_UPDATED,
        log_keys::USER_PROFILE_UPDATED,
        log_keys::USER_CUSTOM_DATA_UPDATED,
        log_keys::USER_PASSWORD_SET,
        log_keys::USER_PASSWORD_VERIFIED,
        log_keys::USER_SUSPENDED,
        log_keys::USER_UNSUSPENDED,
        log_keys::USER_IDENTITY_LINKED,
        log_keys::USER_IDENTITY_UNLINKED,
        log_keys::USER_ROLES_ASSIGNED,
        log_keys::USER_ROLES_REMOVED,
        log_keys::USER_DELETED,
    ];
    expected.reverse();
    assert_eq!(
        keys(&logs),
        expected,
        "one entry per mutation, newest first"
    );
    let by_key = |key: &str| logs.iter().find(|l| l.key == key).unwrap();

    let created = by_key(log_keys::USER_CREATED);
    assert_eq!(
        payload_set(created, "fields"),
        set(["username", "primaryEmail", "customData"])
    );
    assert!(payload_set(created, "roleIds").is_empty());
    assert_eq!(
        payload_set(by_key(log_keys::USER_UPDATED), "fields"),
        set(["name"])
    );
    assert_eq!(
        payload_set(by_key(log_keys::USER_PROFILE_UPDATED), "fields"),
        set(["nickname"])
    );
    let custom = by_key(log_keys::USER_CUSTOM_DATA_UPDATED);
    assert_eq!(custom.payload, json!({"keys": ["b"], "replace": false}));
    assert_eq!(by_key(log_keys::USER_PASSWORD_SET).payload, json!({}));
    assert_eq!(
        by_key(log_keys::USER_PASSWORD_VERIFIED).payload,
        json!({"rehashed": false})
    );
    assert_eq!(by_key(log_keys::USER_SUSPENDED).payload, json!({}));
    assert_eq!(by_key(log_keys::USER_UNSUSPENDED).payload, json!({}));
    assert_eq!(
        by_key(log_keys::USER_IDENTITY_LINKED).payload,
        json!({"provider": "github"})
    );
    assert_eq!(
        by_key(log_keys::USER_IDENTITY_UNLINKED).payload,
        json!({"provider": "github"})
    );
    assert_eq!(
        by_key(log_keys::USER_ROLES_ASSIGNED).payload,
        json!({"roleIds": [role.id.as_str()]})
    );
    assert_eq!(
        by_key(log_keys::USER_ROLES_REMOVED).payload,
        json!({"roleIds": [role.id.as_str()]})
    );
    assert_eq!(by_key(log_keys::USER_DELETED).payload, json!({}));
    for entry in &logs {
        assert_eq!(entry.result, LogResult::Success, "{}", entry.key);
        assert_eq!(entry.error, None, "{}", entry.key);
        assert_eq!(entry.user_id.as_ref(), Some(&user.id));
        assert!(entry.payload.is_object(), "{}", entry.key);
    }
    let times: Vec<_> = logs.iter().map(|l| l.created_at).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
}

pub async fn logs_never_contain_secrets(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let password = "Tr0ub4dor&3-very-secret";
    let imported_secret = "imported-Secret-99";
    let digest = bcrypt_digest(imported_secret, bcrypt::Version::TwoB);

    let user = svc
        .create_user(
            &sys(),
            CreateUser {
                username: Some("secretive".into()),
                password: Some(password.into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    let id = user.id.as_str();
    svc.verify_user_password(&sys(), id, password.into())
        .await
        .unwrap();
    svc.verify_user_password(&sys(), id, "wrong-guess-123".into())
        .await
        .unwrap();
    svc.set_user_password(&sys(), id, format!("{password}!"))
        .await
        .unwrap();
    let imported = svc
        .create_user(
            &sys(),
            CreateUser {
                password_digest: Some(digest.clone()),
                password_algorithm: Some(PasswordAlgorithm::Bcrypt),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    // A good verify that rehashes: neither digest may be logged.
    svc.verify_user_password(&sys(), imported.id.as_str(), imported_secret.into())
        .await
        .unwrap();
    let mut digests = vec![digest];
    for id in [&user.id, &imported.id] {
        let stored = storage.user(id).await.unwrap().unwrap();
        digests.push(stored.password.unwrap().digest);
    }

    let logs = all_logs(storage).await;
    assert_eq!(logs.len(), 6);
    let text = serde_json::to_string(&logs).unwrap();
    let debug = format!("{logs:?}");
    for secret in [password, imported_secret, "wrong-guess-123"]
        .into_iter()
        .chain(digests.iter().map(String::as_str))
    {
        assert!(!text.contains(secret), "a log entry contains a secret");
        assert!(
            !debug.contains(secret),
            "a log entry's debug form contains a secret"
        );
    }
    for marker in ["$argon2", "$2b$"] {
        assert!(!text.contains(marker), "a log entry contains a digest");
    }
}

pub async fn failed_writes_log_nothing_and_change_nothing(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let taken = create_with_email(&svc, "taken@example.com").await;
    let other = create_named(&svc, "other").await;
    let logs_before = all_logs(storage).await;

    expect_err(
        svc.create_user(
            &sys(),
            CreateUser {
                username: Some("newbie".into()),
                primary_email: Some("TAKEN@example.com".into()),
                ..CreateUser::default()
            },
        )
        .await,
        "EMAIL_ALREADY_IN_USE",
        None,
    );
    let steal = UpdateUser {
        name: Patch::Value("Thief".into()),
        primary_email: Patch::Value("taken@example.com".into()),
        ..UpdateUser::default()
    };
    expect_err(
        svc.update_user(&sys(), other.id.as_str(), steal).await,
        "EMAIL_ALREADY_IN_USE",
        None,
    );
    expect_err(
        svc.update_user_custom_data(&sys(), other.id.as_str(), json!([1]), false)
            .await,
        "VALIDATION",
        None,
    );
    expect_err(
        svc.set_user_password(&sys(), other.id.as_str(), "short".into())
            .await,
        "VALIDATION",
        None,
    );

    assert_eq!(
        all_logs(storage).await,
        logs_before,
        "failed writes log nothing"
    );
    assert_eq!(
        all_users(storage).await,
        vec![other, taken],
        "and change nothing"
    );
}

pub async fn logs_of_deleted_user_stay(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let user = create_named(&svc, "ephemeral").await;
    svc.set_user_suspended(&sys(), user.id.as_str(), true)
        .await
        .unwrap();
    svc.delete_user(&sys(), user.id.as_str()).await.unwrap();

    let logs = user_logs(storage, &user.id).await;
    assert_eq!(
        keys(&logs),
        vec![
            log_keys::USER_DELETED,
            log_keys::USER_SUSPENDED,
            log_keys::USER_CREATED
        ]
    );
    let filter = LogFilter {
        user_id: Some(user.id.clone()),
        ..LogFilter::default()
    };
    let page = svc
        .search_logs(&sys(), filter, PageArgs::default(), true)
        .await
        .unwrap();
    assert_eq!(page.total(), Some(3), "the service still lists them");
}

pub async fn filter_by_user_key_result_and_time(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let alice = create_named(&svc, "alice").await;
    let bob = create_named(&svc, "bob").await;
    svc.set_user_password(&sys(), alice.id.as_str(), "alice password".into())
        .await
        .unwrap();
    let between = usergraph_core::time::now();
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    svc.verify_user_password(&sys(), alice.id.as_str(), "alice password".into())
        .await
        .unwrap();
    svc.verify_user_password(&sys(), alice.id.as_str(), "not alices".into())
        .await
        .unwrap();
    svc.verify_user_password(&sys(), bob.id.as_str(), "bob has none".into())
        .await
        .unwrap();

    let list = |filter: LogFilter| {
        let svc = svc.clone();
        async move {
            let page = svc
                .search_logs(&sys(), filter, PageArgs::first(100), true)
                .await
                .unwrap();
            assert_eq!(page.total(), Some(page.edges.len() as u64));
            page.nodes().cloned().collect::<Vec<LogEntry>>()
        }
    };
    let all = list(LogFilter::default()).await;
    assert_eq!(all, all_logs(storage).await);
    assert_eq!(all.len(), 6);

    let of_alice = list(LogFilter {
        user_id: Some(alice.id.clone()),
        ..LogFilter::default()
    })
    .await;
    assert_eq!(of_alice.len(), 4);
    assert!(
        of_alice
            .iter()
            .all(|l| l.user_id.as_ref() == Some(&alice.id))
    );

    let verified = list(LogFilter {
        key: Some(log_keys::USER_PASSWORD_VERIFIED.into()),
        ..LogFilter::default()
    })
    .await;
    assert_eq!(verified.len(), 3);

    let failures = list(LogFilter {
        result: Some(LogResult::Error),
        ..LogFilter::default()
    })
    .await;
    let failed_users: BTreeSet<_> = failures.iter().filter_map(|l| l.user_id.clone()).collect();
    assert_eq!(failures.len(), 2);
    assert_eq!(
        failed_users,
        [alice.id.clone(), bob.id.clone()].into_iter().collect()
    );

    let combined = list(LogFilter {
        user_id: Some(alice.id.clone()),
        key: Some(log_keys::USER_PASSWORD_VERIFIED.into()),
        result: Some(LogResult::Success),
        ..LogFilter::default()
    })
    .await;
    assert_eq!(combined.len(), 1);

    let since = list(LogFilter {
        created_from: Some(between),
        ..LogFilter::default()
    })
    .await;
    assert_eq!(keys(&since), vec![log_keys::USER_PASSWORD_VERIFIED; 3]);
    let before = list(LogFilter {
        created_until: Some(between),
        ..LogFilter::default()
    })
    .await;
    assert_eq!(
        keys(&before),
        vec![
            log_keys::USER_PASSWORD_SET,
            log_keys::USER_CREATED,
            log_keys::USER_CREATED
        ]
    );
    // createdFrom is inclusive, createdUntil exclusive.
    let newest = all[0].created_at;
    let exact = list(LogFilter {
        created_from: Some(newest),
        created_until: Some(newest + chrono::TimeDelta::microseconds(1)),
        ..LogFilter::default()
    })
    .await;
    assert!(exact.iter().any(|l| l.id == all[0].id));
    let none = list(LogFilter {
        created_from: Some(newest),
        created_until: Some(newest),
        ..LogFilter::default()
    })
    .await;
    assert!(none.is_empty());

    let nothing = list(LogFilter {
        key: Some("No.Such.Key".into()),
        ..LogFilter::default()
    })
    .await;
    assert!(nothing.is_empty());
}

pub async fn caller_details_are_recorded(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let actor = create_named(&svc, "actor").await;
    let caller = Caller {
        user_id: Some(actor.id.clone()),
        token_id: Some("tok_123".into()),
        ..Caller::system()
    }
    .with_client(Some("203.0.113.7".into()), Some("conformance/1.0".into()));
    let subject = svc
        .create_user(
            &caller,
            CreateUser {
                username: Some("subject".into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    let role = svc
        .create_role(
            &caller,
            usergraph_core::service::CreateRole {
                name: "Logged".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    for entry in [
        &user_logs(storage, &subject.id).await[0],
        &logs_where(
            storage,
            LogFilter {
                role_id: Some(role.id.clone()),
                ..LogFilter::default()
            },
        )
        .await[0],
    ] {
        assert_eq!(entry.actor_id.as_ref(), Some(&actor.id), "{}", entry.key);
        assert_eq!(entry.token_id.as_deref(), Some("tok_123"));
        assert_eq!(entry.ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(entry.user_agent.as_deref(), Some("conformance/1.0"));
    }
    let system_entry = &user_logs(storage, &actor.id).await[0];
    assert_eq!(system_entry.actor_id, None);
    assert_eq!(system_entry.ip, None);
}

pub async fn newest_first_and_paged(fx: Fixture) {
    let svc = fx.service();
    let user = create_named(&svc, "busy").await;
    for i in 0..9 {
        svc.update_user_custom_data(&sys(), user.id.as_str(), json!({ "n": i }), false)
            .await
            .unwrap();
    }
    let all = all_logs(fx.storage().as_ref()).await;
    assert_eq!(all.len(), 10);
    let positions: Vec<_> = all.iter().map(|l| (l.created_at, l.id.clone())).collect();
    let mut sorted = positions.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(positions, sorted, "createdAt DESC then id DESC");
    assert_eq!(
        all.last().map(|l| l.key.as_str()),
        Some(log_keys::USER_CREATED)
    );

    let walked = walk(&svc, LogFilter::default(), 3, 1, 10).await;
    assert_eq!(walked, all, "paging neither skips nor repeats");
    expect_err(
        svc.search_logs(
            &sys(),
            LogFilter::default(),
            PageArgs {
                after: Some("garbage".into()),
                ..PageArgs::default()
            },
            false,
        )
        .await,
        "VALIDATION",
        Some("after"),
    );
}

/// A caller acting as `user` with every permission, as a signed-in
/// administrator's token would.
fn acting_as(user: &usergraph_core::User) -> Caller {
    Caller {
        user_id: Some(user.id.clone()),
        ..Caller::system()
    }
}

pub async fn filter_by_actor(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let ann = create_named(&svc, "ann").await;
    let ben = create_named(&svc, "ben").await;
    let (as_ann, as_ben) = (acting_as(&ann), acting_as(&ben));
    let create = |caller: Caller, username: &'static str| {
        let svc = svc.clone();
        async move {
            svc.create_user(
                &caller,
                CreateUser {
                    username: Some(username.into()),
                    ..CreateUser::default()
                },
            )
            .await
            .unwrap()
        }
    };
    let xena = create(as_ann.clone(), "xena").await;
    let yuri = create(as_ben.clone(), "yuri").await;
    let (x, y) = (xena.id.as_str(), yuri.id.as_str());
    svc.set_user_password(&as_ann, x, "xena password".into())
        .await
        .unwrap();
    let between = usergraph_core::time::now();
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    svc.verify_user_password(&as_ann, x, "not xenas".into())
        .await
        .unwrap();
    svc.verify_user_password(&as_ben, x, "xena password".into())
        .await
        .unwrap();
    let role = svc
        .create_role(
            &as_ann,
            usergraph_core::service::CreateRole {
                name: "Audited".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    svc.assign_user_roles(&as_ann, y, &[role.id.to_string()])
        .await
        .unwrap();
    svc.set_user_suspended(&sys(), y, true).await.unwrap();

    let list = |filter: LogFilter| {
        let svc = svc.clone();
        async move {
            let page = svc
                .search_logs(&sys(), filter, PageArgs::first(100), true)
                .await
                .unwrap();
            assert_eq!(page.total(), Some(page.edges.len() as u64));
            page.nodes().cloned().collect::<Vec<LogEntry>>()
        }
    };
    let by_ann = |filter: LogFilter| LogFilter {
        actor_id: Some(ann.id.clone()),
        ..filter
    };
    let everything = all_logs(storage).await;
    let anns: Vec<LogEntry> = everything
        .iter()
        .filter(|l| l.actor_id.as_ref() == Some(&ann.id))
        .cloned()
        .collect();
    assert_eq!(list(by_ann(LogFilter::default())).await, anns);
    assert_eq!(
        keys(&anns),
        vec![
            log_keys::USER_ROLES_ASSIGNED,
            log_keys::ROLE_CREATED,
            log_keys::USER_PASSWORD_VERIFIED,
            log_keys::USER_PASSWORD_SET,
            log_keys::USER_CREATED,
        ]
    );

    let ann_on_xena = list(by_ann(LogFilter {
        user_id: Some(xena.id.clone()),
        ..LogFilter::default()
    }))
    .await;
    assert_eq!(
        keys(&ann_on_xena),
        vec![
            log_keys::USER_PASSWORD_VERIFIED,
            log_keys::USER_PASSWORD_SET,
            log_keys::USER_CREATED,
        ]
    );
    let ann_on_role = list(by_ann(LogFilter {
        role_id: Some(role.id.clone()),
        ..LogFilter::default()
    }))
    .await;
    assert_eq!(keys(&ann_on_role), vec![log_keys::ROLE_CREATED]);
    let verified = list(by_ann(LogFilter {
        key: Some(log_keys::USER_PASSWORD_VERIFIED.into()),
        ..LogFilter::default()
    }))
    .await;
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].result, LogResult::Error);
    let succeeded = list(LogFilter {
        actor_id: Some(ben.id.clone()),
        result: Some(LogResult::Success),
        ..LogFilter::default()
    })
    .await;
    assert_eq!(
        keys(&succeeded),
        vec![log_keys::USER_PASSWORD_VERIFIED, log_keys::USER_CREATED]
    );
    let failed_by_ben = list(LogFilter {
        actor_id: Some(ben.id.clone()),
        result: Some(LogResult::Error),
        ..LogFilter::default()
    })
    .await;
    assert!(failed_by_ben.is_empty());
    let since = list(by_ann(LogFilter {
        created_from: Some(between),
        ..LogFilter::default()
    }))
    .await;
    assert_eq!(since, anns[..3].to_vec());
    let before = list(by_ann(LogFilter {
        created_until: Some(between),
        ..LogFilter::default()
    }))
    .await;
    assert_eq!(before, anns[3..].to_vec());
    // A user who never acted, and entries without an actor (the process's),
    // match no actor filter.
    assert!(
        list(LogFilter {
            actor_id: Some(xena.id.clone()),
            ..LogFilter::default()
        })
        .await
        .is_empty()
    );
    assert!(everything.iter().any(|l| l.actor_id.is_none()));

    // Paging by actor neither skips nor repeats, counted or not, and a
    // cursor of the actor's list is refused for the unfiltered list.
    let walked = walk(&svc, by_ann(LogFilter::default()), 2, 0, 5).await;
    assert_eq!(walked, anns, "paging neither skips nor repeats");
    let first = svc
        .search_logs(
            &sys(),
            by_ann(LogFilter::default()),
            PageArgs::first(1),
            false,
        )
        .await
        .unwrap();
    expect_err(
        svc.search_logs(
            &sys(),
            LogFilter::default(),
            PageArgs {
                first: Some(1),
                after: first.end_cursor().map(str::to_owned),
                ..PageArgs::default()
            },
            false,
        )
        .await,
        "VALIDATION",
        Some("after"),
    );
}

/// Every entry `filter` selects, walked `first` at a time; pages whose
/// number has the parity `counted_parity` ask for the total, which must be
/// `total` (counting must not change the page).
async fn walk(
    svc: &Service,
    filter: LogFilter,
    first: i64,
    counted_parity: usize,
    total: u64,
) -> Vec<LogEntry> {
    let mut walked = Vec::new();
    let mut after = None;
    for page_no in 0.. {
        let counted = page_no % 2 == counted_parity;
        let page = svc
            .search_logs(
                &sys(),
                filter.clone(),
                PageArgs {
                    first: Some(first),
                    after: after.clone(),
                    ..PageArgs::default()
                },
                counted,
            )
            .await
            .unwrap();
        assert_eq!(page.total(), counted.then_some(total));
        walked.extend(page.nodes().cloned());
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor().map(str::to_owned);
    }
    walked
}
