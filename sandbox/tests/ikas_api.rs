//! The Ikas Admin GraphQL connector against the Ikas sandbox.

use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use storeshift_connectors::api::ikas::{IkasSource, IkasTarget};
use storeshift_connectors::model::{Entity, Platform, Record};
use storeshift_connectors::{EndpointKind, EndpointSpec, Source, Target, WriteOutcome};
use storeshift_sandbox::ikas::{IkasConfig, IkasSandbox};
use storeshift_sandbox::{Fault, Running};

fn spec(server: &Running) -> EndpointSpec {
    let cfg = IkasConfig::default();
    std::env::set_var("STORESHIFT_TEST_IKAS_ID", &cfg.client_id);
    std::env::set_var("STORESHIFT_TEST_IKAS_SECRET", &cfg.client_secret);
    EndpointSpec {
        platform: Platform::Ikas,
        kind: EndpointKind::Api,
        path: None,
        files: BTreeMap::new(),
        url: Some(server.url()),
        credentials: [
            ("client_id", "STORESHIFT_TEST_IKAS_ID"),
            ("client_secret", "STORESHIFT_TEST_IKAS_SECRET"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        currency: Some("TRY".into()),
        encoding: None,
        timezone: None,
        options: [
            ("api_url", json!(server.url())),
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

async fn extract_all(src: &mut dyn Source, limit: usize) -> (Vec<Record>, usize) {
    let mut cursor = None;
    let mut records = vec![];
    let mut pages = 0;
    loop {
        let page = src
            .read_page(Entity::Products, cursor.as_ref(), limit)
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
    let sb = IkasSandbox::new(IkasConfig::default());
    sb.seed_products(n);
    let server = sb.start(0).await.expect("bind");
    let mut src = IkasSource::open(&spec(&server)).expect("open");
    extract_all(&mut src, 200).await.0
}

#[tokio::test]
async fn extracts_products_page_by_page_until_has_next_is_false() {
    let sb = IkasSandbox::new(IkasConfig::default());
    sb.seed_products(12);
    let server = sb.start(0).await.expect("bind");
    let mut src = IkasSource::open(&spec(&server)).expect("open");
    let (products, pages) = extract_all(&mut src, 5).await;
    assert_eq!((products.len(), pages), (12, 3));
    let Record::Product(p0) = &products[0] else {
        panic!()
    };
    assert_eq!(p0.handle, "ikas-urun-0");
    assert_eq!(p0.options[0].name, "Beden");
    assert_eq!(p0.variants[1].option_values, vec!["M"]);
    let Record::Product(p1) = &products[1] else {
        panic!()
    };
    assert_eq!(
        p1.variants[0]
            .price
            .as_ref()
            .map(|m| m.amount.to_string())
            .as_deref(),
        Some("199.9")
    );
    assert_eq!(
        p1.variants[0]
            .compare_at_price
            .as_ref()
            .map(|m| m.amount.to_string())
            .as_deref(),
        Some("250")
    );
}

#[tokio::test]
async fn loading_twice_creates_once_and_rollback_restores_the_store() {
    let records = source_records(9).await;
    let target = IkasSandbox::new(IkasConfig::default());
    let before = target.fingerprint();
    let server = target.start(0).await.expect("bind");
    let mut t = IkasTarget::open(&spec(&server)).expect("open");
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
    assert_eq!(target.product_count(), 9);
    assert!(target.creation_log().duplicates().is_empty());
    let mut src = IkasSource::open(&spec(&server)).expect("open");
    let (copied, _) = extract_all(&mut src, 50).await;
    let Record::Product(p0) = &copied[0] else {
        panic!()
    };
    assert_eq!(p0.options[0].values, vec!["S", "M"]);
    assert!(t
        .lookup(Entity::Products, "ikas-urun-4")
        .await
        .expect("lookup")
        .is_some());
    for o in &first {
        if let WriteOutcome::Created { target_id } = o {
            t.delete(Entity::Products, target_id).await.expect("delete");
        }
    }
    assert_eq!(target.fingerprint(), before);
}

#[tokio::test]
async fn faults_and_graphql_errors_with_http_200_still_land_every_product_once() {
    let records = source_records(15).await;
    let target = IkasSandbox::new(IkasConfig::default());
    let server = target.start(0).await.expect("bind");
    target.faults.after(&[
        (3, Fault::GraphqlError),
        (5, Fault::Status(503)),
        (7, Fault::Slow(Duration::from_millis(900))),
        (10, Fault::Reset),
        (13, Fault::MalformedJson),
        (
            16,
            Fault::TooManyRequests {
                retry_after_secs: 0.05,
            },
        ),
        (19, Fault::GraphqlError),
    ]);
    let mut t = IkasTarget::open(&spec(&server)).expect("open");
    let out = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
    assert_eq!(target.faults.injected(), 7);
    assert_eq!(target.product_count(), 15);
    assert!(
        target.creation_log().duplicates().is_empty(),
        "{:?}",
        target.creation_log().duplicates()
    );
}
