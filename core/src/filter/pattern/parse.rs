//! Recursive-descent parsers for the `regex` subset and for `similarTo`.
//! Both refuse, with a message naming it, every construct outside the
//! subset, rather than guessing what another engine would make of it.

use crate::error::Result;

use super::class::{Class, DIGIT, SPACE, WORD};
use super::{Dialect, MAX_REPEAT, Node, invalid};

/// A `regex` pattern: alternatives matched anywhere in the value.
pub(super) fn regex(source: &str) -> Result<Vec<Vec<Node>>> {
    let mut parser = Parser::new(Dialect::Regex, source);
    if parser.chars.is_empty() {
        // The empty regex matches every value, as in both engines.
        return Ok(vec![Vec::new()]);
    }
    let alternatives = parser.whole()?;
    anchors_once(&alternatives, Anchors::default())?;
    Ok(alternatives)
}

/// The anchors met so far on one path through a pattern.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Anchors {
    start: bool,
    end: bool,
}

impl Anchors {
    fn union(self, other: Anchors) -> Anchors {
        Anchors {
            start: self.start || other.start,
            end: self.end || other.end,
        }
    }
}

fn repeated_anchor() -> crate::error::Error {
    invalid(
        "repeated anchors ('^^a', 'a$$', '^a^', '(^a)+') are not supported: each of ^ and $ \
         may occur at most once on any path through the pattern",
    )
}

/// Refuses a second `^` or `$` on any path through `alternatives`, starting
/// with the anchors `before` them. A repeated anchor is either redundant
/// (`^^a`) or can never match (`^a^`): both are mistakes worth naming.
/// Returns the anchors any path may have met by the end.
fn anchors_once(alternatives: &[Vec<Node>], before: Anchors) -> Result<Anchors> {
    let mut after = before;
    for sequence in alternatives {
        let mut met = before;
        for node in sequence {
            met = node_anchors(node, met)?;
        }
        after = after.union(met);
    }
    Ok(after)
}

fn node_anchors(node: &Node, before: Anchors) -> Result<Anchors> {
    match node {
        Node::Start if before.start => Err(repeated_anchor()),
        Node::End if before.end => Err(repeated_anchor()),
        Node::Start => Ok(Anchors {
            start: true,
            ..before
        }),
        Node::End => Ok(Anchors {
            end: true,
            ..before
        }),
        Node::Group(alternatives) => anchors_once(alternatives, before),
        Node::Repeat { node, max, .. } => {
            let after = node_anchors(node, before)?;
            // A second copy would meet the anchors of the first.
            if after != before && max.is_none_or(|max| max > 1) {
                return Err(repeated_anchor());
            }
            Ok(after)
        }
        Node::Literal(_) | Node::Any | Node::Class(_) => Ok(before),
    }
}

/// A `similarTo` pattern, anchored to match the whole value.
pub(super) fn similar_to(source: &str) -> Result<Vec<Vec<Node>>> {
    let mut parser = Parser::new(Dialect::SimilarTo, source);
    let alternatives = if parser.chars.is_empty() {
        vec![Vec::new()]
    } else {
        parser.whole()?
    };
    let mut anchored = vec![Node::Start];
    match <[Vec<Node>; 1]>::try_from(alternatives) {
        Ok([only]) => anchored.extend(only),
        Err(several) => anchored.push(Node::Group(several)),
    }
    anchored.push(Node::End);
    Ok(vec![anchored])
}

struct Parser {
    dialect: Dialect,
    chars: Vec<char>,
    at: usize,
}

/// Whether `c` may follow `\` for itself: ASCII punctuation, which neither
/// engine gives an escape meaning.
fn escapable(c: char) -> bool {
    c.is_ascii_punctuation()
}

impl Parser {
    fn new(dialect: Dialect, source: &str) -> Parser {
        Parser {
            dialect,
            chars: source.chars().collect(),
            at: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.at + offset).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.at += 1;
        }
        c
    }

    fn whole(&mut self) -> Result<Vec<Vec<Node>>> {
        let alternatives = self.alternation()?;
        match self.peek() {
            None => Ok(alternatives),
            // `alternation` stops only at the end or at `)`.
            Some(_) => Err(invalid(
                "unbalanced ')' in pattern; write \\) for a literal ')'",
            )),
        }
    }

    /// Alternatives up to the end or a `)` (left for the caller).
    fn alternation(&mut self) -> Result<Vec<Vec<Node>>> {
        let mut alternatives = vec![self.sequence()?];
        while self.peek() == Some('|') {
            self.bump();
            alternatives.push(self.sequence()?);
        }
        if alternatives.iter().any(Vec::is_empty) {
            return Err(invalid(
                "empty alternatives ('a|', '()', '(|b)') are not supported in patterns",
            ));
        }
        Ok(alternatives)
    }

    fn sequence(&mut self) -> Result<Vec<Node>> {
        let mut nodes = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            let node = self.quantified(atom)?;
            nodes.push(node);
        }
        Ok(nodes)
    }

    fn atom(&mut self) -> Result<Node> {
        let Some(c) = self.bump() else {
            return Err(invalid("pattern ends unexpectedly"));
        };
        let similar = self.dialect == Dialect::SimilarTo;
        Ok(match c {
            '*' | '+' | '?' | '{' => {
                return Err(invalid(format!(
                    "'{c}' has nothing to repeat; write \\{c} for a literal '{c}'"
                )));
            }
            '(' => self.group()?,
            '[' => Node::Class(self.class()?),
            '\\' => self.escape()?,
            '%' if similar => Node::Repeat {
                node: Box::new(Node::Any),
                min: 0,
                max: None,
            },
            '_' if similar => Node::Any,
            '.' if !similar => Node::Any,
            '^' if !similar => Node::Start,
            '$' if !similar => Node::End,
            other => Node::Literal(other),
        })
    }

    fn group(&mut self) -> Result<Node> {
        if self.dialect == Dialect::Regex && self.peek() == Some('?') {
            if self.peek_at(1) == Some(':') {
                self.at += 2;
            } else {
                return Err(invalid(
                    "'(?' groups (flags, lookahead, lookbehind, named groups) are not supported; \
                     only ( ) and (?: ) groups, which never capture",
                ));
            }
        }
        let alternatives = self.alternation()?;
        match self.bump() {
            Some(')') => Ok(Node::Group(alternatives)),
            _ => Err(invalid(
                "unclosed '(' in pattern; write \\( for a literal '('",
            )),
        }
    }

    /// After a `\` outside brackets.
    fn escape(&mut self) -> Result<Node> {
        let c = self.escaped()?;
        if escapable(c) {
            return Ok(Node::Literal(c));
        }
        let (negated, ranges) = self.shorthand(c)?;
        Class::new(negated, ranges.to_vec())
            .map(Node::Class)
            .ok_or_else(|| invalid("empty class"))
    }

    /// The character after a `\`, refused unless ASCII punctuation or (in
    /// `regex`) one of the `\d \w \s` shorthands.
    fn escaped(&mut self) -> Result<char> {
        let Some(c) = self.bump() else {
            return Err(invalid(
                "pattern must not end with a lone '\\'; write \\\\ for a literal backslash",
            ));
        };
        if escapable(c) {
            return Ok(c);
        }
        let shorthand = matches!(c, 'd' | 'D' | 'w' | 'W' | 's' | 'S');
        if shorthand && self.dialect == Dialect::Regex {
            return Ok(c);
        }
        Err(invalid(match c {
            '1'..='9' => "backreferences (\\1 ...) are not supported in patterns".to_owned(),
            'p' | 'P' => "Unicode classes (\\p{...}) are not supported in patterns".to_owned(),
            'b' | 'B' | 'A' | 'z' | 'Z' | 'm' | 'M' | 'y' | 'Y' => {
                format!("the assertion \\{c} is not supported; use ^ and $")
            }
            _ if self.dialect == Dialect::SimilarTo => {
                format!("'\\{c}' is not supported in similarTo: '\\' escapes only punctuation")
            }
            _ => format!(
                "the escape '\\{c}' is not supported: '\\' escapes only punctuation, or forms \
                 \\d \\w \\s \\D \\W \\S"
            ),
        }))
    }

    fn shorthand(&self, c: char) -> Result<(bool, &'static [(char, char)])> {
        Ok(match c {
            'd' => (false, DIGIT),
            'D' => (true, DIGIT),
            'w' => (false, WORD),
            'W' => (true, WORD),
            's' => (false, SPACE),
            'S' => (true, SPACE),
            other => return Err(invalid(format!("the escape '\\{other}' is not supported"))),
        })
    }

    /// After a `[`: members up to the closing `]`.
    fn class(&mut self) -> Result<Class> {
        let negated = self.peek() == Some('^');
        if negated {
            self.bump();
        }
        if self.peek() == Some(']') {
            return Err(invalid(
                "empty bracket class; write \\] for a literal ']' inside brackets",
            ));
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.bump() else {
                return Err(invalid(
                    "unclosed '[' in pattern; write \\[ for a literal '['",
                ));
            };
            match c {
                ']' => break,
                '-' if first || self.peek() == Some(']') => ranges.push(('-', '-')),
                '-' => {
                    return Err(invalid(
                        "'-' inside brackets must be first, last or escaped as \\-",
                    ));
                }
                '[' => {
                    return Err(invalid(match self.peek() {
                        Some(':' | '=' | '.') => {
                            "POSIX classes ([:alpha:], [=a=], [.a.]) are not supported; \
                             use ranges such as [a-z]"
                        }
                        _ => "write \\[ for a literal '[' inside brackets",
                    }));
                }
                '\\' => {
                    let escaped = self.escaped()?;
                    if escapable(escaped) {
                        self.member(escaped, &mut ranges)?;
                    } else {
                        let (negated, shorthand) = self.shorthand(escaped)?;
                        if negated {
                            return Err(invalid(format!(
                                "\\{escaped} is not supported inside brackets; use it outside \
                                 or list the characters"
                            )));
                        }
                        ranges.extend_from_slice(shorthand);
                    }
                }
                other => self.member(other, &mut ranges)?,
            }
            first = false;
        }
        Class::new(negated, ranges).ok_or_else(|| invalid("empty bracket class"))
    }

    /// A class member `lo`, which may start a range `lo-hi`.
    fn member(&mut self, lo: char, ranges: &mut Vec<(char, char)>) -> Result<()> {
        let is_range = self.peek() == Some('-') && self.peek_at(1).is_some_and(|c| c != ']');
        if !is_range {
            ranges.push((lo, lo));
            return Ok(());
        }
        self.bump();
        let hi = match self.bump() {
            Some('\\') => {
                let escaped = self.escaped()?;
                if !escapable(escaped) {
                    return Err(invalid("a range must end in a single character"));
                }
                escaped
            }
            Some('[') => return Err(invalid("write \\[ for a literal '[' inside brackets")),
            Some(c) => c,
            None => return Err(invalid("unclosed '[' in pattern")),
        };
        if hi < lo {
            return Err(invalid(format!("the range {lo}-{hi} is out of order")));
        }
        if self.peek() == Some('-') && self.peek_at(1).is_some_and(|c| c != ']') {
            return Err(invalid(
                "'-' inside brackets must be first, last or escaped as \\-",
            ));
        }
        ranges.push((lo, hi));
        Ok(())
    }

    /// Applies the quantifiers after `atom`, if any.
    fn quantified(&mut self, atom: Node) -> Result<Node> {
        let Some((min, max)) = self.quantifier()? else {
            return Ok(atom);
        };
        if matches!(atom, Node::Start | Node::End) {
            return Err(invalid("the anchors ^ and $ cannot be repeated"));
        }
        match self.peek() {
            Some('?') => Err(invalid(
                "lazy quantifiers (*?, +?, ??, {m,n}?) are not supported in patterns",
            )),
            Some('+') if self.dialect == Dialect::Regex => Err(invalid(
                "possessive quantifiers (*+, ++, ?+) are not supported in patterns",
            )),
            Some('*' | '+' | '{') => Err(invalid(
                "a quantifier cannot follow another; wrap the repeated part in ( )",
            )),
            _ => Ok(Node::Repeat {
                node: Box::new(atom),
                min,
                max,
            }),
        }
    }

    fn quantifier(&mut self) -> Result<Option<(u32, Option<u32>)>> {
        let bounds = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => {
                self.bump();
                return self.bounds().map(Some);
            }
            _ => return Ok(None),
        };
        self.bump();
        Ok(Some(bounds))
    }

    /// After a `{`: `m}`, `m,}` or `m,n}`.
    fn bounds(&mut self) -> Result<(u32, Option<u32>)> {
        let malformed = || {
            invalid(
                "'{' must start a bound such as {2}, {2,} or {2,5}; write \\{ for a literal '{'",
            )
        };
        let min = self.number()?.ok_or_else(malformed)?;
        let max = match self.bump() {
            Some('}') => Some(min),
            Some(',') => {
                let max = self.number()?;
                if self.bump() != Some('}') {
                    return Err(malformed());
                }
                max
            }
            _ => return Err(malformed()),
        };
        if max.is_some_and(|max| max < min) {
            return Err(invalid(format!(
                "the bound {{{min},{}}} is out of order",
                max.unwrap_or(min)
            )));
        }
        Ok((min, max))
    }

    fn number(&mut self) -> Result<Option<u32>> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        if start == self.at {
            return Ok(None);
        }
        let digits: String = self.chars[start..self.at].iter().collect();
        match digits.parse::<u32>() {
            Ok(n) if n <= MAX_REPEAT => Ok(Some(n)),
            _ => Err(invalid(format!(
                "repetition bounds must be at most {MAX_REPEAT}"
            ))),
        }
    }
}
