//! Case folding of a pattern, so that matching the folded pattern against a
//! lower-cased value is the case-insensitive match.

use std::sync::LazyLock;

use super::Node;
use super::class::Class;

/// Every character whose lowercase is one other character, with that
/// lowercase, sorted by the character. Built once by asking std, so that it
/// agrees with `str::to_lowercase`, which lowers the stored keys.
static LOWERCASE: LazyLock<Vec<(char, char)>> = LazyLock::new(|| {
    (0..=u32::from(char::MAX))
        .filter_map(char::from_u32)
        .filter_map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if l != c => Some((c, l)),
                _ => None,
            }
        })
        .collect()
});

/// Lower-casing a value writes sigma as `ς` at the end of a word and `σ`
/// elsewhere, which a pattern cannot foresee: any sigma matches both.
const SIGMAS: [char; 3] = ['Σ', 'σ', 'ς'];

fn sigma_class() -> Node {
    Class::new(false, vec![('σ', 'σ'), ('ς', 'ς')]).map_or(Node::Literal('σ'), Node::Class)
}

pub(super) fn alternatives(alternatives: &[Vec<Node>]) -> Vec<Vec<Node>> {
    alternatives
        .iter()
        .map(|sequence| sequence.iter().map(node).collect())
        .collect()
}

fn node(node: &Node) -> Node {
    match node {
        Node::Literal(c) if SIGMAS.contains(c) => sigma_class(),
        Node::Literal(c) => {
            let lower: Vec<Node> = c.to_lowercase().map(Node::Literal).collect();
            match <[Node; 1]>::try_from(lower) {
                Ok([single]) => single,
                // Several characters must repeat (and alternate) together.
                Err(several) => Node::Group(vec![several]),
            }
        }
        Node::Class(c) => Node::Class(class(c)),
        Node::Group(inner) => Node::Group(alternatives(inner)),
        Node::Repeat {
            node: inner,
            min,
            max,
        } => Node::Repeat {
            node: Box::new(self::node(inner)),
            min: *min,
            max: *max,
        },
        Node::Any | Node::Start | Node::End => node.clone(),
    }
}

/// The class plus the lowercase of each member; a negated class then
/// excludes both cases. The members themselves stay: a lower-cased value
/// holds only characters that are their own lowercase, so an uppercase
/// member left in place never matches.
fn class(class: &Class) -> Class {
    let mut ranges = class.ranges().to_vec();
    for &(lo, hi) in class.ranges() {
        let start = LOWERCASE.partition_point(|(c, _)| *c < lo);
        let end = LOWERCASE.partition_point(|(c, _)| *c <= hi);
        ranges.extend(LOWERCASE[start..end].iter().map(|(_, l)| (*l, *l)));
        if SIGMAS.iter().any(|s| (lo..=hi).contains(s)) {
            ranges.extend([('σ', 'σ'), ('ς', 'ς')]);
        }
    }
    // The members were non-empty and only grew.
    Class::new(class.negated(), ranges).unwrap_or_else(|| class.clone())
}
