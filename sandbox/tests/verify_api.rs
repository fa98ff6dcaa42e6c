//! What verification asks of each platform's API, against its sandbox: the store's count of
//! each entity from the count endpoint, and records by target id in batches, answered in the
//! order asked with a gap for an id the store does not have, at the cost the platform charges.

use serde_json::json;
use std::collections::BTreeMap;
use storeshift_connectors::api::bigcommerce::{BigCommerceSource, BigCommerceVerifier};
use storeshift_connectors::api::ideasoft::{IdeasoftSource, IdeasoftVerifier};
use storeshift_connectors::api::ikas::{IkasSource, IkasVerifier};
use storeshift_connectors::api::magento::{MagentoSource, MagentoVerifier};
use storeshift_connectors::api::shopify::{ShopifySource, ShopifyVerifier};
use storeshift_connectors::api::woocommerce::{WooSource, WooVerifier};
use storeshift_connectors::model::{Entity, Platform, Record};
use storeshift_connectors::{BudgetUnit, EndpointKind, EndpointSpec, Source, Verifier};
use storeshift_sandbox::bigcommerce::{BigCommerceConfig, BigCommerceSandbox};
use storeshift_sandbox::ideasoft::{IdeasoftConfig, IdeasoftSandbox};
use storeshift_sandbox::ikas::{IkasConfig, IkasSandbox};
use storeshift_sandbox::magento::{MagentoConfig, MagentoSandbox};
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
    by_target_id_as_listed(v, entity, listed, &|r| r.source().id.clone(), missing).await
}

/// [`by_id_as_listed`] where the target id of a listed record is `target_id` of it (Magento
/// keeps products by SKU, the listing names them by entity id).
async fn by_target_id_as_listed(
    v: &mut dyn Verifier,
    entity: Entity,
    listed: &[Record],
    target_id: &dyn Fn(&Record) -> String,
    missing: &str,
) {
    let mut ids: Vec<String> = listed.iter().rev().step_by(2).map(target_id).collect();
    let missing_at = ids.len() / 2;
    ids.insert(missing_at, missing.to_string());
    let got = v.fetch(entity, &ids).await.expect("fetch");
    assert_eq!(got.len(), ids.len(), "{entity}");
    for (i, (id, rec)) in ids.iter().zip(&got).enumerate() {
        if i == missing_at {
            assert!(rec.is_none(), "{entity}: {id} is not in the store");
            continue;
        }
        let want = listed.iter().find(|r| &target_id(r) == id).expect("listed");
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

fn bigcommerce_spec(server: &Running) -> EndpointSpec {
    spec(
        Platform::BigCommerce,
        server,
        &[(
            "token",
            "STORESHIFT_TEST_VERIFY_BC_TOKEN",
            &BigCommerceConfig::default().token,
        )],
        json!({ "store_hash": "sandbox", "retry_base_ms": 5, "retry_max_ms": 50 }),
    )
}

async fn bigcommerce(products: usize, customers: usize) -> (BigCommerceSandbox, Running) {
    let sb = BigCommerceSandbox::new(BigCommerceConfig {
        quota: 100_000,
        ..Default::default()
    });
    sb.seed_products(products);
    sb.seed_customers(customers);
    let server = sb.start(0).await.expect("bind");
    (sb, server)
}

#[tokio::test]
async fn bigcommerce_counts_come_from_the_pagination_total_one_request_each() {
    let (sb, server) = bigcommerce(260, 31).await;
    let mut v = BigCommerceVerifier::open(&bigcommerce_spec(&server)).expect("open");
    assert_eq!(v.unit(), BudgetUnit::Requests);
    let before = sb.faults.requests();
    for (entity, n) in [
        (Entity::Products, sb.product_count()),
        (Entity::Customers, sb.customer_count()),
    ] {
        let c = v.count(entity).await.expect("count").expect("countable");
        assert_eq!(c.count, n as u64, "{entity}");
        assert!(c.exact && c.how.contains("meta.pagination.total"), "{c:?}");
    }
    assert_eq!(sb.product_count(), 260);
    assert_eq!(
        sb.faults.requests() - before,
        2,
        "one request a count, whatever the size"
    );
    assert_eq!(v.spent(), 2);
    assert_eq!(v.requests(), 2);
    // Orders and the rest have no place in this target: nothing to count them with.
    assert_eq!(v.count(Entity::Orders).await.expect("count"), None);
    assert_eq!(v.count(Entity::Pages).await.expect("count"), None);
}

#[tokio::test]
async fn bigcommerce_records_by_id_match_the_listing_with_id_in() {
    let (sb, server) = bigcommerce(24, 9).await;
    let spec = bigcommerce_spec(&server);
    let mut src = BigCommerceSource::open(&spec).expect("source");
    let mut v = BigCommerceVerifier::open(&spec).expect("open");
    for entity in [Entity::Products, Entity::Customers] {
        let listed = read_all(&mut src, entity).await;
        assert!(!listed.is_empty(), "{entity}");
        let before = sb.faults.requests();
        let spent = v.spent();
        // Estimated before the fetch, as the verification estimates it: the category tree
        // the products' paths need is read once, by the first fetch.
        let asked = listed.len().div_ceil(2) + 1;
        let estimate = v.fetch_cost(entity, asked);
        by_id_as_listed(&mut v, entity, &listed, "999999").await;
        let requests = sb.faults.requests() - before;
        assert!(
            requests <= estimate,
            "{entity}: {requests} requests, estimated {estimate}"
        );
        assert_eq!(
            v.spent() - spent,
            requests,
            "{entity}: the verifier says what it cost"
        );
    }
}

#[tokio::test]
async fn bigcommerce_fetches_more_ids_than_a_page_holds_in_pages_of_250() {
    let (sb, server) = bigcommerce(0, 300).await;
    let spec = bigcommerce_spec(&server);
    let mut src = BigCommerceSource::open(&spec).expect("source");
    let mut v = BigCommerceVerifier::open(&spec).expect("open");
    assert_eq!(v.batch_limit(Entity::Customers), 250);
    let ids: Vec<String> = read_all(&mut src, Entity::Customers)
        .await
        .iter()
        .map(|r| r.source().id.clone())
        .collect();
    assert_eq!(ids.len(), 300);
    let before = sb.faults.requests();
    // The sampler hands over a batch at a time; given more, the verifier pages them itself.
    let got = v.fetch(Entity::Customers, &ids).await.expect("fetch");
    assert_eq!(got.len(), 300);
    assert!(got.iter().all(Option::is_some));
    assert_eq!(sb.faults.requests() - before, 2, "250 ids, then 50");
}

#[tokio::test]
async fn the_bigcommerce_sandbox_filters_by_an_id_in_comma_list_pages_of_at_most_250() {
    let (_sb, server) = bigcommerce(0, 300).await;
    let get = |query: String| {
        let url = format!("{}/stores/sandbox/v3/customers?{query}", server.url());
        async move {
            reqwest::Client::new()
                .get(url)
                .header("X-Auth-Token", BigCommerceConfig::default().token)
                .send()
                .await
                .expect("send")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let some = get("id:in=3,1,2,999999&limit=250".into()).await;
    let mut found: Vec<u64> = some["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|c| c["id"].as_u64())
        .collect();
    found.sort_unstable();
    assert_eq!(found, vec![1, 2, 3], "{some}");
    assert_eq!(some["meta"]["pagination"]["total"], 3);
    let ids: Vec<String> = (1..=300).map(|i| i.to_string()).collect();
    let many = get(format!("id:in={}&limit=300", ids.join(","))).await;
    assert_eq!(
        many["data"].as_array().map(Vec::len),
        Some(250),
        "a page holds 250"
    );
    assert_eq!(many["meta"]["pagination"]["total"], 300);
    assert_eq!(many["meta"]["pagination"]["total_pages"], 2);
}

fn magento_spec(server: &Running) -> EndpointSpec {
    let cfg = MagentoConfig::default();
    spec(
        Platform::Magento,
        server,
        &[
            ("username", "STORESHIFT_TEST_VERIFY_MG_USER", &cfg.username),
            ("password", "STORESHIFT_TEST_VERIFY_MG_PASS", &cfg.password),
        ],
        json!({ "retry_base_ms": 5, "retry_max_ms": 50 }),
    )
}

async fn magento(products: usize, customers: usize) -> (MagentoSandbox, Running) {
    let sb = MagentoSandbox::new(MagentoConfig::default());
    sb.seed_products(products);
    sb.seed_customers(customers);
    let server = sb.start(0).await.expect("bind");
    (sb, server)
}

#[tokio::test]
async fn magento_counts_come_from_total_count_without_configurables_children() {
    // Every fourth product is configurable with three children, which Magento lists as
    // products of their own.
    let (sb, server) = magento(21, 13).await;
    assert!(sb.product_count() > 21, "children are products too");
    let mut v = MagentoVerifier::open(&magento_spec(&server)).expect("open");
    assert_eq!(v.unit(), BudgetUnit::Requests);
    let products = v
        .count(Entity::Products)
        .await
        .expect("count")
        .expect("countable");
    assert_eq!(products.count, 21, "{products:?}");
    assert!(
        products.exact && products.how.contains("total_count"),
        "{products:?}"
    );
    let customers = v
        .count(Entity::Customers)
        .await
        .expect("count")
        .expect("countable");
    assert_eq!(customers.count, 13);
    assert_eq!(v.count(Entity::Orders).await.expect("count"), None);
    // The admin token, then one request a count.
    assert_eq!(sb.faults.requests(), 3);
    assert_eq!(v.spent(), 3, "the token request is spent too");
}

#[tokio::test]
async fn magento_records_by_sku_and_entity_id_match_the_listing_with_condition_in() {
    let (sb, server) = magento(22, 9).await;
    let spec = magento_spec(&server);
    let mut src = MagentoSource::open(&spec).expect("source");
    let mut v = MagentoVerifier::open(&spec).expect("open");
    // The load keeps a product's SKU as its target id; the listing names it by entity id.
    let sku_of: BTreeMap<String, String> = sb
        .skus()
        .into_iter()
        .filter_map(|sku| {
            let p = sb.product(&sku)?;
            Some((p["id"].as_u64()?.to_string(), sku))
        })
        .collect();
    let products = read_all(&mut src, Entity::Products).await;
    assert_eq!(products.len(), 22);
    let before = sb.faults.requests();
    let spent = v.spent();
    by_target_id_as_listed(
        &mut v,
        Entity::Products,
        &products,
        &|r| sku_of[&r.source().id].clone(),
        "NO-SUCH-SKU",
    )
    .await;
    let requests = sb.faults.requests() - before;
    let estimated: f64 = products
        .iter()
        .rev()
        .step_by(2)
        .map(|r| v.record_cost(Entity::Products, &serde_json::to_value(r).expect("json")))
        .sum();
    // One search, each configurable's children, the token and the size attribute once.
    assert!(
        requests as f64 <= estimated.ceil() + 4.0,
        "{requests} requests, estimated {estimated}"
    );
    assert_eq!(
        v.spent() - spent,
        requests,
        "the verifier says what it cost"
    );

    let customers = read_all(&mut src, Entity::Customers).await;
    assert_eq!(customers.len(), 9);
    let before = sb.faults.requests();
    by_id_as_listed(&mut v, Entity::Customers, &customers, "999999").await;
    assert_eq!(sb.faults.requests() - before, 1, "one search for them all");
}

#[tokio::test]
async fn the_magento_sandbox_filters_entity_id_and_sku_with_condition_type_in() {
    let (sb, server) = magento(8, 5).await;
    let client = reqwest::Client::new();
    let token: String = client
        .post(format!("{}/rest/V1/integration/admin/token", server.url()))
        .json(&json!({ "username": sb.config().username, "password": sb.config().password }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("token");
    let search = |path: &str, query: Vec<(&str, &str)>| {
        let req = client
            .get(format!("{}/rest/default/V1{path}", server.url()))
            .bearer_auth(&token)
            .query(&query);
        async move {
            req.send()
                .await
                .expect("send")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let all = search("/customers/search", vec![]).await;
    let all: Vec<String> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["id"].as_u64())
        .map(|i| i.to_string())
        .collect();
    assert_eq!(all.len(), 5);
    let wanted = format!("{},{},999999", all[1], all[3]);
    // The snake_case form Adobe's guide shows and the camelCase form of the schema alike.
    for (groups, condition) in [
        ("filter_groups", "condition_type"),
        ("filterGroups", "conditionType"),
    ] {
        let at = format!("searchCriteria[{groups}][0][filters][0]");
        let (field, value, cond) = (
            format!("{at}[field]"),
            format!("{at}[value]"),
            format!("{at}[{condition}]"),
        );
        let found = search(
            "/customers/search",
            vec![
                (field.as_str(), "entity_id"),
                (value.as_str(), wanted.as_str()),
                (cond.as_str(), "in"),
            ],
        )
        .await;
        let ids: Vec<String> = found["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|c| c["id"].as_u64())
            .map(|i| i.to_string())
            .collect();
        assert_eq!(ids, vec![all[1].clone(), all[3].clone()], "{found}");
        assert_eq!(found["total_count"], 2);
        let found = search(
            "/products",
            vec![
                (field.as_str(), "sku"),
                (value.as_str(), "MG-1,mg-2,MG-404"),
                (cond.as_str(), "in"),
            ],
        )
        .await;
        let mut skus: Vec<&str> = found["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|p| p["sku"].as_str())
            .collect();
        skus.sort_unstable();
        assert_eq!(
            skus,
            vec!["MG-1", "MG-2"],
            "SKUs match without case: {found}"
        );
    }
}

fn ikas_spec(server: &Running) -> EndpointSpec {
    let cfg = IkasConfig::default();
    spec(
        Platform::Ikas,
        server,
        &[
            (
                "client_id",
                "STORESHIFT_TEST_VERIFY_IKAS_ID",
                &cfg.client_id,
            ),
            (
                "client_secret",
                "STORESHIFT_TEST_VERIFY_IKAS_SECRET",
                &cfg.client_secret,
            ),
        ],
        json!({ "api_url": server.url(), "retry_base_ms": 5, "retry_max_ms": 50 }),
    )
}

#[tokio::test]
async fn ikas_counts_from_list_product_count_and_fetches_by_id_in() {
    let sb = IkasSandbox::new(IkasConfig::default());
    sb.seed_products(23);
    let server = sb.start(0).await.expect("bind");
    let spec = ikas_spec(&server);
    let mut v = IkasVerifier::open(&spec).expect("open");
    assert_eq!(v.unit(), BudgetUnit::Requests);
    let before = sb.faults.requests();
    let c = v
        .count(Entity::Products)
        .await
        .expect("count")
        .expect("countable");
    assert_eq!(c.count, 23);
    assert!(c.exact && c.how.contains("count"), "{c:?}");
    // The client-credentials token, then the one query.
    assert_eq!(sb.faults.requests() - before, 2);
    assert_eq!(v.spent(), 2);
    assert_eq!(v.count(Entity::Customers).await.expect("count"), None);

    let mut src = IkasSource::open(&spec).expect("source");
    let listed = read_all(&mut src, Entity::Products).await;
    assert_eq!(listed.len(), 23);
    let before = sb.faults.requests();
    by_id_as_listed(&mut v, Entity::Products, &listed, "no-such-product").await;
    // The variant types once, then one query for all the ids.
    assert_eq!(sb.faults.requests() - before, 2);
}

fn ideasoft_spec(server: &Running) -> EndpointSpec {
    let cfg = IdeasoftConfig::default();
    spec(
        Platform::Ideasoft,
        server,
        &[(
            "token",
            "STORESHIFT_TEST_VERIFY_IDEASOFT_TOKEN",
            &cfg.access_token,
        )],
        json!({ "retry_base_ms": 5, "retry_max_ms": 50 }),
    )
}

#[tokio::test]
async fn ideasoft_counts_from_the_count_endpoints_and_fetches_by_ids() {
    let sb = IdeasoftSandbox::new(IdeasoftConfig {
        quota: 100_000,
        ..Default::default()
    });
    sb.seed_catalog(12);
    sb.seed_customers(7);
    let server = sb.start(0).await.expect("bind");
    let spec = ideasoft_spec(&server);
    let mut v = IdeasoftVerifier::open(&spec).expect("open");
    assert_eq!(v.unit(), BudgetUnit::Requests);
    let c = v
        .count(Entity::Customers)
        .await
        .expect("count")
        .expect("countable");
    assert_eq!(c.count, 7);
    assert!(c.exact && c.how.contains("/members/count"), "{c:?}");
    assert_eq!(v.spent(), 1, "one request a count");
    // Every third product has four variants, each a product of its own in Ideasoft: the
    // count of products is "at least" the products.
    let c = v
        .count(Entity::Products)
        .await
        .expect("count")
        .expect("countable");
    assert_eq!(c.count, 12 + 4 * 4);
    assert!(!c.exact, "{c:?}");
    assert_eq!(v.count(Entity::Orders).await.expect("count"), None);

    let mut src = IdeasoftSource::open(&spec).expect("source");
    let _ = read_all(&mut src, Entity::Categories).await;
    let products = read_all(&mut src, Entity::Products).await;
    assert_eq!(products.len(), 12);
    let customers = read_all(&mut src, Entity::Customers).await;
    assert_eq!(customers.len(), 7);
    let before = v.spent();
    by_id_as_listed(&mut v, Entity::Customers, &customers, "999999").await;
    assert_eq!(v.spent() - before, 1, "one request for all the ids");
    let before = v.spent();
    by_id_as_listed(&mut v, Entity::Products, &products, "999999").await;
    // One list request, then each product's details, and the children of the two variable
    // products among the six asked (every third of 12, every other one asked).
    let asked = 6u64;
    let spent = v.spent() - before;
    assert!(
        (1 + asked..=1 + 2 * asked).contains(&spent),
        "{spent} requests for {asked} products"
    );
}
