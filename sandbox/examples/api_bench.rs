//! API load benchmarks against the sandboxes, printing figures:
//!
//! ```text
//! cargo run --release -p storeshift-sandbox --example api_bench -- [shopify|woocommerce|both] [--seconds 60] [--products 20000]
//! ```
//!
//! Shopify: a store restoring 100 points/s with a 2,000-point bucket; the load runs for the
//! given seconds and reports the share of available points spent, failed records and throttled
//! replies (in the first 5 seconds and after). Then the same store and budget loaded through
//! bulk mutations (staged JSONL, batches of 2,000), which do not draw on the bucket per record:
//! products/s and points spent. WooCommerce: products/s through `/batch`.

use serde_json::json;
use std::collections::BTreeMap;
use std::time::Instant;
use storeshift_connectors::api::shopify::ShopifyTarget;
use storeshift_connectors::api::woocommerce::WooTarget;
use storeshift_connectors::model::*;
use storeshift_connectors::{EndpointKind, EndpointSpec, Target, WriteOutcome};
use storeshift_sandbox::shopify::{ShopifyConfig, ShopifySandbox};
use storeshift_sandbox::woocommerce::{WooConfig, WooSandbox};

fn product(i: usize) -> Record {
    let usd = |cents: i64| Money::new(rust_decimal::Decimal::new(cents, 2), "USD");
    Record::Product(Product {
        source: SourceRef::new(format!("bench-{i}")),
        handle: format!("bench-product-{i}"),
        title: format!("Bench product {i}"),
        body_html: format!(
            "<p>Benchmark product number {i}, with a description of ordinary length.</p>"
        ),
        vendor: Some("Bench Co".into()),
        product_type: Some("Widget".into()),
        tags: vec!["bench".into(), format!("batch-{}", i / 100)],
        variants: vec![Variant {
            sku: Some(format!("BENCH-{i}")),
            price: Some(usd(1999 + i as i64 % 500)),
            compare_at_price: Some(usd(2999)),
            inventory: Some((i % 40) as i64),
            weight: Some(Weight {
                value: rust_decimal::Decimal::new(250, 0),
                unit: WeightUnit::G,
            }),
            requires_shipping: true,
            taxable: true,
            ..Default::default()
        }],
        images: vec![Image {
            src: format!("https://cdn.example.com/bench/{i}.jpg"),
            alt: Some(format!("Bench {i}")),
            position: 1,
        }],
        ..Default::default()
    })
}

fn spec(platform: Platform, url: String, credentials: &[(&str, &str)]) -> EndpointSpec {
    EndpointSpec {
        platform,
        kind: EndpointKind::Api,
        path: None,
        files: BTreeMap::new(),
        url: Some(url),
        credentials: credentials
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        currency: Some("USD".into()),
        encoding: None,
        timezone: None,
        options: BTreeMap::new(),
        mapping: None,
    }
}

async fn shopify(seconds: f64) {
    let sb = ShopifySandbox::new(ShopifyConfig {
        restore_rate: 100.0,
        bucket: 2000.0,
        ..Default::default()
    });
    let server = sb.start(0).await.expect("bind 127.0.0.1");
    std::env::set_var("STORESHIFT_BENCH_SHOPIFY_TOKEN", sb.config().token.clone());
    let mut options = spec(
        Platform::Shopify,
        server.url(),
        &[("token", "STORESHIFT_BENCH_SHOPIFY_TOKEN")],
    );
    options.options.insert("plan".into(), json!("standard"));
    let mut target = ShopifyTarget::open(&options).expect("open");
    let start = Instant::now();
    let mut throttled_early = None;
    let (mut written, mut failed, mut i) = (0usize, 0usize, 0usize);
    while start.elapsed().as_secs_f64() < seconds {
        let batch: Vec<Record> = (i..i + 10).map(product).collect();
        i += 10;
        for o in target
            .write_batch(Entity::Products, &batch)
            .await
            .expect("write")
        {
            match o {
                WriteOutcome::Failed { .. } => failed += 1,
                _ => written += 1,
            }
        }
        if throttled_early.is_none() && start.elapsed().as_secs_f64() >= 5.0 {
            throttled_early = Some(sb.cost_stats().throttled);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cost = sb.cost_stats();
    // Points the store made available over the run: the full bucket plus what it restored.
    let available = 2000.0 + 100.0 * sb.uptime();
    let early = throttled_early.unwrap_or(cost.throttled);
    println!(
        "shopify: {elapsed:.1} s, {written} products written, {failed} failed, {} requests",
        cost.requests
    );
    println!(
        "shopify: points spent {:.0} of {:.0} available = {:.1}%",
        cost.points_spent,
        available,
        100.0 * cost.points_spent / available
    );
    println!(
        "shopify: throttled replies: {early} in the first 5 s, {} after",
        cost.throttled - early
    );
    println!("shopify: client stats {:?}", target.api_stats());
    println!("shopify: duplicates {:?}", sb.creation_log().duplicates());
    shopify_bulk(seconds).await;
}

/// The same budget, loading through bulk mutations: the per-record cost moves off the bucket
/// (only lookups, staging and polling are charged), so throughput is bound by the store.
async fn shopify_bulk(seconds: f64) {
    let sb = ShopifySandbox::new(ShopifyConfig {
        restore_rate: 100.0,
        bucket: 2000.0,
        ..Default::default()
    });
    let server = sb.start(0).await.expect("bind 127.0.0.1");
    std::env::set_var("STORESHIFT_BENCH_SHOPIFY_TOKEN", sb.config().token.clone());
    let mut s = spec(
        Platform::Shopify,
        server.url(),
        &[("token", "STORESHIFT_BENCH_SHOPIFY_TOKEN")],
    );
    s.options.insert("plan".into(), json!("standard"));
    s.options.insert("bulk_poll_ms".into(), json!(200));
    let mut target = ShopifyTarget::open(&s).expect("open");
    let start = Instant::now();
    let (mut written, mut failed, mut i) = (0usize, 0usize, 0usize);
    while start.elapsed().as_secs_f64() < seconds {
        let batch: Vec<Record> = (i..i + 2000).map(product).collect();
        i += 2000;
        for o in target
            .write_batch(Entity::Products, &batch)
            .await
            .expect("write")
        {
            match o {
                WriteOutcome::Failed { .. } => failed += 1,
                _ => written += 1,
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cost = sb.cost_stats();
    println!(
        "shopify bulk: {elapsed:.1} s, {written} products written = {:.0} products/s, {failed} failed, {} bulk operations, {} requests",
        written as f64 / elapsed,
        sb.bulk_operations().len(),
        cost.requests
    );
    println!(
        "shopify bulk: points spent {:.0} of {:.0} available, throttled replies {}",
        cost.points_spent,
        2000.0 + 100.0 * sb.uptime(),
        cost.throttled
    );
    println!(
        "shopify bulk: duplicates {:?}",
        sb.creation_log().duplicates()
    );
}

async fn woocommerce(products: usize) {
    let sb = WooSandbox::new(WooConfig::default());
    let server = sb.start(0).await.expect("bind 127.0.0.1");
    std::env::set_var("STORESHIFT_BENCH_WOO_KEY", sb.config().consumer_key.clone());
    std::env::set_var(
        "STORESHIFT_BENCH_WOO_SECRET",
        sb.config().consumer_secret.clone(),
    );
    let s = spec(
        Platform::WooCommerce,
        server.url(),
        &[
            ("consumer_key", "STORESHIFT_BENCH_WOO_KEY"),
            ("consumer_secret", "STORESHIFT_BENCH_WOO_SECRET"),
        ],
    );
    let mut target = WooTarget::open(&s).expect("open");
    let records: Vec<Record> = (0..products).map(product).collect();
    let start = Instant::now();
    let mut failed = 0;
    for batch in records.chunks(100) {
        failed += target
            .write_batch(Entity::Products, batch)
            .await
            .expect("write")
            .iter()
            .filter(|o| matches!(o, WriteOutcome::Failed { .. }))
            .count();
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "woocommerce: {products} products in {elapsed:.2} s = {:.0} products/s, {failed} failed, {} in store, duplicates {:?}",
        products as f64 / elapsed,
        sb.product_count(),
        sb.creation_log().duplicates()
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().cloned().unwrap_or_else(|| "both".into());
    let arg = |name: &str, default: f64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let seconds = arg("--seconds", 60.0);
    let products = arg("--products", 20_000.0) as usize;
    if which == "shopify" || which == "both" {
        shopify(seconds).await;
    }
    if which == "woocommerce" || which == "both" {
        woocommerce(products).await;
    }
}
