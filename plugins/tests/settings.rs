#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `[plugins]` as config holds it, and what `from_settings` builds from it.

use serde_json::json;
use usergraph_plugins::{PluginsSettings, from_settings};

#[test]
fn builds_the_configured_plugins_in_the_documented_order() {
    let settings: PluginsSettings = serde_json::from_value(json!({
        "webhooks": {
            "endpoints": [{
                "url": "http://hooks.example.com/in",
                "secret": "s3cret",
                "events": ["UserCreated"]
            }],
            "max_attempts": 2
        },
        "email_domains": { "deny": ["spam.example"] },
        "password_policy": { "min_length": 12 }
    }))
    .unwrap();
    let plugins = from_settings(&settings).unwrap();
    let names: Vec<&str> = plugins.iter().map(|p| p.name()).collect();
    assert_eq!(names, ["password-policy", "email-domains", "webhooks"]);

    let only_webhooks = PluginsSettings {
        password_policy: None,
        email_domains: None,
        ..settings
    };
    let names: Vec<String> = from_settings(&only_webhooks)
        .unwrap()
        .iter()
        .map(|p| p.name().to_owned())
        .collect();
    assert_eq!(names, ["webhooks"]);
    assert!(
        from_settings(&PluginsSettings::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn omitted_settings_take_their_defaults() {
    let settings: PluginsSettings =
        serde_json::from_value(json!({ "password_policy": {} })).unwrap();
    let policy = settings.password_policy.unwrap();
    assert_eq!(
        (
            policy.min_length,
            policy.max_length,
            policy.min_strength,
            policy.reject_personal_info
        ),
        (10, 256, 3, true)
    );
}

#[test]
fn unknown_keys_are_refused_at_every_level() {
    for config in [
        json!({ "pasword_policy": {} }),
        json!({ "password_policy": { "min_lenght": 3 } }),
        json!({ "email_domains": { "allow": ["a.com"], "except": [] } }),
        json!({ "webhooks": { "retries": 3, "endpoints": [] } }),
        json!({ "webhooks": { "endpoints": [{ "url": "http://a.example", "secret": "s", "events": ["*"], "verb": "PUT" }] } }),
    ] {
        let error = serde_json::from_value::<PluginsSettings>(config.clone()).unwrap_err();
        assert!(
            error.to_string().contains("unknown field"),
            "{config}: {error}"
        );
    }
}

#[test]
fn an_invalid_plugin_fails_the_whole_build() {
    let settings: PluginsSettings = serde_json::from_value(json!({
        "password_policy": {},
        "email_domains": { "allow": [], "deny": [] }
    }))
    .unwrap();
    let error = from_settings(&settings).err().unwrap();
    assert_eq!(error.code(), "VALIDATION");
    assert_eq!(error.field(), Some("plugins.email_domains"));
}
