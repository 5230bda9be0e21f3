//! The timed searches of the search scenario: what each asks, the values
//! each iteration uses (drawn from the data set, the same every run), and
//! the rows they produce.

use std::cell::RefCell;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use usergraph_core::filter::{RoleMembership, StringField, StringOp, UserFilter};
use usergraph_core::page::PageArgs;
use usergraph_core::query::{Direction, UserOrder, UserOrderField};
use usergraph_core::service::UserQuery;
use usergraph_core::{Caller, RoleId, Service};

use crate::BoxError;
use crate::measure::{self, Budget, Summary};
use crate::people::People;
use crate::search::PAGE_SIZE;

pub const USERNAME: UserOrder = UserOrder {
    field: UserOrderField::Username,
    direction: Direction::Asc,
};

/// One operation, timed without and with `totalCount`.
#[derive(Debug)]
pub struct Row {
    pub operation: &'static str,
    /// Median of the counted variant's totals.
    pub matches: u64,
    pub plain: (Summary, usize),
    pub counted: (Summary, usize),
}

/// Per-iteration values, cycled through by the iteration number.
#[derive(Debug)]
pub struct Targets {
    emails: Vec<String>,
    name3: Vec<String>,
    name5: Vec<String>,
    username_prefixes: Vec<String>,
}

impl Targets {
    /// Values taken from random seeded people, so that each term's
    /// selectivity is what the data set gives it.
    pub fn draw(people: &People, users: u64, seed: u64, count: usize) -> Result<Targets, BoxError> {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5EA2_C4ED);
        let mut targets = Targets {
            emails: Vec::new(),
            name3: Vec::new(),
            name5: Vec::new(),
            username_prefixes: Vec::new(),
        };
        let count = count + measure::WARMUP;
        // People lack some fields; a few thousand draws always suffice.
        for _ in 0..count.saturating_mul(50) {
            let person = people.person(rng.gen_range(0..users), true);
            if let (Some(email), true) = (person.email_key, targets.emails.len() < count) {
                targets.emails.push(email);
            }
            if let Some(name) = &person.input.name {
                push_piece(&mut targets.name3, count, name, 3, &mut rng);
                push_piece(&mut targets.name5, count, name, 5, &mut rng);
            }
            if let Some(username) = &person.input.username
                && targets.username_prefixes.len() < count
            {
                targets
                    .username_prefixes
                    .push(username.chars().take(5).collect());
            }
            if targets.is_full(count) {
                return Ok(targets);
            }
        }
        Err("the data set has too few names and emails to draw search terms from".into())
    }

    fn is_full(&self, count: usize) -> bool {
        [
            &self.emails,
            &self.name3,
            &self.name5,
            &self.username_prefixes,
        ]
        .iter()
        .all(|list| list.len() >= count)
    }
}

/// A `len`-letter piece of one word of `name`, at a random place, when the
/// word is long enough.
fn push_piece(list: &mut Vec<String>, count: usize, name: &str, len: usize, rng: &mut StdRng) {
    if list.len() >= count {
        return;
    }
    let words: Vec<Vec<char>> = name
        .split(|c: char| !c.is_alphabetic())
        .map(|w| w.chars().collect::<Vec<char>>())
        .filter(|w| w.len() >= len)
        .collect();
    if words.is_empty() {
        return;
    }
    let word = &words[rng.gen_range(0..words.len())];
    let start = rng.gen_range(0..=word.len() - len);
    list.push(word[start..start + len].iter().collect());
}

fn string(field: StringField, op: StringOp) -> UserFilter {
    UserFilter::String {
        field,
        op,
        case_sensitive: false,
    }
}

fn pick(list: &[String], i: usize) -> &str {
    list.get(i % list.len().max(1)).map_or("", String::as_str)
}

/// What a row asks for on iteration `i`, and the least it must find (a
/// search that silently matched nothing would time the wrong thing).
/// A row: its name and what it asks on each iteration.
type RowAsk<'a> = (&'static str, Box<dyn Fn(usize) -> Ask + 'a>);

struct Ask {
    filter: Option<UserFilter>,
    order: UserOrder,
    after: Option<String>,
    at_least: usize,
}

/// Times every row.
pub async fn time_all(
    service: &Service,
    targets: &Targets,
    [editor, support]: &[RoleId; 2],
    [deep_default, deep_username]: [&String; 2],
    budget: Budget,
) -> Result<Vec<Row>, BoxError> {
    let filtered = |filter| Ask {
        filter: Some(filter),
        order: UserOrder::DEFAULT,
        after: None,
        at_least: 1,
    };
    let paged = |order, after: Option<&String>| Ask {
        filter: None,
        order,
        after: after.cloned(),
        at_least: PAGE_SIZE,
    };
    let rows: [RowAsk<'_>; 10] = [
        (
            "eq on primaryEmail",
            Box::new(|i| {
                filtered(string(
                    StringField::PrimaryEmail,
                    StringOp::Eq(pick(&targets.emails, i).to_owned()),
                ))
            }),
        ),
        (
            "contains on name, 3 letters",
            Box::new(|i| {
                filtered(string(
                    StringField::Name,
                    StringOp::Contains(pick(&targets.name3, i).to_owned()),
                ))
            }),
        ),
        (
            "contains on name, 5 letters",
            Box::new(|i| {
                filtered(string(
                    StringField::Name,
                    StringOp::Contains(pick(&targets.name5, i).to_owned()),
                ))
            }),
        ),
        (
            "startsWith on username, 5 letters",
            Box::new(|i| {
                filtered(string(
                    StringField::Username,
                    StringOp::StartsWith(pick(&targets.username_prefixes, i).to_owned()),
                ))
            }),
        ),
        (
            "roles.any (Editor 10% / Support 4%)",
            Box::new(|i| {
                let role = if i % 2 == 0 { editor } else { support };
                filtered(UserFilter::Roles(RoleMembership {
                    any: Some(vec![role.clone()]),
                    ..RoleMembership::default()
                }))
            }),
        ),
        (
            "and/or/not combination",
            Box::new(|i| Ask {
                at_least: 0,
                ..filtered(combination(targets, editor, i))
            }),
        ),
        (
            "page 1, default order",
            Box::new(|_| paged(UserOrder::DEFAULT, None)),
        ),
        (
            "deep page by cursor, default order",
            Box::new(|_| paged(UserOrder::DEFAULT, Some(deep_default))),
        ),
        (
            "page 1, USERNAME order",
            Box::new(|_| paged(USERNAME, None)),
        ),
        (
            "deep page by cursor, USERNAME order",
            Box::new(|_| paged(USERNAME, Some(deep_username))),
        ),
    ];
    let mut timed = Vec::new();
    for (operation, ask) in &rows {
        eprintln!("  {operation}");
        let plain = time_row(service, ask.as_ref(), false, budget, &RefCell::default()).await?;
        let totals = RefCell::new(Vec::new());
        let counted = time_row(service, ask.as_ref(), true, budget, &totals).await?;
        let mut totals = totals.into_inner();
        totals.sort_unstable();
        timed.push(Row {
            operation,
            matches: totals.get(totals.len() / 2).copied().unwrap_or(0),
            plain,
            counted,
        });
    }
    Ok(timed)
}

/// `(name contains T or primaryEmail endsWith ".org") and not roles.any
/// [Editor] and not isSuspended`.
fn combination(targets: &Targets, editor: &RoleId, i: usize) -> UserFilter {
    UserFilter::And(vec![
        UserFilter::Or(vec![
            string(
                StringField::Name,
                StringOp::Contains(pick(&targets.name3, i).to_owned()),
            ),
            string(StringField::PrimaryEmail, StringOp::EndsWith(".org".into())),
        ]),
        UserFilter::Not(Box::new(UserFilter::Roles(RoleMembership {
            any: Some(vec![editor.clone()]),
            ..RoleMembership::default()
        }))),
        UserFilter::Not(Box::new(UserFilter::IsSuspended(true))),
    ])
}

async fn time_row(
    service: &Service,
    ask: &dyn Fn(usize) -> Ask,
    count_total: bool,
    budget: Budget,
    totals: &RefCell<Vec<u64>>,
) -> Result<(Summary, usize), BoxError> {
    let caller = Caller::system();
    let caller = &caller;
    measure::time_within(budget, |i| {
        let Ask {
            filter,
            order,
            after,
            at_least,
        } = ask(i);
        let query = UserQuery {
            search: None,
            filter,
            order: vec![order],
            page: PageArgs {
                first: Some(PAGE_SIZE as i64),
                after,
                ..PageArgs::default()
            },
            count_total,
        };
        async move {
            let page = service.search_users(caller, query).await?;
            if page.edges.len() < at_least {
                return Err(format!(
                    "expected at least {at_least} users, found {}",
                    page.edges.len()
                )
                .into());
            }
            if let Some(total) = page.total() {
                totals.borrow_mut().push(total);
            }
            Ok(())
        }
    })
    .await
}

/// The markdown report of one run.
pub fn print(run: &crate::search::SearchRun) {
    use crate::search::Walk;
    let seeded = if run.reused {
        "kept store, seeded earlier in"
    } else {
        "seeded in"
    };
    println!(
        "## Search: {} users on {} ({seeded} {:.1} s, {:.0} users/s)\n",
        run.users,
        run.backend,
        run.seed_time.as_secs_f64(),
        run.users as f64 / run.seed_time.as_secs_f64().max(f64::EPSILON)
    );
    for (order, walk) in &run.walks {
        match walk {
            Walk::Walked(time) => println!(
                "- deep page {} in {order}: walked there by cursor in {:.1} s",
                run.deep_page,
                time.as_secs_f64()
            ),
            Walk::Derived { pages } => println!(
                "- deep page {} in {order}: walk stopped at its time budget after {pages} pages; \
                 cursor made from the sorted listing",
                run.deep_page
            ),
        }
    }
    println!(
        "\n| operation (first {PAGE_SIZE}) | matches | p50 | p95 | p50 with totalCount | \
         p95 with totalCount | samples |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for row in &run.rows {
        let (plain, plain_n) = row.plain;
        let (counted, counted_n) = row.counted;
        println!(
            "| {} | {} | {} | {} | {} | {} | {plain_n} / {counted_n} |",
            row.operation,
            row.matches,
            measure::millis(plain.p50),
            measure::millis(plain.p95),
            measure::millis(counted.p50),
            measure::millis(counted.p95),
        );
    }
    println!();
}
