//! Passwords: Argon2id digests, verification, imports of other algorithms and
//! their upgrade on the next good verify.

use argon2::password_hash::{PasswordHasher, SaltString};
use serde_json::json;
use usergraph_core::model::log_keys;
use usergraph_core::service::CreateUser;
use usergraph_core::{LogResult, PasswordAlgorithm, Service, User};

use crate::Fixture;
use crate::support::{all_logs, all_users, create_named, expect_err, sys, user_logs};

/// The PHC prefix of a digest made with the default settings.
const CURRENT_PARAMS: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

/// An Argon2 digest with cheap parameters, as another system might have
/// stored it.
pub(crate) fn argon2_digest(
    algorithm: argon2::Algorithm,
    password: &str,
    memory_kib: u32,
) -> String {
    let params = argon2::Params::new(memory_kib, 1, 1, None).unwrap();
    let hasher = argon2::Argon2::new(algorithm, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"conformance-salt").unwrap();
    hasher
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

pub(crate) fn bcrypt_digest(password: &str, version: bcrypt::Version) -> String {
    bcrypt::hash_with_result(password, 4)
        .unwrap()
        .format_for_version(version)
}

async fn stored(fx: &Fixture, user: &User) -> User {
    fx.storage().user(&user.id).await.unwrap().unwrap()
}

async fn verify(svc: &Service, user: &User, password: &str) -> bool {
    svc.verify_user_password(&sys(), user.id.as_str(), password.to_owned())
        .await
        .unwrap()
}

pub async fn set_and_verify(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let user = create_named(&svc, "pw_user").await;
    assert!(!user.has_password());

    let updated = svc
        .set_user_password(&sys(), user.id.as_str(), "correct horse battery".into())
        .await
        .unwrap();
    assert!(updated.has_password());
    assert_eq!(updated.version, user.version + 1);
    assert!(updated.updated_at >= user.updated_at);
    let digest = stored(&fx, &user).await.password.unwrap();
    assert_eq!(digest.algorithm, PasswordAlgorithm::Argon2id);
    assert!(
        digest.digest.starts_with(CURRENT_PARAMS),
        "new digests use the configured Argon2id parameters"
    );

    assert!(verify(&svc, &user, "correct horse battery").await);
    assert!(!verify(&svc, &user, "correct horse batter").await);
    assert!(!verify(&svc, &user, "Correct horse battery").await);

    let logs = user_logs(storage, &user.id).await;
    assert_eq!(
        logs.iter()
            .map(|l| (l.key.as_str(), l.result))
            .collect::<Vec<_>>(),
        vec![
            (log_keys::USER_PASSWORD_VERIFIED, LogResult::Error),
            (log_keys::USER_PASSWORD_VERIFIED, LogResult::Error),
            (log_keys::USER_PASSWORD_VERIFIED, LogResult::Success),
            (log_keys::USER_PASSWORD_SET, LogResult::Success),
            (log_keys::USER_CREATED, LogResult::Success),
        ]
    );
    assert_eq!(logs[0].error.as_deref(), Some("password mismatch"));
    assert_eq!(logs[2].payload, json!({"rehashed": false}));
    assert_eq!(logs[2].error, None);
    assert_eq!(logs[3].payload, json!({}));

    // Replacing the password: the old one stops working.
    svc.set_user_password(&sys(), user.id.as_str(), "a whole new password".into())
        .await
        .unwrap();
    assert!(!verify(&svc, &user, "correct horse battery").await);
    assert!(verify(&svc, &user, "a whole new password").await);
}

pub async fn never_trimmed_or_normalized_and_length_in_chars(fx: Fixture) {
    let svc = fx.service();
    let user = create_named(&svc, "exact").await;
    let id = user.id.as_str();

    svc.set_user_password(&sys(), id, "  padded pass  ".into())
        .await
        .unwrap();
    assert!(!verify(&svc, &user, "padded pass").await, "not trimmed");
    assert!(verify(&svc, &user, "  padded pass  ").await);

    // Decomposed "é": a composed one is a different password.
    svc.set_user_password(&sys(), id, "Ame\u{301}lie-secret".into())
        .await
        .unwrap();
    assert!(
        !verify(&svc, &user, "Am\u{e9}lie-secret").await,
        "not NFC-normalized"
    );
    assert!(verify(&svc, &user, "Ame\u{301}lie-secret").await);

    // 8 characters of 2 bytes each is long enough; 7 is not.
    svc.set_user_password(&sys(), id, "\u{e9}".repeat(8))
        .await
        .unwrap();
    assert!(verify(&svc, &user, &"\u{e9}".repeat(8)).await);
    svc.set_user_password(&sys(), id, "\u{e9}".repeat(256))
        .await
        .unwrap();
    let before = stored(&fx, &user).await;
    for bad in [
        "\u{e9}".repeat(7),
        "1234567".into(),
        "x".repeat(257),
        String::new(),
    ] {
        expect_err(
            svc.set_user_password(&sys(), id, bad).await,
            "VALIDATION",
            Some("password"),
        );
    }
    assert_eq!(
        stored(&fx, &user).await,
        before,
        "rejected passwords change nothing"
    );
}

pub async fn verify_without_password_is_false(fx: Fixture) {
    let svc = fx.service();
    let user = create_named(&svc, "nopass").await;
    assert!(!verify(&svc, &user, "anything at all").await);
    let log = &user_logs(fx.storage().as_ref(), &user.id).await[0];
    assert_eq!(log.key, log_keys::USER_PASSWORD_VERIFIED);
    assert_eq!(log.result, LogResult::Error);
    assert_eq!(log.error.as_deref(), Some("no password set"));
    assert_eq!(
        stored(&fx, &user).await,
        user,
        "a failed verify changes no user"
    );
}

pub async fn imported_digests_verify_and_upgrade_to_argon2id(fx: Fixture) {
    let svc = fx.service();
    let storage = fx.storage().as_ref();
    let secret = "imported secret 1";
    let imports = [
        (
            PasswordAlgorithm::Argon2i,
            argon2_digest(argon2::Algorithm::Argon2i, secret, 1024),
        ),
        (
            PasswordAlgorithm::Argon2d,
            argon2_digest(argon2::Algorithm::Argon2d, secret, 1024),
        ),
        // Argon2id, but weaker than the current parameters.
        (
            PasswordAlgorithm::Argon2id,
            argon2_digest(argon2::Algorithm::Argon2id, secret, 1024),
        ),
        (
            PasswordAlgorithm::Bcrypt,
            bcrypt_digest(secret, bcrypt::Version::TwoB),
        ),
        (
            PasswordAlgorithm::Bcrypt,
            bcrypt_digest(secret, bcrypt::Version::TwoA),
        ),
        (
            PasswordAlgorithm::Bcrypt,
            bcrypt_digest(secret, bcrypt::Version::TwoY),
        ),
    ];
    for (algorithm, digest) in imports {
        let user = svc
            .create_user(
                &sys(),
                CreateUser {
                    password_digest: Some(digest.clone()),
                    password_algorithm: Some(algorithm),
                    ..CreateUser::default()
                },
            )
            .await
            .unwrap();
        assert!(user.has_password());
        let imported = stored(&fx, &user).await.password.unwrap();
        assert_eq!(imported.algorithm, algorithm);
        assert_eq!(
            imported.digest, digest,
            "imported digests are stored as given"
        );

        assert!(
            !verify(&svc, &user, "imported secret 2").await,
            "{algorithm:?}"
        );
        let after_miss = stored(&fx, &user).await;
        assert_eq!(
            after_miss.password.as_ref(),
            Some(&imported),
            "a miss does not rehash"
        );

        assert!(
            verify(&svc, &user, secret).await,
            "{algorithm:?} digest verifies"
        );
        let upgraded = stored(&fx, &user).await;
        let new_digest = upgraded.password.clone().unwrap();
        assert_eq!(
            new_digest.algorithm,
            PasswordAlgorithm::Argon2id,
            "{algorithm:?}"
        );
        assert!(
            new_digest.digest.starts_with(CURRENT_PARAMS),
            "{algorithm:?}"
        );
        assert_eq!(
            upgraded.updated_at, user.updated_at,
            "a rehash keeps updatedAt"
        );
        let log = &user_logs(storage, &user.id).await[0];
        assert_eq!(log.key, log_keys::USER_PASSWORD_VERIFIED);
        assert_eq!(log.result, LogResult::Success);
        assert_eq!(log.payload, json!({"rehashed": true}), "{algorithm:?}");

        assert!(
            verify(&svc, &user, secret).await,
            "the upgraded digest verifies"
        );
        assert_eq!(
            stored(&fx, &user).await.password,
            Some(new_digest),
            "no second rehash"
        );
        let log = &user_logs(storage, &user.id).await[0];
        assert_eq!(log.payload, json!({"rehashed": false}));
    }
}

pub async fn mismatched_imports_are_rejected(fx: Fixture) {
    let svc = fx.service();
    let argon2i = argon2_digest(argon2::Algorithm::Argon2i, "whatever pw", 1024);
    let argon2id = argon2_digest(argon2::Algorithm::Argon2id, "whatever pw", 1024);
    let bcrypt = bcrypt_digest("whatever pw", bcrypt::Version::TwoB);
    let pairs = [
        (Some(PasswordAlgorithm::Bcrypt), Some(argon2i.clone())),
        (Some(PasswordAlgorithm::Argon2id), Some(argon2i.clone())),
        (Some(PasswordAlgorithm::Argon2i), Some(argon2id)),
        (Some(PasswordAlgorithm::Argon2d), Some(argon2i.clone())),
        (Some(PasswordAlgorithm::Argon2i), Some(bcrypt.clone())),
        (
            Some(PasswordAlgorithm::Argon2id),
            Some("not a digest".into()),
        ),
        (
            Some(PasswordAlgorithm::Bcrypt),
            Some("$2b$04$tooshort".into()),
        ),
        (
            Some(PasswordAlgorithm::Bcrypt),
            Some(bcrypt.replace("$2b$", "$2x$")),
        ),
        (Some(PasswordAlgorithm::Bcrypt), Some(String::new())),
        (None, Some(bcrypt.clone())),
        (Some(PasswordAlgorithm::Bcrypt), None),
    ];
    for (algorithm, digest) in pairs {
        let result = svc
            .create_user(
                &sys(),
                CreateUser {
                    password_digest: digest.clone(),
                    password_algorithm: algorithm,
                    ..CreateUser::default()
                },
            )
            .await;
        let err = expect_err(result, "VALIDATION", None);
        assert!(
            matches!(err.field(), Some("passwordDigest" | "passwordAlgorithm")),
            "{algorithm:?} with {digest:?}: {err:?}"
        );
    }
    let both = svc
        .create_user(
            &sys(),
            CreateUser {
                password: Some("a clear password".into()),
                password_digest: Some(bcrypt),
                password_algorithm: Some(PasswordAlgorithm::Bcrypt),
                ..CreateUser::default()
            },
        )
        .await;
    expect_err(both, "VALIDATION", None);
    assert!(all_users(fx.storage().as_ref()).await.is_empty());
    assert!(all_logs(fx.storage().as_ref()).await.is_empty());
}
