//! The Shopify GraphQL connector against the Shopify sandbox.

use serde_json::json;
use std::time::Duration;
use storeshift_connectors::api::shopify::{ShopifySource, ShopifyTarget};
use storeshift_connectors::model::{Entity, Platform, Record};
use storeshift_connectors::{EndpointSpec, Source, Target, WriteOutcome};
use storeshift_sandbox::shopify::{ShopifyConfig, ShopifySandbox};
use storeshift_sandbox::{Fault, Running};

mod support;
use support::{api_spec, extract_all, quick};

fn spec(server: &Running, extra: serde_json::Value) -> EndpointSpec {
    spec_at(server.url(), extra)
}

fn spec_at(url: String, extra: serde_json::Value) -> EndpointSpec {
    let token = ShopifyConfig::default().token;
    api_spec(Platform::Shopify, url, &[("token", &token)], quick(extra))
}

async fn seeded(products: usize, customers: usize) -> (ShopifySandbox, Running) {
    let sb = ShopifySandbox::new(ShopifyConfig {
        bucket: 100_000.0,
        restore_rate: 100_000.0,
        ..Default::default()
    });
    sb.seed_products(products);
    sb.seed_customers(customers);
    let server = sb.start(0).await.expect("bind");
    (sb, server)
}

#[tokio::test]
async fn extracts_every_product_and_customer_through_cursor_pages() {
    let (_sb, server) = seeded(23, 11).await;
    let mut src = ShopifySource::open(&spec(&server, json!({}))).expect("open");
    let (products, pages) = extract_all(&mut src, Entity::Products, 5).await;
    assert_eq!(products.len(), 23);
    assert!(pages >= 5, "{pages} pages of at most 5");
    let Record::Product(p0) = &products[0] else {
        panic!("not a product")
    };
    assert_eq!(p0.handle, "seed-product-0");
    assert_eq!(p0.options.len(), 2);
    assert_eq!(p0.variants.len(), 4);
    assert_eq!(p0.variants[1].option_values, vec!["S", "Blue"]);
    assert_eq!(p0.images[0].src, "https://cdn.example.com/seed/0.jpg");
    let Record::Product(p1) = &products[1] else {
        panic!("not a product")
    };
    assert!(p1.options.is_empty(), "Default Title is no option");
    assert_eq!(p1.variants[0].inventory, Some(7));
    let (customers, _) = extract_all(&mut src, Entity::Customers, 4).await;
    assert_eq!(customers.len(), 11);
    let Record::Customer(c) = &customers[3] else {
        panic!("not a customer")
    };
    assert_eq!(c.email, "seed3@example.com");
    assert_eq!(c.addresses[0].city.as_deref(), Some("Springfield"));
    assert!(src.api_stats().expect("stats").calls > 0);
}

#[tokio::test]
async fn resuming_from_a_cursor_reads_the_rest_exactly_once() {
    let (_sb, server) = seeded(12, 0).await;
    let mut src = ShopifySource::open(&spec(&server, json!({}))).expect("open");
    let first = src
        .read_page(Entity::Products, None, 5)
        .await
        .expect("page");
    let cursor = first.next.clone().expect("more");
    let mut again = ShopifySource::open(&spec(&server, json!({}))).expect("open");
    let mut rest = vec![];
    let mut c = Some(cursor);
    while let Some(cur) = c {
        let page = again
            .read_page(Entity::Products, Some(&cur), 5)
            .await
            .expect("page");
        rest.extend(page.records);
        c = page.next;
    }
    let mut handles: Vec<String> = first
        .records
        .iter()
        .chain(&rest)
        .map(Record::external_key)
        .collect();
    assert_eq!(handles.len(), 12);
    handles.dedup();
    assert_eq!(handles.len(), 12);
}

async fn source_records(n: usize) -> Vec<Record> {
    let (_sb, server) = seeded(n, 0).await;
    let mut src = ShopifySource::open(&spec(&server, json!({}))).expect("open");
    extract_all(&mut src, Entity::Products, 50).await.0
}

#[tokio::test]
async fn loading_twice_creates_each_product_once_then_updates() {
    let records = source_records(15).await;
    let target_sb = ShopifySandbox::new(ShopifyConfig::default());
    let server = target_sb.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
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
        .expect("load again");
    assert!(
        second
            .iter()
            .all(|o| matches!(o, WriteOutcome::Updated { .. })),
        "{second:?}"
    );
    assert_eq!(target_sb.product_count(), 15);
    assert!(target_sb.creation_log().duplicates().is_empty());
    let found = t
        .lookup(Entity::Products, &records[3].external_key())
        .await
        .expect("lookup");
    let WriteOutcome::Created { target_id } = &first[3] else {
        panic!()
    };
    assert_eq!(found.as_deref(), Some(target_id.as_str()));
    assert_eq!(
        t.lookup(Entity::Products, "no-such-handle")
            .await
            .expect("lookup"),
        None
    );
}

#[tokio::test]
async fn every_fault_is_survived_and_every_record_lands_once() {
    let records = source_records(40).await;
    let target_sb = ShopifySandbox::new(ShopifyConfig::default());
    let server = target_sb.start(0).await.expect("bind");
    target_sb.faults.after(&[
        (1, Fault::Status(503)),
        (
            3,
            Fault::TooManyRequests {
                retry_after_secs: 0.05,
            },
        ),
        (5, Fault::Status(500)),
        (6, Fault::Slow(Duration::from_millis(900))),
        (8, Fault::Reset),
        (10, Fault::MalformedJson),
        (12, Fault::GraphqlError),
        (13, Fault::Status(502)),
    ]);
    let mut t =
        ShopifyTarget::open(&spec(&server, json!({ "mutations_per_request": 5 }))).expect("open");
    let out = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    assert!(
        out.iter()
            .all(|o| !matches!(o, WriteOutcome::Failed { .. })),
        "{out:?}"
    );
    assert_eq!(target_sb.faults.injected(), 8, "every scripted fault fired");
    assert_eq!(target_sb.product_count(), 40);
    assert!(
        target_sb.creation_log().duplicates().is_empty(),
        "{:?}",
        target_sb.creation_log().duplicates()
    );
    let stats = t.api_stats().expect("stats");
    assert!(stats.retries >= 8, "{stats:?}");
    assert!(stats.throttled >= 1);
}

#[tokio::test]
async fn a_bad_record_fails_alone_with_shopifys_words_and_a_bad_image_is_a_finding() {
    let mut records = source_records(6).await;
    if let Record::Product(p) = &mut records[2] {
        p.variants[0].price.as_mut().expect("price").amount = rust_decimal::Decimal::new(-5, 0);
    }
    if let Record::Product(p) = &mut records[4] {
        p.images[0].src = "https://img.invalid/unreachable.jpg".into();
    }
    let target_sb = ShopifySandbox::new(ShopifyConfig::default());
    let server = target_sb.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
    let out = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    match &out[2] {
        WriteOutcome::Failed { message } => assert!(
            message.contains("Price must be greater than or equal to 0"),
            "{message}"
        ),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(
        out.iter()
            .filter(|o| matches!(o, WriteOutcome::Created { .. }))
            .count(),
        5
    );
    let findings = t.take_findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].code, "image_failed");
    assert_eq!(findings[0].records[0].label, records[4].label());
    assert!(t.take_findings().is_empty(), "findings are drained");
}

#[tokio::test]
async fn rollback_leaves_the_store_as_it_was() {
    let records = source_records(8).await;
    let target_sb = ShopifySandbox::new(ShopifyConfig::default());
    target_sb.seed_customers(2);
    let before = target_sb.fingerprint();
    let server = target_sb.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
    let out = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    assert_eq!(target_sb.product_count(), 8);
    for o in &out {
        if let WriteOutcome::Created { target_id } = o {
            t.delete(Entity::Products, target_id).await.expect("delete");
            t.delete(Entity::Products, target_id)
                .await
                .expect("deleting twice is fine");
        }
    }
    assert_eq!(target_sb.fingerprint(), before);
}

#[tokio::test]
async fn a_product_the_store_already_had_is_updated_and_survives_rollback() {
    let records = source_records(5).await;
    let target_sb = ShopifySandbox::new(ShopifyConfig::default());
    target_sb.seed_products(2);
    let server = target_sb.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
    let out = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    assert!(
        matches!(out[0], WriteOutcome::Updated { .. })
            && matches!(out[1], WriteOutcome::Updated { .. }),
        "{out:?}"
    );
    assert_eq!(target_sb.product_count(), 5);
    for o in &out {
        if let WriteOutcome::Created { target_id } = o {
            t.delete(Entity::Products, target_id).await.expect("delete");
        }
    }
    assert_eq!(target_sb.product_count(), 2);
}

#[tokio::test]
async fn customers_upsert_by_email_and_a_wrong_token_is_named() {
    let (_sb, server) = seeded(0, 9).await;
    let mut src = ShopifySource::open(&spec(&server, json!({}))).expect("open");
    let (mut customers, _) = extract_all(&mut src, Entity::Customers, 50).await;
    if let Record::Customer(c) = &mut customers[5] {
        c.email = "not an email".into();
    }
    let target_sb = ShopifySandbox::new(ShopifyConfig::default());
    let tserver = target_sb.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&tserver, json!({}))).expect("open");
    let out = t
        .write_batch(Entity::Customers, &customers)
        .await
        .expect("load");
    assert!(
        matches!(&out[5], WriteOutcome::Failed { message } if message.contains("Email is invalid")),
        "{out:?}"
    );
    t.write_batch(Entity::Customers, &customers)
        .await
        .expect("again");
    assert_eq!(target_sb.customer_count(), 8);
    assert!(target_sb.creation_log().duplicates().is_empty());

    let mut bad = spec(&tserver, json!({}));
    bad.credentials
        .insert("token".into(), "STORESHIFT_TEST_SHOPIFY_WRONG".into());
    std::env::set_var("STORESHIFT_TEST_SHOPIFY_WRONG", "shpat_wrong");
    let mut t = ShopifyTarget::open(&bad).expect("open");
    let err = t
        .lookup(Entity::Customers, "a@b.co")
        .await
        .expect_err("unauthorised");
    assert!(
        err.to_string().contains("401") && err.to_string().contains("access token"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("shpat_wrong"),
        "the token is never shown"
    );
}

/// Shopify keeps a phone number on one customer. Two customers of the old store sharing one (a
/// family, a shop's own number) both arrive, in small batches and through a bulk operation:
/// the second without the phone, which its note keeps, and a finding names it.
#[tokio::test]
async fn a_customer_whose_phone_another_has_arrives_without_it() {
    let (_sb, server) = seeded(0, 6).await;
    let mut src = ShopifySource::open(&spec(&server, json!({}))).expect("open");
    let (mut customers, _) = extract_all(&mut src, Entity::Customers, 50).await;
    let shared = "+15550001234";
    for r in &mut customers {
        if let Record::Customer(c) = r {
            c.phone = Some(shared.into());
        }
    }
    for bulk_threshold in [0, 2] {
        let target_sb = ShopifySandbox::new(ShopifyConfig::default());
        let tserver = target_sb.start(0).await.expect("bind");
        let options = json!({ "bulk_threshold": bulk_threshold, "bulk_poll_ms": 10 });
        let mut t = ShopifyTarget::open(&spec(&tserver, options)).expect("open");
        let out = t
            .write_batch(Entity::Customers, &customers)
            .await
            .expect("load");
        assert!(
            out.iter()
                .all(|o| matches!(o, WriteOutcome::Created { .. })),
            "bulk threshold {bulk_threshold}: {out:?}"
        );
        let stored = target_sb.customers();
        assert_eq!(stored.len(), 6);
        let with_phone = stored.iter().filter(|c| c["phone"] == shared).count();
        assert_eq!(with_phone, 1, "bulk threshold {bulk_threshold}");
        let noted = stored
            .iter()
            .filter(|c| c["note"].as_str().is_some_and(|n| n.contains(shared)))
            .count();
        assert_eq!(noted, 5);
        let findings = t.take_findings();
        let taken = findings
            .iter()
            .filter(|f| f.code == "customer_phone_taken")
            .count();
        assert_eq!(taken, 5, "{findings:?}");
        assert!(target_sb.creation_log().duplicates().is_empty());
    }
}

/// A store whose reply leaves out a field the schema declares non-null (a variant's price):
/// the read fails naming the document and where the field is missing, instead of reading a
/// price of 0 as it once did. A nullable field answered `null` (compareAtPrice) is no error.
#[tokio::test]
async fn a_reply_without_a_non_null_field_fails_naming_the_document_and_the_field() {
    use axum::{routing::post, Json, Router};
    async fn answer(Json(body): Json<serde_json::Value>) -> Json<serde_json::Value> {
        let query = body["query"].as_str().unwrap_or_default();
        let whole = json!({ "hasNextPage": false, "endCursor": null });
        let product = |variant: serde_json::Value| {
            json!({ "id": "gid://shopify/Product/1", "handle": "hat", "title": "Hat",
                "descriptionHtml": "", "vendor": "", "productType": "", "tags": [], "status": "ACTIVE",
                "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z",
                "seo": { "title": null, "description": null },
                "options": [{ "name": "Title", "values": ["Default Title"] }],
                "variants": { "nodes": [variant], "pageInfo": whole },
                "media": { "nodes": [], "pageInfo": whole },
                "collections": { "nodes": [], "pageInfo": whole } })
        };
        let mut variant = json!({ "id": "gid://shopify/ProductVariant/1", "sku": "HAT", "barcode": null,
            "price": "12.30", "compareAtPrice": null, "inventoryQuantity": 1, "inventoryPolicy": "DENY",
            "taxable": true, "image": null, "selectedOptions": [{ "name": "Title", "value": "Default Title" }],
            "inventoryItem": { "tracked": true, "requiresShipping": true, "unitCost": null,
                               "measurement": { "weight": null } } });
        // The first product page is complete; the one after it has no price.
        let second = body["variables"]["after"].is_string();
        if second {
            variant.as_object_mut().map(|v| v.remove("price"));
        }
        Json(if query.contains("shop {") {
            json!({ "data": { "shop": { "currencyCode": "EUR" } } })
        } else {
            json!({ "data": { "products": { "nodes": [product(variant)],
                "pageInfo": { "hasNextPage": !second, "endCursor": "c1" } } } })
        })
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, Router::new().fallback(post(answer))).await;
    });
    let mut src = ShopifySource::open(&spec_at(url, json!({ "bulk_threshold": 0 }))).expect("open");
    let page = src
        .read_page(Entity::Products, None, 10)
        .await
        .expect("a complete reply reads");
    match &page.records[..] {
        [Record::Product(p)] => assert_eq!(
            p.variants[0].price.as_ref().map(|m| m.amount.to_string()),
            Some("12.30".to_string())
        ),
        other => panic!("one product expected, got {other:?}"),
    }
    let err = src
        .read_page(Entity::Products, page.next.as_ref(), 10)
        .await
        .expect_err("a reply without a price is refused");
    let text = err.to_string();
    for needle in [
        "\"list products\"",
        "products.nodes[0].variants.nodes[0]",
        "missing field `price`",
    ] {
        assert!(text.contains(needle), "{needle} not in: {text}");
    }
}

/// customerSet takes no consent: subscribers, SMS subscribers and customers who unsubscribed
/// keep their consent and its date from store to store, in small batches and through a bulk
/// operation, and a rerun sends no consent update for consent that did not change.
#[tokio::test]
async fn marketing_consent_moves_with_its_date_and_a_rerun_sends_none() {
    let (source_sb, server) = seeded(0, 12).await;
    let mut src = ShopifySource::open(&spec(&server, json!({}))).expect("open");
    let (customers, _) = extract_all(&mut src, Entity::Customers, 50).await;
    let consent_of = |c: &serde_json::Value| {
        (
            c["email"].clone(),
            c["emailMarketingConsent"]["marketingState"].clone(),
            c["emailMarketingConsent"]["consentUpdatedAt"].clone(),
            c["smsMarketingConsent"]["marketingState"].clone(),
        )
    };
    let mut expected: Vec<_> = source_sb.customers().iter().map(consent_of).collect();
    expected.sort_by_key(|c| c.0.to_string());
    let states: Vec<&str> = expected.iter().filter_map(|c| c.1.as_str()).collect();
    assert!(
        states.contains(&"SUBSCRIBED")
            && states.contains(&"UNSUBSCRIBED")
            && states.contains(&"NOT_SUBSCRIBED")
            && expected.iter().any(|c| c.3 == "SUBSCRIBED"),
        "the seeded store holds every consent: {expected:?}"
    );
    for bulk_threshold in [0, 2] {
        let target_sb = ShopifySandbox::new(ShopifyConfig::default());
        let tserver = target_sb.start(0).await.expect("bind");
        let options = json!({ "bulk_threshold": bulk_threshold, "bulk_poll_ms": 10 });
        let mut t = ShopifyTarget::open(&spec(&tserver, options)).expect("open");
        let out = t
            .write_batch(Entity::Customers, &customers)
            .await
            .expect("load");
        assert!(
            out.iter()
                .all(|o| matches!(o, WriteOutcome::Created { .. })),
            "{out:?}"
        );
        let mut got: Vec<_> = target_sb.customers().iter().map(consent_of).collect();
        got.sort_by_key(|c| c.0.to_string());
        assert_eq!(got, expected, "bulk threshold {bulk_threshold}");
        assert!(
            t.take_findings()
                .iter()
                .all(|f| !f.code.starts_with("marketing_consent")),
            "every consent was carried"
        );

        let consents = || {
            target_sb.mutations_run("customerEmailMarketingConsentUpdate")
                + target_sb.mutations_run("customerSmsMarketingConsentUpdate")
        };
        let changed = expected.iter().filter(|c| c.1 != "NOT_SUBSCRIBED").count()
            + expected.iter().filter(|c| c.3 == "SUBSCRIBED").count();
        assert_eq!(consents(), changed, "one update per consent to carry");
        let again = t
            .write_batch(Entity::Customers, &customers)
            .await
            .expect("again");
        assert!(again
            .iter()
            .all(|o| matches!(o, WriteOutcome::Updated { .. })));
        assert_eq!(consents(), changed, "the rerun sent no consent update");
        let mut after: Vec<_> = target_sb.customers().iter().map(consent_of).collect();
        after.sort_by_key(|c| c.0.to_string());
        assert_eq!(after, expected);
    }
}
