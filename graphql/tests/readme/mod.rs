//! README.md as tests read it: the words users rely on, compared with what
//! the code does.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A file of the repository, by its path from the root.
pub fn repository_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

pub fn readme() -> String {
    std::fs::read_to_string(repository_file("README.md")).unwrap()
}

/// The text under the heading line `heading` (e.g. `## Errors`), up to the
/// next heading of the same or a higher level.
pub fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let level = heading.chars().take_while(|&c| c == '#').count();
    let start = text
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has no heading {heading:?}"))
        + heading.len()
        + 2;
    let rest = &text[start..];
    let mut in_code = false;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !in_code && hashes > 0 && hashes <= level && line[hashes..].starts_with(' ') {
            return &rest[..offset];
        }
        offset += line.len();
    }
    rest
}

/// The backticked words in the first column of the section's table rows.
pub fn first_column_words(section: &str) -> BTreeSet<String> {
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .flat_map(|row| {
            let cell = row.split('|').nth(1).unwrap_or("");
            backticked(cell)
        })
        .collect()
}

/// The `code spans` of `text`, in order.
pub fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The first ```` ```lang ```` block after `marker` in `text`.
pub fn code_block_after<'a>(text: &'a str, marker: &str, lang: &str) -> &'a str {
    let from = text
        .find(marker)
        .unwrap_or_else(|| panic!("README has no {marker:?}"));
    let fence = format!("```{lang}\n");
    let start = text[from..]
        .find(&fence)
        .unwrap_or_else(|| panic!("no {lang} block after {marker:?}"))
        + from
        + fence.len();
    let end = text[start..].find("```").unwrap() + start;
    &text[start..end]
}

/// Every ```` ```lang ```` block of `text`.
pub fn code_blocks<'a>(text: &'a str, lang: &str) -> Vec<&'a str> {
    let fence = format!("```{lang}\n");
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(&fence) {
        let body = &rest[at + fence.len()..];
        let end = body.find("```").unwrap();
        blocks.push(&body[..end]);
        rest = &body[end + 3..];
    }
    blocks
}
