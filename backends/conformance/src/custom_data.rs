//! `updateUserCustomData`: top-level merge where null removes a key, or
//! whole replacement; always a JSON object of at most 64 KiB.

use serde_json::{Value, json};
use usergraph_core::model::log_keys;
use usergraph_core::service::CreateUser;

use crate::Fixture;
use crate::support::{
    all_users, create_named, expect_err, object, payload_set, set, sys, user_logs,
};

const LIMIT: usize = 65536;

/// `{"k":"xxx…"}` serialized to exactly `size` bytes.
fn blob_of_size(size: usize) -> Value {
    let value = json!({ "k": "x".repeat(size - 8) });
    assert_eq!(serde_json::to_string(&value).unwrap().len(), size);
    value
}

pub async fn merge_replaces_top_level_keys_and_null_removes(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let user = svc
        .create_user(
            &sys(),
            CreateUser {
                custom_data: Some(
                    json!({"a": 1, "b": {"x": 1, "keep": true}, "c": "gone soon", "d": [1]}),
                ),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    let merged = svc
        .update_user_custom_data(
            &sys(),
            user.id.as_str(),
            json!({"a": 2, "b": {"y": 2}, "c": null, "e": "new", "absent": null}),
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        merged.custom_data,
        object(json!({"a": 2, "b": {"y": 2}, "d": [1], "e": "new"})),
        "top-level keys replaced (not deep-merged), null removes, others kept"
    );
    assert_eq!(merged.version, user.version + 1);
    assert_eq!(
        storage.user(&user.id).await.unwrap().as_ref(),
        Some(&merged)
    );

    let log = &user_logs(storage, &user.id).await[0];
    assert_eq!(log.key, log_keys::USER_CUSTOM_DATA_UPDATED);
    assert_eq!(payload_set(log, "keys"), set(["a", "b", "c", "e"]));
    assert_eq!(log.payload["replace"], json!(false));
}

pub async fn replace_takes_object_as_given(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let user = svc
        .create_user(
            &sys(),
            CreateUser {
                custom_data: Some(json!({"old": 1, "same": "s"})),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    let replaced = svc
        .update_user_custom_data(
            &sys(),
            user.id.as_str(),
            json!({"same": "s", "n": null, "z": {"deep": [1, 2]}}),
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        replaced.custom_data,
        object(json!({"same": "s", "n": null, "z": {"deep": [1, 2]}})),
        "replace keeps nulls as given"
    );
    let log = &user_logs(storage, &user.id).await[0];
    assert_eq!(log.key, log_keys::USER_CUSTOM_DATA_UPDATED);
    assert_eq!(log.payload["replace"], json!(true));
    assert_eq!(payload_set(log, "keys"), set(["old", "n", "z"]));

    let emptied = svc
        .update_user_custom_data(&sys(), user.id.as_str(), json!({}), true)
        .await
        .unwrap();
    assert!(emptied.custom_data.is_empty());
}

pub async fn unchanged_merge_writes_nothing(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let user = svc
        .create_user(
            &sys(),
            CreateUser {
                custom_data: Some(json!({"a": 1})),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    let logs_before = user_logs(storage, &user.id).await.len();
    for (data, replace) in [
        (json!({"a": 1}), false),
        (json!({"missing": null}), false),
        (json!({}), false),
        (json!({"a": 1}), true),
    ] {
        let same = svc
            .update_user_custom_data(&sys(), user.id.as_str(), data, replace)
            .await
            .unwrap();
        assert_eq!(same, user);
    }
    assert_eq!(user_logs(storage, &user.id).await.len(), logs_before);
    assert_eq!(storage.user(&user.id).await.unwrap().as_ref(), Some(&user));
}

pub async fn size_limit_is_64_kib(fx: Fixture) {
    let svc = fx.service();
    let at_limit = svc
        .create_user(
            &sys(),
            CreateUser {
                custom_data: Some(blob_of_size(LIMIT)),
                ..CreateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_string(&at_limit.custom_data).unwrap().len(),
        LIMIT
    );
    expect_err(
        svc.create_user(
            &sys(),
            CreateUser {
                custom_data: Some(blob_of_size(LIMIT + 1)),
                ..CreateUser::default()
            },
        )
        .await,
        "VALIDATION",
        Some("customData"),
    );
    for replace in [false, true] {
        expect_err(
            svc.update_user_custom_data(
                &sys(),
                at_limit.id.as_str(),
                blob_of_size(LIMIT + 1),
                replace,
            )
            .await,
            "VALIDATION",
            Some("customData"),
        );
    }
    // A merge whose input is small but whose result is too big.
    expect_err(
        svc.update_user_custom_data(&sys(), at_limit.id.as_str(), json!({"more": "x"}), false)
            .await,
        "VALIDATION",
        Some("customData"),
    );
    let users = all_users(fx.storage().as_ref()).await;
    assert_eq!(users, vec![at_limit]);
}

pub async fn must_be_an_object(fx: Fixture) {
    let svc = fx.service();
    let user = create_named(&svc, "objects").await;
    for bad in [json!(null), json!([]), json!(1), json!("s"), json!(true)] {
        for replace in [false, true] {
            expect_err(
                svc.update_user_custom_data(&sys(), user.id.as_str(), bad.clone(), replace)
                    .await,
                "VALIDATION",
                Some("customData"),
            );
        }
    }
    assert_eq!(fx.storage().user(&user.id).await.unwrap(), Some(user));
}
