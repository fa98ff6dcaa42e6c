//! API load benchmarks against the sandboxes, printing figures:
//!
//! ```text
//! cargo run --release -p storeshift-sandbox --example api_bench -- [shopify|woocommerce|both] [--seconds 60] [--products 20000]
//! cargo run --release -p storeshift-sandbox --example api_bench -- store [--scale 0.005 | --full] [--bulk-rate 1000] [--only shopify-plus,bigcommerce]
//! cargo run --release -p storeshift-sandbox --example api_bench -- bulk-memory [--orders 100000]
//! ```
//!
//! `bulk-memory`: a Shopify sandbox holding `--orders` orders (two line items and a shipping
//! line each) runs as a child process, and this process extracts the orders through one bulk
//! query, printing records/s and its own peak resident memory (`VmHWM`), before the
//! extraction and after: what reading the result file costs in memory.
//!
//! `store`: a store of 10,000 products (30,000 variants), 50,000 customers and 100,000 orders
//! times `--scale` (`--full` is 1) is loaded into the Shopify sandbox at Standard (100 points/s,
//! 2,000-point bucket) and at Plus (1,000/s, 20,000), into WooCommerce and into BigCommerce
//! (150 requests per 30 s), entity by entity, printing wall time, points or requests spent and
//! the ratio to the budget bound (the time the work needs at the platform's rate ÷ the time it
//! took; 1.0 means the budget was the only limit). Then the same store is extracted from each
//! Shopify sandbox through bulk queries and through cost-shaped pages; the sandbox's bulk query
//! works through `--bulk-rate` objects a second (an assumption: Shopify publishes no figure).
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
    if which == "serve-shopify" {
        serve_shopify(arg("--orders", 0.0) as usize).await;
        return;
    }
    if which == "bulk-memory" {
        bulk_memory(arg("--orders", 100_000.0) as usize).await;
        return;
    }
    if which == "store" {
        let scale = if args.iter().any(|a| a == "--full") {
            1.0
        } else {
            arg("--scale", 0.005)
        };
        let only = args
            .iter()
            .position(|a| a == "--only")
            .and_then(|i| args.get(i + 1))
            .cloned();
        store_bench(scale, arg("--bulk-rate", 1000.0), only.as_deref()).await;
        return;
    }
    let seconds = arg("--seconds", 60.0);
    let products = arg("--products", 20_000.0) as usize;
    if which == "shopify" || which == "both" {
        shopify(seconds).await;
    }
    if which == "woocommerce" || which == "both" {
        woocommerce(products).await;
    }
}

// ---- the store-size benchmark --------------------------------------------------------------

use storeshift_connectors::api::bigcommerce::BigCommerceTarget;
use storeshift_connectors::api::shopify::ShopifySource;
use storeshift_connectors::synth::{SynthSpec, SynthStore};
use storeshift_connectors::Source;
use storeshift_sandbox::bigcommerce::{BigCommerceConfig, BigCommerceSandbox};

/// The issue's store, times `scale`.
fn bench_store(scale: f64) -> SynthStore {
    let n = |full: f64| ((full * scale).round() as usize).max(1);
    SynthStore::new(SynthSpec {
        products: n(10_000.0),
        customers: n(50_000.0),
        orders: n(100_000.0),
        pages: 0,
        seed: 17,
        planted_problems: false,
        variants_per_variable: (3, 3),
        variable_percent: 100,
    })
}

/// What loading one entity took.
struct Leg {
    entity: Entity,
    records: usize,
    failed: usize,
    secs: f64,
    /// Points (Shopify) or requests (the others) the load spent.
    spent: f64,
    throttled: u64,
    /// What the budget held when the leg began.
    burst: Option<Held>,
}

/// The budget at a leg's start: units left, and for a fixed window, seconds until it resets.
#[derive(Clone, Copy)]
struct Held {
    units: f64,
    reset_in: Option<f64>,
}

/// How a platform's budget is counted: `rate` units a second, `burst` available at the start.
/// `window`: the budget is not a refilling bucket but `burst` units per fixed window of that
/// many seconds (BigCommerce: the quota comes back whole when `X-Rate-Limit-Time-Reset-Ms`
/// runs out), so the work's least time is counted in whole windows.
#[derive(Clone, Copy)]
struct Budget {
    unit: &'static str,
    rate: f64,
    burst: f64,
    window: Option<f64>,
}

impl Budget {
    /// The least time `spent` units take: what the budget held at the start (`held`, or a full
    /// burst) is free; the rest comes at the rate, or for a fixed window, the last unit can
    /// go no earlier than the reset of the window it falls in.
    fn bound(&self, spent: f64, held: Option<Held>) -> f64 {
        let units = held.map_or(self.burst, |h| h.units);
        let beyond = (spent - units).max(0.0);
        match self.window {
            None => beyond / self.rate,
            Some(_) if beyond == 0.0 => 0.0,
            Some(window) => {
                let reset_in = held.and_then(|h| h.reset_in).unwrap_or(window);
                reset_in + ((beyond - 1.0) / self.burst).floor() * window
            }
        }
    }
}

fn print_leg(platform: &str, leg: &Leg, budget: Option<Budget>) {
    let rate = leg.records as f64 / leg.secs.max(1e-9);
    let (unit, ratio) = match budget {
        Some(b) => {
            let bound = b.bound(leg.spent, leg.burst);
            (
                b.unit,
                if bound > 0.0 {
                    format!(
                        "bound {bound:.1} s, ratio {:.2}",
                        bound / leg.secs.max(1e-9)
                    )
                } else {
                    "within the starting burst".into()
                },
            )
        }
        None => ("requests", "no rate window".into()),
    };
    println!(
        "  {platform:<18} load {:<10} {:>7} records ({} failed) in {:>7.1} s = {:>7.0}/s, {:>9.0} {unit}, {} throttled, {ratio}",
        leg.entity.to_string(),
        leg.records,
        leg.failed,
        leg.secs,
        rate,
        leg.spent,
        leg.throttled,
    );
}

/// Loads every entity the target accepts, in batches of `batch`, measuring each.
async fn load_all(
    target: &mut dyn Target,
    store: &SynthStore,
    batch: usize,
    spent: impl Fn() -> (f64, u64),
    held: impl Fn() -> Option<Held>,
) -> Vec<Leg> {
    let mut legs = vec![];
    for entity in [Entity::Products, Entity::Customers, Entity::Orders] {
        if !target.accepts(entity) {
            println!("  (the target takes no {entity} through its API: not loaded)");
            continue;
        }
        let records: Vec<Record> = match entity {
            Entity::Products => store.products().map(Record::Product).collect(),
            Entity::Customers => store.customers().map(Record::Customer).collect(),
            _ => store.orders().map(|o| Record::Order(Box::new(o))).collect(),
        };
        let (spent0, throttled0) = spent();
        let burst = held();
        let start = Instant::now();
        let mut failed = 0;
        let mut first_failure = None;
        for chunk in records.chunks(batch) {
            let out = target.write_batch(entity, chunk).await.expect("write");
            for o in out {
                if let WriteOutcome::Failed { message } = o {
                    failed += 1;
                    first_failure.get_or_insert(message);
                }
            }
        }
        if let Some(m) = first_failure {
            println!("  ({failed} {entity} failed; the first: {m})");
        }
        target.finish(entity).await.expect("finish");
        let secs = start.elapsed().as_secs_f64();
        let (spent1, throttled1) = spent();
        legs.push(Leg {
            entity,
            records: records.len(),
            failed,
            secs,
            spent: spent1 - spent0,
            throttled: throttled1 - throttled0,
            burst,
        });
    }
    legs
}

fn shopify_spec(server: &storeshift_sandbox::Running, plan: &str, threshold: u64) -> EndpointSpec {
    std::env::set_var("STORESHIFT_BENCH_SHOPIFY_TOKEN", "shpat_sandbox");
    let mut s = spec(
        Platform::Shopify,
        server.url(),
        &[("token", "STORESHIFT_BENCH_SHOPIFY_TOKEN")],
    );
    s.options.insert("plan".into(), json!(plan));
    s.options.insert("bulk_poll_ms".into(), json!(100));
    s.options.insert("bulk_threshold".into(), json!(threshold));
    s
}

/// Reads `entity` to the end; returns (records, seconds).
async fn extract(src: &mut ShopifySource, entity: Entity) -> (usize, f64) {
    let start = Instant::now();
    let mut n = 0;
    let mut cursor = None;
    loop {
        let page = src
            .read_page(entity, cursor.as_ref(), 250)
            .await
            .expect("read");
        n += page.records.len();
        match page.next {
            Some(c) => cursor = Some(c),
            None => return (n, start.elapsed().as_secs_f64()),
        }
    }
}

async fn shopify_store(plan: &str, rate: f64, bucket: f64, store: &SynthStore, bulk_rate: f64) {
    let name = format!("shopify-{plan}");
    let sb = ShopifySandbox::new(ShopifyConfig {
        restore_rate: rate,
        bucket,
        bulk_objects_per_second: bulk_rate,
        ..Default::default()
    });
    let server = sb.start(0).await.expect("bind 127.0.0.1");
    let budget = Budget {
        unit: "points",
        rate,
        burst: bucket,
        window: None,
    };
    let mut target = ShopifyTarget::open(&shopify_spec(&server, plan, 250)).expect("open");
    let started = Instant::now();
    let legs = load_all(
        &mut target,
        store,
        250,
        || {
            let c = sb.cost_stats();
            (c.points_spent, c.throttled)
        },
        || {
            Some(Held {
                units: sb.bucket_available(),
                reset_in: None,
            })
        },
    )
    .await;
    for leg in &legs {
        print_leg(&name, leg, Some(budget));
    }
    let total = started.elapsed().as_secs_f64();
    let spent: f64 = legs.iter().map(|l| l.spent).sum();
    println!(
        "  {name:<18} load total {total:.1} s, {spent:.0} points, bound {:.1} s, ratio {:.2}, {} bulk operations, duplicates {:?}",
        budget.bound(spent, None),
        budget.bound(spent, None) / total,
        sb.bulk_operations().len(),
        sb.creation_log().duplicates()
    );
    println!(
        "  {name:<18} in the store: {} products, {} customers, {} orders",
        sb.product_count(),
        sb.customer_count(),
        sb.order_count()
    );
    for entity in [Entity::Products, Entity::Customers, Entity::Orders] {
        let before = sb.cost_stats();
        let mut bulk = ShopifySource::open(&shopify_spec(&server, plan, 1)).expect("open");
        let (n_bulk, t_bulk) = extract(&mut bulk, entity).await;
        let mid = sb.cost_stats();
        let held = Held {
            units: sb.bucket_available(),
            reset_in: None,
        };
        let mut paged = ShopifySource::open(&shopify_spec(&server, plan, 0)).expect("open");
        let (n_paged, t_paged) = extract(&mut paged, entity).await;
        let after = sb.cost_stats();
        let paged_points = after.points_spent - mid.points_spent;
        println!(
            "  {name:<18} extract {:<10} bulk {n_bulk} in {t_bulk:.1} s ({:.0} points, {} requests) | paged {n_paged} in {t_paged:.1} s ({paged_points:.0} points, {} requests, bound {:.1} s, ratio {:.2}) | bulk takes {:.0}% of paging's time",
            entity.to_string(),
            mid.points_spent - before.points_spent,
            mid.requests - before.requests,
            after.requests - mid.requests,
            budget.bound(paged_points, Some(held)),
            budget.bound(paged_points, Some(held)) / t_paged.max(1e-9),
            100.0 * t_bulk / t_paged.max(1e-9),
        );
    }
}

async fn woo_store(store: &SynthStore) {
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
    let faults = sb.faults.clone();
    let legs = load_all(
        &mut target,
        store,
        100,
        || (faults.requests() as f64, 0),
        || None,
    )
    .await;
    for leg in &legs {
        print_leg("woocommerce", leg, None);
    }
    println!(
        "  {:<18} in the store: {} products, {} customers, {} orders; duplicates {:?}",
        "woocommerce",
        sb.product_count(),
        sb.customer_count(),
        sb.order_count(),
        sb.creation_log().duplicates()
    );
}

async fn bigcommerce_store(store: &SynthStore) {
    let cfg = BigCommerceConfig::default();
    let budget = Budget {
        unit: "requests",
        rate: f64::from(cfg.quota) * 1000.0 / cfg.window_ms as f64,
        burst: f64::from(cfg.quota),
        window: Some(cfg.window_ms as f64 / 1000.0),
    };
    let sb = BigCommerceSandbox::new(cfg);
    let server = sb.start(0).await.expect("bind 127.0.0.1");
    std::env::set_var("STORESHIFT_BENCH_BC_TOKEN", sb.config().token.clone());
    let mut s = spec(
        Platform::BigCommerce,
        server.url(),
        &[("token", "STORESHIFT_BENCH_BC_TOKEN")],
    );
    s.options
        .insert("store_hash".into(), json!(sb.config().store_hash.clone()));
    let mut target = BigCommerceTarget::open(&s).expect("open");
    let faults = sb.faults.clone();
    let legs = load_all(
        &mut target,
        store,
        50,
        || (faults.requests() as f64, 0),
        || {
            let (left, reset_ms) = sb.window_left();
            Some(Held {
                units: f64::from(left),
                reset_in: Some(reset_ms as f64 / 1000.0),
            })
        },
    )
    .await;
    for leg in &legs {
        print_leg("bigcommerce", leg, Some(budget));
    }
    println!(
        "  {:<18} in the store: {} products, {} customers",
        "bigcommerce",
        sb.product_count(),
        sb.customer_count()
    );
}

async fn store_bench(scale: f64, bulk_rate: f64, only: Option<&str>) {
    let store = bench_store(scale);
    let spec = store.spec().clone();
    println!(
        "store at scale {scale}: {} products ({} variants), {} customers, {} orders; bulk queries work through {bulk_rate} objects/s (assumed)",
        spec.products,
        spec.products * spec.variants_per_variable.0,
        spec.customers,
        spec.orders
    );
    let run = |name: &str| only.is_none_or(|o| o.split(',').any(|x| x == name));
    if run("shopify-standard") {
        shopify_store("standard", 100.0, 2000.0, &store, bulk_rate).await;
    }
    if run("shopify-plus") {
        shopify_store("plus", 1000.0, 20000.0, &store, bulk_rate).await;
    }
    if run("woocommerce") {
        woo_store(&store).await;
    }
    if run("bigcommerce") {
        bigcommerce_store(&store).await;
    }
}

// ---- the bulk extraction's memory ----------------------------------------------------------

/// This process's peak resident memory so far, in MiB (`VmHWM` of /proc/self/status).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// The child process of `bulk-memory`: a Shopify sandbox with `orders` orders, its URL on
/// stdout, serving until killed.
async fn serve_shopify(orders: usize) {
    use std::io::Write;
    let opts = storeshift_sandbox::LaunchOptions {
        seed_customers: 10,
        seed_orders: orders,
        restore_rate: Some(1000.0),
        bucket: Some(20000.0),
        ..Default::default()
    };
    let (running, _) = storeshift_sandbox::launch("shopify", &opts)
        .await
        .expect("bind 127.0.0.1");
    println!("{}", running.url());
    let _ = std::io::stdout().flush();
    running.wait().await;
}

async fn bulk_memory(orders: usize) {
    use std::io::BufRead;
    let exe = std::env::current_exe().expect("own path");
    let mut child = std::process::Command::new(exe)
        .args(["serve-shopify", "--orders", &orders.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the sandbox process");
    let mut url = String::new();
    let seeded = Instant::now();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("sandbox url");
    println!(
        "bulk-memory: sandbox with {orders} orders up in {:.1} s at {}",
        seeded.elapsed().as_secs_f64(),
        url.trim()
    );
    std::env::set_var("STORESHIFT_BENCH_SHOPIFY_TOKEN", "shpat_sandbox");
    let mut s = spec(
        Platform::Shopify,
        url.trim().to_string(),
        &[("token", "STORESHIFT_BENCH_SHOPIFY_TOKEN")],
    );
    let scratch = tempfile::tempdir().expect("scratch dir");
    s.options.insert("plan".into(), json!("plus"));
    s.options.insert("bulk_poll_ms".into(), json!(100));
    s.options.insert("bulk_threshold".into(), json!(1));
    s.options.insert("bulk_timeout_secs".into(), json!(3600));
    s.options.insert("timeout_ms".into(), json!(600_000));
    s.options.insert(
        "scratch_dir".into(),
        json!(scratch.path().to_string_lossy()),
    );
    let before = peak_rss_mib().unwrap_or(f64::NAN);
    let mut src = ShopifySource::open(&s).expect("open");
    let (n, secs) = extract(&mut src, Entity::Orders).await;
    let after = peak_rss_mib().unwrap_or(f64::NAN);
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "bulk-memory: {n} orders in {secs:.1} s = {:.0} records/s; peak RSS {before:.0} MiB before the extraction, {after:.0} MiB after",
        n as f64 / secs.max(1e-9)
    );
}
