//! The WooCommerce REST connector against the WooCommerce sandbox.

use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use storeshift_connectors::api::woocommerce::{WooSource, WooTarget};
use storeshift_connectors::model::{Entity, Platform, Record};
use storeshift_connectors::sandbox::woocommerce::{WooConfig, WooSandbox};
use storeshift_connectors::sandbox::{Fault, Running};
use storeshift_connectors::{EndpointKind, EndpointSpec, Source, Target, WriteOutcome};

fn spec(server: &Running) -> EndpointSpec {
    let cfg = WooConfig::default();
    std::env::set_var("STORESHIFT_TEST_WOO_KEY", &cfg.consumer_key);
    std::env::set_var("STORESHIFT_TEST_WOO_SECRET", &cfg.consumer_secret);
    EndpointSpec {
        platform: Platform::WooCommerce,
        kind: EndpointKind::Api,
        path: None,
        files: BTreeMap::new(),
        url: Some(server.url()),
        credentials: [
            ("consumer_key", "STORESHIFT_TEST_WOO_KEY"),
            ("consumer_secret", "STORESHIFT_TEST_WOO_SECRET"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        currency: Some("GBP".into()),
        encoding: None,
        options: [
            ("timeout_ms", json!(400)),
            ("retry_base_ms", json!(5)),
            ("retry_max_ms", json!(50)),
            ("breaker_cooldown_ms", json!(20)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    }
}

async fn extract_all(src: &mut dyn Source, entity: Entity, limit: usize) -> (Vec<Record>, usize) {
    let mut cursor = None;
    let mut records = vec![];
    let mut pages = 0;
    loop {
        let page = src
            .read_page(entity, cursor.as_ref(), limit)
            .await
            .expect("page");
        pages += 1;
        records.extend(page.records);
        match page.next {
            Some(c) => cursor = Some(c),
            None => return (records, pages),
        }
    }
}

async fn seeded(products: usize, customers: usize) -> (WooSandbox, Running) {
    let sb = WooSandbox::new(WooConfig::default());
    sb.seed_products(products);
    sb.seed_customers(customers);
    let server = sb.start(0).await.expect("bind");
    (sb, server)
}

#[tokio::test]
async fn extracts_products_with_variations_and_customers_page_by_page() {
    let (_sb, server) = seeded(27, 13).await;
    let mut src = WooSource::open(&spec(&server)).expect("open");
    let (products, pages) = extract_all(&mut src, Entity::Products, 10).await;
    assert_eq!(products.len(), 27);
    assert_eq!(pages, 3);
    let Record::Product(p0) = &products[0] else {
        panic!()
    };
    assert_eq!(p0.handle, "woo-product-0");
    assert_eq!(p0.options[0].values, vec!["S", "M", "L"]);
    assert_eq!(p0.variants.len(), 3);
    assert_eq!(p0.variants[2].option_values, vec!["L"]);
    assert_eq!(p0.vendor.as_deref(), Some("Woo Seed"));
    let Record::Product(p2) = &products[2] else {
        panic!()
    };
    assert_eq!(p2.variants[0].sku.as_deref(), Some("WOO-2"));
    assert_eq!(
        p2.variants[0]
            .price
            .as_ref()
            .map(|m| m.amount.to_string())
            .as_deref(),
        Some("12.50")
    );
    assert_eq!(
        p2.variants[0]
            .compare_at_price
            .as_ref()
            .map(|m| m.amount.to_string())
            .as_deref(),
        Some("22.00")
    );
    let (customers, _) = extract_all(&mut src, Entity::Customers, 5).await;
    assert_eq!(customers.len(), 13);
}

#[tokio::test]
async fn per_page_over_100_is_refused_with_woocommerces_error() {
    let (_sb, server) = seeded(1, 0).await;
    let client = reqwest::Client::new();
    let r = client
        .get(format!(
            "{}/wp-json/wc/v3/products?per_page=101",
            server.url()
        ))
        .basic_auth("ck_sandbox", Some("cs_sandbox"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 400);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["code"], "rest_invalid_param");
    let r = client
        .get(format!("{}/wp-json/wc/v3/products", server.url()))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 401);
}

async fn woo_records(n: usize) -> Vec<Record> {
    let (_sb, server) = seeded(n, 0).await;
    let mut src = WooSource::open(&spec(&server)).expect("open");
    extract_all(&mut src, Entity::Products, 100).await.0
}

#[tokio::test]
async fn loading_twice_creates_once_and_rollback_restores_the_store() {
    let records = woo_records(30).await;
    let target = WooSandbox::new(WooConfig::default());
    target.seed_customers(2);
    let before = target.fingerprint();
    let server = target.start(0).await.expect("bind");
    let mut t = WooTarget::open(&spec(&server)).expect("open");
    let first = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    assert!(
        first
            .iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{first:?}"
    );
    let second = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("again");
    assert!(
        second
            .iter()
            .all(|o| matches!(o, WriteOutcome::Updated { .. })),
        "{second:?}"
    );
    assert_eq!(target.product_count(), 30);
    assert_eq!(target.variation_count(), 8 * 3);
    assert!(target.creation_log().duplicates().is_empty());
    let id = t
        .lookup(Entity::Products, "woo-product-4")
        .await
        .expect("lookup");
    assert!(id.is_some());
    for o in &first {
        if let WriteOutcome::Created { target_id } = o {
            t.delete(Entity::Products, target_id).await.expect("delete");
        }
    }
    assert_eq!(target.fingerprint(), before);
}

#[tokio::test]
async fn every_fault_is_survived_and_every_product_lands_once() {
    let records = woo_records(250).await;
    let target = WooSandbox::new(WooConfig::default());
    let server = target.start(0).await.expect("bind");
    target.faults.after(&[
        (1, Fault::Status(503)),
        (
            2,
            Fault::TooManyRequests {
                retry_after_secs: 0.05,
            },
        ),
        (4, Fault::Slow(Duration::from_millis(900))),
        (7, Fault::Reset),
        (11, Fault::MalformedJson),
        (15, Fault::Status(500)),
        (16, Fault::Status(502)),
        (20, Fault::Reset),
    ]);
    let mut t = WooTarget::open(&spec(&server)).expect("open");
    let out = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
    assert_eq!(target.faults.injected(), 8);
    assert_eq!(target.product_count(), 250);
    assert_eq!(target.variation_count(), 63 * 3);
    assert!(
        target.creation_log().duplicates().is_empty(),
        "{:?}",
        target.creation_log().duplicates()
    );
    assert!(t.api_stats().expect("stats").retries >= 8);
}

#[tokio::test]
async fn a_duplicate_sku_fails_alone_and_a_bad_image_is_only_a_finding() {
    let mut records = woo_records(6).await;
    if let Record::Product(p) = &mut records[3] {
        p.variants[0].sku = Some("WOO-2".into());
    }
    if let Record::Product(p) = &mut records[5] {
        p.images[0].src = "https://img.invalid/unreachable.jpg".into();
    }
    let target = WooSandbox::new(WooConfig::default());
    let server = target.start(0).await.expect("bind");
    let mut t = WooTarget::open(&spec(&server)).expect("open");
    let out = t
        .write_batch(Entity::Products, &records[..3])
        .await
        .expect("load");
    assert_eq!(out.len(), 3);
    let out = t
        .write_batch(Entity::Products, &records[3..])
        .await
        .expect("load");
    // records[3] carries records[2]'s SKU: the SKU look-up finds records[2]'s product, so it is
    // an update of that product — WooCommerce itself keeps SKUs unique.
    assert!(matches!(out[0], WriteOutcome::Updated { .. }), "{out:?}");
    assert!(matches!(out[2], WriteOutcome::Created { .. }), "{out:?}");
    let findings = t.take_findings();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, "image_failed");
    assert_eq!(target.product_count(), 5);
}

#[tokio::test]
async fn customers_upsert_by_email_and_bad_emails_fail_alone() {
    let (_sb, server) = seeded(0, 7).await;
    let mut src = WooSource::open(&spec(&server)).expect("open");
    let (mut customers, _) = extract_all(&mut src, Entity::Customers, 100).await;
    if let Record::Customer(c) = &mut customers[2] {
        c.email = "broken".into();
    }
    let target = WooSandbox::new(WooConfig::default());
    let tserver = target.start(0).await.expect("bind");
    let mut t = WooTarget::open(&spec(&tserver)).expect("open");
    let out = t
        .write_batch(Entity::Customers, &customers)
        .await
        .expect("load");
    assert!(
        matches!(&out[2], WriteOutcome::Failed { message } if message.contains("valid email")),
        "{out:?}"
    );
    let again = t
        .write_batch(Entity::Customers, &customers)
        .await
        .expect("again");
    assert_eq!(
        again
            .iter()
            .filter(|o| matches!(o, WriteOutcome::Updated { .. }))
            .count(),
        6
    );
    assert_eq!(target.customer_count(), 6);
    assert!(target.creation_log().duplicates().is_empty());
}
