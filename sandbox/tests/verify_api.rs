//! What verification asks of each platform's API, against its sandbox: the store's count of
//! each entity from the count endpoint, and records by target id in batches, answered in the
//! order asked with a gap for an id the store does not have, at the cost the platform charges.

use serde_json::json;
use std::collections::BTreeMap;
use storeshift_connectors::api::shopify::{ShopifySource, ShopifyVerifier};
use storeshift_connectors::api::woocommerce::{WooSource, WooVerifier};
use storeshift_connectors::model::{Entity, Platform, Record};
use storeshift_connectors::{BudgetUnit, EndpointKind, EndpointSpec, Source, Verifier};
use storeshift_sandbox::shopify::{ShopifyConfig, ShopifySandbox};
use storeshift_sandbox::woocommerce::{WooConfig, WooSandbox};
use storeshift_sandbox::Running;

fn spec(
    platform: Platform,
    server: &Running,
    creds: &[(&str, &str, &str)],
    options: serde_json::Value,
) -> EndpointSpec {
    for (_, var, value) in creds {
        std::env::set_var(var, value);
    }
    EndpointSpec {
        platform,
        kind: EndpointKind::Api,
        path: None,
        files: BTreeMap::new(),
        url: Some(server.url()),
        credentials: creds
            .iter()
            .map(|(k, var, _)| (k.to_string(), var.to_string()))
            .collect(),
        currency: None,
        encoding: None,
        timezone: None,
        mapping: None,
        options: options
            .as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect(),
    }
}

async fn read_all(src: &mut dyn Source, entity: Entity) -> Vec<Record> {
    let mut cursor = None;
    let mut out = vec![];
    loop {
        let page = src
            .read_page(entity, cursor.as_ref(), 100)
            .await
            .expect("page");
        out.extend(page.records);
        match page.next {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

async fn shopify(products: usize, customers: usize, orders: usize) -> (ShopifySandbox, Running) {
    let sb = ShopifySandbox::new(ShopifyConfig {
        bucket: 100_000.0,
        restore_rate: 100_000.0,
        ..Default::default()
    });
    sb.seed_products(products);
    sb.seed_customers(customers);
    sb.seed_orders(orders);
    sb.seed_collections(3);
    sb.seed_pages(2);
    let server = sb.start(0).await.expect("bind");
    (sb, server)
}

fn shopify_spec(server: &Running) -> EndpointSpec {
    spec(
        Platform::Shopify,
        server,
        &[(
            "token",
            "STORESHIFT_TEST_VERIFY_SHOPIFY_TOKEN",
            &ShopifyConfig::default().token,
        )],
        json!({ "retry_base_ms": 5, "retry_max_ms": 50, "bulk_threshold": 0 }),
    )
}

#[tokio::test]
async fn shopify_counts_come_from_the_count_fields_exactly_and_cost_a_point_each() {
    let (sb, server) = shopify(30, 12, 7).await;
    let mut v = ShopifyVerifier::open(&shopify_spec(&server)).expect("open");
    assert_eq!(v.unit(), BudgetUnit::Points);
    let before = sb.cost_stats();
    for (entity, n) in [
        (Entity::Products, sb.product_count()),
        (Entity::Customers, sb.customer_count()),
        (Entity::Orders, sb.order_count()),
        (Entity::Categories, sb.collection_count()),
        (Entity::Pages, sb.page_count()),
    ] {
        let c = v.count(entity).await.expect("count").expect("countable");
        assert_eq!(c.count, n as u64, "{entity}");
        assert!(c.exact, "{entity}");
        assert!(c.how.contains("Count(limit: null)"), "{}", c.how);
    }
    assert_eq!(v.count(Entity::BlogPosts).await.expect("count"), None);
    let after = sb.cost_stats();
    assert_eq!(after.requests - before.requests, 5);
    assert_eq!(after.points_spent - before.points_spent, 5.0);
    assert_eq!(v.spent(), 5, "the verifier measured what the store charged");
}

#[tokio::test]
async fn the_shopify_sandbox_caps_counts_at_the_limit_and_says_at_least() {
    let (_sb, server) = shopify(12, 0, 0).await;
    let ask = |q: &str| {
        let url = format!("{}/admin/api/2026-07/graphql.json", server.url());
        let body = json!({ "query": q });
        async move {
            reqwest::Client::new()
                .post(url)
                .header("X-Shopify-Access-Token", ShopifyConfig::default().token)
                .json(&body)
                .send()
                .await
                .expect("send")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let capped = ask("{ productsCount(limit: 5) { count precision } }").await;
    assert_eq!(
        capped["data"]["productsCount"],
        json!({ "count": 5, "precision": "AT_LEAST" }),
        "{capped}"
    );
    let default = ask("{ productsCount { count precision } }").await;
    assert_eq!(
        default["data"]["productsCount"],
        json!({ "count": 12, "precision": "EXACT" })
    );
    let ids: Vec<String> = (1..=251)
        .map(|i| format!("gid://shopify/Product/{i}"))
        .collect();
    let too_many = ask(&format!(
        "{{ nodes(ids: {}) {{ id }} }}",
        serde_json::to_string(&ids).expect("ids")
    ))
    .await;
    let msg = too_many["errors"][0]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("251") && msg.contains("250"),
        "refused as Shopify refuses: {too_many}"
    );
}

#[tokio::test]
async fn shopify_records_by_id_match_the_listing_in_order_with_gaps() {
    let (sb, server) = shopify(40, 9, 6).await;
    let spec = shopify_spec(&server);
    let mut src = ShopifySource::open(&spec).expect("source");
    let mut v = ShopifyVerifier::open(&spec).expect("open");
    for entity in [
        Entity::Products,
        Entity::Customers,
        Entity::Orders,
        Entity::Categories,
        Entity::Pages,
    ] {
        let listed = read_all(&mut src, entity).await;
        assert!(!listed.is_empty(), "{entity}");
        // Every other record, backwards, and one id the store does not have in the middle.
        let mut ids: Vec<String> = listed
            .iter()
            .rev()
            .step_by(2)
            .map(|r| r.source().id.clone())
            .collect();
        let missing_at = ids.len() / 2;
        let kind = ids[0]
            .rsplit_once('/')
            .map(|(k, _)| k.to_string())
            .expect("gid");
        ids.insert(missing_at, format!("{kind}/999999"));
        let before = sb.cost_stats();
        let got = v.fetch(entity, &ids).await.expect("fetch");
        assert_eq!(got.len(), ids.len(), "{entity}");
        for (i, (id, rec)) in ids.iter().zip(&got).enumerate() {
            if i == missing_at {
                assert!(rec.is_none(), "{entity}: {id} is not in the store");
                continue;
            }
            let want = listed
                .iter()
                .find(|r| &r.source().id == id)
                .expect("listed");
            assert_eq!(
                serde_json::to_value(rec.as_ref().expect("found")).expect("json"),
                serde_json::to_value(want).expect("json"),
                "{entity} {id}: by id as in the listing"
            );
        }
        let after = sb.cost_stats();
        let batches = ids.len().div_ceil(v.batch_limit(entity)) as u64;
        // The shop's currency is asked once, with the first batch.
        let requests = after.requests - before.requests;
        assert!(
            requests == batches || requests == batches + 1,
            "{entity}: {requests} requests for {batches} batches"
        );
        assert!(
            after.points_spent - before.points_spent <= v.fetch_cost(entity, ids.len()) as f64,
            "{entity}: charged no more than the estimate"
        );
    }
}

#[tokio::test]
async fn shopify_fetches_more_ids_than_one_query_takes_in_batches() {
    let (_sb, server) = shopify(300, 0, 0).await;
    let spec = shopify_spec(&server);
    let mut v = ShopifyVerifier::open(&spec).expect("open");
    let limit = v.batch_limit(Entity::Products);
    assert!((1..=250).contains(&limit), "{limit}");
    let mut src = ShopifySource::open(&spec).expect("source");
    let ids: Vec<String> = read_all(&mut src, Entity::Products)
        .await
        .iter()
        .map(|r| r.source().id.clone())
        .collect();
    assert_eq!(ids.len(), 300);
    let got = v.fetch(Entity::Products, &ids).await.expect("fetch");
    assert_eq!(got.len(), 300);
    assert!(got.iter().all(Option::is_some));
}

/// Asks `v` for every other record of `listed`, backwards, with an id the store does not have
/// in the middle, and checks each answer against the listing.
async fn by_id_as_listed(v: &mut dyn Verifier, entity: Entity, listed: &[Record], missing: &str) {
    let mut ids: Vec<String> = listed
        .iter()
        .rev()
        .step_by(2)
        .map(|r| r.source().id.clone())
        .collect();
    let missing_at = ids.len() / 2;
    ids.insert(missing_at, missing.to_string());
    let got = v.fetch(entity, &ids).await.expect("fetch");
    assert_eq!(got.len(), ids.len(), "{entity}");
    for (i, (id, rec)) in ids.iter().zip(&got).enumerate() {
        if i == missing_at {
            assert!(rec.is_none(), "{entity}: {id} is not in the store");
            continue;
        }
        let want = listed
            .iter()
            .find(|r| &r.source().id == id)
            .expect("listed");
        assert_eq!(
            serde_json::to_value(rec.as_ref().expect("found")).expect("json"),
            serde_json::to_value(want).expect("json"),
            "{entity} {id}: by id as in the listing"
        );
    }
}

fn woo_spec(server: &Running) -> EndpointSpec {
    let cfg = WooConfig::default();
    spec(
        Platform::WooCommerce,
        server,
        &[
            (
                "consumer_key",
                "STORESHIFT_TEST_VERIFY_WOO_KEY",
                &cfg.consumer_key,
            ),
            (
                "consumer_secret",
                "STORESHIFT_TEST_VERIFY_WOO_SECRET",
                &cfg.consumer_secret,
            ),
        ],
        json!({ "retry_base_ms": 5, "retry_max_ms": 50 }),
    )
}

#[tokio::test]
async fn woocommerce_counts_come_from_x_wp_total_one_request_each() {
    let sb = WooSandbox::new(WooConfig::default());
    sb.seed_products(130);
    sb.seed_customers(17);
    let server = sb.start(0).await.expect("bind");
    let mut v = WooVerifier::open(&woo_spec(&server)).expect("open");
    assert_eq!(v.unit(), BudgetUnit::Requests);
    let before = sb.faults.requests();
    let products = v
        .count(Entity::Products)
        .await
        .expect("count")
        .expect("countable");
    assert_eq!(products.count, 130);
    assert!(
        products.exact && products.how.contains("X-WP-Total"),
        "{products:?}"
    );
    let customers = v
        .count(Entity::Customers)
        .await
        .expect("count")
        .expect("countable");
    assert_eq!(customers.count, 17);
    let orders = v
        .count(Entity::Orders)
        .await
        .expect("count")
        .expect("countable");
    assert_eq!(orders.count, 0);
    assert_eq!(
        sb.faults.requests() - before,
        3,
        "one request a count, whatever the size"
    );
    assert_eq!(v.spent(), 3);
    // Pages need WordPress credentials: without them there is nothing to count them with.
    assert_eq!(v.count(Entity::Pages).await.expect("count"), None);
}

#[tokio::test]
async fn woocommerce_records_by_id_match_the_listing_with_include() {
    let sb = WooSandbox::new(WooConfig::default());
    sb.seed_products(24);
    sb.seed_customers(9);
    let server = sb.start(0).await.expect("bind");
    let spec = woo_spec(&server);
    let mut src = WooSource::open(&spec).expect("source");
    let mut v = WooVerifier::open(&spec).expect("open");
    for entity in [Entity::Products, Entity::Customers] {
        let listed = read_all(&mut src, entity).await;
        assert!(!listed.is_empty(), "{entity}");
        let before = sb.faults.requests();
        by_id_as_listed(&mut v, entity, &listed, "999999").await;
        let asked = listed.len().div_ceil(2) as u64;
        let requests = sb.faults.requests() - before;
        assert!(
            requests <= v.fetch_cost(entity, asked as usize) + 2,
            "{entity}: {requests} requests, estimated {}",
            v.fetch_cost(entity, asked as usize)
        );
    }
}
