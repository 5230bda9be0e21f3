//! The service with plugins: which proposal each operation puts to the
//! before-hooks, that a veto aborts it whole, and which event each committed
//! change hands to the after-hooks.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::memory::Memory;
use super::*;
use crate::model::User;
use crate::plugin::{
    Event, EventKind, HookContext, Plugin, PluginHost, PluginLog, Proposal, Rejection,
};

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "tr0ub4dor and then some";

/// What a before-hook was shown.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    plugin: String,
    kind: &'static str,
    user: UserId,
    /// The part of the proposal a test checks (see [`describe`]).
    detail: String,
    context: HookContext,
}

/// The proposal's kind, its user and what else it carries, as text.
fn describe(proposal: &Proposal<'_>) -> (&'static str, UserId, String) {
    match proposal {
        Proposal::CreateUser { user } => (
            "CreateUser",
            user.id.clone(),
            user.username.clone().unwrap_or_default(),
        ),
        Proposal::UpdateUser { before, after } => {
            // The fields whose values differ, stamps aside.
            let old = serde_json::to_value(before).unwrap();
            let new = serde_json::to_value(after).unwrap();
            let mut changed: Vec<&str> = new
                .as_object()
                .unwrap()
                .iter()
                .filter(|(key, value)| old.get(key.as_str()) != Some(*value))
                .map(|(key, _)| key.as_str())
                .filter(|key| !matches!(*key, "updatedAt" | "version"))
                .collect();
            changed.sort_unstable();
            ("UpdateUser", after.id.clone(), changed.join(","))
        }
        Proposal::SetPassword { user, password } => {
            ("SetPassword", user.id.clone(), (*password).to_owned())
        }
        Proposal::LinkIdentity {
            user,
            provider,
            identity,
        } => (
            "LinkIdentity",
            user.id.clone(),
            format!("{provider}:{}", identity.user_id),
        ),
        Proposal::ChangeRoles { user, roles } => (
            "ChangeRoles",
            user.id.clone(),
            roles
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
        Proposal::CreateToken { user, token } => {
            assert_eq!(token.user_id, user.id);
            ("CreateToken", user.id.clone(), token.name.clone())
        }
        Proposal::SignIn { user } => ("SignIn", user.id.clone(), String::new()),
    }
}

/// Which proposals a [`Recorder`] vetoes.
#[derive(Clone, Debug)]
struct Veto {
    kind: &'static str,
    /// Only proposals about a user of this username; any when `None`.
    username: Option<&'static str>,
}

/// Records what its before-hook is shown (into a list shared among
/// recorders, so their order shows) and sends every event it wants, after
/// an optional nap, down a channel.
#[derive(Debug)]
struct Recorder {
    name: &'static str,
    veto: Mutex<Option<Veto>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    events: mpsc::UnboundedSender<Event>,
    nap: Duration,
}

impl Recorder {
    fn veto(&self, kind: &'static str, username: Option<&'static str>) {
        *self.veto.lock().unwrap() = Some(Veto { kind, username });
    }
}

#[async_trait]
impl Plugin for Recorder {
    fn name(&self) -> &str {
        self.name
    }

    fn wants(&self, _: EventKind) -> bool {
        true
    }

    async fn before(
        &self,
        context: &HookContext,
        proposal: &Proposal<'_>,
    ) -> std::result::Result<(), Rejection> {
        let (kind, user, detail) = describe(proposal);
        self.seen.lock().unwrap().push(Seen {
            plugin: self.name.to_owned(),
            kind,
            user,
            detail,
            context: context.clone(),
        });
        let veto = self.veto.lock().unwrap().clone();
        let username = match proposal {
            Proposal::CreateUser { user }
            | Proposal::SetPassword { user, .. }
            | Proposal::LinkIdentity { user, .. }
            | Proposal::ChangeRoles { user, .. }
            | Proposal::CreateToken { user, .. }
            | Proposal::SignIn { user }
            | Proposal::UpdateUser { after: user, .. } => user.username.clone(),
        };
        match veto {
            Some(veto)
                if veto.kind == kind
                    && veto
                        .username
                        .is_none_or(|name| username.as_deref() == Some(name)) =>
            {
                Err(Rejection::new(format!("{} says no to {kind}", self.name)).on_field("test"))
            }
            _ => Ok(()),
        }
    }

    async fn after(&self, event: &Event, _: &PluginLog) {
        if !self.nap.is_zero() {
            tokio::time::sleep(self.nap).await;
        }
        let _ = self.events.send(event.clone());
    }
}

struct Harness {
    memory: Arc<Memory>,
    service: Service,
    recorders: Vec<Arc<Recorder>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    events: mpsc::UnboundedReceiver<Event>,
    /// Every kind of event handled so far.
    kinds: BTreeSet<EventKind>,
}

impl Harness {
    /// A service running one recorder per name, in that order.
    fn new(names: &[&'static str], nap: Duration) -> Self {
        let (memory, service) = setup();
        let (sender, events) = mpsc::unbounded_channel();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorders: Vec<Arc<Recorder>> = names
            .iter()
            .map(|name| {
                Arc::new(Recorder {
                    name,
                    veto: Mutex::new(None),
                    seen: Arc::clone(&seen),
                    events: sender.clone(),
                    nap,
                })
            })
            .collect();
        let plugins = recorders
            .iter()
            .map(|r| Arc::clone(r) as Arc<dyn Plugin>)
            .collect();
        let host = PluginHost::new(plugins, memory.clone(), 64).unwrap();
        let service = service.with_plugins(host);
        Harness {
            memory,
            service,
            recorders,
            seen,
            events,
            kinds: BTreeSet::new(),
        }
    }

    fn one() -> Self {
        Harness::new(&["recorder"], Duration::ZERO)
    }

    /// What the before-hooks were shown since the last call.
    fn seen(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }

    /// The kinds and details shown since the last call.
    fn proposals(&self) -> Vec<(&'static str, String)> {
        self.seen()
            .into_iter()
            .map(|s| (s.kind, s.detail))
            .collect()
    }

    /// The events handled since the last call, once every one published
    /// has been.
    async fn events(&mut self) -> Vec<Event> {
        assert!(self.service.plugins().drain(Duration::from_secs(10)).await);
        let mut got = Vec::new();
        while let Ok(event) = self.events.try_recv() {
            self.kinds.insert(event.kind);
            got.push(event);
        }
        got
    }
}

/// A caller with every permission, signed in as user `actor`.
fn actor() -> Caller {
    Caller {
        user_id: Some(UserId::parse("actor").unwrap()),
        ip: Some("192.0.2.7".into()),
        ..Caller::system()
    }
}

fn from(ip: &str) -> Caller {
    Caller::anonymous().with_client(Some(ip.into()), None)
}

/// `user` acting on itself, without any permission.
fn myself(user: &User) -> Caller {
    Caller {
        user_id: Some(user.id.clone()),
        ..caller_with(&[])
    }
}

fn ada_input() -> CreateUser {
    CreateUser {
        username: Some("ada".into()),
        primary_email: Some("ada@example.com".into()),
        password: Some(PASSWORD.into()),
        ..CreateUser::default()
    }
}

fn new_email(email: &str) -> UpdateUser {
    UpdateUser {
        primary_email: Patch::Value(email.into()),
        ..UpdateUser::default()
    }
}

fn google() -> IdentityInput {
    IdentityInput {
        user_id: "g-1".into(),
        details: None,
    }
}

fn token_named(name: &str) -> NewToken {
    NewToken {
        name: name.into(),
        ..NewToken::default()
    }
}

#[tokio::test]
async fn before_hooks_see_each_proposal_with_its_data() {
    let h = Harness::one();
    let service = &h.service;
    let staff = role(service, "Staff", false).await;
    let ops = role(service, "Ops", false).await;
    h.seen();

    let ada = service.create_user(&actor(), ada_input()).await.unwrap();
    let seen = h.seen();
    assert_eq!(
        seen.iter()
            .map(|s| (s.kind, s.detail.as_str()))
            .collect::<Vec<_>>(),
        vec![("CreateUser", "ada"), ("SetPassword", PASSWORD)]
    );
    assert!(seen.iter().all(|s| s.user == ada.id));
    assert_eq!(
        seen[0].context,
        HookContext {
            actor_id: Some(UserId::parse("actor").unwrap()),
            ip: Some("192.0.2.7".into()),
        }
    );
    // An imported digest has no password to judge.
    let imported = CreateUser {
        username: Some("legacy".into()),
        password_digest: Some(bcrypt::hash("old secret", 4).unwrap()),
        password_algorithm: Some(PasswordAlgorithm::Bcrypt),
        ..CreateUser::default()
    };
    service.create_user(&actor(), imported).await.unwrap();
    assert_eq!(h.proposals(), vec![("CreateUser", "legacy".to_owned())]);

    let id = ada.id.as_str();
    service
        .update_user(&actor(), id, new_email("ada@example.org"))
        .await
        .unwrap();
    let profile = ProfileInput {
        nickname: Patch::Value("countess".into()),
        ..ProfileInput::default()
    };
    service
        .update_user_profile(&actor(), id, profile)
        .await
        .unwrap();
    service
        .update_user_custom_data(&actor(), id, json!({ "plan": "pro" }), false)
        .await
        .unwrap();
    service
        .set_user_password(&actor(), id, NEW_PASSWORD.into())
        .await
        .unwrap();
    service
        .change_password(&myself(&ada), NEW_PASSWORD, PASSWORD)
        .await
        .unwrap();
    service
        .link_user_identity(&actor(), id, "google", google())
        .await
        .unwrap();
    assert_eq!(
        h.proposals(),
        vec![
            ("UpdateUser", "primaryEmail".to_owned()),
            ("UpdateUser", "profile".to_owned()),
            ("UpdateUser", "customData".to_owned()),
            ("SetPassword", NEW_PASSWORD.to_owned()),
            ("SetPassword", PASSWORD.to_owned()),
            ("LinkIdentity", "google:g-1".to_owned()),
        ]
    );

    service
        .assign_user_roles(&actor(), id, &[staff.id.to_string()])
        .await
        .unwrap();
    service
        .replace_user_roles(&actor(), id, &[ops.id.to_string(), staff.id.to_string()])
        .await
        .unwrap();
    service
        .remove_user_role(&actor(), id, staff.id.as_str())
        .await
        .unwrap();
    service
        .create_token(&actor(), &ada.id, token_named("ci"))
        .await
        .unwrap();
    service
        .sign_in(&from("198.51.100.1"), "ada", PASSWORD)
        .await
        .unwrap();
    let seen = h.seen();
    assert!(seen.iter().all(|s| s.user == ada.id));
    assert_eq!(
        seen.into_iter()
            .map(|s| (s.kind, s.detail))
            .collect::<Vec<_>>(),
        vec![
            ("ChangeRoles", "Staff".to_owned()),
            ("ChangeRoles", "Ops,Staff".to_owned()),
            ("ChangeRoles", "Ops".to_owned()),
            ("CreateToken", "ci".to_owned()),
            ("SignIn", String::new()),
        ]
    );

    // Changes plugins may not veto ask nothing; neither do no-op changes.
    service
        .update_user(&actor(), id, new_email("ada@example.org"))
        .await
        .unwrap();
    service
        .set_user_suspended(&actor(), id, true)
        .await
        .unwrap();
    service
        .unlink_user_identity(&actor(), id, "google")
        .await
        .unwrap();
    service.delete_user(&actor(), id).await.unwrap();
    assert!(h.proposals().is_empty());
}

/// Runs `op` with the recorder vetoing `kind`: the operation must fail
/// with the plugin's rejection and leave storage untouched.
async fn refused<T: std::fmt::Debug>(
    h: &Harness,
    kind: &'static str,
    field: &str,
    op: impl Future<Output = Result<T>>,
) {
    h.recorders[0].veto(kind, None);
    let before = h.memory.snapshot();
    let err = op.await.unwrap_err();
    *h.recorders[0].veto.lock().unwrap() = None;
    assert_eq!(
        (err.code(), err.field(), err.to_string()),
        (
            "REJECTED",
            Some(field),
            format!("recorder says no to {kind}")
        ),
        "{kind}"
    );
    let after = h.memory.snapshot();
    assert_eq!(after.commits, before.commits, "{kind} wrote something");
    assert_eq!(after.logs.len(), before.logs.len());
}

#[tokio::test]
async fn a_rejection_aborts_the_operation_and_writes_nothing() {
    let mut h = Harness::one();
    let staff = role(&h.service, "Staff", false).await;
    let service = h.service.clone();

    refused(
        &h,
        "CreateUser",
        "test",
        service.create_user(&actor(), ada_input()),
    )
    .await;
    refused(
        &h,
        "SetPassword",
        "test",
        service.create_user(&actor(), ada_input()),
    )
    .await;
    assert!(h.memory.snapshot().users.is_empty());

    let ada = service.create_user(&actor(), ada_input()).await.unwrap();
    let id = ada.id.as_str();
    refused(
        &h,
        "UpdateUser",
        "test",
        service.update_user(&actor(), id, new_email("ada@example.org")),
    )
    .await;
    refused(
        &h,
        "UpdateUser",
        "test",
        service.update_user_custom_data(&actor(), id, json!({ "plan": "pro" }), false),
    )
    .await;
    refused(
        &h,
        "SetPassword",
        "test",
        service.set_user_password(&actor(), id, NEW_PASSWORD.into()),
    )
    .await;
    refused(
        &h,
        "SetPassword",
        "test",
        service.change_password(&myself(&ada), PASSWORD, NEW_PASSWORD),
    )
    .await;
    refused(
        &h,
        "LinkIdentity",
        "test",
        service.link_user_identity(&actor(), id, "google", google()),
    )
    .await;
    refused(
        &h,
        "ChangeRoles",
        "test",
        service.assign_user_roles(&actor(), id, &[staff.id.to_string()]),
    )
    .await;
    refused(
        &h,
        "ChangeRoles",
        "test",
        service.replace_user_roles(&actor(), id, &[staff.id.to_string()]),
    )
    .await;
    refused(
        &h,
        "CreateToken",
        "test",
        service.create_token(&actor(), &ada.id, token_named("ci")),
    )
    .await;
    let stored = &h.memory.snapshot().users[&ada.id];
    assert_eq!(stored, &ada, "the user is as created");
    assert!(h.memory.snapshot().tokens.is_empty());
    // Only the creation reached the after-hooks.
    let kinds: Vec<_> = h.events().await.into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EventKind::UserCreated]);

    service
        .assign_user_roles(&actor(), id, &[staff.id.to_string()])
        .await
        .unwrap();
    refused(
        &h,
        "ChangeRoles",
        "test",
        service.remove_user_role(&actor(), id, staff.id.as_str()),
    )
    .await;
}

#[tokio::test]
async fn a_vetoed_new_password_is_blamed_on_the_field_the_client_sent() {
    #[derive(Debug)]
    struct Policy;
    #[async_trait]
    impl Plugin for Policy {
        fn name(&self) -> &str {
            "policy"
        }
        async fn before(
            &self,
            _: &HookContext,
            proposal: &Proposal<'_>,
        ) -> std::result::Result<(), Rejection> {
            match proposal {
                Proposal::SetPassword { password, .. } if password.contains("horse") => {
                    Err(Rejection::new("no horses").on_field("password"))
                }
                _ => Ok(()),
            }
        }
    }
    let (memory, service) = setup();
    let host = PluginHost::new(vec![Arc::new(Policy)], memory.clone(), 8).unwrap();
    let service = service.with_plugins(host);
    let input = CreateUser {
        password: Some("a fine long password".into()),
        ..named("ada")
    };
    let ada = service.create_user(&admin(), input).await.unwrap();
    let err = service
        .change_password(&myself(&ada), "a fine long password", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.field(), err.to_string().as_str()),
        ("REJECTED", Some("newPassword"), "no horses")
    );
    let err = service
        .set_user_password(&admin(), ada.id.as_str(), PASSWORD.into())
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("password"));
}

#[tokio::test]
async fn a_vetoed_sign_in_fails_and_is_logged() {
    let mut h = Harness::one();
    let ada = h.service.create_user(&actor(), ada_input()).await.unwrap();
    h.events().await;
    h.recorders[0].veto("SignIn", None);
    let before = h.memory.snapshot();
    let err = h
        .service
        .sign_in(&from("198.51.100.1"), "ada", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.field(), err.to_string().as_str()),
        ("REJECTED", Some("test"), "recorder says no to SignIn")
    );
    let after = h.memory.snapshot();
    assert_eq!(after.tokens.len(), before.tokens.len(), "no session");
    assert_eq!(after.users[&ada.id], ada, "lastSignInAt untouched");
    assert_eq!(after.logs.len(), before.logs.len() + 1);
    let log = after.logs.last().unwrap();
    assert_eq!(
        (log.key.as_str(), log.result, log.error.as_deref()),
        (log_keys::USER_SIGN_IN, LogResult::Error, Some("rejected"))
    );
    assert_eq!(log.payload["plugin"], "recorder");
    let events = h.events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::SignIn);
    assert_eq!(
        events[0].data,
        json!({ "success": false, "reason": "rejected" })
    );
}

#[tokio::test]
async fn plugins_are_asked_in_order_and_the_first_veto_wins() {
    let h = Harness::new(&["first", "second"], Duration::ZERO);
    h.service.create_user(&actor(), named("ok")).await.unwrap();
    let order: Vec<_> = h.seen().into_iter().map(|s| s.plugin).collect();
    assert_eq!(order, vec!["first", "second"]);

    h.recorders[0].veto("CreateUser", Some("mallory"));
    h.recorders[1].veto("CreateUser", None);
    let err = h
        .service
        .create_user(&actor(), named("mallory"))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "first says no to CreateUser");
    let order: Vec<_> = h.seen().into_iter().map(|s| s.plugin).collect();
    assert_eq!(order, vec!["first"], "the second plugin is not asked");
    assert_eq!(h.service.plugins().names(), vec!["first", "second"]);
}

#[tokio::test]
async fn a_batch_creates_everyone_the_plugins_do_not_veto() {
    let mut h = Harness::one();
    h.recorders[0].veto("CreateUser", Some("mallory"));
    let inputs = vec![named("alice"), named("mallory"), named("bob")];
    let results = h
        .service
        .create_users_batch(&actor(), inputs)
        .await
        .unwrap();
    let outcome: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| e.code(), |_| "OK"))
        .collect();
    assert_eq!(outcome, vec!["OK", "REJECTED", "OK"]);
    let state = h.memory.snapshot();
    assert_eq!(state.users.len(), 2);
    assert_eq!(
        state
            .logs
            .iter()
            .filter(|l| l.key == log_keys::USER_CREATED)
            .count(),
        2
    );
    let created: Vec<_> = h
        .events()
        .await
        .into_iter()
        .map(|e| (e.kind, e.data["user"]["username"].clone()))
        .collect();
    assert_eq!(
        created,
        vec![
            (EventKind::UserCreated, json!("alice")),
            (EventKind::UserCreated, json!("bob")),
        ]
    );
}

/// The one event an operation published.
async fn only(h: &mut Harness, kind: EventKind) -> Event {
    let mut events = h.events().await;
    assert_eq!(
        events.iter().map(|e| e.kind).collect::<Vec<_>>(),
        vec![kind]
    );
    events.remove(0)
}

#[tokio::test]
async fn every_committed_change_publishes_its_event() {
    let mut h = Harness::one();
    let service = h.service.clone();
    let staff = role(&service, "Staff", true).await;
    let ops = role(&service, "Ops", false).await;
    let actor_id = Some(UserId::parse("actor").unwrap());
    let check = |event: &Event, user: &UserId| {
        assert_eq!(event.user_id.as_ref(), Some(user), "{:?}", event.kind);
        assert_eq!(event.actor_id, actor_id, "{:?}", event.kind);
    };

    let ada = service.create_user(&actor(), ada_input()).await.unwrap();
    let event = only(&mut h, EventKind::UserCreated).await;
    check(&event, &ada.id);
    assert_eq!(event.data["user"]["username"], "ada");
    assert_eq!(event.data["user"]["hasPassword"], true);
    assert_eq!(event.data["roleIds"], json!([staff.id]));
    let id = ada.id.as_str();

    let updated = service
        .update_user(&actor(), id, new_email("ada@example.org"))
        .await
        .unwrap();
    let event = only(&mut h, EventKind::UserUpdated).await;
    check(&event, &ada.id);
    assert_eq!(event.data["user"], Event::user_data(&updated));
    assert_eq!(event.data["changedFields"], json!(["primaryEmail"]));

    let profile = ProfileInput {
        nickname: Patch::Value("countess".into()),
        ..ProfileInput::default()
    };
    service
        .update_user_profile(&actor(), id, profile)
        .await
        .unwrap();
    let event = only(&mut h, EventKind::UserUpdated).await;
    assert_eq!(event.data["changedFields"], json!(["profile"]));
    assert_eq!(event.data["user"]["profile"]["nickname"], "countess");
    service
        .update_user_custom_data(&actor(), id, json!({ "plan": "pro" }), false)
        .await
        .unwrap();
    let event = only(&mut h, EventKind::UserUpdated).await;
    assert_eq!(event.data["changedFields"], json!(["customData"]));
    assert_eq!(event.data["customDataKeys"], json!(["plan"]));

    service
        .set_user_password(&actor(), id, NEW_PASSWORD.into())
        .await
        .unwrap();
    check(&only(&mut h, EventKind::PasswordSet).await, &ada.id);

    service
        .link_user_identity(&actor(), id, "google", google())
        .await
        .unwrap();
    let event = only(&mut h, EventKind::IdentityLinked).await;
    check(&event, &ada.id);
    assert_eq!(event.data["provider"], "google");
    assert_eq!(event.data["user"]["identities"]["google"]["userId"], "g-1");
    service
        .unlink_user_identity(&actor(), id, "google")
        .await
        .unwrap();
    let event = only(&mut h, EventKind::IdentityUnlinked).await;
    check(&event, &ada.id);
    assert_eq!(event.data["provider"], "google");
    assert_eq!(event.data["user"]["identities"], json!({}));

    service
        .assign_user_roles(&actor(), id, &[ops.id.to_string()])
        .await
        .unwrap();
    let event = only(&mut h, EventKind::UserRolesChanged).await;
    check(&event, &ada.id);
    let mut both = vec![staff.id.clone(), ops.id.clone()];
    both.sort();
    assert_eq!(event.data["roleIds"], json!(both));
    assert_eq!(event.data["addedRoleIds"], json!([ops.id]));
    service
        .remove_user_role(&actor(), id, staff.id.as_str())
        .await
        .unwrap();
    let event = only(&mut h, EventKind::UserRolesChanged).await;
    assert_eq!(event.data["roleIds"], json!([ops.id]));
    assert_eq!(event.data["removedRoleIds"], json!([staff.id]));
    service
        .replace_user_roles(&actor(), id, &[staff.id.to_string()])
        .await
        .unwrap();
    let event = only(&mut h, EventKind::UserRolesChanged).await;
    assert_eq!(event.data["roleIds"], json!([staff.id]));

    let created = service
        .create_token(&actor(), &ada.id, token_named("ci"))
        .await
        .unwrap();
    let event = only(&mut h, EventKind::TokenCreated).await;
    check(&event, &ada.id);
    assert_eq!(event.data["token"]["id"], json!(created.token.id));
    assert_eq!(event.data["token"]["name"], "ci");
    assert!(event.data["token"].get("digest").is_none());
    service
        .revoke_token(&actor(), &created.token.id)
        .await
        .unwrap();
    let event = only(&mut h, EventKind::TokenRevoked).await;
    check(&event, &ada.id);
    assert!(event.data["token"]["revokedAt"].is_string());
    // Revoking again changes nothing, and says nothing.
    service
        .revoke_token(&actor(), &created.token.id)
        .await
        .unwrap();
    assert!(h.events().await.is_empty());

    let signed = service
        .sign_in(&from("198.51.100.1"), "ada@example.org", NEW_PASSWORD)
        .await
        .unwrap();
    let event = only(&mut h, EventKind::SignIn).await;
    assert_eq!(
        (event.user_id.as_ref(), event.actor_id.as_ref()),
        (Some(&ada.id), None)
    );
    assert_eq!(event.data["success"], true);
    assert_eq!(event.data["reason"], json!(null));
    assert_eq!(event.data["user"], Event::user_data(&signed.user));

    service
        .set_user_suspended(&actor(), id, true)
        .await
        .unwrap();
    let event = only(&mut h, EventKind::UserSuspended).await;
    check(&event, &ada.id);
    assert_eq!(event.data["user"]["isSuspended"], true);
    service
        .set_user_suspended(&actor(), id, false)
        .await
        .unwrap();
    check(&only(&mut h, EventKind::UserUnsuspended).await, &ada.id);

    service.delete_user(&actor(), id).await.unwrap();
    let event = only(&mut h, EventKind::UserDeleted).await;
    check(&event, &ada.id);
    assert_eq!(event.data, json!({ "userId": ada.id }));

    assert_eq!(
        h.kinds.iter().copied().collect::<Vec<_>>(),
        EventKind::ALL.to_vec(),
        "every kind of event was seen"
    );
}

#[tokio::test]
async fn failed_sign_ins_publish_why_but_not_what_was_typed() {
    let mut h = Harness::one();
    let ada = h.service.create_user(&actor(), ada_input()).await.unwrap();
    h.events().await;
    let anyone = from("198.51.100.1");
    h.service
        .sign_in(&anyone, "ada", "not the password")
        .await
        .unwrap_err();
    let event = only(&mut h, EventKind::SignIn).await;
    assert_eq!(event.user_id.as_ref(), Some(&ada.id));
    assert_eq!(
        event.data,
        json!({ "success": false, "reason": "password mismatch" })
    );
    h.service
        .sign_in(&anyone, "nobody-here", "not the password")
        .await
        .unwrap_err();
    let event = only(&mut h, EventKind::SignIn).await;
    assert_eq!(event.user_id, None);
    assert_eq!(
        event.data,
        json!({ "success": false, "reason": "unknown identifier" })
    );
    assert!(
        !serde_json::to_string(&event)
            .unwrap()
            .contains("nobody-here")
    );
}

#[tokio::test]
async fn failed_operations_publish_nothing() {
    let mut h = Harness::one();
    let service = h.service.clone();
    let ada = service.create_user(&actor(), ada_input()).await.unwrap();
    h.events().await;
    let reader = caller_with(&[Permission::UsersRead]);
    let id = ada.id.as_str();
    assert!(service.create_user(&actor(), named("ada")).await.is_err());
    assert!(service.create_user(&reader, named("bob")).await.is_err());
    assert!(
        service
            .update_user(&actor(), id, new_email("not an email"))
            .await
            .is_err()
    );
    assert!(
        service
            .update_user(&actor(), "ghost", new_email("g@example.com"))
            .await
            .is_err()
    );
    assert!(
        service
            .set_user_password(&actor(), id, "short".into())
            .await
            .is_err()
    );
    assert!(
        service
            .change_password(&myself(&ada), "wrong current", NEW_PASSWORD)
            .await
            .is_err()
    );
    assert!(
        service
            .unlink_user_identity(&actor(), id, "github")
            .await
            .is_err()
    );
    assert!(
        service
            .assign_user_roles(&actor(), id, &["nosuchrole".into()])
            .await
            .is_err()
    );
    assert!(service.delete_user(&reader, id).await.is_err());
    assert!(
        service
            .create_token(&reader, &ada.id, token_named("x"))
            .await
            .is_err()
    );
    // The rejection of a before-hook publishes nothing either.
    h.recorders[0].veto("UpdateUser", None);
    assert!(
        service
            .update_user(&actor(), id, new_email("ada@example.org"))
            .await
            .is_err()
    );
    assert!(h.events().await.is_empty());
}

#[tokio::test]
async fn a_slow_after_hook_does_not_slow_operations() {
    let h = Harness::new(&["sleepy"], Duration::from_secs(5));
    let started = Instant::now();
    for name in ["a", "b", "c"] {
        h.service.create_user(&actor(), named(name)).await.unwrap();
    }
    // Each after-hook naps five seconds; three operations together must
    // not wait for even one of them. The bound is generous on purpose.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert!(!h.service.plugins().drain(Duration::ZERO).await);
}

#[tokio::test]
async fn no_event_ever_carries_a_password() {
    let mut h = Harness::one();
    let service = h.service.clone();
    let ada = service.create_user(&actor(), ada_input()).await.unwrap();
    let id = ada.id.as_str();
    service
        .set_user_password(&actor(), id, NEW_PASSWORD.into())
        .await
        .unwrap();
    service
        .change_password(&myself(&ada), NEW_PASSWORD, PASSWORD)
        .await
        .unwrap();
    let anyone = from("198.51.100.1");
    service.sign_in(&anyone, "ada", PASSWORD).await.unwrap();
    service
        .sign_in(&anyone, "ada", NEW_PASSWORD)
        .await
        .unwrap_err();
    let batch = CreateUser {
        password: Some(NEW_PASSWORD.into()),
        ..named("bob")
    };
    service
        .create_users_batch(&actor(), vec![batch])
        .await
        .unwrap();
    let events = h.events().await;
    assert_eq!(events.len(), 6);
    for event in events {
        let text = serde_json::to_string(&event).unwrap();
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(!text.contains(NEW_PASSWORD), "{text}");
        assert!(!text.contains("$argon2"), "no digest either: {text}");
    }
}
