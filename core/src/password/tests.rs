use argon2::{Algorithm, Argon2, Params, Version};
use password_hash::rand_core::OsRng;
use password_hash::{PasswordHasher as _, SaltString};

use super::*;

fn argon2_digest(algorithm: Algorithm, m: u32, t: u32, password: &str) -> String {
    let params = Params::new(m, t, 1, None).unwrap();
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(algorithm, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
    let hasher = PasswordHasher::for_tests();
    let digest = hasher.hash("correct horse".into()).await.unwrap();
    assert_eq!(digest.algorithm, PasswordAlgorithm::Argon2id);
    assert!(digest.digest.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
    assert!(!digest.digest.contains("correct horse"));
    assert!(
        hasher
            .verify("correct horse".into(), Some(&digest))
            .await
            .unwrap()
            .matched
    );
    assert!(
        !hasher
            .verify("Correct horse".into(), Some(&digest))
            .await
            .unwrap()
            .matched
    );
    assert!(!hasher.needs_rehash(&digest));
}

#[tokio::test]
async fn two_hashes_of_one_password_differ() {
    let hasher = PasswordHasher::for_tests();
    let a = hasher.hash("same password".into()).await.unwrap();
    let b = hasher.hash("same password".into()).await.unwrap();
    assert_ne!(a.digest, b.digest);
}

#[tokio::test]
async fn no_password_never_verifies() {
    let hasher = PasswordHasher::for_tests();
    for attempt in ["", "anything", "$argon2id$"] {
        assert!(!hasher.verify(attempt.into(), None).await.unwrap().matched);
    }
    // The dummy is a real digest with the current cost, not a shortcut.
    assert!(hasher.dummy.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
}

#[test]
fn debug_output_keeps_the_dummy_digest_out() {
    let hasher = PasswordHasher::for_tests();
    let shown = format!("{hasher:?}");
    assert!(!shown.contains(&hasher.dummy));
    assert!(shown.contains("PasswordHasher"));
}

#[test]
fn service_floors_are_enforced() {
    let floor = Argon2Params::default();
    assert!(PasswordHasher::new(floor, 4).is_ok());
    let weak = [
        (
            Argon2Params {
                memory_kib: 19455,
                ..floor
            },
            "argon2.memoryKib",
        ),
        (
            Argon2Params {
                iterations: 1,
                ..floor
            },
            "argon2.iterations",
        ),
        (
            Argon2Params {
                parallelism: 0,
                ..floor
            },
            "argon2.parallelism",
        ),
    ];
    for (params, field) in weak {
        let err = PasswordHasher::new(params, 4).unwrap_err();
        assert_eq!(err.code(), "VALIDATION");
        assert_eq!(err.field(), Some(field));
    }
    let err = PasswordHasher::new(floor, 0).unwrap_err();
    assert_eq!(err.field(), Some("maxConcurrentHashes"));
}

#[tokio::test]
async fn imported_argon2_variants_verify_and_are_upgraded() {
    let hasher = PasswordHasher::for_tests();
    for (algorithm, ours) in [
        (Algorithm::Argon2i, PasswordAlgorithm::Argon2i),
        (Algorithm::Argon2d, PasswordAlgorithm::Argon2d),
    ] {
        let raw = argon2_digest(algorithm, 64, 1, "legacy pass");
        let digest = hasher.import(ours, &raw).unwrap();
        assert!(
            hasher
                .verify("legacy pass".into(), Some(&digest))
                .await
                .unwrap()
                .matched
        );
        assert!(
            !hasher
                .verify("legacy Pass".into(), Some(&digest))
                .await
                .unwrap()
                .matched
        );
        assert!(
            hasher.needs_rehash(&digest),
            "{ours:?} is upgraded to Argon2id"
        );
    }
}

#[tokio::test]
async fn weaker_argon2id_is_upgraded_and_equal_is_not() {
    let hasher = PasswordHasher::for_tests();
    let weaker = hasher
        .import(
            PasswordAlgorithm::Argon2id,
            &argon2_digest(Algorithm::Argon2id, 32, 1, "pw"),
        )
        .unwrap();
    assert!(
        hasher
            .verify("pw".into(), Some(&weaker))
            .await
            .unwrap()
            .matched
    );
    assert!(hasher.needs_rehash(&weaker));
    let stronger = hasher
        .import(
            PasswordAlgorithm::Argon2id,
            &argon2_digest(Algorithm::Argon2id, 128, 2, "pw"),
        )
        .unwrap();
    assert!(!hasher.needs_rehash(&stronger));
}

#[tokio::test]
async fn imported_bcrypt_verifies_and_is_upgraded() {
    let hasher = PasswordHasher::for_tests();
    let raw = bcrypt::hash("hunter22", 4).unwrap();
    for prefix in ["$2a$", "$2b$", "$2y$"] {
        let variant = format!("{prefix}{}", &raw[4..]);
        let digest = hasher.import(PasswordAlgorithm::Bcrypt, &variant).unwrap();
        assert!(
            hasher
                .verify("hunter22".into(), Some(&digest))
                .await
                .unwrap()
                .matched
        );
        assert!(
            !hasher
                .verify("hunter23".into(), Some(&digest))
                .await
                .unwrap()
                .matched
        );
        assert!(hasher.needs_rehash(&digest));
    }
}

#[test]
fn malformed_or_mismatched_digests_are_rejected() {
    let hasher = PasswordHasher::for_tests();
    let argon2i = argon2_digest(Algorithm::Argon2i, 64, 1, "pw");
    let bcrypt = bcrypt::hash("pw", 4).unwrap();
    let cases: Vec<(PasswordAlgorithm, String)> = vec![
        (PasswordAlgorithm::Argon2id, argon2i.clone()),
        (PasswordAlgorithm::Bcrypt, argon2i.clone()),
        (PasswordAlgorithm::Argon2i, bcrypt.clone()),
        (PasswordAlgorithm::Argon2id, "not a digest".into()),
        (
            PasswordAlgorithm::Argon2id,
            "$argon2id$v=19$m=64,t=1,p=1".into(),
        ),
        (
            PasswordAlgorithm::Argon2id,
            "$argon2id$v=7$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        ),
        (
            PasswordAlgorithm::Argon2id,
            "$argon2id$v=19$m=64,t=1,p=1,keyid=AAAA$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        ),
        (
            PasswordAlgorithm::Argon2id,
            "$argon2id$v=19$m=4000000,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        ),
        (
            PasswordAlgorithm::Argon2id,
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA".into(),
        ),
        (PasswordAlgorithm::Bcrypt, format!("$2x${}", &bcrypt[4..])),
        (PasswordAlgorithm::Bcrypt, bcrypt[..59].to_owned()),
        (PasswordAlgorithm::Bcrypt, format!("$2b$15{}", &bcrypt[6..])),
        (PasswordAlgorithm::Bcrypt, format!("$2b$03{}", &bcrypt[6..])),
        (PasswordAlgorithm::Bcrypt, format!("{}!", &bcrypt[..59])),
        (PasswordAlgorithm::Bcrypt, "x".repeat(600)),
    ];
    for (algorithm, digest) in cases {
        let err = hasher.import(algorithm, &digest).unwrap_err();
        assert_eq!(err.code(), "VALIDATION", "{algorithm:?} {digest}");
        assert_eq!(err.field(), Some("passwordDigest"));
    }
}

#[tokio::test]
async fn a_single_permit_still_serves_concurrent_callers() {
    let hasher = Arc::new(
        PasswordHasher::unchecked(
            Argon2Params {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            1,
        )
        .unwrap(),
    );
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let hasher = Arc::clone(&hasher);
            tokio::spawn(async move { hasher.hash(format!("password {i}")).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(hasher.permits.available_permits(), 1);
}

fn plain_digest(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &str,
    salt: &SaltString,
) -> String {
    Argon2::new(algorithm, version, params)
        .hash_password(password.as_bytes(), salt)
        .unwrap()
        .to_string()
}

#[test]
fn hashing_in_a_reused_area_gives_the_plain_argon2_digest() {
    let areas = WorkAreas::new(Params::new(64, 1, 1, None).unwrap().block_count(), 1);
    for (m, t, p) in [(64, 1, 1), (32, 2, 1), (64, 2, 2), (256, 1, 4)] {
        for password in ["first password", "second, other password"] {
            let params = Params::new(m, t, p, Some(ARGON2_OUTPUT_BYTES)).unwrap();
            let salt = SaltString::generate(&mut OsRng);
            let expected = plain_digest(
                Algorithm::Argon2id,
                Version::V0x13,
                params.clone(),
                password,
                &salt,
            );
            let pooled = hash_with_salt(&areas, params, password, salt.as_salt()).unwrap();
            assert_eq!(pooled, expected, "m={m} t={t} p={p}");
        }
    }
}

#[test]
fn digests_of_the_plain_argon2_api_verify_in_reused_areas() {
    // The pooled size is m=64: smaller digests reuse it, larger get their own.
    let areas = WorkAreas::new(Params::new(64, 1, 1, None).unwrap().block_count(), 2);
    let variants = [Algorithm::Argon2i, Algorithm::Argon2d, Algorithm::Argon2id];
    let params = [
        (64, 1, 1, 32),
        (16, 3, 1, 16),
        (128, 2, 2, 64),
        (8, 1, 1, 32),
    ];
    for algorithm in variants {
        for version in [Version::V0x10, Version::V0x13] {
            for (m, t, p, len) in params {
                let params = Params::new(m, t, p, Some(len)).unwrap();
                let salt = SaltString::generate(&mut OsRng);
                let digest = plain_digest(algorithm, version, params, "the password", &salt);
                let hash = PasswordHash::new(&digest).unwrap();
                assert!(
                    check_argon2(&areas, "the password", &hash).unwrap(),
                    "{digest}"
                );
                assert!(
                    !check_argon2(&areas, "the passworD", &hash).unwrap(),
                    "{digest}"
                );
                assert!(!check_argon2(&areas, "", &hash).unwrap(), "{digest}");
            }
        }
    }
    // What the verifier reads from the digest decides, so a version left
    // out means 0x13 as in `argon2`'s own verify.
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::new(64, 1, 1, None).unwrap();
    let digest =
        plain_digest(Algorithm::Argon2id, Version::V0x13, params, "pw", &salt).replace("$v=19", "");
    let hash = PasswordHash::new(&digest).unwrap();
    assert!(check_argon2(&areas, "pw", &hash).unwrap());
}

#[tokio::test]
async fn hashing_keeps_at_most_one_work_area_per_permit() {
    let hasher = Arc::new(
        PasswordHasher::unchecked(
            Argon2Params {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
        .unwrap(),
    );
    assert_eq!(hasher.areas.kept(), 0, "areas are made on first use");
    let digest = hasher.hash("a password".into()).await.unwrap();
    // More memory than configured: an area for that call only.
    let larger = hasher
        .import(
            PasswordAlgorithm::Argon2id,
            &argon2_digest(Algorithm::Argon2id, 512, 1, "a password"),
        )
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let hasher = Arc::clone(&hasher);
            let digest = if i % 4 == 0 {
                larger.clone()
            } else {
                digest.clone()
            };
            tokio::spawn(async move {
                let known = hasher.verify("a password".into(), Some(&digest)).await;
                let unknown = hasher.verify("a password".into(), None).await;
                (known.unwrap().matched, unknown.unwrap().matched)
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), (true, false));
    }
    let kept = hasher.areas.kept();
    assert!((1..=2).contains(&kept), "{kept} areas kept for 2 permits");
}
