//! The first start, the built-in admin role and tokens minted from the
//! command line.

use super::tokens::user_holding;
use super::*;
use crate::model::TokenKind;

#[tokio::test]
async fn bootstrap_on_an_empty_store_returns_a_working_admin_token_once() {
    let (memory, service) = setup();
    let boot = service.bootstrap().await.unwrap().expect("an empty store");
    assert_eq!(boot.user.username.as_deref(), Some("admin"));
    assert!(boot.user.password.is_none());
    assert_eq!(boot.token.kind, TokenKind::Personal);
    assert_eq!(boot.token.name, "bootstrap");
    assert_eq!(boot.token.expires_at, None);
    assert!(!format!("{boot:?}").contains(&boot.secret));

    let caller = service
        .authenticate(&boot.secret, None, None)
        .await
        .unwrap();
    assert_eq!(caller.user_id.as_ref(), Some(&boot.user.id));
    assert_eq!(
        caller.permissions,
        Permissions::Only(Permission::ALL.into_iter().collect())
    );
    // The token works against the rules, not around them.
    service
        .search_users(&caller, UserQuery::default())
        .await
        .unwrap();

    let state = memory.snapshot();
    let keys: Vec<&str> = state.logs.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            log_keys::ROLE_CREATED,
            log_keys::USER_CREATED,
            log_keys::TOKEN_CREATED
        ]
    );
    assert!(
        !serde_json::to_string(&state.logs)
            .unwrap()
            .contains(&boot.secret)
    );

    assert!(service.bootstrap().await.unwrap().is_none());
    assert_eq!(memory.snapshot().users.len(), 1);
}

#[tokio::test]
async fn bootstrap_on_a_store_with_users_only_ensures_the_admin_role() {
    let (memory, service) = setup();
    service
        .create_user(&admin(), named("someone"))
        .await
        .unwrap();
    assert!(service.bootstrap().await.unwrap().is_none());
    let state = memory.snapshot();
    assert_eq!(state.users.len(), 1);
    assert!(state.tokens.is_empty());
    let admin_role = state.roles.values().find(|r| r.name == "admin").unwrap();
    let all: Vec<String> = {
        let mut all: Vec<String> = Permission::ALL
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect();
        all.sort();
        all
    };
    assert_eq!(admin_role.permissions, all);
}

#[tokio::test]
async fn the_admin_role_is_created_once_and_gets_every_permission_back() {
    let (memory, service) = setup();
    let legacy = service
        .create_role(
            &admin(),
            CreateRole {
                name: "Admin".into(),
                permissions: vec!["users:read".into(), "custom:thing".into()],
                ..CreateRole::default()
            },
        )
        .await
        .unwrap();
    let role = service.ensure_admin_role().await.unwrap();
    assert_eq!(role.id, legacy.id);
    for permission in Permission::ALL {
        assert!(role.permissions.iter().any(|p| p == permission.as_str()));
    }
    let commits = memory.snapshot().commits;
    assert_eq!(service.ensure_admin_role().await.unwrap(), role);
    assert_eq!(memory.snapshot().commits, commits, "nothing to do twice");
}

#[tokio::test]
async fn minting_a_token_from_the_command_line() {
    let (memory, service) = setup();
    let user = user_holding(&service, "Ada", &[Permission::UsersRead]).await;
    let created = service
        .mint_token_for("ada", "ops laptop", None)
        .await
        .unwrap();
    assert_eq!(created.token.user_id, user.id);
    let caller = service
        .authenticate(&created.secret, None, None)
        .await
        .unwrap();
    assert_eq!(caller.user_id.as_ref(), Some(&user.id));
    let log = memory.snapshot().logs.last().cloned().unwrap();
    assert_eq!(log.key, log_keys::TOKEN_CREATED);
    assert_eq!(log.actor_id, None, "the process itself");

    let err = service
        .mint_token_for("nobody", "x", None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND");
    let err = service.mint_token_for("ada", "", None).await.unwrap_err();
    assert_eq!((err.code(), err.field()), ("VALIDATION", Some("name")));
}
