//! Suspension and linked social identities.

use serde_json::json;
use usergraph_core::model::log_keys;
use usergraph_core::service::IdentityInput;
use usergraph_core::{Entity, Error};

use crate::Fixture;
use crate::support::{create_named, expect_err, keys, object, sys, user_logs};

pub async fn suspension_toggles_and_logs(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let user = create_named(&svc, "suspect").await;
    let id = user.id.as_str();

    let suspended = svc.set_user_suspended(&sys(), id, true).await.unwrap();
    assert!(suspended.is_suspended);
    assert_eq!(suspended.version, user.version + 1);
    assert!(suspended.updated_at >= user.updated_at);
    assert_eq!(
        storage.user(&user.id).await.unwrap().as_ref(),
        Some(&suspended)
    );

    // Already suspended: nothing to write, nothing to log.
    let again = svc.set_user_suspended(&sys(), id, true).await.unwrap();
    assert_eq!(again, suspended);

    let restored = svc.set_user_suspended(&sys(), id, false).await.unwrap();
    assert!(!restored.is_suspended);
    assert_eq!(restored.version, user.version + 2);

    let logs = user_logs(storage, &user.id).await;
    assert_eq!(
        keys(&logs),
        vec![
            log_keys::USER_UNSUSPENDED,
            log_keys::USER_SUSPENDED,
            log_keys::USER_CREATED
        ]
    );
    assert_eq!(logs[0].payload, json!({}));
    assert_eq!(logs[1].payload, json!({}));
}

pub async fn identities_link_replace_unlink(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let user = create_named(&svc, "social").await;
    let id = user.id.as_str();

    let linked = svc
        .link_user_identity(
            &sys(),
            id,
            "google",
            IdentityInput {
                user_id: "g-1".into(),
                details: Some(object(json!({"email": "s@gmail.com"}))),
            },
        )
        .await
        .unwrap();
    let google = &linked.identities["google"];
    assert_eq!(google.user_id, "g-1");
    assert_eq!(google.details, object(json!({"email": "s@gmail.com"})));
    assert_eq!(linked.version, user.version + 1);

    let with_github = svc
        .link_user_identity(
            &sys(),
            id,
            "github",
            IdentityInput {
                user_id: "1234".into(),
                details: None,
            },
        )
        .await
        .unwrap();
    assert!(
        with_github.identities["github"].details.is_empty(),
        "absent details are {{}}"
    );
    // Providers are case-sensitive: "Google" is another provider.
    let with_capital = svc
        .link_user_identity(
            &sys(),
            id,
            "Google",
            IdentityInput {
                user_id: "G-9".into(),
                details: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(with_capital.identities.len(), 3);

    let relinked = svc
        .link_user_identity(
            &sys(),
            id,
            "google",
            IdentityInput {
                user_id: "g-2".into(),
                details: Some(object(json!({"hd": "example.com"}))),
            },
        )
        .await
        .unwrap();
    let google2 = &relinked.identities["google"];
    assert_eq!(google2.user_id, "g-2", "linking again replaces");
    assert_eq!(google2.details, object(json!({"hd": "example.com"})));
    assert!(google2.linked_at >= google.linked_at, "linkedAt renewed");
    assert_eq!(relinked.identities.len(), 3);
    assert_eq!(
        storage.user(&user.id).await.unwrap().as_ref(),
        Some(&relinked)
    );

    let unlinked = svc
        .unlink_user_identity(&sys(), id, "google")
        .await
        .unwrap();
    assert!(!unlinked.identities.contains_key("google"));
    assert!(unlinked.identities.contains_key("Google"));
    let missing = svc.unlink_user_identity(&sys(), id, "google").await;
    assert!(
        matches!(
            missing,
            Err(Error::NotFound {
                entity: Entity::Identity,
                ..
            })
        ),
        "unlinking what is not linked is NOT_FOUND (identity): {missing:?}"
    );
    assert_eq!(
        storage.user(&user.id).await.unwrap().as_ref(),
        Some(&unlinked)
    );

    let logs = user_logs(storage, &user.id).await;
    assert_eq!(
        keys(&logs),
        vec![
            log_keys::USER_IDENTITY_UNLINKED,
            log_keys::USER_IDENTITY_LINKED,
            log_keys::USER_IDENTITY_LINKED,
            log_keys::USER_IDENTITY_LINKED,
            log_keys::USER_IDENTITY_LINKED,
            log_keys::USER_CREATED,
        ]
    );
    let providers: Vec<_> = logs[..5].iter().map(|l| l.payload.clone()).collect();
    assert_eq!(
        providers,
        vec![
            json!({"provider": "google"}),
            json!({"provider": "google"}),
            json!({"provider": "Google"}),
            json!({"provider": "github"}),
            json!({"provider": "google"}),
        ]
    );
}

pub async fn identity_input_is_validated(fx: Fixture) {
    let svc = fx.service();
    let user = create_named(&svc, "strict").await;
    let id = user.id.as_str();
    let good = IdentityInput {
        user_id: "u-1".into(),
        details: None,
    };
    for provider in ["", "has space", "slash/y", &"p".repeat(65), "\u{e9}t\u{e9}"] {
        expect_err(
            svc.link_user_identity(&sys(), id, provider, good.clone())
                .await,
            "VALIDATION",
            Some("provider"),
        );
    }
    let long_ok = "a.b-c_D".repeat(9) + "x";
    assert_eq!(long_ok.len(), 64);
    svc.link_user_identity(&sys(), id, &long_ok, good.clone())
        .await
        .unwrap();

    let bad_identities = [
        IdentityInput {
            user_id: String::new(),
            details: None,
        },
        IdentityInput {
            user_id: "u".repeat(257),
            details: None,
        },
        IdentityInput {
            user_id: "u-1".into(),
            details: Some(object(json!({"blob": "x".repeat(16 * 1024)}))),
        },
    ];
    for identity in bad_identities {
        expect_err(
            svc.link_user_identity(&sys(), id, "google", identity).await,
            "VALIDATION",
            None,
        );
    }
    let stored = fx.storage().user(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.identities.keys().collect::<Vec<_>>(), vec![&long_ok]);
}
