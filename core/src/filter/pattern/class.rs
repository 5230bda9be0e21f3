//! Bracket classes as sorted, disjoint character ranges.

/// A set of characters, or (when `negated`) every character outside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Class {
    negated: bool,
    /// Sorted, disjoint and non-adjacent inclusive ranges; never empty.
    ranges: Vec<(char, char)>,
}

/// `\d`
pub(super) const DIGIT: &[(char, char)] = &[('0', '9')];
/// `\w`
pub(super) const WORD: &[(char, char)] = &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
/// `\s`: space, tab, newline, vertical tab, form feed, carriage return.
pub(super) const SPACE: &[(char, char)] = &[('\t', '\r'), (' ', ' ')];

impl Class {
    /// A class of `ranges` (each `lo <= hi`, in any order); `None` when
    /// there are none.
    pub(super) fn new(negated: bool, ranges: Vec<(char, char)>) -> Option<Class> {
        let ranges = normalize(ranges);
        (!ranges.is_empty()).then_some(Class { negated, ranges })
    }

    pub fn negated(&self) -> bool {
        self.negated
    }

    /// The members (before negation) as sorted, disjoint inclusive ranges.
    pub fn ranges(&self) -> &[(char, char)] {
        &self.ranges
    }
}

fn next_char(c: char) -> Option<char> {
    match c {
        // Surrogates are not characters: the next one after U+D7FF is U+E000.
        '\u{D7FF}' => Some('\u{E000}'),
        _ => char::from_u32(u32::from(c) + 1),
    }
}

fn normalize(mut ranges: Vec<(char, char)>) -> Vec<(char, char)> {
    ranges.sort_unstable();
    let mut merged: Vec<(char, char)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match merged.last_mut() {
            Some((_, last_hi)) if next_char(*last_hi).is_none_or(|next| lo <= next) => {
                *last_hi = (*last_hi).max(hi);
            }
            _ => merged.push((lo, hi)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_sorted_and_merged() {
        let class =
            Class::new(false, vec![('x', 'z'), ('a', 'c'), ('b', 'd'), ('e', 'e')]).unwrap();
        assert_eq!(class.ranges(), &[('a', 'e'), ('x', 'z')]);
        let class = Class::new(
            false,
            vec![('\u{D7FF}', '\u{D7FF}'), ('\u{E000}', '\u{E001}')],
        );
        assert_eq!(class.unwrap().ranges(), &[('\u{D7FF}', '\u{E001}')]);
        assert!(Class::new(true, vec![]).is_none());
    }
}
