//! The `regex` and `similarTo` patterns of a string filter, parsed into one
//! small AST that every backend can evaluate identically.
//!
//! Nothing reaches an engine as the client wrote it: a pattern is parsed
//! here (anything outside the portable subset is a `VALIDATION` error on
//! field `filter`), optionally case-folded, and re-rendered for the engine:
//! [`Pattern::to_rust_regex`] for the `regex` crate (the evaluator) and
//! [`Pattern::to_posix_are`] for PostgreSQL's `~`. Both renderings escape
//! every literal that is special in either syntax, so the two engines read
//! the same expression.
//!
//! The subset (`regex`): literals; `.` (any one character); bracket classes
//! `[abc]`, `[a-z]`, `[^...]`; anchors `^` and `$` (start and end of the
//! whole value; each at most once on any path through the pattern, and
//! never quantified); quantifiers `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}` with
//! bounds at most [`MAX_REPEAT`]; alternation `|`; groups `( )` and
//! `(?: )` (never capturing); `\` before any ASCII punctuation for that
//! character; `\d`, `\w`, `\s` (and `\D`, `\W`, `\S`) as the ASCII classes
//! `[0-9]`, `[0-9A-Za-z_]`, `[ \t\n\v\f\r]`. A regex matches if it matches
//! anywhere in the value. `similarTo` follows SQL `SIMILAR TO`: the whole
//! value must match; `%` is any run, `_` one character, `.` `^` `$` are
//! literals, and the rest is as above (minus `.` and the `\d` shorthands).

mod class;
mod fold;
mod parse;
mod render;
#[cfg(test)]
mod tests;

use crate::error::{Error, Result};

pub use class::Class;

/// Largest bound of a `{m,n}` quantifier.
pub const MAX_REPEAT: u32 = 100;
/// Largest size of a pattern with its counted repetitions written out, so
/// that neither engine is asked to build an outsized automaton.
pub const MAX_EXPANDED_SIZE: u64 = 2_000;

/// Which syntax a pattern is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// `regex`: the portable regular-expression subset; matches anywhere.
    Regex,
    /// `similarTo`: SQL `SIMILAR TO`; matches the whole value.
    SimilarTo,
}

/// One element of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Literal(char),
    /// Any one character (newlines included).
    Any,
    Class(Class),
    /// The start of the value.
    Start,
    /// The end of the value.
    End,
    /// Alternatives, each a sequence (never empty, never capturing).
    Group(Vec<Vec<Node>>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

/// A parsed pattern: alternatives, each a sequence of nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    alternatives: Vec<Vec<Node>>,
}

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::validation("filter", message)
}

impl Pattern {
    /// Parses `source` in `dialect`; anything outside the subset is a
    /// `VALIDATION` error naming what is unsupported.
    pub fn parse(dialect: Dialect, source: &str) -> Result<Pattern> {
        let alternatives = match dialect {
            Dialect::Regex => parse::regex(source)?,
            Dialect::SimilarTo => parse::similar_to(source)?,
        };
        let pattern = Pattern { alternatives };
        pattern.check_size()?;
        Ok(pattern)
    }

    /// The pattern as evaluated: parsed, then case-folded unless
    /// `case_sensitive` (see [`Pattern::case_folded`]).
    pub fn for_matching(dialect: Dialect, source: &str, case_sensitive: bool) -> Result<Pattern> {
        let pattern = Pattern::parse(dialect, source)?;
        if case_sensitive {
            return Ok(pattern);
        }
        let folded = pattern.case_folded();
        folded.check_size()?;
        Ok(folded)
    }

    /// The pattern to match against lower-cased values
    /// ([`crate::validate::identifier_key`]): every literal is replaced by
    /// its lowercase (`İ` becomes the two characters `i̇`), and every class
    /// also holds the lowercase of each of its members, so `[A-Z]` holds
    /// `a`..`z` and `[^A-Z]` excludes them. A class member whose lowercase
    /// is several characters (only `İ`) adds nothing to its class. Since
    /// lower-casing writes a word-final sigma as `ς`, any sigma (`Σ`, `σ`,
    /// `ς`, as a literal or a class member) matches both `σ` and `ς`.
    pub fn case_folded(&self) -> Pattern {
        Pattern {
            alternatives: fold::alternatives(&self.alternatives),
        }
    }

    /// The alternatives of the pattern, each a sequence of nodes.
    pub fn alternatives(&self) -> &[Vec<Node>] {
        &self.alternatives
    }

    /// The pattern in the syntax of the `regex` crate.
    pub fn to_rust_regex(&self) -> String {
        render::rust(&self.alternatives)
    }

    /// The pattern as a PostgreSQL advanced regular expression, for `~`.
    pub fn to_posix_are(&self) -> String {
        render::posix_are(&self.alternatives)
    }

    fn check_size(&self) -> Result<()> {
        if alternatives_size(&self.alternatives) > MAX_EXPANDED_SIZE {
            return Err(invalid(format!(
                "pattern is too complex: with its repetitions written out it must stay within \
                 {MAX_EXPANDED_SIZE} elements"
            )));
        }
        Ok(())
    }
}

fn alternatives_size(alternatives: &[Vec<Node>]) -> u64 {
    alternatives
        .iter()
        .flatten()
        .map(node_size)
        .fold(0, u64::saturating_add)
}

fn node_size(node: &Node) -> u64 {
    match node {
        Node::Literal(_) | Node::Any | Node::Start | Node::End => 1,
        // A class with many ranges costs PostgreSQL many arcs per copy.
        Node::Class(class) => 1 + class.ranges().len() as u64 / 16,
        Node::Group(alternatives) => alternatives_size(alternatives).max(1),
        Node::Repeat { node, min, max } => {
            let copies = u64::from(max.unwrap_or(min.saturating_add(1))).max(1);
            node_size(node).saturating_mul(copies)
        }
    }
}
