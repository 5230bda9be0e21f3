//! Nobody hands out more than they hold: roles granted, created, widened
//! or made the default need every permission they carry.

use super::*;

fn perms(list: &[Permission]) -> Vec<String> {
    list.iter().map(|p| p.as_str().to_owned()).collect()
}

async fn role_with(service: &Service, name: &str, permissions: &[Permission]) -> crate::Role {
    let input = CreateRole {
        name: name.into(),
        permissions: perms(permissions),
        ..CreateRole::default()
    };
    service.create_role(&admin(), input).await.unwrap()
}

/// A signed-in user holding `permissions`, acting as `id`.
fn acting(id: &UserId, permissions: &[Permission]) -> Caller {
    Caller {
        user_id: Some(id.clone()),
        ..caller_with(permissions)
    }
}

#[tokio::test]
async fn granting_a_role_needs_every_permission_it_holds() {
    let (memory, service) = setup();
    let reader = role_with(&service, "reader", &[Permission::UsersRead]).await;
    let auditor = role_with(
        &service,
        "auditor",
        &[Permission::UsersRead, Permission::LogsRead],
    )
    .await;
    let user = service.create_user(&admin(), named("u")).await.unwrap();
    let id = user.id.as_str();
    let granter = caller_with(&[Permission::UsersWrite, Permission::UsersRead]);

    let commits = memory.snapshot().commits;
    for err in [
        service
            .assign_user_roles(&granter, id, &[auditor.id.to_string()])
            .await
            .unwrap_err(),
        service
            .replace_user_roles(&granter, id, &[auditor.id.to_string()])
            .await
            .unwrap_err(),
        service
            .assign_user_roles(
                &granter,
                id,
                &[reader.id.to_string(), auditor.id.to_string()],
            )
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err.code(), "FORBIDDEN");
        assert!(err.to_string().contains("logs:read"), "{err}");
    }
    assert_eq!(memory.snapshot().commits, commits);
    assert!(!memory.snapshot().assignments.contains_key(&user.id));

    service
        .assign_user_roles(&granter, id, &[reader.id.to_string()])
        .await
        .unwrap();
    assert!(memory.snapshot().assignments[&user.id].contains(&reader.id));
}

/// Taking a role away, or rearranging roles, attacks the user when it
/// holds more than the caller: that needs every permission the user holds
/// (see `outranking.rs`), which then covers every role it holds.
#[tokio::test]
async fn changing_the_roles_of_a_user_who_holds_more_is_forbidden() {
    let (memory, service) = setup();
    let auditor = role_with(&service, "auditor", &[Permission::LogsRead]).await;
    let staff = role(&service, "staff", false).await;
    let user = service.create_user(&admin(), named("u")).await.unwrap();
    let id = user.id.as_str();
    let both = BTreeSet::from([auditor.id.clone(), staff.id.clone()]);
    service
        .assign_user_roles(
            &admin(),
            id,
            &[auditor.id.to_string(), staff.id.to_string()],
        )
        .await
        .unwrap();
    let weaker = caller_with(&[Permission::UsersWrite]);
    let commits = memory.snapshot().commits;
    for err in [
        service
            .replace_user_roles(&weaker, id, &[auditor.id.to_string()])
            .await
            .unwrap_err(),
        service
            .remove_user_role(&weaker, id, auditor.id.as_str())
            .await
            .unwrap_err(),
        service
            .remove_user_role(&weaker, id, staff.id.as_str())
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err.code(), "FORBIDDEN");
        assert!(err.to_string().contains("logs:read"), "{err}");
    }
    assert_eq!(memory.snapshot().commits, commits);
    assert_eq!(memory.snapshot().assignments[&user.id], both);

    let peer = caller_with(&[Permission::UsersWrite, Permission::LogsRead]);
    service
        .replace_user_roles(&peer, id, &[auditor.id.to_string()])
        .await
        .unwrap();
    service
        .remove_user_role(&peer, id, auditor.id.as_str())
        .await
        .unwrap();
    assert!(memory.snapshot().assignments[&user.id].is_empty());
    // Once taken away, giving it back is a grant: the weaker caller may act
    // on the user now, but not hand out logs:read.
    let err = service
        .assign_user_roles(&weaker, id, &[auditor.id.to_string()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert!(err.to_string().contains("you cannot grant"), "{err}");
}

#[tokio::test]
async fn a_grant_to_oneself_is_judged_like_any_other() {
    let (memory, service) = setup();
    let writer = role_with(&service, "writer", &[Permission::UsersWrite]).await;
    let auditor = role_with(&service, "auditor", &[Permission::LogsRead]).await;
    let me = service.create_user(&admin(), named("me")).await.unwrap();
    let caller = acting(&me.id, &[Permission::UsersWrite]);
    let err = service
        .assign_user_roles(&caller, me.id.as_str(), &[auditor.id.to_string()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    service
        .assign_user_roles(&caller, me.id.as_str(), &[writer.id.to_string()])
        .await
        .unwrap();
    assert_eq!(
        memory.snapshot().assignments[&me.id],
        BTreeSet::from([writer.id.clone()])
    );
}

#[tokio::test]
async fn holders_of_every_permission_may_grant_any_role() {
    let (memory, service) = setup();
    let everything = role_with(&service, "everything", &Permission::ALL).await;
    let user = service.create_user(&admin(), named("u")).await.unwrap();
    let full = caller_with(&Permission::ALL);
    service
        .assign_user_roles(&full, user.id.as_str(), &[everything.id.to_string()])
        .await
        .unwrap();
    assert!(memory.snapshot().assignments[&user.id].contains(&everything.id));
}

#[tokio::test]
async fn permission_strings_usergraph_does_not_check_need_no_hold() {
    // An embedding application may keep its own permissions on roles;
    // usergraph grants nothing for them, so holding them is not asked.
    let (_, service) = setup();
    let input = CreateRole {
        name: "refunds".into(),
        permissions: vec!["billing:refund".into()],
        ..CreateRole::default()
    };
    let granter = caller_with(&[Permission::RolesWrite, Permission::UsersWrite]);
    let refunds = service.create_role(&granter, input).await.unwrap();
    let user = service.create_user(&admin(), named("u")).await.unwrap();
    service
        .assign_user_roles(&granter, user.id.as_str(), &[refunds.id.to_string()])
        .await
        .unwrap();
}

#[tokio::test]
async fn creating_a_role_needs_every_permission_it_holds() {
    let (memory, service) = setup();
    let creator = caller_with(&[Permission::RolesWrite, Permission::UsersRead]);
    let input = |name: &str, list: &[Permission]| CreateRole {
        name: name.into(),
        permissions: perms(list),
        ..CreateRole::default()
    };
    let err = service
        .create_role(
            &creator,
            input("deleter", &[Permission::UsersRead, Permission::UsersDelete]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert!(err.to_string().contains("users:delete"));
    assert!(memory.snapshot().roles.is_empty());
    let reader = service
        .create_role(&creator, input("reader", &[Permission::UsersRead]))
        .await
        .unwrap();
    assert_eq!(reader.permissions, vec!["users:read"]);
}

#[tokio::test]
async fn widening_a_role_needs_the_added_permissions_narrowing_does_not() {
    let (memory, service) = setup();
    let mixed = role_with(
        &service,
        "mixed",
        &[Permission::LogsRead, Permission::UsersRead],
    )
    .await;
    let id = mixed.id.as_str();
    let editor = caller_with(&[Permission::RolesWrite, Permission::UsersRead]);
    let set = |list: &[Permission]| UpdateRole {
        permissions: Some(perms(list)),
        ..UpdateRole::default()
    };

    let err = service
        .update_role(
            &editor,
            id,
            set(&[
                Permission::LogsRead,
                Permission::UsersRead,
                Permission::UsersWrite,
            ]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert!(err.to_string().contains("users:write"));
    assert_eq!(memory.snapshot().roles[&mixed.id], mixed);

    // logs:read stays although the editor lacks it: it grants nothing new.
    let narrowed = service
        .update_role(&editor, id, set(&[Permission::LogsRead]))
        .await
        .unwrap();
    assert_eq!(narrowed.permissions, vec!["logs:read"]);
    let described = UpdateRole {
        description: Patch::Value("auditors".into()),
        ..UpdateRole::default()
    };
    service.update_role(&editor, id, described).await.unwrap();
}

#[tokio::test]
async fn making_a_role_the_default_needs_every_permission_it_holds() {
    let (memory, service) = setup();
    let auditor = role_with(&service, "auditor", &[Permission::LogsRead]).await;
    let id = auditor.id.as_str();
    let editor = caller_with(&[Permission::RolesWrite]);
    let default = |on: bool| UpdateRole {
        is_default: Some(on),
        ..UpdateRole::default()
    };
    let err = service
        .update_role(&editor, id, default(true))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert!(!memory.snapshot().roles[&auditor.id].is_default);

    service
        .update_role(&admin(), id, default(true))
        .await
        .unwrap();
    // Turning it off takes from future users; that needs no hold.
    let off = service
        .update_role(&editor, id, default(false))
        .await
        .unwrap();
    assert!(!off.is_default);
}
