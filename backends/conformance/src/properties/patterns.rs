//! Patterns (LIKE, regex, SIMILAR TO) built around a probe string: each
//! character stays literal (escaped when it is special), becomes a
//! one-character wildcard, or is swallowed by a run wildcard; the ends may
//! be left open. Hand-written odd patterns cover lone and trailing escapes.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// What becomes of one probe character.
#[derive(Clone, Copy, Debug)]
enum Step {
    Literal,
    AnyOne,
    /// Replaced by a run wildcard.
    Run,
    /// A run wildcard, then the character.
    RunThenLiteral,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    vec(
        select(
            &[
                Step::Literal,
                Step::Literal,
                Step::Literal,
                Step::Literal,
                Step::Literal,
                Step::AnyOne,
                Step::Run,
                Step::RunThenLiteral,
            ][..],
        ),
        0..48,
    )
}

/// How a pattern language spells its pieces.
struct Syntax {
    any_one: &'static str,
    run: &'static str,
    /// Characters that need a `\` to stand for themselves.
    special: &'static [char],
}

const LIKE: Syntax = Syntax {
    any_one: "_",
    run: "%",
    special: &['%', '_', '\\'],
};

const REGEX: Syntax = Syntax {
    any_one: ".",
    run: ".*",
    special: &[
        '.', '^', '$', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\',
    ],
};

const SIMILAR: Syntax = Syntax {
    any_one: "_",
    run: "%",
    special: &[
        '%', '_', '|', '*', '+', '?', '(', ')', '[', ']', '{', '}', '\\',
    ],
};

fn push_literal(out: &mut String, c: char, syntax: &Syntax) {
    if syntax.special.contains(&c) {
        out.push('\\');
    }
    out.push(c);
}

fn around(probe: &str, steps: &[Step], syntax: &Syntax) -> String {
    let mut out = String::new();
    for (i, c) in probe.chars().enumerate() {
        match steps.get(i).copied().unwrap_or(Step::Literal) {
            Step::Literal => push_literal(&mut out, c, syntax),
            Step::AnyOne => out.push_str(syntax.any_one),
            Step::Run => out.push_str(syntax.run),
            Step::RunThenLiteral => {
                out.push_str(syntax.run);
                push_literal(&mut out, c, syntax);
            }
        }
    }
    out
}

/// Open ends: `(leading run, trailing run)`.
fn ends() -> impl Strategy<Value = (bool, bool)> {
    let open = || proptest::bool::weighted(0.7);
    (open(), open())
}

fn odd(patterns: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(patterns).prop_map(str::to_owned)
}

/// SQL LIKE patterns.
pub(super) fn like(probes: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let built = (probes, steps(), ends()).prop_map(|(probe, steps, (lead, trail))| {
        let body = around(&probe, &steps, &LIKE);
        format!(
            "{}{body}{}",
            if lead { "%" } else { "" },
            if trail { "%" } else { "" }
        )
    });
    prop_oneof![
        6 => built,
        1 => odd(&[
            "%", "_", "", "%\\%%", "%\\_%", "%'%", "a\\", "\\", "%\\\\%", "%\u{e9}%", "_%_",
            "%\u{df}%", "%_", "%%", "\\a%",
        ]),
    ]
}

/// Regular expressions of the common subset: literals, `.`, `.*`,
/// anchors, a bracket class, alternation and the `?`/`+` quantifiers.
pub(super) fn regex(probes: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let built = (probes.clone(), steps(), any::<bool>(), any::<bool>()).prop_map(
        |(probe, steps, start, end)| {
            format!(
                "{}{}{}",
                if start { "^" } else { "" },
                around(&probe, &steps, &REGEX),
                if end { "$" } else { "" }
            )
        },
    );
    let alternation = (probes.clone(), probes).prop_map(|(a, b)| {
        let mut out = String::from("(");
        a.chars().for_each(|c| push_literal(&mut out, c, &REGEX));
        out.push('|');
        b.chars().for_each(|c| push_literal(&mut out, c, &REGEX));
        out.push(')');
        out
    });
    prop_oneof![
        6 => built,
        2 => alternation,
        1 => odd(&[
            "^a", "n$", "^[a-c]", "[0-9]+", "^an+a?", "o'b", "^$", ".", "^.{3}$",
            "[^a-z]", "(ann|bob)", "^_", "%",
        ]),
    ]
}

/// SQL SIMILAR TO patterns (which must match the whole value).
pub(super) fn similar_to(probes: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let built = (probes.clone(), steps(), ends()).prop_map(|(probe, steps, (lead, trail))| {
        format!(
            "{}{}{}",
            if lead { "%" } else { "" },
            around(&probe, &steps, &SIMILAR),
            if trail { "%" } else { "" }
        )
    });
    let alternation = (probes.clone(), probes).prop_map(|(a, b)| {
        let mut out = String::from("%(");
        a.chars().for_each(|c| push_literal(&mut out, c, &SIMILAR));
        out.push('|');
        b.chars().for_each(|c| push_literal(&mut out, c, &SIMILAR));
        out.push_str(")%");
        out
    });
    prop_oneof![
        6 => built,
        2 => alternation,
        1 => odd(&[
            "%", "_%", "(a|b)%", "[a-c]%", "%[0-9]+", "an+%", "%n{2}%", "(ann)*%", "%\\%%",
            "%.%", "",
        ]),
    ]
}
