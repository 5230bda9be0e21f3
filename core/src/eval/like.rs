//! SQL `LIKE` matching: `%` matches any run of characters (including none),
//! `_` exactly one character, and `\` makes the next character literal. A
//! trailing lone `\` stands for itself.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Literal(char),
    AnyOne,
    AnyRun,
}

fn tokenize(pattern: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '%' => Token::AnyRun,
            '_' => Token::AnyOne,
            '\\' => Token::Literal(chars.next().unwrap_or('\\')),
            other => Token::Literal(other),
        });
    }
    tokens
}

/// Whether all of `value` matches `pattern`.
pub(crate) fn like(value: &str, pattern: &str) -> bool {
    let tokens = tokenize(pattern);
    let text: Vec<char> = value.chars().collect();
    // Greedy wildcard matching with one backtrack point (the last `%`):
    // linear in practice and O(n*m) at worst, never exponential.
    let (mut t, mut p) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::AnyRun) => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(Token::AnyOne) => {
                t += 1;
                p += 1;
            }
            Some(Token::Literal(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match backtrack {
                Some((star, start)) => {
                    p = star + 1;
                    t = start + 1;
                    backtrack = Some((star, start + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|token| *token == Token::AnyRun)
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn percent_matches_any_run_including_none() {
        assert!(like("alice", "%"));
        assert!(like("", "%"));
        assert!(like("alice", "a%"));
        assert!(like("alice", "%ce"));
        assert!(like("alice", "%lic%"));
        assert!(like("alice", "a%i%e"));
        assert!(!like("alice", "b%"));
        assert!(!like("alice", "%x%"));
    }

    #[test]
    fn underscore_matches_exactly_one_character() {
        assert!(like("bob", "b_b"));
        assert!(like("béb", "b_b"));
        assert!(!like("bb", "b_b"));
        assert!(!like("boob", "b_b"));
        assert!(like("boob", "b__b"));
        assert!(!like("", "_"));
    }

    #[test]
    fn without_wildcards_the_whole_value_must_equal() {
        assert!(like("alice", "alice"));
        assert!(!like("alice", "alic"));
        assert!(!like("alic", "alice"));
        assert!(like("", ""));
        assert!(!like("a", ""));
    }

    #[test]
    fn backslash_makes_wildcards_literal() {
        assert!(like("100%", "100\\%"));
        assert!(!like("1000", "100\\%"));
        assert!(like("a_b", "a\\_b"));
        assert!(!like("axb", "a\\_b"));
        assert!(like("a\\b", "a\\\\b"));
        assert!(like("ends\\", "ends\\"));
    }

    #[test]
    fn backtracking_finds_later_matches() {
        assert!(like("abcabcabd", "%abd"));
        assert!(like("mississippi", "%iss%ppi"));
        assert!(!like("mississippi", "%iss%ppx"));
        assert!(like("aaa", "%a%a%a%"));
        assert!(!like("aa", "%a%a%a%"));
    }
}
