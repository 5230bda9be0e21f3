#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::eval::compile_pattern;

fn regex(source: &str) -> Pattern {
    Pattern::parse(Dialect::Regex, source).unwrap()
}

fn refused(dialect: Dialect, source: &str) -> String {
    match Pattern::parse(dialect, source) {
        Ok(pattern) => panic!("{source:?} was accepted as {pattern:?}"),
        Err(err) => {
            assert_eq!(err.field(), Some("filter"), "{source:?}");
            err.to_string()
        }
    }
}

/// Whether `value` matches as the evaluator matches it: lower-cased first
/// when case-insensitive.
fn matches(dialect: Dialect, source: &str, case_sensitive: bool, value: &str) -> bool {
    let regex = compile_pattern(dialect, source, case_sensitive).unwrap();
    let value = if case_sensitive {
        value.to_owned()
    } else {
        crate::validate::identifier_key(value)
    };
    regex.is_match(&value)
}

#[test]
fn the_subset_is_accepted() {
    for source in [
        "",
        "abc",
        "a.c",
        "^alice$",
        "[abc]",
        "[a-z0-9_]",
        "[^a-z]",
        "[-a]",
        "[a-]",
        "[\\]\\[\\-\\^\\\\]",
        "a*b+c?",
        "a{2}b{2,}c{2,5}",
        "a{0,100}",
        "cat|dog",
        "(ab)+",
        "(?:ab|cd){2}",
        "\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\\\/\\<\\>",
        "\\d\\w\\s\\D\\W\\S",
        "[\\d\\w\\s]",
        "é+[à-ÿ]",
        "}]",
        "a^b$c",
        "^a|^b",
        "(^a|b)c$",
        "(^a)?b",
        "^(a|b$)",
        "^$",
    ] {
        assert!(
            Pattern::parse(Dialect::Regex, source).is_ok(),
            "{source:?} was refused"
        );
    }
}

#[test]
fn everything_outside_the_subset_is_refused_by_name() {
    for (source, says) in [
        ("(a)\\1", "backreferences"),
        ("(?=a)", "lookahead"),
        ("(?<!a)b", "lookbehind"),
        ("(?i)abc", "flags"),
        ("(?P<name>a)", "named groups"),
        ("\\p{L}", "Unicode classes"),
        ("[[:alpha:]]", "POSIX classes"),
        ("[[=a=]]", "POSIX classes"),
        ("a*?", "lazy"),
        ("a+?", "lazy"),
        ("a{1,2}?", "lazy"),
        ("a*+", "possessive"),
        ("a**", "cannot follow another"),
        ("a{2}{3}", "cannot follow another"),
        ("\\bword", "\\b"),
        ("\\Aa", "\\A"),
        ("\\n", "escape"),
        ("\\x41", "escape"),
        ("\\é", "escape"),
        ("abc\\", "lone"),
        ("*a", "nothing to repeat"),
        ("(*)", "nothing to repeat"),
        ("a|*", "nothing to repeat"),
        ("{2}", "nothing to repeat"),
        ("a{", "'{' must start a bound"),
        ("a{x}", "'{' must start a bound"),
        ("a{,3}", "'{' must start a bound"),
        ("a{1,2", "'{' must start a bound"),
        ("a{101}", "at most 100"),
        ("a{1,101}", "at most 100"),
        ("a{99999999999}", "at most 100"),
        ("a{3,2}", "out of order"),
        ("[z-a]", "out of order"),
        ("[a-c-e]", "'-' inside brackets"),
        ("[\\d-z]", "'-' inside brackets"),
        ("[a-\\d]", "single character"),
        ("[\\D]", "inside brackets"),
        ("[]", "empty bracket class"),
        ("[^]", "empty bracket class"),
        ("[]a]", "empty bracket class"),
        ("[a[b]", "literal '['"),
        ("[abc", "unclosed '['"),
        ("(abc", "unclosed '('"),
        ("abc)", "unbalanced ')'"),
        ("a|", "empty alternatives"),
        ("|a", "empty alternatives"),
        ("a||b", "empty alternatives"),
        ("()", "empty alternatives"),
        ("(a|)", "empty alternatives"),
        ("^*", "anchors"),
        ("$+", "anchors"),
        ("^^a", "repeated anchors"),
        ("a$$", "repeated anchors"),
        ("^a^", "repeated anchors"),
        ("$a$", "repeated anchors"),
        ("^(^a)", "repeated anchors"),
        ("(a|^b)^c", "repeated anchors"),
        ("(^a)+", "repeated anchors"),
        ("(a$){2}", "repeated anchors"),
        ("(?:^a|b)*", "repeated anchors"),
        ("(a{100}){100}", "too complex"),
    ] {
        let message = refused(Dialect::Regex, source);
        assert!(message.contains(says), "{source:?}: {message}");
    }
}

#[test]
fn similar_to_refuses_what_sql_does_not_define() {
    for (source, says) in [
        ("\\d", "similarTo"),
        ("a\\", "lone"),
        ("(?:a)", "nothing to repeat"),
        ("%*?", "lazy"),
        ("[[:digit:]]", "POSIX"),
        ("a|", "empty alternatives"),
        ("(ab", "unclosed '('"),
    ] {
        let message = refused(Dialect::SimilarTo, source);
        assert!(message.contains(says), "{source:?}: {message}");
    }
}

#[test]
fn similar_to_translates_into_an_anchored_regex() {
    let render = |source| Pattern::parse(Dialect::SimilarTo, source).unwrap();
    assert_eq!(render("a%b_c").to_rust_regex(), "^a(?s:.)*b(?s:.)c$");
    assert_eq!(render("a%b_c").to_posix_are(), "^a.*b.c$");
    // `.`, `^` and `$` are literals; `|` alternates the whole pattern.
    assert_eq!(render("a.b|^c$").to_rust_regex(), "^(?:a\\.b|\\^c\\$)$");
    assert_eq!(render("").to_posix_are(), "^$");
    assert_eq!(
        render("(ab|c){2,3}[%_]").to_posix_are(),
        "^(?:ab|c){2,3}[\\%\\_]$"
    );
    assert_eq!(render("100\\%").to_rust_regex(), "^100%$");
}

#[test]
fn rendering_escapes_for_each_engine() {
    let p = regex("\\<a\\-b\\#[\\]\\-&~<]\\.");
    assert_eq!(p.to_rust_regex(), "<a\\-b\\#[\\&\\-<\\]\\~]\\.");
    assert_eq!(p.to_posix_are(), "\\<a\\-b\\#[\\&\\-\\<\\]\\~]\\.");
    let p = regex("^(?:x|yz)+.{2,}[^0-9]?\\d{1,3}$");
    assert_eq!(p.to_rust_regex(), "^(?:x|yz)+(?s:.){2,}[^0-9]?[0-9]{1,3}$");
    assert_eq!(p.to_posix_are(), "^(?:x|yz)+.{2,}[^0-9]?[0-9]{1,3}$");
}

#[test]
fn the_regex_crate_reads_every_rendering_as_written() {
    // Round trip: each pattern's rendering matches exactly the literal
    // text it spells, so no escape was lost or invented.
    for (source, value) in [
        ("\\<\\>", "<>"),
        ("[\\<]", "<"),
        ("\\&\\&[\\&\\~]\\-\\-\\~\\~", "&&~--~~"),
        ("\\#\\!", "#!"),
        ("[\\[\\]]", "]"),
    ] {
        assert!(matches(Dialect::Regex, source, true, value), "{source:?}");
    }
}

#[test]
fn regex_matches_anywhere_unless_anchored() {
    let table: &[(&str, &str, bool)] = &[
        ("lic", "alice", true),
        ("^lic", "alice", false),
        ("^ali", "alice", true),
        ("ice$", "alice", true),
        ("ic$", "alice", false),
        ("^alice$", "alice", true),
        ("^alice$", "alice2", false),
        ("", "anything", true),
        ("", "", true),
        ("^$", "", true),
        ("^$", "a", false),
        ("a.c", "abc", true),
        ("a.c", "ac", false),
        ("a.c", "a\nc", true),
        ("^[a-c]+$", "abcabc", true),
        ("^[a-c]+$", "abcd", false),
        ("[^a-z]", "abc", false),
        ("[^a-z]", "abc1", true),
        ("^a{2,3}$", "aaa", true),
        ("^a{2,3}$", "aaaa", false),
        ("^a{2}$", "aa", true),
        ("^(ab|cd)+$", "abcdab", true),
        ("^(ab|cd)+$", "abca", false),
        ("^x?y*$", "", true),
        ("cat|dog", "hotdog", true),
        ("^cat|dog$", "catapult", true),
        ("^(cat|dog)$", "catapult", false),
        ("a^b", "a^b", false),
        ("a\\^b", "a^b", true),
        ("\\d{3}", "ab123", true),
        ("\\d{3}", "ab12", false),
        ("^\\w+$", "snake_case9", true),
        ("^\\w+$", "kebab-case", false),
        // Shorthands are ASCII: no Unicode digits, letters or spaces.
        ("\\d", "٣", false),
        ("\\w", "é", false),
        ("\\s", "\u{00A0}", false),
        ("\\s", "a b", true),
        ("^\\D+$", "abc", true),
        ("\\W", "a_b", false),
        // `.` and classes are whole characters, not bytes.
        ("^.$", "é", true),
        ("^.$", "😀", true),
        ("^..$", "😀", false),
        ("^[à-ÿ]+$", "éèü", true),
        ("^[à-ÿ]+$", "éz", false),
        ("^[^é]$", "e", true),
        ("\\.", "a.b", true),
        ("\\.", "ab", false),
        ("\\\\", "a\\b", true),
        ("%", "100%", true),
        ("_", "a_b", true),
        ("}", "}", true),
    ];
    for &(source, value, expected) in table {
        assert_eq!(
            matches(Dialect::Regex, source, true, value),
            expected,
            "{source:?} on {value:?}"
        );
    }
}

#[test]
fn case_insensitive_matching_folds_pattern_and_value() {
    let table: &[(&str, &str, bool)] = &[
        ("ALICE", "alice", true),
        ("alice", "ALICE", true),
        ("^[A-Z]+$", "Alice", true),
        ("^[a-z]+$", "ALICE", true),
        ("[^A-Z]", "Alice", false),
        ("[^a-z]", "ALICE", false),
        ("^[À-Þ]+$", "éÉ", true),
        ("^Σ", "σίσυφος", true),
        ("^[Α-Ω]+$", "ΣΊΣΥΦΟΣ", false),
        // Lower-casing ends a word with `ς`: any sigma matches either.
        ("ΟΣ$", "ΣΊΣΥΦΟΣ", true),
        ("^σίσυφοσ$", "ΣΊΣΥΦΟΣ", true),
        ("^ς", "σίσυφος", true),
        ("[Σ]$", "σίσυφος", true),
        ("[Ρ-Τ]$", "ΣΊΣΥΦΟΣ", true),
        ("^[Α-Ωά-ώ]+$", "ΣΊΣΥΦΟΣ", true),
        // `İ` lowers to `i̇` (two characters), as the stored key does.
        ("^İstanbul$", "İstanbul", true),
        ("^i̇stanbul$", "İSTANBUL", true),
        ("^İ{2}$", "İİ", true),
        ("^ǅ", "ǆemal", true),
        ("\\W", "ALICE", false),
        ("^STRASSE$", "straße", false),
    ];
    for &(source, value, expected) in table {
        assert_eq!(
            matches(Dialect::Regex, source, false, value),
            expected,
            "{source:?} on {value:?}"
        );
    }
    assert!(!matches(Dialect::Regex, "ALICE", true, "alice"));
    assert!(!matches(Dialect::Regex, "^[A-Z]+$", true, "Alice"));
}

#[test]
fn similar_to_matches_the_whole_value() {
    let table: &[(&str, &str, bool, bool)] = &[
        ("abc", "abc", true, true),
        ("abc", "xabcx", true, false),
        ("a%", "alice", true, true),
        ("%ice", "alice", true, true),
        ("%li%", "alice", true, true),
        ("a_ice", "alice", true, true),
        ("a_ice", "aice", true, false),
        ("%(b|d)%", "abc", true, true),
        ("(a|b)+", "abba", true, true),
        ("(a|b)+", "abca", true, false),
        ("a.c", "abc", true, false),
        ("a.c", "a.c", true, true),
        ("^a$", "^a$", true, true),
        ("[0-9]{3}-%", "555-1234", true, true),
        ("100\\%", "100%", true, true),
        ("100\\%", "1000", true, false),
        ("%\\_%", "a_b", true, true),
        ("%\\_%", "ab", true, false),
        ("ALICE", "alice", false, true),
        ("ALICE", "alice", true, false),
        ("", "", true, true),
        ("", "a", true, false),
        ("%", "", true, true),
        ("_", "😀", true, true),
    ];
    for &(source, value, case_sensitive, expected) in table {
        assert_eq!(
            matches(Dialect::SimilarTo, source, case_sensitive, value),
            expected,
            "{source:?} on {value:?} (case_sensitive={case_sensitive})"
        );
    }
}

#[test]
fn folding_keeps_class_meaning() {
    let folded = regex("[A-C]").case_folded();
    let Node::Class(class) = &folded.alternatives()[0][0] else {
        panic!("{folded:?}");
    };
    assert_eq!(class.ranges(), &[('A', 'C'), ('a', 'c')]);
    assert_eq!(folded.to_posix_are(), "[A-Ca-c]");
    assert_eq!(regex("Ab[^X]").case_folded().to_rust_regex(), "ab[^Xx]");
    assert_eq!(regex("İ+").case_folded().to_posix_are(), "(?:i\u{307})+");
}

#[test]
fn lowercase_is_idempotent_so_uppercase_class_members_never_match_a_key() {
    // The folding of classes relies on this: a lower-cased value holds no
    // character whose lowercase is another one.
    for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
        for lower in c.to_lowercase() {
            assert!(
                lower.to_lowercase().eq(std::iter::once(lower)),
                "{c:?} lowers to {lower:?}, which lowers again"
            );
        }
    }
}

#[test]
fn oversized_patterns_are_refused_before_any_engine_sees_them() {
    assert!(Pattern::parse(Dialect::Regex, "a{100}").is_ok());
    assert!(Pattern::parse(Dialect::Regex, "(a{10}){100}").is_ok());
    assert!(Pattern::parse(Dialect::Regex, "((a{10}){10}){30}").is_err());
    // A broad class folded case-insensitively grows; the bound still holds.
    let broad = "[\u{1}-\u{10FFFF}]{100}";
    assert!(compile_pattern(Dialect::Regex, broad, true).is_ok());
    // Folding doubles this class's ranges, and so the pattern's size.
    let spread = "([ACEGIKMOQSUWY]{100}){11}";
    assert!(compile_pattern(Dialect::Regex, spread, true).is_ok());
    let err = compile_pattern(Dialect::Regex, spread, false).unwrap_err();
    assert!(err.to_string().contains("too complex"), "{err}");
}
