//! Fuzzing the document limits through the real router: random documents
//! and variables built from GraphQL's pieces (fragments and spreads, cycles
//! included, inline fragments, aliases, directives, nesting, variables nested
//! deep, chains of fragments that each spread the one before twice, batches)
//! are posted to the router in-process. For each one:
//!
//! - the handler does not panic and answers 200 (400 for a refused batch),
//!   with a code on every error and never `INTERNAL`;
//! - a document the limits refuse is answered `LIMIT_EXCEEDED` and no
//!   resolver runs;
//! - a document they accept runs no more resolvers than its measured
//!   expansion (the store's lists hold at most one item here), which the
//!   limit bounds;
//! - measuring looks at each selection and value once: never more of them
//!   than the document has bytes.
//!
//! Work is counted, not timed. The run is reproducible (fixed seed,
//! [`CASES`] cases, a second or two); `PROPTEST_CASES` and
//! `PROPTEST_RNG_SEED` change it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::env;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::Positioned;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::parser::parse_query;
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Request, ServerResult, Value as GqlValue, Variables};
use async_graphql_value::Value as InputValue;
use axum::Router;
use axum::body::Body;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::{Value, json};
use tower::ServiceExt;
use usergraph_core::{Service, ServiceSettings, Storage};

use crate::document::{Unbounded, expand};
use crate::limits::{ApiSettings, DocumentLimits, MAX_SELECTION_NESTING};
use crate::nesting::document_nesting;

const CASES: u32 = 500;
const SEED: u64 = 20_250_301;

/// Counts resolver calls (every field but `__typename`).
#[derive(Clone, Debug, Default)]
struct CountResolves(Arc<AtomicU64>);

impl ExtensionFactory for CountResolves {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Extension for CountResolves {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<GqlValue>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        next.run(ctx, info).await
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Query,
    User,
    Role,
    Users,
    Roles,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Query => "Query",
            Ty::User => "User",
            Ty::Role => "Role",
            Ty::Users => "UserConnection",
            Ty::Roles => "RoleConnection",
        }
    }

    /// Fields as written, with the type of their selection (`None`: a
    /// leaf). `$id`, `$filter` and `$flag` are declared when used.
    fn fields(self) -> &'static [(&'static str, Option<Ty>)] {
        match self {
            Ty::Query => &[
                ("__typename", None),
                ("me", Some(Ty::User)),
                ("user(id: $id)", Some(Ty::User)),
                ("users(first: 1)", Some(Ty::Users)),
                ("users(first: 1, filter: $filter)", Some(Ty::Users)),
                ("roles(first: 1)", Some(Ty::Roles)),
            ],
            Ty::User => &[
                ("id", None),
                ("username", None),
                ("name", None),
                ("__typename", None),
                ("roles", Some(Ty::Role)),
            ],
            Ty::Role => &[
                ("id", None),
                ("name", None),
                ("users(first: 1)", Some(Ty::Users)),
            ],
            Ty::Users => &[("totalCount", None), ("nodes", Some(Ty::User))],
            Ty::Roles => &[("totalCount", None), ("nodes", Some(Ty::Role))],
        }
    }
}

/// Builds one document from a stream of choices (a choice past the end of
/// the stream is 0, the simplest option), so that proptest shrinks a
/// failing document by shrinking the stream.
struct Builder<'a> {
    choices: std::slice::Iter<'a, u32>,
    /// Fragments `F0`, `F1`, ... and their type conditions.
    fragments: Vec<Ty>,
    /// Which fragments some selection spreads.
    spread: Vec<bool>,
    /// How deep fields may nest in this document; sometimes past the depth
    /// limit.
    max_depth: usize,
    /// A chain of fields `max_depth` deep, one selection per set.
    deep: bool,
    /// The fragment being written, if any.
    inside: Option<usize>,
    uses_id: bool,
    uses_filter: bool,
    uses_flag: bool,
    aliases: u32,
}

impl Builder<'_> {
    fn pick(&mut self, options: u32) -> u32 {
        self.choices.next().map_or(0, |choice| choice % options)
    }

    /// True one time in `in_`; false past the end of the stream.
    fn chance(&mut self, in_: u32) -> bool {
        self.pick(in_) == in_ - 1
    }

    fn selection_set(&mut self, ty: Ty, depth: usize, out: &mut String) {
        out.push_str("{ ");
        let items = if self.deep { 1 } else { 1 + self.pick(3) };
        for _ in 0..items {
            self.selection(ty, depth, out);
            self.separator(out);
        }
        out.push('}');
    }

    fn selection(&mut self, ty: Ty, depth: usize, out: &mut String) {
        match self.pick(10) {
            1 if !self.fragments.is_empty() => {
                // A later fragment, or now and then any: of another type,
                // itself, a cycle.
                let count = self.fragments.len() as u32;
                let inside = self.inside;
                let first = match inside {
                    Some(index) if !self.chance(6) => index as u32 + 1,
                    _ => 0,
                };
                if first >= count {
                    return self.field(ty, depth, out);
                }
                let fragment = (first + self.pick(count - first)) as usize;
                self.spread[fragment] = true;
                out.push_str(&format!("...F{fragment}"));
                self.directive(out);
            }
            2 => {
                if self.chance(2) {
                    out.push_str("...");
                } else {
                    out.push_str(&format!("... on {}", ty.name()));
                }
                self.directive(out);
                out.push(' ');
                self.selection_set(ty, depth + 1, out);
            }
            3 if self.chance(8) => out.push_str("nope"),
            _ => self.field(ty, depth, out),
        }
    }

    fn field(&mut self, ty: Ty, depth: usize, out: &mut String) {
        let fields = ty.fields();
        let mut choice = self.pick(fields.len() as u32) as usize;
        if depth >= self.max_depth {
            // Past the document's depth, leaves only (every type has one first).
            choice = 0;
        } else if self.deep {
            // The last field of every type has a selection.
            choice = fields.len() - 1;
        }
        let (field, inner) = fields[choice];
        if self.chance(3) {
            out.push_str(&format!("a{}", self.aliases));
            self.separator(out);
            out.push_str(": ");
            self.aliases += 1;
        }
        self.uses_id |= field.contains("$id");
        self.uses_filter |= field.contains("$filter");
        out.push_str(field);
        self.directive(out);
        if let Some(inner) = inner {
            out.push(' ');
            self.selection_set(inner, depth + 1, out);
        }
    }

    /// Ignored tokens: a space, or commas, comments (with brackets and
    /// quotes in them) and byte order marks.
    fn separator(&mut self, out: &mut String) {
        out.push_str(match self.pick(12) {
            1 => ", ",
            2 => " # { ( \" ... @\n",
            3 => "\u{feff}",
            _ => " ",
        });
    }

    fn directive(&mut self, out: &mut String) {
        match self.pick(8) {
            1 => {
                out.push_str(" @include(if: $flag)");
                self.uses_flag = true;
            }
            2 => out.push_str(" @skip(if: false)"),
            _ => {}
        }
    }

    /// `C0` over a random selection set, and `Ci` spreading `C(i-1)`
    /// twice: as spreads, inside inline fragments or beside aliased fields.
    fn fan_out(&mut self, levels: u32, ty: Ty, out: &mut String) {
        let on = ty.name();
        out.push_str(&format!("fragment C0 on {on} "));
        self.selection_set(ty, 1, out);
        out.push('\n');
        let shape = self.pick(3);
        for level in 1..=levels {
            let below = level - 1;
            let body = match shape {
                0 => format!("...C{below} ...C{below}"),
                1 => format!("... on {on} {{ ...C{below} }} ... {{ ...C{below} }}"),
                _ => format!("x: __typename ...C{below} y: __typename ...C{below}"),
            };
            out.push_str(&format!("fragment C{level} on {on} {{ {body} }}\n"));
        }
    }

    fn document(&mut self) -> String {
        self.deep = self.chance(8);
        self.max_depth = if self.deep {
            12 + self.pick(10) as usize
        } else {
            2 + self.pick(20) as usize
        };
        let count = self.pick(5) as usize;
        self.fragments = (0..count)
            .map(|_| match self.pick(4) {
                1 => Ty::User,
                2 => Ty::Role,
                _ => Ty::Query,
            })
            .collect();
        self.spread = vec![false; count];
        let mut fragments = String::new();
        for (index, ty) in self.fragments.clone().into_iter().enumerate() {
            fragments.push_str(&format!("fragment F{index} on {} ", ty.name()));
            self.inside = Some(index);
            self.selection_set(ty, 1, &mut fragments);
            fragments.push('\n');
        }
        self.inside = None;
        let mut body = String::from("{ ");
        if self.chance(3) {
            let levels = self.pick(45);
            let over_users = self.chance(2);
            let ty = if over_users { Ty::User } else { Ty::Query };
            self.fan_out(levels, ty, &mut fragments);
            if over_users {
                body.push_str(&format!("me {{ ...C{levels} }} "));
            } else {
                body.push_str(&format!("...C{levels} "));
            }
        }
        let mut rest = String::new();
        self.selection_set(Ty::Query, 0, &mut rest);
        // Unused fragments are invalid: spread those that fit here.
        for (index, ty) in self.fragments.iter().enumerate() {
            if *ty == Ty::Query && !self.spread[index] {
                body.push_str(&format!("...F{index} "));
            }
        }
        body.push_str(&rest[2..]);
        let mut variables = Vec::new();
        if self.uses_id {
            variables.push("$id: ID!");
        }
        if self.uses_filter {
            variables.push("$filter: UserFilter");
        }
        if self.uses_flag {
            variables.push("$flag: Boolean!");
        }
        let header = if variables.is_empty() {
            String::from("query")
        } else {
            format!("query Q({})", variables.join(", "))
        };
        format!("{header} {body}\n{fragments}")
    }

    /// Values for every variable, the filter nested up to 40 levels deep
    /// (over the input nesting limit from 32).
    fn variables(&mut self, admin_id: &str) -> Value {
        let mut filter = json!({ "isSuspended": false });
        for _ in 0..self.pick(41) {
            filter = json!({ "not": filter });
        }
        json!({ "id": admin_id, "filter": filter, "flag": self.chance(2) })
    }
}

fn config() -> Config {
    let mut config = Config::default();
    let unset = |var: &str| env::var_os(var).is_none();
    if unset("PROPTEST_CASES") {
        config.cases = CASES;
    }
    if unset("PROPTEST_RNG_SEED") {
        config.rng_seed = RngSeed::Fixed(SEED);
    }
    config.failure_persistence = None;
    config
}

/// What the limits say of one request, measured here on its own.
#[derive(Debug)]
struct Expected {
    refused: bool,
    /// Which limit refused it, as its message says.
    reason: Option<&'static str>,
    nodes: u64,
}

const REASONS: [&str; 5] = [
    "input values nest",
    "selections nest",
    "spreads itself",
    "nodes",
    "query depth",
];

/// Counts what [`expand`] measures the slow way, spreading every fragment
/// where it is used, and gives up (`None`) past `cap` nodes or
/// [`MAX_SELECTION_NESTING`] levels: an oracle for the measure on the
/// documents it accepts.
fn naive_nodes(document: &ExecutableDocument, cap: u64) -> Option<u64> {
    struct Naive<'a> {
        document: &'a ExecutableDocument,
        count: u64,
        cap: u64,
    }

    impl Naive<'_> {
        fn add(&mut self, nodes: u64) -> Option<()> {
            self.count += nodes;
            (self.count <= self.cap).then_some(())
        }

        fn value(value: &InputValue) -> u64 {
            1 + match value {
                InputValue::List(items) => items.iter().map(Self::value).sum(),
                InputValue::Object(fields) => fields.values().map(Self::value).sum(),
                _ => 0,
            }
        }

        fn directives(&mut self, directives: &[Positioned<Directive>]) -> Option<()> {
            for directive in directives {
                let values: u64 = directive
                    .node
                    .arguments
                    .iter()
                    .map(|(_, value)| Self::value(&value.node))
                    .sum();
                self.add(1 + values)?;
            }
            Some(())
        }

        fn set(&mut self, set: &SelectionSet, level: usize) -> Option<()> {
            if level > MAX_SELECTION_NESTING {
                return None;
            }
            for item in &set.items {
                self.add(1)?;
                match &item.node {
                    Selection::Field(field) => {
                        for (_, value) in &field.node.arguments {
                            self.add(Self::value(&value.node))?;
                        }
                        self.directives(&field.node.directives)?;
                        if !field.node.selection_set.node.items.is_empty() {
                            self.set(&field.node.selection_set.node, level + 1)?;
                        }
                    }
                    Selection::InlineFragment(inline) => {
                        self.directives(&inline.node.directives)?;
                        self.set(&inline.node.selection_set.node, level + 1)?;
                    }
                    Selection::FragmentSpread(spread) => {
                        self.directives(&spread.node.directives)?;
                        let name = &spread.node.fragment_name.node;
                        if let Some(fragment) = self.document.fragments.get(name) {
                            self.directives(&fragment.node.directives)?;
                            self.set(&fragment.node.selection_set.node, level + 1)?;
                        }
                    }
                }
            }
            Some(())
        }
    }

    let mut naive = Naive {
        document,
        count: 0,
        cap,
    };
    for (_, operation) in document.operations.iter() {
        naive.add(operation.node.variable_definitions.len() as u64)?;
        naive.directives(&operation.node.directives)?;
        naive.set(&operation.node.selection_set.node, 0)?;
    }
    for fragment in document.fragments.values() {
        naive.directives(&fragment.node.directives)?;
        naive.set(&fragment.node.selection_set.node, 0)?;
    }
    Some(naive.count)
}

fn expected(limits: DocumentLimits, query: &str, variables: &Value) -> Expected {
    let mut request = Request::new(query).variables(Variables::from_json(variables.clone()));
    let refusal = limits.check(&mut request).err();
    let refused = refusal.is_some();
    let reason = refusal.map(|error| {
        REASONS
            .into_iter()
            .find(|reason| error.message.contains(reason))
            .unwrap_or_else(|| panic!("unexpected refusal: {}", error.message))
    });
    if let Ok(document) = parse_query(query) {
        let cap = limits.max_nodes as u64;
        let measured = expand(&document, MAX_SELECTION_NESTING)
            .ok()
            .filter(|expansion| expansion.nodes <= cap);
        assert_eq!(
            measured.map(|expansion| expansion.nodes),
            naive_nodes(&document, cap),
            "{query}"
        );
    }
    let nodes = match parse_query(query).map(|document| expand(&document, MAX_SELECTION_NESTING)) {
        Ok(Ok(expansion)) => {
            assert!(
                expansion.visited <= query.len() as u64,
                "measuring visited {} items of a {}-byte document",
                expansion.visited,
                query.len()
            );
            // The count before parsing never refuses what measuring accepts.
            let scanned = document_nesting(query).nodes as u64;
            assert!(
                scanned <= expansion.nodes,
                "scanned {scanned} nodes, measured {}: {query}",
                expansion.nodes
            );
            expansion.nodes
        }
        Ok(Err(Unbounded::Nesting | Unbounded::Cycle(_))) => u64::MAX,
        // The parser refuses it; nothing runs.
        Err(_) => 0,
    };
    Expected {
        refused,
        reason,
        nodes,
    }
}

/// How many cases ended which way: a run where nearly everything is
/// refused, or nothing is, proves little.
#[derive(Debug, Default)]
struct Coverage {
    refused: u32,
    /// Refusals by limit.
    reasons: std::collections::BTreeMap<&'static str, u32>,
    ran: u32,
    batches: u32,
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    app: Router,
    resolves: Arc<AtomicU64>,
    token: String,
    admin_id: String,
    limits: DocumentLimits,
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let settings = ApiSettings::default();
    let storage: Arc<dyn Storage> = Arc::new(usergraph_redb::RedbStorage::in_memory().unwrap());
    let service = Service::new(storage, ServiceSettings::default()).unwrap();
    let bootstrap = runtime
        .block_on(service.bootstrap())
        .unwrap()
        .expect("an empty store is bootstrapped");
    let resolves = CountResolves::default();
    let schema = crate::schema::schema_builder(&settings)
        .extension(resolves.clone())
        .data(service.clone())
        .finish();
    let app = crate::router::router_with_schema(service, schema, settings.clone());
    Fixture {
        runtime,
        app,
        resolves: resolves.0,
        token: bootstrap.secret,
        admin_id: bootstrap.user.id.to_string(),
        limits: DocumentLimits::of(&settings),
    }
}

impl Fixture {
    fn post(&self, body: &Value, token: Option<&str>) -> (u16, Value) {
        let mut request =
            axum::http::Request::post("/graphql").header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request.body(Body::from(body.to_string())).unwrap();
        self.runtime.block_on(async {
            let response = self.app.clone().oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            (status, serde_json::from_slice(&bytes).unwrap())
        })
    }
}

fn codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|error| {
            error["extensions"]["code"]
                .as_str()
                .unwrap_or("<none>")
                .to_owned()
        })
        .collect()
}

fn check_answer(response: &Value, expected: &Expected) -> Result<(), TestCaseError> {
    let codes = codes(response);
    prop_assert!(
        !codes
            .iter()
            .any(|code| code == "INTERNAL" || code == "<none>"),
        "{response}"
    );
    if expected.refused {
        prop_assert_eq!(codes.first().map(String::as_str), Some("LIMIT_EXCEEDED"));
        prop_assert!(response["data"].is_null(), "{}", response);
    } else {
        // Complexity needs the schema: validation checks it.
        let over = response["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|error| error["extensions"]["code"] == "LIMIT_EXCEEDED");
        for error in over {
            prop_assert!(
                error["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("complexity"),
                "{}",
                response
            );
        }
    }
    Ok(())
}

#[test]
fn random_documents_stay_within_their_measured_work() {
    let fixture = fixture();
    let coverage = std::sync::Mutex::new(Coverage::default());
    let mut runner = TestRunner::new(config());
    let result = runner.run(
        &(vec(any::<u32>(), 0..300), any::<u8>()),
        |(choices, how)| {
            let mut builder = Builder {
                choices: choices.iter(),
                fragments: Vec::new(),
                spread: Vec::new(),
                max_depth: 0,
                deep: false,
                inside: None,
                uses_id: false,
                uses_filter: false,
                uses_flag: false,
                aliases: 0,
            };
            let query = builder.document();
            let variables = builder.variables(&fixture.admin_id);
            let expected = expected(fixture.limits, &query, &variables);
            let token = (how % 4 != 0).then_some(fixture.token.as_str());
            let one = json!({ "query": query, "variables": variables });
            let before = fixture.resolves.load(Ordering::SeqCst);
            let mut coverage = coverage.lock().unwrap();
            if how % 5 == 0 {
                // A batch: a refused document refuses it whole, before any of it runs.
                coverage.batches += 1;
                let plain = json!({ "query": "{ __typename me { id } }" });
                let (status, response) = fixture.post(&json!([plain, one]), token);
                let resolves = fixture.resolves.load(Ordering::SeqCst) - before;
                if expected.refused {
                    prop_assert_eq!(status, 400, "{}", response);
                    prop_assert_eq!(codes(&response), vec!["LIMIT_EXCEEDED".to_owned()]);
                    prop_assert_eq!(resolves, 0);
                } else {
                    prop_assert_eq!(status, 200, "{}", response);
                    let answers = response.as_array().unwrap();
                    prop_assert_eq!(answers.len(), 2);
                    check_answer(&answers[1], &expected)?;
                    // The plain operation resolves `me` and `id`.
                    prop_assert!(resolves <= 2 + expected.nodes, "{resolves} resolves");
                }
            } else {
                let (status, response) = fixture.post(&one, token);
                let resolves = fixture.resolves.load(Ordering::SeqCst) - before;
                prop_assert_eq!(status, 200, "{}", response);
                check_answer(&response, &expected)?;
                if expected.refused {
                    prop_assert_eq!(resolves, 0);
                } else {
                    prop_assert!(
                        resolves <= expected.nodes,
                        "{resolves} resolves for {} nodes",
                        expected.nodes
                    );
                }
            }
            if let Some(reason) = expected.reason {
                coverage.refused += 1;
                *coverage.reasons.entry(reason).or_default() += 1;
            } else if fixture.resolves.load(Ordering::SeqCst) > before {
                coverage.ran += 1;
            }
            Ok(())
        },
    );
    if let Err(error) = result {
        panic!("{error}");
    }
    let coverage = coverage.into_inner().unwrap();
    let cases = runner.config().cases;
    eprintln!("{coverage:?} of {cases} cases");
    assert!(
        coverage.refused * 10 >= cases,
        "too few refused: {coverage:?}"
    );
    assert!(
        coverage.ran * 10 >= cases,
        "too few ran resolvers: {coverage:?}"
    );
    assert!(
        coverage.batches * 10 >= cases,
        "too few batches: {coverage:?}"
    );
    for reason in REASONS {
        assert!(
            coverage.reasons.contains_key(reason),
            "no refusal for {reason:?}: {coverage:?}"
        );
    }
}
