//! Nobody acts on a user who holds more than they do: whoever could set a
//! stronger user's password (or otherwise change it) could take its power.
//! Every operation is covered by the table in `authz.rs`; these are the
//! stories behind it and its edges.

use super::tokens::{signed_in, user_holding};
use super::*;

const PASSWORD: &str = "correct horse battery";

/// The story: a help desk that may only reset passwords must not
/// reset an admin's and sign in as the admin.
#[tokio::test]
async fn a_password_resetter_cannot_take_over_an_admin() {
    let (memory, service) = setup();
    let admin_role = service.ensure_admin_role().await.unwrap();
    let boss = service.create_user(&admin(), named("boss")).await.unwrap();
    service
        .assign_user_roles(&admin(), boss.id.as_str(), &[admin_role.id.to_string()])
        .await
        .unwrap();
    let helpdesk = user_holding(&service, "helpdesk", &[Permission::UsersPassword]).await;
    let (_, desk) = signed_in(&service, &helpdesk).await;

    let commits = memory.snapshot().commits;
    let err = service
        .set_user_password(&desk, boss.id.as_str(), PASSWORD.into())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert!(
        err.to_string()
            .contains("you cannot act on a user who holds"),
        "{err}"
    );
    // Nor may it guess the admin's password.
    let err = service
        .verify_user_password(&desk, boss.id.as_str(), PASSWORD.into())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert_eq!(memory.snapshot().commits, commits, "nothing written");
    assert_eq!(memory.snapshot().users[&boss.id].password, None);
    let caller = Caller::anonymous().with_client(Some("192.0.2.7".into()), None);
    assert_eq!(
        service
            .sign_in(&caller, "boss", PASSWORD)
            .await
            .unwrap_err()
            .code(),
        "UNAUTHENTICATED"
    );

    // Its job on users who hold nothing more stays possible.
    let clerk = user_holding(&service, "clerk", &[]).await;
    service
        .set_user_password(&desk, clerk.id.as_str(), PASSWORD.into())
        .await
        .unwrap();
    let session = service.sign_in(&caller, "clerk", PASSWORD).await.unwrap();
    assert_eq!(session.user.id, clerk.id);
}

/// Holding the same permissions is enough: the rule is "nothing more", not
/// "something less".
#[tokio::test]
async fn a_peer_may_act_on_a_peer() {
    let (_, service) = setup();
    let both = [Permission::UsersPassword, Permission::LogsRead];
    let peer = user_holding(&service, "peer", &both).await;
    let me = user_holding(&service, "me", &both).await;
    let (_, caller) = signed_in(&service, &me).await;
    service
        .set_user_password(&caller, peer.id.as_str(), PASSWORD.into())
        .await
        .unwrap();
}

/// A token scoped to fewer permissions than its user's roles may not use
/// what it holds to get the rest: not by setting its own user's password,
/// nor by changing its identifiers. Self-service stays open to it.
#[tokio::test]
async fn a_scoped_token_cannot_unlock_its_own_users_power() {
    let (_, service) = setup();
    let me = user_holding(
        &service,
        "me",
        &[
            Permission::UsersPassword,
            Permission::UsersWrite,
            Permission::LogsRead,
        ],
    )
    .await;
    let id = me.id.as_str();
    let input = NewToken {
        name: "scoped".into(),
        scopes: Some(vec!["users:password".into(), "users:write".into()]),
        ..NewToken::default()
    };
    let token = service.create_token(&admin(), &me.id, input).await.unwrap();
    let scoped = service
        .authenticate(&token.secret, None, None)
        .await
        .unwrap();
    let err = service
        .set_user_password(&scoped, id, PASSWORD.into())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert!(err.to_string().contains("logs:read"), "{err}");
    let email = UpdateUser {
        primary_email: Patch::Value("me@example.com".into()),
        ..UpdateUser::default()
    };
    let err = service.update_user(&scoped, id, email).await.unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    // Sending its username back unchanged with a new name changes no
    // identifier: self-service.
    let rename = UpdateUser {
        username: Patch::Value("me".into()),
        name: Patch::Value("Me".into()),
        ..UpdateUser::default()
    };
    let user = service.update_user(&scoped, id, rename).await.unwrap();
    assert_eq!(user.name.as_deref(), Some("Me"));

    // Unscoped, the same user holds everything it holds.
    let (_, full) = signed_in(&service, &me).await;
    service
        .set_user_password(&full, id, PASSWORD.into())
        .await
        .unwrap();
}

/// Updating a stored user by import may overwrite its password digest:
/// the same rule, record by record.
#[tokio::test]
async fn an_import_cannot_overwrite_a_user_who_holds_more() {
    let (memory, service) = setup();
    let boss = user_holding(&service, "boss", &[Permission::LogsRead]).await;
    let clerk = user_holding(&service, "clerk", &[]).await;
    let importer = caller_with(&[Permission::UsersWrite]);
    let record = |username: &str| ImportedUser {
        user: CreateUser {
            username: Some(username.into()),
            password_digest: Some(bcrypt::hash(PASSWORD, 4).unwrap()),
            password_algorithm: Some(PasswordAlgorithm::Bcrypt),
            ..CreateUser::default()
        },
        partial: true,
        ..ImportedUser::default()
    };
    let results = service
        .import_users_batch(
            &importer,
            vec![record("boss"), record("clerk")],
            OnExisting::Update,
        )
        .await
        .unwrap();
    let err = results[0].as_ref().unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert!(err.to_string().contains("logs:read"), "{err}");
    assert!(results[1].is_ok(), "{:?}", results[1]);
    let state = memory.snapshot();
    assert_eq!(state.users[&boss.id].password, None);
    assert!(state.users[&clerk.id].password.is_some());
}

/// Permission strings usergraph does not know grant nothing it checks, so
/// a user holding them is no stronger for it (as with grants).
#[tokio::test]
async fn permissions_usergraph_does_not_check_do_not_count() {
    let (_, service) = setup();
    let input = CreateRole {
        name: "refunds".into(),
        permissions: vec!["billing:refund".into()],
        ..CreateRole::default()
    };
    let refunds = service.create_role(&admin(), input).await.unwrap();
    let user = service.create_user(&admin(), named("u")).await.unwrap();
    service
        .assign_user_roles(&admin(), user.id.as_str(), &[refunds.id.to_string()])
        .await
        .unwrap();
    let desk = caller_with(&[Permission::UsersPassword]);
    service
        .set_user_password(&desk, user.id.as_str(), PASSWORD.into())
        .await
        .unwrap();
}
