//! What README.md documents about codes and settings, read from the README
//! itself and checked against the code and the real binary: the Errors
//! table, the naming of a refused plugin setting at start, the provenance
//! of an unknown key inside a plugin table, and the plugin settings the
//! README and `usergraph.example.toml` suggest.
#![cfg(all(unix, feature = "redb"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod readme;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use usergraph_plugins::{PluginsSettings, from_settings};

const BIN: &str = env!("CARGO_BIN_EXE_usergraph");

/// `usergraph` with `args` and `envs`, none of the test's own
/// `USERGRAPH_*` variables, killed if it has not exited within 60 s.
fn run(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars() {
        if key.starts_with("USERGRAPH_") {
            command.env_remove(key);
        }
    }
    let mut child = command.envs(envs.iter().copied()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("usergraph {args:?} still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_errors_table_lists_every_code_a_client_or_an_import_can_see() {
    let text = readme::readme();
    let documented = readme::first_column_words(readme::section(&text, "## Errors"));
    let produced: BTreeSet<String> = usergraph::errors::codes()
        .chain([usergraph_core::transfer::PARSE])
        .map(str::to_owned)
        .collect();
    assert_eq!(documented, produced);
}

#[test]
fn a_refused_plugin_setting_is_named_at_start() {
    let text = readme::readme();
    let plugins = readme::section(
        &text,
        "### Built-in plugins (`plugins/`, crate `usergraph-plugins`)",
    );
    let sentence = &plugins[plugins.find("naming the setting").unwrap()..];
    let named = readme::backticked(sentence).into_iter().next().unwrap();
    assert_eq!(named, "plugins.webhooks.endpoints[0].url");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("usergraph.toml"),
        "[[plugins.webhooks.endpoints]]\nurl = \"hooks example\"\nsecret = \"s\"\n\
         events = [\"UserCreated\"]\n",
    )
    .unwrap();
    let store = dir.path().join("store.redb");
    let output = run(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &format!("redb://{}", store.display()),
        ],
        &[],
    );
    assert!(!output.status.success(), "the server started");
    let said = stderr(&output);
    assert!(said.contains(&format!("{named}: ")), "{said}");
    assert!(said.contains("not a valid URL"), "{said}");
}

#[test]
fn an_unknown_key_in_a_plugin_table_names_the_file_or_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("typo.toml"),
        "[plugins.webhooks]\ntimeout = 5\n",
    )
    .unwrap();
    let output = run(dir.path(), &["config", "--config", "typo.toml"], &[]);
    assert!(!output.status.success());
    let said = stderr(&output);
    assert!(said.contains("timeout"), "{said}");
    assert!(said.contains("typo.toml"), "the file is not named: {said}");

    let output = run(
        dir.path(),
        &["config"],
        &[("USERGRAPH_PLUGINS__PASSWORD_POLICY__MIN_LENGHT", "12")],
    );
    assert!(!output.status.success());
    let said = stderr(&output);
    assert!(said.contains("min_lenght"), "{said}");
    assert!(
        said.contains("USERGRAPH_PLUGINS__PASSWORD_POLICY__MIN_LENGHT"),
        "the variable is not named: {said}"
    );
}

fn builds(toml_text: &str, origin: &str) {
    let table: toml::Table = toml_text
        .parse()
        .unwrap_or_else(|e| panic!("{origin}: {e}\n{toml_text}"));
    let settings = PluginsSettings::deserialize(toml::Value::Table(table))
        .unwrap_or_else(|e| panic!("{origin}: {e}\n{toml_text}"));
    let plugins = from_settings(&settings)
        .unwrap_or_else(|e| panic!("{origin}: {:?}: {e}\n{toml_text}", e.field()));
    assert_eq!(plugins.len(), 3, "{origin}");
}

#[test]
fn the_plugin_settings_the_readme_and_the_example_file_show_are_accepted() {
    // The example file's plugin tables, commented out, taken as they are
    // once uncommented.
    let example =
        std::fs::read_to_string(readme::repository_file("usergraph.example.toml")).unwrap();
    let plugins = &example[example.find("\n[plugins]\n").unwrap()..];
    let uncommented: String = plugins
        .lines()
        .map(|line| {
            line.strip_prefix('#')
                .map_or(line, |rest| rest.strip_prefix(' ').unwrap_or(rest))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    let table: toml::Table = uncommented.parse().unwrap();
    let inner = toml::to_string(&table["plugins"]).unwrap();
    builds(&inner, "usergraph.example.toml");

    // The README's snippets, each a `[plugins.*]` table, together.
    let text = readme::readme();
    let section = readme::section(
        &text,
        "### Built-in plugins (`plugins/`, crate `usergraph-plugins`)",
    );
    let snippets = readme::code_blocks(section, "toml").join("\n");
    let table: toml::Table = snippets.parse().unwrap();
    let inner = toml::to_string(&table["plugins"]).unwrap();
    builds(&inner, "README");
}
