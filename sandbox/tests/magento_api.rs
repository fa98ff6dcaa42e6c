//! The Magento 2 REST connector against the Magento sandbox.

use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use storeshift_connectors::api::magento::{MagentoSource, MagentoTarget};
use storeshift_connectors::model::{Entity, Platform, Record};
use storeshift_connectors::{EndpointKind, EndpointSpec, Source, Target, WriteOutcome};
use storeshift_sandbox::magento::{MagentoConfig, MagentoSandbox};
use storeshift_sandbox::{Fault, Running};

fn spec(server: &Running) -> EndpointSpec {
    let cfg = MagentoConfig::default();
    std::env::set_var("STORESHIFT_TEST_MG_USER", &cfg.username);
    std::env::set_var("STORESHIFT_TEST_MG_PASS", &cfg.password);
    EndpointSpec {
        platform: Platform::Magento,
        kind: EndpointKind::Api,
        path: None,
        files: BTreeMap::new(),
        url: Some(server.url()),
        credentials: [
            ("username", "STORESHIFT_TEST_MG_USER"),
            ("password", "STORESHIFT_TEST_MG_PASS"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        currency: Some("EUR".into()),
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
        mapping: None,
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

async fn source_records(n: usize) -> Vec<Record> {
    let sb = MagentoSandbox::new(MagentoConfig::default());
    sb.seed_products(n);
    let server = sb.start(0).await.expect("bind");
    let mut src = MagentoSource::open(&spec(&server)).expect("open");
    extract_all(&mut src, Entity::Products, 100).await.0
}

#[tokio::test]
async fn extraction_stops_on_total_count_although_magento_repeats_the_last_page() {
    let sb = MagentoSandbox::new(MagentoConfig::default());
    sb.seed_products(10);
    sb.seed_customers(7);
    let server = sb.start(0).await.expect("bind");
    let mut src = MagentoSource::open(&spec(&server)).expect("open");
    // 10 products: 3 configurables with 3 children each (listed too, but read with their parent).
    let (products, pages) = extract_all(&mut src, Entity::Products, 4).await;
    assert_eq!(products.len(), 10, "children are not products of their own");
    assert_eq!(pages, 5, "19 items in pages of 4");
    let Record::Product(p0) = &products[0] else {
        panic!()
    };
    assert_eq!(p0.handle, "magento-product-0");
    assert_eq!(p0.options[0].name, "Size");
    assert_eq!(p0.options[0].values, vec!["S", "M", "L"]);
    assert_eq!(p0.variants[2].sku.as_deref(), Some("MG-0-L"));
    assert!(
        p0.images[0]
            .src
            .ends_with("/media/catalog/product/m/g/mg0.jpg"),
        "{}",
        p0.images[0].src
    );
    let (customers, _) = extract_all(&mut src, Entity::Customers, 3).await;
    assert_eq!(customers.len(), 7);
    let Record::Customer(c) = &customers[1] else {
        panic!()
    };
    assert_eq!(c.addresses[0].city.as_deref(), Some("Berlin"));

    // Asking for a page past the end gets the last page again, as on Magento.
    let client = reqwest::Client::new();
    let token: String = client
        .post(format!("{}/rest/V1/integration/admin/token", server.url()))
        .json(&json!({ "username": "admin", "password": "sandbox123" }))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let page = |n: u32| {
        client
            .get(format!("{}/rest/default/V1/products?searchCriteria[pageSize]=4&searchCriteria[currentPage]={n}", server.url()))
            .bearer_auth(&token)
            .send()
    };
    let last: serde_json::Value = page(5).await.expect("p5").json().await.expect("json");
    let past: serde_json::Value = page(9).await.expect("p9").json().await.expect("json");
    assert_eq!(last["items"], past["items"]);
}

#[tokio::test]
async fn loading_twice_saves_by_sku_once_and_rollback_restores_the_store() {
    let records = source_records(9).await;
    let target = MagentoSandbox::new(MagentoConfig::default());
    target.seed_customers(1);
    let before = target.fingerprint();
    let server = target.start(0).await.expect("bind");
    let mut t = MagentoTarget::open(&spec(&server)).expect("open");
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
    assert_eq!(
        t.take_findings().len(),
        9,
        "every product's images are reported, none is failed"
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
    assert_eq!(target.product_count(), 9 + 3 * 3);
    assert!(target.creation_log().duplicates().is_empty());
    let mut src = MagentoSource::open(&spec(&server)).expect("open");
    let (copied, _) = extract_all(&mut src, Entity::Products, 100).await;
    let p0 = copied
        .iter()
        .find_map(|r| match r {
            Record::Product(p) if p.handle == "magento-product-0" => Some(p),
            _ => None,
        })
        .expect("the configurable came back");
    assert_eq!(p0.options[0].values, vec!["S", "M", "L"]);
    assert_eq!(p0.variants.len(), 3);
    assert_eq!(
        t.lookup(Entity::Products, "magento-product-3")
            .await
            .expect("lookup")
            .as_deref(),
        Some("MG-3")
    );
    for o in &first {
        if let WriteOutcome::Created { target_id } = o {
            t.delete(Entity::Products, target_id).await.expect("delete");
        }
    }
    assert_eq!(target.fingerprint(), before);
}

#[tokio::test]
async fn faults_are_survived_and_customers_are_created_once() {
    let sb = MagentoSandbox::new(MagentoConfig::default());
    sb.seed_customers(12);
    let server = sb.start(0).await.expect("bind");
    let mut src = MagentoSource::open(&spec(&server)).expect("open");
    let (mut customers, _) = extract_all(&mut src, Entity::Customers, 100).await;
    if let Record::Customer(c) = &mut customers[6] {
        c.email = "nope".into();
    }
    let target = MagentoSandbox::new(MagentoConfig::default());
    let tserver = target.start(0).await.expect("bind");
    target.faults.after(&[
        (2, Fault::Status(503)),
        (3, Fault::Slow(Duration::from_millis(900))),
        (6, Fault::Reset),
        (9, Fault::MalformedJson),
        (
            12,
            Fault::TooManyRequests {
                retry_after_secs: 0.05,
            },
        ),
        (15, Fault::Status(502)),
    ]);
    let mut t = MagentoTarget::open(&spec(&tserver)).expect("open");
    let out = t
        .write_batch(Entity::Customers, &customers)
        .await
        .expect("load");
    assert!(
        matches!(&out[6], WriteOutcome::Failed { message } if message.contains("not a valid email")),
        "{out:?}"
    );
    assert_eq!(
        out.iter()
            .filter(|o| matches!(o, WriteOutcome::Created { .. }))
            .count(),
        11,
        "{out:?}"
    );
    assert_eq!(target.faults.injected(), 6);
    assert_eq!(target.customer_count(), 11);
    assert!(
        target.creation_log().duplicates().is_empty(),
        "{:?}",
        target.creation_log().duplicates()
    );
}
