//! Username and email are unique case-insensitively, phone on its digits,
//! on create and on update, and under concurrency.

use std::sync::Arc;

use usergraph_core::service::{CreateUser, Patch, UpdateUser};
use usergraph_core::storage::UniqueKey;

use crate::Fixture;
use crate::support::{all_logs, all_users, create_named, create_with_email, expect_err, sys};

fn with_phone(phone: &str) -> CreateUser {
    CreateUser {
        primary_phone: Some(phone.to_owned()),
        ..CreateUser::default()
    }
}

pub async fn username_is_case_insensitive(fx: Fixture) {
    let svc = fx.service();
    create_named(&svc, "Alice").await;
    for taken in ["alice", "ALICE", "aLiCe"] {
        let result = svc
            .create_user(
                &sys(),
                CreateUser {
                    username: Some(taken.into()),
                    ..CreateUser::default()
                },
            )
            .await;
        expect_err(result, "USERNAME_ALREADY_IN_USE", Some("username"));
    }
    create_named(&svc, "Alice2").await;
    assert_eq!(all_users(fx.storage().as_ref()).await.len(), 2);
}

pub async fn email_is_case_insensitive(fx: Fixture) {
    let svc = fx.service();
    create_with_email(&svc, "Bob@Example.com").await;
    for taken in ["bob@example.com", "BOB@EXAMPLE.COM"] {
        let result = svc
            .create_user(
                &sys(),
                CreateUser {
                    username: Some("someone_else".into()),
                    primary_email: Some(taken.into()),
                    ..CreateUser::default()
                },
            )
            .await;
        expect_err(result, "EMAIL_ALREADY_IN_USE", Some("primaryEmail"));
    }
    // The failed creates did not keep their username either.
    create_named(&svc, "someone_else").await;
}

pub async fn phone_is_unique_on_digits(fx: Fixture) {
    let svc = fx.service();
    svc.create_user(&sys(), with_phone("+1 (555) 010-2000"))
        .await
        .unwrap();
    for taken in ["15550102000", "+15550102000", "1.555.010.2000"] {
        let result = svc.create_user(&sys(), with_phone(taken)).await;
        expect_err(result, "PHONE_ALREADY_IN_USE", Some("primaryPhone"));
    }
    svc.create_user(&sys(), with_phone("5550102000"))
        .await
        .unwrap();
}

pub async fn update_to_taken_identifier_is_rejected(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let a = svc
        .create_user(
            &sys(),
            CreateUser {
                username: Some("owner".into()),
                primary_email: Some("owner@example.com".into()),
                primary_phone: Some("15550103000".into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    let b = create_named(&svc, "other").await;
    let logs_before = all_logs(storage).await.len();

    let cases = [
        (
            UpdateUser {
                username: Patch::Value("OWNER".into()),
                ..UpdateUser::default()
            },
            "USERNAME_ALREADY_IN_USE",
        ),
        (
            UpdateUser {
                primary_email: Patch::Value("Owner@Example.COM".into()),
                ..UpdateUser::default()
            },
            "EMAIL_ALREADY_IN_USE",
        ),
        (
            UpdateUser {
                primary_phone: Patch::Value("+1 555 010 3000".into()),
                ..UpdateUser::default()
            },
            "PHONE_ALREADY_IN_USE",
        ),
        (
            // The name would be fine; the whole update still fails.
            UpdateUser {
                name: Patch::Value("Other".into()),
                primary_email: Patch::Value("owner@example.com".into()),
                ..UpdateUser::default()
            },
            "EMAIL_ALREADY_IN_USE",
        ),
    ];
    for (input, code) in cases {
        expect_err(
            svc.update_user(&sys(), b.id.as_str(), input).await,
            code,
            None,
        );
    }
    assert_eq!(storage.user(&b.id).await.unwrap().as_ref(), Some(&b));
    assert_eq!(storage.user(&a.id).await.unwrap().as_ref(), Some(&a));
    assert_eq!(
        all_logs(storage).await.len(),
        logs_before,
        "failed updates log nothing"
    );
}

pub async fn own_identifier_case_change_is_allowed(fx: Fixture) {
    let svc = fx.service();
    let user = svc
        .create_user(
            &sys(),
            CreateUser {
                username: Some("carol".into()),
                primary_email: Some("carol@example.com".into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    let updated = svc
        .update_user(
            &sys(),
            user.id.as_str(),
            UpdateUser {
                username: Patch::Value("Carol".into()),
                primary_email: Patch::Value("Carol@Example.com".into()),
                ..UpdateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.username.as_deref(), Some("Carol"));
    assert_eq!(updated.primary_email.as_deref(), Some("Carol@Example.com"));
    let found = fx
        .storage()
        .user_by_key(&UniqueKey::Email("carol@example.com".into()))
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.id), Some(user.id));
}

pub async fn concurrent_creates_of_one_email_have_one_winner(fx: Fixture) {
    const CREATORS: usize = 50;
    let svc = fx.service();
    let barrier = Arc::new(tokio::sync::Barrier::new(CREATORS));
    let tasks: Vec<_> = (0..CREATORS)
        .map(|i| {
            let svc = svc.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                svc.create_user(
                    &sys(),
                    CreateUser {
                        // Differing case, one address.
                        primary_email: Some(if i % 2 == 0 {
                            "race@example.com".to_owned()
                        } else {
                            "RACE@example.com".to_owned()
                        }),
                        ..CreateUser::default()
                    },
                )
                .await
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut losers = 0;
    for result in futures::future::join_all(tasks).await {
        match result.unwrap() {
            Ok(user) => winners.push(user),
            Err(err) => {
                assert_eq!(err.code(), "EMAIL_ALREADY_IN_USE", "{err:?}");
                losers += 1;
            }
        }
    }
    assert_eq!(winners.len(), 1, "exactly one creator wins");
    assert_eq!(losers, CREATORS - 1);
    let users = all_users(fx.storage().as_ref()).await;
    assert_eq!(users, winners, "only the winner is stored");
    let logs = all_logs(fx.storage().as_ref()).await;
    assert_eq!(logs.len(), 1, "only the winner is logged");
}

pub async fn freed_identifiers_are_reusable(fx: Fixture) {
    let svc = fx.service();
    let first = svc
        .create_user(
            &sys(),
            CreateUser {
                username: Some("dave".into()),
                primary_email: Some("dave@example.com".into()),
                primary_phone: Some("15550104000".into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    // Freed by update: the old email and phone become available.
    svc.update_user(
        &sys(),
        first.id.as_str(),
        UpdateUser {
            primary_email: Patch::Value("dave@example.org".into()),
            primary_phone: Patch::Null,
            ..UpdateUser::default()
        },
    )
    .await
    .unwrap();
    let second = svc
        .create_user(
            &sys(),
            CreateUser {
                primary_email: Some("DAVE@example.com".into()),
                primary_phone: Some("+1 555 010 4000".into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    expect_err(
        svc.create_user(
            &sys(),
            CreateUser {
                primary_email: Some("dave@example.org".into()),
                ..CreateUser::default()
            },
        )
        .await,
        "EMAIL_ALREADY_IN_USE",
        None,
    );

    // Freed by delete: everything the user held.
    svc.delete_user(&sys(), first.id.as_str()).await.unwrap();
    let third = svc
        .create_user(
            &sys(),
            CreateUser {
                username: Some("Dave".into()),
                primary_email: Some("dave@example.org".into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    let storage = fx.storage();
    let by_name = storage
        .user_by_key(&UniqueKey::Username("dave".into()))
        .await
        .unwrap();
    assert_eq!(by_name.map(|u| u.id), Some(third.id));
    let by_phone = storage
        .user_by_key(&UniqueKey::Phone("15550104000".into()))
        .await
        .unwrap();
    assert_eq!(by_phone.map(|u| u.id), Some(second.id));
}
