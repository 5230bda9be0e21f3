//! The property behind search: on random data, for random filters, orders
//! and page walks, `Storage::search_users` returns exactly what the
//! reference evaluator (`usergraph_core::eval::search_users`) returns, page
//! by page (ids in order, totals, records) and over the whole walk.
//!
//! Each proptest case writes a dataset of 20 to 60 users (unicode names,
//! nulls, shared prefixes, case variants, tied timestamps, identities, roles,
//! nested custom data) to the store in one commit, checks
//! [`QUERIES_PER_CASE`] random queries against it, and deletes it again.
//!
//! The run is reproducible: it uses a fixed seed and [`DEFAULT_CASES`]
//! cases, small enough for CI on every backend. Proptest's own environment
//! variables change that:
//!
//! ```text
//! PROPTEST_CASES=500 cargo nextest run -p usergraph-redb properties   # more cases
//! PROPTEST_RNG_SEED=42 cargo nextest run -p usergraph-redb properties # other data
//! ```
//!
//! A failure names the query and the page that disagree (expected and
//! actual ids or totals, and every user on which they differ, in full) and
//! prints the dataset it failed on, with the seed to rerun it. Proptest
//! shrinks the failing query; the dataset shrinks little, since the queries
//! are drawn from its values (`PROPTEST_MAX_SHRINK_TIME`, in ms, bounds the
//! attempt; 60 s by default).

mod dataset;
mod filters;
mod patterns;
mod walk;

use std::env;
use std::fmt;
use std::sync::Mutex;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use usergraph_core::{PasswordDigest, RoleId, Storage};

use crate::Fixture;
use crate::support::role_record;
use dataset::{Dataset, ROLE_IDS};
use walk::{Query, Walked};

/// Cases per run unless `PROPTEST_CASES` says otherwise.
pub const DEFAULT_CASES: u32 = 64;
/// Queries checked against each dataset.
pub const QUERIES_PER_CASE: usize = 12;
/// The seed unless `PROPTEST_RNG_SEED` says otherwise.
pub const DEFAULT_SEED: u64 = 20_240_501;
/// Shrinking rewrites the dataset for every attempt; bound it (in ms)
/// unless `PROPTEST_MAX_SHRINK_TIME` says otherwise.
const DEFAULT_SHRINK_MILLIS: u32 = 60_000;

#[derive(Clone)]
struct Scenario {
    data: Dataset,
    queries: Vec<Query>,
}

/// Only the dataset: a failure's reason already names the query that failed.
impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.data)
    }
}

fn scenario(digest: PasswordDigest) -> impl Strategy<Value = Scenario> {
    dataset::dataset(digest)
        .prop_flat_map(|data| {
            let pools = filters::Pools::of(&data);
            let queries = proptest::collection::vec(walk::query(&pools), QUERIES_PER_CASE);
            (Just(data), queries)
        })
        .prop_map(|(data, queries)| Scenario { data, queries })
}

fn config() -> Config {
    let mut config = Config::default();
    let unset = |var: &str| env::var_os(var).is_none();
    if unset("PROPTEST_CASES") {
        config.cases = DEFAULT_CASES;
    }
    if unset("PROPTEST_RNG_SEED") {
        config.rng_seed = RngSeed::Fixed(DEFAULT_SEED);
    }
    if unset("PROPTEST_MAX_SHRINK_TIME") {
        config.max_shrink_time = DEFAULT_SHRINK_MILLIS;
    }
    // A failure is reported with its seed; files in the source tree would
    // only be rerun by this same runner anyway.
    config.failure_persistence = None;
    config
}

/// What the passing queries selected: a property that only ever compares
/// empty lists, or whole ones, proves little.
#[derive(Debug, Default)]
struct Coverage {
    queries: usize,
    /// Matched some users but not all.
    partial: usize,
    /// Matched nobody.
    empty: usize,
    /// Took more than one page.
    paged: usize,
}

impl Coverage {
    fn record(&mut self, data: &Dataset, walked: Walked) {
        self.queries += 1;
        if walked.matched > 0 && walked.matched < data.users.len() {
            self.partial += 1;
        }
        if walked.matched == 0 {
            self.empty += 1;
        }
        if walked.pages > 1 {
            self.paged += 1;
        }
    }

    /// The generators aim at filters that split the dataset and at walks
    /// of several pages; a change that makes most of them trivial should
    /// fail here rather than pass quietly.
    fn assert_discriminating(&self) {
        assert!(
            self.partial * 100 >= self.queries * 35,
            "too few queries matched some but not all users: {self:?}"
        );
        assert!(
            self.paged * 100 >= self.queries * 40,
            "too few walks took more than one page: {self:?}"
        );
    }
}

/// What the cases of one run share.
struct Run<'a> {
    storage: &'a dyn Storage,
    coverage: Mutex<Coverage>,
    /// The query that failed last. While proptest shrinks a failure it is
    /// the one most likely to fail again, so it is checked first: each
    /// shrinking step then costs one query, not all of them.
    last_failed: Mutex<Option<usize>>,
}

impl Run<'_> {
    /// Writes the dataset, checks every query until one disagrees, and
    /// removes the dataset again whatever happened, so that the next case
    /// starts empty.
    async fn case(&self, scenario: &Scenario) -> Result<(), String> {
        let data = &scenario.data;
        self.storage
            .commit(data.insert_ops())
            .await
            .map_err(|e| format!("writing the dataset failed: {e:?}"))?;
        let first = self
            .last_failed
            .lock()
            .unwrap()
            .filter(|i| *i < scenario.queries.len());
        let order = first
            .into_iter()
            .chain((0..scenario.queries.len()).filter(|i| Some(*i) != first));
        let mut outcome = Ok(());
        for i in order {
            let query = &scenario.queries[i];
            match walk::check(self.storage, data, query).await {
                Ok(walked) => self.coverage.lock().unwrap().record(data, walked),
                Err(message) => {
                    *self.last_failed.lock().unwrap() = Some(i);
                    outcome = Err(format!(
                        "query {i} disagrees: {message}\n  query {i}: {query:?}"
                    ));
                    break;
                }
            }
        }
        let removed = self
            .storage
            .commit(data.delete_ops())
            .await
            .map_err(|e| format!("removing the dataset failed: {e:?}"));
        outcome.and(removed)
    }
}

pub async fn storage_agrees_with_evaluator(fx: Fixture) {
    let storage = fx.storage().clone();
    let roles = ROLE_IDS.iter().map(|id| {
        let mut role = role_record(id.trim_start_matches("role-"), false);
        role.id = RoleId::parse(id).unwrap();
        usergraph_core::WriteOp::InsertRole(Box::new(role))
    });
    storage.commit(roles.collect()).await.unwrap();

    let config = config();
    let seed = config.rng_seed;
    let strategy = scenario(dataset::password_digest());
    let run = Run {
        storage: storage.as_ref(),
        coverage: Mutex::new(Coverage::default()),
        last_failed: Mutex::new(None),
    };
    let handle = tokio::runtime::Handle::current();
    // Proptest drives plain closures; the suite runs on a multi-threaded
    // runtime, where this thread may block on each case's future.
    let result = tokio::task::block_in_place(|| {
        TestRunner::new(config).run(&strategy, |scenario| {
            handle
                .block_on(run.case(&scenario))
                .map_err(TestCaseError::fail)
        })
    });
    match result {
        Ok(()) => run.coverage.into_inner().unwrap().assert_discriminating(),
        Err(TestError::Fail(reason, scenario)) => panic!(
            "storage disagrees with the reference evaluator (seed {seed:?}): {reason}\n\
             on the smallest failing dataset:\n{scenario:?}"
        ),
        Err(TestError::Abort(reason)) => panic!("property aborted (seed {seed:?}): {reason}"),
    }
}
