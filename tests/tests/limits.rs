//! The document limits against the shapes that used to take the server
//! away (fragments that each spread the one before twice), nesting past
//! async-graphql's own guards, and the request timeout.

// A panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use usergraph::ApiSettings;
use usergraph_tests::{Gql, TestServer};

/// `{ <root> }` with `fragment F0 on <on> { <leaf> }` and
/// `fragment Fk on <on> { <fan(k-1)> }` for k up to `levels`.
fn fan_out(levels: usize, on: &str, leaf: &str, root: &str, fan: fn(usize) -> String) -> String {
    let mut query = format!(
        "{{ {} }}\nfragment F0 on {on} {{ {leaf} }}\n",
        root.replace("TOP", &format!("F{levels}"))
    );
    for level in 1..=levels {
        query.push_str(&format!(
            "fragment F{level} on {on} {{ {} }}\n",
            fan(level - 1)
        ));
    }
    query
}

fn twice(below: usize) -> String {
    format!("...F{below} ...F{below}")
}

/// The documents of the hardening issue, by name.
fn fan_outs() -> Vec<(&'static str, String)> {
    vec![
        (
            "25 levels over __typename",
            fan_out(25, "Query", "__typename", "...TOP", twice),
        ),
        (
            "25 levels over User fields",
            fan_out(25, "User", "id username name", "me { ...TOP }", twice),
        ),
        (
            "2^40 fan-out",
            fan_out(40, "Query", "__typename", "...TOP", twice),
        ),
        (
            "inline fragments",
            fan_out(25, "Query", "__typename", "...TOP", |below| {
                format!("... on Query {{ ...F{below} }} ... {{ ...F{below} }}")
            }),
        ),
        (
            "aliases",
            fan_out(25, "User", "a: id b: username", "me { ...TOP }", |below| {
                format!("x: id ...F{below} y: name ...F{below}")
            }),
        ),
    ]
}

fn assert_expansion_refused(response: &Gql, name: &str) {
    assert_eq!(response.status, 200, "{name}: {}", response.body);
    assert_eq!(
        response.code(),
        "LIMIT_EXCEEDED",
        "{name}: {}",
        response.body
    );
    let message = response.message();
    assert!(
        message.contains("nodes") && message.contains("limit of 10000"),
        "{name}: {message}"
    );
    assert_eq!(response.body["data"], Value::Null, "{name}");
}

#[tokio::test]
async fn fragment_fan_out_is_refused_before_any_work() {
    let server = TestServer::start().await;
    for (name, query) in fan_outs() {
        assert!(query.len() < 2000, "{name}: {} bytes", query.len());
        for (caller, token) in [
            ("anonymous", None),
            ("admin", Some(server.admin_token())),
            // Refused before the token is looked at: not a 401.
            ("a bogus token", Some("ugp_not-a-real-token")),
        ] {
            let tokens_before = server.storage.token_lookups();
            let started = Instant::now();
            let response = server.graphql_as(token, &query, json!({})).await;
            let elapsed = started.elapsed();
            eprintln!(
                "{name}, {caller}: refused in {:.1} ms ({} bytes)",
                elapsed.as_secs_f64() * 1000.0,
                query.len()
            );
            assert_expansion_refused(&response, name);
            assert_eq!(server.storage.token_lookups(), tokens_before, "{name}");
        }
    }
    // The same server still answers.
    let alive = server.data("{ me { id } }", json!({})).await;
    assert_eq!(alive["me"]["id"], server.admin_id());
}

/// The largest body the default settings take, all spreads of one
/// fragment: refused from its text (me, 200,000 spreads, id), before the
/// (slow) parser sees it.
#[tokio::test]
async fn a_body_full_of_spreads_is_refused() {
    let server = TestServer::start().await;
    let spreads = "...U ".repeat(200_000);
    let query = format!("{{ me {{ {spreads} }} }} fragment U on User {{ id }}");
    assert!(query.len() > 1_000_000 - 100 && query.len() < 1_048_000);
    let started = Instant::now();
    let response = server.graphql_as(None, &query, json!({})).await;
    eprintln!(
        "{} bytes of spreads: refused in {:.1} ms",
        query.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    assert_expansion_refused(&response, "spreads");
    assert!(
        response
            .message()
            .contains("expands to at least 200002 nodes"),
        "{}",
        response.message()
    );
}

#[tokio::test]
async fn a_fan_out_within_the_limit_runs() {
    let server = TestServer::start().await;
    // 3 × 2^10 - 2 = 3070 nodes in the operation, as many again in the
    // fragment definitions: within 10,000.
    let query = fan_out(10, "User", "id", "me { ...TOP }", twice);
    let data = server.data(&query, json!({})).await;
    assert_eq!(data["me"]["id"], server.admin_id());
    // Two levels more are over.
    let query = fan_out(12, "User", "id", "me { ...TOP }", twice);
    assert_expansion_refused(&server.graphql(&query, json!({})).await, "12 levels");
}

#[tokio::test]
async fn a_batch_with_a_document_over_a_limit_is_refused_whole() {
    let server = TestServer::start().await;
    let create =
        json!({ "query": "mutation { createUser(input: { username: \"batched\" }) { id } }" });
    let fan = json!({ "query": fan_out(25, "Query", "__typename", "...TOP", twice) });
    let response = server.post_json(&json!([create, fan])).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.code(), "LIMIT_EXCEEDED");
    assert!(
        response.message().starts_with("operation 2 of the batch:"),
        "{}",
        response.message()
    );
    // The operation before it did not run.
    let users = server
        .data("{ users(search: \"batched\") { totalCount } }", json!({}))
        .await;
    assert_eq!(users["users"]["totalCount"], 0);
}

#[tokio::test]
async fn fragment_cycles_are_refused() {
    let server = TestServer::start().await;
    let query = "{ ...A } fragment A on Query { me { id } ...B } fragment B on Query { ...A }";
    let response = server.graphql_as(None, query, json!({})).await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED", "{}", response.body);
    assert!(
        response.message().contains("spreads itself"),
        "{}",
        response.message()
    );
}

/// `levels` fields deep, valid for the schema:
/// `{ me { roles { users(first: 1) { nodes { roles { ... { id } } } } } } }`
/// (pages of one keep the complexity low).
fn fields_deep(levels: usize) -> String {
    let mut path = vec!["me"];
    let cycle = ["roles", "users(first: 1)", "nodes"];
    while path.len() < levels - 1 {
        path.push(cycle[(path.len() - 1) % 3]);
    }
    let leaf = match path.last() {
        Some(&"users(first: 1)") => "totalCount",
        _ => "id",
    };
    let open: String = path.iter().map(|field| format!("{field} {{ ")).collect();
    format!("{{ {open}{leaf}{} }}", " }".repeat(path.len()))
}

/// Between the depth limit (16) and the pre-parse nesting limit (64),
/// where async-graphql's recursion guard (32 by default) used to answer
/// first with a bare `BAD_REQUEST`.
#[tokio::test]
async fn queries_past_the_depth_limit_are_limit_exceeded_at_any_depth() {
    let server = TestServer::start().await;
    // At the limit, it runs.
    let data = server.data(&fields_deep(16), json!({})).await;
    // The admin holds the admin role, whose one member is the admin: the
    // chain ends in that role's member count.
    assert!(data.to_string().contains(r#"{"totalCount":1}"#), "{data}");
    for levels in [17, 34, 40, 64] {
        let response = server.graphql(&fields_deep(levels), json!({})).await;
        assert_eq!(
            response.code(),
            "LIMIT_EXCEEDED",
            "{levels}: {}",
            response.body
        );
        assert!(
            response
                .message()
                .contains(&format!("query depth {levels} exceeds the limit of 16")),
            "{levels}: {}",
            response.message()
        );
    }
}

/// Selection sets nested through fragments: each document line is
/// shallow, so the pre-parse scan cannot see it.
#[tokio::test]
async fn nesting_through_fragments_is_limit_exceeded() {
    let server = TestServer::start().await;
    let chain = |length: usize| {
        let mut query = String::from("{ ...F0 }\n");
        for k in 0..length {
            query.push_str(&format!("fragment F{k} on Query {{ ...F{} }}\n", k + 1));
        }
        query.push_str(&format!("fragment F{length} on Query {{ __typename }}\n"));
        query
    };
    // 40 levels: past the old recursion guard, within the limit of 64.
    let data = server.data(&chain(40), json!({})).await;
    assert_eq!(data["__typename"], "Query");
    let response = server.graphql(&chain(70), json!({})).await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED", "{}", response.body);
    assert!(
        response.message().contains("more than 64 levels"),
        "{}",
        response.message()
    );
}

#[tokio::test]
async fn deeply_nested_variables_are_limit_exceeded() {
    let server = TestServer::start().await;
    let query = "query($f: UserFilter) { users(filter: $f) { totalCount } }";
    // Written out: a serde_json value this deep would overflow the test's
    // own stack when serialized or dropped.
    let levels = 10_000;
    let filter = format!(
        "{}{{\"isSuspended\": true}}{}",
        "{\"not\": ".repeat(levels),
        "}".repeat(levels)
    );
    let body = format!("{{\"query\": \"{query}\", \"variables\": {{\"f\": {filter}}}}}");
    for body in [body.clone(), format!("[{body}]")] {
        let (status, answer) = post_raw(&server, body).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("limit of 64"), "{message}");
    }

    // 40 levels: decoded, then refused by the input nesting limit.
    let mut filter = json!({ "isSuspended": true });
    for _ in 0..40 {
        filter = json!({ "not": filter });
    }
    let response = server.graphql(query, json!({ "f": filter })).await;
    assert_eq!(response.code(), "LIMIT_EXCEEDED", "{}", response.body);
    assert!(
        response.message().contains("limit of 32"),
        "{}",
        response.message()
    );
}

#[tokio::test]
async fn requests_past_the_timeout_are_stopped() {
    let settings = ApiSettings {
        request_timeout: Duration::from_millis(300),
        ..ApiSettings::default()
    };
    let server = TestServer::with_settings(settings).await;
    server.storage.delay_user_searches(Duration::from_secs(60));
    let started = Instant::now();
    let response = server.graphql("{ users { totalCount } }", json!({})).await;
    let elapsed = started.elapsed();
    eprintln!("stopped after {:.0} ms", elapsed.as_secs_f64() * 1000.0);
    assert_eq!(response.status, 503, "{}", response.body);
    assert_eq!(response.code(), "TIMEOUT");
    assert!(
        response.message().contains("0.3 s"),
        "{}",
        response.message()
    );

    server.storage.delay_user_searches(Duration::ZERO);
    let data = server.data("{ users { totalCount } }", json!({})).await;
    assert_eq!(data["users"]["totalCount"], 1);
}

/// Posts `body` as is, as the admin; the status and the JSON answer.
async fn post_raw(server: &TestServer, body: String) -> (u16, Value) {
    let response = server
        .client()
        .post(server.url())
        .header("content-type", "application/json")
        .bearer_auth(server.admin_token())
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}
