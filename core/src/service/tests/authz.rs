//! Who may call what: every existing operation against every kind of
//! caller, then the self-service edges the table cannot show.

use super::*;
use crate::ids::RoleId;
use crate::query::LogFilter;

/// The world each check starts from: a target user (with a password, a
/// linked identity, a personal token and one role) that the operations
/// touch, an acting user behind the non-self callers, and a role nobody
/// holds.
struct Fixture {
    memory: Arc<Memory>,
    service: Service,
    actor: UserId,
    target: crate::User,
    /// The target's personal token.
    token: crate::ids::TokenId,
    /// Held by the target; holds no permission.
    staff: crate::Role,
    /// Held by nobody; holds no permission, so granting it escalates nothing.
    member: crate::Role,
}

async fn fixture() -> Fixture {
    let (memory, service) = setup();
    let staff = role(&service, "staff", false).await;
    let member = role(&service, "member", false).await;
    let actor = service.create_user(&admin(), named("actor")).await.unwrap();
    let input = CreateUser {
        password: Some("correct horse battery".into()),
        ..named("target")
    };
    let target = service.create_user(&admin(), input).await.unwrap();
    let id = target.id.as_str();
    let identity = IdentityInput {
        user_id: "gh-1".into(),
        details: None,
    };
    service
        .link_user_identity(&admin(), id, "github", identity)
        .await
        .unwrap();
    service
        .assign_user_roles(&admin(), id, &[staff.id.to_string()])
        .await
        .unwrap();
    let target = service.user(&admin(), id).await.unwrap().unwrap();
    let laptop = NewToken {
        name: "laptop".into(),
        expires_at: None,
        scopes: None,
    };
    let token = service
        .create_token(&admin(), &target.id, laptop)
        .await
        .unwrap()
        .token
        .id;
    Fixture {
        memory,
        service,
        actor: actor.id,
        target,
        token,
        staff,
        member,
    }
}

impl Fixture {
    /// Makes the target hold every permission: its staff role gets them all
    /// (in storage directly, so that no log entry or role is added that
    /// the operations' own checks would count).
    fn empower_target(&self) {
        let mut state = self.memory.state.lock().unwrap();
        let staff = state.roles.get_mut(&self.staff.id).unwrap();
        staff.permissions = Permission::ALL.map(|p| p.as_str().to_owned()).to_vec();
    }
}

#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    /// Signed in, no roles.
    Plain,
    /// Signed in, exactly this permission.
    Holding(Permission),
    /// Signed in with every permission (the admin role).
    Admin,
    /// The target user itself, without any permission.
    Myself,
}

impl Who {
    fn every() -> Vec<Who> {
        let mut all = vec![Who::Anonymous, Who::Plain, Who::Admin, Who::Myself];
        all.extend(Permission::ALL.map(Who::Holding));
        all
    }

    fn caller(self, fx: &Fixture) -> Caller {
        let user = |id: &UserId, permissions: &[Permission]| Caller {
            user_id: Some(id.clone()),
            permissions: Permissions::Only(permissions.iter().copied().collect()),
            ..Caller::anonymous()
        };
        match self {
            Who::Anonymous => Caller::anonymous(),
            Who::Plain => user(&fx.actor, &[]),
            Who::Holding(permission) => user(&fx.actor, &[permission]),
            Who::Admin => user(&fx.actor, &Permission::ALL),
            Who::Myself => user(&fx.target.id, &[]),
        }
    }
}

/// What an operation asks of its caller.
#[derive(Clone, Copy, Debug)]
enum Needs {
    Permission(Permission),
    /// The permission, or being the target user.
    PermissionOrSelf(Permission),
}

impl Needs {
    /// `None` when the call should succeed, else the error code.
    fn expected(self, who: Who) -> Option<&'static str> {
        let (permission, self_ok) = match self {
            Needs::Permission(p) => (p, false),
            Needs::PermissionOrSelf(p) => (p, true),
        };
        let allowed = match who {
            Who::Anonymous => return Some("UNAUTHENTICATED"),
            Who::Plain => false,
            Who::Holding(held) => held == permission,
            Who::Admin => true,
            Who::Myself => self_ok,
        };
        (!allowed).then_some("FORBIDDEN")
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    CreateUser,
    CreateUsersBatch,
    User,
    UsersByIds,
    SearchUsers,
    DeleteUser,
    UpdateUserName,
    UpdateUserAvatar,
    UpdateUserUsername,
    UpdateUserEmail,
    UpdateUserPhone,
    UpdateUserProfile,
    UpdateUserCustomData,
    Suspend,
    LinkIdentity,
    UnlinkIdentity,
    SetPassword,
    VerifyPassword,
    AssignRoles,
    ReplaceRoles,
    RemoveRole,
    RolesOfUsers,
    RoleUsers,
    CreateRole,
    UpdateRole,
    DeleteRole,
    Role,
    SearchRoles,
    SearchLogs,
    SearchOwnLogs,
    CreateToken,
    RenameToken,
    RevokeToken,
    PersonalTokens,
}

impl Op {
    const ALL: [Op; 34] = [
        Op::CreateUser,
        Op::CreateUsersBatch,
        Op::User,
        Op::UsersByIds,
        Op::SearchUsers,
        Op::DeleteUser,
        Op::UpdateUserName,
        Op::UpdateUserAvatar,
        Op::UpdateUserUsername,
        Op::UpdateUserEmail,
        Op::UpdateUserPhone,
        Op::UpdateUserProfile,
        Op::UpdateUserCustomData,
        Op::Suspend,
        Op::LinkIdentity,
        Op::UnlinkIdentity,
        Op::SetPassword,
        Op::VerifyPassword,
        Op::AssignRoles,
        Op::ReplaceRoles,
        Op::RemoveRole,
        Op::RolesOfUsers,
        Op::RoleUsers,
        Op::CreateRole,
        Op::UpdateRole,
        Op::DeleteRole,
        Op::Role,
        Op::SearchRoles,
        Op::SearchLogs,
        Op::SearchOwnLogs,
        Op::CreateToken,
        Op::RenameToken,
        Op::RevokeToken,
        Op::PersonalTokens,
    ];

    fn needs(self) -> Needs {
        use Needs::{Permission as P, PermissionOrSelf as S};
        use Permission::*;
        match self {
            Op::User | Op::UsersByIds | Op::RolesOfUsers => S(UsersRead),
            Op::SearchUsers | Op::RoleUsers => P(UsersRead),
            Op::UpdateUserName | Op::UpdateUserAvatar | Op::UpdateUserProfile => S(UsersWrite),
            Op::CreateUser
            | Op::CreateUsersBatch
            | Op::UpdateUserUsername
            | Op::UpdateUserEmail
            | Op::UpdateUserPhone
            | Op::UpdateUserCustomData
            | Op::Suspend
            | Op::LinkIdentity
            | Op::UnlinkIdentity
            | Op::AssignRoles
            | Op::ReplaceRoles
            | Op::RemoveRole => P(UsersWrite),
            Op::DeleteUser => P(UsersDelete),
            Op::SetPassword | Op::VerifyPassword => P(UsersPassword),
            Op::CreateRole | Op::UpdateRole | Op::DeleteRole => P(RolesWrite),
            Op::Role | Op::SearchRoles => P(RolesRead),
            Op::SearchLogs => P(LogsRead),
            Op::SearchOwnLogs => S(LogsRead),
            Op::CreateToken | Op::RenameToken | Op::RevokeToken => S(TokensWrite),
            Op::PersonalTokens => S(TokensRead),
        }
    }

    /// Whether the operation acts on the target user (changes it, its
    /// roles or tokens, or checks its password), as opposed to reading it
    /// or acting on something else.
    fn acts_on_target(self) -> bool {
        match self {
            Op::DeleteUser
            | Op::UpdateUserName
            | Op::UpdateUserAvatar
            | Op::UpdateUserUsername
            | Op::UpdateUserEmail
            | Op::UpdateUserPhone
            | Op::UpdateUserProfile
            | Op::UpdateUserCustomData
            | Op::Suspend
            | Op::LinkIdentity
            | Op::UnlinkIdentity
            | Op::SetPassword
            | Op::VerifyPassword
            | Op::AssignRoles
            | Op::ReplaceRoles
            | Op::RemoveRole
            | Op::CreateToken
            | Op::RenameToken
            | Op::RevokeToken => true,
            Op::CreateUser
            | Op::CreateUsersBatch
            | Op::User
            | Op::UsersByIds
            | Op::SearchUsers
            | Op::RolesOfUsers
            | Op::RoleUsers
            | Op::CreateRole
            | Op::UpdateRole
            | Op::DeleteRole
            | Op::Role
            | Op::SearchRoles
            | Op::SearchLogs
            | Op::SearchOwnLogs
            | Op::PersonalTokens => false,
        }
    }

    /// Runs the operation with arguments that succeed for an allowed caller,
    /// checking what it returns so that "allowed" means "did its job".
    async fn run(self, fx: &Fixture, caller: &Caller) -> Result<()> {
        let service = &fx.service;
        let target = fx.target.id.as_str();
        let ids = std::slice::from_ref(&fx.target.id);
        let update = |input: UpdateUser| service.update_user(caller, target, input);
        match self {
            Op::CreateUser => {
                let user = service.create_user(caller, named("new")).await?;
                assert_eq!(user.username.as_deref(), Some("new"));
            }
            Op::CreateUsersBatch => {
                let results = service
                    .create_users_batch(caller, vec![named("new")])
                    .await?;
                assert!(results[0].is_ok());
            }
            Op::User => {
                assert!(service.user(caller, target).await?.is_some());
            }
            Op::UsersByIds => {
                assert_eq!(service.users_by_ids(caller, ids).await?.len(), 1);
            }
            Op::SearchUsers => {
                let query = UserQuery {
                    search: Some("target".into()),
                    ..UserQuery::default()
                };
                assert_eq!(service.search_users(caller, query).await?.edges.len(), 1);
            }
            Op::DeleteUser => {
                service.delete_user(caller, target).await?;
            }
            Op::UpdateUserName => {
                let user = update(UpdateUser {
                    name: Patch::Value("Tess".into()),
                    ..UpdateUser::default()
                })
                .await?;
                assert_eq!(user.name.as_deref(), Some("Tess"));
            }
            Op::UpdateUserAvatar => {
                let user = update(UpdateUser {
                    avatar: Patch::Value("https://example.com/a.png".into()),
                    ..UpdateUser::default()
                })
                .await?;
                assert!(user.avatar.is_some());
            }
            Op::UpdateUserUsername => {
                let user = update(UpdateUser {
                    username: Patch::Value("renamed".into()),
                    ..UpdateUser::default()
                })
                .await?;
                assert_eq!(user.username.as_deref(), Some("renamed"));
            }
            Op::UpdateUserEmail => {
                let user = update(UpdateUser {
                    primary_email: Patch::Value("t@example.com".into()),
                    ..UpdateUser::default()
                })
                .await?;
                assert!(user.primary_email.is_some());
            }
            Op::UpdateUserPhone => {
                let user = update(UpdateUser {
                    primary_phone: Patch::Value("+1 555 0100".into()),
                    ..UpdateUser::default()
                })
                .await?;
                assert!(user.primary_phone.is_some());
            }
            Op::UpdateUserProfile => {
                let profile = ProfileInput {
                    nickname: Patch::Value("T".into()),
                    ..ProfileInput::default()
                };
                let user = service.update_user_profile(caller, target, profile).await?;
                assert_eq!(user.profile.nickname.as_deref(), Some("T"));
            }
            Op::UpdateUserCustomData => {
                let user = service
                    .update_user_custom_data(caller, target, json!({ "plan": "pro" }), false)
                    .await?;
                assert_eq!(user.custom_data["plan"], json!("pro"));
            }
            Op::Suspend => {
                let user = service.set_user_suspended(caller, target, true).await?;
                assert!(user.is_suspended);
            }
            Op::LinkIdentity => {
                let identity = IdentityInput {
                    user_id: "g-1".into(),
                    details: None,
                };
                let user = service
                    .link_user_identity(caller, target, "google", identity)
                    .await?;
                assert!(user.identities.contains_key("google"));
            }
            Op::UnlinkIdentity => {
                let user = service
                    .unlink_user_identity(caller, target, "github")
                    .await?;
                assert!(user.identities.is_empty());
            }
            Op::SetPassword => {
                service
                    .set_user_password(caller, target, "another long one".into())
                    .await?;
            }
            Op::VerifyPassword => {
                let ok = service
                    .verify_user_password(caller, target, "correct horse battery".into())
                    .await?;
                assert!(ok);
            }
            Op::AssignRoles => {
                service
                    .assign_user_roles(caller, target, &[fx.member.id.to_string()])
                    .await?;
                assert!(held(fx).contains(&fx.member.id));
            }
            Op::ReplaceRoles => {
                service
                    .replace_user_roles(caller, target, &[fx.member.id.to_string()])
                    .await?;
                assert_eq!(held(fx), vec![fx.member.id.clone()]);
            }
            Op::RemoveRole => {
                service
                    .remove_user_role(caller, target, fx.staff.id.as_str())
                    .await?;
                assert!(!held(fx).contains(&fx.staff.id));
            }
            Op::RolesOfUsers => {
                let roles = service.roles_of_users(caller, ids).await?;
                assert_eq!(roles[&fx.target.id][0].id, fx.staff.id);
            }
            Op::RoleUsers => {
                let users = service
                    .role_users(caller, &fx.staff.id, PageArgs::default(), false)
                    .await?;
                assert_eq!(users.nodes().next().map(|u| &u.id), Some(&fx.target.id));
            }
            Op::CreateRole => {
                let input = CreateRole {
                    name: "auditor".into(),
                    ..CreateRole::default()
                };
                service.create_role(caller, input).await?;
            }
            Op::UpdateRole => {
                let input = UpdateRole {
                    description: Patch::Value("everyone".into()),
                    ..UpdateRole::default()
                };
                let role = service
                    .update_role(caller, fx.member.id.as_str(), input)
                    .await?;
                assert_eq!(role.description.as_deref(), Some("everyone"));
            }
            Op::DeleteRole => {
                service.delete_role(caller, fx.member.id.as_str()).await?;
            }
            Op::Role => {
                assert!(service.role(caller, fx.member.id.as_str()).await?.is_some());
            }
            Op::SearchRoles => {
                let roles = service
                    .search_roles(caller, None, PageArgs::default(), false)
                    .await?;
                assert_eq!(roles.edges.len(), 2);
            }
            Op::SearchLogs => {
                let logs = service
                    .search_logs(caller, LogFilter::default(), PageArgs::default(), false)
                    .await?;
                assert!(logs.edges.len() > 3);
            }
            Op::SearchOwnLogs => {
                let filter = LogFilter {
                    user_id: Some(fx.target.id.clone()),
                    ..LogFilter::default()
                };
                let logs = service
                    .search_logs(caller, filter, PageArgs::default(), false)
                    .await?;
                assert!(
                    logs.nodes()
                        .all(|l| l.user_id == Some(fx.target.id.clone()))
                );
                assert_eq!(
                    logs.edges.len(),
                    4,
                    "created, identity linked, role assigned, token created"
                );
            }
            Op::CreateToken => {
                // Scoped to nothing, so that the token itself carries no
                // permission the caller might lack: only acting as the
                // target is at stake.
                let input = NewToken {
                    name: "new".into(),
                    expires_at: None,
                    scopes: Some(Vec::new()),
                };
                let created = service.create_token(caller, &fx.target.id, input).await?;
                assert_eq!(created.token.user_id, fx.target.id);
            }
            Op::RenameToken => {
                let token = service.rename_token(caller, &fx.token, "desk").await?;
                assert_eq!(token.name, "desk");
            }
            Op::RevokeToken => {
                let token = service.revoke_token(caller, &fx.token).await?;
                assert!(token.revoked_at.is_some());
            }
            Op::PersonalTokens => {
                let tokens = service.personal_tokens(caller, &fx.target.id).await?;
                assert_eq!(tokens.len(), 1);
            }
        }
        Ok(())
    }
}

/// The target's role ids as stored.
fn held(fx: &Fixture) -> Vec<RoleId> {
    fx.memory.snapshot().assignments[&fx.target.id]
        .iter()
        .cloned()
        .collect()
}

#[tokio::test]
async fn every_operation_answers_every_kind_of_caller_as_the_rules_say() {
    let mut failures = Vec::new();
    for op in Op::ALL {
        for who in Who::every() {
            let fx = fixture().await;
            let caller = who.caller(&fx);
            let before = fx.memory.snapshot();
            let got = op.run(&fx, &caller).await.err().map(|e| e.code());
            let expected = op.needs().expected(who);
            if got != expected {
                failures.push(format!(
                    "{op:?} by {who:?}: got {got:?}, expected {expected:?}"
                ));
            }
            if expected.is_some() {
                let after = fx.memory.snapshot();
                if (after.commits, after.logs.len()) != (before.commits, before.logs.len()) {
                    failures.push(format!("{op:?} by {who:?} should be refused but wrote"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Holding an operation's permission is not enough to use it on a user who
/// holds more: whoever could set an admin's password (or change, suspend,
/// delete, unlink, re-role it, or act as it through a token) could take its
/// power. Reading stays open, and a caller holding everything the target
/// holds may act.
#[tokio::test]
async fn acting_on_a_user_who_holds_more_is_forbidden() {
    let mut failures = Vec::new();
    for op in Op::ALL {
        let permission = match op.needs() {
            Needs::Permission(p) | Needs::PermissionOrSelf(p) => p,
        };
        for who in [Who::Holding(permission), Who::Admin] {
            let fx = fixture().await;
            fx.empower_target();
            let caller = who.caller(&fx);
            let before = fx.memory.snapshot();
            let got = op.run(&fx, &caller).await.err();
            let weaker = matches!(who, Who::Holding(_));
            let expected = (weaker && op.acts_on_target()).then_some("FORBIDDEN");
            if got.as_ref().map(|e| e.code()) != expected {
                failures.push(format!(
                    "{op:?} by {who:?}: got {got:?}, expected {expected:?}"
                ));
                continue;
            }
            if let Some(err) = got {
                if !err
                    .to_string()
                    .contains("you cannot act on a user who holds")
                {
                    failures.push(format!("{op:?}: refused for another reason: {err}"));
                }
                let after = fx.memory.snapshot();
                if (after.commits, after.logs.len()) != (before.commits, before.logs.len()) {
                    failures.push(format!("{op:?} by {who:?} should be refused but wrote"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_process_itself_may_do_everything() {
    for op in Op::ALL {
        let fx = fixture().await;
        op.run(&fx, &Caller::system()).await.unwrap();
    }
}

#[tokio::test]
async fn an_anonymous_caller_hears_unauthenticated_even_for_a_malformed_id() {
    let fx = fixture().await;
    let anonymous = Caller::anonymous();
    let service = &fx.service;
    let bad = "not an id";
    let errors = [
        service.user(&anonymous, bad).await.unwrap_err(),
        service
            .update_user(&anonymous, bad, UpdateUser::default())
            .await
            .unwrap_err(),
        service
            .update_user_profile(&anonymous, bad, ProfileInput::default())
            .await
            .unwrap_err(),
        service.delete_user(&anonymous, bad).await.unwrap_err(),
        service.users_by_ids(&anonymous, &[]).await.unwrap_err(),
        service.roles_of_users(&anonymous, &[]).await.unwrap_err(),
    ];
    for err in errors {
        assert_eq!(err.code(), "UNAUTHENTICATED");
    }
    // A caller allowed only on itself learns it is not allowed, not that
    // the id is malformed.
    let me = Who::Myself.caller(&fx);
    let err = service.user(&me, bad).await.unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
}

#[tokio::test]
async fn a_user_may_change_its_name_and_avatar_together_but_not_its_identifiers() {
    let fx = fixture().await;
    let me = Who::Myself.caller(&fx);
    let id = fx.target.id.as_str();
    let user = fx
        .service
        .update_user(
            &me,
            id,
            UpdateUser {
                name: Patch::Value("Tess".into()),
                avatar: Patch::Value("https://example.com/t.png".into()),
                ..UpdateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(user.name.as_deref(), Some("Tess"));

    // Sending the current username back changes nothing, so it is allowed.
    let resent = UpdateUser {
        username: Patch::Value("target".into()),
        name: Patch::Null,
        ..UpdateUser::default()
    };
    let user = fx.service.update_user(&me, id, resent).await.unwrap();
    assert_eq!(user.name, None);

    let commits = fx.memory.snapshot().commits;
    let sneaky = UpdateUser {
        name: Patch::Value("Tess".into()),
        primary_email: Patch::Value("me@example.com".into()),
        ..UpdateUser::default()
    };
    let err = fx.service.update_user(&me, id, sneaky).await.unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert!(err.to_string().contains("primaryEmail"));
    let cleared = UpdateUser {
        username: Patch::Null,
        ..UpdateUser::default()
    };
    let err = fx.service.update_user(&me, id, cleared).await.unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert_eq!(
        fx.memory.snapshot().commits,
        commits,
        "nothing half-applied"
    );
}

#[tokio::test]
async fn reading_oneself_does_not_extend_to_others_in_the_same_call() {
    let fx = fixture().await;
    let me = Who::Myself.caller(&fx);
    let both = [fx.target.id.clone(), fx.actor.clone()];
    for err in [
        fx.service.users_by_ids(&me, &both).await.unwrap_err(),
        fx.service.roles_of_users(&me, &both).await.unwrap_err(),
    ] {
        assert_eq!(err.code(), "FORBIDDEN");
    }
    let mine = fx.service.roles_of_users(&me, &both[..1]).await.unwrap();
    assert_eq!(mine[&fx.target.id].len(), 1);
}

#[tokio::test]
async fn own_logs_are_readable_but_not_someone_elses() {
    let fx = fixture().await;
    let me = Who::Myself.caller(&fx);
    let filter = |user: &UserId| LogFilter {
        user_id: Some(user.clone()),
        ..LogFilter::default()
    };
    let err = fx
        .service
        .search_logs(&me, filter(&fx.actor), PageArgs::default(), false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    let err = fx
        .service
        .search_logs(&me, LogFilter::default(), PageArgs::default(), false)
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        "FORBIDDEN",
        "an unfiltered search is everyone's"
    );
    let mine = fx
        .service
        .search_logs(&me, filter(&fx.target.id), PageArgs::default(), true)
        .await
        .unwrap();
    assert_eq!(mine.total(), Some(4));
}

#[tokio::test]
async fn a_self_service_caller_reads_only_itself_among_log_users() {
    let fx = fixture().await;
    let both = [fx.target.id.clone(), fx.actor.clone(), UserId::generate()];
    let me = Who::Myself.caller(&fx);
    let mine = fx.service.readable_users(&me, &both).await.unwrap();
    assert_eq!(
        mine.keys().collect::<Vec<_>>(),
        [&fx.target.id],
        "never the actor, never an error"
    );
    let reader = Who::Holding(Permission::UsersRead).caller(&fx);
    let all = fx.service.readable_users(&reader, &both).await.unwrap();
    assert_eq!(all.len(), 2, "a deleted or unknown id is left out");
    assert!(all.contains_key(&fx.actor) && all.contains_key(&fx.target.id));
    let logs_only = Who::Holding(Permission::LogsRead).caller(&fx);
    let own = fx.service.readable_users(&logs_only, &both).await.unwrap();
    assert_eq!(
        own.keys().collect::<Vec<_>>(),
        [&fx.actor],
        "logs:read alone reveals no other profile"
    );
    let anonymous = Who::Anonymous.caller(&fx);
    assert!(
        fx.service
            .readable_users(&anonymous, &both)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn my_permissions_are_the_callers_sorted_by_name() {
    let fx = fixture().await;
    let err = fx
        .service
        .my_permissions(&Who::Anonymous.caller(&fx))
        .unwrap_err();
    assert_eq!(err.code(), "UNAUTHENTICATED");
    assert!(
        fx.service
            .my_permissions(&Who::Plain.caller(&fx))
            .unwrap()
            .is_empty()
    );
    let some = Caller {
        permissions: Permissions::Only(
            [
                Permission::UsersWrite,
                Permission::LogsRead,
                Permission::RolesRead,
            ]
            .into(),
        ),
        ..Who::Plain.caller(&fx)
    };
    assert_eq!(
        fx.service.my_permissions(&some).unwrap(),
        ["logs:read", "roles:read", "users:write"]
    );
    let mut all = Permission::ALL.map(Permission::as_str).to_vec();
    all.sort_unstable();
    assert_eq!(fx.service.my_permissions(&Caller::system()).unwrap(), all);
}
