//! What a sync cycle reads per change: a WooCommerce sandbox of 100,000 products (every fourth
//! variable, with three variations), then 10, 1,000 and 10,000 of them changed through the
//! API's `/products/batch`, each round read back through the WooCommerce source's
//! `read_changed` (`modified_after`, the window starting at the second the round began, as a
//! cycle's would with no overlap). Prints records read per change and the requests it took;
//! asserts nothing.
//!
//! ```text
//! cargo run --release -p storeshift-sandbox --example sync_bench -- [--products 100000]
//! ```

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use storeshift_connectors::api::woocommerce::WooSource;
use storeshift_connectors::model::*;
use storeshift_connectors::{EndpointKind, EndpointSpec, Source};
use storeshift_sandbox::woocommerce::{WooConfig, WooSandbox};

/// Sleeps into the next whole second, and returns it (RFC 3339, UTC): changes made after this
/// carry a modification time at or after it, everything before carries an earlier one.
async fn next_second() -> String {
    let now = chrono::Utc::now();
    let wait = 1_000 - u64::from(now.timestamp_subsec_millis()) + 1_000;
    tokio::time::sleep(Duration::from_millis(wait)).await;
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let products: usize = args
        .iter()
        .position(|a| a == "--products")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let sb = WooSandbox::new(WooConfig::default());
    let t = Instant::now();
    sb.seed_products(products);
    println!(
        "seeded {products} products in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let server = sb.start(0).await.expect("bind 127.0.0.1");
    let url = server.url();
    std::env::set_var("STORESHIFT_BENCH_WOO_KEY", sb.config().consumer_key.clone());
    std::env::set_var(
        "STORESHIFT_BENCH_WOO_SECRET",
        sb.config().consumer_secret.clone(),
    );
    let spec = EndpointSpec {
        platform: Platform::WooCommerce,
        kind: EndpointKind::Api,
        path: None,
        files: BTreeMap::new(),
        url: Some(url.clone()),
        credentials: [
            ("consumer_key", "STORESHIFT_BENCH_WOO_KEY"),
            ("consumer_secret", "STORESHIFT_BENCH_WOO_SECRET"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        currency: Some("USD".into()),
        encoding: None,
        timezone: None,
        options: BTreeMap::new(),
        mapping: None,
    };
    let creds = format!(
        "consumer_key={}&consumer_secret={}",
        sb.config().consumer_key,
        sb.config().consumer_secret
    );
    let http = reqwest::Client::new();
    let ids: Vec<u64> = sb
        .products()
        .iter()
        .filter_map(|p| p["id"].as_u64())
        .collect();
    println!("changes  read  read/change  requests  seconds");
    for (round, changes) in [10usize, 1_000, 10_000].into_iter().enumerate() {
        let since = next_second().await;
        // Spread over the store, a different slice each round.
        let step = (ids.len() / changes.max(1)).max(1);
        let picked: Vec<u64> = ids
            .iter()
            .skip(round)
            .step_by(step)
            .take(changes)
            .copied()
            .collect();
        for chunk in picked.chunks(100) {
            let update: Vec<Value> = chunk
                .iter()
                .map(|id| json!({ "id": id, "name": format!("Changed in round {round}: {id}") }))
                .collect();
            let r = http
                .post(format!("{url}/wp-json/wc/v3/products/batch?{creds}"))
                .json(&json!({ "update": update }))
                .send()
                .await
                .expect("batch update");
            assert!(r.status().is_success(), "batch update: {}", r.status());
        }
        let mut source = WooSource::open(&spec).expect("open source");
        let calls_before = source.api_stats().map(|s| s.calls).unwrap_or(0);
        let t = Instant::now();
        let mut cursor = None;
        let mut read = 0usize;
        loop {
            let Some(page) = source
                .read_changed(Entity::Products, &since, cursor.as_ref(), 100)
                .await
                .expect("read changed")
            else {
                println!("the source has no changed-since filter");
                return;
            };
            read += page.page.records.len();
            match page.page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let calls = source.api_stats().map(|s| s.calls).unwrap_or(0) - calls_before;
        println!(
            "{changes:>7}  {read:>5}  {:>11.2}  {calls:>8}  {:>7.2}",
            read as f64 / picked.len() as f64,
            t.elapsed().as_secs_f64()
        );
    }
}
