//! The BigCommerce v3 connector against the BigCommerce sandbox.

use serde_json::json;
use std::time::Duration;
use storeshift_connectors::api::bigcommerce::{BigCommerceSource, BigCommerceTarget};
use storeshift_connectors::model::{Entity, Platform, Record};
use storeshift_connectors::{EndpointSpec, Target, WriteOutcome};
use storeshift_sandbox::bigcommerce::{BigCommerceConfig, BigCommerceSandbox};
use storeshift_sandbox::{Fault, Running};

mod support;
use support::{api_spec, extract_all, quick};

fn spec(server: &Running) -> EndpointSpec {
    let token = BigCommerceConfig::default().token;
    let options = quick(json!({ "store_hash": "sandbox" }));
    let mut spec = api_spec(
        Platform::BigCommerce,
        server.url(),
        &[("token", &token)],
        options,
    );
    spec.currency = Some("USD".into());
    spec
}

fn unlimited() -> BigCommerceConfig {
    BigCommerceConfig {
        quota: 100_000,
        ..Default::default()
    }
}

async fn source_records(n: usize) -> Vec<Record> {
    let sb = BigCommerceSandbox::new(unlimited());
    sb.seed_products(n);
    let server = sb.start(0).await.expect("bind");
    let mut src = BigCommerceSource::open(&spec(&server)).expect("open");
    extract_all(&mut src, Entity::Products, 250).await.0
}

#[tokio::test]
async fn extracts_products_and_customers_through_meta_pagination() {
    let sb = BigCommerceSandbox::new(unlimited());
    sb.seed_products(23);
    sb.seed_customers(12);
    let server = sb.start(0).await.expect("bind");
    let mut src = BigCommerceSource::open(&spec(&server)).expect("open");
    let (products, pages) = extract_all(&mut src, Entity::Products, 10).await;
    assert_eq!((products.len(), pages), (23, 3));
    let Record::Product(p0) = &products[0] else {
        panic!()
    };
    assert_eq!(p0.handle, "bc-product-0");
    assert_eq!(p0.options[0].values, vec!["S", "M"]);
    assert_eq!(p0.variants[1].sku.as_deref(), Some("BC-0-M"));
    let Record::Product(p2) = &products[2] else {
        panic!()
    };
    assert_eq!(
        p2.variants[0]
            .price
            .as_ref()
            .map(|m| m.amount.to_string())
            .as_deref(),
        Some("15")
    );
    assert_eq!(
        p2.variants[0]
            .compare_at_price
            .as_ref()
            .map(|m| m.amount.to_string())
            .as_deref(),
        Some("22")
    );
    // The brand comes back through brand_id and the brands endpoint.
    assert_eq!(p0.vendor.as_deref(), Some("BC Brand"));
    let Record::Product(p1) = &products[1] else {
        panic!()
    };
    assert_eq!(p1.vendor.as_deref(), Some("Other Brand"));
    let (customers, _) = extract_all(&mut src, Entity::Customers, 5).await;
    assert_eq!(customers.len(), 12);
    let Record::Customer(c) = &customers[0] else {
        panic!()
    };
    assert_eq!(c.addresses[0].city.as_deref(), Some("Austin"));
}

#[tokio::test]
async fn loading_twice_creates_once_and_rollback_restores_the_store() {
    let records = source_records(24).await;
    let target = BigCommerceSandbox::new(unlimited());
    target.seed_customers(1);
    let before = target.fingerprint();
    let server = target.start(0).await.expect("bind");
    let mut t = BigCommerceTarget::open(&spec(&server)).expect("open");
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
    assert_eq!(target.product_count(), 24);
    assert!(target.creation_log().duplicates().is_empty());
    let found = t
        .lookup(Entity::Products, "bc-product-7")
        .await
        .expect("lookup");
    assert!(found.is_some());
    for o in &first {
        if let WriteOutcome::Created { target_id } = o {
            t.delete(Entity::Products, target_id).await.expect("delete");
        }
    }
    assert_eq!(target.fingerprint(), before);
    // The brands the load created by name outlive the products (BigCommerce keeps them too).
    assert_eq!(target.brands(), vec!["BC Brand", "Other Brand"]);
}

#[tokio::test]
async fn faults_and_a_tight_request_window_still_land_every_product_once() {
    let records = source_records(40).await;
    // 25 requests per 600 ms window: the load must wait for resets rather than hit 429s.
    let target = BigCommerceSandbox::new(BigCommerceConfig {
        quota: 25,
        window_ms: 600,
        ..Default::default()
    });
    let server = target.start(0).await.expect("bind");
    target.faults.after(&[
        (2, Fault::Status(503)),
        (4, Fault::Slow(Duration::from_millis(900))),
        (6, Fault::Reset),
        (9, Fault::MalformedJson),
        (
            12,
            Fault::TooManyRequests {
                retry_after_secs: 0.05,
            },
        ),
        (14, Fault::Status(500)),
    ]);
    let mut t = BigCommerceTarget::open(&spec(&server)).expect("open");
    let out = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    assert!(
        out.iter()
            .all(|o| matches!(o, WriteOutcome::Created { .. })),
        "{out:?}"
    );
    assert_eq!(target.faults.injected(), 6);
    assert_eq!(target.product_count(), 40);
    assert!(
        target.creation_log().duplicates().is_empty(),
        "{:?}",
        target.creation_log().duplicates()
    );
    assert_eq!(
        target.rate_limited(),
        0,
        "the client waits for the window instead of being refused"
    );
}

#[tokio::test]
async fn customers_batch_refusals_are_split_so_only_the_bad_one_fails() {
    let sb = BigCommerceSandbox::new(unlimited());
    sb.seed_customers(13);
    let server = sb.start(0).await.expect("bind");
    let mut src = BigCommerceSource::open(&spec(&server)).expect("open");
    let (mut customers, _) = extract_all(&mut src, Entity::Customers, 50).await;
    if let Record::Customer(c) = &mut customers[4] {
        c.email = "not-an-email".into();
    }
    let target = BigCommerceSandbox::new(unlimited());
    let tserver = target.start(0).await.expect("bind");
    let mut t = BigCommerceTarget::open(&spec(&tserver)).expect("open");
    let out = t
        .write_batch(Entity::Customers, &customers)
        .await
        .expect("load");
    assert!(
        matches!(&out[4], WriteOutcome::Failed { message } if message.contains("not valid")),
        "{out:?}"
    );
    assert_eq!(
        out.iter()
            .filter(|o| matches!(o, WriteOutcome::Created { .. }))
            .count(),
        12
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
        12
    );
    assert_eq!(target.customer_count(), 12);
    assert!(target.creation_log().duplicates().is_empty());
}

/// `GET /stores/sandbox/v3{path}` straight at the sandbox, as a client of the real API would.
async fn raw_get(server: &Running, path: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{}/stores/sandbox/v3{path}", server.url()))
        .header("x-auth-token", BigCommerceConfig::default().token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn the_sandbox_filters_skus_as_the_specification_says() {
    let sb = BigCommerceSandbox::new(unlimited());
    sb.seed_products(6);
    let server = sb.start(0).await.expect("bind");
    // Product 0 has options (variants BC-0-S, BC-0-M); product 1 is simple (BC-1).
    let by_main = raw_get(&server, "/catalog/products?sku:in=BC-0-S,BC-1").await;
    let names: Vec<&str> = by_main["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["BC product 1"], "sku:in matches main SKUs only");
    let v = raw_get(&server, "/catalog/variants?sku=BC-0-S").await;
    let p0 = raw_get(&server, "/catalog/products?name=BC%20product%200").await;
    assert_eq!(v["data"][0]["product_id"], p0["data"][0]["id"], "{v}");
    // A simple product has its base variant, found by its SKU too.
    let base = raw_get(&server, "/catalog/variants?sku=BC-1").await;
    assert_eq!(base["data"][0]["option_values"], json!([]));
    // brand_name is never echoed; brand_id is.
    let p = raw_get(&server, "/catalog/products?id:in=1").await;
    assert!(p["data"][0].get("brand_name").is_none(), "{p}");
    assert!(p["data"][0]["brand_id"].as_u64().unwrap() > 0, "{p}");
}

#[tokio::test]
async fn reloading_more_than_a_page_of_products_updates_every_one() {
    // 300 products, a fifth with options: more than one page (250) of look-up results.
    let records = source_records(300).await;
    let target = BigCommerceSandbox::new(unlimited());
    let server = target.start(0).await.expect("bind");
    let mut t = BigCommerceTarget::open(&spec(&server)).expect("open");
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
    let updated = second
        .iter()
        .filter(|o| matches!(o, WriteOutcome::Updated { .. }))
        .count();
    assert_eq!(
        updated,
        300,
        "{:?}",
        second
            .iter()
            .find(|o| !matches!(o, WriteOutcome::Updated { .. }))
    );
    assert_eq!(target.product_count(), 300);
    assert!(target.creation_log().duplicates().is_empty());
    // The same ids: an update lands on the product the first load created.
    let ids = |out: &[WriteOutcome]| -> Vec<String> {
        out.iter()
            .map(|o| match o {
                WriteOutcome::Created { target_id } | WriteOutcome::Updated { target_id } => {
                    target_id.clone()
                }
                WriteOutcome::Failed { message } => panic!("{message}"),
            })
            .collect()
    };
    assert_eq!(ids(&first), ids(&second));
}

#[tokio::test]
async fn what_bigcommerce_would_refuse_is_refused_before_sending() {
    let mut records = source_records(2).await;
    if let Record::Product(p) = &mut records[1] {
        p.variants[0].sku = Some("S".repeat(256));
    }
    let target = BigCommerceSandbox::new(unlimited());
    let server = target.start(0).await.expect("bind");
    let mut t = BigCommerceTarget::open(&spec(&server)).expect("open");
    let out = t
        .write_batch(Entity::Products, &records)
        .await
        .expect("load");
    assert!(matches!(&out[0], WriteOutcome::Created { .. }), "{out:?}");
    assert!(
        matches!(&out[1], WriteOutcome::Failed { message } if message.contains("at most 255")),
        "{out:?}"
    );
    assert_eq!(target.product_count(), 1);
}

/// A store whose products sit in a nested tree: Clothing > Shirts > Linen, Clothing > Hats,
/// Sale; product i is in one or two of them.
fn categorized_source(n: usize) -> BigCommerceSandbox {
    let sb = BigCommerceSandbox::new(unlimited());
    sb.seed_products(n);
    let linen = sb.seed_category(&["Clothing", "Shirts", "Linen"]);
    let hats = sb.seed_category(&["Clothing", "Hats"]);
    let sale = sb.seed_category(&["Sale"]);
    for i in 0..n {
        let cats = match i % 3 {
            0 => vec![linen, sale],
            1 => vec![hats],
            _ => vec![],
        };
        sb.categorize(&format!("BC product {i}"), &cats);
    }
    sb
}

#[tokio::test]
async fn a_category_tree_lands_parents_first_and_once_through_faults() {
    let source = categorized_source(9);
    let sserver = source.start(0).await.expect("bind");
    let mut src = BigCommerceSource::open(&spec(&sserver)).expect("open");
    // Two per page: the tree is paged parents first all the same.
    let (cats, pages) = extract_all(&mut src, Entity::Categories, 2).await;
    assert_eq!(pages, 3);
    let paths: Vec<String> = cats.iter().map(|r| r.label()).collect();
    assert_eq!(
        paths,
        [
            "Clothing",
            "Sale",
            "Clothing > Shirts",
            "Clothing > Hats",
            "Clothing > Shirts > Linen"
        ]
    );
    let (products, _) = extract_all(&mut src, Entity::Products, 4).await;

    let target = BigCommerceSandbox::new(unlimited());
    let server = target.start(0).await.expect("bind");
    // An unanswered create (Slow beyond the timeout, Reset) must be looked up, not repeated.
    target.faults.after(&[
        (3, Fault::Slow(Duration::from_millis(900))),
        (6, Fault::Reset),
        (9, Fault::Status(503)),
    ]);
    let mut t = BigCommerceTarget::open(&spec(&server)).expect("open");
    // Products first: their categories are made on the way, then the category records
    // find them in place.
    for round in 0..2 {
        let out = t
            .write_batch(Entity::Products, &products)
            .await
            .expect("products");
        assert!(
            out.iter()
                .all(|o| !matches!(o, WriteOutcome::Failed { .. })),
            "round {round}: {out:?}"
        );
        let out = t
            .write_batch(Entity::Categories, &cats)
            .await
            .expect("categories");
        assert!(
            out.iter()
                .all(|o| matches!(o, WriteOutcome::Updated { .. })),
            "round {round}: {out:?}"
        );
    }
    assert_eq!(target.category_paths(), source.category_paths());
    assert_eq!(target.product_categories(), source.product_categories());
    assert!(
        target.creation_log().duplicates().is_empty(),
        "{:?}",
        target.creation_log().duplicates()
    );
    assert_eq!(target.faults.injected(), 3);
}

#[tokio::test]
async fn the_sandbox_serves_category_trees_as_the_specification_says() {
    let sb = categorized_source(3);
    let server = sb.start(0).await.expect("bind");
    let trees = raw_get(&server, "/catalog/trees").await;
    assert_eq!(trees["data"][0]["channels"], json!([1]), "{trees}");
    let tree = trees["data"][0]["id"].as_u64().expect("tree id");
    let page = raw_get(
        &server,
        &format!("/catalog/trees/categories?tree_id:in={tree}&limit=2&page=2"),
    )
    .await;
    let p = &page["meta"]["pagination"];
    assert_eq!(
        (
            p["total"].as_u64(),
            p["current_page"].as_u64(),
            p["total_pages"].as_u64()
        ),
        (Some(5), Some(2), Some(3)),
        "{page}"
    );
    let shirts = raw_get(&server, "/catalog/trees/categories?name=Shirts").await;
    assert_eq!(
        shirts["data"][0]["url"]["path"], "/clothing/shirts/",
        "{shirts}"
    );
    let post = |body: serde_json::Value| {
        let url = format!(
            "{}/stores/sandbox/v3/catalog/trees/categories",
            server.url()
        );
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .header("x-auth-token", BigCommerceConfig::default().token)
                .json(&body)
                .send()
                .await
                .expect("post");
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.expect("json"))
        }
    };
    // A missing name and a missing place in the tree are refused with 422, in the
    // document's ErrorResponse shape.
    let (status, body) = post(json!([{ "tree_id": tree, "parent_id": 0 }])).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"]["status"], 422, "{body}");
    assert!(body["errors"]["errors"]["0.name"].is_string(), "{body}");
    assert_eq!(body["meta"]["failed"], 1, "{body}");
    let (status, body) = post(json!([{ "name": "Orphan" }])).await;
    assert_eq!(status, 422, "{body}");
    // A sibling's name is taken; the same name under another parent is not.
    let (status, _) = post(json!([{ "name": "sale", "tree_id": tree, "parent_id": 0 }])).await;
    assert_eq!(status, 422);
    let (status, body) = post(
        json!([{ "name": "Sale", "tree_id": tree, "parent_id": shirts["data"][0]["category_id"] }]),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["data"][0]["url"]["path"], "/clothing/shirts/sale/",
        "{body}"
    );
}

fn product_named<'a>(
    records: &'a mut [Record],
    name: &str,
) -> &'a mut storeshift_connectors::model::Product {
    records
        .iter_mut()
        .find_map(|r| match r {
            Record::Product(p) if p.title == name => Some(p),
            _ => None,
        })
        .expect("the product")
}

#[tokio::test]
async fn custom_fields_and_variant_images_travel_and_updates_change_fields_in_place() {
    // Products 0 and 4 have custom fields; product 0 has options, its S variant an image.
    let mut records = source_records(5).await;
    let p0 = product_named(&mut records, "BC product 0");
    assert_eq!(
        p0.attributes
            .get("bigcommerce.custom_field:Material")
            .map(String::as_str),
        Some("Wool 0")
    );
    assert_eq!(
        p0.variants[0].image.as_deref(),
        Some("https://cdn.example.com/bc/0-s.jpg")
    );
    let target = BigCommerceSandbox::new(unlimited());
    let server = target.start(0).await.expect("bind");
    let mut t = BigCommerceTarget::open(&spec(&server)).expect("open");
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
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        target.custom_fields("BC product 0"),
        pairs(&[("Care", "Hand wash"), ("Material", "Wool 0")])
    );
    // The source changes a field and gains one (a WooCommerce attribute shape, too).
    let p0 = product_named(&mut records, "BC product 0");
    p0.attributes
        .insert("bigcommerce.custom_field:Material".into(), "Linen".into());
    p0.attributes
        .insert("woo:attribute:Fit".into(), "Slim".into());
    for _ in 0..2 {
        let again = t
            .write_batch(Entity::Products, &records)
            .await
            .expect("again");
        assert!(
            again
                .iter()
                .all(|o| matches!(o, WriteOutcome::Updated { .. })),
            "{again:?}"
        );
        // Changed in place, added once: a rerun adds nothing.
        assert_eq!(
            target.custom_fields("BC product 0"),
            pairs(&[
                ("Care", "Hand wash"),
                ("Material", "Linen"),
                ("Fit", "Slim")
            ])
        );
    }
    assert_eq!(
        target.custom_fields("BC product 4"),
        pairs(&[("Care", "Hand wash"), ("Material", "Wool 4")])
    );
    // Read back from the new store: the variant keeps its own image, the fields come back.
    let mut src = BigCommerceSource::open(&spec(&server)).expect("open");
    let mut back = extract_all(&mut src, Entity::Products, 50).await.0;
    let p0 = product_named(&mut back, "BC product 0");
    assert_eq!(
        p0.variants[0].image.as_deref(),
        Some("https://cdn.example.com/bc/0-s.jpg")
    );
    assert_eq!(
        p0.attributes
            .get("bigcommerce.custom_field:Fit")
            .map(String::as_str),
        Some("Slim")
    );
}
