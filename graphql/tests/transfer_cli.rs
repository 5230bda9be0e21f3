//! `usergraph import` and `usergraph export` as an operator runs them: the
//! real binary over a redb file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod readme;

use std::path::Path;
use std::process::{Command, Output};

const EXPORT: &str = concat!(
    r#"{"format":"usergraph-export","version":1}"#,
    "\n",
    r#"{"type":"user","id":"u1","username":"ada","roles":["member"],"isSuspended":false,"createdAt":"2024-01-01T00:00:00.000000Z","updatedAt":"2024-01-01T00:00:00.000000Z"}"#,
    "\n",
    r#"{"type":"user","id":"u2","username":"bob","primaryEmail":"bob@example.com","roles":[],"isSuspended":true,"createdAt":"2024-01-02T00:00:00.000000Z","updatedAt":"2024-01-03T00:00:00.000000Z"}"#,
    "\n",
    r#"{"type":"role","id":"r1","name":"member","permissions":["users:read"],"isDefault":false,"createdAt":"2024-01-01T00:00:00.000000Z","updatedAt":"2024-01-01T00:00:00.000000Z"}"#,
    "\n",
);

fn usergraph(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_usergraph"))
        .args(args)
        .env(
            "USERGRAPH_DATABASE_URL",
            format!("redb://{}", store.display()),
        )
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_import_exports_again_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("usergraph.redb");
    let file = dir.path().join("users.jsonl");
    std::fs::write(&file, EXPORT).unwrap();

    let imported = usergraph(&store, &["import", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(
        stderr(&imported).contains("3 created"),
        "{}",
        stderr(&imported)
    );

    let out = dir.path().join("again.jsonl");
    let exported = usergraph(&store, &["export", "--output", out.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), EXPORT);

    // To standard output too, and a second import changes nothing.
    let piped = usergraph(&store, &["export"]);
    assert_eq!(String::from_utf8(piped.stdout).unwrap(), EXPORT);
    let again = usergraph(&store, &["import", file.to_str().unwrap()]);
    assert!(again.status.success());
    assert!(stderr(&again).contains("3 skipped"), "{}", stderr(&again));
}

#[test]
fn bad_lines_are_listed_and_fail_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("usergraph.redb");
    let file = dir.path().join("people.csv");
    std::fs::write(
        &file,
        "username,email,name\nada,ada@example.com,Ada\nbob,not-an-email,Bob\ncy,,Cy\n",
    )
    .unwrap();
    let imported = usergraph(&store, &["import", file.to_str().unwrap()]);
    assert!(!imported.status.success());
    let report = stderr(&imported);
    assert!(report.contains("2 created"), "{report}");
    // The README's example is this very line.
    let text = readme::readme();
    let import = readme::section(&text, "## Export and import");
    let sentence = &import[import.find("reported on stderr as").unwrap()..];
    let documented = readme::backticked(sentence);
    assert_eq!(documented[0], "line N: CODE: field: message");
    assert!(
        report.lines().any(|line| line == documented[1]),
        "{:?} not in: {report}",
        documented[1]
    );

    // A line that is not a record: `PARSE`, no field.
    let jsonl = dir.path().join("odd.jsonl");
    std::fs::write(
        &jsonl,
        "{\"format\":\"usergraph-export\",\"version\":1}\n{\"type\":\"user\",\"username\":\"eve\",\"colour\":\"blue\"}\n",
    )
    .unwrap();
    let imported = usergraph(&store, &["import", jsonl.to_str().unwrap()]);
    assert!(!imported.status.success());
    let report = stderr(&imported);
    assert!(
        report
            .lines()
            .any(|line| line.starts_with("line 2: PARSE: unknown field `colour`")),
        "{report}"
    );

    let unknown = dir.path().join("odd.csv");
    std::fs::write(&unknown, "username,shoe_size\nada,42\n").unwrap();
    let refused = usergraph(&store, &["import", unknown.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("shoe_size"),
        "{}",
        stderr(&refused)
    );
}
