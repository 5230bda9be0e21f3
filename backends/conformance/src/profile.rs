//! `updateUserProfile`: a shallow merge of OIDC claims; the address merges
//! at its own level.

use usergraph_core::Address;
use usergraph_core::model::log_keys;
use usergraph_core::service::{AddressInput, Patch, ProfileInput};

use crate::Fixture;
use crate::support::{create_named, expect_err, payload_set, set, sys, user_logs};

pub async fn shallow_merge_of_claims(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let user = create_named(&svc, "claims").await;
    let id = user.id.as_str();

    let first = svc
        .update_user_profile(
            &sys(),
            id,
            ProfileInput {
                given_name: Patch::Value("Ada".into()),
                family_name: Patch::Value("Lovelace".into()),
                locale: Patch::Value("en-GB".into()),
                ..ProfileInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(first.profile.given_name.as_deref(), Some("Ada"));
    assert_eq!(first.profile.locale.as_deref(), Some("en-GB"));
    assert_eq!(first.version, user.version + 1);
    assert!(first.updated_at >= user.updated_at);

    let second = svc
        .update_user_profile(
            &sys(),
            id,
            ProfileInput {
                given_name: Patch::Value("Augusta".into()),
                locale: Patch::Null,
                ..ProfileInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(second.profile.given_name.as_deref(), Some("Augusta"));
    assert_eq!(
        second.profile.family_name.as_deref(),
        Some("Lovelace"),
        "absent kept"
    );
    assert_eq!(second.profile.locale, None, "null cleared");
    assert_eq!(
        storage.user(&user.id).await.unwrap().as_ref(),
        Some(&second)
    );

    let logs = user_logs(storage, &user.id).await;
    assert_eq!(logs[0].key, log_keys::USER_PROFILE_UPDATED);
    assert_eq!(
        payload_set(&logs[0], "fields"),
        set(["givenName", "locale"])
    );
    assert_eq!(
        payload_set(&logs[1], "fields"),
        set(["givenName", "familyName", "locale"])
    );

    // Setting claims to what they are already changes nothing.
    let same = svc
        .update_user_profile(
            &sys(),
            id,
            ProfileInput {
                given_name: Patch::Value("Augusta".into()),
                nickname: Patch::Null,
                ..ProfileInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(same, second);
    assert_eq!(user_logs(storage, &user.id).await.len(), logs.len());
}

pub async fn address_merges_and_clears(fx: Fixture) {
    let svc = fx.service();
    let user = create_named(&svc, "addressed").await;
    let id = user.id.as_str();
    let set_address = |address: Patch<AddressInput>| ProfileInput {
        address,
        ..ProfileInput::default()
    };

    let first = svc
        .update_user_profile(
            &sys(),
            id,
            set_address(Patch::Value(AddressInput {
                locality: Patch::Value("London".into()),
                country: Patch::Value("GB".into()),
                ..AddressInput::default()
            })),
        )
        .await
        .unwrap();
    assert_eq!(
        first.profile.address,
        Some(Address {
            locality: Some("London".into()),
            country: Some("GB".into()),
            ..Address::default()
        })
    );

    let merged = svc
        .update_user_profile(
            &sys(),
            id,
            set_address(Patch::Value(AddressInput {
                region: Patch::Value("Greater London".into()),
                country: Patch::Null,
                ..AddressInput::default()
            })),
        )
        .await
        .unwrap();
    assert_eq!(
        merged.profile.address,
        Some(Address {
            locality: Some("London".into()),
            region: Some("Greater London".into()),
            ..Address::default()
        })
    );

    let kept = svc
        .update_user_profile(
            &sys(),
            id,
            ProfileInput {
                nickname: Patch::Value("Ada".into()),
                ..ProfileInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        kept.profile.address, merged.profile.address,
        "absent address kept"
    );

    let cleared = svc
        .update_user_profile(&sys(), id, set_address(Patch::Null))
        .await
        .unwrap();
    assert_eq!(cleared.profile.address, None);
    assert_eq!(cleared.profile.nickname.as_deref(), Some("Ada"));
}

pub async fn rejects_overlong_claims(fx: Fixture) {
    let svc = fx.service();
    let user = create_named(&svc, "limited").await;
    let ok = svc
        .update_user_profile(
            &sys(),
            user.id.as_str(),
            ProfileInput {
                nickname: Patch::Value("\u{e9}".repeat(256)),
                ..ProfileInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ok.profile.nickname.map(|n| n.chars().count()), Some(256));
    let before = fx.storage().user(&user.id).await.unwrap();

    expect_err(
        svc.update_user_profile(
            &sys(),
            user.id.as_str(),
            ProfileInput {
                nickname: Patch::Value("Short".into()),
                family_name: Patch::Value("f".repeat(257)),
                ..ProfileInput::default()
            },
        )
        .await,
        "VALIDATION",
        Some("profile.familyName"),
    );
    let err = expect_err(
        svc.update_user_profile(
            &sys(),
            user.id.as_str(),
            ProfileInput {
                address: Patch::Value(AddressInput {
                    postal_code: Patch::Value("p".repeat(257)),
                    ..AddressInput::default()
                }),
                ..ProfileInput::default()
            },
        )
        .await,
        "VALIDATION",
        None,
    );
    assert!(
        err.field()
            .is_some_and(|f| f.starts_with("profile.address")),
        "{err:?}"
    );
    assert_eq!(fx.storage().user(&user.id).await.unwrap(), before);
}
