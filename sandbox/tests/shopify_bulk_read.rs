//! Reading a Shopify store at scale through the connector and the sandbox: every entity above
//! the threshold through one bulk query (orders with their line items too), the same records
//! as paging gives; a run that stops before its cursor is saved takes the running query up; an
//! expired result runs the query again and reads on without repeating a record; pages and
//! nested pages sized by cost, an order of 600 line items arriving whole; the bulk query
//! limits Shopify documents.

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use storeshift_connectors::api::shopify::ShopifySource;
use storeshift_connectors::model::*;
use storeshift_connectors::{Cursor, EndpointSpec, Source};
use storeshift_sandbox::shopify::{ShopifyConfig, ShopifySandbox};
use storeshift_sandbox::Running;

mod support;
use support::api_spec;

fn spec(server: &Running, extra: Value) -> EndpointSpec {
    let token = ShopifyConfig::default().token;
    let mut options = json!({ "timeout_ms": 3000, "retry_base_ms": 5, "retry_max_ms": 50, "bulk_poll_ms": 20, "bulk_threshold": 100 });
    if let (Some(o), Some(extra)) = (options.as_object_mut(), extra.as_object()) {
        o.extend(extra.clone());
    }
    api_spec(
        Platform::Shopify,
        server.url(),
        &[("token", &token)],
        options,
    )
}

fn sandbox(objects_per_second: f64) -> ShopifySandbox {
    ShopifySandbox::new(ShopifyConfig {
        bucket: 1_000_000.0,
        restore_rate: 1_000_000.0,
        bulk_objects_per_second: objects_per_second,
        ..Default::default()
    })
}

/// Reads `entity` to its end from `cursor`; returns the records and how many pages it took.
async fn read_all(
    src: &mut ShopifySource,
    entity: Entity,
    mut cursor: Option<Cursor>,
    limit: usize,
) -> (Vec<Record>, usize) {
    let mut out = vec![];
    let mut pages = 0;
    loop {
        let page = src
            .read_page(entity, cursor.as_ref(), limit)
            .await
            .unwrap_or_else(|e| panic!("{entity}: {e}"));
        pages += 1;
        out.extend(page.records);
        match page.next {
            Some(n) => cursor = Some(n),
            None => return (out, pages),
        }
    }
}

async fn until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn queries(sb: &ShopifySandbox) -> usize {
    sb.bulk_operations()
        .iter()
        .filter(|(t, _)| t == "QUERY")
        .count()
}

#[tokio::test]
async fn every_entity_above_the_threshold_reads_through_one_bulk_query_as_paging_would() {
    let sb = sandbox(0.0);
    sb.seed_customers(20);
    sb.seed_products(120);
    sb.seed_orders(260);
    sb.seed_collections(130);
    sb.seed_pages(110);
    sb.seed_redirects(140);
    let server = sb.start(0).await.expect("bind");
    let mut bulk = ShopifySource::open(&spec(&server, json!({}))).expect("open");
    let mut paged =
        ShopifySource::open(&spec(&server, json!({ "bulk_threshold": 0 }))).expect("open");
    let mut ran = 0;
    for (entity, n) in [
        (Entity::Orders, 260),
        (Entity::Products, 120),
        (Entity::Categories, 130),
        (Entity::Pages, 110),
        (Entity::Redirects, 140),
    ] {
        let (got, _) = read_all(&mut bulk, entity, None, 50).await;
        ran += 1;
        assert_eq!(queries(&sb), ran, "{entity}: one bulk query each");
        let (want, _) = read_all(&mut paged, entity, None, 250).await;
        assert_eq!(got.len(), n, "{entity}");
        assert_eq!(
            got, want,
            "{entity}: bulk and paged reads give the same records"
        );
    }
    let (customers, _) = read_all(&mut bulk, Entity::Customers, None, 50).await;
    assert_eq!(customers.len(), 20);
    assert_eq!(
        queries(&sb),
        ran,
        "20 customers are below the threshold: paged"
    );
    let (orders, _) = read_all(&mut paged, Entity::Orders, None, 250).await;
    let Record::Order(o) = &orders[0] else {
        panic!("not an order")
    };
    assert_eq!(o.line_items.len(), 2, "line items come with their order");
    assert_eq!(o.shipping_lines.len(), 1);
}

#[tokio::test]
async fn a_reader_stopped_before_saving_its_cursor_takes_the_running_query_up() {
    // 450 products with their variants and images: about 1,400 objects, 4 s at this pace.
    let sb = sandbox(350.0);
    sb.seed_products(450);
    let server = sb.start(0).await.expect("bind");
    let s = spec(&server, json!({}));
    let mut killed = ShopifySource::open(&s).expect("open");
    let lost = killed
        .read_page(Entity::Products, None, 100)
        .await
        .expect("start");
    assert!(lost.records.is_empty() && lost.next.is_some());
    assert_eq!(
        sb.bulk_operations(),
        vec![("QUERY".to_string(), "RUNNING".to_string())]
    );
    drop(killed);
    // Its cursor never reached the checkpoint: the next run starts from nothing.
    let mut resumed = ShopifySource::open(&s).expect("open");
    let (all, _) = read_all(&mut resumed, Entity::Products, None, 100).await;
    assert_eq!(all.len(), 450);
    assert_eq!(
        sb.bulk_operations(),
        vec![("QUERY".to_string(), "COMPLETED".to_string())],
        "the running query was taken up, not started again"
    );
}

#[tokio::test]
async fn an_expired_result_runs_the_query_again_and_reads_on_after_the_last_record() {
    let sb = sandbox(0.0);
    sb.seed_customers(5);
    sb.seed_orders(300);
    let server = sb.start(0).await.expect("bind");
    let s = spec(&server, json!({}));
    let mut src = ShopifySource::open(&s).expect("open");
    let start = src
        .read_page(Entity::Orders, None, 70)
        .await
        .expect("start")
        .next;
    let p1 = src
        .read_page(Entity::Orders, start.as_ref(), 70)
        .await
        .expect("page 1");
    let p2 = src
        .read_page(Entity::Orders, p1.next.as_ref(), 70)
        .await
        .expect("page 2");
    // A week later (or a run paused that long): the file is gone.
    sb.expire_bulk_results();
    assert_eq!(
        sb.bulk_operations(),
        vec![("QUERY".to_string(), "EXPIRED".to_string())]
    );
    let mut later = ShopifySource::open(&s).expect("open");
    let (rest, _) = read_all(&mut later, Entity::Orders, p2.next.clone(), 70).await;
    assert_eq!(queries(&sb), 2, "the query ran once more");
    let mut paged =
        ShopifySource::open(&spec(&server, json!({ "bulk_threshold": 0 }))).expect("open");
    let (want, _) = read_all(&mut paged, Entity::Orders, None, 250).await;
    let got: Vec<Record> = p1
        .records
        .into_iter()
        .chain(p2.records)
        .chain(rest)
        .collect();
    assert_eq!(got.len(), 300, "nothing read twice, nothing missed");
    assert_eq!(got, want);
}

#[tokio::test]
async fn a_failed_bulk_query_runs_again_and_one_that_keeps_failing_is_reported() {
    let sb = sandbox(0.0);
    sb.seed_pages(150);
    let server = sb.start(0).await.expect("bind");
    let s = spec(&server, json!({}));
    sb.fail_next_bulk_queries(1);
    let (pages, _) = read_all(
        &mut ShopifySource::open(&s).expect("open"),
        Entity::Pages,
        None,
        40,
    )
    .await;
    assert_eq!(pages.len(), 150);
    assert_eq!(
        sb.bulk_operations(),
        vec![
            ("QUERY".to_string(), "FAILED".to_string()),
            ("QUERY".to_string(), "COMPLETED".to_string())
        ]
    );
    sb.fail_next_bulk_queries(10);
    let mut src = ShopifySource::open(&s).expect("open");
    let mut cursor = None;
    let err = loop {
        match src.read_page(Entity::Pages, cursor.as_ref(), 40).await {
            Ok(p) => cursor = Some(p.next.expect("no page before the failure")),
            Err(e) => break e.to_string(),
        }
    };
    assert!(
        err.contains("FAILED")
            && err.contains("INTERNAL_SERVER_ERROR")
            && err.contains("resume the run later"),
        "{err}"
    );
    assert_eq!(
        queries(&sb),
        2 + 4,
        "the first try and three more, then it stops"
    );
}

#[tokio::test]
async fn an_order_of_600_line_items_arrives_whole_and_no_query_costs_over_1000() {
    let sb = sandbox(0.0);
    sb.seed_customers(3);
    sb.seed_orders(40);
    let big = sb.seed_order_with_lines(600);
    sb.seed_orders(40);
    let server = sb.start(0).await.expect("bind");
    let mut paged =
        ShopifySource::open(&spec(&server, json!({ "bulk_threshold": 0 }))).expect("open");
    let (orders, pages) = read_all(&mut paged, Entity::Orders, None, 250).await;
    assert_eq!(orders.len(), 81);
    let lines = |orders: &[Record]| -> usize {
        orders
            .iter()
            .find_map(|r| match r {
                Record::Order(o) if o.number == big.trim_start_matches('#') => {
                    Some(o.line_items.len())
                }
                _ => None,
            })
            .expect("the big order")
    };
    assert_eq!(lines(&orders), 600, "followed, never truncated");
    let stats = sb.cost_stats();
    assert!(
        stats.max_requested <= 1000.0,
        "a query asked for {} points",
        stats.max_requested
    );
    // Once orders have been seen (the first page sizes its line items before any was), each
    // page asks for as much as one query may cost: one order more would not fit (an order
    // with its two line items and a shipping line costs under 100 points).
    let costs = sb.requested_costs("orders");
    assert_eq!(costs.len(), pages);
    for c in &costs[1..costs.len() - 1] {
        assert!(
            *c > 900.0 && *c <= 1000.0,
            "a page asked for {c} points: {costs:?}"
        );
    }
    let follow = sb.requested_costs("order");
    assert!(
        follow.len() >= 3 && follow.iter().all(|c| *c <= 1000.0),
        "600 line items take at least three follow-up pages of at most 250: {follow:?}"
    );
    let mut bulk = ShopifySource::open(&spec(&server, json!({}))).expect("open");
    let (orders, _) = read_all(&mut bulk, Entity::Orders, None, 250).await;
    assert_eq!(lines(&orders), 600, "the bulk file has every line");
}

/// A raw Admin API call at the default version.
async fn graphql(server: &Running, query: &str, variables: Value) -> Value {
    reqwest::Client::new()
        .post(format!(
            "{}/admin/api/{}/graphql.json",
            server.url(),
            storeshift_connectors::platform::shopify::API_VERSION
        ))
        .header("X-Shopify-Access-Token", ShopifyConfig::default().token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json")
}

async fn run_bulk_query(server: &Running, q: &str) -> Value {
    graphql(
        server,
        "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { code message } } }",
        json!({ "q": q }),
    )
    .await["data"]["bulkOperationRunQuery"]
        .clone()
}

#[tokio::test]
async fn bulk_queries_are_held_to_shopifys_limits() {
    let sb = sandbox(20.0);
    sb.seed_products(30);
    let server = sb.start(0).await.expect("bind");
    let refused = |r: &Value| -> String {
        assert!(r["bulkOperation"].is_null(), "{r}");
        r["userErrors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let six = "{ products { edges { node { id variants { edges { node { id } } } media { edges { node { id } } } collections { edges { node { id } } } metafields { edges { node { id } } } sellingPlanGroups { edges { node { id } } } } } } }";
    assert!(refused(&run_bulk_query(&server, six).await).contains("more than 5 connections"));
    let deep = "{ products { edges { node { id collections { edges { node { id products { edges { node { id } } } } } } } } } }";
    assert!(refused(&run_bulk_query(&server, deep).await).contains("nesting depth"));
    let no_id = "{ products { edges { node { title variants { edges { node { id } } } } } } }";
    assert!(refused(&run_bulk_query(&server, no_id).await).contains("must select the 'id' field"));
    // From 2026-01 five bulk queries run at once; a sixth waits its turn.
    let ok = "{ products { edges { node { id title } } } }";
    for i in 0..5 {
        let r = run_bulk_query(&server, ok).await;
        assert!(
            r["userErrors"].as_array().is_some_and(Vec::is_empty),
            "{i}: {r}"
        );
    }
    let sixth = run_bulk_query(&server, ok).await;
    assert_eq!(sixth["userErrors"][0]["code"], "LIMIT_REACHED", "{sixth}");
    until("the five to finish", || {
        sb.bulk_operations().iter().all(|(_, s)| s == "COMPLETED")
    })
    .await;
    let r = run_bulk_query(&server, ok).await;
    assert!(r["userErrors"].as_array().is_some_and(Vec::is_empty), "{r}");
}
