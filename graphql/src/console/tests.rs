//! The console's files checked against the code they depend on: each
//! operation against the schema, the translations against each other and
//! the page against the Content-Security-Policy.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::{Request, Response};

use super::*;
use crate::limits::ApiSettings;

/// Stops a request after validation: resolvers never run.
struct ValidateOnly;

impl ExtensionFactory for ValidateOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ValidateOnly)
    }
}

#[async_trait::async_trait]
impl Extension for ValidateOnly {
    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::default()
    }
}

fn text(path: &str) -> String {
    let file = Files::get(path).unwrap_or_else(|| panic!("{path} is not embedded"));
    String::from_utf8(file.data.into_owned()).unwrap()
}

fn paths(prefix: &str, extension: &str) -> Vec<String> {
    Files::iter()
        .filter(|path| path.starts_with(prefix) && path.ends_with(extension))
        .map(|path| path.into_owned())
        .collect()
}

#[tokio::test]
async fn every_console_operation_is_valid_against_the_schema() {
    let schema = crate::schema::schema_builder(&ApiSettings::default())
        .extension(ValidateOnly)
        .finish();
    let operations = paths("operations/", ".graphql");
    assert!(operations.len() >= 4, "{operations:?}");
    for path in operations {
        let document = text(&path);
        let response = schema.execute(Request::new(document)).await;
        assert!(
            response.errors.is_empty(),
            "{path} does not validate against the schema: {:?}",
            response.errors
        );
    }
}

#[test]
fn each_operation_file_holds_one_operation_named_as_the_file() {
    for path in paths("operations/", ".graphql") {
        let document = async_graphql::parser::parse_query(text(&path))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let names: Vec<String> = document
            .operations
            .iter()
            .map(|(name, _)| name.map(|n| n.to_string()).unwrap_or_default())
            .collect();
        let stem = path
            .trim_start_matches("operations/")
            .trim_end_matches(".graphql");
        assert_eq!(names, vec![stem.to_owned()], "{path}");
    }
}

#[test]
fn every_operation_the_scripts_run_has_its_file() {
    let run = regex::Regex::new(r#"run\('([A-Za-z]+)'"#).unwrap();
    let mut used = BTreeSet::new();
    for path in paths("js/", ".js") {
        for found in run.captures_iter(&text(&path)) {
            used.insert(found[1].to_owned());
        }
    }
    assert!(used.contains("Users"), "{used:?}");
    for name in &used {
        assert!(
            Files::get(&format!("operations/{name}.graphql")).is_some(),
            "the scripts run {name}, which has no operations/{name}.graphql"
        );
    }
}

/// The keys of a dictionary file (`'key': 'text',` lines).
fn keys(path: &str) -> BTreeSet<String> {
    let key = regex::Regex::new(r"(?m)^\s*'([^']+)':").unwrap();
    key.captures_iter(&text(path))
        .map(|found| found[1].to_owned())
        .collect()
}

#[test]
fn english_and_french_have_the_same_texts() {
    let english = keys("js/i18n/en.js");
    let french = keys("js/i18n/fr.js");
    assert!(english.len() > 50, "{english:?}");
    assert_eq!(
        english.symmetric_difference(&french).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "keys in one dictionary only"
    );
}

#[test]
fn every_text_key_the_scripts_name_exists() {
    let english = keys("js/i18n/en.js");
    // Keys appear as string literals: t('users.title'), label: 'users.column.name'.
    let literal = regex::Regex::new(
        r"'((?:app|language|value|signIn|nav|page|account|users|user|error|roles)\.[A-Za-z.]+)'",
    )
    .unwrap();
    let mut named = 0;
    for path in paths("js/", ".js") {
        if path.starts_with("js/i18n/") {
            continue;
        }
        for found in literal.captures_iter(&text(&path)) {
            named += 1;
            let key = &found[1];
            // A plural key is named without its form.
            let exists = english.contains(key)
                || english.contains(&format!("{key}.one"))
                || english.contains(&format!("{key}.other"));
            assert!(exists, "{path} names the text {key}, which en.js lacks");
        }
    }
    assert!(named > 50, "only {named} keys found: is the pattern stale?");
}

#[test]
fn the_page_runs_no_inline_script_and_loads_nothing_from_elsewhere() {
    let page = text(INDEX);
    assert_eq!(page.matches(ROOT_BASE).count(), 1, "{page}");
    let script = regex::Regex::new(r"(?s)<script([^>]*)>(.*?)</script>").unwrap();
    let mut scripts = 0;
    for found in script.captures_iter(&page) {
        scripts += 1;
        assert!(found[1].contains("src="), "inline script: {}", &found[0]);
        assert!(found[2].trim().is_empty(), "inline script: {}", &found[0]);
    }
    assert_eq!(scripts, 1);
    let inline_handler = regex::Regex::new(r#"(?i)\son[a-z]+\s*=|\sstyle\s*="#).unwrap();
    assert!(!inline_handler.is_match(&page), "{page}");
    // The console's own files name no other origin; vendored files are
    // checked by their digests (scripts/vendor-check).
    for path in Files::iter().filter(|p| !p.starts_with("vendor/")) {
        let content = text(&path);
        assert!(
            !content.contains("http://") && !content.contains("https://"),
            "{path} names another origin"
        );
    }
}

/// The README's budget: the console's own code and libraries (everything
/// the browser loads from `/console/`, GraphiQL apart) at most 150 KB
/// gzipped, measured as the README says: the files concatenated, `gzip -9`.
#[test]
fn the_console_weighs_at_most_150_kb_gzipped() {
    use std::io::Write;

    const BUDGET: usize = 150 * 1024;
    let mut files: Vec<String> = Files::iter()
        .map(|path| path.into_owned())
        .filter(|path| {
            [".js", ".mjs", ".css", ".html", ".graphql"]
                .iter()
                .any(|extension| path.ends_with(extension))
        })
        .collect();
    files.sort();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for path in &files {
        let file = Files::get(path).unwrap();
        gzip.write_all(&file.data).unwrap();
    }
    let size = gzip.finish().unwrap().len();
    assert!(size <= BUDGET, "{size} bytes gzipped is over {BUDGET}");
}
