//! Writes a pattern for an engine. Every character that is special to the
//! engine anywhere (in or out of brackets) is escaped with `\`; every other
//! character is written as itself, which both engines read literally (no
//! extended or newline-sensitive mode is ever enabled). Groups are written
//! `(?:...)`, which both support.

use std::fmt::Write;

use super::Node;
use super::class::Class;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Engine {
    Rust,
    PosixAre,
}

pub(super) fn rust(alternatives: &[Vec<Node>]) -> String {
    let mut out = String::new();
    write_alternatives(&mut out, alternatives, Engine::Rust);
    out
}

pub(super) fn posix_are(alternatives: &[Vec<Node>]) -> String {
    let mut out = String::new();
    write_alternatives(&mut out, alternatives, Engine::PosixAre);
    out
}

fn write_alternatives(out: &mut String, alternatives: &[Vec<Node>], engine: Engine) {
    for (i, sequence) in alternatives.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        for node in sequence {
            write_node(out, node, engine);
        }
    }
}

fn write_node(out: &mut String, node: &Node, engine: Engine) {
    match node {
        Node::Literal(c) => write_char(out, *c, engine),
        // The `regex` crate's `.` skips `\n` unless `s` is set; PostgreSQL's
        // matches every character outside newline-sensitive mode.
        Node::Any => out.push_str(match engine {
            Engine::Rust => "(?s:.)",
            Engine::PosixAre => ".",
        }),
        Node::Class(class) => write_class(out, class, engine),
        Node::Start => out.push('^'),
        Node::End => out.push('$'),
        Node::Group(alternatives) => {
            out.push_str("(?:");
            write_alternatives(out, alternatives, engine);
            out.push(')');
        }
        Node::Repeat { node, min, max } => {
            // Every node renders as one atom (groups, classes, `(?s:.)`,
            // one character), so the quantifier applies to all of it.
            write_node(out, node, engine);
            match (min, max) {
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (0, Some(1)) => out.push('?'),
                (m, None) => {
                    let _ = write!(out, "{{{m},}}");
                }
                (m, Some(n)) if m == n => {
                    let _ = write!(out, "{{{m}}}");
                }
                (m, Some(n)) => {
                    let _ = write!(out, "{{{m},{n}}}");
                }
            }
        }
    }
}

fn write_char(out: &mut String, c: char, engine: Engine) {
    let escape = match engine {
        // `\<` and `\>` are word boundaries to the `regex` crate, so only its
        // metacharacters (those special anywhere, brackets included) are
        // escaped; other punctuation means itself there.
        Engine::Rust => matches!(
            c,
            '\\' | '.'
                | '+'
                | '*'
                | '?'
                | '('
                | ')'
                | '|'
                | '['
                | ']'
                | '{'
                | '}'
                | '^'
                | '$'
                | '#'
                | '&'
                | '-'
                | '~'
        ),
        // An ARE reads `\` before any non-alphanumeric character as that
        // character, inside brackets too.
        Engine::PosixAre => c.is_ascii_punctuation(),
    };
    if escape {
        out.push('\\');
    }
    out.push(c);
}

fn write_class(out: &mut String, class: &Class, engine: Engine) {
    out.push('[');
    if class.negated() {
        out.push('^');
    }
    for &(lo, hi) in class.ranges() {
        write_char(out, lo, engine);
        if hi != lo {
            out.push('-');
            write_char(out, hi, engine);
        }
    }
    out.push(']');
}
