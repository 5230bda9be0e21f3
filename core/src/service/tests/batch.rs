//! `create_users_batch`: one result per input, in order, with the outcome
//! sequential `create_user` calls would give, in few commits.

use super::*;

fn with_email(username: &str, email: &str) -> CreateUser {
    CreateUser {
        primary_email: Some(email.into()),
        ..named(username)
    }
}

fn codes(results: &[Result<crate::User>]) -> Vec<&'static str> {
    results
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| e.code(), |_| "OK"))
        .collect()
}

#[tokio::test]
async fn each_input_gets_its_own_result_in_order() {
    let (memory, service) = setup();
    let member = role(&service, "Member", true).await;
    let existing = service
        .create_user(&admin(), with_email("taken", "taken@example.com"))
        .await
        .unwrap();
    let inputs = vec![
        with_email("ada", "ada@example.com"),
        named("bad name"),
        with_email("grace", "TAKEN@example.com"),
        named("ADA"),
        CreateUser {
            id: Some(existing.id.as_str().into()),
            ..named("fresh_id_clash")
        },
        CreateUser {
            primary_phone: Some("+1 (555) 010-9999".into()),
            ..named("linus")
        },
    ];
    let results = service.create_users_batch(&admin(), inputs).await.unwrap();
    assert_eq!(
        codes(&results),
        [
            "OK",
            "VALIDATION",
            "EMAIL_ALREADY_IN_USE",
            "USERNAME_ALREADY_IN_USE",
            "CONFLICT",
            "OK"
        ]
    );
    assert_eq!(results[1].as_ref().unwrap_err().field(), Some("username"));

    let ada = results[0].as_ref().unwrap();
    let linus = results[5].as_ref().unwrap();
    assert_eq!(linus.primary_phone.as_deref(), Some("15550109999"));
    let state = memory.snapshot();
    assert_eq!(state.users.len(), 3, "existing user, ada and linus");
    assert_eq!(&state.users[&ada.id], ada);
    assert_eq!(&state.users[&linus.id], linus);
    for user in [ada, linus] {
        assert_eq!(
            state.assignments[&user.id].iter().collect::<Vec<_>>(),
            [&member.id]
        );
        let logs: Vec<_> = state
            .logs
            .iter()
            .filter(|l| l.user_id.as_ref() == Some(&user.id))
            .collect();
        assert_eq!(logs.len(), 1, "one log per created user");
        assert_eq!(logs[0].key, log_keys::USER_CREATED);
        assert_eq!(logs[0].created_at, user.created_at);
    }
    let ada_log = state
        .logs
        .iter()
        .find(|l| l.user_id.as_ref() == Some(&ada.id))
        .unwrap();
    assert_eq!(
        ada_log.payload,
        json!({ "fields": ["username", "primaryEmail"], "roleIds": [member.id] })
    );
    let created_logs = state
        .logs
        .iter()
        .filter(|l| l.key == log_keys::USER_CREATED)
        .count();
    assert_eq!(created_logs, 3, "failed items log nothing");
}

#[tokio::test]
async fn a_failed_item_does_not_claim_its_identifiers() {
    // The first input fails on its email, so its username stays free for
    // the second, as it would with one create_user after the other.
    let (_, service) = setup();
    service
        .create_user(&admin(), with_email("owner", "owner@example.com"))
        .await
        .unwrap();
    let inputs = vec![
        with_email("shared", "OWNER@example.com"),
        with_email("Shared", "other@example.com"),
    ];
    let results = service.create_users_batch(&admin(), inputs).await.unwrap();
    assert_eq!(codes(&results), ["EMAIL_ALREADY_IN_USE", "OK"]);
    assert_eq!(
        results[1].as_ref().unwrap().username.as_deref(),
        Some("Shared")
    );
}

#[tokio::test]
async fn writes_share_commits_and_a_duplicate_costs_few_more() {
    let (memory, service) = setup();
    let clean: Vec<_> = (0..1200).map(|i| named(&format!("user{i}"))).collect();
    let results = service.create_users_batch(&admin(), clean).await.unwrap();
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(
        memory.snapshot().commits,
        1,
        "up to 10,000 users share a commit"
    );

    let mut with_duplicate: Vec<_> = (0..500).map(|i| named(&format!("next{i}"))).collect();
    with_duplicate[321] = named("USER7");
    let results = service
        .create_users_batch(&admin(), with_duplicate)
        .await
        .unwrap();
    let failed: Vec<_> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_err())
        .map(|(i, r)| (i, r.as_ref().unwrap_err().code()))
        .collect();
    assert_eq!(failed, [(321, "USERNAME_ALREADY_IN_USE")]);
    let state = memory.snapshot();
    assert_eq!(state.users.len(), 1699);
    let commits = state.commits - 1;
    assert!(
        commits <= 30,
        "one culprit among 500 is found by halving, not one by one ({commits} commits)"
    );
}

#[tokio::test]
async fn passwords_are_hashed_and_imported_digests_checked() {
    let (memory, service) = setup();
    let inputs = vec![
        CreateUser {
            password: Some("correct horse".into()),
            ..named("hashed")
        },
        CreateUser {
            password_digest: Some(bcrypt::hash("old secret", 4).unwrap()),
            password_algorithm: Some(PasswordAlgorithm::Bcrypt),
            ..named("imported")
        },
        CreateUser {
            password_digest: Some("$2b$04$not-a-digest".into()),
            password_algorithm: Some(PasswordAlgorithm::Bcrypt),
            ..named("broken")
        },
        CreateUser {
            password: Some("short".into()),
            ..named("weak")
        },
    ];
    let results = service.create_users_batch(&admin(), inputs).await.unwrap();
    assert_eq!(codes(&results), ["OK", "OK", "VALIDATION", "VALIDATION"]);
    assert_eq!(
        results[2].as_ref().unwrap_err().field(),
        Some("passwordDigest")
    );
    assert_eq!(results[3].as_ref().unwrap_err().field(), Some("password"));
    let hashed = results[0].as_ref().unwrap();
    assert_eq!(
        hashed.password.as_ref().unwrap().algorithm,
        PasswordAlgorithm::Argon2id
    );
    let id = hashed.id.as_str();
    assert!(
        service
            .verify_user_password(&admin(), id, "correct horse".into())
            .await
            .unwrap()
    );
    let imported = results[1].as_ref().unwrap().id.as_str();
    assert!(
        service
            .verify_user_password(&admin(), imported, "old secret".into())
            .await
            .unwrap()
    );
    let logged = memory.snapshot().logs;
    assert!(
        logged
            .iter()
            .all(|l| !l.payload.to_string().contains("$2b$"))
    );
}

#[tokio::test]
async fn without_permission_nothing_is_written() {
    let (memory, service) = setup();
    let reader = caller_with(&[Permission::UsersRead]);
    let err = service
        .create_users_batch(&reader, vec![named("ada")])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert_eq!(memory.snapshot().commits, 0);
    let none = service.create_users_batch(&admin(), Vec::new()).await;
    assert!(none.unwrap().is_empty());
}
