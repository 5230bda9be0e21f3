#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Which email domains the allow- and deny-lists accept.

use serde_json::json;
use usergraph_core::User;
use usergraph_core::plugin::{HookContext, Plugin, Proposal};
use usergraph_plugins::{EmailDomains, EmailDomainsSettings};

fn user(email: Option<&str>) -> User {
    serde_json::from_value(json!({
        "id": "u1",
        "username": null,
        "primaryEmail": email,
        "primaryPhone": null,
        "name": null,
        "avatar": null,
        "profile": {},
        "customData": {},
        "identities": {},
        "password": null,
        "isSuspended": false,
        "lastSignInAt": null,
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
        "version": 1
    }))
    .unwrap()
}

fn strings(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|s| (*s).to_owned()).collect())
}

#[test]
fn allow_list_table() {
    let plugin = EmailDomains::new(&EmailDomainsSettings {
        allow: strings(&["Example.com", "*.corp.example", "bücher.example"]),
        deny: None,
    })
    .unwrap();
    let cases = [
        ("ada@example.com", true),
        ("ada@EXAMPLE.COM", true),
        ("ada@sub.example.com", false),
        ("ada@notexample.com", false),
        ("ada@eu.corp.example", true),
        ("ada@a.b.corp.example", true),
        ("ada@corp.example", false),
        ("ada@xcorp.example", false),
        ("ada@xn--bcher-kva.example", true),
        ("ada@Bücher.example", true),
        ("ada@gmail.com", false),
    ];
    for (email, accepted) in cases {
        let verdict = plugin.check(email);
        assert_eq!(verdict.is_ok(), accepted, "{email}");
        if let Err(rejection) = verdict {
            assert_eq!(rejection.field.as_deref(), Some("primaryEmail"));
            assert_eq!(
                rejection.message,
                "Use an email address at one of these domains: example.com, *.corp.example, xn--bcher-kva.example."
            );
        }
    }
}

#[test]
fn deny_list_table() {
    let plugin = EmailDomains::new(&EmailDomainsSettings {
        allow: None,
        deny: strings(&["mailinator.com", "*.temp-mail.example"]),
    })
    .unwrap();
    let cases = [
        ("ada@example.com", true),
        ("ada@Mailinator.COM", false),
        ("ada@eu.mailinator.com", true),
        ("ada@x.temp-mail.example", false),
        ("ada@temp-mail.example", true),
    ];
    for (email, accepted) in cases {
        assert_eq!(plugin.check(email).is_ok(), accepted, "{email}");
    }
    let rejection = plugin.check("ada@Mailinator.COM").unwrap_err();
    assert_eq!(
        rejection.message,
        "Email addresses at Mailinator.COM are not accepted; use another address."
    );
}

#[test]
fn settings_need_exactly_one_valid_list() {
    let cases = [
        (
            EmailDomainsSettings {
                allow: None,
                deny: None,
            },
            "plugins.email_domains",
        ),
        (
            EmailDomainsSettings {
                allow: strings(&["a.com"]),
                deny: strings(&["b.com"]),
            },
            "plugins.email_domains",
        ),
        (
            EmailDomainsSettings {
                allow: strings(&[]),
                deny: None,
            },
            "plugins.email_domains.allow",
        ),
        (
            EmailDomainsSettings {
                allow: strings(&["a.com", "ada@b.com"]),
                deny: None,
            },
            "plugins.email_domains.allow[1]",
        ),
        (
            EmailDomainsSettings {
                allow: None,
                deny: strings(&["a.*.com"]),
            },
            "plugins.email_domains.deny[0]",
        ),
        (
            EmailDomainsSettings {
                allow: None,
                deny: strings(&["*."]),
            },
            "plugins.email_domains.deny[0]",
        ),
        (
            EmailDomainsSettings {
                allow: None,
                deny: strings(&["exa mple.com"]),
            },
            "plugins.email_domains.deny[0]",
        ),
    ];
    for (settings, field) in cases {
        let error = EmailDomains::new(&settings).unwrap_err();
        assert_eq!(error.code(), "VALIDATION");
        assert_eq!(error.field(), Some(field), "{settings:?}: {error}");
    }
}

#[tokio::test]
async fn the_hook_checks_new_and_changed_emails_only() {
    let plugin = EmailDomains::new(&EmailDomainsSettings {
        allow: None,
        deny: strings(&["spam.example"]),
    })
    .unwrap();
    let context = HookContext::default();
    let spam = user(Some("ada@spam.example"));
    let spam_upper = user(Some("ADA@spam.example"));
    let good = user(Some("ada@example.com"));
    let none = user(None);

    let created = plugin
        .before(&context, &Proposal::CreateUser { user: &spam })
        .await;
    assert_eq!(created.unwrap_err().field.as_deref(), Some("primaryEmail"));
    plugin
        .before(&context, &Proposal::CreateUser { user: &none })
        .await
        .unwrap();

    let changed = plugin
        .before(
            &context,
            &Proposal::UpdateUser {
                before: &good,
                after: &spam,
            },
        )
        .await;
    assert!(changed.is_err());
    let added = plugin
        .before(
            &context,
            &Proposal::UpdateUser {
                before: &none,
                after: &spam,
            },
        )
        .await;
    assert!(added.is_err());
    // Keeping (or re-casing) a stored address is not setting a new one.
    plugin
        .before(
            &context,
            &Proposal::UpdateUser {
                before: &spam,
                after: &spam_upper,
            },
        )
        .await
        .unwrap();
    plugin
        .before(
            &context,
            &Proposal::UpdateUser {
                before: &spam,
                after: &none,
            },
        )
        .await
        .unwrap();
}
