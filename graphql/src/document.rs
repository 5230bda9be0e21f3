//! What a parsed document costs once every fragment spread is replaced by
//! the fragment it names, measured in time linear in the document's size.
//!
//! A few hundred bytes of fragments that each spread the one before twice
//! expand to billions of selections: async-graphql's recursion guard, its
//! validation (complexity and depth included) and its executor all walk the
//! expanded tree, so a document has to be measured before any of them sees
//! it. Each fragment is measured once and its measure reused at every spread.

use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::Positioned;
use async_graphql::parser::types::{
    Directive, ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql_value::Value;

/// A document's size and shape with its fragments spread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    /// Fields, fragment spreads, inline fragments, directives and argument
    /// values, each counted every time a spread repeats it, summed over
    /// every operation and every fragment definition (validation walks
    /// each), plus the operations' variable definitions. Saturates at
    /// `u64::MAX`.
    pub nodes: u64,
    /// The longest chain of fields in an operation, `__typename` not
    /// counted: the depth async-graphql's validation measures.
    pub depth: usize,
    /// The deepest nesting of selection sets, where a field's selection
    /// set, an inline fragment and a fragment spread each add a level: what
    /// async-graphql's recursion guard measures.
    pub nesting: usize,
    /// Selections and values this analysis looked at: each once, however
    /// often it is spread, so never more than the document has.
    pub visited: u64,
}

/// Why a document has no finite expansion within the nesting limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unbounded {
    /// Selection sets nest deeper than the limit given (fragments spread).
    Nesting,
    /// The named fragment spreads itself, directly or through others.
    Cycle(String),
}

/// Measures `document`. Stops with [`Unbounded::Nesting`] as soon as a
/// selection set lies deeper than `max_nesting`, which also bounds the
/// recursion of the measure itself.
pub fn expand(document: &ExecutableDocument, max_nesting: usize) -> Result<Expansion, Unbounded> {
    let mut expander = Expander {
        fragments: &document.fragments,
        measured: HashMap::with_capacity(document.fragments.len()),
        max_nesting,
        visited: 0,
    };
    let mut expansion = Expansion::default();
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        let own = expander
            .directives(&operation.directives)
            .saturating_add(operation.variable_definitions.len() as u64);
        let cost = expander.selection_set(&operation.selection_set.node, 0)?;
        expansion.nodes = expansion
            .nodes
            .saturating_add(own)
            .saturating_add(cost.nodes);
        expansion.depth = expansion.depth.max(cost.depth);
        expansion.nesting = expansion.nesting.max(cost.nesting);
    }
    for name in document.fragments.keys() {
        if let Some(cost) = expander.fragment(name, 0)? {
            expansion.nodes = expansion.nodes.saturating_add(cost.nodes);
            expansion.nesting = expansion.nesting.max(cost.nesting);
        }
    }
    if expansion.nesting > max_nesting {
        return Err(Unbounded::Nesting);
    }
    expansion.visited = expander.visited;
    Ok(expansion)
}

/// The measure of one selection set (or fragment), relative to itself.
#[derive(Clone, Copy, Debug, Default)]
struct Cost {
    nodes: u64,
    depth: usize,
    nesting: usize,
}

enum Measured {
    /// Being measured: meeting it again means a cycle.
    InProgress,
    Done(Cost),
}

struct Expander<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    measured: HashMap<&'a str, Measured>,
    max_nesting: usize,
    visited: u64,
}

impl<'a> Expander<'a> {
    /// `level` is how deep `set` lies in the document being walked; it
    /// only guards the recursion, the result is relative to `set`.
    fn selection_set(&mut self, set: &'a SelectionSet, level: usize) -> Result<Cost, Unbounded> {
        if level > self.max_nesting {
            return Err(Unbounded::Nesting);
        }
        let mut total = Cost::default();
        for item in &set.items {
            self.visited += 1;
            let (own, depth, inner) = match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let mut own = 1 + self.directives(&field.directives);
                    for (_, value) in &field.arguments {
                        own = own.saturating_add(self.value(&value.node));
                    }
                    let inner = if field.selection_set.node.items.is_empty() {
                        None
                    } else {
                        Some(self.selection_set(&field.selection_set.node, level + 1)?)
                    };
                    // Validation does not count `__typename` nor look under it.
                    let depth = if field.name.node == "__typename" {
                        0
                    } else {
                        1 + inner.map_or(0, |inner| inner.depth)
                    };
                    (own, depth, inner)
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let own = 1 + self.directives(&fragment.directives);
                    let inner = self.selection_set(&fragment.selection_set.node, level + 1)?;
                    (own, inner.depth, Some(inner))
                }
                Selection::FragmentSpread(spread) => {
                    let spread = &spread.node;
                    let own = 1 + self.directives(&spread.directives);
                    let inner = self.fragment(&spread.fragment_name.node, level + 1)?;
                    (own, inner.map_or(0, |inner| inner.depth), inner)
                }
            };
            let (nodes, nesting) = inner.map_or((own, 0), |inner| {
                (own.saturating_add(inner.nodes), inner.nesting + 1)
            });
            total.nodes = total.nodes.saturating_add(nodes);
            total.depth = total.depth.max(depth);
            total.nesting = total.nesting.max(nesting);
        }
        Ok(total)
    }

    /// The fragment `name`'s measure, computed on first use; `None` for an
    /// unknown fragment, which validation refuses.
    fn fragment(&mut self, name: &'a str, level: usize) -> Result<Option<Cost>, Unbounded> {
        match self.measured.get(name) {
            Some(Measured::Done(cost)) => return Ok(Some(*cost)),
            Some(Measured::InProgress) => return Err(Unbounded::Cycle(name.to_owned())),
            None => {}
        }
        let Some(fragment) = self.fragments.get(name) else {
            return Ok(None);
        };
        self.measured.insert(name, Measured::InProgress);
        let fragment = &fragment.node;
        let own = self.directives(&fragment.directives);
        let mut cost = self.selection_set(&fragment.selection_set.node, level)?;
        cost.nodes = cost.nodes.saturating_add(own);
        self.measured.insert(name, Measured::Done(cost));
        Ok(Some(cost))
    }

    fn directives(&mut self, directives: &'a [Positioned<Directive>]) -> u64 {
        let mut nodes = 0u64;
        for directive in directives {
            nodes = nodes.saturating_add(1);
            for (_, value) in &directive.node.arguments {
                nodes = nodes.saturating_add(self.value(&value.node));
            }
        }
        nodes
    }

    /// Every list, object and scalar in `value`, without recursion.
    fn value(&mut self, value: &'a Value) -> u64 {
        let mut nodes = 0u64;
        let mut stack = vec![value];
        while let Some(value) = stack.pop() {
            nodes = nodes.saturating_add(1);
            match value {
                Value::List(items) => stack.extend(items),
                Value::Object(fields) => stack.extend(fields.values()),
                _ => {}
            }
        }
        self.visited = self.visited.saturating_add(nodes);
        nodes
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use async_graphql::parser::parse_query;

    use super::*;

    fn measure(query: &str) -> Result<Expansion, Unbounded> {
        expand(&parse_query(query).unwrap(), 64)
    }

    /// `fragment F1 { ...F0 ...F0 } ... fragment Fn { ...Fn-1 ...Fn-1 }`
    /// and `{ ...Fn }`, over `leaf`.
    fn fan_out(levels: usize, leaf: &str) -> String {
        let mut query = format!("{{ ...F{levels} }}\nfragment F0 on Query {{ {leaf} }}\n");
        for level in 1..=levels {
            let below = level - 1;
            query.push_str(&format!(
                "fragment F{level} on Query {{ ...F{below} ...F{below} }}\n"
            ));
        }
        query
    }

    #[test]
    fn plain_documents_count_each_selection_and_value() {
        let found = measure("{ me { id username } users(first: 5) { totalCount } }").unwrap();
        // me, id, username, users, its argument, totalCount.
        assert_eq!(found.nodes, 6);
        assert_eq!(found.depth, 2);
        assert_eq!(found.nesting, 1);
        let found =
            measure("query($v: Boolean!) { a(f: {x: [1, 2], y: {z: null}}) @include(if: $v) }")
                .unwrap();
        // The variable definition; a; the object, the list, 1, 2, the inner
        // object, null; the directive and its argument.
        assert_eq!(found.nodes, 1 + 1 + 6 + 2);
        assert_eq!(found.depth, 1);
    }

    #[test]
    fn spreads_count_what_they_expand_to_and_fragments_count_once_more() {
        let found =
            measure("{ me { ...U ...U } } fragment U on User { id roles { name } }").unwrap();
        // The operation: me, 2 × (spread + 3); the definition: 3.
        assert_eq!(found.nodes, 1 + 2 * 4 + 3);
        assert_eq!(found.depth, 3);
        // me's set, the spread, roles' set.
        assert_eq!(found.nesting, 3);
    }

    #[test]
    fn typename_is_not_a_level_of_depth() {
        assert_eq!(measure("{ me { __typename } }").unwrap().depth, 1);
        assert_eq!(measure("{ __typename }").unwrap().depth, 0);
    }

    #[test]
    fn inline_fragments_are_levels_of_nesting_not_depth() {
        let found = measure("{ ... on Query { ... { me { id } } } }").unwrap();
        assert_eq!(found.depth, 2);
        assert_eq!(found.nesting, 3);
        assert_eq!(found.nodes, 4);
    }

    #[test]
    fn exponential_fan_out_is_measured_in_linear_work() {
        // F0 is 1 node; Fk is two spreads of F(k-1): 2 + 2 × F(k-1).
        let mut fragment = 1u64;
        let mut definitions = 1u64;
        for _ in 1..=25 {
            fragment = 2 + 2 * fragment;
            definitions += fragment;
        }
        let found = measure(&fan_out(25, "__typename")).unwrap();
        assert_eq!(found.nodes, 1 + fragment + definitions);
        assert_eq!(found.nesting, 26);
        // Each fragment's two spreads and F0's field, once.
        assert_eq!(found.visited, 2 * 25 + 1 + 1);

        let found = measure(&fan_out(40, "__typename")).unwrap();
        assert!(found.nodes > 1 << 40, "{}", found.nodes);
        let found = measure(&fan_out(62, "__typename")).unwrap();
        assert_eq!(found.nodes, u64::MAX);
    }

    #[test]
    fn cycles_are_named() {
        let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { me { ...A } }";
        assert!(
            matches!(measure(cycle), Err(Unbounded::Cycle(name)) if name == "A" || name == "B")
        );
        assert_eq!(
            measure("{ ...A } fragment A on Query { ...A }"),
            Err(Unbounded::Cycle("A".to_owned()))
        );
    }

    #[test]
    fn nesting_through_fragments_is_bounded() {
        // 100 fragments in a chain: each document line is shallow.
        let mut query = String::from("{ ...F0 }\n");
        for k in 0..100 {
            query.push_str(&format!("fragment F{k} on Query {{ ...F{} }}\n", k + 1));
        }
        query.push_str("fragment F100 on Query { __typename }\n");
        assert_eq!(measure(&query), Err(Unbounded::Nesting));
        // The same chain of 60 fits.
        let mut query = String::from("{ ...F0 }\n");
        for k in 0..60 {
            query.push_str(&format!("fragment F{k} on Query {{ ...F{} }}\n", k + 1));
        }
        query.push_str("fragment F60 on Query { __typename }\n");
        assert_eq!(measure(&query).unwrap().nesting, 61);
    }

    #[test]
    fn graphiql_introspection_is_far_below_the_default_limit() {
        let query = "query IntrospectionQuery { __schema { queryType { name } mutationType { name }
              types { ...FullType } directives { name locations args { ...InputValue } } } }
            fragment FullType on __Type { kind name description
              fields(includeDeprecated: true) { name description args { ...InputValue }
                type { ...TypeRef } isDeprecated deprecationReason }
              inputFields { ...InputValue } interfaces { ...TypeRef }
              enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
              possibleTypes { ...TypeRef } }
            fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
            fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType {
              kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
              } } } } } } } }";
        let found = measure(query).unwrap();
        assert_eq!(found.nodes, 391);
        assert_eq!(found.depth, 13);
    }

    #[test]
    fn unknown_fragments_cost_their_spread_only() {
        let found = measure("{ ...Nope }").unwrap();
        assert_eq!((found.nodes, found.nesting), (1, 0));
    }
}
