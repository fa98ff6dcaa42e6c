//! API load benchmarks against the sandboxes, printing figures:
//!
//! ```text
//! cargo run --release -p storeshift-sandbox --example api_bench -- [shopify|woocommerce|both] [--seconds 60] [--products 20000]
//! cargo run --release -p storeshift-sandbox --example api_bench -- store [--scale 0.005 | --full] [--bulk-rate 1000] [--only shopify-plus,bigcommerce] [--paged-sample PAGES]
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
//! `--paged-sample PAGES` pages only the first PAGES pages of each entity and prints paging's
//! bound for the whole entity from the points a record cost there (records × points per
//! record ÷ rate), marked as estimated: at full scale paging all orders would take an hour.
//!
//! After each platform's load, a verification leg does what a run's Post-migration does by
//! default: each entity's count from the store's count endpoint, and the sample the run
//! would keep fetched by target id and compared field by field with what was loaded, within
//! the run's default share of the load's spend (the same sizing rules, from
//! `storeshift_connectors::verify::sizing`). It prints its wall time, points or requests,
//! the records that differ, and its time ÷ the load's.
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
        let paged_sample = args
            .iter()
            .position(|a| a == "--paged-sample")
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok());
        store_bench(
            scale,
            arg("--bulk-rate", 1000.0),
            only.as_deref(),
            paged_sample,
        )
        .await;
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
use storeshift_connectors::verify::sizing::{
    self, Stride, DEFAULT_BUDGET_PCT, DEFAULT_SAMPLE_SIZE,
};
use storeshift_connectors::verify::{compare, not_carried};
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
    /// The records the run's verification would sample, as loaded: (target id, record).
    sample: Vec<(String, serde_json::Value)>,
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
        // The records a run keeps for its verification sample, picked as its executor picks.
        let stride = Stride::new(DEFAULT_SAMPLE_SIZE, Some(records.len() as u64));
        let mut sample = vec![];
        let start = Instant::now();
        let mut failed = 0;
        let mut first_failure = None;
        for (c, chunk) in records.chunks(batch).enumerate() {
            let out = target.write_batch(entity, chunk).await.expect("write");
            for (k, o) in out.into_iter().enumerate() {
                match o {
                    WriteOutcome::Failed { message } => {
                        failed += 1;
                        first_failure.get_or_insert(message);
                    }
                    WriteOutcome::Created { target_id } | WriteOutcome::Updated { target_id } => {
                        if stride.picks((c * batch + k + 1) as u64) {
                            let loaded = serde_json::to_value(&chunk[k]).expect("a record as JSON");
                            sample.push((target_id, loaded));
                        }
                    }
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
            sample,
        });
    }
    legs
}

/// Verifies what `legs` loaded as a run's Post-migration would by default: every entity's
/// count from the store's count endpoint, then the sample the run would keep, fetched by
/// target id in batches and compared field by field with what was loaded, within
/// the share of the load's spend the run allows. `store_spent` is the sandbox's own meter
/// (points or requests, and requests) to check the verifier's against.
async fn verify_leg(
    name: &str,
    spec: &EndpointSpec,
    legs: &[Leg],
    load_secs: f64,
    store_spent: impl Fn() -> (f64, u64),
) {
    let mut verifier = storeshift_connectors::open_verifier(spec)
        .expect("open the verifier")
        .expect("an API target has a verifier");
    let unit = verifier.unit();
    let load_spent: f64 = legs.iter().map(|l| l.spent).sum();
    let cap = sizing::budget_cap(load_spent as u64, DEFAULT_BUDGET_PCT);
    let (store0, requests0) = store_spent();
    let start = Instant::now();
    for leg in legs {
        let count = verifier.count(leg.entity).await.expect("count");
        let loaded = (leg.records - leg.failed) as u64;
        match count {
            Some(c) => println!(
                "  {name:<18} verify {:<10} count {} ({}) for {loaded} loaded: {}",
                leg.entity.to_string(),
                c.count,
                if c.exact { "exact" } else { "at least" },
                if c.count == loaded && c.exact {
                    "match"
                } else {
                    "DIFFERS"
                }
            ),
            None => println!(
                "  {name:<18} verify {:<10} not countable on this platform",
                leg.entity.to_string()
            ),
        }
    }
    // Each entity's sample in the order it is checked, with what each record should cost.
    let plans: Vec<(Vec<usize>, Vec<f64>)> = legs
        .iter()
        .map(|leg| {
            let order = sizing::spread(leg.sample.len());
            let costs = order
                .iter()
                .map(|i| verifier.record_cost(leg.entity, &leg.sample[*i].1))
                .collect();
            (order, costs)
        })
        .collect();
    let (mut mismatched, mut missing) = (0usize, 0usize);
    for (i, leg) in legs.iter().enumerate() {
        let entity = leg.entity;
        let (order, costs) = &plans[i];
        let needs: Vec<f64> = plans[i..].iter().map(|(_, c)| c.iter().sum()).collect();
        let allowance = sizing::allowance(cap.saturating_sub(verifier.spent()), &needs);
        let ignore = not_carried(spec.platform, EndpointKind::Api, entity);
        let (mut next, mut ratio, mut spent, mut differing) = (0usize, None, 0u64, 0usize);
        let mut first_difference = None;
        loop {
            let (n, _) = sizing::batch_within(
                &costs[next..],
                verifier.batch_limit(entity).max(1),
                ratio.unwrap_or(1.0),
                allowance.saturating_sub(spent),
            );
            if n == 0 {
                break;
            }
            let estimated: f64 = costs[next..next + n].iter().sum();
            let picked: Vec<&(String, serde_json::Value)> = order[next..next + n]
                .iter()
                .map(|k| &leg.sample[*k])
                .collect();
            let ids: Vec<String> = picked.iter().map(|(id, _)| id.clone()).collect();
            let before = verifier.spent();
            let got = verifier.fetch(entity, &ids).await.expect("fetch by id");
            let cost = verifier.spent().saturating_sub(before);
            for ((id, loaded), rec) in picked.iter().zip(got) {
                let Some(rec) = rec else {
                    missing += 1;
                    continue;
                };
                let actual = serde_json::to_value(&rec).expect("a record as JSON");
                let diffs = compare(loaded.clone(), actual, &ignore);
                if let Some(d) = diffs.first() {
                    differing += 1;
                    first_difference.get_or_insert(format!("{id} {}: {} ≠ {}", d.0, d.1, d.2));
                }
            }
            next += n;
            spent += cost;
            ratio = Some(sizing::next_ratio(ratio, cost, estimated));
        }
        mismatched += differing;
        println!(
            "  {name:<18} verify {:<10} {next} of {} sampled compared field by field ({}), {differing} differ, {spent} {} of {allowance} allowed{}",
            entity.to_string(),
            order.len(),
            verifier.fetch_how(entity),
            unit.label(),
            first_difference
                .map(|d| format!("; first: {d}"))
                .unwrap_or_default()
        );
    }
    let secs = start.elapsed().as_secs_f64();
    let (store1, requests1) = store_spent();
    println!(
        "  {name:<18} verify total {secs:.1} s, {} {} ({:.0} by the store's meter, {} requests) of {cap} allowed ({DEFAULT_BUDGET_PCT}% of the load's {load_spent:.0}); {mismatched} sampled records differ, {missing} missing; verification ÷ load time = {:.3}",
        verifier.spent(),
        unit.label(),
        store1 - store0,
        requests1 - requests0,
        secs / load_secs.max(1e-9)
    );
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
    let (n, secs, _) = extract_pages(src, entity, usize::MAX).await;
    (n, secs)
}

/// Reads at most `pages` pages of `entity`; returns (records, seconds, pages read).
async fn extract_pages(
    src: &mut ShopifySource,
    entity: Entity,
    pages: usize,
) -> (usize, f64, usize) {
    let start = Instant::now();
    let (mut n, mut read) = (0, 0);
    let mut cursor = None;
    while read < pages {
        let page = src
            .read_page(entity, cursor.as_ref(), 250)
            .await
            .expect("read");
        n += page.records.len();
        read += 1;
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    (n, start.elapsed().as_secs_f64(), read)
}

async fn shopify_store(
    plan: &str,
    rate: f64,
    bucket: f64,
    store: &SynthStore,
    bulk_rate: f64,
    paged_sample: Option<usize>,
) {
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
    verify_leg(
        &name,
        &shopify_spec(&server, plan, 250),
        &legs,
        total,
        || {
            let c = sb.cost_stats();
            (c.points_spent, c.requests)
        },
    )
    .await;
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
        if let Some(pages) = paged_sample {
            // Paging the whole entity at this scale would take longer than the rest of the
            // bench: its first pages give the points a record costs, and the bound follows.
            let (n_read, t_read, read) = extract_pages(&mut paged, entity, pages).await;
            let after = sb.cost_stats();
            let points = after.points_spent - mid.points_spent;
            let per_record = points / n_read.max(1) as f64;
            // The same bound as a measured paged run's, for the whole entity's points.
            let estimate = budget.bound(n_bulk as f64 * per_record, Some(held));
            println!(
                "  {name:<18} extract {:<10} bulk {n_bulk} in {t_bulk:.1} s ({:.0} points, {} requests) | paged, estimated from {read} pages: {n_read} records in {t_read:.1} s, {points:.0} points, {} requests = {per_record:.2} points/record, so {n_bulk} records need ≥ {estimate:.0} s at {rate} points/s | bulk takes {:.1}% of paging's bound",
                entity.to_string(),
                mid.points_spent - before.points_spent,
                mid.requests - before.requests,
                after.requests - mid.requests,
                100.0 * t_bulk / estimate.max(1e-9),
            );
            continue;
        }
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
    let load_secs = legs.iter().map(|l| l.secs).sum();
    verify_leg("woocommerce", &s, &legs, load_secs, || {
        (faults.requests() as f64, faults.requests())
    })
    .await;
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
    let load_secs = legs.iter().map(|l| l.secs).sum();
    verify_leg("bigcommerce", &s, &legs, load_secs, || {
        (faults.requests() as f64, faults.requests())
    })
    .await;
}

async fn store_bench(scale: f64, bulk_rate: f64, only: Option<&str>, paged_sample: Option<usize>) {
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
        shopify_store("standard", 100.0, 2000.0, &store, bulk_rate, paged_sample).await;
    }
    if run("shopify-plus") {
        shopify_store("plus", 1000.0, 20000.0, &store, bulk_rate, paged_sample).await;
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
