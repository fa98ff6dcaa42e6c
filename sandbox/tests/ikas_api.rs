//! The Ikas Admin GraphQL connector against the Ikas sandbox.

use serde_json::json;
use std::time::Duration;
use storeshift_connectors::api::ikas::{IkasSource, IkasTarget};
use storeshift_connectors::model::{Entity, Platform, Record};
use storeshift_connectors::{EndpointSpec, Source, Target, WriteOutcome};
use storeshift_sandbox::ikas::{IkasConfig, IkasSandbox};
use storeshift_sandbox::{Fault, Running};

mod support;
use support::{api_spec, extract_all, quick};

fn spec(server: &Running) -> EndpointSpec {
    let cfg = IkasConfig::default();
    let credentials = [
        ("client_id", cfg.client_id.as_str()),
        ("client_secret", &cfg.client_secret),
    ];
    let options = quick(json!({ "api_url": server.url() }));
    let mut spec = api_spec(Platform::Ikas, server.url(), &credentials, options);
    spec.currency = Some("TRY".into());
    spec
}

async fn source_records(n: usize) -> Vec<Record> {
    let sb = IkasSandbox::new(IkasConfig::default());
    sb.seed_products(n);
    let server = sb.start(0).await.expect("bind");
    let mut src = IkasSource::open(&spec(&server)).expect("open");
    extract_all(&mut src, Entity::Products, 200).await.0
}

#[tokio::test]
async fn extracts_products_page_by_page_until_has_next_is_false() {
    let sb = IkasSandbox::new(IkasConfig::default());
    sb.seed_products(12);
    let server = sb.start(0).await.expect("bind");
    let mut src = IkasSource::open(&spec(&server)).expect("open");
    let (products, pages) = extract_all(&mut src, Entity::Products, 5).await;
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
    let (copied, _) = extract_all(&mut src, Entity::Products, 50).await;
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

/// Posts `query` to the sandbox with a fresh token; the whole GraphQL reply.
async fn graphql(server: &Running, query: &str, variables: serde_json::Value) -> serde_json::Value {
    let cfg = IkasConfig::default();
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{}/api/admin/oauth/token", server.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", cfg.client_id.as_str()),
            ("client_secret", cfg.client_secret.as_str()),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let bearer = token["access_token"].as_str().expect("access_token");
    http.post(format!(
        "{}{}",
        server.url(),
        storeshift_connectors::platform::ikas::api::GRAPHQL_PATH
    ))
    .bearer_auth(bearer)
    .json(&json!({ "query": query, "variables": variables }))
    .send()
    .await
    .expect("graphql")
    .json()
    .await
    .expect("graphql json")
}

/// Every document the connector sends (taken from the connector, not retyped) passes the
/// sandbox's validation: fields of Ikas's types and only the arguments Ikas's reference
/// gives `listProduct`.
#[tokio::test]
async fn every_document_the_connector_sends_is_accepted() {
    let sb = IkasSandbox::new(IkasConfig::default());
    sb.seed_products(3);
    let server = sb.start(0).await.expect("bind");
    let variables = json!({
        "page": 1, "limit": 2, "skus": ["none"], "ids": ["none"],
        "input": { "name": "Renk", "values": [{ "name": "Mavi" }] },
    });
    let documents = storeshift_connectors::api::ikas::documents();
    assert!(documents.len() >= 10, "{documents:?}");
    for (name, doc) in documents {
        // A product input is a ProductInput, a variant type's a VariantTypeInput.
        let mut vars = variables.clone();
        if name == "saveProduct" {
            vars["input"] = json!({ "name": "Yeni", "variants": [{ "sku": "Y-1" }] });
        }
        let r = graphql(&server, &doc, vars).await;
        assert!(r.get("errors").is_none(), "{name}: {r}");
        assert!(r["data"].is_object(), "{name}: {r}");
    }
}

/// `listProduct` has no `updatedAt` argument at Ikas: a document filtering by it is refused,
/// and the source never sends one (a sync cycle reads Ikas products whole).
#[tokio::test]
async fn list_product_refuses_an_updated_at_filter_and_the_source_reads_no_changes_by_date() {
    let sb = IkasSandbox::new(IkasConfig::default());
    sb.seed_products(2);
    let server = sb.start(0).await.expect("bind");
    let r = graphql(
        &server,
        "query($since: Timestamp!) { listProduct(updatedAt: { gte: $since }) { data { id } } }",
        json!({ "since": 0 }),
    )
    .await;
    let message = r["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Unknown argument \"updatedAt\""), "{r}");
    assert_eq!(
        r["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{r}"
    );

    let mut src = IkasSource::open(&spec(&server)).expect("open");
    let changed = src
        .read_changed(Entity::Products, "2026-01-01T00:00:00Z", None, 50)
        .await
        .expect("read_changed");
    assert!(changed.is_none());
}

/// A product without shipping (Ikas `DIGITAL`) is read back as one.
#[tokio::test]
async fn a_digital_product_is_read_back_without_shipping() {
    let mut records = source_records(1).await;
    let Record::Product(p) = &mut records[0] else {
        panic!()
    };
    p.handle = "e-kitap".into();
    for v in &mut p.variants {
        v.requires_shipping = false;
    }
    let target = IkasSandbox::new(IkasConfig::default());
    let server = target.start(0).await.expect("bind");
    let mut t = IkasTarget::open(&spec(&server)).expect("open");
    let out = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    assert!(matches!(out[0], WriteOutcome::Created { .. }), "{out:?}");
    let mut src = IkasSource::open(&spec(&server)).expect("open");
    let (copied, _) = extract_all(&mut src, Entity::Products, 50).await;
    let Record::Product(back) = &copied[0] else {
        panic!()
    };
    assert!(!back.variants.is_empty());
    assert!(
        back.variants.iter().all(|v| !v.requires_shipping),
        "{:?}",
        back.variants
    );
}
