//! Bulk work through the Shopify connector and sandbox: staged JSONL + bulkOperationRunMutation
//! for big batches, bulkOperationRunQuery for big catalogs, redirect imports, with faults, a
//! bulk operation that fails halfway and a run that stops while one is running.

use serde_json::json;
use std::time::{Duration, Instant};
use storeshift_connectors::api::shopify::{ShopifySource, ShopifyTarget};
use storeshift_connectors::model::*;
use storeshift_connectors::{EndpointSpec, Source, Target, WriteOutcome};
use storeshift_sandbox::shopify::{ShopifyConfig, ShopifySandbox};
use storeshift_sandbox::{Fault, Running};

mod support;
use support::{api_spec, quick};

fn spec(server: &Running, extra: serde_json::Value) -> EndpointSpec {
    let token = ShopifyConfig::default().token;
    let mut options =
        quick(json!({ "timeout_ms": 1500, "bulk_poll_ms": 20, "bulk_threshold": 100 }));
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

fn roomy() -> ShopifySandbox {
    ShopifySandbox::new(ShopifyConfig {
        bucket: 1_000_000.0,
        restore_rate: 1_000_000.0,
        ..Default::default()
    })
}

fn product(i: usize) -> Record {
    let usd = |cents: i64| Money::new(rust_decimal::Decimal::new(cents, 2), "USD");
    Record::Product(Product {
        source: SourceRef::new(format!("p{i}")),
        handle: format!("bulk-product-{i}"),
        title: format!("Bulk product {i}"),
        body_html: format!("<p>Number {i}</p>"),
        vendor: Some("Bulk Co".into()),
        tags: vec!["bulk".into()],
        options: if i.is_multiple_of(2) {
            vec![ProductOption {
                name: "Size".into(),
                values: vec!["S".into(), "M".into()],
            }]
        } else {
            vec![]
        },
        variants: if i.is_multiple_of(2) {
            ["S", "M"]
                .iter()
                .enumerate()
                .map(|(j, s)| Variant {
                    sku: Some(format!("BULK-{i}-{s}")),
                    price: Some(usd(1000 + j as i64)),
                    inventory: Some(3),
                    option_values: vec![s.to_string()],
                    requires_shipping: true,
                    taxable: true,
                    ..Default::default()
                })
                .collect()
        } else {
            vec![Variant {
                sku: Some(format!("BULK-{i}")),
                price: Some(usd(999)),
                requires_shipping: true,
                taxable: true,
                ..Default::default()
            }]
        },
        images: vec![Image {
            src: format!("https://cdn.example.com/bulk/{i}.jpg"),
            alt: None,
            position: 1,
        }],
        ..Default::default()
    })
}

fn count(out: &[WriteOutcome], f: impl Fn(&WriteOutcome) -> bool) -> usize {
    out.iter().filter(|o| f(o)).count()
}

fn is_created(o: &WriteOutcome) -> bool {
    matches!(o, WriteOutcome::Created { .. })
}

fn is_updated(o: &WriteOutcome) -> bool {
    matches!(o, WriteOutcome::Updated { .. })
}

/// Waits (polling, with a deadline) until `cond` holds.
async fn until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_big_batch_goes_through_one_bulk_mutation_with_faults_and_lands_once() {
    let sb = roomy();
    let server = sb.start(0).await.expect("bind");
    let records: Vec<Record> = (0..3000).map(product).collect();
    let mut t =
        ShopifyTarget::open(&spec(&server, json!({ "bulk_threshold": 1000 }))).expect("open");
    // 30 lookups, then: location, staged target, upload, current operation, run, polls,
    // download. Faults across that whole stretch hit every step of the bulk path.
    let kinds = [
        Fault::Status(503),
        Fault::Reset,
        Fault::MalformedJson,
        Fault::TooManyRequests {
            retry_after_secs: 0.01,
        },
        Fault::GraphqlError,
        Fault::Slow(Duration::from_millis(1800)),
        Fault::Status(500),
    ];
    let script: Vec<(u64, Fault)> = (0..21)
        .map(|i| (3 + 2 * i as u64, kinds[i % kinds.len()].clone()))
        .collect();
    sb.faults.after(&script);
    let out = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    assert_eq!(
        count(&out, is_created),
        3000,
        "{:?}",
        out.iter().find(|o| !is_created(o))
    );
    assert_eq!(sb.faults.injected(), 21, "every scripted fault fired");
    assert_eq!(sb.product_count(), 3000);
    assert!(
        sb.creation_log().duplicates().is_empty(),
        "{:?}",
        sb.creation_log().duplicates()
    );
    let ops = sb.bulk_operations();
    assert_eq!(
        ops,
        vec![("MUTATION".to_string(), "COMPLETED".to_string())],
        "one bulk mutation, never two"
    );
    let stored = sb.products();
    let p = stored
        .iter()
        .find(|p| p["handle"] == "bulk-product-42")
        .expect("stored");
    assert_eq!(
        p["variants"]["__connection"].as_array().map(Vec::len),
        Some(2)
    );

    let again = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("again");
    assert_eq!(count(&again, is_updated), 3000);
    assert_eq!(sb.product_count(), 3000);
    assert!(sb.creation_log().duplicates().is_empty());
}

#[tokio::test]
async fn a_record_shopify_rejects_in_a_bulk_fails_alone_with_its_message() {
    let sb = roomy();
    let server = sb.start(0).await.expect("bind");
    let mut records: Vec<Record> = (0..150).map(product).collect();
    if let Record::Product(p) = &mut records[77] {
        p.variants[0].price = Some(Money::new(rust_decimal::Decimal::new(-1, 0), "USD"));
    }
    if let Record::Product(p) = &mut records[90] {
        p.images[0].src = "https://img.invalid/unreachable.jpg".into();
    }
    let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
    let out = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    match &out[77] {
        WriteOutcome::Failed { message } => {
            assert!(
                message.contains("Price must be greater than or equal to 0"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&out, is_created), 149);
    let findings = t.take_findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].code, "image_failed");
    assert_eq!(sb.bulk_operations().len(), 1);
}

#[tokio::test]
async fn a_bulk_operation_that_fails_halfway_is_finished_record_by_record() {
    let sb = roomy();
    let server = sb.start(0).await.expect("bind");
    sb.fail_next_bulk_mutations(1);
    let records: Vec<Record> = (0..400).map(product).collect();
    let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
    let out = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    assert_eq!(
        count(&out, is_created),
        400,
        "created by the bulk or after it, each says so"
    );
    assert_eq!(
        sb.bulk_operations(),
        vec![("MUTATION".to_string(), "FAILED".to_string())]
    );
    assert_eq!(sb.product_count(), 400);
    assert!(sb.creation_log().duplicates().is_empty());
    for o in &out {
        if let WriteOutcome::Created { target_id } = o {
            t.delete(Entity::Products, target_id).await.expect("delete");
        }
    }
    assert_eq!(
        sb.product_count(),
        0,
        "rollback finds every created product"
    );
}

#[tokio::test]
async fn customers_load_in_bulk_by_email() {
    let from = roomy();
    from.seed_customers(300);
    let from_server = from.start(0).await.expect("bind");
    let mut src =
        ShopifySource::open(&spec(&from_server, json!({ "bulk_threshold": 0 }))).expect("open");
    let mut customers = vec![];
    let mut cursor = None;
    loop {
        let page = src
            .read_page(Entity::Customers, cursor.as_ref(), 250)
            .await
            .expect("page");
        customers.extend(page.records);
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(customers.len(), 300);
    assert!(
        from.bulk_operations().is_empty(),
        "bulk_threshold 0 turns bulk off"
    );
    let to = roomy();
    let to_server = to.start(0).await.expect("bind");
    let mut t = ShopifyTarget::open(&spec(&to_server, json!({}))).expect("open");
    let out = t
        .write_batch(Entity::Customers, &customers)
        .await
        .expect("load");
    assert_eq!(count(&out, is_created), 300);
    assert_eq!(to.customer_count(), 300);
    assert_eq!(to.bulk_operations().len(), 1);
    let again = t
        .write_batch(Entity::Customers, &customers)
        .await
        .expect("again");
    assert_eq!(count(&again, is_updated), 300);
    assert!(to.creation_log().duplicates().is_empty());
}

#[tokio::test]
async fn a_run_stopped_during_a_bulk_is_reconciled_by_lookup() {
    let sb = roomy();
    let server = sb.start(0).await.expect("bind");
    let records: Vec<Record> = (0..2000).map(product).collect();
    let s = spec(&server, json!({}));
    let mut t = ShopifyTarget::open(&s).expect("open");
    let batch = records.clone();
    let run = tokio::spawn(async move { t.write_batch(Entity::Products, &batch).await });
    until("the bulk mutation to start", || {
        !sb.bulk_operations().is_empty()
    })
    .await;
    // The process dies: its intents are pending, the operation goes on without it.
    run.abort();
    until("the bulk mutation to finish", || {
        sb.bulk_operations().iter().all(|(_, st)| st == "COMPLETED")
    })
    .await;
    let mut resumed = ShopifyTarget::open(&s).expect("open");
    for r in records.iter().step_by(97) {
        let found = resumed
            .lookup(Entity::Products, &r.external_key())
            .await
            .expect("lookup");
        assert!(
            found.is_some(),
            "{} was written by the bulk",
            r.external_key()
        );
    }
    // The resumed run writes the batch again: every product is found and updated.
    let out = resumed
        .write_batch(Entity::Products, &records)
        .await
        .expect("again");
    assert_eq!(count(&out, is_updated), 2000);
    assert_eq!(sb.product_count(), 2000);
    assert!(sb.creation_log().duplicates().is_empty());
}

#[tokio::test]
async fn a_big_catalog_is_read_through_one_bulk_query_and_resumes_from_its_cursor() {
    let sb = roomy();
    sb.seed_products(450);
    let server = sb.start(0).await.expect("bind");
    let s = spec(&server, json!({ "bulk_threshold": 400 }));
    let mut src = ShopifySource::open(&s).expect("open");
    // The first page is empty: its cursor names the operation, saved before anything is read.
    let started = src
        .read_page(Entity::Products, None, 100)
        .await
        .expect("start");
    assert!(started.records.is_empty());
    let op = started.next.clone().expect("the operation's cursor");
    assert!(op["bulk_op"]
        .as_str()
        .is_some_and(|id| id.starts_with("gid://shopify/BulkOperation/")));
    let first = src
        .read_page(Entity::Products, Some(&op), 100)
        .await
        .expect("page");
    assert_eq!(first.records.len(), 100);
    assert_eq!(
        sb.bulk_operations(),
        vec![("QUERY".to_string(), "COMPLETED".to_string())]
    );
    let cursor = first.next.clone().expect("more");
    // Another process picks the cursor up: it downloads the same result file again.
    let mut again = ShopifySource::open(&s).expect("open");
    let mut rest = vec![];
    let mut c = Some(cursor);
    while let Some(cur) = c {
        let page = again
            .read_page(Entity::Products, Some(&cur), 100)
            .await
            .expect("page");
        rest.extend(page.records);
        c = page.next;
    }
    let all: Vec<&Record> = first.records.iter().chain(&rest).collect();
    assert_eq!(all.len(), 450);
    assert_eq!(
        sb.bulk_operations().len(),
        1,
        "the resumed read did not query again"
    );
    let mut paged =
        ShopifySource::open(&spec(&server, json!({ "bulk_threshold": 0 }))).expect("open");
    let mut expected = vec![];
    let mut c = None;
    loop {
        let page = paged
            .read_page(Entity::Products, c.as_ref(), 250)
            .await
            .expect("page");
        expected.extend(page.records);
        match page.next {
            Some(n) => c = Some(n),
            None => break,
        }
    }
    assert_eq!(expected.len(), 450);
    for (a, b) in all.iter().zip(&expected) {
        assert_eq!(*a, b, "bulk and paged reads give the same products");
    }
    let Record::Product(p0) = all[0] else {
        panic!("not a product")
    };
    assert_eq!(p0.variants.len(), 4);
    assert_eq!(p0.images.len(), 1);
}

#[tokio::test]
async fn many_redirects_go_through_a_redirect_import() {
    let sb = roomy();
    sb.seed_redirects(3);
    let server = sb.start(0).await.expect("bind");
    let mut reds: Vec<Record> = (0..500)
        .map(|i| {
            Record::Redirect(Redirect {
                source: SourceRef::new(format!("r{i}")),
                from: format!("/old/{i}"),
                to: format!("/pages/new-{i}"),
            })
        })
        .collect();
    if let Record::Redirect(r) = &mut reds[250] {
        r.to = r.from.clone();
    }
    sb.faults.after(&[
        (12, Fault::Status(503)),
        (14, Fault::Reset),
        (16, Fault::MalformedJson),
        (18, Fault::GraphqlError),
    ]);
    let mut t = ShopifyTarget::open(&spec(&server, json!({}))).expect("open");
    let out = t.write_batch(Entity::Redirects, &reds).await.expect("load");
    assert_eq!(sb.redirect_imports(), 1);
    assert_eq!(
        count(&out, is_updated),
        3,
        "the store's own /old/0..2 are updated"
    );
    assert_eq!(count(&out, is_created), 496);
    assert!(
        matches!(&out[250], WriteOutcome::Failed { message } if message.contains("same path")),
        "{:?}",
        out[250]
    );
    assert_eq!(sb.redirect_count(), 499);
    let again = t
        .write_batch(Entity::Redirects, &reds)
        .await
        .expect("again");
    assert_eq!(count(&again, is_updated), 499);
    assert_eq!(sb.redirect_count(), 499);
    assert!(sb.creation_log().duplicates().is_empty());
}

/// A raw Admin API call, for what the connector never does on purpose.
async fn graphql(server: &Running, query: &str, variables: serde_json::Value) -> serde_json::Value {
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

#[tokio::test]
async fn a_shop_runs_one_bulk_mutation_at_a_time_and_a_second_loader_waits() {
    let sb = roomy();
    let server = sb.start(0).await.expect("bind");
    sb.hold_bulk_mutations(true);
    let a: Vec<Record> = (0..300).map(product).collect();
    let b: Vec<Record> = (300..600).map(product).collect();
    let s = spec(&server, json!({}));
    let mut ta = ShopifyTarget::open(&s).expect("open");
    let first = tokio::spawn(async move { ta.write_batch(Entity::Products, &a).await });
    until("the first bulk mutation to run", || {
        sb.bulk_operations() == vec![("MUTATION".to_string(), "RUNNING".to_string())]
    })
    .await;
    // Shopify's rule, asked directly: a second bulk mutation is refused while one runs.
    let staged = graphql(
        &server,
        "mutation { stagedUploadsCreate(input: [{ resource: BULK_MUTATION_VARIABLES, filename: \"v.jsonl\", mimeType: \"text/jsonl\", httpMethod: POST }]) { stagedTargets { parameters { name value } } } }",
        json!({}),
    )
    .await;
    let key = staged
        .pointer("/data/stagedUploadsCreate/stagedTargets/0/parameters")
        .and_then(|p| p.as_array())
        .and_then(|p| p.iter().find(|x| x["name"] == "key"))
        .and_then(|x| x["value"].as_str())
        .expect("key")
        .to_string();
    let form = format!("--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n{key}\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"v.jsonl\"\r\n\r\n{{}}\n\r\n--B--\r\n");
    let up = reqwest::Client::new()
        .post(format!("{}/shopify-staged-uploads/", server.url()))
        .header("content-type", "multipart/form-data; boundary=B")
        .body(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(up.status().as_u16(), 201);
    let refused = graphql(
        &server,
        "mutation($p: String!) { bulkOperationRunMutation(mutation: \"mutation call($input: CustomerSetInput!) { customerSet(input: $input) { customer { id } } }\", stagedUploadPath: $p) { bulkOperation { id } userErrors { code message } } }",
        json!({ "p": key }),
    )
    .await;
    assert_eq!(
        refused.pointer("/data/bulkOperationRunMutation/userErrors/0/code"),
        Some(&json!("OPERATION_IN_PROGRESS")),
        "{refused}"
    );
    let mut tb = ShopifyTarget::open(&s).expect("open");
    let second = tokio::spawn(async move { tb.write_batch(Entity::Products, &b).await });
    sb.hold_bulk_mutations(false);
    let oa = first.await.expect("join").expect("a");
    let ob = second.await.expect("join").expect("b");
    assert_eq!(count(&oa, is_created) + count(&ob, is_created), 600);
    assert_eq!(
        sb.bulk_operations(),
        vec![
            ("MUTATION".to_string(), "COMPLETED".to_string()),
            ("MUTATION".to_string(), "COMPLETED".to_string())
        ],
        "the second loader waited for the first instead of failing"
    );
    assert_eq!(sb.product_count(), 600);
    assert!(sb.creation_log().duplicates().is_empty());
}
