//! Creating, reading, updating and deleting users through the service.

use serde_json::json;
use usergraph_core::service::{CreateUser, IdentityInput, Patch, ProfileInput, UpdateUser};
use usergraph_core::storage::UniqueKey;
use usergraph_core::{Error, UserId};

use crate::Fixture;
use crate::support::{all_users, create_named, expect_err, object, sys, user_logs};

pub async fn create_and_read(fx: Fixture) {
    let svc = fx.service();
    let created = svc
        .create_user(
            &sys(),
            CreateUser {
                username: Some("Ada_Lovelace".into()),
                primary_email: Some("Ada@Example.com".into()),
                primary_phone: Some("+44 20 7946 0958".into()),
                name: Some("Ada Lovelace".into()),
                avatar: Some("https://example.com/ada.png".into()),
                profile: Some(ProfileInput {
                    given_name: Patch::Value("Ada".into()),
                    family_name: Patch::Value("Lovelace".into()),
                    ..ProfileInput::default()
                }),
                custom_data: Some(json!({"plan": "pro", "seats": 3})),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();

    assert_eq!(created.username.as_deref(), Some("Ada_Lovelace"));
    assert_eq!(created.primary_email.as_deref(), Some("Ada@Example.com"));
    assert_eq!(created.primary_phone.as_deref(), Some("442079460958"));
    assert_eq!(created.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        created.avatar.as_deref(),
        Some("https://example.com/ada.png")
    );
    assert_eq!(created.profile.given_name.as_deref(), Some("Ada"));
    assert_eq!(created.profile.family_name.as_deref(), Some("Lovelace"));
    assert_eq!(
        created.custom_data,
        object(json!({"plan": "pro", "seats": 3}))
    );
    assert!(created.password.is_none());
    assert!(!created.is_suspended);
    assert!(created.identities.is_empty());
    assert_eq!(created.last_sign_in_at, None);
    assert_eq!(created.created_at, created.updated_at);
    assert_eq!(
        created.id.as_str().len(),
        12,
        "generated ids are 12 characters"
    );

    let read = svc.user(&sys(), created.id.as_str()).await.unwrap();
    assert_eq!(
        read.as_ref(),
        Some(&created),
        "service read returns what create returned"
    );
    let stored = fx.storage().user(&created.id).await.unwrap();
    assert_eq!(
        stored.as_ref(),
        Some(&created),
        "storage holds what create returned"
    );
    let batch = svc
        .users_by_ids(&sys(), &[UserId::generate(), created.id.clone()])
        .await
        .unwrap();
    assert_eq!(batch, vec![created]);
}

pub async fn create_with_imported_id(fx: Fixture) {
    let svc = fx.service();
    let user = svc
        .create_user(
            &sys(),
            CreateUser {
                id: Some("legacy_User-42".into()),
                username: Some("imported".into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(user.id.as_str(), "legacy_User-42");
    assert!(svc.user(&sys(), "legacy_User-42").await.unwrap().is_some());

    let again = svc
        .create_user(
            &sys(),
            CreateUser {
                id: Some("legacy_User-42".into()),
                username: Some("other".into()),
                ..CreateUser::default()
            },
        )
        .await;
    expect_err(again, "CONFLICT", None);
    expect_err(
        svc.create_user(
            &sys(),
            CreateUser {
                id: Some("bad id".into()),
                ..CreateUser::default()
            },
        )
        .await,
        "VALIDATION",
        None,
    );
    assert_eq!(all_users(fx.storage().as_ref()).await.len(), 1);
}

pub async fn read_missing_and_malformed_ids(fx: Fixture) {
    let svc = fx.service();
    let missing = UserId::generate();
    assert_eq!(svc.user(&sys(), missing.as_str()).await.unwrap(), None);
    for bad in ["", "has space", "semi;colon", &"a".repeat(65)] {
        expect_err(svc.user(&sys(), bad).await, "VALIDATION", None);
    }
    assert!(
        svc.users_by_ids(&sys(), &[missing])
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn normalizes_phone_and_unicode(fx: Fixture) {
    let svc = fx.service();
    let user = svc
        .create_user(
            &sys(),
            CreateUser {
                username: Some("MixedCase".into()),
                primary_email: Some("Someone@Example.ORG".into()),
                primary_phone: Some("+1 (555) 010-9999".into()),
                // "e" + combining acute accent: stored composed (NFC).
                name: Some("Jose\u{301}".into()),
                profile: Some(ProfileInput {
                    nickname: Patch::Value("Ame\u{301}lie".into()),
                    ..ProfileInput::default()
                }),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(user.primary_phone.as_deref(), Some("15550109999"));
    assert_eq!(user.name.as_deref(), Some("Jos\u{e9}"));
    assert_eq!(user.profile.nickname.as_deref(), Some("Am\u{e9}lie"));
    assert_eq!(
        user.username.as_deref(),
        Some("MixedCase"),
        "case is preserved"
    );
    assert_eq!(user.primary_email.as_deref(), Some("Someone@Example.ORG"));

    let storage = fx.storage();
    for key in [
        UniqueKey::Username("mixedcase".into()),
        UniqueKey::Email("someone@example.org".into()),
        UniqueKey::Phone("15550109999".into()),
    ] {
        let found = storage.user_by_key(&key).await.unwrap();
        assert_eq!(
            found.map(|u| u.id),
            Some(user.id.clone()),
            "lookup by {key:?}"
        );
    }

    let other = svc
        .create_user(
            &sys(),
            CreateUser {
                primary_phone: Some("555.010.1234".into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(other.primary_phone.as_deref(), Some("5550101234"));
    let updated = svc
        .update_user(
            &sys(),
            other.id.as_str(),
            UpdateUser {
                primary_phone: Patch::Value("+49 (30) 1234-5678".into()),
                name: Patch::Value("Zoe\u{308}".into()),
                ..UpdateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.primary_phone.as_deref(), Some("493012345678"));
    assert_eq!(updated.name.as_deref(), Some("Zo\u{eb}"));
}

pub async fn update_absent_keeps_null_clears(fx: Fixture) {
    let svc = fx.service();
    let user = svc
        .create_user(
            &sys(),
            CreateUser {
                username: Some("grace".into()),
                primary_email: Some("grace@example.com".into()),
                primary_phone: Some("15550001111".into()),
                name: Some("Grace".into()),
                avatar: Some("https://example.com/g.png".into()),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();

    let renamed = svc
        .update_user(
            &sys(),
            user.id.as_str(),
            UpdateUser {
                name: Patch::Value("Grace Hopper".into()),
                ..UpdateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name.as_deref(), Some("Grace Hopper"));
    assert_eq!(renamed.username, user.username);
    assert_eq!(renamed.primary_email, user.primary_email);
    assert_eq!(renamed.primary_phone, user.primary_phone);
    assert_eq!(renamed.avatar, user.avatar);
    assert_eq!(renamed.created_at, user.created_at);
    assert!(renamed.updated_at >= user.updated_at);
    assert_eq!(renamed.version, user.version + 1);

    let cleared = svc
        .update_user(
            &sys(),
            user.id.as_str(),
            UpdateUser {
                avatar: Patch::Null,
                primary_phone: Patch::Null,
                ..UpdateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.avatar, None);
    assert_eq!(cleared.primary_phone, None);
    assert_eq!(cleared.name.as_deref(), Some("Grace Hopper"));
    assert_eq!(cleared.primary_email, user.primary_email);
    assert_eq!(cleared.version, user.version + 2);
    assert_eq!(
        fx.storage().user(&user.id).await.unwrap().as_ref(),
        Some(&cleared)
    );
    let by_phone = fx
        .storage()
        .user_by_key(&UniqueKey::Phone("15550001111".into()))
        .await
        .unwrap();
    assert!(
        by_phone.is_none(),
        "a cleared phone no longer finds the user"
    );
}

pub async fn update_that_changes_nothing_writes_nothing(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let user = create_named(&svc, "steady").await;
    let logs_before = user_logs(storage, &user.id).await.len();

    let same = svc
        .update_user(
            &sys(),
            user.id.as_str(),
            UpdateUser {
                username: Patch::Value("steady".into()),
                name: Patch::Null,
                ..UpdateUser::default()
            },
        )
        .await
        .unwrap();
    let nothing = svc
        .update_user(&sys(), user.id.as_str(), UpdateUser::default())
        .await
        .unwrap();
    assert_eq!(same, user);
    assert_eq!(nothing, user);
    assert_eq!(storage.user(&user.id).await.unwrap().as_ref(), Some(&user));
    assert_eq!(user_logs(storage, &user.id).await.len(), logs_before);
}

pub async fn delete_removes_user(fx: Fixture) {
    let svc = fx.service();
    let keep = create_named(&svc, "keeper").await;
    let user = create_named(&svc, "leaver").await;
    let deleted = svc.delete_user(&sys(), user.id.as_str()).await.unwrap();
    assert_eq!(deleted, user.id);
    assert_eq!(svc.user(&sys(), user.id.as_str()).await.unwrap(), None);
    assert_eq!(fx.storage().user(&user.id).await.unwrap(), None);
    let lookup = fx
        .storage()
        .user_by_key(&UniqueKey::Username("leaver".into()))
        .await
        .unwrap();
    assert!(lookup.is_none());
    assert_eq!(all_users(fx.storage().as_ref()).await, vec![keep]);

    let again = svc.delete_user(&sys(), user.id.as_str()).await;
    assert!(
        matches!(
            again,
            Err(Error::NotFound {
                entity: usergraph_core::Entity::User,
                ..
            })
        ),
        "deleting twice is NOT_FOUND, got {again:?}"
    );
}

pub async fn mutations_on_missing_user_are_not_found(fx: Fixture) {
    let svc = fx.service();
    let s = sys();
    let id = UserId::generate();
    let id = id.as_str();
    let name = UpdateUser {
        name: Patch::Value("x".into()),
        ..UpdateUser::default()
    };
    let identity = IdentityInput {
        user_id: "g-1".into(),
        details: None,
    };
    expect_err(
        svc.update_user(&s, id, name.clone()).await,
        "NOT_FOUND",
        None,
    );
    expect_err(
        svc.update_user_profile(&s, id, ProfileInput::default())
            .await,
        "NOT_FOUND",
        None,
    );
    expect_err(
        svc.update_user_custom_data(&s, id, json!({"a": 1}), false)
            .await,
        "NOT_FOUND",
        None,
    );
    expect_err(svc.delete_user(&s, id).await, "NOT_FOUND", None);
    expect_err(
        svc.set_user_password(&s, id, "long enough pw".into()).await,
        "NOT_FOUND",
        None,
    );
    expect_err(
        svc.verify_user_password(&s, id, "long enough pw".into())
            .await,
        "NOT_FOUND",
        None,
    );
    expect_err(
        svc.set_user_suspended(&s, id, true).await,
        "NOT_FOUND",
        None,
    );
    expect_err(
        svc.link_user_identity(&s, id, "google", identity.clone())
            .await,
        "NOT_FOUND",
        None,
    );
    expect_err(
        svc.unlink_user_identity(&s, id, "google").await,
        "NOT_FOUND",
        None,
    );
    expect_err(svc.assign_user_roles(&s, id, &[]).await, "NOT_FOUND", None);
    expect_err(svc.replace_user_roles(&s, id, &[]).await, "NOT_FOUND", None);

    // A malformed id is a validation error, never a lookup.
    let bad = "not an id";
    expect_err(svc.update_user(&s, bad, name).await, "VALIDATION", None);
    expect_err(svc.delete_user(&s, bad).await, "VALIDATION", None);
    expect_err(
        svc.set_user_suspended(&s, bad, true).await,
        "VALIDATION",
        None,
    );
    expect_err(
        svc.link_user_identity(&s, bad, "google", identity).await,
        "VALIDATION",
        None,
    );
    assert!(all_users(fx.storage().as_ref()).await.is_empty());
}
