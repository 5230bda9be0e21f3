//! The built-in admin role keeps its name and permissions, and the last
//! active user holding it stays: an installation never locks itself out.

use super::*;

struct Fixture {
    memory: Arc<Memory>,
    service: Service,
    admin_role: crate::Role,
    staff: crate::Role,
    root: crate::User,
}

/// An admin role holding every permission, one user `root` holding it, and
/// a `staff` role.
async fn fixture() -> Fixture {
    let (memory, service) = setup();
    let input = CreateRole {
        name: "admin".into(),
        permissions: Permission::ALL
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
        ..CreateRole::default()
    };
    let admin_role = service.create_role(&admin(), input).await.unwrap();
    let staff = role(&service, "staff", false).await;
    let root = service.create_user(&admin(), named("root")).await.unwrap();
    service
        .assign_user_roles(&admin(), root.id.as_str(), &[admin_role.id.to_string()])
        .await
        .unwrap();
    Fixture {
        memory,
        service,
        admin_role,
        staff,
        root,
    }
}

impl Fixture {
    /// Another user holding the admin role.
    async fn second_admin(&self, username: &str) -> crate::User {
        let user = self
            .service
            .create_user(&admin(), named(username))
            .await
            .unwrap();
        self.service
            .assign_user_roles(
                &admin(),
                user.id.as_str(),
                &[self.admin_role.id.to_string()],
            )
            .await
            .unwrap();
        user
    }

    /// One of the four ways to take the admin role from `user`: delete,
    /// suspend, remove the role, replace the roles without it.
    async fn take_away(&self, user: &crate::User, way: usize) -> Result<()> {
        let (s, id) = (&self.service, user.id.as_str());
        match way {
            0 => s.delete_user(&admin(), id).await.map(drop),
            1 => s.set_user_suspended(&admin(), id, true).await.map(drop),
            2 => s
                .remove_user_role(&admin(), id, self.admin_role.id.as_str())
                .await
                .map(drop),
            _ => s
                .replace_user_roles(&admin(), id, &[self.staff.id.to_string()])
                .await
                .map(drop),
        }
    }
}

const WAYS: std::ops::Range<usize> = 0..4;

fn assert_last_admin(result: Result<()>) {
    let err = result.unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert!(err.to_string().contains("last admin"), "{err}");
}

#[tokio::test]
async fn the_last_admin_cannot_be_deleted_suspended_or_unassigned() {
    let fx = fixture().await;
    let before = fx.memory.snapshot();
    for way in WAYS {
        assert_last_admin(fx.take_away(&fx.root, way).await);
    }
    let after = fx.memory.snapshot();
    assert_eq!(after.commits, before.commits);
    assert_eq!(after.users[&fx.root.id], before.users[&fx.root.id]);

    // What leaves the admin role in place is fine.
    let id = fx.root.id.as_str();
    let both = [fx.admin_role.id.to_string(), fx.staff.id.to_string()];
    fx.service
        .replace_user_roles(&admin(), id, &both)
        .await
        .unwrap();
    fx.service
        .remove_user_role(&admin(), id, fx.staff.id.as_str())
        .await
        .unwrap();
    fx.service
        .set_user_suspended(&admin(), id, false)
        .await
        .unwrap();
}

#[tokio::test]
async fn other_users_go_freely_while_one_admin_remains() {
    let fx = fixture().await;
    let plain = fx
        .service
        .create_user(&admin(), named("plain"))
        .await
        .unwrap();
    fx.service
        .set_user_suspended(&admin(), plain.id.as_str(), true)
        .await
        .unwrap();
    fx.service
        .delete_user(&admin(), plain.id.as_str())
        .await
        .unwrap();
}

#[tokio::test]
async fn with_a_second_active_admin_each_way_out_is_allowed_once() {
    for way in WAYS {
        let fx = fixture().await;
        let deputy = fx.second_admin("deputy").await;
        fx.take_away(&fx.root, way)
            .await
            .unwrap_or_else(|e| panic!("way {way}: {e}"));
        // Now the deputy is the last one.
        assert_last_admin(fx.take_away(&deputy, way).await);
    }
}

/// Each of the last two admins taken away at once (any mix of the four
/// ways): both operations see the other admin still active before either
/// commits, so only the check inside the commit can stop the second.
#[tokio::test]
async fn concurrent_removals_of_the_last_two_admins_leave_one() {
    for (first, second) in WAYS.flat_map(|a| WAYS.map(move |b| (a, b))) {
        let fx = fixture().await;
        let deputy = fx.second_admin("deputy").await;
        *fx.memory.commit_barrier.lock().unwrap() = Some(Arc::new(tokio::sync::Barrier::new(2)));
        let (a, b) = tokio::join!(fx.take_away(&fx.root, first), fx.take_away(&deputy, second));
        *fx.memory.commit_barrier.lock().unwrap() = None;
        let refused: Vec<crate::Error> = [a, b].into_iter().filter_map(Result::err).collect();
        assert_eq!(refused.len(), 1, "ways {first}/{second}: {refused:?}");
        assert!(refused[0].to_string().contains("last admin"), "{refused:?}");
        let state = fx.memory.snapshot();
        let active_admins = state
            .assignments
            .iter()
            .filter(|(id, roles)| {
                roles.contains(&fx.admin_role.id)
                    && state.users.get(*id).is_some_and(|u| !u.is_suspended)
            })
            .count();
        assert_eq!(active_admins, 1, "ways {first}/{second}");
    }
}

/// One import chunk suspending both of the last two admins: each record
/// passes the pre-check (the other admin is still active in the store),
/// and the check inside the commit blames the second record alone.
#[tokio::test]
async fn an_import_suspending_the_last_two_admins_fails_the_second_record() {
    let fx = fixture().await;
    let deputy = fx.second_admin("deputy").await;
    let suspend = |user: &crate::User| ImportedUser {
        user: CreateUser {
            id: Some(user.id.to_string()),
            ..named(user.username.as_deref().unwrap())
        },
        is_suspended: Some(true),
        partial: true,
        ..Default::default()
    };
    let mut results = fx
        .service
        .import_users_batch(
            &admin(),
            vec![suspend(&fx.root), suspend(&deputy)],
            OnExisting::Update,
        )
        .await
        .unwrap();
    assert_eq!(results[0].as_ref().ok(), Some(&ImportOutcome::Updated));
    assert_last_admin(results.remove(1).map(drop));
    let state = fx.memory.snapshot();
    assert!(state.users[&fx.root.id].is_suspended);
    assert!(!state.users[&deputy.id].is_suspended);
}

#[tokio::test]
async fn a_suspended_admin_is_no_replacement() {
    let fx = fixture().await;
    let sleeper = fx.second_admin("sleeper").await;
    fx.service
        .set_user_suspended(&admin(), sleeper.id.as_str(), true)
        .await
        .unwrap();
    for way in WAYS {
        assert_last_admin(fx.take_away(&fx.root, way).await);
    }
    // The suspended one is not an active admin, so it may go.
    fx.service
        .delete_user(&admin(), sleeper.id.as_str())
        .await
        .unwrap();
}

#[tokio::test]
async fn the_last_admin_rule_holds_for_full_permission_callers_too() {
    let fx = fixture().await;
    let itself = Caller {
        user_id: Some(fx.root.id.clone()),
        ..caller_with(&Permission::ALL)
    };
    let err = fx
        .service
        .delete_user(&itself, fx.root.id.as_str())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
}

#[tokio::test]
async fn the_builtin_admin_role_keeps_its_name_and_permissions() {
    let fx = fixture().await;
    let (s, id) = (&fx.service, fx.admin_role.id.as_str());
    let before = fx.memory.snapshot();
    let attempts = [
        UpdateRole {
            name: Some("superuser".into()),
            ..UpdateRole::default()
        },
        UpdateRole {
            name: Some("Admin".into()),
            ..UpdateRole::default()
        },
        UpdateRole {
            permissions: Some(vec!["users:read".into()]),
            ..UpdateRole::default()
        },
    ];
    for input in attempts {
        let err = s.update_role(&admin(), id, input).await.unwrap_err();
        assert_eq!(err.code(), "FORBIDDEN");
        assert!(err.to_string().contains("built-in admin role"), "{err}");
    }
    let err = s.delete_role(&admin(), id).await.unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert_eq!(fx.memory.snapshot().roles, before.roles);
    assert_eq!(fx.memory.snapshot().commits, before.commits);

    // The same permissions in another order change nothing; the
    // description and the default flag may change.
    let mut same: Vec<String> = fx.admin_role.permissions.clone();
    same.reverse();
    let input = UpdateRole {
        name: Some("admin".into()),
        permissions: Some(same),
        description: Patch::Value("Everything".into()),
        is_default: Some(true),
    };
    let role = s.update_role(&admin(), id, input).await.unwrap();
    assert_eq!(role.description.as_deref(), Some("Everything"));
    assert!(role.is_default);
    assert_eq!(role.permissions, fx.admin_role.permissions);

    let again = CreateRole {
        name: "ADMIN".into(),
        ..CreateRole::default()
    };
    let err = s.create_role(&admin(), again).await.unwrap_err();
    assert_eq!((err.code(), err.field()), ("CONFLICT", Some("name")));
}

#[tokio::test]
async fn without_an_admin_role_nobody_is_the_last_admin() {
    let (_, service) = setup();
    let only = service.create_user(&admin(), named("only")).await.unwrap();
    service
        .delete_user(&admin(), only.id.as_str())
        .await
        .unwrap();
}
